"""PostgreSQL specifics: the dialect of the shared migrations, faults by the store's names, migrations
that nodes starting together apply once."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest
from postgres_kit import Cluster
from store_samples import execution

from stepforge.store.base import Conflict, StoreUnavailable
from stepforge.store.postgres import PostgresStore
from stepforge.store.postgres_db import SESSION, dialect, fault, redacted, stored_version
from stepforge.store.schema import MIGRATIONS
from stepforge.testing import write


def test_the_dialect_uses_postgresql_types_and_adds_insertion_order_where_sqlite_had_rowid() -> None:
    first = dialect(MIGRATIONS[0], 1)
    signals = next(statement for statement in first if statement.startswith("CREATE TABLE signals"))
    assert "seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" in signals
    assert not any(" REAL" in statement or "INTEGER" in statement for statement in first)
    assert "ALTER TABLE executions ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY" in first


def test_a_store_that_cannot_reach_its_server_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="cannot connect"):
        PostgresStore(f"postgresql://postgres@/x?host={tmp_path}&port=1")


def test_faults_get_the_stores_names() -> None:
    assert isinstance(fault(psycopg.errors.UniqueViolation("duplicate key")), Conflict)
    assert isinstance(fault(psycopg.errors.AdminShutdown("terminating connection")), StoreUnavailable)
    assert isinstance(fault(psycopg.errors.DeadlockDetected("deadlock")), StoreUnavailable)
    assert isinstance(fault(psycopg.OperationalError("server closed the connection unexpectedly")), StoreUnavailable)
    syntax = psycopg.errors.SyntaxError("syntax error")
    assert fault(syntax) is syntax


def test_passwords_never_show_in_messages() -> None:
    assert redacted("postgresql://sf:s3cret@db:5432/sf") == "postgresql://sf:***@db:5432/sf"
    assert redacted("host=db password=s3cret dbname=sf") == "host=db password=*** dbname=sf"


def test_a_stored_key_is_a_conflict_and_the_transaction_goes_on(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    record = execution("once")
    write(store, lambda tx: tx.insert_execution(record))
    with store.transaction() as tx:
        with pytest.raises(Conflict):
            tx.insert_execution(record)
        tx.push_signal(record.arn, None)
    assert store.pending_work(record.arn) == 1
    store.close()


def test_nodes_starting_together_migrate_once(postgres_cluster: Cluster) -> None:
    url = postgres_cluster.create_database("together")
    stores: list[PostgresStore] = []
    failures: list[BaseException] = []

    def start() -> None:
        try:
            stores.append(PostgresStore(url))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == [] and len(stores) == 3
    with psycopg.connect(url) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, len(MIGRATIONS) + 1)) and stored_version(url) == len(MIGRATIONS)
    for store in stores:
        store.close()


def test_pooled_connections_bound_lock_waits_and_idle_transactions(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    settings = {name: store._execute(f"SHOW {name}").fetchone() for name in SESSION}
    assert settings == {name: (value,) for name, value in SESSION.items()}
    store.close()


def test_a_nul_character_in_a_users_text_is_stored_as_a_replacement_character(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    record = execution("nul")
    record.status, record.error, record.cause = "FAILED", "Bad\x00Error", "a\x00b"
    write(store, lambda tx: tx.insert_execution(record))
    found = store.get_execution(record.arn)
    assert found is not None and (found.error, found.cause) == ("Bad\ufffdError", "a\ufffdb")
    store.close()


def test_large_values_are_compressed_with_lz4_where_the_server_has_it(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    offered = store._execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'").fetchone()
    if offered is None or "lz4" not in offered[0]:
        pytest.skip("this PostgreSQL server was built without lz4")
    record = execution("large")
    record.input = '{"blob": "' + "abc" * 10_000 + '"}'
    write(store, lambda tx: tx.insert_execution(record))
    method = store._execute("SELECT pg_column_compression(input) FROM executions WHERE arn = %s", (record.arn,))
    assert method.fetchone() == ("lz4",)
    found = store.get_execution(record.arn)
    assert found is not None and found.input == record.input
    store.close()
