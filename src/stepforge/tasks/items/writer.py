"""ResultWriter: a Map Run's results, as AWS lays them out, or transformed in the state's output.

With ``Resource`` (``arn:aws:states:::s3:putObject``) and ``Parameters`` (``Bucket``, ``Prefix``),
:func:`export` writes ``PREFIX/RUN_ID/SUCCEEDED_0.json``, ``FAILED_0.json`` and ``PENDING_0.json``
(those that have entries; ``.jsonl`` with ``OutputType`` JSONL) and ``PREFIX/RUN_ID/manifest.json``
listing them, streaming the items page by page through a spooled temporary file; the Map state's
result is then ``{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}``. ``WriterConfig``'s
``Transformation`` shapes each entry: NONE (the child execution as DescribeExecution shows it; the
default when exporting), COMPACT (its output) or FLATTEN (its output, an array spread into its
elements); a failed child's entry is always NONE's. Without ``Resource`` the transformation applies
to the state's output (:func:`transform`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from stepforge.asl import errors
from stepforge.store.records import ExecutionRecord, MapRunItem, MapRunRecord
from stepforge.tasks.items.buckets import Buckets
from stepforge.tasks.items.errors import ItemsError

Items = Callable[[int], list[MapRunItem]]        # the items after an index, a page at a time
Executions = Callable[[MapRunItem], ExecutionRecord | None]  # the child that ran an item, as described
_GROUPS = {"SUCCEEDED": "SUCCEEDED", "PENDING": "PENDING"}  # everything else is FAILED


def _config(writer: dict[str, Any], exporting: bool) -> tuple[str, str]:
    config = writer.get("Config") or {}
    transformation = config.get("Transformation", "NONE" if exporting else "COMPACT")
    output_type = config.get("OutputType", "JSON")
    if transformation not in ("NONE", "COMPACT", "FLATTEN"):
        raise ItemsError(f"Transformation must be NONE, COMPACT or FLATTEN, not {transformation!r}",
                         errors.RESULT_WRITER_FAILED)
    if output_type not in ("JSON", "JSONL"):
        raise ItemsError(f"OutputType must be JSON or JSONL, not {output_type!r}", errors.RESULT_WRITER_FAILED)
    return transformation, output_type


def exports(writer: dict[str, Any] | None) -> bool:
    """Does this ResultWriter write to a bucket (rather than only transform the output)?"""
    return writer is not None and bool(writer.get("Resource"))


def transform(writer: dict[str, Any], results: list[Any]) -> list[Any]:
    """A ResultWriter with only ``WriterConfig``: the state's output, transformed (COMPACT: as is)."""
    transformation, _ = _config(writer, exporting=False)
    if transformation == "FLATTEN":
        return [value for result in results for value in (result if isinstance(result, list) else [result])]
    return results


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _described(item: MapRunItem, execution: ExecutionRecord | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"ExecutionArn": item.child_arn, "Input": item.input, "InputDetails": {"Included": True}}
    if execution is not None:
        entry.update(Name=execution.name, StartDate=_iso(execution.started), StateMachineArn=execution.state_machine_arn,
                     Status=execution.status, StopDate=_iso(execution.stopped))
        if execution.error is not None or execution.cause is not None:
            entry.update(Error=execution.error, Cause=execution.cause)
    if item.status == "SUCCEEDED":
        entry.update(Output=item.result, OutputDetails={"Included": True})
    entry.update(RedriveCount=0, RedriveStatus="NOT_REDRIVABLE")
    return {k: v for k, v in entry.items() if v is not None}


def _entries(item: MapRunItem, execution: Executions, transformation: str) -> list[Any]:
    if item.status == "SUCCEEDED" and transformation != "NONE":
        value = None if item.result is None else json.loads(item.result)
        return value if transformation == "FLATTEN" and isinstance(value, list) else [value]
    found = execution(item) if item.child_arn else None
    return [_described(item, found)]


def _all(items: Items) -> Iterator[MapRunItem]:
    after = -1
    while page := items(after):
        yield from page
        after = page[-1].index


def export(record: MapRunRecord, writer: dict[str, Any], buckets: Buckets, items: Items,
           executions: Executions) -> dict[str, Any]:
    """Write the run's result files and manifest; returns the Map state's result."""
    params = writer.get("Parameters") or {}
    if not isinstance(params, dict) or not isinstance(params.get("Bucket"), str):
        raise ItemsError("The field 'Bucket' is required by the ResultWriter's Parameters.", errors.RESULT_WRITER_FAILED)
    transformation, output_type = _config(writer, exporting=True)
    bucket, prefix = params["Bucket"], str(params.get("Prefix") or "")
    folder = f"{prefix.rstrip('/')}/{record.arn.rsplit(':', 1)[1]}" if prefix else record.arn.rsplit(":", 1)[1]
    spools: dict[str, IO[bytes]] = {}
    counts: dict[str, int] = {}
    try:
        for item in _all(items):
            group = _GROUPS.get(item.status, "FAILED")
            spool = spools.get(group) or spools.setdefault(group, _spool())
            for entry in _entries(item, executions, transformation):
                _append(spool, entry, counts.get(group, 0), output_type)
                counts[group] = counts.get(group, 0) + 1
        files = _upload(buckets, bucket, folder, spools, output_type)
    finally:
        for spool in spools.values():
            spool.close()
    manifest = {"DestinationBucket": bucket, "MapRunArn": record.arn, "ResultFiles": files}
    key = f"{folder}/manifest.json"
    with tempfile.SpooledTemporaryFile() as body:
        body.write(json.dumps(manifest).encode())
        body.seek(0)
        _put(buckets, bucket, key, body)
    return {"MapRunArn": record.arn, "ResultWriterDetails": {"Bucket": bucket, "Key": key}}


def _spool() -> IO[bytes]:
    """A file for one result group: in memory up to 4 MiB, then on disk (closed by :func:`export`)."""
    return tempfile.SpooledTemporaryFile(1 << 22)


def _append(spool: IO[bytes], entry: Any, count: int, output_type: str) -> None:
    text = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
    if output_type == "JSONL":
        spool.write(text.encode() + b"\n")
    else:
        spool.write((b"[" if count == 0 else b",") + text.encode())


def _upload(buckets: Buckets, bucket: str, folder: str, spools: dict[str, IO[bytes]],
            output_type: str) -> dict[str, list[dict[str, Any]]]:
    files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    suffix = "jsonl" if output_type == "JSONL" else "json"
    for group, spool in sorted(spools.items()):
        if output_type == "JSON":
            spool.write(b"]")
        spool.seek(0)
        key = f"{folder}/{group}_0.{suffix}"
        files[group].append({"Key": key, "Size": _put(buckets, bucket, key, spool)})
    return files


def _put(buckets: Buckets, bucket: str, key: str, body: IO[bytes]) -> int:
    try:
        return buckets.put(bucket, key, body)  # type: ignore[arg-type]
    except ItemsError as exc:
        raise ItemsError(exc.cause, errors.RESULT_WRITER_FAILED) from None
