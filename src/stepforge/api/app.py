"""The HTTP layer: AWS JSON 1.0 on one route, errors turned into AWS's error body in one place."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request as HttpRequest
from starlette.responses import Response
from starlette.routing import Route

from stepforge import bodies
from stepforge.api import login, trigger_operations, trigger_routes
from stepforge.api.credentials import AuthConfig
from stepforge.api.edge import Edge
from stepforge.api.operations import (
    LONG_POLLS,
    PRECHECKS,
    READ_OPERATIONS,
    SYNC_EXECUTION,
    TARGET_PREFIX,
    WRITE_OPERATIONS,
    Handler,
)
from stepforge.api.request_parts import params as _params
from stepforge.api.request_parts import region as _region
from stepforge.api.sessions import Sessions
from stepforge.api.throttle import Throttle, throttled
from stepforge.api.validation import validate
from stepforge.console.routes import routes as console_routes
from stepforge.engine import notices
from stepforge.service import sync
from stepforge.service.context import Request, ServiceContext
from stepforge.service.errors import (
    ApiError,
    UnknownOperation,
    ValidationException,
    storage_fault,
)

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-amz-json-1.0"
#: Bodies past this size are parsed in a worker thread (smaller ones are not worth the hop).
LARGE_BODY_BYTES = 64 * 1024
LONG_POLL_SECONDS = 60.0
#: A waiting long poll or StartSyncExecution reads the store again this often even without a notice
#: from the engine (a task queued by another process sharing the store fires no notice here).
RECHECK_SECONDS = 5.0


def create_app(ctx: ServiceContext, *, long_poll_seconds: float = LONG_POLL_SECONDS,
               stopping: threading.Event | None = None, auth: AuthConfig | None = None,
               hosts: frozenset[str] | None = None, throttle: Throttle | None = None,
               sessions: Sessions | None = None) -> Starlette:
    """The ASGI application serving the Step Functions API for ``ctx``.

    Long polls end early (with an empty answer) once ``stopping`` is set and the engine's notices
    are woken (``engine.notices.wake_all()``), so a graceful shutdown does not wait a minute for
    idle workers. No handler runs on the event loop: reads and the CPU work ahead of a write run in
    worker threads, writes in the engine's batch. Every request passes :class:`Edge` first: the
    ``hosts`` allow-list (None: any Host), same-origin writes, and SigV4 when ``auth`` has keys. Then
    ``throttle`` (None: never) may refuse the call with ThrottlingException before its body is parsed.
    With ``auth.users``, console sessions (``sessions``, signed with the deployment's key) log in users.
    """
    stopping = stopping or threading.Event()

    async def api(http: HttpRequest) -> Response:
        target = http.headers.get("x-amz-target", "")
        if throttle is not None and not throttle.admit(target.removeprefix(TARGET_PREFIX),
                                                       _region(http, ctx.default_region)):
            return throttled()
        try:
            request = await _request(http, ctx.default_region)
            trigger = trigger_operations.find(target)  # EventBridge and webhook operations
            if trigger is not None:
                return _ok(await trigger_operations.call(ctx, trigger, request))
            operation = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else ""
            if (operation not in READ_OPERATIONS and operation not in WRITE_OPERATIONS
                    and operation not in LONG_POLLS and operation != SYNC_EXECUTION):
                raise UnknownOperation(f"Unknown operation {target!r}")
            validate(operation, request.params)
            if operation == SYNC_EXECUTION:
                return _ok(await _start_sync(ctx, request))
            if operation in LONG_POLLS:
                return _ok(await _long_poll(ctx, operation, request, long_poll_seconds, stopping, http))
            reader = READ_OPERATIONS.get(operation)
            if reader is not None:
                return await run_in_threadpool(_answer, reader, ctx, request)
            writer = WRITE_OPERATIONS[operation]
            precheck = PRECHECKS.get(operation)
            if precheck is not None:
                await run_in_threadpool(precheck, ctx, request)
            return _ok(await ctx.engine.write(lambda tx: writer(ctx.within(tx), request)))
        except ApiError as exc:
            return _error(exc)
        except Exception as exc:  # never a stack trace to the client
            fault = storage_fault(exc)
            if fault is not None:  # the engine logs it, rate-limited
                return _error(fault)
            log.exception("unhandled error in %s", target)
            return Response(json.dumps({"__type": "InternalFailure", "message": "Internal failure"}),
                            status_code=500, media_type=CONTENT_TYPE)

    auth = auth or AuthConfig()
    if auth.users and sessions is None:
        raise ValueError("console users are configured: create_app needs their sessions")
    edge = Middleware(Edge, auth=auth, hosts=hosts, max_body=bodies.MAX_BODY_BYTES, account=ctx.account,
                      sessions=sessions)
    return Starlette(routes=[Route("/", api, methods=["POST"]), *trigger_routes.routes(ctx, _start_sync),
                             *login.routes(sessions if auth.users else None), *console_routes(ctx, stopping)],
                     middleware=[edge])


async def _long_poll(ctx: ServiceContext, operation: str, request: Request, seconds: float,
                     stopping: threading.Event, http: HttpRequest) -> Any:
    """Answer as soon as a look claims work; between looks, sleep until the engine's notice.

    Each look claims a task if there is one, so it rides in the engine's batch like any write.
    A look happens only while the client is still connected: a poll whose client has gone ends
    without claiming, and the task waits for the next poll. (A client that vanishes in the instant
    between a claim and its answer loses that task, as it would on AWS: the execution has recorded
    it as started, and the state's HeartbeatSeconds/TimeoutSeconds end it with States.Timeout.)
    """
    handler, key = LONG_POLLS[operation]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    with ctx.engine.notices.subscribe(key(request)) as subscription:
        while not stopping.is_set():
            if await http.is_disconnected():
                return {}
            answer = await ctx.engine.write(lambda tx: handler(ctx.within(tx), request))  # a claim is a write
            remaining = deadline - loop.time()
            if answer is not None or remaining <= 0:
                return answer or {}
            await subscription.wait(min(RECHECK_SECONDS, remaining))
    return {}


async def _start_sync(ctx: ServiceContext, request: Request) -> Any:
    """StartSyncExecution (the API's, and a SYNC webhook's): start, then wait for the answer."""
    arn = await ctx.engine.write(lambda tx: sync.start(ctx.within(tx), request))
    return await _sync_result(ctx, arn, request)


async def _sync_result(ctx: ServiceContext, arn: str, request: Request) -> Any:
    """StartSyncExecution's answer: wait (without blocking the loop) for the execution to end."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + sync.MAX_SECONDS
    with ctx.engine.notices.subscribe(notices.execution(arn)) as subscription:
        while True:
            answer = await run_in_threadpool(sync.result, ctx, arn, request)
            if answer is not None:
                return answer
            if loop.time() >= deadline:
                await ctx.engine.write(lambda tx: sync.give_up(ctx.within(tx), arn))
                deadline = loop.time() + 10.0
            await subscription.wait(min(RECHECK_SECONDS, max(0.0, deadline - loop.time())))


async def _request(http: HttpRequest, default_region: str) -> Request:
    """The request's parameters; a large body (a definition, a payload) is parsed in a worker thread."""
    body, region = await _body(http), _region(http, default_region)
    if len(body) > LARGE_BODY_BYTES:
        return Request(await run_in_threadpool(_params, body), region)
    return Request(_params(body), region)


def _answer(handler: Handler, ctx: ServiceContext, request: Request) -> Response:
    """In a worker thread: a read and the serialising of its (maybe large) answer."""
    return _ok(handler(ctx, request))


async def _body(http: HttpRequest) -> bytes:
    """The request body, refused (ValidationException, as AWS answers) past the shared body limit."""
    try:
        return await bodies.read_body(http)
    except bodies.BodyTooLarge as exc:
        raise ValidationException(exc.message) from None


def _ok(payload: Any) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), media_type=CONTENT_TYPE,
                    headers={"x-amzn-RequestId": str(uuid.uuid4())})


def _error(exc: ApiError) -> Response:
    body = {"__type": f"com.amazonaws.states#{exc.code}", "message": exc.message}
    return Response(json.dumps(body), status_code=exc.status, media_type=CONTENT_TYPE,
                    headers={"x-amzn-ErrorType": exc.code, "x-amzn-RequestId": str(uuid.uuid4())})
