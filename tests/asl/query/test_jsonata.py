"""JSONata expressions: AWS's functions, result conversion, errors, and the bounded-evaluation guard."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from stepforge.asl import errors
from stepforge.asl.errors import DefinitionError, StatesError
from stepforge.asl.query.fields import compile_query
from stepforge.asl.query.guard import DEFAULT_LIMITS, Limits
from stepforge.asl.query.jsonata import QueryError, compile_expression
from stepforge.asl.scope import Scope

CONTEXT = {"State": {"Name": "S", "EnteredTime": "2024-01-01T00:00:00.000Z"}}


def scope(value: Any = None, variables: dict[str, Any] | None = None, seed: int = 7) -> Scope:
    return Scope(value, CONTEXT, variables or {}, random.Random(seed))


def evaluate(text: str, value: Any = None, limits: Limits = DEFAULT_LIMITS, **variables: Any) -> Any:
    return compile_expression("{% " + text + " %}", "/x").evaluate(scope(value, variables), limits=limits)


@pytest.mark.parametrize(("text", "expected"), [
    ("$partition([1, 2, 3, 4, 5], 2)", [[1, 2], [3, 4], [5]]),
    ("$partition([0], 3)", [[0]]),
    ("$range(0, 10, 3)", [0, 3, 6, 9]),
    ("$range(1, 9, 9)", 1),
    ("$range(5, 1, -2)", [5, 3, 1]),
    ("$hash('abc', 'SHA-256')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("$hash('abc', 'MD5')", "900150983cd24fb0d6963f7d28e17f72"),
    ("$parse('{\"a\": [1, null]}')", {"a": [1, None]}),
    ("$parse('-0')", 0),
    ("$parse('null')", None),
    ("$sum($states.input.n) + $bias", 7),
    ("$now()", "2024-01-01T00:00:00.000Z"),
    ("$millis()", 1704067200000),
])
def test_aws_functions(text: str, expected: Any) -> None:
    assert evaluate(text, {"n": [1, 2]}, bias=4) == expected


def test_random_and_uuid_draw_from_the_injected_source() -> None:
    first = [evaluate("[$random(), $uuid()]") for _ in range(2)]
    assert first[0] == first[1]
    value, uid = first[0]
    assert 0 <= value < 1 and len(uid) == 36 and uid[14] == "4"


def test_random_with_a_seed_is_repeatable_and_independent_of_the_source() -> None:
    assert evaluate("$random(42)") == evaluate("$random(42)")
    assert evaluate("$random(42)") != evaluate("$random(43)")


@pytest.mark.parametrize("text", [
    "$eval('1 + 1')", "$partition('x', 1)", "$partition([1], 0)", "$range(1, 2, 0)",
    "$hash('a', 'SHA-3')", "$parse('{')",
])
def test_function_misuse_is_an_evaluation_error(text: str) -> None:
    with pytest.raises(QueryError) as caught:
        evaluate(text)
    assert caught.value.kind == "error"


def test_undefined_and_unsupported_results() -> None:
    with pytest.raises(QueryError) as undefined:
        evaluate("$nothing")
    with pytest.raises(QueryError) as function:
        evaluate("function($x){$x}")
    assert (undefined.value.kind, function.value.kind) == ("undefined", "unsupported")


def test_null_variables_and_nested_nulls_stay_null() -> None:
    assert evaluate("[$v, $states.input.a]", {"a": None}, v=None) == [None, None]


def test_a_syntax_error_is_a_definition_error_with_its_pointer() -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_expression("{% $x + %}", "/States/A/Output")
    assert caught.value.path == "/States/A/Output"


def test_query_names_the_failing_field_like_aws() -> None:
    query = compile_query({"FunctionName": "{% $doesNotExist %}", "k": [1, "{% 2 %}"]}, "/States/T/Arguments")
    with pytest.raises(StatesError) as caught:
        query.evaluate(scope({}), "Arguments")
    assert caught.value.error == errors.QUERY_EVALUATION_ERROR
    assert caught.value.location == "Arguments/FunctionName"
    assert caught.value.cause == ("The JSONata expression '$doesNotExist' specified for the field "
                                  "'Arguments/FunctionName' returned nothing (undefined).")


def test_strings_with_spaces_around_the_markers_are_literals() -> None:
    assert compile_query(" {% 1 %} ", "/x").evaluate(scope(), "Output") == " {% 1 %} "


def test_typed_reports_the_unexpected_type() -> None:
    with pytest.raises(StatesError) as caught:
        compile_query("{% true %}", "/x").typed(scope(), "Items", "array")
    assert caught.value.cause == ("The JSONata expression 'true' specified for the field 'Items' returned an "
                                  "unexpected result type. Expected 'array', but was 'boolean' for value: true")


# -- the bounded-evaluation guard ------------------------------------------------------------------


@pytest.mark.parametrize(("text", "reason"), [
    ("( $f := function($n){ $f($n + 1) }; $f(0) )", "time"),        # endless (tail) recursion
    ("( $f := function($n){ 1 + $f($n + 1) }; $f(0) )", "depth"),   # deep recursion
    ("$range(0, 1e9, 1)", "memory"),
    ("$pad('x', 1e9)", "memory"),
    ("$count([1..9000000])", "memory"),
    ("( $f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $f('x', 40) )", "memory"),
    ("$distinct([1..100000])", "time"),                            # a long loop inside a native function
])
def test_runaway_expressions_fail_within_the_limits(text: str, reason: str) -> None:
    # Only the guard under test may trip: the time limit is generous unless time is what is tested,
    # so a slow, busy machine cannot turn a memory or depth case into a time-out.
    seconds = 0.5 if reason == "time" else 30.0
    started = time.monotonic()
    with pytest.raises(QueryError) as caught:
        evaluate(text, limits=Limits(seconds=seconds))
    assert caught.value.kind == "error" and reason in caught.value.detail, caught.value.detail
    assert time.monotonic() - started < seconds + 4.0


def test_the_guard_leaves_ordinary_recursion_alone() -> None:
    assert evaluate("( $f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(50) )") == 50
