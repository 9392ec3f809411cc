"""The API in-process: the ASGI app on a store that counts its calls, an async client, the engine by hand.

The engine's thread is not started: writes commit at once (``Engine.write``) and a test moves
executions on with ``engine.run_once``, so what the API waits for happens exactly when the test says.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import httpx
import pytest
from api_kit import Api, CountingStore

from stepforge.server import build


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    store, stopping = CountingStore(), threading.Event()
    app, engine = build(store=store, long_poll_seconds=30.0, stopping=stopping)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://stepforge") as http:
        yield Api(app, engine, store, stopping, http)
    engine.dispatcher.close()
