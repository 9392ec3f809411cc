"""Rules for a Distributed Map's ItemReader, ItemBatcher and ResultWriter.

Each field is an object whose members are checked like a state's fields: unknown members are
refused, enumerations must name one of their values, a number and its ``...Path`` twin exclude each
other, and (in JSONata) every value may be a ``{% %}`` expression. What can only be known from the
input (MaxItemsPath's value, the object's contents) fails the Map Run when it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from stepforge.asl.query.jsonata import is_expression
from stepforge.asl.query.languages import JSONATA
from stepforge.asl.validation.fields import (
    Collector,
    Scope,
    at_key,
    check_expression,
    check_jsonata_value,
    check_object,
    check_required_path,
    check_string,
    check_template,
    integer,
    is_object,
    one_of,
)

Check = Callable[[Collector, Any, str, Scope], None]
#: The most items MaxItems may name, and the most bytes of a batch (a child execution's input).
MAX_ITEMS, MAX_BATCH_BYTES = 100_000_000, 256 * 1024


def _enum(*allowed: str) -> Check:
    plain = one_of(*allowed)

    def check(out: Collector, value: Any, at: str, scope: Scope) -> None:
        if scope.language == JSONATA and is_expression(value):
            check_expression(out, value, at, scope)
        else:
            plain(out, value, at, scope)

    return check


def _strings(out: Collector, value: Any, at: str, scope: Scope) -> None:
    if scope.language == JSONATA and is_expression(value):
        check_expression(out, value, at, scope)
    elif not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        out.error("Expected a non-empty array of strings", at)


def _payload(out: Collector, value: Any, at: str, scope: Scope) -> None:
    (check_jsonata_value if scope.language == JSONATA else check_template)(out, value, at, scope)


def _members(out: Collector, value: Any, at: str, scope: Scope, table: Mapping[str, Check],
             exclusive: tuple[tuple[str, str], ...] = ()) -> None:
    if not is_object(value):
        check_object(out, value, at, scope)
        return
    for key, member in value.items():
        check = table.get(key)
        if check is None or (scope.language == JSONATA and key.endswith("Path")):
            out.error(f'The field "{key}" is not supported by Step Functions', at_key(at, key))
        else:
            check(out, member, at_key(at, key), scope)
    for first, second in exclusive:
        if first in value and second in value:
            out.error(f"These fields cannot be used together: [{first}, {second}]", at)


_READER_CONFIG: Final[dict[str, Check]] = {
    "InputType": _enum("CSV", "JSON", "JSONL", "MANIFEST", "PARQUET"),
    "CSVHeaderLocation": _enum("FIRST_ROW", "GIVEN"), "CSVHeaders": _strings,
    "CSVDelimiter": _enum("COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"),
    "ManifestType": _enum("ATHENA_DATA", "S3_INVENTORY"), "DataType": _enum("CSV", "JSONL", "PARQUET"),
    "MaxItems": integer(0, MAX_ITEMS), "MaxItemsPath": check_required_path, "ItemsPointer": check_string,
}
_WRITER_CONFIG: Final[dict[str, Check]] = {
    "Transformation": _enum("NONE", "COMPACT", "FLATTEN"), "OutputType": _enum("JSON", "JSONL"),
}


def _reader_config(out: Collector, value: Any, at: str, scope: Scope) -> None:
    _members(out, value, at, scope, _READER_CONFIG, (("MaxItems", "MaxItemsPath"),))


def _writer_config(out: Collector, value: Any, at: str, scope: Scope) -> None:
    _members(out, value, at, scope, _WRITER_CONFIG)


def _resource(out: Collector, value: Any, at: str, scope: Scope) -> None:
    if not isinstance(value, str) or not value.startswith("arn:"):
        out.error("Value is not a valid resource ARN", at)


def _arguments(language_key: str) -> Check:
    def check(out: Collector, value: Any, at: str, scope: Scope) -> None:
        wanted = "Arguments" if scope.language == JSONATA else "Parameters"
        if language_key != wanted:
            out.error(f'The field "{language_key}" is not supported by Step Functions', at)
        else:
            _payload(out, value, at, scope)
    return check


_READER: Final[dict[str, Check]] = {"Resource": _resource, "Parameters": _arguments("Parameters"),
                                    "Arguments": _arguments("Arguments"), "ReaderConfig": _reader_config}
_WRITER: Final[dict[str, Check]] = {"Resource": _resource, "Parameters": _arguments("Parameters"),
                                    "Arguments": _arguments("Arguments"), "WriterConfig": _writer_config}
_BATCHER: Final[dict[str, Check]] = {
    "MaxItemsPerBatch": integer(1, MAX_ITEMS), "MaxItemsPerBatchPath": check_required_path,
    "MaxInputBytesPerBatch": integer(1, MAX_BATCH_BYTES), "MaxInputBytesPerBatchPath": check_required_path,
    "BatchInput": _payload,
}


def check_item_reader(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """ItemReader: a Resource, its Parameters (Arguments) and ReaderConfig."""
    _members(out, value, at, scope, _READER)
    if is_object(value) and "Resource" not in value:
        out.error("The field 'Resource' is required but was missing", at)


def check_item_batcher(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """ItemBatcher: batch sizes (by count and by bytes) and the BatchInput every batch carries."""
    _members(out, value, at, scope, _BATCHER, (("MaxItemsPerBatch", "MaxItemsPerBatchPath"),
                                               ("MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath")))


def check_result_writer(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """ResultWriter: WriterConfig, and/or Resource with Parameters (Arguments) naming the bucket."""
    _members(out, value, at, scope, _WRITER)
    if not is_object(value):
        return
    if not value:
        out.error("ResultWriter needs WriterConfig, or Resource and Parameters", at)
    elif ("Resource" in value) != any(key in value for key in ("Parameters", "Arguments")):
        out.error("ResultWriter's Resource and its Parameters go together", at)
