"""The PostgreSQL database under the store: a connection pool, transactions, savepoints, migrations.

SQL runs in a :class:`PostgresSession`, as on SQLite: the aggregate classes (``postgres_machines``,
...) call ``self._execute`` and never ask which connection it is.

- The database itself reads on a pooled connection in autocommit mode: each read sees what is
  committed, and the connection goes back to the pool before the rows are decoded.
- A :class:`PostgresWriter` (a unit of work) holds one pooled connection for the span of a
  transaction, and refuses every call once that ends.

Transactions of one process run one at a time (as on SQLite: the engine's batch and the API's
writes take turns, and the code above was written for that); transactions of several processes
(nodes) run concurrently, kept apart by row locks (see ``postgres.py`` for the claims of work).

Errors: a unique violation is :class:`Conflict`, a full disk :class:`StorageFull`; a lost or refused
connection, a server shutting down, a deadlock or a serialization failure is
:class:`StoreUnavailable` (the whole transaction rolled back: retry it). The pool replaces broken
connections in the background, with back-off, while the server is away.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg
import psycopg_pool
from psycopg import errors

from stepforge.store.base import (
    Conflict,
    NestedTransaction,
    StorageFull,
    StoreUnavailable,
    TransactionClosed,
)
from stepforge.store.moves import MOVES
from stepforge.store.schema import MIGRATIONS

#: How long a transaction or a read waits for a connection (or this process's writer) before it fails.
WAIT_SECONDS = 30.0
#: How long a request waits for a connection while the server is unreachable before StoreUnavailable.
CONNECT_SECONDS = 5.0
#: How long the pool retries (with exponential back-off) to replace a lost connection before it gives
#: that one up; a request that then needs a connection opens a new one.
RECONNECT_SECONDS = 300.0
#: A pooled connection idle for longer is checked (one round trip) before it is handed out.
IDLE_CHECK_SECONDS = 1.0
#: Connections per process: the engine's writer, the API's reads, long polls.
POOL_MIN, POOL_MAX = 2, 10
#: TCP keepalives: a server behind a cut network is noticed in about 15 s, not hours.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 5}
#: Session settings of every pooled connection: a transaction waits at most ``lock_timeout`` for a
#: row another node holds (then StoreUnavailable: the batch is retried), and the server ends a
#: transaction left open by a node that stopped answering.
SESSION = {"lock_timeout": "10s", "idle_in_transaction_session_timeout": "1min"}
#: Values past about 2 KB (history bodies, inputs, outputs) are compressed with lz4 where the server
#: has it (PostgreSQL 14 or later built with lz4, as Debian's and the official images are); elsewhere with
#: the default pglz. Measured on a chain100 history (bench/backends.py): 1.1 ms of server time per INSERT with
#: pglz, 0.12 ms with lz4. Rows already stored keep their compression; PostgreSQL reads both.
_LZ4 = ("SELECT set_config('default_toast_compression', 'lz4', false) FROM pg_settings "
        "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")
#: Held for the span of a migration, so that nodes starting together migrate one after the other.
_MIGRATION_LOCK = 0x5F_4D16


@dataclass
class Rows:
    """What a statement returned, read whole (the connection may be back in the pool)."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rowcount: int = 0

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


class PostgresSession:
    """Where SQL runs: a connection, and the database's cache of definition texts."""

    _database: PostgresDatabase

    def _run_sql(self, call: Callable[[psycopg.Connection[Any]], Rows]) -> Rows:
        raise NotImplementedError

    def _execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Rows:
        """Run one statement (``%s`` placeholders, or ``%(name)s`` with a mapping); its rows, read whole."""
        values = {k: _text(v) for k, v in params.items()} if isinstance(params, Mapping) else _texts(params)
        return self._run_sql(lambda conn: _rows(conn.execute(sql, values or None)))

    def _execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = [_texts(row) for row in rows]
        if batch:
            self._run_sql(lambda conn: _many(conn, sql, batch))

    def _insert(self, sql: str, params: Sequence[Any]) -> None:
        """An INSERT (without ON CONFLICT) whose key must be new: a stored key raises :class:`Conflict`.

        Written as ``ON CONFLICT DO NOTHING`` so a conflict leaves the transaction usable, as on SQLite.
        """
        if not self._execute(f"{sql} ON CONFLICT DO NOTHING", params).rowcount:
            raise Conflict(f"a row with this key is stored: {params[0]!r}")

    def _definition(self, digest: str) -> str:
        texts = self._database._texts
        text = texts.get(digest)
        if text is None:
            row = self._execute("SELECT text FROM definitions WHERE hash = %s", (digest,)).fetchone()
            assert row is not None, f"definition {digest} is missing"  # a foreign key guarantees it
            text = texts[digest] = str(row[0])
        return text


