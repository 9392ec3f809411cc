"""JSON endpoints under ``/console/api/``: what the AWS API cannot answer in one call.

Each endpoint's work (service reads, validation) runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from stepforge.bodies import BodyTooLarge, read_body
from stepforge.console import pending
from stepforge.console.headers import SECURITY_HEADERS
from stepforge.service import console_queries, definitions
from stepforge.service.context import ServiceContext
from stepforge.service.errors import ApiError, ValidationException, storage_fault

Endpoint = Callable[[HttpRequest], Awaitable[Response]]


def json_response(payload: Any, status: int = 200) -> Response:
    return JSONResponse(payload, status_code=status, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


def _guarded(handler: Callable[[HttpRequest], Awaitable[Any]]) -> Endpoint:
    async def endpoint(http: HttpRequest) -> Response:
        try:
            return json_response(await handler(http))
        except ApiError as exc:
            return json_response({"error": exc.code, "message": exc.message}, exc.status)
        except BodyTooLarge as exc:
            return json_response({"error": "PayloadTooLarge", "message": exc.message}, 413)
        except ValueError as exc:
            return json_response({"error": "ValidationException", "message": str(exc)}, 400)
        except Exception as exc:  # a full or damaged disk is the client's 503, never a 500
            fault = storage_fault(exc)
            if fault is None:
                raise
            return json_response({"error": fault.code, "message": fault.message}, fault.status)
    return endpoint


def routes(ctx: ServiceContext) -> list[BaseRoute]:
    async def list_machines(http: HttpRequest) -> Any:
        return await run_in_threadpool(console_queries.machines, ctx, dict(http.query_params))

    async def list_executions(http: HttpRequest) -> Any:
        return await run_in_threadpool(console_queries.executions, ctx, dict(http.query_params))

    async def validate(http: HttpRequest) -> Any:
        body = json.loads(await read_body(http) or b"{}")
        if not isinstance(body, dict) or not isinstance(body.get("definition"), str):
            raise ValidationException("Expected {\"definition\": \"...\"}")
        machine_type = "EXPRESS" if body.get("type") == "EXPRESS" else "STANDARD"
        return await run_in_threadpool(definitions.diagnostics, body["definition"], machine_type)

    async def tasks(http: HttpRequest) -> Any:
        return {"tasks": await run_in_threadpool(pending.tasks, ctx)}

    return [
        Route("/console/api/machines", _guarded(list_machines), methods=["GET"]),
        Route("/console/api/executions", _guarded(list_executions), methods=["GET"]),
        Route("/console/api/validate", _guarded(validate), methods=["POST"]),
        Route("/console/api/tasks", _guarded(tasks), methods=["GET"]),
    ]
