"""Helpers of the API tests: a store that counts its calls, and a deployment with an async client."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

from stepforge.engine.engine import Engine
from stepforge.store.memory import MemoryStore

ROLE = "arn:aws:iam::000000000000:role/x"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


class CountingStore(MemoryStore):
    """The memory store, counting the calls of the methods a test names."""

    def __init__(self, counted: tuple[str, ...] = ("poll_task", "get_execution")) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        for name in counted:
            setattr(self, name, self._counting(name, getattr(self, name)))

    def _counting(self, name: str, method: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return method(*args, **kwargs)
        return counted


@dataclass
class Api:
    """One deployment: its app, engine, store, the stopping event, and a client bound to the app."""

    app: Starlette
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
