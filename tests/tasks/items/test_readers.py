"""Distributed Map ItemReader end to end (a Harness on a manual clock), against a local directory
bucket and against moto's S3: every InputType, listObjectsV2, ItemsPointer, MaxItems, JSONata."""

from __future__ import annotations

import gzip
import io
import json
from typing import Any

import pytest

from stepforge.tasks.items import buckets
from tests.tasks.items.conftest import Place

ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}


def dmap(reader: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ItemReader": reader, **fields,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **ECHO}}}}


def get_object(config: dict[str, Any], **params: Any) -> dict[str, Any]:
    return {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config,
            "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key", **params}}


def test_a_json_array_streams_its_items_through_item_selector(place: Place) -> None:
    place.put("in/items.json", json.dumps([{"n": n} for n in range(5)]).encode())
    machine = dmap(get_object({"InputType": "JSON"}),
                   ItemSelector={"n.$": "$$.Map.Item.Value.n", "at.$": "$$.Map.Item.Index", "tag.$": "$.tag"})
    result = place.harness().run(machine, {"bucket": place.bucket, "key": "in/items.json", "tag": "t"})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [{"n": n, "at": n, "tag": "t"} for n in range(5)]
    assert result.details("MapStateStarted") == [{"length": 0}]


def test_jsonl_reads_one_item_per_line_and_max_items_stops_early(place: Place) -> None:
    place.put("items.jsonl", b"".join(json.dumps({"n": n}).encode() + b"\n\n" for n in range(10)))
    result = place.harness().run(dmap(get_object({"InputType": "JSONL", "MaxItems": 4})),
                                 {"bucket": place.bucket, "key": "items.jsonl"})
    assert result.output == [{"n": n} for n in range(4)]


def test_csv_with_given_headers_and_another_delimiter(place: Place) -> None:
    place.put("rows.csv", b'a|"b|c"|x\n1|2\n')
    config = {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["H1", "H2"], "CSVDelimiter": "PIPE"}
    result = place.harness().run(dmap(get_object(config)), {"bucket": place.bucket, "key": "rows.csv"})
    assert result.output == [{"H1": "a", "H2": "b|c"}, {"H1": "1", "H2": "2"}]


def test_parquet_rows_are_items(place: Place) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    body = io.BytesIO()
    pq.write_table(pa.table({"id": list(range(3)), "name": ["a", "b", "c"]}), body)
    place.put("t.parquet", body.getvalue())
    result = place.harness().run(dmap(get_object({"InputType": "PARQUET"})), {"bucket": place.bucket, "key": "t.parquet"})
    assert result.output == [{"id": 0, "name": "a"}, {"id": 1, "name": "b"}, {"id": 2, "name": "c"}]


def test_an_s3_inventory_manifest_lists_the_objects_of_its_gzipped_csv_files(place: Place) -> None:
    place.put("inv/data/1.csv.gz", gzip.compress(b'"src","a.txt","10"\n"src","b.txt","20"\n'))
    place.put("inv/data/2.csv", b'"src","c.txt","30"\n')
    place.put("inv/manifest.json", json.dumps({
        "sourceBucket": "src", "destinationBucket": f"arn:aws:s3:::{place.bucket}", "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, Size", "files": [{"key": "inv/data/1.csv.gz"}, {"key": "inv/data/2.csv"}],
    }).encode())
    result = place.harness().run(dmap(get_object({"InputType": "MANIFEST"})),
                                 {"bucket": place.bucket, "key": "inv/manifest.json"})
    assert [(i["Key"], i["Size"]) for i in result.output] == [("a.txt", "10"), ("b.txt", "20"), ("c.txt", "30")]


def test_list_objects_v2_pages_through_a_prefix(place: Place, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buckets, "PAGE", 2)
    for name in ("p/a", "p/b", "p/c", "q/d"):
        place.put(name, b"12345")
    reader = {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket.$": "$.bucket", "Prefix": "p/"}}
    result = place.harness().run(dmap(reader), {"bucket": place.bucket})
    assert [(o["Key"], o["Size"], o["StorageClass"]) for o in result.output] == [
        ("p/a", 5, "STANDARD"), ("p/b", 5, "STANDARD"), ("p/c", 5, "STANDARD")]
    assert all(o["Etag"] and o["LastModified"].endswith("Z") for o in result.output)


def test_items_pointer_reads_the_array_inside_a_json_object(place: Place) -> None:
    document = {"skip": [{"x": [1, 2]}, "]"], "data": {"n": 1, "rows": [{"r": 1}, {"r": "}{"}]}}
    place.put("doc.json", json.dumps(document).encode())
    result = place.harness().run(dmap(get_object({"InputType": "JSON", "ItemsPointer": "/data/rows"})),
                                 {"bucket": place.bucket, "key": "doc.json"})
    assert result.output == [{"r": 1}, {"r": "}{"}]


def test_jsonata_arguments_and_reader_config(place: Place) -> None:
    place.put("x.json", b"[1, 2, 3]")
    machine = dmap({"Resource": "arn:aws:states:::s3:getObject",
                    "Arguments": {"Bucket": "{% $states.input.bucket %}", "Key": "x.json"},
                    "ReaderConfig": {"InputType": "JSON", "MaxItems": "{% $states.input.max %}"}},
                   QueryLanguage="JSONata", ItemSelector="{% $states.context.Map.Item.Value * 10 %}")
    result = place.harness().run(machine, {"bucket": place.bucket, "max": 2})
    assert result.output == [10, 20]


def test_max_items_path_reads_a_variable_and_a_negative_value_fails_the_run(place: Place) -> None:
    place.put("x.json", b"[1, 2, 3]")
    machine = dmap(get_object({"InputType": "JSON", "MaxItemsPath": "$.max"}))
    harness = place.harness()
    assert harness.run(machine, {"bucket": place.bucket, "key": "x.json", "max": "2"}).output == [1, 2]
    failed = harness.run(machine, {"bucket": place.bucket, "key": "x.json", "max": -1})
    assert (failed.status, failed.error, failed.cause) == ("FAILED", "States.ItemReaderFailed",
                                                           "field MaxItems must be positive")
    assert failed.event_types[-4:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]


def test_an_athena_manifest_reads_each_data_file_it_lists_as_input_type_says(place: Place) -> None:
    place.put("athena/part-0.jsonl", b'{"n": 0}\n{"n": 1}\n')
    place.put("athena/part-1.jsonl", b'{"n": 2}\n')
    place.put("athena/manifest.csv", f"s3://{place.bucket}/athena/part-0.jsonl\ns3://{place.bucket}/athena/part-1.jsonl\n"
              .encode())
    config = {"InputType": "JSONL", "ManifestType": "ATHENA_DATA"}
    result = place.harness().run(dmap(get_object(config)), {"bucket": place.bucket, "key": "athena/manifest.csv"})
    assert result.output == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_a_version_id_reads_that_version_of_the_object(moto_url: str, aws: Any) -> None:
    from tests.tasks.items.conftest import s3_place

    place = s3_place(moto_url, aws("s3"))
    aws("s3").put_bucket_versioning(Bucket=place.bucket, VersioningConfiguration={"Status": "Enabled"})
    first = aws("s3").put_object(Bucket=place.bucket, Key="v.json", Body=b"[1]")["VersionId"]
    place.put("v.json", b"[2]")
    reader = {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
              "Parameters": {"Bucket": place.bucket, "Key": "v.json", "VersionId.$": "$.version"}}
    assert place.harness().run(dmap(reader), {"version": first}).output == [1]
