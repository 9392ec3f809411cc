"""What an expression sees while a state evaluates: ``$`` (input), ``$$`` (context), variables.

Randomness comes in through ``random`` so that the interpreter stays deterministic under test and
the engine can record what was drawn.
"""

from __future__ import annotations

import random as _random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final


@dataclass(slots=True)
class Scope:
    """The documents a path, template, intrinsic or choice rule is evaluated against.

    Immutable (``Final`` fields, which mypy enforces) without ``frozen=True``, whose ``__init__`` sets
    each field through ``object.__setattr__``: the interpreter makes a few scopes per state."""

    input: Final[Any]
    context: Final[Mapping[str, Any]] = field(default_factory=dict)
    variables: Final[Mapping[str, Any]] = field(default_factory=dict)
    random: Final[_random.Random] = field(default_factory=_random.Random)

    def with_input(self, value: Any) -> Scope:
        """This scope with ``value`` as ``$`` (itself when ``value`` is its input already)."""
        return self if value is self.input else Scope(value, self.context, self.variables, self.random)
