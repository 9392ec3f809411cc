"""The SQLite database under the store: connections, transactions, migrations, shared definitions.

Each thread gets its own connection (WAL, foreign keys on). ``transaction()`` opens ``BEGIN
IMMEDIATE`` (one writer at a time, readers never blocked) and nests: inner blocks join the outer
one, so a whole engine batch commits at once. Calls outside a transaction commit on their own.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stepforge.store.base import Conflict
from stepforge.store.moves import MOVES
from stepforge.store.schema import MIGRATIONS

FILE_NAME = "stepforge.sqlite3"


class SqliteDatabase:
    """One SQLite file, migrated to the latest schema when opened."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        if self.path.suffix == "" or self.path.is_dir():
            self.path.mkdir(parents=True, exist_ok=True)
            self.path = self.path / FILE_NAME
        self.synchronous = synchronous
        self._local = threading.local()
        self._texts: dict[str, str] = {}    # definition texts by hash (a pure function: safe to cache any time)
        self._stored: set[str] = set()      # hashes whose definition row is committed
        self._migrate()

    # -- connections and transactions ------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn, self._local.depth, self._local.fresh = conn, 0, []
        return conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        conn = self._connection()
        if self._local.depth:
            self._local.depth += 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
            self._stored.update(self._local.fresh)
        finally:
            self._local.depth, self._local.fresh = 0, []

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction: undo only this block's writes if it raises."""
        conn = self._connection()
        mark = len(self._local.fresh)
        conn.execute("SAVEPOINT item")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK TO item")
            conn.execute("RELEASE item")
            del self._local.fresh[mark:]
            raise
        conn.execute("RELEASE item")

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        return self._connection().execute(sql, tuple(params))

    def _insert(self, sql: str, params: Iterable[Any]) -> None:
        """An INSERT whose key must be new: a stored key raises :class:`Conflict`."""
        try:
            self._execute(sql, params)
        except sqlite3.IntegrityError as exc:
            if str(exc).startswith("UNIQUE constraint failed"):
                raise Conflict(str(exc)) from exc
            raise

    def _execute_many(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        self._connection().executemany(sql, (tuple(row) for row in rows))

    def _migrate(self) -> None:
        with self.transaction():
            self._execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = self._execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = row[0] or 0
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in filter(str.strip, script.split(";")):
                    self._execute(statement)
                if number in MOVES:
                    MOVES[number](self._execute)
                self._execute("INSERT INTO schema_version (version) VALUES (?)", (number,))

    def schema_version(self) -> int:
        return int(self._execute("SELECT MAX(version) FROM schema_version").fetchone()[0])

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- definitions (content-addressed: many executions share one text) -------------------------

    def _store_definition(self, text: str) -> str:
        """The hash of ``text``, inserting its row unless a committed one (or this transaction's) has it.

        Called inside a transaction: the hash is remembered as stored only once that commits, so a
        rolled-back insert is made again next time.
        """
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest not in self._stored and digest not in self._local.fresh:
            self._execute("INSERT OR IGNORE INTO definitions (hash, text) VALUES (?, ?)", (digest, text))
            self._local.fresh.append(digest)
            self._texts[digest] = text
        return digest

    def _definition(self, digest: str) -> str:
        text = self._texts.get(digest)
        if text is None:
            text = str(self._execute("SELECT text FROM definitions WHERE hash = ?", (digest,)).fetchone()[0])
            self._texts[digest] = text
        return text
