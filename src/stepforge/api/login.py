"""Console login: the login page, the session endpoint the page script reads, and logging out.

It belongs to the edge's authentication (:mod:`stepforge.api.edge` checks the cookie it sets).

``GET /console/login`` shows a form (no script: the page works with JavaScript off); ``POST`` checks
the password (scrypt, in a worker thread), sets the session cookie and sends the browser on to
``next``. A user name gets :data:`MAX_FAILURES` wrong passwords per :data:`FAILURE_WINDOW` seconds;
then it is refused, whatever the password, until the window passes. ``GET /console/api/session``
tells the page script who is logged in and the CSRF token its writes carry; ``POST
/console/api/logout`` ends the session. Without ``[auth.users]`` the console is open and the session
endpoint says so.
"""

from __future__ import annotations

import html
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stepforge.api.edge import LOGIN_PATH, SESSION
from stepforge.api.hosts import same_origin
from stepforge.api.sessions import Session, Sessions, cookie_header
from stepforge.api.users import check_password
from stepforge.bodies import BodyTooLarge, read_body
from stepforge.console.headers import SECURITY_HEADERS

MAX_FAILURES = 5
FAILURE_WINDOW = 300.0
#: The same work for an unknown user name as for a wrong password, so timing tells nothing.
_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


class FailureLimit:
    """Counts wrong passwords per user name in a sliding window."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = FAILURE_WINDOW) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, name: str, now: float) -> bool:
        with self._lock:
            recent = self._recent(name, now)
            return len(recent) >= self.limit

    def fail(self, name: str, now: float) -> None:
        with self._lock:
            self._recent(name, now).append(now)

    def clear(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)

    def _recent(self, name: str, now: float) -> deque[float]:
        recent = self._failures.setdefault(name[:200], deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent


def routes(sessions: Sessions | None, *, now: Callable[[], float] = time.time) -> list[BaseRoute]:
    """The login page and the session endpoints (``sessions`` None: no users, the console is open)."""
    failures = FailureLimit()

    async def show(http: HttpRequest) -> Response:
        if sessions is None:
            return RedirectResponse("/console", 303)
        return login_page(_next(http.query_params.get("next")), "", 200)

    async def log_in(http: HttpRequest) -> Response:
        if sessions is None:
            return RedirectResponse("/console", 303)
        origin = http.headers.get("origin")
        if origin is None or not same_origin(origin, http.url.scheme, http.headers.get("host", "")):
            return login_page("/console", "Log in from this server's own login page.", 403)
        try:
            form = urllib.parse.parse_qs((await read_body(http)).decode(errors="replace"))
        except BodyTooLarge as exc:
            return login_page("/console", exc.message, 413)
        name, password = _field(form, "username"), _field(form, "password")
        target = _next(_field(form, "next"))
        if failures.blocked(name, now()):
            return login_page(target, "Too many wrong passwords for this user: try again in a few minutes.", 429)
        user = sessions.users.get(name)
        matches = await run_in_threadpool(check_password, user.password_hash if user else _DUMMY_HASH, password)
        if user is None or not matches:
            failures.fail(name, now())
            return login_page(target, "Wrong user name or password.", 401)
        failures.clear(name)
        cookie, _ = sessions.issue(user, now())
        response = RedirectResponse(target, 303, headers={"Cache-Control": "no-store"})
        response.headers.append("Set-Cookie", cookie_header(cookie, max_age=int(sessions.seconds),
                                                            secure=http.url.scheme == "https"))
        return response

    async def session(http: HttpRequest) -> Response:
        current: Session | None = http.scope.get(SESSION)
        if sessions is None or current is None:
            return _json({"login": sessions is not None, "user": None, "role": None if sessions else "admin",
                          "csrf": None})
        return _json({"login": True, "user": current.user.name, "role": current.user.role.value,
                      "csrf": sessions.csrf(current)})

    async def log_out(http: HttpRequest) -> Response:
        current: Session | None = http.scope.get(SESSION)
        if sessions is not None and current is not None:
            sessions.revoke(current, now())
        response = _json({"ok": True})
        response.headers.append("Set-Cookie", cookie_header("", max_age=0, secure=http.url.scheme == "https"))
        return response

    return [Route(LOGIN_PATH, show, methods=["GET"]), Route(LOGIN_PATH, log_in, methods=["POST"]),
            Route("/console/api/session", session, methods=["GET"]),
            Route("/console/api/logout", log_out, methods=["POST"])]


def login_page(target: str, message: str, status: int) -> HTMLResponse:
    """The login form (``message`` above it, escaped), posting back here with ``target`` as ``next``."""
    notice = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · stepforge</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/static/css/console.css"></head>
<body><main class="login"><h1>stepforge</h1>{notice}
<form method="post" action="{LOGIN_PATH}">
<input type="hidden" name="next" value="{html.escape(target)}">
<label>User name <input name="username" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button></form></main></body></html>"""
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
    if status == 401:  # a 401 needs a challenge; browsers show the page for a scheme they do not know
        headers["WWW-Authenticate"] = 'Form realm="stepforge console"'
    return HTMLResponse(body, status_code=status, headers=headers)


def _next(value: str | None) -> str:
    """Where to go after logging in: a path on this server, never another site (``//host`` or a scheme)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/console"
    return value


def _field(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name)
    return values[0] if values else ""


def _json(payload: object) -> JSONResponse:
    return JSONResponse(payload, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})
