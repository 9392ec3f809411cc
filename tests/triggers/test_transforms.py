"""What a rule's target receives: the event, Input, InputPath, InputTransformer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepforge.triggers.transforms import TransformError, check, target_input

EVENT = {"id": "e1", "time": "2024-01-01T00:00:00Z", "source": "s", "detail": {"name": "Ada", "n": 3, "tags": ["x"]}}
RULE = "arn:aws:events:us-east-1:000000000000:rule/r"


def given(target: dict[str, Any]) -> Any:
    return json.loads(target_input({"Id": "t", **target}, EVENT, RULE, "r"))


def test_without_an_option_the_target_gets_the_whole_event() -> None:
    assert given({}) == EVENT


def test_input_is_sent_as_it_is() -> None:
    assert given({"Input": '{"fixed": 1}'}) == {"fixed": 1}


def test_input_path_selects_part_of_the_event() -> None:
    assert given({"InputPath": "$.detail.tags"}) == ["x"]


def test_input_transformer_quotes_strings_outside_quotes_and_inlines_them_inside() -> None:
    transformer = {"InputPathsMap": {"who": "$.detail.name", "n": "$.detail.n", "gone": "$.detail.nope"},
                   "InputTemplate": '{"greeting": "Hello <who>!", "who": <who>, "n": <n>, "gone": <gone>, '
                                    '"rule": "<aws.events.rule-name>", "event": <aws.events.event>}'}
    assert given({"InputTransformer": transformer}) == {
        "greeting": "Hello Ada!", "who": "Ada", "n": 3, "gone": None, "rule": "r", "event": EVENT}


@pytest.mark.parametrize("target", [
    {"Input": "{", "Id": "t"},
    {"Input": "{}", "InputPath": "$.a", "Id": "t"},
    {"InputPath": "detail", "Id": "t"},
    {"InputTransformer": {"InputPathsMap": {"a": "$.a"}}, "Id": "t"},
    {"InputTransformer": "not an object", "Id": "t"},
    {"InputTransformer": {"InputPathsMap": "no", "InputTemplate": "{}"}, "Id": "t"},
    {"InputTransformer": {"InputPathsMap": {"a": 5}, "InputTemplate": "{}"}, "Id": "t"},
    {"InputPath": 5, "Id": "t"},
])
def test_unusable_input_options_are_refused(target: dict[str, Any]) -> None:
    with pytest.raises(TransformError):
        check(target)
