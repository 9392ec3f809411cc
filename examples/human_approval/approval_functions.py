"""The approval's Lambda functions, as plain Python (``stepforge serve --functions approval_functions``).

``request-approval`` "mails" the approver the two signed links of the task's token
(:func:`stepforge.approval_links`): into the folder ``$OUTBOX`` (one JSON file per mail) when it is
set, else to standard output. A real deployment would send them with SES or SMTP.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import stepforge


@stepforge.function("request-approval")
def request_approval(event: dict[str, Any], context: Any) -> dict[str, Any]:
    links = stepforge.approval_links(event["token"])
    request = event["request"]
    mail = {"to": request["approver"], "subject": f"Approve {request['what']}?", "links": links}
    outbox = os.environ.get("OUTBOX")
    if outbox:
        Path(outbox, f"{request['id']}.json").write_text(json.dumps(mail))
    else:
        print(json.dumps(mail), flush=True)
    return {"sent_to": request["approver"]}


@stepforge.function("carry-out")
def carry_out(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"id": event["id"], "done": event["what"], "comment": event["approval"]["Comment"]}
