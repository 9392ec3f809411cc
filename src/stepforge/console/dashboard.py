"""The dashboard and audit pages' JSON: ``/console/api/dashboard`` and ``/console/api/audit``.

The dashboard answers the figures of :class:`~stepforge.observe.dashboard.Dashboard` (executions per
minute per state machine, the slowest states) with the load now: RUNNING executions, long polls
waiting, this minute's batches. The audit endpoint answers the newest events of the audit trail
that match ``since`` (ISO 8601), ``actor`` and ``resource`` (part of an ARN), newest first.
"""

from __future__ import annotations

import time
from collections import deque
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.routing import BaseRoute, Route

from stepforge.console.views import _guarded
from stepforge.observe import audit
from stepforge.observe.observatory import Observatory
from stepforge.service.context import ServiceContext
from stepforge.service.errors import ValidationException

MAX_AUDIT_EVENTS = 1000


def routes(ctx: ServiceContext, observe: Observatory | None) -> list[BaseRoute]:
    async def dashboard(http: HttpRequest) -> Any:
        return await run_in_threadpool(_dashboard, ctx, observe)

    async def audit_events(http: HttpRequest) -> Any:
        return await run_in_threadpool(_audit, observe, dict(http.query_params))

    return [
        Route("/console/api/dashboard", _guarded(dashboard), methods=["GET"]),
        Route("/console/api/audit", _guarded(audit_events), methods=["GET"]),
    ]


def _dashboard(ctx: ServiceContext, observe: Observatory | None) -> dict[str, Any]:
    if observe is None or observe.dashboard is None:
        return {"enabled": False}
    figures = observe.dashboard.snapshot(time.time())
    figures["load"]["openExecutions"] = ctx.store.count_open_executions()
    figures["load"]["longPolls"] = observe.metrics.long_polls if observe.metrics is not None else 0
    return {"enabled": True, **figures}


def _audit(observe: Observatory | None, query: dict[str, str]) -> dict[str, Any]:
    if observe is None or observe.audit is None:
        return {"enabled": False, "events": []}
    limit = _number(query.get("limit", "200"), "limit")
    since = _time(query["since"]) if query.get("since") else None
    newest: deque[dict[str, Any]] = deque(maxlen=limit)
    newest.extend(audit.read(observe.audit.path, since=since, actor_id=query.get("actor") or None,
                             resource=query.get("resource") or None))
    return {"enabled": True, "events": list(reversed(newest))}


def _number(text: str, name: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_AUDIT_EVENTS:
        raise ValidationException(f"{name} must be a whole number from 1 to {MAX_AUDIT_EVENTS}")
    return int(text)


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValidationException(f"since must be an ISO 8601 time, not {text[:40]!r}") from None
