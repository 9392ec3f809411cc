"""Wiring: a store, an engine and the HTTP application that serve one deployment."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from stepforge.api.app import create_app
from stepforge.engine.clock import Clock
from stepforge.engine.engine import Engine
from stepforge.service.arns import DEFAULT_ACCOUNT
from stepforge.service.context import ServiceContext
from stepforge.store.base import Store
from stepforge.store.memory import MemoryStore
from stepforge.store.sqlite import SqliteStore


def open_store(data_dir: Path | None, *, synchronous: str = "FULL") -> Store:
    """The SQLite store under ``data_dir``, or the memory store when there is none."""
    if data_dir is None:
        return MemoryStore()
    return SqliteStore(data_dir, synchronous=synchronous)


def build(*, store: Store | None = None, account: str = DEFAULT_ACCOUNT, clock: Clock | None = None,
          long_poll_seconds: float = 60.0, max_open_executions: int = 1_000_000) -> tuple[Starlette, Engine]:
    """The application and its engine (not started: the caller owns its thread)."""
    store = store or MemoryStore()
    engine = Engine(store, clock)
    context = ServiceContext(store=store, engine=engine, account=account, max_open_executions=max_open_executions)
    return create_app(context, long_poll_seconds=long_poll_seconds), engine
