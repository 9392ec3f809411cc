"""JSON endpoints under ``/console/api/``: what the AWS API cannot answer in one call."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from stepforge.asl.validation.validator import validate_source
from stepforge.console import pending
from stepforge.console.headers import SECURITY_HEADERS
from stepforge.service.context import ServiceContext
from stepforge.service.errors import ApiError, ValidationException
from stepforge.store.base import ExecutionQuery
from stepforge.store.records import ExecutionRecord

MAX_PAGE = 200
#: The most machines, and executions per machine, a console list reads (the store pages its lists).
CONSOLE_ROWS = 10_000
Endpoint = Callable[[HttpRequest], Awaitable[Response]]


def json_response(payload: Any, status: int = 200) -> Response:
    return JSONResponse(payload, status_code=status, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


def _guarded(handler: Callable[[HttpRequest], Awaitable[Any]]) -> Endpoint:
    async def endpoint(http: HttpRequest) -> Response:
        try:
            return json_response(await handler(http))
        except ApiError as exc:
            return json_response({"error": exc.code, "message": exc.message}, exc.status)
        except ValueError as exc:
            return json_response({"error": "ValidationException", "message": str(exc)}, 400)
    return endpoint


def machines(ctx: ServiceContext, query: str) -> list[dict[str, Any]]:
    """State machines whose name contains ``query`` (case-insensitive), newest first."""
    every = ctx.store.list_state_machines(limit=CONSOLE_ROWS).items
    found = [m for m in every if query.lower() in m.name.lower()]
    found.sort(key=lambda m: m.created, reverse=True)
    return [{"name": m.name, "stateMachineArn": m.arn, "type": m.type, "creationDate": m.created,
             "status": m.status} for m in found]


def executions(ctx: ServiceContext, params: dict[str, str]) -> dict[str, Any]:
    """Executions of one machine (or all), filtered by status, name and start time, one page of them."""
    machine = params.get("machine") or None
    arns = [machine] if machine else [m.arn for m in ctx.store.list_state_machines(limit=CONSOLE_ROWS).items]
    status = params.get("status") or None
    found: list[ExecutionRecord] = []
    for arn in arns:
        found += ctx.store.list_executions(ExecutionQuery(state_machine_arn=arn, status=status),
                                           limit=CONSOLE_ROWS).items
    found = [r for r in found if _matches(r, params)]
    found.sort(key=lambda r: r.started, reverse=True)
    offset = max(int(params.get("offset") or 0), 0)
    limit = min(max(int(params.get("limit") or 50), 1), MAX_PAGE)
    return {"total": len(found), "offset": offset, "limit": limit,
            "executions": [_summary(r) for r in found[offset:offset + limit]]}


def _matches(record: ExecutionRecord, params: dict[str, str]) -> bool:
    query = (params.get("q") or "").lower()
    since, until = params.get("from"), params.get("to")
    return (query in record.name.lower() and (not since or record.started >= float(since))
            and (not until or record.started <= float(until)))


def _summary(record: ExecutionRecord) -> dict[str, Any]:
    return {"executionArn": record.arn, "name": record.name, "status": record.status,
            "stateMachineArn": record.state_machine_arn, "stateMachineName": record.state_machine_name,
            "startDate": record.started, "stopDate": record.stopped, "redriveCount": record.redrive_count}


def diagnostics(text: str, machine_type: str) -> dict[str, Any]:
    """The validator's findings, each with the line and column it points at."""
    report, positions = validate_source(text, machine_type=machine_type)
    found = []
    for diagnostic in report.diagnostics:
        line, column = diagnostic.position or positions.locate(diagnostic.location)
        found.append({**diagnostic.to_api(), "line": line, "column": column})
    return {"result": report.result, "truncated": report.truncated, "diagnostics": found}


def routes(ctx: ServiceContext) -> list[BaseRoute]:
    async def list_machines(http: HttpRequest) -> Any:
        return {"stateMachines": machines(ctx, http.query_params.get("q", ""))}

    async def list_executions(http: HttpRequest) -> Any:
        return executions(ctx, dict(http.query_params))

    async def validate(http: HttpRequest) -> Any:
        body = json.loads(await http.body() or b"{}")
        if not isinstance(body, dict) or not isinstance(body.get("definition"), str):
            raise ValidationException("Expected {\"definition\": \"...\"}")
        machine_type = "EXPRESS" if body.get("type") == "EXPRESS" else "STANDARD"
        return await run_in_threadpool(diagnostics, body["definition"], machine_type)

    async def tasks(http: HttpRequest) -> Any:
        return {"tasks": pending.tasks(ctx)}

    return [
        Route("/console/api/machines", _guarded(list_machines), methods=["GET"]),
        Route("/console/api/executions", _guarded(list_executions), methods=["GET"]),
        Route("/console/api/validate", _guarded(validate), methods=["POST"]),
        Route("/console/api/tasks", _guarded(tasks), methods=["GET"]),
    ]