def _text(value: Any) -> Any:
    """PostgreSQL's text holds no NUL character (SQLite's does): a NUL in a user's string (a task
    failure's cause, say) is stored as U+FFFD rather than failing every batch that writes it."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value


def _texts(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(_text(value) for value in values)


def _rows(cursor: psycopg.Cursor[Any]) -> Rows:
    return Rows(cursor.fetchall() if cursor.description is not None else [], cursor.rowcount)


def _many(conn: psycopg.Connection[Any], sql: str, batch: list[tuple[Any, ...]]) -> Rows:
    with conn.cursor() as cursor:
        cursor.executemany(sql, batch)
        return Rows([], cursor.rowcount)


class PostgresWriter(PostgresSession):
    """A session bound to one connection for one transaction: the base of the unit of work."""

    def __init__(self, database: PostgresDatabase, conn: psycopg.Connection[Any]) -> None:
        self._database = database
        self._conn: psycopg.Connection[Any] | None = conn
        self._fresh: list[str] = []     # definition hashes this transaction inserted

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None:
            raise TransactionClosed("this unit of work's transaction has ended")
        return self._conn

    def _run_sql(self, call: Callable[[psycopg.Connection[Any]], Rows]) -> Rows:
        conn = self._connection()
        try:
            return call(conn)
        except psycopg.Error as exc:
            raise fault(exc) from exc

    def _end(self) -> None:
        self._conn = None

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo only this block's writes if it raises."""
        conn = self._connection()
        mark = len(self._fresh)
        try:
            with conn.transaction():  # nested in the open transaction: a SAVEPOINT
                yield
        except BaseException:
            del self._fresh[mark:]
            raise

    def _store_definition(self, text: str) -> str:
        """The hash of ``text``, inserting its row unless a committed one (or this transaction's) has it.

        Remembered as stored only once the transaction commits, so a rolled-back insert is made again.
        """
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest not in self._database._stored and digest not in self._fresh:
            self._execute("INSERT INTO definitions (hash, text) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                          (digest, text))
            self._fresh.append(digest)
            self._database._texts[digest] = text
        return digest


W = TypeVar("W", bound=PostgresWriter)


class PostgresDatabase(PostgresSession):
    """One PostgreSQL database, migrated to the latest schema when opened; reads on pooled connections.

    ``url`` is a libpq connection string or URI (``postgresql://user@host:port/db``).
    """

    def __init__(self, url: str, *, pool_min: int = POOL_MIN, pool_max: int = POOL_MAX,
                 connect_seconds: float = CONNECT_SECONDS) -> None:
        self.url = url
        self._database = self
        self._returned: weakref.WeakKeyDictionary[psycopg.Connection[Any], float] = weakref.WeakKeyDictionary()
        self._returned_lock = threading.Lock()
        self._pool = psycopg_pool.ConnectionPool(
            url, min_size=pool_min, max_size=pool_max, open=False, timeout=connect_seconds,
            kwargs={"autocommit": True, **KEEPALIVES}, configure=_configure, check=self._check_if_idle,
            reset=self._note_return,
            name="stepforge", reconnect_timeout=RECONNECT_SECONDS,
        )
        self._write_lock = threading.Lock()
        self._writer_thread: int | None = None
        self._texts: dict[str, str] = {}
        self._stored: set[str] = set()
        #: When RUNNING executions were last counted, and how many (see ``count_open_executions``).
        self.open_counted = (-10.0, 0)
        _probe(url, connect_seconds)
        try:
            self._pool.open(wait=True, timeout=connect_seconds)
        except psycopg_pool.PoolTimeout as exc:
            self._pool.close()
            raise StoreUnavailable(f"cannot connect to {redacted(url)}: {exc}") from None
        try:
            self._migrate()
        except BaseException:
            self._pool.close()
            raise

    # -- connections and transactions ------------------------------------------------------------

    def _note_return(self, conn: psycopg.Connection[Any]) -> None:
        with self._returned_lock:
            self._returned[conn] = time.monotonic()

    def _check_if_idle(self, conn: psycopg.Connection[Any]) -> None:
        """Before a connection is handed out: a round trip to see it still works, but only when it has
        been idle for a while (a server restart meanwhile); one in use a moment ago costs nothing."""
        with self._returned_lock:
            returned = self._returned.get(conn, 0.0)
        if time.monotonic() - returned > IDLE_CHECK_SECONDS:
            psycopg_pool.ConnectionPool.check_connection(conn)

    @contextmanager
    def _checkout(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection for a block (StoreUnavailable when none comes in time)."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg_pool.PoolTimeout as exc:
            raise StoreUnavailable(f"cannot connect to {redacted(self.url)}: {exc}") from None
        except psycopg.Error as exc:
            raise fault(exc) from exc

    def _run_sql(self, call: Callable[[psycopg.Connection[Any]], Rows]) -> Rows:
        with self._checkout() as conn:
            return call(conn)

    @contextmanager
    def _transaction(self, bind: Callable[[PostgresDatabase, psycopg.Connection[Any]], W]) -> Iterator[W]:
        """A transaction on a pooled connection; yield the session ``bind`` makes of it; commit, or
        roll back if the block raises. The session refuses every call afterwards."""
        if self._writer_thread == threading.get_ident():
            raise NestedTransaction("a transaction is already open on this thread: pass its unit of work")
        if not self._write_lock.acquire(timeout=WAIT_SECONDS):
            raise StoreUnavailable(f"this process's writer was busy for {WAIT_SECONDS:.0f} s")
        self._writer_thread = threading.get_ident()
        try:
            with self._checkout() as conn:
                tx = bind(self, conn)
                try:
                    with conn.transaction():
                        yield tx
                finally:
                    tx._end()
            self._stored.update(tx._fresh)
        finally:
            self._writer_thread = None
            self._write_lock.release()

    def _migrate(self) -> None:
        with self._transaction(PostgresWriter) as tx:
            tx._execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            tx._execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = tx._execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = int(row[0] or 0) if row else 0
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in dialect(script, number):
                    tx._execute(statement)
                if number in MOVES:
                    MOVES[number](lambda sql, params=(): tx._execute(sql.replace("?", "%s"), tuple(params)))
                tx._execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))

    def schema_version(self) -> int:
        row = self._execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()


