"""ItemBatcher and ResultWriter end to end, against a local directory bucket and moto's S3."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from stepforge.service import maprun as maprun_service
from stepforge.tasks import maprun_io
from stepforge.tasks.items import readers
from tests.tasks.items.conftest import Place

ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
FAIL_ODD = {"StartAt": "C", "States": {
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 3, "Next": "F"}], "Default": "P"},
    "F": {"Type": "Fail", "Error": "Three", "Cause": "no threes"},
    "P": {"Type": "Pass", "Parameters": {"twice.$": "States.Array($.n, $.n)"}, "OutputPath": "$.twice",
          "End": True}}}


def dmap(processor: dict[str, Any] = ECHO, execution_type: str = "STANDARD", **fields: Any) -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, **fields, "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"},
            "Parameters": {"Bucket.$": "$.bucket", "Key": "items.jsonl"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type}, **processor}}}}


def jsonl(values: list[Any]) -> bytes:
    return b"".join(json.dumps(v).encode() + b"\n" for v in values)


def test_items_per_batch_with_batch_input(place: Place) -> None:
    place.put("items.jsonl", jsonl(list(range(5))))
    machine = dmap(ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"from.$": "$.bucket"}})
    result = place.harness().run(machine, {"bucket": place.bucket})
    batch_input = {"from": place.bucket}
    assert result.output == [{"Items": [0, 1], "BatchInput": batch_input}, {"Items": [2, 3], "BatchInput": batch_input},
                             {"Items": [4], "BatchInput": batch_input}]


def test_input_bytes_per_batch_cut_batches_by_size(place: Place) -> None:
    place.put("items.jsonl", jsonl(["x" * 40] * 5))
    result = place.harness().run(dmap(ItemBatcher={"MaxInputBytesPerBatch": 100}), {"bucket": place.bucket})
    assert [len(batch["Items"]) for batch in result.output] == [2, 2, 1]
    assert all(len(json.dumps(batch, separators=(",", ":"))) <= 100 for batch in result.output)


@pytest.mark.parametrize("output_type", ["JSON", "JSONL"])
@pytest.mark.parametrize("transformation", ["NONE", "COMPACT", "FLATTEN"])
def test_result_writer_exports_results_and_manifest(place: Place, transformation: str, output_type: str) -> None:
    place.put("items.jsonl", jsonl([{"n": n} for n in range(5)]))
    writer = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket.$": "$.bucket", "Prefix": "out"},
              "WriterConfig": {"Transformation": transformation, "OutputType": output_type}}
    result = place.harness().run(dmap(FAIL_ODD, ResultWriter=writer, ToleratedFailureCount=1), {"bucket": place.bucket})
    assert result.status == "SUCCEEDED", result.cause
    run_arn = result.details("MapRunStarted")[0]["mapRunArn"]
    run_id = run_arn.rsplit(":", 1)[1]
    key = f"out/{run_id}/manifest.json"
    assert result.output == {"MapRunArn": run_arn, "ResultWriterDetails": {"Bucket": place.bucket, "Key": key}}
    manifest = json.loads(place.get(key))
    suffix = "jsonl" if output_type == "JSONL" else "json"
    assert manifest["DestinationBucket"] == place.bucket and manifest["MapRunArn"] == run_arn
    assert [f["Key"] for f in manifest["ResultFiles"]["SUCCEEDED"]] == [f"out/{run_id}/SUCCEEDED_0.{suffix}"]
    assert manifest["ResultFiles"]["PENDING"] == []
    succeeded = read_results(place.get(f"out/{run_id}/SUCCEEDED_0.{suffix}"), output_type)
    failed = read_results(place.get(f"out/{run_id}/FAILED_0.{suffix}"), output_type)
    outputs = [[n, n] for n in (0, 1, 2, 4)]
    if transformation == "NONE":
        assert [json.loads(entry["Output"]) for entry in succeeded] == outputs
        assert {entry["Status"] for entry in succeeded} == {"SUCCEEDED"}
        assert all(entry["ExecutionArn"] and entry["Input"] and entry["StartDate"] for entry in succeeded)
    elif transformation == "COMPACT":
        assert succeeded == outputs
    else:
        assert succeeded == [0, 0, 1, 1, 2, 2, 4, 4]
    assert [(entry["Status"], entry["Error"], entry["Cause"]) for entry in failed] == [("FAILED", "Three", "no threes")]
    assert json.loads(failed[0]["Input"]) == {"n": 3}


def test_result_writer_describes_express_children_from_their_items(place: Place) -> None:
    place.put("items.jsonl", jsonl([{"n": n} for n in range(4)]))
    writer = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket.$": "$.bucket", "Prefix": "out"}}
    result = place.harness().run(dmap(FAIL_ODD, "EXPRESS", ResultWriter=writer, ToleratedFailureCount=1),
                                 {"bucket": place.bucket})
    assert result.status == "SUCCEEDED", result.cause
    folder = f"out/{result.details('MapRunStarted')[0]['mapRunArn'].rsplit(':', 1)[1]}"
    succeeded = read_results(place.get(f"{folder}/SUCCEEDED_0.json"), "JSON")
    [failed] = read_results(place.get(f"{folder}/FAILED_0.json"), "JSON")
    assert [json.loads(entry["Output"]) for entry in succeeded] == [[n, n] for n in (0, 1, 2)]
    assert all(":express:" in entry["ExecutionArn"] and entry["ExecutionArn"].split(":")[-2] == entry["Name"]
               and entry["StateMachineArn"].endswith(":stateMachine:m1/M") for entry in succeeded)
    assert (failed["Status"], failed["Error"], failed["Cause"]) == ("FAILED", "Three", "no threes")


def read_results(body: bytes, output_type: str) -> list[Any]:
    if output_type == "JSONL":
        return [json.loads(line) for line in body.splitlines() if line.strip()]
    found = json.loads(body)
    assert isinstance(found, list)
    return found


def test_flatten_without_a_resource_spreads_array_outputs_in_the_state_output(place: Place) -> None:
    place.put("items.jsonl", jsonl([{"n": n} for n in range(3)]))
    processor = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"a.$": "States.Array($.n, 9)"},
                                                  "OutputPath": "$.a", "End": True}}}
    result = place.harness().run(dmap(processor, ResultWriter={"WriterConfig": {"Transformation": "FLATTEN"}}),
                                 {"bucket": place.bucket})
    assert result.output == [0, 9, 1, 9, 2, 9]


def test_item_counts_count_items_and_execution_counts_count_batches(place: Place) -> None:
    place.put("items.jsonl", jsonl(list(range(7))))
    harness = place.harness()
    result = harness.run(dmap(ItemBatcher={"MaxItemsPerBatch": 3}), {"bucket": place.bucket})
    run_arn = result.details("MapRunStarted")[0]["mapRunArn"]
    described = harness.call(maprun_service.describe, mapRunArn=run_arn)
    items, children = described["itemCounts"], described["executionCounts"]
    assert (items["total"], items["succeeded"], items["resultsWritten"]) == (7, 7, 7)
    assert (children["total"], children["succeeded"], children["resultsWritten"]) == (3, 3, 3)


def test_a_tolerated_percentage_is_judged_on_every_item_not_on_those_read_so_far(
        place: Place, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maprun_io, "CHUNK", 2)
    place.put("items.jsonl", jsonl([{"n": 3}] + [{"n": n} for n in (0, 1, 2, 4, 5, 6, 7, 8, 9)]))
    real_read, pauses = readers.read, {"left": 1}

    def read_pausing_once(reader: dict[str, Any], buckets: Any) -> Iterator[Any]:
        for count, item in enumerate(real_read(reader, buckets)):
            if count == 2 and pauses["left"]:
                pauses["left"] -= 1
                raise RuntimeError("reading stops here for a while")
            yield item

    monkeypatch.setattr(readers, "read", read_pausing_once)
    harness = place.harness()
    arn = harness.start(dmap(FAIL_ODD, ToleratedFailurePercentage=10), {"bucket": place.bucket})
    harness.settle()  # the first two items ran, one of them failed: 50 % of what was read so far
    assert harness.result(arn).status == "RUNNING"
    harness.engine.dispatcher.items.recover()
    result = harness.run_until_done(arn)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output[0] == {"Error": "Three", "Cause": "no threes"}
