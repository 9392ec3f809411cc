"""The pages of human approval links (see :mod:`stepforge.tasks.approval`, which signs them).

``GET /approval/{action}`` shows a confirmation form, so that mail scanners that prefetch links
decide nothing; ``POST`` records the decision as SendTaskSuccess or SendTaskFailure with the
link's token, through the engine's group commit like any other API write.
"""

from __future__ import annotations

import html
import json
import urllib.parse

from starlette.requests import Request as HttpRequest
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from stepforge.service import activities
from stepforge.service.context import Request, ServiceContext
from stepforge.service.errors import ApiError
from stepforge.tasks import approval


def routes(ctx: ServiceContext) -> list[BaseRoute]:
    """``GET /approval/{action}`` (a confirmation page) and ``POST`` (the decision)."""

    async def confirm(http: HttpRequest) -> Response:
        action = http.path_params["action"]
        token, sig = http.query_params.get("token", ""), http.query_params.get("sig", "")
        if not approval.verify(action, token, sig):
            return page("Invalid link", "This approval link is not valid.", 403)
        fields = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                         for k, v in (("token", token), ("sig", sig)))
        form = (f'<form method="post">{fields}<label>Comment <input name="comment"></label> '
                f'<button type="submit">{action.capitalize()}</button></form>')
        return page(f"{action.capitalize()} this request?", form, 200, raw=True)

    async def decide(http: HttpRequest) -> Response:
        form = {k: v[0] for k, v in urllib.parse.parse_qs((await http.body()).decode(errors="replace")).items()}
        action = http.path_params["action"]
        token, sig = form.get("token", ""), form.get("sig", "")
        if not approval.verify(action, token, sig):
            return page("Invalid link", "This approval link is not valid.", 403)
        comment = str(form.get("comment", ""))
        try:
            await ctx.engine.write(lambda: decision(ctx, action, token, comment))
        except ApiError:
            return page("Already decided", "This request was already decided, or it timed out.", 410)
        return page("Approved" if action == "approve" else "Rejected", "Your decision was recorded.", 200)

    return [Route("/approval/{action}", confirm, methods=["GET"]),
            Route("/approval/{action}", decide, methods=["POST"])]


def decision(ctx: ServiceContext, action: str, token: str, comment: str) -> None:
    """Close the task of ``token``: SendTaskSuccess to approve, SendTaskFailure (``Rejected``) to reject."""
    if action == "approve":
        output = json.dumps({"Status": "Approved", "Approved": True, "Comment": comment})
        activities.send_success(ctx, Request({"taskToken": token, "output": output}, ctx.default_region))
    else:
        cause = comment or "The approver rejected the request."
        activities.send_failure(ctx, Request({"taskToken": token, "error": "Rejected", "cause": cause},
                                             ctx.default_region))


def page(title: str, body: str, status: int, *, raw: bool = False) -> HTMLResponse:
    content = body if raw else html.escape(body)
    return HTMLResponse(f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
                        f"<p>{content}</p>", status_code=status)
