"""A full disk: clients get ServiceUnavailable (503, AWS's shape), and nothing is half-written."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_kit import PASS, ROLE
from starlette.testclient import TestClient

from stepforge.engine import backoff
from stepforge.engine.backoff import FailureLog
from stepforge.server import build
from stepforge.store.base import ExecutionQuery, StorageFull
from stepforge.store.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    backend = SqliteStore(tmp_path)
    yield backend
    backend.close()


def call(client: TestClient, operation: str, **params: object) -> tuple[int, dict[str, str]]:
    response = client.post("/", headers={"X-Amz-Target": f"AWSStepFunctions.{operation}"},
                           content=json.dumps(params))
    return response.status_code, response.json()


def fill_the_disk(store: SqliteStore) -> None:
    """As a full disk does: the writer connection may not grow the file by one more page."""
    assert store._writer_conn is not None
    pages = store._writer_conn.execute("PRAGMA page_count").fetchone()[0]
    store._writer_conn.execute(f"PRAGMA max_page_count = {pages}")


@pytest.mark.parametrize("engine_thread", [False, True], ids=["own-transaction", "group-commit"])
def test_a_full_disk_answers_service_unavailable_and_writes_nothing(store: SqliteStore, engine_thread: bool) -> None:
    app, engine = build(store=store)
    if engine_thread:
        engine.start()
    try:
        with TestClient(app) as client:
            status, machine = call(client, "CreateStateMachine", name="m", definition=PASS, roleArn=ROLE)
            assert status == 200
            fill_the_disk(store)
            big = json.dumps({"blob": "x" * 200_000})
            status, body = call(client, "StartExecution", stateMachineArn=machine["stateMachineArn"], input=big)
            assert status == 503
            assert body["__type"] == "com.amazonaws.states#ServiceUnavailable"
            assert "storage is full" in body["message"]
            assert store.list_executions(ExecutionQuery(), limit=10).items == []
            assert store._writer_conn is not None and not store._writer_conn.in_transaction
            store._writer_conn.execute("PRAGMA max_page_count = 1073741823")  # space freed: the retry succeeds
            status, _ = call(client, "StartExecution", stateMachineArn=machine["stateMachineArn"], input=big)
            assert status == 200
            assert len(store.list_executions(ExecutionQuery(), limit=10).items) == 1
    finally:
        engine.stop()


def test_the_store_names_a_full_disk(store: SqliteStore) -> None:
    with store.transaction() as tx:
        tx._execute("CREATE TABLE ballast (x)")
    fill_the_disk(store)
    with pytest.raises(StorageFull, match="database or disk is full"), store.transaction() as tx:
        tx._execute("INSERT INTO ballast VALUES (?)", ("x" * 100_000,))
    assert store._execute("SELECT COUNT(*) FROM ballast").fetchone()[0] == 0


def test_repeated_failures_back_off_up_to_a_cap() -> None:
    failures = FailureLog(logging.getLogger("test"))
    waits = [failures.record(StorageFull("full"), now=0.0) for _ in range(10)]
    assert waits[:4] == [backoff.BACKOFF_FIRST * 2 ** n for n in range(4)]
    assert waits[-1] == backoff.BACKOFF_MAX and waits == sorted(waits)
    failures.clear()
    assert failures.record(StorageFull("full"), now=0.0) == backoff.BACKOFF_FIRST


def test_a_failing_loop_logs_one_line_per_period(caplog: pytest.LogCaptureFixture) -> None:
    failures = FailureLog(logging.getLogger("test.backoff"))
    with caplog.at_level(logging.ERROR, logger="test.backoff"):
        for tick in range(3000):  # 3,000 failures in 30 s
            failures.record(StorageFull("database or disk is full"), now=tick / 100)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert "database or disk is full" in lines[0] and "(999 more failures since the last report)" in lines[1]


def test_a_damaged_database_answers_the_console_with_service_unavailable(store: SqliteStore) -> None:
    app, engine = build(store=store)
    with TestClient(app) as client:
        for n in range(40):
            assert call(client, "CreateStateMachine", name=f"m{n}", definition=PASS, roleArn=ROLE)[0] == 200
        assert client.get("/console/api/machines").status_code == 200
        assert store._writer_conn is not None
        store._writer_conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file
        with open(store.path, "r+b") as database:  # scribble over every page but the header
            database.seek(4096)
            database.write(b"\xff" * (store.path.stat().st_size - 4096))
        response = client.get("/console/api/machines")
        assert response.status_code == 503
        assert response.json()["error"] == "ServiceUnavailable" and "damaged" in response.json()["message"]
    engine.stop()
