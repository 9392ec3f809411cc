"""``GET /metrics``: the deployment's metrics in Prometheus' text format, on the API's port.

Who may read them: without access keys configured, anyone who reaches the server (as for the API
itself). With ``[auth]`` keys, a scraper cannot sign SigV4, so ``/metrics`` wants the
``[metrics] bearer_token`` as ``Authorization: Bearer <token>`` (Prometheus' ``bearer_token`` scrape
setting), unless ``[metrics] public = true`` opens it; with neither, it is refused. Metrics name
state machines, so on an exposed server they are no more public than the API is.
"""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stepforge.api import envelope
from stepforge.api.credentials import AuthConfig
from stepforge.observe.config import ObserveConfig
from stepforge.observe.metrics import CONTENT_TYPE, Metrics
from stepforge.service.errors import ApiError


class Unauthorized(ApiError):
    """``/metrics`` without the bearer token it wants (401, so that a scraper knows to send one)."""

    code, status = "AccessDeniedException", 401


def metrics_route(metrics: Metrics, config: ObserveConfig, auth: AuthConfig) -> Route:
    """The ``/metrics`` route serving ``metrics`` under the rule above."""

    async def endpoint(request: Request) -> Response:
        refusal = _refusal(request, config, auth)
        if refusal is not None:
            return refusal
        body = await run_in_threadpool(metrics.exposition)  # reads the store (open executions)
        return Response(body, media_type=CONTENT_TYPE)

    return Route("/metrics", endpoint, methods=["GET"])


def _refusal(request: Request, config: ObserveConfig, auth: AuthConfig) -> Response | None:
    if not auth.keys or config.metrics_public:
        return None
    token = config.metrics_token
    sent = request.headers.get("authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return None
    message = ("/metrics needs 'Authorization: Bearer <[metrics] bearer_token>' when access keys are configured"
               if token else "/metrics is closed: access keys are configured; set [metrics] bearer_token "
                             "(or public = true) in the server's config to let a scraper read it")
    answer = envelope.error(Unauthorized(message), envelope.CORAL)
    return Response(answer.body, status_code=answer.status, media_type=envelope.CONTENT_TYPE.decode(),
                    headers={"WWW-Authenticate": "Bearer", "x-amzn-ErrorType": Unauthorized.code})
