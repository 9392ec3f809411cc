"""The pages of human approval links (:mod:`stepforge.service.approvals` says what they do).

``GET /approval/{action}`` shows a confirmation form, so that mail scanners that prefetch links
decide nothing; ``POST`` records the decision as SendTaskSuccess or SendTaskFailure with the
link's token, through the engine's group commit like any other API write.
"""

from __future__ import annotations

import html
import urllib.parse

from starlette.requests import Request as HttpRequest
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from stepforge.bodies import BodyTooLarge, read_body
from stepforge.console.headers import SECURITY_HEADERS
from stepforge.service import approvals
from stepforge.service.context import ServiceContext
from stepforge.service.errors import ApiError, storage_fault


def routes(ctx: ServiceContext) -> list[BaseRoute]:
    """``GET /approval/{action}`` (a confirmation page) and ``POST`` (the decision)."""

    async def confirm(http: HttpRequest) -> Response:
        action = http.path_params["action"]
        token, sig = http.query_params.get("token", ""), http.query_params.get("sig", "")
        if not approvals.genuine(action, token, sig):
            return page("Invalid link", "This approval link is not valid.", 403)
        fields = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                         for k, v in (("token", token), ("sig", sig)))
        form = (f'<form method="post">{fields}<label>Comment <input name="comment"></label> '
                f'<button type="submit">{action.capitalize()}</button></form>')
        return page(f"{action.capitalize()} this request?", form, 200, raw=True)

    async def decide(http: HttpRequest) -> Response:
        try:
            body = await read_body(http)
        except BodyTooLarge as exc:
            return page("Request too large", exc.message, 413)
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(errors="replace")).items()}
        action = http.path_params["action"]
        token, sig = form.get("token", ""), form.get("sig", "")
        if not approvals.genuine(action, token, sig):
            return page("Invalid link", "This approval link is not valid.", 403)
        comment = str(form.get("comment", ""))
        try:
            await ctx.engine.write(lambda tx: approvals.decide(ctx.within(tx), action, token, comment))
        except ApiError:
            return page("Already decided", "This request was already decided, or it timed out.", 410)
        except Exception as exc:
            if storage_fault(exc) is None:
                raise
            return page("Try again later", "The decision could not be stored; nothing was recorded.", 503)
        return page("Approved" if action == "approve" else "Rejected", "Your decision was recorded.", 200)

    return [Route("/approval/{action}", confirm, methods=["GET"]),
            Route("/approval/{action}", decide, methods=["POST"])]


def page(title: str, body: str, status: int, *, raw: bool = False) -> HTMLResponse:
    content = body if raw else html.escape(body)
    return HTMLResponse(f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
                        f"<p>{content}</p>", status_code=status,
                        headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})
