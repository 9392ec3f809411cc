"""The gate in front of every route: Host allow-list, same-origin writes, SigV4 or a console session.

:class:`Edge` is ASGI middleware, so one check covers the AWS JSON route (``POST /``) and the
console's JSON API (``/console/api/*``) alike. A request is authenticated by a SigV4 signature
(with ``[auth.keys]`` configured) or, without an ``Authorization`` header, by a console session
cookie (with ``[auth.users]`` configured: the user's role decides the operations, and every write
must carry the session's CSRF token). With users configured, the console's pages redirect to the
login page until there is a session. The verified region is put in the ASGI scope under
:data:`VERIFIED_REGION`, and who is calling under :data:`IDENTITY` (the access key id, or
``console:NAME``); nothing reads the region from an unverified header when keys exist.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stepforge import bodies
from stepforge.api import envelope
from stepforge.api.auth import SERVICE, Identity, MissingAuthenticationToken, SignedRequest, verify
from stepforge.api.credentials import AuthConfig
from stepforge.api.head import Head
from stepforge.api.hosts import host_name, is_served, same_origin
from stepforge.api.sessions import COOKIE, Session, Sessions
from stepforge.api.trigger_operations import scheduler_operation, signing_service
from stepforge.api.users import role_allows
from stepforge.service.errors import ApiError, ValidationException

VERIFIED_REGION = "stepforge.region"
#: Who sent the request: an access key id, or ``console:NAME`` for a console session.
IDENTITY = "stepforge.identity"
#: The :class:`~stepforge.api.sessions.Session` of a request authenticated by its cookie.
SESSION = "stepforge.session"
LOGIN_PATH = "/console/login"
#: Host headers whose verdict :class:`Edge` remembers (past this, it forgets them all and starts again).
HOSTS_SEEN = 256
#: What a key needs to use the console's JSON API, which shows what execution histories show.
CONSOLE_OPERATION = "GetExecutionHistory"
#: Why the browser console's data does not load when keys are configured.
CONSOLE_REFUSAL = (": access keys are configured and no console users: the console's JSON API answers only "
                   "SigV4-signed requests. Add [auth.users] to the server's config to log in to the console.")
LOGIN_REFUSAL = ": log in to the console at /console/login."
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AccessDenied(ApiError):
    """A request refused for who sends it (a key without the permission: 400, as AWS answers)."""

    code, status = "AccessDeniedException", 400


class ForbiddenHost(ApiError):
    """A Host the server does not serve, or a write from a foreign Origin."""

    code, status = "AccessDeniedException", 403


class Edge:
    """ASGI middleware: refuses what the edge must refuse, in AWS's error shape, before any route runs.

    ``hosts`` (names without port, as :func:`stepforge.api.hosts.served_hosts` gives them) is the
    Host allow-list; None accepts any Host (in-process applications that no browser can reach).
    """

    def __init__(self, app: ASGIApp, *, auth: AuthConfig, hosts: frozenset[str] | None, max_body: int,
                 account: str, sessions: Sessions | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.app, self.auth, self.hosts, self.max_body = app, auth, hosts, max_body
        self.account, self.now = account, now
        self.sessions = sessions if auth.users else None
        self._hosts_seen: dict[str, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        admitted = await self.admit(scope, receive, send, Head.of(scope))
        if admitted is not None:
            await self.app(*admitted, send)

    async def admit(self, scope: Scope, receive: Receive, send: Send, head: Head) -> tuple[Scope, Receive] | None:
        """The scope (with :data:`VERIFIED_REGION`, :data:`IDENTITY`, :data:`SESSION` as verified) and
        ``receive`` an HTTP request goes on with; None when the edge has answered it (a refusal, a
        redirect to the login page) or its client has gone. ``head``: the scope's headers."""
        try:
            self._check_host_and_origin(scope, head)
            session = self._session(head)
            if session is not None:
                scope = {**scope, SESSION: session}
            if _signed_path(scope):
                if session is not None and head.authorization is None:
                    self._check_session(scope, head, session)
                    scope = {**scope, IDENTITY: f"console:{session.user.name}"}
                elif self.auth.keys:
                    body = await _read(receive, self.max_body)
                    if body is None:
                        return None  # the client has gone
                    identity = self._verify(scope, head, body)
                    self._check_permission(scope, head, identity)
                    scope = {**scope, VERIFIED_REGION: identity.region, IDENTITY: identity.access_key}
                    receive = _replay(body, receive)
                elif self.sessions is not None and scope["path"].startswith("/console/api/"):
                    raise MissingAuthenticationToken("Missing Authentication Token")
            elif self.sessions is not None and session is None and _console_page(scope):
                await _redirect_to_login(scope, send)
                return None
        except MissingAuthenticationToken as exc:
            if scope["path"].startswith("/console/api/"):
                exc.message += LOGIN_REFUSAL if self.sessions is not None else CONSOLE_REFUSAL
            await envelope.send(envelope.error(exc, envelope.CORAL), send)
            return None
        except ApiError as exc:
            await envelope.send(envelope.error(exc, envelope.CORAL), send)
            return None
        return scope, receive

    def _session(self, head: Head) -> Session | None:
        if self.sessions is None:
            return None
        return self.sessions.read(_cookie(head, COOKIE), self.now().timestamp())

    def _check_session(self, scope: Scope, head: Head, session: Session) -> None:
        """A session's request: its role must allow the operation, and a write must carry its CSRF token."""
        assert self.sessions is not None
        if scope["method"] not in _SAFE_METHODS and not self.sessions.csrf_matches(
                session, head.csrf):
            raise ForbiddenHost("Missing or wrong CSRF token: reload the console page.")
        operation = _operation(scope, head)
        if not role_allows(session.user.role, operation):
            raise AccessDenied(f"User: console:{session.user.name} (role {session.user.role.value}) is not "
                               f"authorized to perform: states:{operation}")

    def _check_host_and_origin(self, scope: Scope, head: Head) -> None:
        host, origin = head.host, head.origin
        if self.hosts is not None and not self._served(host or ""):
                raise ForbiddenHost(f"Host '{(host or '')[:100]}' is not served here; add it to [auth] hosts "
                                    "in the server's config to allow it.")
        if origin is not None and scope["method"] not in _SAFE_METHODS \
                and not same_origin(origin, scope["scheme"], host or ""):
            raise ForbiddenHost(f"Cross-origin write refused: Origin '{origin[:100]}' is not this server's origin.")

    def _served(self, host: str) -> bool:
        """Whether a Host header names a served host (remembered: a server sees few Host headers)."""
        served = self._hosts_seen.get(host)
        if served is None:
            name = host_name(host)
            served = name is not None and self.hosts is not None and is_served(name, self.hosts)
            if len(self._hosts_seen) >= HOSTS_SEEN:
                self._hosts_seen.clear()  # garbage Host headers must not grow memory
            self._hosts_seen[host] = served
        return served

    def _verify(self, scope: Scope, head: Head, body: bytes) -> Identity:
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        path = scope.get("raw_path") or scope["path"].encode()
        request = SignedRequest(scope["method"], path.decode("latin-1"), scope["query_string"].decode("latin-1"),
                                headers, body)
        return verify(request, self.auth.keys, self.now(), self.auth.regions, _service(scope, head))

    def _check_permission(self, scope: Scope, head: Head, identity: Identity) -> None:
        service, operation = _service(scope, head), _operation(scope, head)
        if not self.auth.allows(identity.access_key, operation):
            raise AccessDenied(f"User: arn:aws:iam::{self.account}:user/{identity.access_key} is not authorized "
                               f"to perform: {service}:{operation} because no identity-based policy allows the "
                               f"{service}:{operation} action")


