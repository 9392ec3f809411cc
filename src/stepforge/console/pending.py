"""The console's pending tasks: activity tasks and ``.waitForTaskToken`` callbacks awaiting a token."""

from __future__ import annotations

from typing import Any

from stepforge.service import pending
from stepforge.service.context import ServiceContext


def tasks(ctx: ServiceContext) -> list[dict[str, Any]]:
    """Up to :data:`stepforge.service.pending.LIMIT` open tasks, oldest first (read in SQL, not per execution)."""
    return pending.waiting_tasks(ctx)
