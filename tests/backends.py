"""The durable backends tests run on, and how a test opens (and reopens) a store on one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stepforge.store.base import Store
from stepforge.store.postgres import PostgresStore
from stepforge.store.sqlite import SqliteStore

#: The backends the store contract, the engine tests and the end-to-end tests run on.
BACKENDS = ["sqlite", "postgresql"]


def store_opener(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Callable[[], Store]:
    """``open()`` -> a new store on one durable database, the same at every call (what a restarted
    process opens): SQLite in ``tmp_path``, or an empty PostgreSQL database (the session's cluster).
    Every store opened is closed when the test ends."""
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None

    def open_store() -> Store:
        store: Store = SqliteStore(tmp_path) if url is None else PostgresStore(url)
        request.addfinalizer(store.close)
        return store

    return open_store
