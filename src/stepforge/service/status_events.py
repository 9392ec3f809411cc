"""Step Functions' own events: "Step Functions Execution Status Change" (source ``aws.states``),
delivered to the rules of the default event bus when an execution starts (RUNNING) and when it
ends, in AWS's shape.

EXPRESS executions send none (as on AWS). Called by the engine's start and end hooks (see
:mod:`stepforge.service.ports`) inside the batch that took the execution's first step or ended it, so a
FAILED execution and the handler execution its event starts commit together. An execution a RUNNING
event starts sends its own RUNNING event in a later batch, never in the same one: a rule that starts
the machine it watches makes one execution per batch, not an endless loop inside one transaction.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from stepforge.service import arns, rules
from stepforge.service.context import WriteContext
from stepforge.store.base import Reads
from stepforge.store.records import ExecutionRecord

SOURCE = "aws.states"
DETAIL_TYPE = "Step Functions Execution Status Change"


def event(ctx: WriteContext, record: ExecutionRecord) -> dict[str, Any]:
    """The status-change event of ``record`` as it is now (its id fixed by the execution and status)."""
    when = record.stopped if record.stopped is not None else record.started
    detail = {
        "executionArn": record.arn, "stateMachineArn": record.state_machine_arn, "name": record.name,
        "status": record.status, "startDate": int(record.started * 1000),
        "stopDate": None if record.stopped is None else int(record.stopped * 1000),
        "input": record.input, "output": record.output, "inputDetails": {"included": True},
        "outputDetails": {"included": True} if record.output is not None else None,
        "error": record.error, "cause": record.cause,
    }
    return {"version": "0", "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{record.arn}#{record.status}")),
            "detail-type": DETAIL_TYPE, "source": SOURCE, "account": ctx.account,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
            "region": arns.parse(record.arn).region, "resources": [record.arn], "detail": detail}


def listening(store: Reads, record: ExecutionRecord) -> bool:
    """Would ``record`` send an event anywhere? Not an EXPRESS execution (as on AWS), nor any without a
    rule on the default bus."""
    return sends(record) and any_rule(store)


def sends(record: ExecutionRecord) -> bool:
    """Does ``record`` send status-change events at all (not an EXPRESS execution, as on AWS)?"""
    return ":express:" not in record.arn


def any_rule(store: Reads) -> bool:
    """Is there a rule on the default bus (one row read, kept by the store)?"""
    return bool(store.list_rules(rules.DEFAULT_BUS, limit=1).items)


def publish(ctx: WriteContext, record: ExecutionRecord) -> list[str]:
    """Deliver ``record``'s status-change event to the matching rules; the executions it started.
    Without :func:`listening` the event is not even made."""
    if not listening(ctx.store, record):
        return []
    return rules.deliver(ctx, event(ctx, record))
