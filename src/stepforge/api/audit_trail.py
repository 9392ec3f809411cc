"""The audit trail's tap on the HTTP edge: every API call that changes something, and every refused call.

:class:`AuditTrail` is the outermost ASGI middleware, so it sees what :class:`~stepforge.api.edge.Edge`
refuses (bad signatures, foreign hosts) as well as what the API answers (ThrottlingException,
ValidationException...). It keeps a copy of the request and response bodies as they pass (up to a
bound) and, just before the response's last byte is sent, hands the call to
:class:`~stepforge.observe.audit.AuditLog`, which appends its line at once. Recorded: every write operation (``POST /`` whose
operation changes something) and every answer of status 400 or more, on the API and the console's
JSON API alike, and the decisions taken through approval links (``POST /approval/...``).

The caller is who the edge verified (:data:`~stepforge.api.edge.IDENTITY`: an access key id, or
``console:NAME`` for a console session), which :class:`IdentityNote`, placed inside the edge, hands
back out; for a call the edge refused, the access key its SigV4 ``Credential`` claimed.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stepforge.api.edge import IDENTITY
from stepforge.api.envelope import Answer
from stepforge.api.head import Head
from stepforge.api.operations import LONG_POLLS, SYNC_EXECUTION, TARGET_PREFIX, WRITE_OPERATIONS
from stepforge.observe.audit import AuditLog, Call, json_object

#: The scope key of the per-request note where :class:`IdentityNote` leaves the edge's verdict.
NOTE = "stepforge.audit_note"
#: Bytes of a request or response body kept for the trail where no route parsed it (past this, its
#: parameters are not recorded); the API's calls hand the trail what they parsed, of any size.
KEEP_BYTES = 64 * 1024
_CREDENTIAL = re.compile(r"Credential=([^/,\s]{1,128})/\d{8}/([a-z0-9-]{1,32})/")
_CHANGES = frozenset(WRITE_OPERATIONS) | {SYNC_EXECUTION}


class AuditTrail:
    """ASGI middleware recording calls to ``log`` (None: no trail, and no tap on any request)."""

    def __init__(self, app: ASGIApp, *, log: AuditLog | None, account: str, default_region: str) -> None:
        self.app, self.log = app, log
        self.account, self.default_region = account, default_region

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tap = self.tap(scope) if scope["type"] == "http" else None
        if tap is None:
            await self.app(scope, receive, send)
            return
        try:
            await self.app({**scope, NOTE: tap.note}, tap.receive(receive), tap.send(send))
        finally:
            tap.done()  # if the response never finished (the client left, the app failed)

    def tap(self, scope: Scope, head: Head | None = None) -> Tap | None:
        """The tap recording an HTTP request of ``scope`` (whose headers are ``head``, None: read them
        when needed) as it passes; None when nothing is recorded."""
        log = self.log
        if log is None or not _audited_path(scope):
            return None
        return Tap(functools.partial(self._record, log, scope, head))  # a partial: no Python frame of its own

    def _record(self, log: AuditLog, scope: Scope, head: Head | None, tap: Tap) -> None:
        head = head or Head.of(scope)
        operation = _operation(scope, head)
        refused = tap.status >= 400
        if operation in LONG_POLLS and not refused:
            return
        if not refused and operation not in _CHANGES and not _console_write(scope):
            return
        authorization, user_agent = head.authorization, head.user_agent or ""
        credential = _claimed(authorization) if authorization else None
        verified = tap.note.get("identity")
        console_user = verified.removeprefix("console:") if verified and verified.startswith("console:") else None
        access_key = (verified if verified and console_user is None
                      else credential[0] if credential and console_user is None else None)
        client = scope.get("client")
        log.record(Call(
            operation=operation, params=tap.parameters(), access_key=access_key,
            source_ip=str(client[0]) if client else "", user_agent=user_agent,
            region=credential[1] if credential else self.default_region, account=self.account,
            error_code=(tap.error_code or f"HTTP{tap.status}") if refused else None,
            response=tap.answer(), console_user=console_user, at=time.time()))


class IdentityNote:
    """ASGI middleware inside :class:`~stepforge.api.edge.Edge`: notes who the edge verified for the trail."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        note = scope.get(NOTE)
        if note is not None and scope.get(IDENTITY):
            note["identity"] = str(scope[IDENTITY])
        await self.app(scope, receive, send)


