"""Group commit: the API writes queued for a batch and the steps they wake commit as one transaction."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from stepforge.service import executions, redrive
from stepforge.service.context import Request
from stepforge.service.errors import ApiError
from stepforge.store.base import UnitOfWork
from stepforge.store.memory import MemoryStore
from stepforge.store.records import ActivityRecord
from stepforge.store.sqlite import SqliteStore
from stepforge.testing import Harness
from tests.async_kit import run_alone

T = TypeVar("T")
GHOST = "arn:aws:states:us-east-1:000000000000:activity:ghost"
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


class CountingStore(MemoryStore):
    """The memory store, counting the transactions it opens."""

    def __init__(self) -> None:
        super().__init__()
        self.transactions = 0

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        self.transactions += 1
        with super().transaction() as tx:
            yield tx


def start(harness: Harness, machine: str, name: str) -> Any:
    request = Request({"stateMachineArn": machine, "name": name, "input": json.dumps({"n": name})}, "us-east-1")
    return lambda tx: executions.start(harness.ctx.within(tx), request)



async def queue_and_run_one_batch(harness: Harness, operations: list[Any]) -> list[Any]:
    waiting = [asyncio.ensure_future(harness.engine.writes.submit(operation)) for operation in operations]
    await asyncio.sleep(0)  # every write is queued before the batch runs
    harness.engine.run_once(harness.clock.now())
    return await asyncio.gather(*waiting, return_exceptions=True)


def test_queued_writes_and_the_steps_they_wake_commit_in_one_transaction() -> None:
    store = CountingStore()
    harness = Harness(store=store)
    machine = harness.create(PASS)
    before = store.transactions
    answers = run_alone(queue_and_run_one_batch(harness, [start(harness, machine, f"e{i}") for i in range(3)]))
    assert store.transactions == before + 1
    arns = [answer["executionArn"] for answer in answers]
    assert [harness.result(arn).status for arn in arns] == ["SUCCEEDED"] * 3


def test_a_failing_write_is_undone_alone_and_answered_with_its_error() -> None:
    harness = Harness(store=CountingStore())
    machine = harness.create(PASS)

    def half_then_fail(tx: UnitOfWork) -> None:
        tx.put_activity(ActivityRecord(GHOST, "ghost", 1.0, {}))
        raise ApiError("half done")

    answers = run_alone(queue_and_run_one_batch(harness, [start(harness, machine, "kept"), half_then_fail]))
    assert isinstance(answers[1], ApiError)
    assert harness.result(answers[0]["executionArn"]).status == "SUCCEEDED"
    assert harness.store.get_activity(GHOST) is None


def test_a_write_without_an_engine_thread_commits_in_a_transaction_of_its_own() -> None:
    store = CountingStore()
    harness = Harness(store=store)
    machine = harness.create(PASS)
    before = store.transactions
    answer = run_alone(harness.engine.write(start(harness, machine, "alone")))
    assert store.transactions == before + 1
    assert harness.store.get_execution(answer["executionArn"]) is not None
    with pytest.raises(ApiError):
        run_alone(harness.engine.write(start(harness, machine + "-missing", "nowhere")))


def test_a_start_riding_in_a_batch_is_advanced_from_the_record_in_hand(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    harness = Harness(store=store)
    machine = harness.create(PASS)
    run_alone(queue_and_run_one_batch(harness, [start(harness, machine, "first")]))  # reads the machine, no rule
    assert store._writer_conn is not None
    seen: list[str] = []
    store._writer_conn.set_trace_callback(seen.append)
    answers = run_alone(queue_and_run_one_batch(harness, [start(harness, machine, f"e{i}") for i in range(2)]))
    store._writer_conn.set_trace_callback(None)
    assert [harness.result(a["executionArn"]).status for a in answers] == ["SUCCEEDED"] * 2
    assert not [s for s in seen if s.startswith("INSERT INTO signals")]  # taken in this batch, not queued
    reads = [s for s in seen if s.startswith("SELECT") and "FROM executions WHERE arn" in s]
    assert not reads  # the insert finds whether a name is taken; the record stored is in hand
    # a savepoint for each write; none for a step that only appends history, nor for end hooks nobody needs
    assert len([s for s in seen if s.startswith("SAVEPOINT")]) == 2
    assert not [s for s in seen if "FROM state_machines" in s or "FROM event_rules" in s]  # kept by the store
    # the batch's history and the executions' new state: one statement each (for 2 rows; a few for many)
    assert len([s for s in seen if s.startswith(("INSERT INTO events", "UPDATE executions"))]) == 2
    store.close()


def test_a_start_whose_write_then_fails_is_neither_stored_nor_advanced() -> None:
    harness = Harness()
    machine = harness.create(PASS)
    request = Request({"stateMachineArn": machine, "name": "undone"}, "us-east-1")

    def start_then_fail(tx: UnitOfWork) -> None:
        executions.start(harness.ctx.within(tx), request)
        raise ApiError("after the start")

    answers = run_alone(queue_and_run_one_batch(harness, [start_then_fail, start(harness, machine, "kept")]))
    assert isinstance(answers[0], ApiError)
    assert harness.result(answers[1]["executionArn"]).status == "SUCCEEDED"
    undone = f"{machine.replace(':stateMachine:', ':execution:')}:undone"
    assert harness.store.get_execution(undone) is None
    assert harness.store.get_events(undone) == []  # no step was taken for it either


def test_a_redrive_whose_write_then_fails_leaves_no_history() -> None:
    harness = Harness()
    arn = harness.start({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}})
    assert harness.run_until_done(arn).status == "FAILED"
    before = len(harness.store.get_events(arn))

    def redrive_then_fail(tx: UnitOfWork) -> None:
        redrive.redrive_execution(harness.ctx.within(tx), Request({"executionArn": arn}, "us-east-1"))
        raise ApiError("after the redrive")

    answers = run_alone(queue_and_run_one_batch(harness, [redrive_then_fail]))
    assert isinstance(answers[0], ApiError)
    assert len(harness.store.get_events(arn)) == before
    assert harness.store.get_execution(arn).status == "FAILED"  # type: ignore[union-attr]
