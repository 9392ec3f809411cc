"""A Distributed Map's ItemReader, ItemBatcher and ResultWriter, compiled once.

Each is an :class:`ItemField`: a fixed ``Resource``, its ``Parameters`` (JSONPath, a template) or
``Arguments`` (JSONata, a query), its configuration object (``ReaderConfig``, the ItemBatcher's own
fields, ``WriterConfig``; in JSONata any value may be a ``{% %}`` expression) and, in JSONPath, the
``...Path`` fields that take a number from the state input or a variable (``MaxItemsPath``,
``MaxItemsPerBatchPath``, ``MaxInputBytesPerBatchPath``). Evaluation (in the interpreter) gives a
plain JSON object; whether its values are acceptable is judged where the items are read, as AWS
does (a Map Run that fails with ``States.ItemReaderFailed``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stepforge.asl.query.fields import Query, compile_query
from stepforge.asl.query.jsonpath import JsonPath, compile_path
from stepforge.asl.query.languages import JSONATA
from stepforge.asl.query.payload import Template, compile_template

Raw = Mapping[str, Any]
Payload = Template | Query

_PATHS = {"ItemReader": ("MaxItems",), "ItemBatcher": ("MaxItemsPerBatch", "MaxInputBytesPerBatch")}
_CONFIG = {"ItemReader": "ReaderConfig", "ResultWriter": "WriterConfig"}


@dataclass(frozen=True, slots=True)
class ItemField:
    """One of ItemReader, ItemBatcher, ResultWriter as the interpreter evaluates it."""

    resource: str | None
    arguments: Payload | None
    config: Payload | None
    paths: tuple[tuple[str, JsonPath], ...] = ()


def compile_item_field(raw: Raw, key: str, language: str, at: str) -> ItemField | None:
    """The Map state's ``key`` field (ItemReader, ItemBatcher or ResultWriter), if it has one."""
    if key not in raw:
        return None
    body: Raw = raw[key]
    pointer = f"{at}/{key}"
    config_key = _CONFIG.get(key)
    config: dict[str, Any] = dict(body.get(config_key) or {}) if config_key else {
        k: v for k, v in body.items() if k not in ("Resource",)}
    paths: list[tuple[str, JsonPath]] = []
    if language != JSONATA:
        for name in _PATHS.get(key, ()):
            text = config.pop(f"{name}Path", None)
            if isinstance(text, str):
                paths.append((name, compile_path(text)))
    arguments_key = "Arguments" if language == JSONATA else "Parameters"
    return ItemField(
        resource=body.get("Resource"),
        arguments=_payload(body[arguments_key], language, f"{pointer}/{arguments_key}")
        if arguments_key in body else None,
        config=_payload(config, language, f"{pointer}/{config_key or ''}".rstrip("/")),
        paths=tuple(paths),
    )


def _payload(value: Any, language: str, pointer: str) -> Payload:
    return compile_query(value, pointer) if language == JSONATA else compile_template(value, pointer)
