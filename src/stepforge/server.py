"""Wiring: a store, an engine and the HTTP application that serve one deployment."""

from __future__ import annotations

import threading
from pathlib import Path
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from stepforge.api.app import create_app
from stepforge.api.credentials import AuthConfig
from stepforge.api.hosts import served_hosts
from stepforge.engine.clock import Clock
from stepforge.engine.engine import MAX_HISTORY_EVENTS, Engine
from stepforge.service import ports
from stepforge.service.arns import DEFAULT_ACCOUNT
from stepforge.service.context import ServiceContext
from stepforge.store.base import Store
from stepforge.store.memory import MemoryStore
from stepforge.store.sqlite import SqliteStore
from stepforge.tasks import approval
from stepforge.tasks.config import TaskConfig


def open_store(data_dir: Path | None, *, synchronous: str = "FULL") -> Store:
    """The SQLite store under ``data_dir``, or the memory store when there is none."""
    if data_dir is None:
        return MemoryStore()
    return SqliteStore(data_dir, synchronous=synchronous)


def build(*, store: Store | None = None, account: str = DEFAULT_ACCOUNT, clock: Clock | None = None,
          long_poll_seconds: float = 60.0, max_open_executions: int = 1_000_000,
          stopping: threading.Event | None = None,
          max_history_events: int = MAX_HISTORY_EVENTS, tasks: TaskConfig | None = None,
          auth: AuthConfig | None = None, hosts: frozenset[str] | None = None) -> tuple[Starlette, Engine]:
    """The application and its engine (not started: the caller owns its thread).

    ``auth`` and ``hosts`` are the edge's checks (see :class:`stepforge.api.edge.Edge`).
    """
    store = store or MemoryStore()
    tasks = tasks or TaskConfig()
    tasks.account = account
    engine = Engine(store, clock, max_history_events=max_history_events, tasks=tasks)
    context = ports.connect(ServiceContext(store=store, engine=engine, account=account,
                                           max_open_executions=max_open_executions))
    app = create_app(context, long_poll_seconds=long_poll_seconds, stopping=stopping, auth=auth, hosts=hosts)
    approval.configure(tasks.approval_secret or approval.load_secret(None), tasks.approval_base_url)
    return app, engine


class _Server(uvicorn.Server):
    """uvicorn, telling the application when a shutdown begins (to end long polls)."""

    def __init__(self, config: uvicorn.Config, stopping: threading.Event, engine: Engine) -> None:
        super().__init__(config)
        self.stopping = stopping
        self.engine = engine

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.stopping.set()
        self.engine.notices.wake_all()  # long polls see ``stopping`` and answer now
        super().handle_exit(sig, frame)
        # uvicorn re-raises the signal once it has stopped serving, which would end the process
        # before the engine finishes its batch and the store closes; ``serve`` exits cleanly instead.
        if self._captured_signals and self._captured_signals[-1] == sig:
            self._captured_signals.pop()


def serve(store: Store, *, host: str, port: int, account: str = DEFAULT_ACCOUNT, log_level: str = "warning",
          max_open_executions: int = 1_000_000, max_history_events: int = MAX_HISTORY_EVENTS,
          tasks: TaskConfig | None = None, auth: AuthConfig | None = None) -> None:
    """Run the API and the engine until SIGTERM/SIGINT; then finish requests and the current batch.

    Only Host names of :func:`served_hosts` (loopback, ``host``, ``auth.hosts``) are answered.
    """
    stopping = threading.Event()
    auth = auth or AuthConfig()
    app, engine = build(store=store, account=account, max_open_executions=max_open_executions, stopping=stopping,
                        max_history_events=max_history_events, tasks=tasks, auth=auth,
                        hosts=served_hosts(host, auth.hosts))
    server = _Server(uvicorn.Config(app, host=host, port=port, log_level=log_level), stopping, engine)
    engine.start()
    try:
        server.run()
    finally:
        engine.stop()
        store.close()
