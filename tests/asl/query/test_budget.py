"""Payloads are counted as they are built: no template or JSONata field can amplify its input.

The early refusal must be safe (it only fires when the exact, serialised size is past the limit)
and early (an amplifying template stops before it has built, or serialised, much at all).
"""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepforge.asl import errors
from stepforge.asl.errors import StatesError
from stepforge.asl.query.budget import MAX_PAYLOAD_BYTES, Budget, size_at_least
from stepforge.asl.query.dataflow import apply_template, to_json
from stepforge.asl.query.fields import compile_query
from stepforge.asl.query.payload import compile_template
from stepforge.asl.scope import Scope
from stepforge.testing import Harness

CONTEXT = {"State": {"Name": "Amplify", "EnteredTime": "2026-01-01T00:00:00Z"}}
LIMIT_MESSAGE = ("The state/task 'Amplify' returned a result with a size exceeding the maximum number of bytes "
                 "service limit.")
FIELDS = 5_000


def scope(value: Any) -> Scope:
    return Scope(value, CONTEXT, {}, random.Random(1))


def exact_size(value: Any) -> int:
    return len(to_json(value).encode())


def input_of_200_kb() -> dict[str, Any]:
    items = [{"id": index, "name": f"item-{index}", "tags": ["a", "b"]} for index in range(4_600)]
    value = {"items": items}
    assert 190_000 < exact_size(value) < 256 * 1024
    return value


def peak_growth(action: Callable[[], Any]) -> tuple[int, BaseException | None]:
    """Peak bytes allocated while ``action`` runs (tracemalloc, in-process), and what it raised."""
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - the caller checks what was raised
            raised: BaseException | None = exc
        else:
            raised = None
        return tracemalloc.get_traced_memory()[1] - baseline, raised
    finally:
        tracemalloc.stop()


# -- the size estimator --------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_the_estimate_never_exceeds_the_exact_size(value: Any) -> None:
    assert size_at_least(value, 10**9) <= exact_size(value)


def test_the_estimate_is_exact_for_ascii_without_escapes() -> None:
    value = {"a": [1, "xy", None, True, False, {}], "b": []}
    assert size_at_least(value, 10**9) == exact_size(value)


class CountingList(list[Any]):
    """A list that counts how many of its items were visited."""

    visited = 0

    def __iter__(self) -> Any:
        for item in super().__iter__():
            self.visited += 1
            yield item


def test_measuring_stops_once_past_the_cap() -> None:
    items = CountingList([{"k": "v" * 100}] * 1_000)
    assert size_at_least(items, 5_000) > 5_000
    assert items.visited <= 50


# -- templates: early refusal only where the exact check refuses ---------------------------------

paths = st.sampled_from(["$", "$.a", "$.b", "$.b[0]", "$.c.d", "$$.State.Name",
                         "States.Array($.a, $)", "States.JsonToString($)", "States.Format('{}-{}', $.a, $.c.d)"])
keys = st.text(alphabet="abcé\"\\", min_size=1, max_size=4)
templates = st.recursive(
    st.text(max_size=6) | st.integers() | st.none(),
    lambda children: st.dictionaries(keys, children, max_size=4)
    | st.dictionaries(keys.map(lambda key: f"{key}.$"), paths, min_size=1, max_size=4)
    | st.lists(children, max_size=3),
    max_leaves=12,
)
inputs = st.fixed_dictionaries({"a": st.text(max_size=40), "b": st.lists(st.text(max_size=10), min_size=1, max_size=6),
                                "c": st.fixed_dictionaries({"d": st.integers() | st.text(max_size=5)})})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(templates, inputs, st.integers(0, 400))
def test_an_early_refusal_means_the_exact_size_is_past_the_limit(template: Any, data: Any, limit: int) -> None:
    compiled = compile_template(template, "/States/Amplify/Parameters")
    exact = exact_size(compiled.evaluate(scope(data)))
    try:
        bounded = compiled.evaluate(scope(data), Budget("Amplify", limit))
    except StatesError as exc:
        assert exc.error == errors.DATA_LIMIT_EXCEEDED
        assert exact > limit
    else:
        assert bounded == compiled.evaluate(scope(data))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=4), st.sampled_from(["{% $states.input %}", "{% $states.input.a %}",
                                                              "{% [1, 2, $states.input.b] %}", "plain"]),
                       min_size=1, max_size=5),
       inputs, st.integers(0, 300))
def test_an_early_refusal_of_a_jsonata_field_means_the_exact_size_is_past_the_limit(
        template: dict[str, str], data: Any, limit: int) -> None:
    query = compile_query(template, "/States/Amplify/Output")
    states = {"input": data}
    exact = exact_size(query.evaluate(scope(data), "Output", states))
    try:
        query.evaluate(scope(data), "Output", states, Budget("Amplify", limit))
    except StatesError as exc:
        assert exc.error == errors.DATA_LIMIT_EXCEEDED
        assert exact > limit


def test_a_template_at_the_limit_is_built() -> None:
    data = {"s": "x" * (MAX_PAYLOAD_BYTES - len('{"v":""}'))}
    result = apply_template(compile_template({"v.$": "$.s"}, "/P"), scope(data))
    assert exact_size(result) == MAX_PAYLOAD_BYTES


# -- amplification: refused early, in bounded memory ---------------------------------------------


def test_the_amplification_pass_is_refused_before_it_builds_the_output() -> None:
    template = compile_template({f"k{index}.$": "$" for index in range(FIELDS)}, "/States/Amplify/Parameters")
    data = input_of_200_kb()
    growth, raised = peak_growth(lambda: apply_template(template, scope(data)))
    assert isinstance(raised, StatesError)
    assert (raised.error, raised.cause) == (errors.DATA_LIMIT_EXCEEDED, LIMIT_MESSAGE)
    assert growth < 50 * 1024 * 1024


