"""Activity handlers for the end-to-end tests, run with ``stepforge worker --activities worker_app``."""

from __future__ import annotations

from typing import Any

import stepforge


@stepforge.activity("e2e-greeter", heartbeat=1)
def greet(event: Any, context: Any) -> Any:
    context.heartbeat()
    if event.get("fail"):
        raise LookupError("nobody to greet")
    return {"greeting": f"hello {event['who']}"}
