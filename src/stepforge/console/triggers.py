"""The console's triggers page data: ``GET /console/api/triggers`` (see ``service.trigger_overview``)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.routing import BaseRoute, Route

from stepforge.console.views import _guarded
from stepforge.service import trigger_overview
from stepforge.service.context import ServiceContext


def routes(ctx: ServiceContext) -> list[BaseRoute]:
    async def overview(http: HttpRequest) -> Any:
        return await run_in_threadpool(trigger_overview.overview, ctx)

    return [Route("/console/api/triggers", _guarded(overview), methods=["GET"])]
