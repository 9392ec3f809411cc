"""The validator on ItemReader, ItemBatcher and ResultWriter: what AWS's schema refuses at creation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepforge.asl.validation.validator import validate

GET = "arn:aws:states:::s3:getObject"
SCHEMA = "SCHEMA_VALIDATION_FAILED"


def dmap(language: str = "JSONPath", **fields: Any) -> str:
    return json.dumps({"StartAt": "M", "QueryLanguage": language, "States": {"M": {
        "Type": "Map", "End": True, **fields, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}})


def errors(text: str) -> list[tuple[str, str | None]]:
    return [(d.code, d.location) for d in validate(text).diagnostics if d.severity == "ERROR"]


@pytest.mark.parametrize("text", [
    dmap(ItemReader={"Resource": GET, "Parameters": {"Bucket.$": "$.b", "Key": "k"},
                     "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["a"],
                                      "CSVDelimiter": "TAB", "MaxItemsPath": "$.max"}},
         ItemBatcher={"MaxItemsPerBatchPath": "$n", "MaxInputBytesPerBatch": 1024, "BatchInput": {"x.$": "$.x"}},
         ResultWriter={"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"},
                       "WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSONL"}}),
    dmap("JSONata", ItemReader={"Resource": GET, "Arguments": {"Bucket": "{% $states.input.b %}", "Key": "k"},
                                "ReaderConfig": {"InputType": "JSON", "ItemsPointer": "/rows",
                                                 "MaxItems": "{% $states.input.max %}"}},
         ItemBatcher={"MaxItemsPerBatch": "{% $states.input.n %}"}, ResultWriter={"WriterConfig": {"Transformation": "COMPACT"}}),
])
def test_accepted(text: str) -> None:
    assert errors(text) == []


@pytest.mark.parametrize(("text", "location"), [
    (dmap(ItemReader={"Resource": GET, "ReaderConfig": {"InputType": "XML"}}), "/States/M/ItemReader/ReaderConfig/InputType"),
    (dmap(ItemReader={"Resource": GET, "ReaderConfig": {"MaxItems": 1, "MaxItemsPath": "$.m"}}),
     "/States/M/ItemReader/ReaderConfig"),
    (dmap(ItemReader={"Resource": GET, "ReaderConfig": {"MaxItems": -1}}), "/States/M/ItemReader/ReaderConfig/MaxItems"),
    (dmap(ItemReader={"ReaderConfig": {}}), "/States/M/ItemReader"),
    (dmap(ItemReader={"Resource": GET, "Surprise": 1}), "/States/M/ItemReader/Surprise"),
    (dmap("JSONata", ItemReader={"Resource": GET, "Parameters": {"Bucket": "b"}}), "/States/M/ItemReader/Parameters"),
    (dmap(ItemBatcher={"MaxInputBytesPerBatch": 262145}), "/States/M/ItemBatcher/MaxInputBytesPerBatch"),
    (dmap(ItemBatcher={"MaxItemsPerBatch": 0}), "/States/M/ItemBatcher/MaxItemsPerBatch"),
    (dmap(ResultWriter={"WriterConfig": {"OutputType": "CSV"}}), "/States/M/ResultWriter/WriterConfig/OutputType"),
    (dmap(ResultWriter={"Resource": "arn:aws:states:::s3:putObject"}), "/States/M/ResultWriter"),
    (dmap(ResultWriter={}), "/States/M/ResultWriter"),
])
def test_refused_with_the_offending_field(text: str, location: str) -> None:
    assert (SCHEMA, location) in errors(text)
