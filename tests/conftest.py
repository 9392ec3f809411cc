"""Fixtures every test directory shares: a private PostgreSQL cluster per test session (per xdist
worker), started on first use.

Without PostgreSQL's binaries the PostgreSQL variants of the tests skip, saying why; under
``CI=true`` a missing PostgreSQL fails them instead (CI must run both backends).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from backends import BACKENDS, store_opener
from postgres_kit import Cluster, bin_dir, empty

from stepforge.store.base import Store
from stepforge.store.postgres import PostgresStore


@pytest.fixture(scope="session")
def postgres_bin_dir() -> Path:
    """Where PostgreSQL's server binaries are; the test skips without them (fails under ``CI=true``)."""
    bindir = bin_dir()
    if bindir is None:
        reason = "PostgreSQL is not installed (no initdb/pg_ctl: apt-get install postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI runs every test on PostgreSQL too", pytrace=False)
        pytest.skip(reason)
    return bindir


@pytest.fixture(scope="session")
def postgres_cluster(postgres_bin_dir: Path) -> Iterator[Cluster]:
    """A running private PostgreSQL cluster, stopped (and its files removed) at the session's end."""
    cluster = Cluster(postgres_bin_dir)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_store_url(postgres_cluster: Cluster) -> str:
    """A migrated database for the tests that open stores on it (emptied by :func:`postgres_url`)."""
    url = postgres_cluster.create_database("stores")
    PostgresStore(url).close()
    return url


@pytest.fixture
def postgres_url(postgres_store_url: str) -> str:
    """The URI of a migrated, empty PostgreSQL database for one test."""
    empty(postgres_store_url)
    return postgres_store_url



@pytest.fixture(params=BACKENDS)
def open_durable_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    """``open_durable_store()`` -> a new store on one durable database, the same at every call (a
    restart), on each backend in turn (see :func:`backends.store_opener`)."""
    return store_opener(request, request.param, tmp_path)
