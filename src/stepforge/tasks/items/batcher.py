"""From items to child inputs: ItemSelector (``shape``), then ItemBatcher, then the size limit.

:func:`child_inputs` yields ``(consumed, input_json)`` per child execution, where ``consumed`` is
how many items were used up once that child's input is complete: a Map Run records it with the
rows it commits, and a restart skips that many items and goes on (batches are cut at the same
places whatever the restarts, since a batch only ever ends with a row).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from stepforge.tasks.items.errors import MAX_ITEM_BYTES, ItemsError

Shape = Callable[[int, Any], Any]


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _positive(config: dict[str, Any], key: str, default: int) -> int:
    value = config.get(key)
    if value is None:
        return default
    if isinstance(value, str):
        value = value.strip()
        value = int(value) if value.isdigit() else value
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ItemsError(f"The ItemBatcher field {key} must be a positive integer, but was: {json.dumps(value)}")
    return value


def child_inputs(items: Iterable[Any], shape: Shape, batcher: dict[str, Any] | None,
                 skip: int = 0) -> Iterator[tuple[int, str]]:
    """The inputs of the children, in order, after the first ``skip`` items."""
    shaped = ((index + 1, shape(index, item)) for index, item in enumerate(itertools.islice(items, skip, None), skip))
    if batcher is None:
        for consumed, value in shaped:
            yield consumed, _sized(_dumps(value), consumed - 1)
        return
    yield from _batches(shaped, batcher.get("Config") or {})


def _sized(text: str, index: int) -> str:
    size = len(text.encode())
    if size > MAX_ITEM_BYTES:
        raise ItemsError(f"The item at index {index} is {size} bytes: a child execution's input is at most "
                         f"{MAX_ITEM_BYTES} bytes (256 KiB).")
    return text


def _batches(shaped: Iterator[tuple[int, Any]], config: dict[str, Any]) -> Iterator[tuple[int, str]]:
    per_batch = _positive(config, "MaxItemsPerBatch", 0 if "MaxInputBytesPerBatch" in config else 100_000_000)
    max_bytes = min(_positive(config, "MaxInputBytesPerBatch", MAX_ITEM_BYTES), MAX_ITEM_BYTES)
    head = '{"Items":['
    tail = "]" + (f',"BatchInput":{_dumps(config["BatchInput"])}' if config.get("BatchInput") is not None else "") + "}"
    empty = len(head.encode()) + len(tail.encode())
    parts: list[str] = []
    size, consumed = empty, 0
    for count, value in shaped:
        text = _dumps(value)
        grown = size + len(text.encode()) + (1 if parts else 0)
        if parts and ((per_batch and len(parts) >= per_batch) or grown > max_bytes):
            yield consumed, head + ",".join(parts) + tail
            parts, size = [], empty
            grown = size + len(text.encode())
        if grown > max_bytes:
            raise ItemsError(f"The item at index {count - 1} does not fit in a batch of at most {max_bytes} bytes "
                             "(MaxInputBytesPerBatch).")
        parts.append(text)
        size, consumed = grown, count
    if parts:
        yield consumed, head + ",".join(parts) + tail