def _configure(conn: psycopg.Connection[Any]) -> None:
    for name, value in SESSION.items():
        conn.execute("SELECT set_config(%s, %s, false)", (name, value))
    conn.execute(_LZ4)


def _probe(url: str, connect_seconds: float) -> None:
    """Connect once, so that a wrong URL or a server that is down fails at once with libpq's reason
    (rather than after the pool's timeout)."""
    try:
        psycopg.connect(url, connect_timeout=max(1, round(connect_seconds))).close()
    except psycopg.Error as exc:
        raise StoreUnavailable(f"cannot connect to {redacted(url)}: {_first_line(exc)}") from None


# -- the dialect: the shared migrations, in PostgreSQL's words ----------------------------------

_TYPES = ((re.compile(r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b"), "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
          (re.compile(r"\bINTEGER\b"), "BIGINT"),
          (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"))
#: What SQLite's implicit ``rowid`` gives some tables (insertion order, as a keyset's tie-breaker).
_EXTRA: dict[int, tuple[str, ...]] = {
    1: ("ALTER TABLE executions ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY",
        "ALTER TABLE activity_tasks ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY"),
    3: ("ALTER TABLE child_watches ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY",),
}


def dialect(script: str, number: int) -> list[str]:
    """Migration ``number``'s statements for PostgreSQL: 64-bit integers, double precision reals,
    identity columns for autoincrement keys, and a ``seq`` column where SQLite's ``rowid`` served."""
    statements = [statement.strip() for statement in script.split(";") if statement.strip()]
    translated = []
    for statement in statements:
        for pattern, replacement in _TYPES:
            statement = pattern.sub(replacement, statement)
        translated.append(statement)
    return translated + list(_EXTRA.get(number, ()))


# -- faults ------------------------------------------------------------------------------------

#: SQLSTATE classes and codes of a server that cannot be used right now: connection exceptions,
#: too many connections, an operator's shutdown, a crash restart, a server still starting; and of a
#: transaction to retry: a serialization failure, a deadlock, a lock not granted in time, a
#: transaction the server ended for idling.
_UNAVAILABLE_CLASSES = ("08",)
_UNAVAILABLE = {"53300", "57P01", "57P02", "57P03", "40001", "40P01", "55P03", "25P03"}


def fault(exc: psycopg.Error) -> Exception:
    """The store's exception for a psycopg error (``exc`` itself when it is no storage fault)."""
    state = exc.sqlstate or ""
    if isinstance(exc, errors.UniqueViolation):
        return Conflict(str(exc))
    if isinstance(exc, errors.DiskFull):
        return StorageFull(f"the PostgreSQL server's disk is full: {exc}")
    if state in _UNAVAILABLE or state[:2] in _UNAVAILABLE_CLASSES:
        return StoreUnavailable(f"PostgreSQL: {_first_line(exc)}")
    if isinstance(exc, psycopg.OperationalError) and not state:  # the connection itself failed
        return StoreUnavailable(f"PostgreSQL connection lost: {_first_line(exc)}")
    return exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def redacted(url: str) -> str:
    """``url`` without its password (for messages and logs)."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", re.sub(r"(password=)\S+", r"\1***", url))


def stored_version(url: str, *, connect_seconds: float = CONNECT_SECONDS) -> int:
    """The schema version of the database at ``url`` (0: never migrated), without migrating it."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(connect_seconds))) as conn:
            exists = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
            if not exists or not exists[0]:
                return 0
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    except psycopg.Error as exc:
        raise fault(exc) from exc
    return int(row[0] or 0) if row else 0
