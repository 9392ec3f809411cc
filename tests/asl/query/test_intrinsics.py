"""Intrinsic functions: parsing, the 18 functions, and AWS's runtime errors."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from stepforge.asl import errors
from stepforge.asl.errors import DefinitionError, StatesError
from stepforge.asl.query.intrinsics import (
    Call,
    FormatString,
    Literal,
    PathArgument,
    compact_json,
    compile_intrinsic,
    java_double,
)
from stepforge.asl.scope import Scope


def run(text: str, data: Any = None, context: dict[str, Any] | None = None, seed: int = 7) -> Any:
    return compile_intrinsic(text).evaluate(Scope(data, context or {}, {}, random.Random(seed)))


def failure(text: str, data: Any = None) -> StatesError:
    with pytest.raises(StatesError) as caught:
        run(text, data)
    return caught.value


# --- parsing --------------------------------------------------------------------------------------


def test_parses_to_an_immutable_typed_tree() -> None:
    tree = compile_intrinsic("States.Format('Hello {} {}', $.a, States.ArrayLength($.b))").call
    assert tree.function == "States.Format"
    template, path, nested = tree.arguments
    assert template == FormatString(("Hello ", " ", ""))
    assert isinstance(path, PathArgument) and path.path.text == "$.a"
    assert isinstance(nested, Call) and nested.function == "States.ArrayLength"
    with pytest.raises(AttributeError):
        tree.function = "States.UUID"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("States.Array(1, -2, 3.5, -0.25, 1e3)", [1, -2, 3.5, -0.25, 1000.0]),
        ("States.Array(true, false, null)", [True, False, None]),
        ("States.Array('it\\'s', 'a \\{brace\\}', 'back\\\\slash')", ["it's", "a {brace}", "back\\slash"]),
        ("States.Array('a, b', 'x)y', '$.not_a_path')", ["a, b", "x)y", "$.not_a_path"]),
        ("States.Array('{}', 'say \"hi\"', '')", ["{}", 'say "hi"', ""]),
        ("  States.Array ( 1 ,\t2\n)  ", [1, 2]),
        ("States.Array()", []),
        ("States.Array(States.Array(States.Array()))", [[[]]]),
    ],
)
def test_literals_whitespace_and_nesting(text: str, value: Any) -> None:
    assert run(text) == value


@pytest.mark.parametrize(
    ("text", "data", "value"),
    [
        ("States.Array($)", {"a": 1}, [{"a": 1}]),
        ("States.Array($.a.b, $['a']['b'], $.l[1])", {"a": {"b": 2}, "l": [0, 9]}, [2, 2, 9]),
        ("States.Array($.a,$.a)", {"a": "x"}, ["x", "x"]),
    ],
)
def test_path_arguments_read_the_input(text: str, data: Any, value: Any) -> None:
    assert run(text, data) == value


def test_context_and_variable_paths() -> None:
    scope = Scope({}, {"Execution": {"Name": "run-1"}}, {"limit": {"max": 3}})
    assert compile_intrinsic("States.Array($$.Execution.Name, $limit.max)").evaluate(scope) == ["run-1", 3]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("States.Array(", "expected"),
        ("States.Array(1 2)", "expected ')'"),
        ("States.Array(1,)", "expected an argument"),
        ("States.Array(1) trailing", "expected the end"),
        ("States.Array('open)", "unterminated string"),
        ("States.Array('bad \\n escape')", "backslash"),
        ("States.Nope(1)", "unknown function 'States.Nope'"),
        ("Format('{}', 1)", "unknown function 'Format'"),
        ("$.a", "expected 'name'"),
        ("States.Array(#)", "unexpected character '#'"),
        ("States.ArrayLength()", "takes 1 argument(s), but 0 were given"),
        ("States.MathRandom(1)", "takes 2 to 3 argument(s)"),
        ("States.UUID(1)", "takes 0 argument(s)"),
        ("States.Format()", "takes at least 1 argument(s)"),
        ("States.Format('{} {}', 1)", "as many arguments"),
        ("States.Format('none', 1)", "as many arguments"),
        ("States.Format(1)", "must be a string"),
        ("States.Array(nope)", "unknown function 'nope'"),
    ],
)
def test_syntax_errors_are_definition_errors(text: str, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_intrinsic(text, path="/States/P/Parameters/x.$")
    assert message in caught.value.message
    assert caught.value.path == "/States/P/Parameters/x.$"


def test_nesting_is_limited_to_ten_calls() -> None:
    ten = "States.Array(" * 10 + ")" * 10
    assert compile_intrinsic(ten)
    with pytest.raises(DefinitionError, match="nested"):
        compile_intrinsic("States.Array(" * 11 + ")" * 11)


# --- the functions: happy paths -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "data", "value"),
    [
        ("States.Format('Hello, {}!', $.n)", {"n": "Ana"}, "Hello, Ana!"),
        ("States.Format($.t, $.n, $.n)", {"t": "{}+{}", "n": 1}, "1+1"),
        (
            "States.Format('{} {} {} {}', $.a, $.b, $.c, $.d)",
            {"a": None, "b": True, "c": 1.1, "d": 2},
            "null true 1.1 2",
        ),
        (
            "States.Format('{}', $)",
            {"Arg1": 1, "Arg2": [], "s": "x", "o": {"k": None}},
            "{Arg1=1, Arg2=[], s=x, o={k=null}}",
        ),
        ("States.Format('{}', $)", [1, "a", [True]], "[1, a, [true]]"),
        ("States.Format('\\{\\} {}', 'x')", None, "{} x"),
        ("States.StringToJson($)", '{"a": [1, 2.5]}', {"a": [1, 2.5]}),
        ("States.StringToJson($)", "  ", None),
        ("States.StringToJson($)", "-0", 0),
        ("States.JsonToString($)", {"a": [1, "b", None, 1.0], "é": True}, '{"a":[1,"b",null,1.0],"é":true}'),
        ("States.JsonToString($)", "HelloWorld", '"HelloWorld"'),
        ("States.Array($.a, 2)", {"a": {"x": 1}}, [{"x": 1}, 2]),
        ("States.ArrayPartition($, 2)", [1, 2, 3, 4, 5], [[1, 2], [3, 4], [5]]),
        ("States.ArrayPartition($, 9)", [], []),
        ("States.ArrayContains($, 2)", [1, 2], True),
        ("States.ArrayContains($, true)", [1, 0], False),
        ("States.ArrayContains($.a, $.v)", {"a": [{"1": 2, "2": []}], "v": {"2": [], "1": 2}}, True),
        ("States.ArrayRange(1, 9, 2)", None, [1, 3, 5, 7, 9]),
        ("States.ArrayRange(0, 10, 3)", None, [0, 3, 6, 9]),
        ("States.ArrayRange(5, 1, -2)", None, [5, 3, 1]),
        ("States.ArrayRange(1.4, 2.5, 1)", None, [1, 2, 3]),
        ("States.ArrayGetItem($, 1)", ["a", "b"], "b"),
        ("States.ArrayLength($)", [1, 2, 3], 3),
        (
            "States.ArrayUnique($)",
            [1, 1, True, "1", None, None, {"a": 1}, {"a": 1}],
            [1, True, "1", None, {"a": 1}],
        ),
        ("States.Base64Encode($)", "Data to encode", "RGF0YSB0byBlbmNvZGU="),
        ("States.Base64Encode('é')", None, "w6k="),
        ("States.Base64Decode($)", "RGF0YSB0byBlbmNvZGU=", "Data to encode"),
        ("States.Base64Decode('')", None, ""),
        ("States.Hash('input data', 'MD5')", None, "812f45842bc6d66ee14572ce20db8e86"),
        ("States.Hash('input data', 'SHA-1')", None, "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        (
            "States.Hash('input data', 'SHA-256')",
            None,
            "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3",
        ),
        (
            "States.JsonMerge($.a, $.b, false)",
            {"a": {"x": {"y": 1}, "k": 1}, "b": {"x": {"z": 2}}},
            {"x": {"z": 2}, "k": 1},
        ),
        ("States.MathAdd(-9, 3)", None, -6),
        ("States.MathAdd($.a, $.b)", {"a": 1.5, "b": 1.51}, 4),
        ("States.MathAdd($.a, $.b)", {"a": -1.5, "b": -2.5}, -3),
        ("States.StringSplit('1,2,,3', ',')", None, ["1", "2", "3"]),
        ("States.StringSplit('This.is+a,test=string', '.+,=')", None, ["This", "is", "a", "test", "string"]),
        ("States.StringSplit(',,,', ',')", None, []),
        ("States.StringSplit('abc', '')", None, ["abc"]),
    ],
)
def test_functions(text: str, data: Any, value: Any) -> None:
    assert run(text, data) == value


def test_hash_longer_digests() -> None:
    assert len(run("States.Hash('input data', 'SHA-384')")) == 96
    assert run("States.Hash('input data', 'SHA-512')").startswith("6ce4adb348546d4f")


def test_math_random_draws_from_the_scope_random_in_start_inclusive_end_exclusive() -> None:
    draws = {run("States.MathRandom(1, 4)", seed=seed) for seed in range(60)}
    assert draws == {1, 2, 3}
    assert run("States.MathRandom(0, 1000)", seed=3) == run("States.MathRandom(0, 1000)", seed=3)


def test_math_random_with_a_seed_is_repeatable_whatever_the_scope() -> None:
    assert run("States.MathRandom(0, 999, 3)", seed=1) == run("States.MathRandom(0, 999, 3)", seed=2)


def test_uuid_is_a_version_4_uuid_from_the_scope_random() -> None:
    value = run("States.UUID()", seed=5)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value)
    assert value == run("States.UUID()", seed=5) != run("States.UUID()", seed=6)


def test_nested_calls_compose() -> None:
    text = "States.ArrayGetItem(States.StringSplit($.n, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($.n, '-')), -1))"
    assert run(text, {"n": "a-b-c"}) == "c"


def test_evaluation_does_not_mutate_the_input() -> None:
    data = {"a": {"x": 1}, "b": {"y": 2}, "l": [3, 1, 3]}
    run(
        "States.Array(States.JsonMerge($.a, $.b, false), States.ArrayUnique($.l), States.ArrayPartition($.l, 1))",
        data,
    )
    assert data == {"a": {"x": 1}, "b": {"y": 2}, "l": [3, 1, 3]}


# --- the functions: errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "data", "detail"),
    [
        ("States.Format($.t, 1)", {"t": 5}, "argument 1 must be of type string, but was number: 5"),
        ("States.Format($.t, 1)", {"t": "{} {}"}, "does not match the number of placeholders"),
        ("States.StringToJson($)", 5, "must be of type string"),
        ("States.StringToJson($)", "{nope", "not valid JSON"),
        ("States.ArrayPartition($, 0)", [1], "greater than 0"),
        ("States.ArrayPartition($, 1.5)", [1], "must be an integer"),
        ("States.ArrayPartition('a', 1)", None, "argument 1 must be of type array, but was string"),
        ("States.ArrayContains($, 1)", {"a": 1}, "must be of type array, but was object"),
        ("States.ArrayRange(0, 10, 0)", None, "must not be 0"),
        ("States.ArrayRange(0, 1000, 1)", None, "more than 1000 items"),
        ("States.ArrayRange('1', 2, 1)", None, "must be of type number"),
        ("States.ArrayGetItem($, 3)", [1, 2, 3], "out of bounds"),
        ("States.ArrayGetItem($, -1)", [1, 2, 3], "out of bounds"),
        ("States.ArrayGetItem($, true)", [1], "must be of type number, but was boolean"),
        ("States.ArrayLength($)", "abc", "must be of type array"),
        ("States.ArrayUnique($)", None, "must be of type array, but was null"),
        ("States.Base64Encode($)", "a" * 10_001, "at most 10000 characters"),
        ("States.Base64Encode($)", 5, "must be of type string"),
        ("States.Base64Decode($)", "A" * 10_004, "at most 10000 characters"),
        ("States.Base64Decode('not base64!')", None, "not Base64"),
        ("States.Hash('x', 'SHA256')", None, "does not support 'SHA256'"),
        ("States.Hash('x', 'sha-1')", None, "does not support"),
        ("States.JsonMerge($.a, $.a, true)", {"a": {}}, "shallow merge"),
        ("States.JsonMerge($.a, $.a, false)", {"a": []}, "must be of type object"),
        ("States.JsonMerge($.a, $.a, 0)", {"a": {}}, "argument 3 must be of type boolean"),
        ("States.MathRandom(5, 5)", None, "must be less than its end"),
        ("States.MathAdd('1', 2)", None, "must be of type number, but was string"),
        ("States.MathAdd(2147483647, 1)", None, "32-bit"),
        ("States.MathAdd(2147483648, 0)", None, "32-bit"),
        ("States.StringSplit(1, ',')", None, "must be of type string"),
    ],
)
def test_bad_arguments_fail_with_intrinsic_failure(text: str, data: Any, detail: str) -> None:
    error = failure(text, data)
    assert error.error == errors.INTRINSIC_FAILURE
    assert error.located
    assert error.cause is not None
    assert error.cause.startswith(f"The function '{text}' had the following error: ")
    assert detail in error.cause


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("States.Format('{}', $.nope)", "$.nope"),
        ("States.Format('{} {}', $.other, $.a.b)", "$.a.b"),
        ("States.ArrayLength(States.Array($.nope))", "$.nope"),
        ("States.Format('{}', $$.Nope.Deep)", "$.Nope.Deep"),
    ],
)
def test_a_path_argument_that_selects_nothing_is_a_runtime_error(text: str, field: str) -> None:
    error = failure(text, {"other": 1})
    assert error.error == errors.RUNTIME
    assert error.cause == (
        f"The function '{text}' had the following error: The JsonPath argument for the field "
        f"'{field}' could not be found in the input '{{\"other\":1}}'"
    )


def test_an_explicit_null_is_not_missing() -> None:
    assert run("States.Format('{}', $.n)", {"n": None}) == "null"


# --- JSON text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.0, "1.0"), (1.1, "1.1"), (0.001, "0.001"), (1e7, "1.0E7"), (1.5e-4, "1.5E-4"), (-2.5e20, "-2.5E20")],
)
def test_doubles_are_written_as_java_does(value: float, text: str) -> None:
    assert java_double(value) == text


def test_compact_json_has_no_spaces_and_keeps_unicode() -> None:
    assert compact_json({"a": [1, {"b": None}], "c": "ü\n"}) == '{"a":[1,{"b":null}],"c":"ü\\n"}'
    assert Literal("x").evaluate(Scope(None)) == "x"
