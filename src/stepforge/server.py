"""Wiring: a store, an engine and the HTTP application that serve one deployment."""

from __future__ import annotations

import asyncio
import gc
import socket
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import uvicorn

from stepforge.api.app import create_app
from stepforge.api.credentials import AuthConfig
from stepforge.api.front_door import FrontDoor
from stepforge.api.hosts import served_hosts
from stepforge.api.sessions import Sessions
from stepforge.api.throttle import Throttle
from stepforge.api.throttle_config import ThrottleConfig
from stepforge.engine.clock import Clock
from stepforge.engine.engine import MAX_HISTORY_EVENTS, Engine
from stepforge.engine.lease import NodeSettings
from stepforge.engine.logs import ExecutionLogs, LogSettings
from stepforge.http_protocol import CoalescingHttpProtocol
from stepforge.observe.audit import AuditLog
from stepforge.observe.observatory import Observatory
from stepforge.service import ports
from stepforge.service.arns import DEFAULT_ACCOUNT
from stepforge.service.context import ServiceContext
from stepforge.service.firing import Firing
from stepforge.store.base import StorageCorrupt, Store, StoreUnavailable
from stepforge.store.lock import DataDirLock, DataDirLocked, lock_data_dir
from stepforge.store.memory import MemoryStore
from stepforge.store.open import UnknownDatabase, open_store
from stepforge.store.sqlite import SqliteStore
from stepforge.tasks import approval
from stepforge.tasks.config import TaskConfig

if TYPE_CHECKING:
    from stepforge.store.postgres_notify import PostgresNotifier


class Refused(Exception):
    """``serve`` cannot start; the message says why (the command exits 2)."""


@dataclass
class Startup:
    """What ``serve`` holds before anything runs: the data directory's lock, the checked store and
    the bound listening socket."""

    lock: DataDirLock
    store: Store
    socket: socket.socket

    def close(self) -> None:
        """Give everything back (the store is closed by :func:`serve` once it has run)."""
        self.socket.close()
        self.lock.release()


def start_up(data_dir: Path, *, host: str, port: int, synchronous: str = "FULL", check: bool = True,
             db_url: str | None = None) -> Startup:
    """Take the data directory, open (and check) its database, bind the port — in that order, and
    all before the engine recovers anything: a second server on the same directory, a damaged
    database or a port in use each raise :class:`Refused` with nothing dispatched twice.

    With ``db_url`` (PostgreSQL) any number of nodes share the database, each with a data directory
    of its own (its audit trail and logs), taken the same way: the node id kept there lets a node
    restarted on it adopt its predecessor's work at once (:class:`~stepforge.engine.lease.NodeLedger`).
    """
    lock = take_data_dir(data_dir)
    try:
        if db_url is not None:
            store = open_shared_store(db_url)
        else:
            store = open_checked_store(data_dir, synchronous=synchronous, check=check)
        try:
            return Startup(lock, store, bind(host, port))
        except Refused:
            store.close()
            raise
    except Refused:
        lock.release()
        raise


def take_data_dir(data_dir: Path) -> DataDirLock:
    """The data directory's lock, or :class:`Refused` saying whose it is or why it cannot be used."""
    try:
        return lock_data_dir(data_dir)
    except DataDirLocked as exc:
        raise Refused(str(exc)) from None
    except OSError as exc:
        raise Refused(f"cannot use the data directory {data_dir}: {exc}") from None


def open_checked_store(data_dir: Path, *, synchronous: str = "FULL", check: bool = True) -> SqliteStore:
    """The SQLite store under ``data_dir``, refused (:class:`Refused`, naming the file) when SQLite
    cannot open it or ``PRAGMA quick_check`` finds it damaged (``check=False`` skips the check)."""
    try:
        store = SqliteStore(data_dir, synchronous=synchronous)
    except (StorageCorrupt, sqlite3.DatabaseError, OSError) as exc:
        raise Refused(f"cannot open the database in {data_dir}: {exc}") from None
    problems = store.quick_check(limit=3) if check else []
    if problems:
        store.close()
        raise Refused(f"the database {store.path} is damaged (PRAGMA quick_check): {'; '.join(problems)}. "
                      "Restore it from a backup; `stepforge db check` lists what it can still read")
    return store


