"""Choice rules (JSONPath): AWS's matching semantics, runtime failures and compile-time checks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepforge.asl import errors
from stepforge.asl.compilation.choice import (
    ChoiceRule,
    Wildcard,
    choose,
    compile_choice_rules,
    parse_timestamp,
)
from stepforge.asl.errors import DefinitionError, StatesError
from stepforge.asl.scope import Scope

AT = "/States/Check/Choices"


def compile_one(**fields: Any) -> ChoiceRule:
    return compile_choice_rules([{**fields, "Next": "Yes"}], AT)[0]


def holds(fields: dict[str, Any], value: Any, **extra: Any) -> bool:
    """Whether ``{"Variable": "$.v", **fields}`` matches the input ``{"v": value, **extra}``."""
    rule = compile_one(Variable="$.v", **fields)
    return rule.matches(Scope(input={"v": value, **extra}))


# The value grid AWS was probed with; each Is* column lists the values for which the test is true.
GRID: list[Any] = [
    None, "", " ", "HelloWorld", "2012-10-09T19:00:55", "2012-10-09T19:00:55Z",
    "2012-10-09T19:00:55+01:00", "2023-02-24", [], [""], {}, {"A": 0}, True, False, 0, 0.0, 1, 1.1,
]  # fmt: skip
IS_TRUE_FOR: dict[str, list[Any]] = {
    "IsNull": [None],
    "IsString": [v for v in GRID if isinstance(v, str)],
    "IsBoolean": [True, False],
    "IsNumeric": [0, 0.0, 1, 1.1],
    "IsTimestamp": ["2012-10-09T19:00:55Z", "2012-10-09T19:00:55+01:00"],
    "IsPresent": GRID,
}


@pytest.mark.parametrize("op", sorted(IS_TRUE_FOR))
@pytest.mark.parametrize("index", range(len(GRID)))
@pytest.mark.parametrize("expected", [True, False])
def test_type_tests_over_the_value_grid(op: str, index: int, expected: bool) -> None:
    value = GRID[index]
    is_type = any(value is v or (type(value) is type(v) and value == v) for v in IS_TRUE_FOR[op])
    assert holds({op: expected}, value) is (is_type == expected)


@pytest.mark.parametrize(
    ("value", "operand", "expected"),
    [
        (True, True, True), (False, False, True), (True, False, False), (False, True, False),
        (1, True, False), (0, False, False), (0.0, False, False), ("true", True, False),
        ("", False, False), (None, False, False), ([], False, False), ({}, False, False),
    ],
)  # fmt: skip
def test_boolean_equals_only_matches_booleans(value: Any, operand: bool, expected: bool) -> None:
    assert holds({"BooleanEquals": operand}, value) is expected
    assert holds({"BooleanEqualsPath": "$.w"}, value, w=operand) is expected


@pytest.mark.parametrize(
    ("op", "value", "operand", "expected"),
    [
        ("NumericEquals", 1, 1, True),
        ("NumericEquals", 1, 1.0, True),
        ("NumericEquals", 0.0, 0, True),
        ("NumericEquals", 2.22, 2.22, True),
        ("NumericEquals", 1.1, 1, False),
        ("NumericEquals", True, 1, False),
        ("NumericEquals", False, 0, False),
        ("NumericEquals", "1", 1, False),
        ("NumericEquals", None, 0, False),
        ("NumericEquals", [1], 1, False),
        ("NumericEquals", {"A": 0}, 0, False),
        ("NumericLessThan", 0, 1, True),
        ("NumericLessThan", 1, 1, False),
        ("NumericLessThan", -0.5, 0, True),
        ("NumericGreaterThan", 1, 0, True),
        ("NumericGreaterThan", 0.0, 0, False),
        ("NumericLessThanEquals", 1, 1.0, True),
        ("NumericLessThanEquals", 1, 0, False),
        ("NumericGreaterThanEquals", 0.0, 0, True),
        ("NumericGreaterThanEquals", 0, 1, False),
        ("NumericGreaterThanEquals", "5", 1, False),
        ("NumericGreaterThan", 10**20, 1e19, True),
    ],
)
def test_numeric_operators(op: str, value: Any, operand: Any, expected: bool) -> None:
    assert holds({op: operand}, value) is expected
    assert holds({op + "Path": "$.w"}, value, w=operand) is expected


@pytest.mark.parametrize(
    ("op", "value", "operand", "expected"),
    [
        ("StringEquals", "Hello", "Hello", True),
        ("StringEquals", " ", "     ", False),
        ("StringEquals", "\t\n", "\t\r\n", False),
        ("StringEquals", "hello", "Hello", False),
        ("StringEquals", 0, "0", False),
        ("StringEquals", None, "null", False),
        ("StringEquals", True, "true", False),
        ("StringEquals", [""], "", False),
        ("StringLessThan", "A", "AB", True),
        ("StringLessThan", "", "", False),
        ("StringLessThan", "AB", "A", False),
        ("StringLessThan", "B", "a", True),
        ("StringLessThanEquals", "", "", True),
        ("StringLessThanEquals", "AB", "A", False),
        ("StringGreaterThan", "A", "A ", False),
        ("StringGreaterThan", "A", "A\t\n\r", False),
        ("StringGreaterThan", "AB", "ABC", False),
        ("StringGreaterThan", "b", "a", True),
        ("StringGreaterThanEquals", "AB", "A", True),
        ("StringGreaterThanEquals", "A", "AB", False),
        ("StringGreaterThanEquals", 5, "", False),
        # Java compares UTF-16 code units: U+FFFF sorts after the surrogate pair of U+1F600.
        ("StringLessThan", "\U0001f600", "\uffff", True),
        ("StringGreaterThan", "\uffff", "\U0001f600", True),
        ("StringLessThan", "\uffff", "\U0001f600", False),
    ],
)
def test_string_operators(op: str, value: Any, operand: str, expected: bool) -> None:
    assert holds({op: operand}, value) is expected
    assert holds({op + "Path": "$.w"}, value, w=operand) is expected


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("foo*.log", "foo23.log", True),
        ("*.log", "zebra.log", True),
        ("foo*.*", "foobar.zebra", True),
        ("foo*.log", "foo.log", True),
        ("foo*.log", "foo.logs", False),
        ("*", "", True),
        ("", "", True),
        ("abc", "ABC", False),
        ("a.c", "abc", False),
        ("a?c", "abc", False),
        ("[ab]", "a", False),
        ("line*", "line1\nline2", True),
        ("\\*", "*", True),
        ("\\*", "x", False),
        ("a\\*b*", "a*bcd", True),
        ("a\\*b*", "axbcd", False),
        ("a\\\\b", "a\\b", True),
        ("a\\\\*", "a\\anything", True),
        ("*", 5, False),
        ("*", None, False),
    ],
)
def test_string_matches_wildcards_and_escapes(pattern: str, value: Any, expected: bool) -> None:
    assert holds({"StringMatches": pattern}, value) is expected


def test_string_matches_does_not_backtrack() -> None:
    # A backtracking regex (.*a.*a...b) tries some n**8 splits of 5,000 characters; the matcher does not backtrack.
    assert holds({"StringMatches": "*a*a*a*a*a*a*a*b"}, "a" * 5000) is False
    assert holds({"StringMatches": "*a*a*a*a*a*a*a*b"}, "a" * 5000 + "b") is True


def regex_translation(pattern: str) -> re.Pattern[str]:
    """The translation StringMatches used before the wildcard matcher: the reference semantics."""
    pieces = {"*": ".*", "\\*": re.escape("*"), "\\\\": re.escape("\\")}
    tokens = re.split(r"(\\[\\*]|\*)", pattern)
    return re.compile("".join(pieces.get(token, re.escape(token)) for token in tokens), re.DOTALL)


@settings(max_examples=400, deadline=None)
@given(pattern=st.text(alphabet="ab*\\", max_size=8), value=st.text(alphabet="ab*\\\n", max_size=10))
def test_wildcard_matches_exactly_as_the_regex_translation(pattern: str, value: str) -> None:
    expected = regex_translation(pattern).fullmatch(value) is not None
    assert Wildcard.parse(pattern).fullmatch(value) is expected


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2012-10-09T19:00:55Z", True),
        ("2012-10-09T19:00:55+01:00", True),
        ("2012-10-09T19:00:55-07:30", True),
        ("2012-10-09T19:00:55.123Z", True),
        ("2012-10-09T19:00:55.123456789+00:00", True),
        ("2012-10-09T19:00:55", False),
        ("2023-02-24", False),
        ("2023-02-24 12:15:56.832957", False),
        ("2012-10-09t19:00:55Z", False),
        ("2012-10-09T19:00:55z", False),
        ("2012-10-09T19:00:55+0100", False),
        ("2012-10-09T19:00Z", False),
        ("2012-02-30T00:00:00Z", False),
        ("2012-10-09T24:00:00Z", False),
        ("2012-10-09T19:00:55+01:60", False),
        ("2012-10-09T19:00:55Z ", False),
        ("", False),
        (1349809255, False),
        (None, False),
    ],
)
def test_what_counts_as_a_timestamp(text: Any, valid: bool) -> None:
    assert (parse_timestamp(text) is not None) is valid
    assert holds({"IsTimestamp": True}, text) is valid
    assert holds({"TimestampGreaterThanEquals": "1970-01-01T00:00:00Z"}, text) is valid


@pytest.mark.parametrize(
    ("op", "value", "operand", "expected"),
    [
        ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
        ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:56Z", False),
        ("TimestampEquals", "2012-10-09T20:00:55+01:00", "2012-10-09T19:00:55Z", True),
        ("TimestampEquals", "2012-10-09T19:00:55.500Z", "2012-10-09T19:00:55.5Z", True),
        ("TimestampEquals", "2012-10-09T19:00:55.000000001Z", "2012-10-09T19:00:55Z", False),
        ("TimestampEquals", "2012-10-09T19:00:55", "2012-10-09T19:00:55Z", False),
        ("TimestampEquals", 0, "2012-10-09T19:00:55Z", False),
        ("TimestampLessThan", "2012-10-09T19:00:55Z", "2012-10-09T19:00:56Z", True),
        ("TimestampLessThan", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", False),
        ("TimestampLessThan", "2012-10-09T19:00:55.1Z", "2012-10-09T19:00:55.25Z", True),
        ("TimestampLessThan", "2012-10-09T23:00:00-05:00", "2012-10-10T03:00:00Z", False),
        ("TimestampGreaterThan", "2012-10-09T19:00:56Z", "2012-10-09T19:00:55Z", True),
        ("TimestampGreaterThan", "2012-10-09T19:00:55Z", "2012-10-09T19:00:56Z", False),
        ("TimestampLessThanEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
        ("TimestampLessThanEquals", "2012-10-09T19:00:56Z", "2012-10-09T19:00:55Z", False),
        ("TimestampGreaterThanEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
        ("TimestampGreaterThanEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:56Z", False),
    ],
)
def test_timestamp_operators_compare_instants(op: str, value: Any, operand: str, expected: bool) -> None:
    assert holds({op: operand}, value) is expected
    assert holds({op + "Path": "$.w"}, value, w=operand) is expected


@pytest.mark.parametrize(
    ("op", "operand"),
    [
        ("NumericEqualsPath", "1"),
        ("NumericLessThanPath", None),
        ("StringEqualsPath", 1),
        ("StringGreaterThanPath", ["a"]),
        ("BooleanEqualsPath", "true"),
        ("TimestampEqualsPath", "2012-10-09T19:00:55"),
        ("TimestampLessThanPath", 5),
    ],
)
def test_path_operand_of_the_wrong_type_does_not_match(op: str, operand: Any) -> None:
    value = {"Numeric": 1, "String": "a", "Boolean": True, "Timestamp": "2012-10-09T19:00:55Z"}
    kind = next(k for k in value if op.startswith(k))
    assert holds({op: "$.w"}, value[kind], w=operand) is False


MISSING_MESSAGE = "Invalid path '{}': The choice state's condition path references an invalid value."


@pytest.mark.parametrize(
    "fields",
    [
        {"NumericEquals": 1},
        {"StringEquals": "a"},
        {"StringMatches": "*"},
        {"BooleanEquals": True},
        {"TimestampEquals": "2012-10-09T19:00:55Z"},
        {"StringLessThanPath": "$.v"},
        {"IsNull": False},
        {"IsString": False},
        {"IsNumeric": False},
        {"IsBoolean": False},
        {"IsTimestamp": False},
    ],
)
def test_missing_variable_fails_with_runtime_error(fields: dict[str, Any]) -> None:
    rule = compile_one(Variable="$.missing", **fields)
    with pytest.raises(StatesError) as caught:
        rule.matches(Scope(input={"v": "a"}))
    assert caught.value.error == errors.RUNTIME
    assert caught.value.cause == MISSING_MESSAGE.format("$.missing")


def test_missing_path_operand_fails_with_runtime_error() -> None:
    rule = compile_one(Variable="$.v", NumericEqualsPath="$.nope")
    with pytest.raises(StatesError) as caught:
        rule.matches(Scope(input={"v": 1}))
    assert (caught.value.error, caught.value.cause) == (errors.RUNTIME, MISSING_MESSAGE.format("$.nope"))


@pytest.mark.parametrize(
    ("doc", "expected"),
    [({"v": 1}, True), ({"v": None}, True), ({}, False), ({"w": {"v": 1}}, False), ([], False)],
)
def test_is_present_never_fails(doc: Any, expected: bool) -> None:
    assert compile_one(Variable="$.v", IsPresent=True).matches(Scope(input=doc)) is expected
    assert compile_one(Variable="$.v", IsPresent=False).matches(Scope(input=doc)) is not expected


def test_variable_reads_context_and_variables() -> None:
    scope = Scope(input={"n": 3}, context={"State": {"Name": "Check"}}, variables={"limit": 5})
    assert compile_one(Variable="$$.State.Name", StringEquals="Check").matches(scope)
    assert compile_one(Variable="$limit", NumericGreaterThanPath="$.n").matches(scope)
    assert compile_one(Variable="$.n", NumericLessThanPath="$limit").matches(scope)
    assert compile_one(Variable="$", IsPresent=True).matches(scope)
    assert not compile_one(Variable="$unset", IsPresent=True).matches(scope)


def leaf(value: Any) -> dict[str, Any]:
    return {"Variable": "$.v", "NumericEquals": value}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"And": [leaf(1)]}, True),
        ({"And": [leaf(1), leaf(2)]}, False),
        ({"Or": [leaf(2), leaf(1)]}, True),
        ({"Or": [leaf(2), leaf(3)]}, False),
        ({"Not": leaf(2)}, True),
        ({"Not": {"Not": leaf(1)}}, True),
        ({"And": [{"Or": [leaf(5), {"Not": leaf(7)}]}, {"Not": {"And": [leaf(1), leaf(9)]}}]}, True),
        ({"Not": {"Or": [{"And": [leaf(1), {"Not": leaf(1)}]}, leaf(0)]}}, True),
        # Evaluation stops early, so a missing path after the deciding rule is never read.
        ({"Or": [leaf(1), {"Variable": "$.missing", "IsNull": True}]}, True),
        ({"And": [leaf(2), {"Variable": "$.missing", "IsNull": True}]}, False),
    ],
)
def test_nested_combinators(fields: dict[str, Any], expected: bool) -> None:
    assert compile_one(**fields).matches(Scope(input={"v": 1})) is expected


def test_aws_docs_scenario_and_choose() -> None:
    rules = compile_choice_rules(
        [
            {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
            {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
            {
                "And": [
                    {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                    {"Variable": "$.value", "NumericLessThan": 30},
                ],
                "Next": "ValueInTwenties",
            },
        ],
        AT,
    )
    assert choose(rules, Scope(input={"type": "Private", "value": 22})) == "ValueInTwenties"
    assert choose(rules, Scope(input={"type": "Private", "value": 0})) == "ValueIsZero"
    assert choose(rules, Scope(input={"type": "Public", "value": 0})) == "Public"
    assert choose(rules, Scope(input={"type": "Private", "value": 40})) is None


def test_first_matching_rule_wins_and_assign_is_kept() -> None:
    rules = compile_choice_rules(
        [
            {"Variable": "$.v", "IsPresent": True, "Next": "First", "Assign": {"x": 1}, "Comment": "c"},
            {"Variable": "$.v", "IsPresent": True, "Next": "Second"},
        ],
        AT,
    )
    assert choose(rules, Scope(input={"v": 0})) == "First"
    assert rules[0].assign == {"x": 1}
    assert rules[1].assign is None


@pytest.mark.parametrize(
    ("choices", "pointer"),
    [
        ([], AT),
        ("rules", AT),
        (["rule"], f"{AT}/0"),
        ([{"Variable": "$.v", "Next": "A"}], f"{AT}/0"),
        ([{"Variable": "$.v", "StringEquals": "a", "NumericEquals": 1, "Next": "A"}], f"{AT}/0"),
        ([{"Variable": "$.v", "StringContains": "a", "Next": "A"}], f"{AT}/0/StringContains"),
        ([{"Variable": "$.v", "StringMatchesPath": "$.w", "Next": "A"}], f"{AT}/0/StringMatchesPath"),
        ([{"Variable": "$.v", "StringEquals": 1, "Next": "A"}], f"{AT}/0/StringEquals"),
        ([{"Variable": "$.v", "StringLessThan": None, "Next": "A"}], f"{AT}/0/StringLessThan"),
        ([{"Variable": "$.v", "StringMatches": 1, "Next": "A"}], f"{AT}/0/StringMatches"),
        ([{"Variable": "$.v", "NumericEquals": "1", "Next": "A"}], f"{AT}/0/NumericEquals"),
        ([{"Variable": "$.v", "NumericLessThan": True, "Next": "A"}], f"{AT}/0/NumericLessThan"),
        ([{"Variable": "$.v", "BooleanEquals": "true", "Next": "A"}], f"{AT}/0/BooleanEquals"),
        ([{"Variable": "$.v", "BooleanEquals": 1, "Next": "A"}], f"{AT}/0/BooleanEquals"),
        ([{"Variable": "$.v", "IsNull": "yes", "Next": "A"}], f"{AT}/0/IsNull"),
        ([{"Variable": "$.v", "IsPresent": 1, "Next": "A"}], f"{AT}/0/IsPresent"),
        ([{"Variable": "$.v", "TimestampEquals": "2012-10-09", "Next": "A"}], f"{AT}/0/TimestampEquals"),
        ([{"Variable": "$.v", "TimestampLessThan": 0, "Next": "A"}], f"{AT}/0/TimestampLessThan"),
        ([{"Variable": "$.v", "NumericEqualsPath": "v", "Next": "A"}], f"{AT}/0/NumericEqualsPath"),
        ([{"Variable": "$.v", "StringEqualsPath": 3, "Next": "A"}], f"{AT}/0/StringEqualsPath"),
        ([{"Variable": "v", "IsNull": True, "Next": "A"}], f"{AT}/0/Variable"),
        ([{"Variable": 1, "IsNull": True, "Next": "A"}], f"{AT}/0/Variable"),
        ([{"IsNull": True, "Next": "A"}], f"{AT}/0/Variable"),
        ([{"Variable": "$.v", "IsNull": True}], f"{AT}/0/Next"),
        ([{"Variable": "$.v", "IsNull": True, "Next": 3}], f"{AT}/0/Next"),
        ([{"And": [{"Variable": "$.v", "IsNull": True, "Next": "A"}], "Next": "A"}], f"{AT}/0/And/0/Next"),
        ([{"Not": {"Variable": "$.v", "IsNull": True, "Assign": {}}, "Next": "A"}], f"{AT}/0/Not/Assign"),
        ([{"And": [], "Next": "A"}], f"{AT}/0/And"),
        ([{"Or": {}, "Next": "A"}], f"{AT}/0/Or"),
        ([{"Not": [], "Next": "A"}], f"{AT}/0/Not"),
        ([{"Not": "x", "Next": "A"}], f"{AT}/0/Not"),
        ([{"And": [{"Variable": "$.v"}], "Next": "A"}], f"{AT}/0/And/0"),
        (
            [{"And": [{"Variable": "$.v", "IsNull": True}], "Variable": "$.v", "Next": "A"}],
            f"{AT}/0/Variable",
        ),
        ([{"Or": [{"Not": {"Variable": "$.v", "IsNull": 0}}], "Next": "A"}], f"{AT}/0/Or/0/Not/IsNull"),
        ([{"Variable": "$.v", "IsNull": True, "Next": "A"}, {"Next": "B"}], f"{AT}/1"),
    ],
)
def test_definition_errors_carry_the_pointer(choices: Any, pointer: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_choice_rules(choices, AT)
    assert caught.value.path == pointer
