"""Positions of JSON pointers in JSON and YAML text."""

from __future__ import annotations

import pytest

from stepforge.asl.validation.positions import Positions, json_positions, yaml_positions

TEXT = '{\n  "StartAt": "A",\n  "States": {\n    "A/b": {"Type": "Pass", "End": true},\n    "L": [1, {"x": null}]\n  }\n}'


@pytest.mark.parametrize(("pointer", "place"), [
    ("", (1, 1)),
    ("/StartAt", (2, 3)),
    ("/States", (3, 3)),
    ("/States/A~1b", (4, 5)),
    ("/States/A~1b/End", (4, 29)),
    ("/States/L/0", (5, 11)),
    ("/States/L/1/x", (5, 15)),
])
def test_json_pointer_lands_on_the_key_or_value(pointer: str, place: tuple[int, int]) -> None:
    assert json_positions(TEXT).locate(pointer) == place


def test_a_missing_pointer_falls_back_to_its_nearest_ancestor() -> None:
    positions = json_positions(TEXT)
    assert positions.locate("/States/A~1b/Next") == (4, 5)
    assert positions.locate("/Nope/deeper") == (1, 1)
    assert positions.locate(None) == (1, 1) and positions.locate("/") == (1, 1)


def test_duplicate_keys_are_reported() -> None:
    found = json_positions('{"States": {"A": 1, "A": 2}, "x": {"k": 1, "k": 2}}')
    assert found.duplicates == ["/States/A", "/x/k"]


@pytest.mark.parametrize("broken", ["", "{", '{"a": [1, 2', '{"a" 1}', "[[[[[[", '"unterminated', "nul"])
def test_broken_json_never_raises(broken: str) -> None:
    assert isinstance(json_positions(broken), Positions)


def test_deep_nesting_needs_no_recursion() -> None:
    text = "[" * 5000 + "]" * 5000
    assert json_positions(text).locate("/0" * 4999) == (1, 5000)


def test_yaml_positions_use_node_marks() -> None:
    text = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n  B: [1, 2]\n"
    positions = yaml_positions(text)
    assert positions.locate("/States/A/Type") == (4, 5)
    assert positions.locate("/States/B/1") == (6, 10)
    assert yaml_positions("a: [").places == {}