def open_shared_store(db_url: str) -> Store:
    """The store in the PostgreSQL database at ``db_url``, migrated; :class:`Refused` when it cannot be
    reached or the URL names no database stepforge knows."""
    try:
        return open_store(db_url, Path("."))
    except (UnknownDatabase, StoreUnavailable) as exc:
        raise Refused(str(exc)) from None


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (:class:`Refused` if the address is taken or unknown)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise Refused(f"cannot listen on {host}:{port}: {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise Refused(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def build(*, store: Store | None = None, account: str = DEFAULT_ACCOUNT, clock: Clock | None = None,
          long_poll_seconds: float = 60.0, max_open_executions: int = 1_000_000,
          stopping: threading.Event | None = None,
          max_history_events: int = MAX_HISTORY_EVENTS, tasks: TaskConfig | None = None,
          auth: AuthConfig | None = None, hosts: frozenset[str] | None = None,
          throttle: Throttle | None = None, logs: LogSettings | None = None,
          node: NodeSettings | None = None, observe: Observatory | None = None) -> tuple[FrontDoor, Engine]:
    """The application and its engine (not started: the caller owns its thread).

    ``auth`` and ``hosts`` are the edge's checks (see :class:`stepforge.api.edge.Edge`); ``throttle``
    rate-limits API calls (None: never); ``logs`` says where execution logs go (None: nowhere);
    ``node`` how the engine shares the store with other nodes; ``observe`` watches the engine and the
    API (None: nothing).
    """
    tasks = tasks or TaskConfig()
    tasks.approval_secret = tasks.approval_secret or approval.load_secret(None)
    context = connect(store=store or MemoryStore(), account=account, clock=clock,
                      max_open_executions=max_open_executions, max_history_events=max_history_events,
                      tasks=tasks, logs=logs, node=node)
    sessions = Sessions(tasks.approval_secret, auth.users, auth.session_seconds) if auth and auth.users else None
    if observe is not None:
        observe.attach(context.engine)
    app = create_app(context, long_poll_seconds=long_poll_seconds, stopping=stopping, auth=auth, hosts=hosts,
                     throttle=throttle, sessions=sessions, observe=observe)
    return app, context.engine


def connect(*, store: Store, account: str = DEFAULT_ACCOUNT, clock: Clock | None = None,
            max_open_executions: int = 1_000_000, max_history_events: int = MAX_HISTORY_EVENTS,
            tasks: TaskConfig | None = None, logs: LogSettings | None = None,
            node: NodeSettings | None = None) -> ServiceContext:
    """An engine (not started) connected to the service layer (child executions, end hooks): what
    ``serve`` runs under its API, and ``stepforge engine`` alone."""
    tasks = tasks or TaskConfig()
    tasks.account = account
    engine = Engine(store, clock, max_history_events=max_history_events, tasks=tasks, logs=ExecutionLogs(logs),
                    node=node)
    context = ports.connect(ServiceContext(store=store, engine=engine, account=account,
                                           max_open_executions=max_open_executions))
    approval.configure(tasks.approval_secret or approval.load_secret(None), tasks.approval_base_url)
    return context


