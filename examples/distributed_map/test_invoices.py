"""A month of orders is invoiced by a Distributed Map: the CSV streamed from the orders bucket, 25 orders
per child execution, the invoices exported by ResultWriter — in-process, then against a real server
deployed from template.yaml with stepforge.toml's buckets."""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import boto3

from stepforge.testing import Harness

T = TypeVar("T")
HERE = Path(__file__).parent
DEFINITION = json.loads((HERE / "invoices.asl.json").read_text())
MONTH = {"month": "2026-11", "currency": "EUR"}


def orders_total_cents(buckets: Path) -> int:
    with (buckets / "orders" / "2026-11.csv").open() as rows:
        return sum(int(Decimal(row["amount"]) * 100) for row in csv.DictReader(rows))


def exported(buckets: Path, details: dict[str, str]) -> tuple[dict[str, Any], list[Any]]:
    """The ResultWriter's manifest and the results of its SUCCEEDED files."""
    manifest = json.loads((buckets / details["Bucket"] / details["Key"]).read_text())
    results = [result for entry in manifest["ResultFiles"]["SUCCEEDED"]
               for result in json.loads((buckets / details["Bucket"] / entry["Key"]).read_text())]
    return manifest, results


def test_every_order_of_the_month_is_invoiced_once_in_batches_of_25(harness: Harness, buckets: Path) -> None:
    run = harness.run(DEFINITION, MONTH)
    assert run.status == "SUCCEEDED", run.cause
    assert run.event_types.count("MapRunStarted") == 1
    details = run.output["invoices"]["ResultWriterDetails"]
    assert details["Bucket"] == "invoices" and details["Key"].startswith("2026-11/")
    manifest, batches = exported(buckets, details)
    assert manifest["ResultFiles"]["FAILED"] == [] and manifest["MapRunArn"] == run.output["invoices"]["MapRunArn"]
    assert sorted(len(batch["lines"]) for batch in batches) == [20, 25, 25, 25, 25]
    assert {batch["currency"] for batch in batches} == {"EUR"}
    orders = [line["order"] for batch in batches for line in batch["lines"]]
    assert len(orders) == len(set(orders)) == 120
    assert sum(batch["total_cents"] for batch in batches) == orders_total_cents(buckets)


def test_a_month_without_orders_fails_reading_its_items(harness: Harness) -> None:
    run = harness.run(DEFINITION, {"month": "2026-10", "currency": "EUR"})
    assert (run.status, run.error) == ("FAILED", "States.ItemReaderFailed")
    assert "NoSuchKey" in (run.cause or "") and "2026-10.csv" in (run.cause or "")


def test_deployed_with_its_template_and_buckets_it_invoices_on_a_real_server(tmp_path: Path) -> None:
    """As the README says: serve with stepforge.toml, deploy template.yaml, start it with boto3."""
    project = tmp_path / "project"
    shutil.copytree(HERE, project, ignore=shutil.ignore_patterns("__pycache__", ".stepforge"))
    shutil.rmtree(project / "buckets" / "invoices")
    (project / "buckets" / "invoices").mkdir()
    with served(project) as endpoint:
        env = {**os.environ, "AWS_ENDPOINT_URL_SFN": endpoint}
        deployed = subprocess.run([sys.executable, "-m", "stepforge.cli", "deploy", "template.yaml"], cwd=project,
                                  env=env, capture_output=True, text=True, timeout=120, check=False)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        sfn = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="example", aws_secret_access_key="example")
        machine = "arn:aws:states:us-east-1:000000000000:stateMachine:distributed-map"
        execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(MONTH))["executionArn"]
        ended = _until(lambda: _ended(sfn, execution))
        assert ended["status"] == "SUCCEEDED", ended.get("cause")
        (map_run,) = sfn.list_map_runs(executionArn=execution)["mapRuns"]
        counts = sfn.describe_map_run(mapRunArn=map_run["mapRunArn"])
        assert (counts["itemCounts"]["succeeded"], counts["executionCounts"]["succeeded"]) == (120, 5)
    _, batches = exported(project / "buckets", json.loads(ended["output"])["invoices"]["ResultWriterDetails"])
    assert sum(batch["total_cents"] for batch in batches) == orders_total_cents(project / "buckets")


@contextmanager
def served(project: Path) -> Iterator[str]:
    """``stepforge serve --config stepforge.toml --functions invoice_functions`` in ``project``: its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port), "--data-dir",
                               str(project / ".stepforge"), "--config", "stepforge.toml", "--functions",
                               "invoice_functions"], cwd=project, env={**os.environ, "PYTHONPATH": str(project)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _until(lambda: _listening(port))
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _listening(port: int) -> bool | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return None


def _ended(sfn: Any, arn: str) -> dict[str, Any] | None:
    described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
    return None if described["status"] == "RUNNING" else described


def _until(probe: Callable[[], T | None], seconds: float = 60.0) -> T:
    deadline = time.monotonic() + seconds
    while (value := probe()) is None:
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)
    return value
