"""API writes that ride in the engine's batch: one transaction, one fsync, for both.

With ``synchronous=FULL`` every commit waits for the disk, and SQLite has one writer. So instead
of committing each StartExecution (and each SendTaskSuccess, ...) on its own, the HTTP layer queues
the write here; the engine runs every queued write with its next batch's unit of work — each in a
savepoint, so one request's error undoes only its own writes — advances the executions those
writes woke in the same transaction, commits once, and only then answers the requests. A Hello
World execution is one transaction from StartExecution to ExecutionSucceeded.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stepforge.store.base import UnitOfWork

#: A request's future, whether its write succeeded, and its answer or error.
_Outcome = tuple["asyncio.Future[Any]", bool, Any]


@dataclass(slots=True)
class Job:
    """One queued write and where to deliver its outcome."""

    operation: Callable[[UnitOfWork], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    ok: bool = False
    value: Any = field(default=None)


class WriteQueue:
    """Writes waiting for the next engine batch."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._again: list[Job] = []  # writes of a batch that could not commit, first in the next one
        self._wake = wake

    async def submit(self, operation: Callable[[UnitOfWork], Any]) -> Any:
        loop = asyncio.get_running_loop()
        job = Job(operation, loop, loop.create_future())
        self._jobs.put(job)
        self._wake()
        return await job.future

    def take(self, limit: int) -> list[Job]:
        jobs, self._again = self._again[:limit], self._again[limit:]
        while len(jobs) < limit:
            try:
                jobs.append(self._jobs.get_nowait())
            except queue.Empty:
                break
        return jobs

    def retry(self, jobs: list[Job]) -> None:
        """Run ``jobs`` (taken by a batch that was rolled back whole) first in the next batch. Call
        from the thread that takes."""
        self._again[:0] = jobs
        if jobs:
            self._wake()

    @staticmethod
    def run(tx: UnitOfWork, job: Job) -> None:
        """Run one write with the batch's unit of work, in a savepoint of its own."""
        try:
            with tx.savepoint():
                job.value, job.ok = job.operation(tx), True
        except Exception as exc:  # noqa: BLE001 - any error belongs to the request, not the batch
            job.value, job.ok = exc, False

    @staticmethod
    def settle(jobs: list[Job], failure: BaseException | None = None) -> None:
        """After the commit (or its failure, which undid every write): answer the requests, with one
        wake-up of each event loop that waits for some (not one per request)."""
        outcomes: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
        for job in jobs:
            ok, value = (False, failure) if failure is not None else (job.ok, job.value)
            outcomes.setdefault(job.loop, []).append((job.future, ok, value))
        for loop, delivered in outcomes.items():
            loop.call_soon_threadsafe(_deliver, delivered)


def _deliver(outcomes: list[_Outcome]) -> None:
    for future, ok, value in outcomes:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
