"""``GET /console/api/stream?arn=...``: an execution's history and status as server-sent events.

The stream reads the execution (every ``POLL_SECONDS``, in a worker thread: never on the event loop) and
sends new history events in batches, then the execution's description whenever its status changes.
It ends when the execution has ended and every event was sent; the browser's EventSource resumes
from ``Last-Event-ID`` if the connection drops or the stream reaches ``MAX_SECONDS``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.responses import Response, StreamingResponse

from stepforge.asl.records import RUNNING
from stepforge.console.headers import SECURITY_HEADERS
from stepforge.service import console_queries, executions
from stepforge.service.context import Request, ServiceContext
from stepforge.service.errors import ApiError
from stepforge.store.records import ExecutionRecord

POLL_SECONDS = 0.25
BATCH = 500
MAX_SECONDS = 300.0


def frame(kind: str, payload: Any, event_id: int | None = None) -> str:
    """One SSE message (JSON never contains a raw newline, so ``data:`` is one line)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


async def stream(ctx: ServiceContext, arn: str, after: int, stopping: threading.Event,
                 poll: float = POLL_SECONDS) -> AsyncIterator[str]:
    """Messages ``history`` (a list of events), ``status`` (DescribeExecution) and a final ``end``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAX_SECONDS
    last_status = None
    while not stopping.is_set() and loop.time() < deadline:
        record, events = await run_in_threadpool(_look, ctx, arn, after)
        if events:
            after += len(events)
            yield frame("history", events, after)
            if len(events) == BATCH:
                continue
        if record.status != last_status:
            last_status = record.status
            request = Request({"executionArn": arn}, ctx.default_region)
            yield frame("status", await run_in_threadpool(executions.describe, ctx, request))
        if record.status != RUNNING and after >= record.event_count:
            yield frame("end", {"status": record.status})
            return
        await asyncio.sleep(poll)


def _look(ctx: ServiceContext, arn: str, after: int) -> tuple[ExecutionRecord, list[dict[str, Any]]]:
    """The execution and its history events after ``after`` (in a worker thread)."""
    return executions.get(ctx, arn), console_queries.events(ctx, arn, after, BATCH)


def endpoint(ctx: ServiceContext, stopping: threading.Event) -> Callable[[HttpRequest], Awaitable[Response]]:
    async def handle(http: HttpRequest) -> Response:
        arn = http.query_params.get("arn", "")
        resume = http.headers.get("last-event-id") or http.query_params.get("after") or "0"
        try:
            await run_in_threadpool(executions.get, ctx, arn)
            after = max(int(resume), 0)
        except (ApiError, ValueError) as exc:
            message = exc.message if isinstance(exc, ApiError) else "Invalid Last-Event-ID"
            return Response(json.dumps({"message": message}), status_code=404, media_type="application/json",
                            headers=SECURITY_HEADERS)
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(ctx, arn, after, stopping), media_type="text/event-stream",
                                 headers=headers)
    return handle