def _signed_path(scope: Scope) -> bool:
    path: str = scope["path"]
    return ((path == "/" and scope["method"] == "POST") or path.startswith("/console/api/")
            or scheduler_operation(scope["method"], path) is not None)


def _service(scope: Scope, head: Head) -> str:
    """The SigV4 service a request must be signed for: Scheduler's paths, EventBridge's targets, else states."""
    if scheduler_operation(scope["method"], scope["path"]) is not None:
        return "scheduler"
    if scope["path"] == "/":
        return signing_service(head.target or "") or SERVICE
    return SERVICE


def _operation(scope: Scope, head: Head) -> str:
    """The API operation a request calls: its X-Amz-Target's (Step Functions, EventBridge, webhooks),
    Scheduler's by path; the console's JSON API counts as reading histories."""
    if scope["path"] == "/":
        return (head.target or "").partition(".")[2]
    if _service(scope, head) == "scheduler":
        return scheduler_operation(scope["method"], scope["path"]) or ""
    return CONSOLE_OPERATION


def _console_page(scope: Scope) -> bool:
    """A console page (not its static files nor the login page), which needs a session to see."""
    path: str = scope["path"]
    if scope["method"] not in ("GET", "HEAD") or path.startswith("/console/static/") or path == LOGIN_PATH:
        return False
    return path in ("/", "/console") or path.startswith("/console/")


def _cookie(head: Head, name: str) -> str | None:
    header = head.cookie
    if header is None:
        return None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


async def _redirect_to_login(scope: Scope, send: Send) -> None:
    target = scope["path"] + ("?" + scope["query_string"].decode("latin-1") if scope["query_string"] else "")
    location = f"{LOGIN_PATH}?next={urllib.parse.quote(target, safe='')}"
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0"),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": b""})


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The whole body (ValidationException past ``limit`` bytes), or None when the client disconnects first."""
    try:
        return await bodies.receive_body(receive, limit)
    except bodies.BodyTooLarge as exc:
        raise ValidationException(exc.message) from None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the application the body already read, then the client's next message."""
    pending = [body]

    async def replay() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": False}
        return await receive()
    return replay
