"""The HTTP layer: AWS JSON 1.0 on one route, errors turned into AWS's error body in one place."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware

from stepforge import bodies
from stepforge.api import envelope, login, trigger_operations, trigger_routes
from stepforge.api.audit_trail import AuditTrail, IdentityNote
from stepforge.api.credentials import AuthConfig
from stepforge.api.edge import Edge
from stepforge.api.front_door import ApiCall, ClientGone, FrontDoor
from stepforge.api.metrics_route import metrics_route
from stepforge.api.operations import (
    LONG_POLLS,
    MACHINE_WRITES,
    PRECHECKS,
    READ_OPERATIONS,
    START_EXECUTION,
    SYNC_EXECUTION,
    TARGET_PREFIX,
    WRITE_OPERATIONS,
    Handler,
)
from stepforge.api.request_parts import params as _params
from stepforge.api.request_parts import scope_region
from stepforge.api.sessions import Sessions
from stepforge.api.throttle import Throttle, throttled
from stepforge.api.validation import validate
from stepforge.console.routes import routes as console_routes
from stepforge.observe.observatory import Observatory
from stepforge.service import executions, express, sync
from stepforge.service.context import Request, ServiceContext
from stepforge.service.errors import (
    ApiError,
    UnknownOperation,
    storage_fault,
)
from stepforge.store.records import ExecutionRecord

log = logging.getLogger(__name__)

#: Bodies past this size are parsed in a worker thread (smaller ones are not worth the hop).
LARGE_BODY_BYTES = 64 * 1024
LONG_POLL_SECONDS = 60.0
#: A waiting long poll reads the store again this often even without a notice
#: from the engine (a task queued by another process sharing the store fires no notice here).
RECHECK_SECONDS = 5.0
#: Worker threads for Start*Execution's CPU work (its pure interpretation for EXPRESS).
FRONT_DOOR_THREADS = 8
#: The operations that start an execution (a throttled one counts as ``ExecutionThrottled``).
_STARTS = frozenset({START_EXECUTION, SYNC_EXECUTION})
T = TypeVar("T")


def create_app(ctx: ServiceContext, *, long_poll_seconds: float = LONG_POLL_SECONDS,
               stopping: threading.Event | None = None, auth: AuthConfig | None = None,
               hosts: frozenset[str] | None = None, throttle: Throttle | None = None,
               sessions: Sessions | None = None, observe: Observatory | None = None) -> FrontDoor:
    """The ASGI application serving the Step Functions API for ``ctx``.

    Long polls end early (with an empty answer) once ``stopping`` is set and the engine's notices
    are woken (``engine.notices.wake_all()``), so a graceful shutdown does not wait a minute for
    idle workers. No handler that may take long runs on the event loop: reads and the CPU work ahead
    of a write run in worker threads, writes in the engine's batch (an EXPRESS execution of a few Pass
    and Choice steps runs on the loop: :func:`express.runs_inline`). ``POST /`` (the AWS JSON API)
    takes :class:`FrontDoor`'s lean path; every other route Starlette's. Every request passes
    :class:`Edge` first: the ``hosts`` allow-list (None: any Host), same-origin writes, and SigV4 when
    ``auth`` has keys. Then ``throttle`` (None: never) may refuse the call with ThrottlingException
    before its body is parsed. With ``auth.users``, console sessions (``sessions``, signed with the deployment's key) log in users.
    ``observe`` (None: nothing) serves ``/metrics`` and the console dashboard, records the audit trail
    and parents an execution's trace on its StartExecution request's ``traceparent``.
    """
    stopping = stopping or threading.Event()

    async def api(call: ApiCall) -> envelope.Answer:
        target = call.target
        if throttle is not None and not throttle.admit(target.removeprefix(TARGET_PREFIX),
                                                       scope_region(call.scope, call.authorization,
                                                                    ctx.default_region)):
            if observe is not None and target.removeprefix(TARGET_PREFIX) in _STARTS:
                await _throttled_start(call, observe)
            return throttled()
        try:
            request = await _request(call, ctx.default_region)
            trigger = trigger_operations.find(target)  # EventBridge and webhook operations
            if trigger is not None:
                return envelope.ok(await trigger_operations.call(ctx, trigger, request))
            operation = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else ""
            if (operation not in READ_OPERATIONS and operation not in WRITE_OPERATIONS
                    and operation not in LONG_POLLS and operation != SYNC_EXECUTION):
                raise UnknownOperation(f"Unknown operation {target!r}")
            validate(operation, request.params)
            if operation == SYNC_EXECUTION:
                return envelope.ok(await _start_sync(ctx, request))
            if operation == START_EXECUTION:
                return envelope.ok(await _start(ctx, request, lambda started: _traced(started, observe, call)))
            if operation in LONG_POLLS:
                with _waiting(observe):
                    return envelope.ok(await _long_poll(ctx, operation, request, long_poll_seconds, stopping, call))
            reader = READ_OPERATIONS.get(operation)
            if reader is not None:
                return await run_in_threadpool(_answer, reader, ctx, request)
            writer = WRITE_OPERATIONS[operation]
            precheck = PRECHECKS.get(operation)
            if precheck is not None:
                await run_in_threadpool(precheck, ctx, request)
            answer = await ctx.engine.write(lambda tx: _traced(writer(ctx.within(tx), request), observe, call))
            if operation in MACHINE_WRITES:
                ctx.engine.machines.clear()  # before the answer: the caller's next start sees its change
            return envelope.ok(answer)
        except ApiError as exc:
            return envelope.error(exc)
        except ClientGone:
            raise
        except Exception as exc:  # never a stack trace to the client
            fault = storage_fault(exc)
            if fault is not None:  # the engine logs it, rate-limited
                return envelope.error(fault)
            log.exception("unhandled error in %s", target)
            return envelope.internal_failure()

    auth = auth or AuthConfig()
    if auth.users and sessions is None:
        raise ValueError("console users are configured: create_app needs their sessions")
    edge: dict[str, Any] = {"auth": auth, "hosts": hosts, "max_body": bodies.MAX_BODY_BYTES,
                            "account": ctx.account, "sessions": sessions}
    trail: dict[str, Any] = {"log": observe.audit if observe else None, "account": ctx.account, "default_region": ctx.default_region}
    routes = [*trigger_routes.routes(ctx, _start_sync), *login.routes(sessions if auth.users else None),
              *console_routes(ctx, stopping, observe)]
    if observe is not None and observe.metrics is not None:
        routes.append(metrics_route(observe.metrics, observe.config, auth))
    app = Starlette(routes=routes, middleware=[Middleware(AuditTrail, **trail), Middleware(Edge, **edge),
                                               Middleware(IdentityNote)])
    return FrontDoor(app, edge=Edge(app, **edge), trail=AuditTrail(app, **trail), handler=api)


async def _throttled_start(call: ApiCall, observe: Observatory) -> None:
    """A start the throttle refused: counted for its machine (``ExecutionThrottled``), its parameters
    left for the audit trail."""
    with contextlib.suppress(Exception):  # a body that is not JSON names no machine
        call.params = _params(await call.body())
    if observe.metrics is not None:
        machine = (call.params or {}).get("stateMachineArn")
        observe.metrics.execution_throttled(machine if isinstance(machine, str) else "")


def _traced(result: T, observe: Observatory | None, call: ApiCall) -> T:
    """Inside the write: a started execution's trace is parented on the request's ``traceparent``."""
    if observe is not None and observe.tracing is not None:
        observe.started(result, call.headers())
    return result


@contextlib.contextmanager
def _waiting(observe: Observatory | None) -> Iterator[None]:
    """Count a long poll while it waits (the ``stepforge_api_long_polls`` gauge)."""
    metrics = observe.metrics if observe is not None else None
    if metrics is not None:
        metrics.long_polls += 1
    try:
        yield
    finally:
        if metrics is not None:
            metrics.long_polls -= 1


async def _long_poll(ctx: ServiceContext, operation: str, request: Request, seconds: float,
                     stopping: threading.Event, call: ApiCall) -> Any:
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
            if await call.is_disconnected():
                return {}
            answer = await ctx.engine.write(lambda tx: handler(ctx.within(tx), request))  # a claim is a write
            remaining = deadline - loop.time()
            if answer is not None or remaining <= 0:
                return answer or {}
            await subscription.wait(min(RECHECK_SECONDS, remaining))
    return {}


async def _start_sync(ctx: ServiceContext, request: Request) -> Any:
    """StartSyncExecution (the API's, and a SYNC webhook's). The execution runs in memory (its pure
    stretch in a worker thread, or here when it is quick: :func:`express.runs_inline`); wait, without blocking the loop, for it to end (the runner ends it
    at the five-minute limit).

    An execution that ends before :func:`sync.start` returns (no task, no Wait) is answered from the
    worker's result, without a second wake-up of the loop."""
    loop = asyncio.get_running_loop()
    ended: asyncio.Future[ExecutionRecord] = loop.create_future()

    def done(record: ExecutionRecord) -> None:
        loop.call_soon_threadsafe(_settle, ended, record)

    if express.runs_inline(ctx, request):  # a few short steps: cheaper than the hop to a worker thread
        finished = sync.start(ctx, request, done)
    else:
        finished = await loop.run_in_executor(_front_door(), sync.start, ctx, request, done)
    return sync.answer(finished or await ended, request)


def _settle(future: asyncio.Future[ExecutionRecord], record: ExecutionRecord) -> None:
    if not future.done():
        future.set_result(record)


async def _start(ctx: ServiceContext, request: Request, traced: Callable[[Any], Any]) -> Any:
    """StartExecution. Of a machine known to be STANDARD: prepared here (the request checked, the
    execution's record made: work that need not wait in the engine's batch, nor make the batch, and
    the commit after it, wait), stored in the engine's next batch, as any write. Otherwise resolved
    in a worker thread first: an EXPRESS execution runs in memory from there (never waiting for a
    commit; here when it is quick: :func:`express.runs_inline`), a STANDARD one is stored with the
    engine's next batch. ``traced`` sees a STANDARD start's answer inside its write (to parent the
    execution's trace)."""
    if executions.known_type(ctx, request) == "STANDARD":
        known = executions.prepare(ctx, request, cached=True)
        return await ctx.engine.write(lambda tx: traced(executions.insert(ctx.within(tx), known)))
    if express.runs_inline(ctx, request):  # an EXPRESS machine that ends in a few short steps
        prepared = _prepare_or_run(ctx, request)
    else:
        prepared = await asyncio.get_running_loop().run_in_executor(_front_door(), _prepare_or_run, ctx, request)
    if isinstance(prepared, dict):
        return prepared
    return await ctx.engine.write(lambda tx: traced(executions.insert(ctx.within(tx), prepared)))


@functools.cache
def _front_door() -> ThreadPoolExecutor:
    """The worker threads of Start*Execution's CPU work, shared by the process (as Starlette's pool
    is): a plain executor, whose thread hop costs about a third less than ``run_in_threadpool``
    (measured: the work itself is short, so the hop matters)."""
    return ThreadPoolExecutor(FRONT_DOOR_THREADS, thread_name_prefix="stepforge-front")


def _prepare_or_run(ctx: ServiceContext, request: Request) -> executions.Prepared | dict[str, Any]:
    """In a worker thread: the prepared STANDARD execution, or the answer of the EXPRESS one it started."""
    prepared = executions.prepare(ctx, request, cached=True)
    return express.start(ctx, prepared.record, prepared.machine) if prepared.express else prepared


async def _request(call: ApiCall, default_region: str) -> Request:
    """The request's parameters (left in ``call.params`` for the audit trail); a large body (a
    definition, a payload) is parsed in a worker thread."""
    body, region = await call.body(), scope_region(call.scope, call.authorization, default_region)
    call.params = await run_in_threadpool(_params, body) if len(body) > LARGE_BODY_BYTES else _params(body)
    return Request(call.params, region)


def _answer(handler: Handler, ctx: ServiceContext, request: Request) -> envelope.Answer:
    """In a worker thread: a read and the serialising of its (maybe large) answer."""
    return envelope.ok(handler(ctx, request))
