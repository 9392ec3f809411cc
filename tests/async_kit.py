"""Running a coroutine to its end from a test, whatever ran before it in the same pytest worker."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_alone(awaitable: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a thread of its own: a browser test earlier in this worker may have left an
    event loop running on the main thread (Playwright's sync API), where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, awaitable).result()
