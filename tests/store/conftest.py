"""The store contract runs every test on each backend: memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stepforge.store.base import Store
from stepforge.store.memory import MemoryStore
from stepforge.store.sqlite import SqliteStore


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend: Store
    if request.param == "postgresql":
        from stepforge.store.postgres import PostgresStore

        backend = PostgresStore(request.getfixturevalue("postgres_url"))
    else:
        backend = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path)
    yield backend
    backend.close()
