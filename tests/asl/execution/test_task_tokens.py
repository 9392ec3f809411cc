"""Task tokens are unguessable and safe to pass on a command line."""

from __future__ import annotations

import inspect
import re

from stepforge.asl.execution.interpreter import Interpreter
from stepforge.asl.execution.task_tokens import new_task_token


def test_every_token_begins_with_a_letter_so_no_command_line_reads_it_as_an_option() -> None:
    # Without the prefix one token in 64 began with "-": 2,000 draws would all but surely show one.
    tokens = [new_task_token() for _ in range(2000)]
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{65}", token) for token in tokens)


def test_tokens_do_not_repeat() -> None:
    assert len({new_task_token() for _ in range(2000)}) == 2000


def test_the_interpreter_draws_its_tokens_from_the_same_source() -> None:
    assert inspect.signature(Interpreter).parameters["new_token"].default is new_task_token
