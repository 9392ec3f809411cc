"""A payload's size counted while it is built, so that no template or field can amplify its input.

AWS refuses a state's output past 256 KiB of UTF-8 JSON (``States.DataLimitExceeded``). The exact
check (:func:`stepforge.asl.query.dataflow.check_size`) serialises the finished output; a template
with thousands of ``"kN.$": "$"`` fields would need gigabytes before it got there. A :class:`Budget`
travels down one evaluation and counts a *lower bound* of the compact JSON bytes of what has been
built so far; it refuses as soon as that bound passes the limit, before anything more is built.
Because the count never exceeds the exact size, an early refusal always means the exact check
would refuse too.

Measuring is bounded as well: :func:`size_at_least` stops walking a value as soon as its count
passes what the budget has left, and every byte it walks is added to the budget, so one evaluation
walks at most about twice the limit, whatever the template.
"""

from __future__ import annotations

from typing import Any, Final

from stepforge.asl import errors
from stepforge.asl.errors import StatesError
from stepforge.asl.scope import Scope

#: AWS's limit on a state's input or output, in bytes of UTF-8 JSON.
MAX_PAYLOAD_BYTES: Final = 256 * 1024


def data_limit_exceeded(state_name: str) -> StatesError:
    """AWS's error for a state result past :data:`MAX_PAYLOAD_BYTES`."""
    return StatesError(
        errors.DATA_LIMIT_EXCEEDED,
        f"The state/task '{state_name}' returned a result with a size exceeding "
        "the maximum number of bytes service limit.",
        located=False,
    )


def size_at_least(value: Any, cap: int) -> int:
    """A lower bound of ``value``'s compact UTF-8 JSON size; once it passes ``cap``, any count above ``cap``.

    Strings count their characters plus quotes (UTF-8 bytes and escapes only add), numbers one byte,
    containers their brackets, separators, keys and items. Non-JSON values count nothing.
    """
    if isinstance(value, str):
        return len(value) + 2
    if value is None or value is True:
        return 4
    if value is False:
        return 5
    if isinstance(value, (int, float)):
        return 1
    if isinstance(value, dict):
        total = 1 + max(len(value), 1)  # braces and commas
        for key, item in value.items():
            total += len(key) + 3 + size_at_least(item, cap - total)
            if total > cap:
                return total
        return total
    if isinstance(value, list):
        total = 1 + max(len(value), 1)
        for item in value:
            total += size_at_least(item, cap - total)
            if total > cap:
                return total
        return total
    return 0


class Budget:
    """The bytes one payload under construction is known to take at least; refuses past the limit.

    :meth:`unbounded` never refuses and never measures (for values with limits of their own, such
    as ``Assign``, which :mod:`stepforge.asl.compilation.variables` checks exactly).
    """

    __slots__ = ("limit", "state_name", "used")

    def __init__(self, state_name: str, limit: int | None = MAX_PAYLOAD_BYTES) -> None:
        self.state_name, self.limit, self.used = state_name, limit, 0

    @classmethod
    def for_output(cls, scope: Scope) -> Budget:
        """A budget for the output of the state ``scope`` evaluates in (named by ``$$.State.Name``)."""
        state = scope.context.get("State")
        name = state.get("Name", "") if isinstance(state, dict) else ""
        return cls(str(name))

    @classmethod
    def unbounded(cls) -> Budget:
        return cls("", None)

    def add(self, count: int) -> None:
        """Count ``count`` more bytes; raises ``States.DataLimitExceeded`` past the limit."""
        if self.limit is None:
            return
        self.used += count
        if self.used > self.limit:
            raise data_limit_exceeded(self.state_name)

    def take(self, value: Any) -> Any:
        """Count ``value`` (about to become part of the payload) and return it."""
        if self.limit is not None:
            self.add(size_at_least(value, self.limit - self.used))
        return value
