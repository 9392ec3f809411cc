"""Wiring: a store, an engine and the HTTP application that serve one deployment."""

from __future__ import annotations

from starlette.applications import Starlette

from stepforge.api.app import create_app
from stepforge.engine.clock import Clock
from stepforge.engine.engine import Engine
from stepforge.service.arns import DEFAULT_ACCOUNT
from stepforge.service.context import ServiceContext
from stepforge.store.memory import MemoryStore


def build(*, account: str = DEFAULT_ACCOUNT, clock: Clock | None = None,
          long_poll_seconds: float = 60.0) -> tuple[Starlette, Engine]:
    """The application and its engine (not started: the caller owns its thread)."""
    store = MemoryStore()
    engine = Engine(store, clock)
    context = ServiceContext(store=store, engine=engine, account=account)
    return create_app(context, long_poll_seconds=long_poll_seconds), engine
