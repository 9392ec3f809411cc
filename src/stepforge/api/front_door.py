"""The lean path of the AWS JSON API: ``POST /`` from the server straight to its handler.

A Step Functions call passes the same gates as every request — the audit trail's tap
(:class:`~stepforge.api.audit_trail.AuditTrail`), the edge (:meth:`~stepforge.api.edge.Edge.admit`:
Host, Origin, SigV4 or a console session) — called here one after the other, then its handler, whose
:class:`~stepforge.api.envelope.Answer` goes out as one response. Starlette's application, its
middleware stack, router and request and response objects stay for every other route (the console,
Scheduler's REST API, webhooks, approval links, ``/metrics``): for a small call they cost more than
the call itself (py-spy, see bench/flamegraphs).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request as HttpRequest
from starlette.types import ASGIApp, Receive, Scope, Send

from stepforge import bodies
from stepforge.api import envelope
from stepforge.api.audit_trail import AuditTrail, Tap
from stepforge.api.edge import IDENTITY, Edge
from stepforge.api.head import Head
from stepforge.service.errors import ValidationException

log = logging.getLogger(__name__)


class ApiCall:
    """One ``POST /`` request as its handler reads it: its scope (as the edge verified it), the headers
    every call reads (found in one pass), its body and parameters (read once)."""

    __slots__ = ("_http", "authorization", "params", "receive", "scope", "target")

    def __init__(self, scope: Scope, receive: Receive, head: Head) -> None:
        self.scope, self.receive = scope, receive
        self.target, self.authorization = head.target or "", head.authorization or ""
        self.params: dict[str, Any] | None = None
        self._http: HttpRequest | None = None

    def headers(self) -> dict[str, str]:
        """All the request's headers (for the trace context a start adopts)."""
        return {key.decode("latin-1"): value.decode("latin-1") for key, value in self.scope["headers"]}

    async def body(self) -> bytes:
        """The request body, refused (ValidationException, as AWS answers) past the shared body limit."""
        try:
            body = await bodies.receive_body(self.receive)
        except bodies.BodyTooLarge as exc:
            raise ValidationException(exc.message) from None
        if body is None:
            raise ClientGone()
        return body

    async def is_disconnected(self) -> bool:
        """Whether the client has gone (without waiting)."""
        if self._http is None:
            self._http = HttpRequest(self.scope, self.receive)
        return await self._http.is_disconnected()


class ClientGone(Exception):
    """The client disconnected before its request's body arrived: nobody waits for an answer."""


Handler = Callable[[ApiCall], Awaitable[envelope.Answer]]


class FrontDoor:
    """The ASGI application: ``POST /`` through ``trail``, ``edge`` and ``handler``; the rest to ``app``."""

    def __init__(self, app: ASGIApp, *, edge: Edge, trail: AuditTrail, handler: Handler) -> None:
        self.app, self.edge, self.trail, self.handler = app, edge, trail, handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        head = Head.of(scope)
        tap = self.trail.tap(scope, head)
        if tap is None:
            await self._answer(scope, receive, send, head, None)
            return
        try:
            await self._answer(scope, tap.receive(receive), send, head, tap)
        finally:
            tap.done()  # if the call had no answer (the client left)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, head: Head, tap: Tap | None) -> None:
        admitted = await self.edge.admit(scope, receive, tap.send(send) if tap is not None else send, head)
        if admitted is None:
            return
        call = ApiCall(*admitted, head)
        try:
            answer = await self.handler(call)
        except ClientGone:
            return
        except Exception:  # the handler answers its errors itself; this is a bug, never a stack trace to the client
            log.exception("unhandled error in %s", call.target)
            answer = envelope.internal_failure()
        if tap is not None:
            identity = call.scope.get(IDENTITY)
            if identity:
                tap.note["identity"] = str(identity)
            tap.answered(call.params, answer)
        await envelope.send(answer, send)

