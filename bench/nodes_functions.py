"""The Python function of bench/nodes.py's failover figure (served with ``--functions nodes_functions``)."""

from __future__ import annotations

import time
from typing import Any


def slow(event: Any, context: Any) -> Any:
    """In flight long enough for its node to be killed meanwhile."""
    time.sleep(10)
    return event
