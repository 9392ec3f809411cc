"""`stepforge run` with Python functions: one execution in-process, no server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

APP = '''
import stepforge

@stepforge.function("double")
def double(event, context):
    return {"value": event["value"] * 2}

def explode(event, context):
    raise ValueError("no way")
'''


def run(tmp_path: Path, definition: dict[str, object], value: object) -> subprocess.CompletedProcess[str]:
    (tmp_path / "myfuncs.py").write_text(APP)
    (tmp_path / "machine.json").write_text(json.dumps(definition))
    return subprocess.run(
        [sys.executable, "-m", "stepforge.cli", "run", "machine.json", "--functions", "myfuncs",
         "--input", json.dumps(value)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )


def test_run_calls_a_python_function_as_a_lambda(tmp_path: Path) -> None:
    done = run(tmp_path, {"StartAt": "D", "States": {"D": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:double", "End": True}}},
        {"value": 21})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"value": 42}


def test_run_reports_a_function_error_as_lambda_would(tmp_path: Path) -> None:
    done = run(tmp_path, {"StartAt": "E", "States": {"E": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
        "Parameters": {"FunctionName": "explode", "Payload.$": "$"}}}}, {})
    assert done.returncode == 1
    assert "ValueError" in done.stderr and "no way" in done.stderr


def test_run_reads_a_distributed_maps_items_from_a_local_bucket_and_draws_its_progress(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "items.jsonl").write_text("".join(json.dumps({"n": n}) + "\n" for n in range(50)))
    (tmp_path / "stepforge.toml").write_text('[s3.buckets]\nmedia = "media"\n')
    (tmp_path / "machine.json").write_text(json.dumps({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ItemBatcher": {"MaxItemsPerBatch": 10},
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"},
                       "Parameters": {"Bucket": "media", "Key": "items.jsonl"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "First",
                          "States": {"First": {"Type": "Pass", "OutputPath": "$.Items[0].n", "End": True}}}}}}))
    done = subprocess.run([sys.executable, "-m", "stepforge.cli", "run", "machine.json", "--config", "stepforge.toml"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [0, 10, 20, 30, 40]
    assert "Map Run M succeeded" in done.stderr and "50/50" in done.stderr
