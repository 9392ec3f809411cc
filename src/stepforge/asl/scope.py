"""What an expression sees while a state evaluates: ``$`` (input), ``$$`` (context), variables.

Randomness comes in through ``random`` so that the interpreter stays deterministic under test and
the engine can record what was drawn.
"""

from __future__ import annotations

import random as _random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Scope:
    """The documents a path, template, intrinsic or choice rule is evaluated against."""

    input: Any
    context: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)
    random: _random.Random = field(default_factory=_random.Random)

    def with_input(self, value: Any) -> Scope:
        return Scope(value, self.context, self.variables, self.random)