class Tap:
    """Copies of what passes through one request: its body, the response's status, error and body.
    ``finished`` runs once (given the tap), just before the response's last part is sent (so a client that has its
    answer finds the call in the trail). ``note`` gets who the edge verified (``identity``). A route
    that parsed the request and built the answer hands both to :meth:`answered` instead of sending
    through :meth:`send` (the trail then reads them instead of parsing the bodies again)."""

    __slots__ = ("_finished", "_request", "_request_size", "_response", "_response_size", "error_code", "note",
                 "params", "payload", "status")

    def __init__(self, finished: Callable[[Tap], None]) -> None:
        self._finished: Callable[[Tap], None] | None = finished
        self.status = 0
        self.error_code: str | None = None
        self.note: dict[str, str] = {}
        self.params: dict[str, Any] | None = None  # as the route parsed them (:meth:`answered`)
        self.payload: Any = None
        self._request: list[bytes] = []
        self._response: list[bytes] = []
        self._request_size = self._response_size = 0

    def receive(self, receive: Receive) -> Receive:
        async def tapped() -> Message:
            message = await receive()
            chunk = message.get("body", b"") if message["type"] == "http.request" else b""
            if chunk and self._request_size <= KEEP_BYTES:
                self._request.append(chunk)
                self._request_size += len(chunk)
            return message
        return tapped

    def send(self, send: Send) -> Send:
        async def tapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = int(message["status"])
                for key, value in message.get("headers", []):
                    if key.lower() == b"x-amzn-errortype":
                        self.error_code = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                if self._response_size <= KEEP_BYTES:
                    self._response.append(chunk)
                self._response_size += len(chunk)
                if not message.get("more_body", False):
                    self.done()
            await send(message)
        return tapped

    def answered(self, params: dict[str, Any] | None, answer: Answer) -> None:
        """The call's parameters (None: not parsed) and ``answer``, about to be sent: record the call now."""
        self.params, self.payload = params, answer.payload
        self.status, self.error_code, self._response_size = answer.status, answer.error_code, len(answer.body)
        self.done()

    def done(self) -> None:
        finished, self._finished = self._finished, None
        if finished is not None:
            finished(self)

    def parameters(self) -> dict[str, Any]:
        """The request's JSON object: as the route parsed it, whatever its size (the trail trims it); else
        parsed from the copy (empty: no body, not an object, or past :data:`KEEP_BYTES`)."""
        if self.params is not None:
            return self.params
        if self._request_size > KEEP_BYTES:
            return {}
        return json_object(b"".join(self._request))

    def answer(self) -> dict[str, Any]:
        """The response's JSON object: as the route built it, whatever its size; else parsed from the copy
        (empty: no body, not an object, or past :data:`KEEP_BYTES`)."""
        if isinstance(self.payload, dict):
            return self.payload
        if self._response_size > KEEP_BYTES:
            return {}
        return json_object(b"".join(self._response))


def _claimed(authorization: str) -> tuple[str, str] | None:
    """The access key and region a SigV4 ``Authorization`` header's ``Credential`` names (None: none). What
    comes before the signature is the same on every call of one client: it is parsed once."""
    return _credential(authorization.partition("Signature=")[0]) or _credential.__wrapped__(authorization)


@functools.lru_cache(maxsize=256)
def _credential(authorization: str) -> tuple[str, str] | None:
    found = _CREDENTIAL.search(authorization)
    return (found.group(1), found.group(2)) if found else None


def _audited_path(scope: Scope) -> bool:
    path: str = scope["path"]
    return (path == "/" and scope["method"] == "POST") or path.startswith(("/console/api/", "/approval/"))


def _operation(scope: Scope, head: Head) -> str:
    if scope["path"] == "/":
        return (head.target or "").removeprefix(TARGET_PREFIX)[:128]
    return f"{scope['method']} {scope['path'][:256]}"


def _console_write(scope: Scope) -> bool:
    """An approval link's decision (the console's JSON API only reads; ``validate`` changes nothing)."""
    return str(scope["path"]).startswith("/approval/") and scope["method"] == "POST"
