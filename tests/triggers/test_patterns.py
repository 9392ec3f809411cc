"""EventBridge event patterns: each matcher as AWS documents it, and properties that hold for any event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stepforge.triggers.patterns import PatternError, matches, parse

EVENT: dict[str, Any] = {
    "source": "com.shop.orders", "detail-type": "Order Placed", "account": "000000000000",
    "detail": {"state": "running", "price": 42.5, "count": 3, "items": ["book", "pen"], "paid": True,
               "note": None, "file": "photos/cat.PNG", "ip": "10.0.0.7", "nested": {"level": "deep"}},
}

CASES = [
    ({"source": ["com.shop.orders"]}, True),
    ({"source": ["com.shop.other", "com.shop.orders"]}, True),
    ({"source": ["com.shop"]}, False),
    ({"detail": {"state": ["running"]}}, True),
    ({"detail": {"state": ["stopped"]}}, False),
    ({"detail": {"price": [42.5]}, "source": ["com.shop.orders"]}, True),
    ({"detail": {"count": [3.0]}}, True),  # numbers compare as numbers
    ({"detail": {"count": ["3"]}}, False),  # but a string is not a number
    ({"detail": {"paid": [True]}}, True),
    ({"detail": {"note": [None]}}, True),
    ({"detail": {"items": ["pen"]}}, True),  # an array field matches when one element does
    ({"detail": {"state": [{"prefix": "run"}]}}, True),
    ({"detail": {"state": [{"prefix": "RUN"}]}}, False),
    ({"detail": {"state": [{"prefix": {"equals-ignore-case": "RUN"}}]}}, True),
    ({"detail": {"file": [{"suffix": ".png"}]}}, False),
    ({"detail": {"file": [{"suffix": {"equals-ignore-case": ".png"}}]}}, True),
    ({"detail": {"state": [{"equals-ignore-case": "RUNNING"}]}}, True),
    ({"detail": {"file": [{"wildcard": "photos/*.PNG"}]}}, True),
    ({"detail": {"file": [{"wildcard": "*/dog*"}]}}, False),
    ({"detail": {"state": [{"anything-but": "stopped"}]}}, True),
    ({"detail": {"state": [{"anything-but": ["running", "pending"]}]}}, False),
    ({"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}, False),
    ({"detail": {"missing": [{"anything-but": "x"}]}}, False),  # anything-but needs the field
    ({"detail": {"price": [{"numeric": [">", 0, "<=", 42.5]}]}}, True),
    ({"detail": {"price": [{"numeric": ["<", 10]}]}}, False),
    ({"detail": {"price": [{"numeric": ["=", 42.5]}]}}, True),
    ({"detail": {"state": [{"numeric": [">", 0]}]}}, False),
    ({"detail": {"state": [{"exists": True}]}}, True),
    ({"detail": {"missing": [{"exists": False}]}}, True),
    ({"detail": {"missing": [{"exists": True}]}}, False),
    ({"detail": {"nested": [{"exists": True}]}}, False),  # exists looks at leaves only
    ({"detail": {"nested": {"level": ["deep"]}}}, True),
    ({"detail": {"$or": [{"state": ["stopped"]}, {"count": [{"numeric": [">", 2]}]}]}}, True),
    ({"$or": [{"source": ["x"]}, {"detail-type": ["y"]}]}, False),
    ({"detail": {"state": ["running"], "count": [4]}}, False),  # every field must match
]


@pytest.mark.parametrize(("pattern", "expected"), CASES, ids=[json.dumps(c[0])[:70] for c in CASES])
def test_pattern_matches_as_eventbridge_does(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(parse(json.dumps(pattern)), EVENT) is expected


@pytest.mark.parametrize("text", [
    "[]", "{}", "not json", '{"source": "x"}', '{"source": []}', '{"source": [{"bogus": 1}]}',
    '{"source": [{"prefix": 1}]}', '{"detail": {"n": [{"numeric": [">", "a"]}]}}',
    '{"detail": {"n": [{"numeric": ["!", 1]}]}}', '{"$or": [{"a": ["b"]}]}', '{"a": [{"exists": "yes"}]}',
    '{"a": [{"anything-but": {"numeric": [">", 1]}}]}', '{"a": [["nested"]]}',
])
def test_malformed_patterns_are_refused(text: str) -> None:
    with pytest.raises(PatternError):
        parse(text)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=8))


@given(st.dictionaries(st.text(min_size=1, max_size=5), scalars, min_size=1, max_size=5))
def test_an_event_matches_the_pattern_of_its_own_values(event: dict[str, Any]) -> None:
    pattern = {key: [value] for key, value in event.items()}
    assert matches(pattern, event)


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=8), min_size=1, max_size=5),
       st.text(max_size=8))
def test_anything_but_is_the_opposite_of_an_exact_match(event: dict[str, Any], value: str) -> None:
    key = next(iter(event))
    exact = matches({key: [value]}, event)
    assert matches({key: [{"anything-but": value}]}, event) is not exact


@given(st.text(max_size=12), st.text(max_size=4))
def test_prefix_and_a_trailing_wildcard_agree(value: str, prefix: str) -> None:
    star_free = prefix.replace("*", "").replace("\\", "")
    event = {"k": value}
    assert matches({"k": [{"prefix": star_free}]}, event) is matches({"k": [{"wildcard": star_free + "*"}]}, event)
