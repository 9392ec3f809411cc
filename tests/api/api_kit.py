"""The API in-process: the ASGI app on a store that counts its calls, an async client, the engine by hand.

The engine's thread is not started: writes commit at once (``Engine.write``) and a test moves
executions on with ``engine.run_once``, so what the API waits for happens exactly when the test says.

An API test is ``@with_api async def test_...(api: Api, ...)``: it runs on a fresh event loop in a
thread of its own, because the browser tests' Playwright keeps a loop running in the main thread
of the pytest worker for the whole session.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.types import ASGIApp

from stepforge.engine.engine import Engine
from stepforge.server import build
from stepforge.store.base import UnitOfWork
from stepforge.store.memory import MemoryStore

ROLE = "arn:aws:iam::000000000000:role/x"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


class CountingStore(MemoryStore):
    """The memory store, counting the calls of the methods a test names (on the store and its units of work)."""

    def __init__(self, counted: tuple[str, ...] = ("poll_activity_task", "get_execution")) -> None:
        super().__init__()
        self.counted = counted
        self.calls: Counter[str] = Counter()
        for name in counted:
            if hasattr(self, name):  # a read; writes exist only on units of work
                setattr(self, name, self._counting(name, getattr(self, name)))

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        with super().transaction() as tx:
            for name in self.counted:
                setattr(tx, name, self._counting(name, getattr(tx, name)))
            yield tx

    def _counting(self, name: str, method: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return method(*args, **kwargs)
        return counted


@dataclass
class Api:
    """One deployment: its app, engine, store, the stopping event, and a client bound to the app."""

    app: ASGIApp
    engine: Engine
    store: CountingStore
    stopping: threading.Event
    http: httpx.AsyncClient

    async def call(self, operation: str, **params: Any) -> httpx.Response:
        return await self.http.post("/", headers={"X-Amz-Target": f"AWSStepFunctions.{operation}"},
                                    content=json.dumps(params))

    async def ok(self, operation: str, **params: Any) -> Any:
        response = await self.call(operation, **params)
        assert response.status_code == 200, response.text
        return response.json()


@asynccontextmanager
async def deployment() -> AsyncIterator[Api]:
    store, stopping = CountingStore(), threading.Event()
    app, engine = build(store=store, long_poll_seconds=30.0, stopping=stopping)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://stepforge") as http:
            yield Api(app, engine, store, stopping, http)
    finally:
        engine.dispatcher.close()


def with_api(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run ``test(api, **fixtures)`` against a new deployment, on its own loop in its own thread."""
    signature = inspect.signature(test)

    def run(**fixtures: Any) -> None:
        async def main() -> None:
            async with deployment() as api:
                await test(api=api, **fixtures)

        failures: list[BaseException] = []
        thread = threading.Thread(target=lambda: _catch(lambda: asyncio.run(main()), failures))
        thread.start()
        thread.join()
        if failures:
            raise failures[0]

    run.__name__, run.__doc__ = test.__name__, test.__doc__
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for name, p in signature.parameters.items() if name != "api"])
    return run


def _catch(body: Callable[[], None], failures: list[BaseException]) -> None:
    try:
        body()
    except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
        failures.append(exc)
