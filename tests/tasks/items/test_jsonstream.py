"""The streamed JSON array reader: the same items whatever the chunk boundaries."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from stepforge.tasks.items import jsonstream
from stepforge.tasks.items.errors import ItemsError

DOCUMENT: list[Any] = [1, -2.5e3, "a,]}\"\\", True, None, {"k": [1, {"x": "}"}]}, [], {}, 12345678901234567890]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_elements_are_the_same_whatever_the_chunk_size(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonstream, "_CHUNK", chunk)
    text = json.dumps(DOCUMENT, indent=2)
    assert list(jsonstream.elements(io.StringIO(text))) == DOCUMENT


@pytest.mark.parametrize("chunk", [1, 5, 64])
def test_a_pointer_walks_members_and_elements(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonstream, "_CHUNK", chunk)
    text = json.dumps({"a/b": [0, {"x": ["skip"], "rows": DOCUMENT}], "z": 1})
    assert list(jsonstream.elements(io.StringIO(text), "/a~1b/1/rows")) == DOCUMENT


@pytest.mark.parametrize(("text", "pointer", "cause"), [
    ('{"a": 1}', "", jsonstream.NOT_ITERABLE),
    ('{"a": 1}', "/b", "The ItemsPointer '/b' does not refer to a value of the document."),
    ('{"a": 1}', "/a", jsonstream.NOT_ITERABLE),
    ("[1, 2", "", "Malformed JSON: expected ','"),
    ("[1 2]", "", "Malformed JSON: expected ','"),
])
def test_what_is_not_an_array_is_an_item_reader_error(text: str, pointer: str, cause: str) -> None:
    with pytest.raises(ItemsError) as raised:
        list(jsonstream.elements(io.StringIO(text), pointer))
    assert raised.value.cause.startswith(cause)
