"""Buckets the ``stepforge`` fixture maps to directories (``stepforge_buckets``, as ``[s3.buckets]``
does for a server): a Distributed Map reads its items there and writes its results there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stepforge.pytest_plugin import StepForge

READ = {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": "orders", "Key": "today.json"}}
WRITE = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "results", "Prefix": "run"}}


def machine(**fields: Any) -> dict[str, Any]:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "Price",
                 "States": {"Price": {"Type": "Pass", "Parameters": {"cents.$": "States.MathAdd($.cents, 1)"},
                                      "End": True}}}
    return {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemReader": READ, "ItemProcessor": processor,
                                                   **fields, "End": True}}}


@pytest.fixture
def stepforge_buckets(tmp_path: Path) -> dict[str, str | Path]:
    (tmp_path / "orders").mkdir()
    (tmp_path / "results").mkdir()
    (tmp_path / "orders" / "today.json").write_text(json.dumps([{"cents": 100}, {"cents": 250}]))
    return {"orders": tmp_path / "orders", "results": str(tmp_path / "results")}


def test_a_distributed_map_reads_its_items_from_a_mapped_bucket(stepforge: StepForge) -> None:
    run = stepforge.load(machine(), name="prices").run({})
    assert run.status == "SUCCEEDED", run.cause
    assert run.output == [{"cents": 101}, {"cents": 251}]


def test_its_result_writer_writes_into_a_mapped_bucket(stepforge: StepForge, tmp_path: Path) -> None:
    run = stepforge.load(machine(ResultWriter=WRITE), name="prices").run({})
    assert run.status == "SUCCEEDED", run.cause
    written = run.output["ResultWriterDetails"]
    assert written["Bucket"] == "results" and (tmp_path / "results" / written["Key"]).is_file()


def test_without_mapped_buckets_the_reader_finds_no_bucket() -> None:
    bench = StepForge()
    try:
        run = bench.load(machine(), name="prices").run({})
        assert (run.status, run.error) == ("FAILED", "States.ItemReaderFailed")
        assert "NoSuchBucket" in (run.cause or "")
    finally:
        bench.close()
