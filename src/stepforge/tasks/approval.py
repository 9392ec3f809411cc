"""Human approval: signed, single-use approve/reject links for a callback task's token.

AWS's manual-approval pattern, served by stepforge itself: a Task with ``.waitForTaskToken`` passes
``$$.Task.Token`` to a function that sends the approver two links::

    import stepforge

    @stepforge.function("ask-approval")
    def ask(event, context):
        links = stepforge.approval_links(event["token"])   # {"approve": url, "reject": url}
        send_mail(event["approver"], links)

Opening a link shows a confirmation page (so that mail scanners that prefetch links decide
nothing); confirming calls SendTaskSuccess (``{"Status": "Approved", ...}``) or SendTaskFailure
(error ``Rejected``) with the token. A link is single-use because the token closes with its task.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.routing import Route

    from stepforge.service.context import ServiceContext

ACTIONS = ("approve", "reject")


class Signer:
    """Makes and checks the links of one deployment."""

    def __init__(self, secret: bytes, base_url: str) -> None:
        self.secret = secret
        self.base_url = base_url.rstrip("/")

    def signature(self, action: str, token: str) -> str:
        digest = hmac.new(self.secret, f"{action}\n{token}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def verify(self, action: str, token: str, signature: str) -> bool:
        return action in ACTIONS and hmac.compare_digest(self.signature(action, token), signature)

    def links(self, token: str) -> dict[str, str]:
        return {action: f"{self.base_url}/approval/{action}?" + urllib.parse.urlencode(
            {"token": token, "sig": self.signature(action, token)}) for action in ACTIONS}


_signer = Signer(secrets.token_bytes(32), "http://127.0.0.1:8083")


def configure(secret: bytes, base_url: str) -> Signer:
    """Set the deployment's signer (the server does this at start-up)."""
    global _signer
    _signer = Signer(secret, base_url)
    return _signer


def approval_links(token: str) -> dict[str, str]:
    """The approve and reject links of a callback task's token: ``{"approve": url, "reject": url}``."""
    return _signer.links(token)


def load_secret(data_dir: Path | None) -> bytes:
    """The deployment's signing key, kept in the data directory so links outlive restarts."""
    if data_dir is None:
        return secrets.token_bytes(32)
    path = data_dir / "approval.key"
    if path.exists():
        return path.read_bytes()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    path.touch(mode=0o600)
    path.write_bytes(key)
    return key


def routes(ctx: ServiceContext) -> list[Route]:
    """``GET /approval/{action}`` (a confirmation page) and ``POST`` (the decision)."""
    from starlette.requests import Request as HttpRequest
    from starlette.routing import Route

    async def confirm(http: HttpRequest) -> Any:
        action, token, sig = http.path_params["action"], http.query_params.get("token", ""), \
            http.query_params.get("sig", "")
        if not _signer.verify(action, token, sig):
            return _page("Invalid link", "This approval link is not valid.", 403)
        fields = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                         for k, v in (("token", token), ("sig", sig)))
        form = (f'<form method="post">{fields}<label>Comment <input name="comment"></label> '
                f'<button type="submit">{action.capitalize()}</button></form>')
        return _page(f"{action.capitalize()} this request?", form, 200, raw=True)

    async def decide(http: HttpRequest) -> Any:
        form = {k: v[0] for k, v in urllib.parse.parse_qs((await http.body()).decode(errors="replace")).items()}
        action = http.path_params["action"]
        token, sig = form.get("token", ""), form.get("sig", "")
        if not _signer.verify(action, token, sig):
            return _page("Invalid link", "This approval link is not valid.", 403)
        return _decide(ctx, action, token, str(form.get("comment", "")))

    return [Route("/approval/{action}", confirm, methods=["GET"]),
            Route("/approval/{action}", decide, methods=["POST"])]


def _decide(ctx: ServiceContext, action: str, token: str, comment: str) -> Any:
    import json

    from stepforge.service import activities
    from stepforge.service.context import Request
    from stepforge.service.errors import ApiError

    try:
        if action == "approve":
            output = json.dumps({"Status": "Approved", "Approved": True, "Comment": comment})
            activities.send_success(ctx, Request({"taskToken": token, "output": output}, ctx.default_region))
        else:
            activities.send_failure(ctx, Request({"taskToken": token, "error": "Rejected",
                                                  "cause": comment or "The approver rejected the request."},
                                                 ctx.default_region))
    except ApiError:
        return _page("Already decided", "This request was already decided, or it timed out.", 410)
    return _page("Approved" if action == "approve" else "Rejected", "Your decision was recorded.", 200)


def _page(title: str, body: str, status: int, *, raw: bool = False) -> Any:
    from starlette.responses import HTMLResponse

    content = body if raw else html.escape(body)
    return HTMLResponse(f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
                        f"<p>{content}</p>", status_code=status)
