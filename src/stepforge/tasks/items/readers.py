"""ItemReader: the items of a Map Run, read one at a time from a bucket.

:func:`read` takes the evaluated ItemReader (``Resource``, ``Parameters``, ``Config``: see
``asl.execution.distributed.evaluate``) and yields its items in order, never holding an object whole:
``s3:getObject`` with ``InputType`` JSON (an array, or the array at ``ItemsPointer``), JSONL, CSV
(``CSVHeaderLocation`` FIRST_ROW or GIVEN with ``CSVHeaders``; ``CSVDelimiter``), PARQUET (needs
pyarrow: ``pip install stepforge[parquet]``), MANIFEST (an S3 Inventory ``manifest.json`` or an Athena
``ATHENA_DATA`` manifest); ``s3:listObjectsV2`` (``Bucket``, ``Prefix``). ``MaxItems`` (0: no limit)
stops early. Errors are :class:`ItemsError` with AWS's causes where AWS's are known.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import closing
from typing import Any, BinaryIO

from stepforge.tasks.items import jsonstream
from stepforge.tasks.items.buckets import Buckets
from stepforge.tasks.items.errors import ItemsError

_DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}
_GET, _LIST = "arn:aws:states:::s3:getObject", "arn:aws:states:::s3:listObjectsV2"


def max_items(config: dict[str, Any]) -> int:
    """ReaderConfig's MaxItems (or the value MaxItemsPath selected): 0 reads every item."""
    value = config.get("MaxItems", 0)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ItemsError(f"field MaxItems must be an integer, but was: {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
        raise ItemsError(f"field MaxItems must be an integer, but was: {json.dumps(value)}")
    if value < 0:
        raise ItemsError("field MaxItems must be positive")
    return int(value)


def read(reader: dict[str, Any], buckets: Buckets) -> Iterator[Any]:
    """Every item the ItemReader gives, in order (stopping at MaxItems)."""
    config: dict[str, Any] = reader.get("Config") or {}
    limit = max_items(config)
    items = _source(reader.get("Resource") or "", reader.get("Parameters") or {}, config, buckets)
    for count, item in enumerate(items, 1):
        yield item
        if count == limit:
            return


def _source(resource: str, params: dict[str, Any], config: dict[str, Any], buckets: Buckets) -> Iterator[Any]:
    if not isinstance(params, dict) or not isinstance(params.get("Bucket"), str):
        raise ItemsError("The field 'Bucket' is required by the ItemReader's Parameters.")
    bucket = params["Bucket"]
    if resource == _LIST:
        return buckets.list(bucket, str(params.get("Prefix") or ""))
    if resource != _GET:
        raise ItemsError(f"The ItemReader resource '{resource}' is not supported: use {_GET} or {_LIST}.")
    if not isinstance(params.get("Key"), str):
        raise ItemsError("The field 'Key' is required by s3:getObject.")
    version = params.get("VersionId")
    return object_items(buckets, bucket, params["Key"], {**config, "_version": version} if version else config)


def object_items(buckets: Buckets, bucket: str, key: str, config: dict[str, Any]) -> Iterator[Any]:
    """The items of one object read as ``InputType`` says."""
    kind = str(config.get("InputType") or "JSON")
    if config.get("ManifestType") == "ATHENA_DATA" and kind != "MANIFEST":
        return _athena(buckets, bucket, key, {**config, "DataType": kind})  # InputType: the data files'
    readers = {"JSON": _json, "JSONL": _jsonl, "CSV": _csv, "PARQUET": _parquet, "MANIFEST": _manifest}
    if kind not in readers:
        raise ItemsError(f"InputType {kind} is not supported: use JSON, JSONL, CSV, PARQUET or MANIFEST.")
    headers = _given_headers(config) if kind == "CSV" else None  # checked before the object is opened
    return readers[kind](buckets, bucket, key, {**config, "_headers": headers})


def _open(buckets: Buckets, bucket: str, key: str, config: dict[str, Any]) -> BinaryIO:
    """The object the ItemReader names (its VersionId, if given, only for that object itself)."""
    return buckets.open(bucket, key, config.get("_version"))


def _text(stream: BinaryIO) -> io.TextIOWrapper:
    return io.TextIOWrapper(stream, encoding="utf-8", errors="strict", newline="")


def _json(buckets: Buckets, bucket: str, key: str, config: dict[str, Any]) -> Iterator[Any]:
    with closing(_text(_open(buckets, bucket, key, config))) as text:
        yield from jsonstream.elements(text, str(config.get("ItemsPointer") or ""))


def _jsonl(buckets: Buckets, bucket: str, key: str, config: dict[str, Any]) -> Iterator[Any]:
    with closing(_text(_open(buckets, bucket, key, config))) as text:
        for number, line in enumerate(text, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError:
                    raise ItemsError(f"Malformed JSON on line {number} of the JSONL object.") from None


def _given_headers(config: dict[str, Any]) -> list[str] | None:
    location = config.get("CSVHeaderLocation", "FIRST_ROW")
    if location not in ("FIRST_ROW", "GIVEN"):
        raise ItemsError(f"CSVHeaderLocation must be FIRST_ROW or GIVEN, not {location!r}")
    if location == "FIRST_ROW":
        return None
    headers = config.get("CSVHeaders")
    if not isinstance(headers, list) or not headers or not all(isinstance(h, str) for h in headers):
        raise ItemsError("CSVHeaders must be a non-empty list of strings when CSVHeaderLocation is GIVEN.")
    _no_duplicates(headers)
    return headers


def _no_duplicates(headers: list[str]) -> None:
    if len(set(headers)) != len(headers):
        raise ItemsError("CSV headers cannot contain duplicates.")


def _csv(buckets: Buckets, bucket: str, key: str, config: dict[str, Any]) -> Iterator[Any]:
    delimiter = _DELIMITERS.get(str(config.get("CSVDelimiter") or "COMMA"))
    if delimiter is None:
        raise ItemsError(f"CSVDelimiter must be one of {', '.join(_DELIMITERS)}.")
    headers: list[str] | None = config.get("_headers")
    with closing(_text(_open(buckets, bucket, key, config))) as text:
        rows = csv.reader(text, delimiter=delimiter, strict=True)
        try:
            for row in rows:
                if not row:
                    continue
                if headers is None:
                    headers = row
                    _no_duplicates(headers)
                    continue
                yield {name: row[i] if i < len(row) else "" for i, name in enumerate(headers)}
        except csv.Error as exc:
            raise ItemsError(f"Malformed CSV on line {rows.line_num}: {exc}") from None


def _parquet(buckets: Buckets, bucket: str, key: str, config: dict[str, Any]) -> Iterator[Any]:
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        raise ItemsError("InputType PARQUET needs pyarrow on the server: pip install 'stepforge[parquet]'") from None
    with tempfile.TemporaryFile() as spool:  # Parquet's footer comes last: spool to disk, not memory
        with closing(_open(buckets, bucket, key, config)) as body:
            shutil.copyfileobj(body, spool, 1 << 20)
        spool.seek(0)
        try:
            table = pq.ParquetFile(spool)
            for batch in table.iter_batches(batch_size=1024):
                yield from batch.to_pylist()
        except Exception as exc:  # noqa: BLE001 - pyarrow's errors all mean an unreadable object
            raise ItemsError(f"Malformed Parquet object: {exc}") from None


def _manifest(buckets: Buckets, bucket: str, key: str, config: dict[str, Any]) -> Iterator[Any]:
    kind = config.get("ManifestType", "S3_INVENTORY")
    if kind == "ATHENA_DATA":
        yield from _athena(buckets, bucket, key, config)
        return
    if kind != "S3_INVENTORY":
        raise ItemsError(f"ManifestType must be S3_INVENTORY or ATHENA_DATA, not {kind!r}")
    with closing(_open(buckets, bucket, key, config)) as body:
        try:
            manifest = json.load(body)
            files = [entry["key"] for entry in manifest["files"]]
            schema = [name.strip() for name in str(manifest["fileSchema"]).split(",")]
            destination = str(manifest.get("destinationBucket", bucket)).removeprefix("arn:aws:s3:::")
        except (ValueError, KeyError, TypeError):
            raise ItemsError("The S3 Inventory manifest is malformed: it needs 'files' and 'fileSchema'.") from None
    if str(manifest.get("fileFormat", "CSV")).upper() != "CSV":
        raise ItemsError("Only CSV S3 Inventory reports can be read (fileFormat CSV).")
    for data_key in files:
        with closing(buckets.open(destination, data_key)) as raw:  # the listed files: their latest version
            stream: BinaryIO = gzip.GzipFile(fileobj=raw) if data_key.endswith(".gz") else raw  # type: ignore[assignment]
            with closing(_text(stream)) as text:
                for row in csv.reader(text):
                    if row:
                        yield dict(zip(schema, row, strict=False))


def _athena(buckets: Buckets, bucket: str, key: str, config: dict[str, Any]) -> Iterator[Any]:
    """An Athena manifest (``ManifestType`` ATHENA_DATA) lists one ``s3://bucket/key`` per line; each
    data file is read as ``InputType`` says (CSV, JSONL or PARQUET; CSV by default)."""
    data_type = str(config.get("DataType") or "CSV")
    with closing(_text(_open(buckets, bucket, key, config))) as text:
        uris = [line.strip() for line in text if line.strip()]
    for uri in uris:
        if not uri.startswith("s3://") or "/" not in uri[5:]:
            raise ItemsError(f"The Athena manifest lists '{uri}', which is no s3://bucket/key URI.")
        data_bucket, data_key = uri[5:].split("/", 1)
        yield from object_items(buckets, data_bucket, data_key,
                                {**config, "InputType": data_type, "ManifestType": None, "_version": None})
