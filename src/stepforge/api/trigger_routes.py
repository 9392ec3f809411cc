"""HTTP routes of the other services: EventBridge Scheduler's REST API (``/schedules``,
``/schedule-groups``: what boto3's ``scheduler`` client calls) and webhook calls (``POST /webhooks/{name}``).

Scheduler errors are its REST-JSON shape: the HTTP status, ``x-amzn-ErrorType`` and ``{"Message"}``.
A webhook answers as the API Gateway integration it stands for: StartExecution's response, or
StartSyncExecution's for a SYNC webhook.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stepforge import bodies
from stepforge.api.request_parts import params, region
from stepforge.service import schedule_groups, schedules, webhooks
from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.errors import ApiError, ValidationException, storage_fault
from stepforge.store.trigger_records import TriggerStart

log = logging.getLogger(__name__)

#: Runs StartSyncExecution for a request and answers as the API does (the API layer provides it).
SyncStarter = Callable[[ServiceContext, Request], Awaitable[dict[str, Any]]]
_QUERY_NAMES = {"groupName": "GroupName", "clientToken": "ClientToken", "ScheduleGroup": "ScheduleGroup",
                "NamePrefix": "NamePrefix", "State": "State", "NextToken": "NextToken", "MaxResults": "MaxResults"}


def routes(ctx: ServiceContext, start_sync: SyncStarter) -> list[BaseRoute]:
    """The routes, bound to ``ctx``; ``start_sync`` answers SYNC webhooks."""

    async def schedule(http: HttpRequest) -> Response:
        handlers: dict[str, Callable[[], Awaitable[Any]]] = {
            "GET": lambda: _read(ctx, schedules.get, http),
            "POST": lambda: _write(ctx, schedules.create, http),
            "PUT": lambda: _write(ctx, schedules.update, http),
            "DELETE": lambda: _write(ctx, schedules.delete, http),
        }
        return await _answer(handlers[http.method]())

    async def schedule_list(http: HttpRequest) -> Response:
        return await _answer(_read(ctx, schedules.list_, http))

    async def group(http: HttpRequest) -> Response:
        handlers: dict[str, Callable[[], Awaitable[Any]]] = {
            "GET": lambda: _read(ctx, schedule_groups.get, http),
            "POST": lambda: _write(ctx, schedule_groups.create, http),
            "DELETE": lambda: _write(ctx, schedule_groups.delete, http),
        }
        return await _answer(handlers[http.method]())

    async def group_list(http: HttpRequest) -> Response:
        return await _answer(_read(ctx, schedule_groups.list_, http))

    async def webhook(http: HttpRequest) -> Response:
        return await _answer(_call_webhook(ctx, http, start_sync))

    return [Route("/schedules", schedule_list, methods=["GET"]),
            Route("/schedules/{Name}", schedule, methods=["GET", "POST", "PUT", "DELETE"]),
            Route("/schedule-groups", group_list, methods=["GET"]),
            Route("/schedule-groups/{Name}", group, methods=["GET", "POST", "DELETE"]),
            Route("/webhooks/{name}", webhook, methods=["POST"])]


async def _request(ctx: ServiceContext, http: HttpRequest) -> Request:
    try:
        body = await bodies.read_body(http)
    except bodies.BodyTooLarge as exc:
        raise ValidationException(exc.message) from None
    values: dict[str, Any] = params(body)
    for key, value in http.query_params.items():
        name = _QUERY_NAMES.get(key)
        if name is not None:
            values[name] = int(value) if name == "MaxResults" and value.isdigit() else value
    values.update(http.path_params)
    return Request(values, region(http, ctx.default_region))


async def _read(ctx: ServiceContext, handler: Callable[[ServiceContext, Request], Any], http: HttpRequest) -> Any:
    request = await _request(ctx, http)
    return await run_in_threadpool(handler, ctx, request)


async def _write(ctx: ServiceContext, handler: Callable[[WriteContext, Request], Any], http: HttpRequest) -> Any:
    request = await _request(ctx, http)
    return await ctx.engine.write(lambda tx: handler(ctx.within(tx), request))


async def _call_webhook(ctx: ServiceContext, http: HttpRequest, start_sync: SyncStarter) -> Any:
    try:
        body = await bodies.read_body(http)
    except bodies.BodyTooLarge as exc:
        raise ValidationException(exc.message) from None
    name = http.path_params["name"]
    headers = {k.lower(): v for k, v in http.headers.items()}
    record = await run_in_threadpool(webhooks.authorize, ctx, name, headers, body)
    text = body.decode("utf-8", errors="replace").strip() or "{}"
    if record.body["mode"] == "SYNC":
        request = Request({"stateMachineArn": record.body["stateMachineArn"], "input": text}, ctx.default_region)
        answer = await start_sync(ctx, request)
        source = webhooks.webhook_arn(ctx.default_region, ctx.account, name)
        started = TriggerStart(source, str(answer["executionArn"]), ctx.engine.clock.now())
        await ctx.engine.write(lambda tx: tx.add_trigger_start(started))
        return answer
    return await ctx.engine.write(lambda tx: webhooks.start(ctx.within(tx), record, text, ctx.default_region))


async def _answer(work: Awaitable[Any]) -> Response:
    try:
        payload = await work
    except ApiError as exc:
        return _error(exc)
    except Exception as exc:  # never a stack trace to the client
        fault = storage_fault(exc)
        if fault is not None:
            return _error(fault)
        log.exception("unhandled error in a trigger route")
        return _error(ApiError("Internal failure"), status=500, code="InternalServerException")
    return Response(json.dumps(payload, ensure_ascii=False), media_type="application/json",
                    headers={"x-amzn-RequestId": str(uuid.uuid4())})


def _error(exc: ApiError, *, status: int | None = None, code: str | None = None) -> Response:
    code = code or exc.code
    return Response(json.dumps({"Message": exc.message, "message": exc.message}), status_code=status or exc.status,
                    media_type="application/json",
                    headers={"x-amzn-ErrorType": code, "x-amzn-RequestId": str(uuid.uuid4())})
