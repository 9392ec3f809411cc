"""Which store a deployment uses: PostgreSQL when given a ``postgresql://`` URL, else SQLite in a directory.

The one place that picks an implementation (``serve``, ``engine``, ``db check``, ``db migrate``):
callers get a :class:`~stepforge.store.base.Store` and never name a backend.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from stepforge.store.base import Store

#: The URL schemes that select PostgreSQL (as libpq accepts them).
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class UnknownDatabase(ValueError):
    """A ``--db`` value that names no backend stepforge has."""


def is_postgres(db_url: str | None) -> bool:
    return db_url is not None and db_url.startswith(POSTGRES_SCHEMES)


def check_url(db_url: str | None) -> None:
    """Raise :class:`UnknownDatabase` unless ``db_url`` is None (SQLite) or a PostgreSQL URL."""
    if db_url is not None and not is_postgres(db_url):
        raise UnknownDatabase(f"--db {db_url!r}: expected a postgresql://user@host:port/database URL "
                              "(leave --db out for SQLite under --data-dir)")


def open_store(db_url: str | None, data_dir: Path, *, synchronous: str = "FULL") -> Store:
    """The store of a deployment, migrated to the latest schema: PostgreSQL at ``db_url``, or (None)
    SQLite in ``data_dir``.

    Raises :class:`UnknownDatabase` for a URL of another kind,
    :class:`~stepforge.store.base.StoreUnavailable` when PostgreSQL cannot be reached, and what
    :class:`~stepforge.store.sqlite.SqliteStore` raises for a file it cannot open.
    """
    check_url(db_url)
    if db_url is not None:
        try:
            from stepforge.store.postgres import PostgresStore  # psycopg only when PostgreSQL is used
        except ImportError as exc:
            raise UnknownDatabase(f"--db postgresql://... needs psycopg ({exc}): "
                                  "pip install 'stepforge[postgres]'") from None
        return PostgresStore(db_url)
    from stepforge.store.sqlite import SqliteStore

    return SqliteStore(data_dir, synchronous=synchronous)


def stored_version(db_url: str | None, data_dir: Path) -> int:
    """The schema version a database has now (0: none yet), read without migrating it."""
    check_url(db_url)
    if db_url is not None:
        from stepforge.store.postgres_db import stored_version as postgres_version

        return postgres_version(db_url)
    from stepforge.store.sqlite import FILE_NAME

    path = data_dir / FILE_NAME
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        try:
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        except sqlite3.OperationalError:
            return 0  # an empty file: no schema yet
    return int(row[0] or 0)


def describe(db_url: str | None, data_dir: Path) -> str:
    """Where the data is, for a startup line (a PostgreSQL password is never shown)."""
    if db_url is not None:
        from stepforge.store.postgres_db import redacted

        return f"PostgreSQL {redacted(db_url)}"
    from stepforge.store.sqlite import FILE_NAME

    return f"SQLite {(data_dir / FILE_NAME).resolve()}"
