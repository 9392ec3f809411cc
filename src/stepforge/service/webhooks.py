"""Webhooks: HTTP endpoints that start executions, as API Gateway's StartExecution and
StartSyncExecution integrations do.

A webhook has a name, a target state machine (``stateMachineArn``: a machine, version or alias), a
``mode`` (``START``: answer with StartExecution's response; ``SYNC``: run an EXPRESS machine and answer
with StartSyncExecution's) and an optional check of who calls it (``auth``):

- ``none``: anyone who can reach the server (the Host allow-list still applies);
- ``secret``: the header ``X-Webhook-Secret`` must equal ``secret``;
- ``hmac-sha256``: the header ``signatureHeader`` (default ``X-Hub-Signature-256``) must be
  ``sha256=`` and the hex HMAC-SHA256 of the raw body under ``secret`` (GitHub's scheme).

Managed with ``X-Amz-Target: StepForgeWebhooks.PutWebhook | GetWebhook | ListWebhooks | DeleteWebhook``
on the API's route (SigV4 like every API call); called with ``POST /webhooks/{name}``, the body being
the execution's input (empty: ``{}``). The secret is never shown by Get/List.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from stepforge.service import arns, executions
from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.errors import ValidationException, _error
from stepforge.service.params import optional_str, required_str
from stepforge.service.triggering import ResourceNotFound, check_target
from stepforge.store.trigger_records import TriggerStart, WebhookRecord

MODES = ("START", "SYNC")
AUTHS = ("none", "secret", "hmac-sha256")
SECRET_HEADER = "x-webhook-secret"
SIGNATURE_HEADER = "X-Hub-Signature-256"
Unauthorized = _error("AccessDeniedException", 403)


def webhook_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:states:{region}:{account}:webhook:{name}"


def put(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """PutWebhook: create or replace a webhook."""
    params = req.params
    name = arns.check_name(required_str(params, "name"))
    body: dict[str, Any] = {
        "stateMachineArn": check_target(params.get("stateMachineArn"), "stateMachineArn"),
        "mode": optional_str(params, "mode") or "START", "auth": optional_str(params, "auth") or "none",
        "signatureHeader": optional_str(params, "signatureHeader", max_length=100) or SIGNATURE_HEADER,
    }
    if body["mode"] not in MODES or body["auth"] not in AUTHS:
        raise ValidationException(f"mode must be one of {', '.join(MODES)}; auth one of {', '.join(AUTHS)}")
    secret = optional_str(params, "secret", max_length=1024)
    if body["auth"] != "none" and not secret:
        raise ValidationException(f"auth {body['auth']} needs a non-empty secret")
    body["secret"] = secret
    found = ctx.store.get_webhook(name)
    ctx.store.put_webhook(WebhookRecord(name, found.created if found else ctx.engine.clock.now(), body))
    return {"webhookArn": webhook_arn(req.region, ctx.account, name), "url": f"/webhooks/{name}"}


def get(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """GetWebhook (without its secret)."""
    return shape(ctx, _get(ctx, required_str(req.params, "name")), req.region)


def list_(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """ListWebhooks (without their secrets)."""
    return {"webhooks": [shape(ctx, w, req.region) for w in ctx.store.list_webhooks()]}


def delete(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """DeleteWebhook."""
    ctx.store.delete_webhook(_get(ctx, required_str(req.params, "name")).name)
    return {}


def shape(ctx: ServiceContext, record: WebhookRecord, region: str) -> dict[str, Any]:
    body = {k: v for k, v in record.body.items() if k != "secret"}
    return {"name": record.name, "webhookArn": webhook_arn(region, ctx.account, record.name),
            "url": f"/webhooks/{record.name}", "creationDate": record.created, **body}


def _get(ctx: ServiceContext, name: str) -> WebhookRecord:
    record = ctx.store.get_webhook(name)
    if record is None:
        raise ResourceNotFound(f"Webhook {name} does not exist.")
    return record


def authorize(ctx: ServiceContext, name: str, headers: Mapping[str, str], body: bytes) -> WebhookRecord:
    """The webhook ``name`` if the call passes its check (:data:`Unauthorized` otherwise; an unknown
    name is ResourceNotFoundException)."""
    record = _get(ctx, name)
    auth, secret = record.body["auth"], str(record.body.get("secret") or "")
    if auth == "secret":
        given = headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise Unauthorized("Missing or wrong X-Webhook-Secret header")
    elif auth == "hmac-sha256":
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        given = headers.get(str(record.body["signatureHeader"]).lower(), "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Unauthorized(f"Missing or wrong {record.body['signatureHeader']} signature")
    return record


def start(ctx: WriteContext, record: WebhookRecord, input_text: str, region: str) -> dict[str, Any]:
    """Start a START webhook's execution: StartExecution's answer. (A SYNC webhook runs through the
    API layer's StartSyncExecution, which waits for the answer.)"""
    request = Request({"stateMachineArn": record.body["stateMachineArn"], "input": input_text or "{}"}, region)
    answer = executions.start(ctx, request)
    ctx.store.add_trigger_start(TriggerStart(webhook_arn(region, ctx.account, record.name),
                                             str(answer["executionArn"]), ctx.engine.clock.now()))
    return answer
