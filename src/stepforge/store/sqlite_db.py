"""The SQLite database under the store: connections, transactions, migrations, shared definitions.

SQL runs in a :class:`SqliteSession`: the aggregate classes (``sqlite_machines``, ...) call
``self._execute`` and never ask which connection it is. Two kinds of session run the same code:

- the database itself reads, on a connection of the calling thread (WAL: readers never wait for
  the writer, and see only what is committed; a read needs no BEGIN);
- a :class:`SqliteWriter` (a unit of work) is bound to the one writer connection for the span of a
  ``BEGIN IMMEDIATE`` transaction, and refuses every call once that ends.

One writer at a time (SQLite has one): :meth:`SqliteDatabase._transaction` holds a lock around the
writer connection, and refuses to nest on the thread that holds it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from stepforge.store.base import Conflict, NestedTransaction, StorageCorrupt, StorageFull, TransactionClosed
from stepforge.store.moves import MOVES
from stepforge.store.schema import MIGRATIONS
from stepforge.store.sqlite_cache import MACHINES, RULES, CommittedCache
from stepforge.store.sqlite_checkpoint import Checkpointer, disk_full

V = TypeVar("V")
FILE_NAME = "stepforge.sqlite3"
#: Values bound in one statement at most (SQLite's limit is 32,766), and rows written by one statement.
MAX_VARIABLES, MAX_ROWS = 30_000, 128
#: Definition hashes kept by text (a machine's definition is hashed once, not at every execution's start).
DIGESTS = 1024
#: How long a transaction waits for the writer (another thread's or process's) before it fails.
BUSY_SECONDS = 30
#: Only the owner reads or writes the data: the directory and every file SQLite makes in it.
DIR_MODE, FILE_MODE = 0o700, 0o600


class SqliteSession:
    """Where SQL runs: a connection, and the database's cache of definition texts."""

    _database: SqliteDatabase

    def _connection(self) -> sqlite3.Connection:
        raise NotImplementedError

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        conn = self._connection()
        try:
            return conn.execute(sql, tuple(params))
        except sqlite3.DatabaseError as exc:
            raise self._faulted(exc) from exc

    def _insert(self, sql: str, params: Iterable[Any]) -> None:
        """An INSERT whose key must be new: a stored key raises :class:`Conflict`."""
        try:
            self._execute(sql, params)
        except sqlite3.IntegrityError as exc:
            if str(exc).startswith("UNIQUE constraint failed"):
                raise Conflict(str(exc)) from exc
            raise

    def _execute_many(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        conn = self._connection()
        try:
            conn.executemany(sql, (tuple(row) for row in rows))
        except sqlite3.DatabaseError as exc:
            raise self._faulted(exc) from exc

    def _faulted(self, exc: sqlite3.DatabaseError) -> Exception:
        """The error to raise for ``exc``: a storage fault by the store's name, any other as it is."""
        return _fault(self._database.path, exc) or exc

    def _cached(self, kind: str, key: Any, read: Callable[[], V]) -> V:
        """``read()``'s value for ``key``, kept in the database's cache of ``kind`` (see
        :mod:`stepforge.store.sqlite_cache`)."""
        cache: CommittedCache[V] = self._database._caches[kind]
        return cache.get(key, read)

    def _definition(self, digest: str) -> str:
        texts = self._database._texts
        text = texts.get(digest)
        if text is None:
            text = str(self._execute("SELECT text FROM definitions WHERE hash = ?", (digest,)).fetchone()[0])
            texts[digest] = text
        return text


class SqliteWriter(SqliteSession):
    """A session bound to the writer connection for one transaction: the base of the unit of work.

    Savepoints are lazy: ``SAVEPOINT`` is sent only before the first statement in the block that is
    not a ``SELECT`` (a block that only reads, as most end hooks do, costs no statement at all).
    Some writes are deferred (:meth:`_defer`): consecutive ones of the same statement go to SQLite
    as one ``executemany`` (a batch's history and execution updates: one statement each, not one
    per execution), sent before any other statement, at every savepoint's start and end, and
    before the commit.
    """

    def __init__(self, database: SqliteDatabase, conn: sqlite3.Connection) -> None:
        self._database = database
        self._conn: sqlite3.Connection | None = conn
        self._fresh: list[str] = []     # definition hashes this transaction inserted
        self._lost: Exception | None = None  # the storage fault that made SQLite roll the transaction back
        self._depth = 0    # savepoints open
        self._issued = 0   # of which sent to SQLite (the outermost ones: a block writes inside its parents)
        self.changed: set[str] = set()  # the cached kinds of rows this transaction wrote (sqlite_cache)
        self._deferred: _Deferred | None = None

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        if self._deferred is not None:
            self._flush()
        if self._issued < self._depth and not sql.startswith("SELECT"):
            self._issue()
        return super()._execute(sql, params)

    def _execute_many(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        if self._deferred is not None:
            self._flush()
        if self._issued < self._depth:
            self._issue()
        super()._execute_many(sql, rows)

    def _defer(self, sql: str, rows: Iterable[tuple[Any, ...]], *, many: Callable[[int], str] | None = None,
               key: int | None = None) -> None:
        """A write whose rows may wait for the next statement (see the class). ``many(n)``: the same
        write of ``n`` rows in one statement (their values one after the other), which SQLite runs in
        one step (``executemany`` steps, and lets the GIL go, once a row); ``key``: the column
        naming the row a row writes (of two rows for one key, the later wins, as run in order)."""
        deferred = self._deferred
        if deferred is not None and deferred.sql == sql:
            deferred.rows.extend(rows)
            return
        if deferred is not None:
            self._flush()
        self._connection()  # refuse at once in a transaction that ended
        self._deferred = _Deferred(sql, list(rows), many, key)

    def _flush(self) -> None:
        """Send the deferred writes."""
        deferred = self._deferred
        if deferred is None:
            return
        self._deferred = None
        rows = deferred.rows
        if deferred.key is not None:
            column = deferred.key
            rows = list({row[column]: row for row in rows}.values())
        if deferred.many is None or len(rows) < 2:
            self._execute_many(deferred.sql, rows)
            return
        most = min(MAX_ROWS, MAX_VARIABLES // len(rows[0]))
        start = 0
        while start < len(rows):  # chunks of a power of two rows: a few statement shapes, each prepared once
            size = 1 << (min(most, len(rows) - start).bit_length() - 1)
            chunk, start = rows[start:start + size], start + size
            if size == 1:
                self._execute(deferred.sql, chunk[0])
            else:
                self._execute(deferred.many(size), [value for row in chunk for value in row])

    def _issue(self) -> None:
        """Send the savepoints the block about to write is inside of."""
        conn = self._connection()
        while self._issued < self._depth:
            conn.execute("SAVEPOINT item")
            self._issued += 1

    def _cached(self, kind: str, key: Any, read: Callable[[], V]) -> V:
        """As the database's, except in a transaction that wrote rows of ``kind``: it reads its own writes."""
        return read() if kind in self.changed else super()._cached(kind, key, read)

    def _connection(self) -> sqlite3.Connection:
        """The writer connection while the transaction lives. After a full disk or an I/O error SQLite
        may roll the whole transaction back by itself: every later call then raises that fault, since
        a statement run now would commit on its own (nothing may be half-written)."""
        if self._conn is None:
            raise TransactionClosed("this unit of work's transaction has ended")
        if not self._conn.in_transaction:
            lost = self._lost or StorageFull(f"{self._database.path}: the transaction was rolled back")
            raise type(lost)(str(lost))
        return self._conn

    def _faulted(self, exc: sqlite3.DatabaseError) -> Exception:
        fault = super()._faulted(exc)
        if fault is not exc:
            self._lost = fault
        return fault

    def _end(self) -> None:
        self._conn = None

    def savepoint(self) -> _Savepoint:
        """Undo only this block's writes if it raises."""
        return _Savepoint(self)

    def _store_definition(self, text: str) -> str:
        """The hash of ``text``, inserting its row unless a committed one (or this transaction's) has it.

        The hash is remembered as stored only once the transaction commits, so a rolled-back insert
        is made again next time.
        """
        digests = self._database._digests
        digest = digests.get(text)
        if digest is None:
            digest = hashlib.sha256(text.encode()).hexdigest()
            if len(digests) >= DIGESTS:
                digests.pop(next(iter(digests)))
            digests[text] = digest
        if digest not in self._database._stored and digest not in self._fresh:
            self._execute("INSERT OR IGNORE INTO definitions (hash, text) VALUES (?, ?)", (digest, text))
            self._fresh.append(digest)
            self._database._texts[digest] = text
        return digest


@dataclass(slots=True)
class _Deferred:
    """Rows of one write waiting to be sent (see :meth:`SqliteWriter._defer`)."""

    sql: str
    rows: list[tuple[Any, ...]]
    many: Callable[[int], str] | None
    key: int | None


class _Savepoint:
    """A block of :meth:`SqliteWriter.savepoint`: sent to SQLite only if the block writes."""

    __slots__ = ("_conn", "_depth", "_mark", "_writer")

    def __init__(self, writer: SqliteWriter) -> None:
        self._writer = writer

    def __enter__(self) -> None:
        writer = self._writer
        writer._flush()
        self._conn = writer._connection()
        writer._depth += 1
        self._depth, self._mark = writer._depth, len(writer._fresh)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        writer, conn = self._writer, self._conn
        if writer._deferred is not None and conn.in_transaction:
            writer._flush()  # inside the block: undone with it if it raised
        writer._depth = self._depth - 1
        if kind is not None:
            del writer._fresh[self._mark:]
        if writer._issued < self._depth:
            return  # the block wrote nothing: nothing was sent, nothing to undo
        writer._issued = self._depth - 1
        if kind is None:
            conn.execute("RELEASE item")
        elif conn.in_transaction:  # else SQLite rolled it all back (a storage fault): nothing to undo
            conn.execute("ROLLBACK TO item")
            conn.execute("RELEASE item")


W = TypeVar("W", bound=SqliteWriter)


class SqliteDatabase(SqliteSession):
    """One SQLite file, migrated to the latest schema when opened; reads on the calling thread's connection."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        if self.path.suffix == "" or self.path.is_dir():
            self.path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            self.path.chmod(DIR_MODE)
            self.path = self.path / FILE_NAME
        _own_files(self.path)
        self.synchronous = synchronous
        self._database = self
        self._readers = threading.local()
        #: Every live thread's reader connection, so that close() closes them all (a thread's own is
        #: freed, and leaves this set, when the thread ends).
        self._reader_conns: weakref.WeakSet[sqlite3.Connection] = weakref.WeakSet()
        self._readers_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._writer_thread: int | None = None
        self._writer_conn: sqlite3.Connection | None = None
        self._texts: dict[str, str] = {}    # definition texts by hash (a pure function: safe to cache any time)
        self._digests: dict[str, str] = {}  # and the reverse (a text's hash is kept by the string itself)
        self._stored: set[str] = set()      # hashes whose definition row is committed
        #: When RUNNING executions were last counted, and how many (see ``count_open_executions``).
        self.open_counted = (-10.0, 0)
        self._caches: dict[str, CommittedCache[Any]] = {MACHINES: CommittedCache(), RULES: CommittedCache()}
        self._checkpointer: Checkpointer | None = None
        self._migrate()
        #: Has ``child_watches`` held a row (as this process, the file's only writer, knows)? While it
        #: has not, no execution has a parent waiting on it (``get_child_watch`` reads nothing).
        self.watched = bool(self._execute("SELECT EXISTS (SELECT 1 FROM child_watches)").fetchall()[0][0])

    # -- connections and transactions ------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_SECONDS,
                               factory=_Connection)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        conn.execute("PRAGMA foreign_keys=ON")
        if self._checkpointer is not None:
            conn.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    def checkpoint_in_background(self) -> None:
        """From now on no commit checkpoints the WAL: a thread of its own does, a moment after commits
        (see :mod:`stepforge.store.sqlite_checkpoint`). What a server does; :meth:`close` stops it."""
        with self._write_lock:
            if self._checkpointer is not None:
                return
            self._checkpointer = Checkpointer(self.path, self._open)
            if self._writer_conn is not None:
                self._writer_conn.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpointer.start()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
        if conn is None:
            conn = self._readers.conn = self._open()
            with self._readers_lock:
                self._reader_conns.add(conn)
        return conn

    @contextmanager
    def _transaction(self, bind: Callable[[SqliteDatabase, sqlite3.Connection], W]) -> Iterator[W]:
        """``BEGIN IMMEDIATE`` on the writer connection; yield the session ``bind`` makes of it;
        commit, or roll back if the block raises. The session refuses every call afterwards."""
        if self._writer_thread == threading.get_ident():
            raise NestedTransaction("a transaction is already open on this thread: pass its unit of work")
        if not self._write_lock.acquire(timeout=BUSY_SECONDS):  # as SQLite's busy timeout does
            raise sqlite3.OperationalError(f"database is locked: the writer was busy for {BUSY_SECONDS} s")
        self._writer_thread = threading.get_ident()
        try:
            if self._writer_conn is None:
                self._writer_conn = self._open()
            yield from self._run(self._writer_conn, bind(self, self._writer_conn))
        finally:
            self._writer_thread = None
            self._write_lock.release()

    def _run(self, conn: sqlite3.Connection, tx: W) -> Iterator[W]:
        """One transaction; a full disk (SQLITE_FULL) anywhere in it rolls it all back and raises
        :class:`StorageFull`, a damaged file :class:`StorageCorrupt`."""
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield tx
                tx._flush()
                tx._connection()  # raises if a storage fault ended the transaction
                conn.execute("COMMIT")
                if self._checkpointer is not None:
                    self._checkpointer.committed(conn)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                tx._end()
                for kind in tx.changed:  # before the next transaction starts (see sqlite_cache)
                    self._caches[kind].changed()
        except sqlite3.DatabaseError as exc:
            raise self._faulted(exc) from exc
        self._stored.update(tx._fresh)

    def quick_check(self, *, limit: int = 10) -> list[str]:
        """What ``PRAGMA quick_check`` finds wrong (at most ``limit`` lines); empty when the file is sound.

        The quick check verifies every page and B-tree but not that indexes match their tables, and
        reads the whole file once. Measured on 1,000,000 history rows (373 MB): 0.3 s with the file
        in the page cache (a restart), 26 s with a cold cache on a busy 2-core VM — hence
        ``serve --skip-check`` for very large databases. (``integrity_check(1)``: 1.0 s warm.)
        """
        try:
            rows = self._connection().execute(f"PRAGMA quick_check({int(limit)})").fetchall()
        except sqlite3.DatabaseError as exc:
            return [str(exc)]
        found = [line for row in rows for line in str(row[0]).splitlines() if not line.startswith("***")]
        return [] if found == ["ok"] else found[:limit]

    def _migrate(self) -> None:
        with self._transaction(SqliteWriter) as tx:
            tx._execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = tx._execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = row[0] or 0
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in filter(str.strip, script.split(";")):
                    tx._execute(statement)
                if number in MOVES:
                    MOVES[number](tx._execute)
                tx._execute("INSERT INTO schema_version (version) VALUES (?)", (number,))

    def schema_version(self) -> int:
        return int(self._execute("SELECT MAX(version) FROM schema_version").fetchone()[0])

    def close(self) -> None:
        """Stop the checkpointer (after a last checkpoint); close every thread's reader connection,
        then the writer's. The last connection closed copies the WAL into the database file and
        removes it: a stopped store is one file (a copy of it is a whole backup; a damaged page is
        not hidden behind a newer copy in a WAL)."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self._readers.conn = None
        with self._readers_lock:
            readers, self._reader_conns = list(self._reader_conns), weakref.WeakSet()
        for conn in readers:
            conn.close()
        with self._write_lock:
            if self._writer_conn is not None:
                self._writer_conn.close()
                self._writer_conn = None


class _Connection(sqlite3.Connection):
    """A connection that can be weakly referenced (sqlite3's own cannot)."""


def _own_files(path: Path) -> None:
    """Create the database file readable by its owner only (SQLite gives the -wal and -shm files the
    same mode), and take read access away from others on a file made before."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
        candidate = path.with_name(name)
        if candidate.exists():
            candidate.chmod(FILE_MODE)


#: SQLite's primary result codes of a damaged file.
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


def _fault(path: Path, exc: sqlite3.DatabaseError) -> Exception | None:
    """The store's name for a storage fault SQLite reported, or None for any other error."""
    if disk_full(exc):
        return StorageFull(f"{path}: {exc}")
    if getattr(exc, "sqlite_errorcode", 0) & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StorageCorrupt(f"{path}: {exc}")
    return None
