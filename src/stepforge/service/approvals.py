"""Human approval: what a signed approve/reject link does (the links are made by ``tasks.approval``).

A decision closes the callback task of the link's token: approving is SendTaskSuccess with
``{"Status": "Approved", ...}``, rejecting is SendTaskFailure with the error ``Rejected``.
"""

from __future__ import annotations

import json

from stepforge.service import activities
from stepforge.service.context import Request, WriteContext
from stepforge.tasks import approval


def genuine(action: str, token: str, signature: str) -> bool:
    """Is this link one the deployment signed (``action`` is "approve" or "reject")?"""
    return approval.verify(action, token, signature)


def decide(ctx: WriteContext, action: str, token: str, comment: str) -> None:
    """A write: close the task of ``token`` as the approver decided (ApiError if it is closed already)."""
    if action == "approve":
        output = json.dumps({"Status": "Approved", "Approved": True, "Comment": comment})
        activities.send_success(ctx, Request({"taskToken": token, "output": output}, ctx.default_region))
    else:
        cause = comment or "The approver rejected the request."
        activities.send_failure(ctx, Request({"taskToken": token, "error": "Rejected", "cause": cause},
                                             ctx.default_region))