def test_an_amplifying_intrinsic_field_is_refused_in_bounded_memory() -> None:
    template = compile_template({f"k{index}.$": "States.JsonToString($)" for index in range(FIELDS)}, "/P")
    data = input_of_200_kb()
    growth, raised = peak_growth(lambda: apply_template(template, scope(data)))
    assert isinstance(raised, StatesError) and raised.error == errors.DATA_LIMIT_EXCEEDED
    assert growth < 50 * 1024 * 1024


def test_an_amplifying_jsonata_output_is_refused_in_bounded_memory() -> None:
    output = {f"k{index}": "{% $states.input %}" for index in range(FIELDS)}
    query = compile_query(output, "/States/Amplify/Output")
    data = input_of_200_kb()
    growth, raised = peak_growth(
        lambda: query.evaluate(scope(data), "Output", {"input": data}, Budget.for_output(scope(data))))
    assert isinstance(raised, StatesError)
    assert (raised.error, raised.cause) == (errors.DATA_LIMIT_EXCEEDED, LIMIT_MESSAGE)
    assert growth < 50 * 1024 * 1024


def test_the_amplification_pass_fails_the_execution_with_data_limit_exceeded() -> None:
    definition = {"StartAt": "Amplify", "States": {"Amplify": {
        "Type": "Pass", "Parameters": {f"k{index}.$": "$" for index in range(FIELDS)}, "End": True}}}
    result = Harness().run(definition, input_of_200_kb())
    assert (result.error, result.cause) == (errors.DATA_LIMIT_EXCEEDED, LIMIT_MESSAGE)
    assert result.event_types == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]


def test_the_exact_check_still_defines_the_boundary_of_a_state_output() -> None:
    """Escaped characters count once in the estimate: near the boundary only the exact check decides."""
    definition = {"StartAt": "Amplify", "States": {"Amplify": {
        "Type": "Pass", "Parameters": {"v.$": "$.s", "w.$": "$.s"}, "End": True}}}
    most = (MAX_PAYLOAD_BYTES - len('{"v":"","w":""}')) // 4
    fits = Harness().run(definition, {"s": "\"" * most})
    assert fits.error is None and exact_size(fits.output) <= MAX_PAYLOAD_BYTES
    too_big = Harness().run(definition, {"s": "\"" * (most + 1)})
    assert (too_big.error, too_big.cause) == (errors.DATA_LIMIT_EXCEEDED, LIMIT_MESSAGE)


def test_one_jsonata_expression_repeating_its_input_is_refused_in_bounded_memory() -> None:
    """The library returns 2,000 references to one input; turning them into JSON must not copy each."""
    query = compile_query("{% $map([1..2000], function($i) { $states.input }) %}", "/States/Amplify/Output")
    data = input_of_200_kb()
    growth, raised = peak_growth(
        lambda: query.evaluate(scope(data), "Output", {"input": data}, Budget.for_output(scope(data))))
    assert isinstance(raised, StatesError)
    assert raised.error in (errors.DATA_LIMIT_EXCEEDED, errors.QUERY_EVALUATION_ERROR)
    assert growth < 50 * 1024 * 1024


def test_the_repeating_expression_fails_its_execution_with_data_limit_exceeded() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "Amplify", "States": {"Amplify": {
        "Type": "Pass", "Output": "{% $map([1..2000], function($i) { $states.input }) %}", "End": True}}}
    result = Harness().run(definition, input_of_200_kb())
    assert (result.error, result.cause) == (errors.DATA_LIMIT_EXCEEDED, LIMIT_MESSAGE)


def test_nested_intrinsic_calls_repeating_the_input_are_refused_in_bounded_memory() -> None:
    text = "States.Array(" + ", ".join(["States.JsonToString($)"] * 2000) + ")"
    template = compile_template({"a.$": text}, "/States/Amplify/Parameters")
    data = input_of_200_kb()
    growth, raised = peak_growth(lambda: apply_template(template, scope(data)))
    assert isinstance(raised, StatesError) and raised.error == errors.INTRINSIC_FAILURE
    assert "larger than 1048576 bytes" in raised.cause
    assert growth < 50 * 1024 * 1024


def test_a_nested_call_that_makes_a_large_value_and_consumes_it_is_not_refused() -> None:
    counting = "States.ArrayLength(States.StringToJson(States.JsonToString($.items)))"  # 200 KB made, then counted
    template = compile_template({f"n{n}.$": counting for n in range(8)}, "/States/Count/Parameters")
    assert apply_template(template, scope(input_of_200_kb())) == {f"n{n}": 4_600 for n in range(8)}


@pytest.mark.parametrize("language", ["JSONPath", "JSONata"])
def test_an_amplifying_assign_is_refused_in_bounded_memory(language: str) -> None:
    fields = ({f"k{index}.$": "$" for index in range(FIELDS)} if language == "JSONPath"
              else {f"k{index}": "{% $states.input %}" for index in range(FIELDS)})
    definition = {"QueryLanguage": language, "StartAt": "Amplify", "States": {"Amplify": {
        "Type": "Pass", "Assign": fields, "End": True}}}
    harness, data = Harness(), input_of_200_kb()
    growth, raised = peak_growth(lambda: harness.run(definition, data))
    assert raised is None
    result = harness.run(definition, data)
    assert (result.error, result.cause) == (errors.DATA_LIMIT_EXCEEDED, (
        "The variables assigned by the state have a combined size exceeding the maximum number of bytes service "
        "limit."))
    assert growth < 50 * 1024 * 1024
