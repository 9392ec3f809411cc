"""A thin adapter over jsonata-python: compile a JSONata expression once, evaluate it guarded.

:func:`compile_expression` parses at definition time (a syntax error is a
:class:`~stepforge.asl.errors.DefinitionError`). :meth:`Expression.evaluate` binds ``$states``
and the workflow variables, runs under the :mod:`stepforge.asl.query.guard` budget (in the calling
thread, which nothing interrupts from outside), and turns the
library's result into a plain JSON value: JSONata ``null`` becomes ``None``, sequences become
lists, integral numbers become ints. What AWS reports as a problem surfaces as a
:class:`QueryError` whose ``kind`` says which (``undefined``, ``unsupported``, ``error``).

Fixes to the library live here rather than in a fork: its errors are sometimes plain Python
exceptions (``TypeError``, ``ZeroDivisionError``), which we report like JSONata's own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonata import JException, Jsonata, Utils  # type: ignore[import-untyped]

from stepforge.asl.errors import DefinitionError
from stepforge.asl.query.guard import DEFAULT_LIMITS, Budget, Exhausted, Limits
from stepforge.asl.query.jsonata_functions import CURRENT, FUNCTIONS, FunctionError, bounded_regex
from stepforge.asl.scope import Scope

OPEN, CLOSE = "{%", "%}"


class QueryError(Exception):
    """An expression did not produce a usable value. ``kind``: ``undefined``, ``unsupported``, ``error``."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.kind = kind
        self.detail = detail


def is_expression(value: Any) -> bool:
    """Whether a JSON string is a ``{% ... %}`` JSONata expression (no surrounding spaces allowed)."""
    return isinstance(value, str) and value.startswith(OPEN) and value.endswith(CLOSE) and len(value) >= 4


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed JSONata expression; ``text`` is what stood between ``{%`` and ``%}``, trimmed."""

    text: str
    program: Jsonata = field(compare=False, repr=False)

    def evaluate(self, scope: Scope, states: Mapping[str, Any] | None = None,
                 limits: Limits = DEFAULT_LIMITS, count: Callable[[int], None] | None = None) -> Any:
        """The expression's JSON value; ``states`` adds ``result``/``errorOutput`` to ``$states``.

        Bounded by ``limits`` from inside this thread: an evaluation past them raises
        :class:`QueryError` (kind ``error``, the limit in its detail) and leaves no state behind.
        ``count`` is told the bytes of the result as it is turned into JSON (see :func:`to_json_value`).
        """
        budget = Budget.start(limits)
        bindings = self._bindings(scope, states, budget)
        previous = CURRENT.budget, CURRENT.scope
        CURRENT.budget, CURRENT.scope = budget, scope
        try:
            raw = self.program.evaluate(None, bindings)
        except Exhausted as exc:
            raise QueryError("error", exc.reason) from None
        except (JException, FunctionError) as exc:
            raise QueryError("error", str(exc)) from None
        except RecursionError:
            raise QueryError("error", "The evaluation exceeded the maximum depth of nested calls") from None
        except Exception as exc:  # noqa: BLE001 - the library reports some errors as plain exceptions
            raise QueryError("error", f"{type(exc).__name__}: {exc}") from None
        finally:
            CURRENT.budget, CURRENT.scope = previous
        if raw is None:
            raise QueryError("undefined")
        return to_json_value(raw, count)

    @staticmethod
    def _bindings(scope: Scope, states: Mapping[str, Any] | None, budget: Budget) -> dict[str, Any]:
        bound = {name: (Utils.NULL_VALUE if value is None else value) for name, value in scope.variables.items()}
        document = {"input": scope.input, "context": scope.context}
        if states:
            document.update(states)
        bound["states"] = document
        bound["__evaluate_entry"] = budget.enter
        bound["__evaluate_exit"] = budget.leave
        return bound


def compile_expression(text: str, pointer: str) -> Expression:
    """Parse the body of a ``{% ... %}`` string; ``pointer`` locates it for a DefinitionError."""
    body = text[len(OPEN):-len(CLOSE)].strip() if is_expression(text) else text
    if not body:
        raise DefinitionError("The JSONata expression must not be empty", pointer)
    try:
        program = Jsonata(body, bounded_regex)
    except JException as exc:
        raise DefinitionError(f"Invalid JSONata expression '{body}': {exc}", pointer) from None
    except Exception as exc:  # noqa: BLE001 - the parser raises assorted errors on bad input
        raise DefinitionError(f"Invalid JSONata expression '{body}': {exc}", pointer) from None
    program.set_output_convert_nulls(False)
    program.environment = Jsonata.Frame(FUNCTIONS)
    return Expression(body, program)


#: The most JSON any one expression may produce (a lower bound of its compact size): four times AWS's
#: 256 KiB limit on every payload and variable, so nothing AWS accepts is refused here.
MAX_RESULT_BYTES = 1024 * 1024


def to_json_value(value: Any, count: Callable[[int], None] | None = None, cap: int = MAX_RESULT_BYTES) -> Any:
    """A jsonata-python value as plain JSON; functions and regexes are ``unsupported``.

    The library shares references: ``$map([1..2000], function() { $states.input })`` is 2,000
    pointers to one input, and the JSON copy of it 2,000 inputs. So the copy's size (a lower bound,
    as :func:`~stepforge.asl.query.budget.size_at_least` counts) is counted while it is made: past
    ``cap`` it stops with :class:`QueryError`, and ``count`` (a payload budget's ``add``) hears every
    byte, so it may refuse first.
    """
    return _Copy(count, cap).convert(value)


class _Copy:
    __slots__ = ("cap", "count", "total")

    def __init__(self, count: Callable[[int], None] | None, cap: int) -> None:
        self.count, self.cap, self.total = count, cap, 0

    def add(self, size: int) -> None:
        self.total += size
        if self.total > self.cap:
            raise QueryError("error", f"The result is larger than {self.cap} bytes")
        if self.count is not None:
            self.count(size)

    def convert(self, value: Any) -> Any:
        if value is Utils.NULL_VALUE or value is None:
            self.add(4)
            return None
        if isinstance(value, str):
            self.add(len(value) + 2)
            return value
        if isinstance(value, bool):
            self.add(4 if value else 5)
            return value
        if isinstance(value, int):
            self.add(1)
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise QueryError("error", f"Number out of range: {value}")
            self.add(1)
            return int(value) if value.is_integer() and abs(value) < 1e21 else value
        if isinstance(value, list):
            self.add(1 + max(len(value), 1))
            return [self.convert(item) for item in value]
        if isinstance(value, dict):
            self.add(1 + max(len(value), 1) + sum(len(key) + 3 for key in value))
            return {key: self.convert(item) for key, item in value.items()}
        raise QueryError("unsupported")
