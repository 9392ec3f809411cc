"""Variables: compiling Assign in both languages, the frames a scope reads, size limits."""

from __future__ import annotations

import pytest

from stepforge.asl import errors
from stepforge.asl.compilation.variables import (
    MAX_VARIABLE_BYTES,
    assigned_name,
    check_sizes,
    compile_assign,
    visible,
)
from stepforge.asl.errors import StatesError
from stepforge.asl.records import Frame, Run
from stepforge.asl.scope import Scope


def test_jsonpath_assign_takes_paths_intrinsics_and_literals() -> None:
    assign = compile_assign({"a.$": "$.x", "b.$": "States.Format('{}!', $v)", "c": "$.literal"}, "/A", "JSONPath")
    assert assign is not None and assign.names == {"a", "b", "c"}
    assert assign.evaluate(Scope({"x": 1}, {}, {"v": "hi"})) == {"a": 1, "b": "hi!", "c": "$.literal"}


def test_jsonata_assign_evaluates_each_value() -> None:
    assign = compile_assign({"a": "{% $states.input.x + $v %}", "b": [1, "{% 2 %}"]}, "/A", "JSONata")
    assert assign is not None
    assert assign.evaluate(Scope({"x": 1}, {}, {"v": 2})) == {"a": 3, "b": [1, 2]}


def test_an_empty_assign_assigns_nothing() -> None:
    assert compile_assign({}, "/A", "JSONPath") is None


def test_a_jsonpath_key_ending_in_dollar_assigns_the_name_before_it() -> None:
    assert assigned_name("x.$", "JSONPath") == "x"
    assert assigned_name("x.$", "JSONata") == "x.$"


def test_inner_scopes_read_the_frames_above_them() -> None:
    run = Run(frames={0: Frame(0, (), "A", None, variables={"x": 1, "y": 1}),
                      1: Frame(1, (("M", 0),), "B", None, parent=0, variables={"y": 2})})
    seen = visible(run, run.frames[1])
    assert (seen["x"], seen["y"]) == (1, 2)
    seen["z"] = 3
    assert "z" not in run.frames[0].variables


def test_variables_over_256_kib_are_refused() -> None:
    assert check_sizes({"a": [1, "x"]}) == {"a": '[1,"x"]'}
    with pytest.raises(StatesError) as caught:
        check_sizes({"big": "x" * MAX_VARIABLE_BYTES})
    assert caught.value.error == errors.DATA_LIMIT_EXCEEDED