class _Server(uvicorn.Server):
    """uvicorn, telling the application when a shutdown begins (to end long polls); the calls ``audit``
    records on its event loop are written a turn at a time, before that turn's answers (its protocol
    flushes ``audit`` first: :meth:`~stepforge.http_protocol.CoalescingHttpProtocol.writing_first`)."""

    def __init__(self, config: uvicorn.Config, stopping: threading.Event, engine: Engine,
                 audit: AuditLog | None = None) -> None:
        super().__init__(config)
        self.stopping = stopping
        self.engine = engine
        self.audit = audit

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if self.audit is not None:
            self.audit.batch_on(asyncio.get_running_loop())
        await super().startup(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.stopping.set()
        self.engine.notices.wake_all()  # long polls see ``stopping`` and answer now
        super().handle_exit(sig, frame)
        # uvicorn re-raises the signal once it has stopped serving, which would end the process
        # before the engine finishes its batch and the store closes; ``serve`` exits cleanly instead.
        if self._captured_signals and self._captured_signals[-1] == sig:
            self._captured_signals.pop()


def serve(store: Store, sock: socket.socket, *, account: str = DEFAULT_ACCOUNT, log_level: str = "warning",
          max_open_executions: int = 1_000_000, max_history_events: int = MAX_HISTORY_EVENTS,
          tasks: TaskConfig | None = None, auth: AuthConfig | None = None, host: str = "127.0.0.1",
          throttle: ThrottleConfig | None = None, tls: tuple[Path, Path] | None = None,
          logs: LogSettings | None = None, node: NodeSettings | None = None,
          relay_url: str | None = None, observe: Observatory | None = None) -> None:
    """Run the API on the bound ``sock`` and the engine until SIGTERM/SIGINT; then finish requests
    and the current batch. The engine recovers in-flight tasks only now, with the port already held.

    Schedules and scheduled rules fire on a thread of their own (:class:`~stepforge.service.firing.Firing`).
    Only Host names of :func:`served_hosts` (loopback, ``host``, ``auth.hosts``) are answered; calls
    over ``throttle``'s quotas (when enabled) get ThrottlingException. With ``tls`` (certificate and
    key files, PEM), the API and the console are served over HTTPS only. With ``relay_url`` (the
    PostgreSQL database the nodes share) notices travel between nodes (:func:`start_relay`).
    ``observe`` (closed on the way out) serves metrics, records the audit trail and exports traces.
    """
    stopping = threading.Event()
    auth = auth or AuthConfig()
    app, engine = build(store=store, account=account, max_open_executions=max_open_executions, stopping=stopping,
                        max_history_events=max_history_events, tasks=tasks, auth=auth,
                        hosts=served_hosts(host, auth.hosts), throttle=Throttle(throttle or ThrottleConfig()),
                        logs=logs, node=node, observe=observe)
    certificate, key = tls if tls else (None, None)
    audit = observe.audit if observe is not None else None
    protocol = CoalescingHttpProtocol.writing_first(audit.flush) if audit is not None else CoalescingHttpProtocol
    server = _Server(uvicorn.Config(app, log_level=log_level, ssl_certfile=certificate, ssl_keyfile=key,
                                    access_log=False, http=protocol), stopping, engine, audit)
    firing = Firing(ServiceContext(store=store, engine=engine, account=account), engine.clock)
    relay = start_relay(engine, relay_url)
    _checkpoint_in_background(store)
    engine.start()
    firing.start()
    _freeze_heap()
    try:
        server.run(sockets=[sock])
    finally:
        firing.stop()
        engine.stop()
        stop_relay(relay)
        if observe is not None:
            observe.close()
        store.close()


def run_engine(store: Store, stopping: threading.Event, *, account: str = DEFAULT_ACCOUNT,
               max_history_events: int = MAX_HISTORY_EVENTS, tasks: TaskConfig | None = None,
               node: NodeSettings | None = None, relay_url: str | None = None) -> None:
    """Run an engine alone (no API) until ``stopping`` is set; then finish its batch, release its
    lease (other nodes adopt its work at once) and close the store."""
    engine = connect(store=store, account=account, max_history_events=max_history_events, tasks=tasks,
                     node=node).engine
    relay = start_relay(engine, relay_url)
    _checkpoint_in_background(store)
    engine.start()
    _freeze_heap()
    try:
        stopping.wait()
    finally:
        engine.stop()
        stop_relay(relay)
        store.close()


def _checkpoint_in_background(store: Store) -> None:
    """A SQLite store's commits leave WAL checkpoints to a thread of their own (no batch waits for one)."""
    if isinstance(store, SqliteStore):
        store.checkpoint_in_background()


def _freeze_heap() -> None:
    """Move what start-up made (modules, compiled machines, the application) out of the cyclic
    collector's sight: its full collections then walk only what requests made since, not the whole
    heap (a full collection of a server's heap was a visible stall in the API's p99)."""
    gc.collect()
    gc.freeze()


def start_relay(engine: Engine, url: str | None) -> PostgresNotifier | None:
    """With ``url`` (a PostgreSQL database shared by several nodes): the keys of the engine's notices go
    to the other nodes and theirs come here (waking long polls and this engine), and the engine's
    lease is renewed on a connection of its own (never queued behind a long batch). None without."""
    if url is None:
        return None
    from stepforge.store.postgres import PostgresStore
    from stepforge.store.postgres_notify import PostgresNotifier

    notifier = PostgresNotifier(url, engine.received, engine.resync)
    notifier.start()
    engine.relay = notifier
    engine.lease.open_renew_store = lambda: PostgresStore(url, pool_min=1, pool_max=1)
    return notifier


def stop_relay(notifier: PostgresNotifier | None) -> None:
    if notifier is not None:
        notifier.close()
