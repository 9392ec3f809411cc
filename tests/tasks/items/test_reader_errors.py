"""What fails a Map Run's reading, with AWS's error names: a missing object or bucket, a malformed
row, an item over 256 KiB, a refused read; and a read that stops midway goes on where it stopped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepforge.service import maprun as maprun_service
from stepforge.tasks import maprun_io as work
from stepforge.tasks.items import readers
from tests.tasks.items.conftest import Place, local_place

ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}


def dmap(input_type: str = "JSON", **fields: Any) -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, **fields, "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": input_type},
            "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **ECHO}}}}


def failed(place: Place, machine: dict[str, Any], key: str, bucket: str | None = None) -> tuple[Any, ...]:
    result = place.harness().run(machine, {"bucket": bucket or place.bucket, "key": key})
    assert result.event_types[-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]
    return result.status, result.error, result.cause


def test_a_missing_object_fails_the_run_with_no_such_key(place: Place) -> None:
    status, error, cause = failed(place, dmap(), "nothing-here.json")
    assert (status, error) == ("FAILED", "States.ItemReaderFailed")
    assert cause.startswith("S3.NoSuchKey:")


def test_a_missing_bucket_is_no_such_bucket(place: Place) -> None:
    _, error, cause = failed(place, dmap(), "x.json", bucket="no-such-bucket-here")
    assert error == "States.ItemReaderFailed" and cause.startswith("S3.NoSuchBucket:")


def test_a_malformed_csv_row_fails_the_run(place: Place) -> None:
    place.put("bad.csv", b'a,b\n1,"2\n')
    _, error, cause = failed(place, dmap("CSV"), "bad.csv")
    assert error == "States.ItemReaderFailed" and cause.startswith("Malformed CSV on line")


def test_malformed_json_and_a_json_object_fail_the_run(place: Place) -> None:
    place.put("bad.json", b'[{"a": 1}, {"b": ]')
    place.put("object.json", b'{"a": [1]}')
    assert failed(place, dmap(), "bad.json")[2].startswith("Malformed JSON")
    assert failed(place, dmap(), "object.json")[2] == "Attempting to map over non-iterable node."


def test_an_item_over_256_kib_fails_the_run(place: Place) -> None:
    place.put("big.jsonl", json.dumps({"n": 1}).encode() + b"\n" + json.dumps({"blob": "x" * 262_144}).encode() + b"\n")
    _, error, cause = failed(place, dmap("JSONL"), "big.jsonl")
    assert error == "States.ItemReaderFailed" and "item at index 1" in cause and "256 KiB" in cause


def test_a_key_outside_a_local_bucket_is_access_denied(tmp_path: Path) -> None:
    place = local_place(tmp_path / "media")
    (tmp_path / "secret.json").write_text("[1]")
    _, error, cause = failed(place, dmap(), "../secret.json")
    assert error == "States.ItemReaderFailed" and cause.startswith("S3.AccessDenied:")


def test_a_denied_s3_read_is_access_denied(moto_url: str, aws: Any, tmp_path: Path) -> None:
    from tests.tasks.items.conftest import s3_place

    place = s3_place(moto_url, aws("s3"))
    place.put("x.json", b"[1]")
    aws("s3").put_bucket_policy(Bucket=place.bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{place.bucket}/*"}]}))
    _, error, cause = failed(place, dmap(), "x.json")
    assert error == "States.ItemReaderFailed" and cause.startswith("S3.AccessDenied:")


def test_a_read_cut_short_goes_on_from_its_last_chunk_and_runs_each_item_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(work, "CHUNK", 3)
    place = local_place(tmp_path / "media")
    place.put("items.jsonl", b"".join(json.dumps({"n": n}).encode() + b"\n" for n in range(20)))
    real_read = readers.read
    crashes = {"left": 1}

    def crashing_read(reader: dict[str, Any], buckets: Any) -> Iterator[Any]:
        for count, item in enumerate(real_read(reader, buckets)):
            if count == 10 and crashes["left"]:
                crashes["left"] -= 1
                raise RuntimeError("the server died here")
            yield item

    monkeypatch.setattr(readers, "read", crashing_read)
    harness = place.harness()
    arn = harness.start(dmap("JSONL", MaxConcurrency=2), {"bucket": place.bucket, "key": "items.jsonl"})
    harness.settle()
    run_arn = harness.result(arn).details("MapRunStarted")[0]["mapRunArn"]
    stopped = harness.store.get_map_run(run_arn)
    assert stopped is not None and (stopped.phase, stopped.read_position, stopped.item_counts["total"]) == (
        "READING", 9, 9)
    assert harness.engine.dispatcher.items.recover() == 1
    result = harness.run_until_done(arn)
    assert result.status == "SUCCEEDED" and result.output == [{"n": n} for n in range(20)]
    counts = harness.call(maprun_service.describe, mapRunArn=run_arn)["itemCounts"]
    assert (counts["total"], counts["succeeded"], counts["pending"]) == (20, 20, 0)
    inputs = [json.loads(row.input)["n"] for row in harness.store.map_run_items(run_arn, limit=100)]
    assert inputs == list(range(20))


def test_a_run_stopped_while_reading_reads_on_when_its_parent_is_redriven(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stepforge.service import executions, redrive

    monkeypatch.setattr(work, "CHUNK", 3)
    place = local_place(tmp_path / "media")
    place.put("items.jsonl", b"".join(json.dumps({"n": n}).encode() + b"\n" for n in range(12)))
    real_read = readers.read
    cut = {"left": 1}

    def read_cut_once(reader: dict[str, Any], buckets: Any) -> Iterator[Any]:
        for count, item in enumerate(real_read(reader, buckets)):
            if count == 7 and cut["left"]:
                cut["left"] -= 1
                raise RuntimeError("the server died here")
            yield item

    monkeypatch.setattr(readers, "read", read_cut_once)
    harness = place.harness()
    arn = harness.start(dmap("JSONL", MaxConcurrency=1), {"bucket": place.bucket, "key": "items.jsonl"})
    harness.settle()
    harness.call(executions.stop, executionArn=arn)
    harness.settle()
    assert harness.result(arn).status == "ABORTED"
    assert harness.engine.dispatcher.items.recover() == 0  # an aborted run does not read on by itself
    harness.call(redrive.redrive_execution, executionArn=arn)
    result = harness.run_until_done(arn)
    assert result.status == "SUCCEEDED" and result.output == [{"n": n} for n in range(12)]
