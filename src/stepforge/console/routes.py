"""The console's routes: the page shell, its static files, the JSON endpoints and the SSE stream."""

from __future__ import annotations

import threading
from pathlib import Path

from starlette.requests import Request as HttpRequest
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from stepforge.console import approval, dashboard, live, triggers, views
from stepforge.console.headers import SECURITY_HEADERS
from stepforge.observe.observatory import Observatory
from stepforge.service.context import ServiceContext

STATIC = Path(__file__).parent / "static"

#: The pages of the single-page console; each is the same shell, the script reads the path.
PAGES = ("/", "/console", "/console/machines", "/console/machine", "/console/editor", "/console/executions",
         "/console/execution", "/console/activities", "/console/triggers", "/console/maprun",
         "/console/dashboard", "/console/audit")


class _SecureStatic(StaticFiles):
    """Static files with the console's security headers (and no caching during development)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        response.headers["Cache-Control"] = "no-cache"
        return response


def shell() -> str:
    return (STATIC / "index.html").read_text(encoding="utf-8")


async def page(http: HttpRequest) -> Response:
    return HTMLResponse(shell(), headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


def routes(ctx: ServiceContext, stopping: threading.Event | None = None,
           observe: Observatory | None = None) -> list[BaseRoute]:
    """Every route of the console (the API keeps ``POST /``), with the approval links' pages; ``observe``
    feeds the dashboard and audit pages."""
    stopping = stopping or threading.Event()
    pages: list[BaseRoute] = [Route(path, page, methods=["GET"]) for path in PAGES]
    return [
        *pages,
        Mount("/console/static", app=_SecureStatic(directory=STATIC), name="console-static"),
        *views.routes(ctx),
        *triggers.routes(ctx),
        Route("/console/api/stream", live.endpoint(ctx, stopping), methods=["GET"]),
        *approval.routes(ctx),
        *dashboard.routes(ctx, observe),
    ]
