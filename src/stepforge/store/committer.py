"""Group commit for API writes: many concurrent requests, one transaction, one fsync.

With ``synchronous=FULL`` every commit waits for the disk. Requests that arrive while a commit is
under way queue up; the writer thread then runs all of them inside one transaction, each in its
own savepoint (one request's error undoes only its own writes), commits once, and answers them.
A request is answered only after its writes are durable.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from stepforge.store.base import Store

T = TypeVar("T")

MAX_GROUP = 128

_Job = tuple[Callable[[], Any], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


class GroupCommitter:
    """Runs write operations on one thread, committing whatever is queued together."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="stepforge-writes", daemon=True)
        self._thread.start()

    async def run(self, operation: Callable[[], T]) -> T:
        """Run ``operation`` in the next group; its result (or exception) once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((operation, loop, future))
        return await future

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._jobs.put(None)
                    break
                group.append(job)
            self._commit(group)

    def _commit(self, group: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self.store.transaction():
                for operation, _, _ in group:
                    outcomes.append(self._attempt(operation))
        except BaseException as exc:  # the commit itself failed: nobody's writes are durable
            outcomes = [(False, exc)] * len(group)
        for (_, loop, future), (ok, value) in zip(group, outcomes):
            loop.call_soon_threadsafe(_settle, future, ok, value)

    def _attempt(self, operation: Callable[[], Any]) -> tuple[bool, Any]:
        try:
            with self.store.savepoint():
                return True, operation()
        except Exception as exc:
            return False, exc


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
