"""Map Runs of Distributed Map states: ListMapRuns, DescribeMapRun, UpdateMapRun."""

from __future__ import annotations

import json
from typing import Any

from stepforge.service import arns
from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.errors import ExecutionDoesNotExist, ResourceNotFound, ValidationException
from stepforge.service.params import answer, required_str, store_page
from stepforge.store import cursors
from stepforge.store.base import ExecutionQuery
from stepforge.store.records import ExecutionRecord, MapRunRecord, Page
from stepforge.tasks import maprun as runs

_COUNTS = ("pending", "running", "succeeded", "failed", "timedOut", "aborted", "total", "resultsWritten",
           "failuresNotRedrivable", "pendingRedrive")


def get(ctx: ServiceContext, arn: str) -> MapRunRecord:
    arns.parse(arn, "mapRun")
    record = ctx.store.get_map_run(arn)
    if record is None:
        raise ResourceNotFound(f"Resource not found: '{arn}'")
    return record


def executions_query(ctx: ServiceContext, arn: str, status: str | None) -> ExecutionQuery:
    """Which executions ListExecutions shows for a Map Run: its children (checking that it exists)."""
    get(ctx, arn)
    return ExecutionQuery(map_run_arn=arn, status=status)


def express_child(ctx: ServiceContext, arn: str) -> ExecutionRecord | None:
    """An EXPRESS child of a Map Run, as its item row records it (None: no Map Run started it).
    DescribeExecution answers for these, as AWS does, though EXPRESS executions have no stored record."""
    item = ctx.store.map_run_item_of(arn)
    record = None if item is None else ctx.store.get_map_run(item.map_run_arn)
    if item is None or record is None or not record.express:
        return None
    return runs.express_record(record, item)


def express_children(ctx: ServiceContext, arn: str, status: str | None,
                     params: dict[str, Any]) -> tuple[list[ExecutionRecord], str | None] | None:
    """ListExecutions of an EXPRESS Map Run: its children as their item rows record them, in item
    order, a page at a time (None: the run's children are stored executions, listed as such)."""
    record = get(ctx, arn)
    if not record.express:
        return None

    def read(after: str | None, limit: int) -> Page[ExecutionRecord]:
        index = -1 if after is None else int(cursors.decode(after, int)[0])
        found: list[ExecutionRecord] = []
        while len(found) < limit and (items := ctx.store.map_run_items(arn, status=status, after=index, limit=limit)):
            for item in items:
                index = item.index
                if item.child_arn is not None and item.status != runs.PENDING:
                    found.append(runs.express_record(record, item))
                    if len(found) == limit:
                        break
        more = bool(found) and len(found) == limit
        return Page(found, cursors.encode(index) if more else None)

    return store_page("executions", params, read)


def describe(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    record = get(ctx, required_str(req.params, "mapRunArn"))
    response: dict[str, Any] = {
        "mapRunArn": record.arn, "executionArn": record.execution_arn, "status": record.status,
        "startDate": record.started, "maxConcurrency": record.max_concurrency,
        "toleratedFailurePercentage": record.tolerated_failure_percentage,
        "toleratedFailureCount": record.tolerated_failure_count,
        "itemCounts": {key: record.item_counts.get(key, 0) for key in _COUNTS},
        "executionCounts": {key: record.execution_counts.get(key, 0) for key in _COUNTS},
        "redriveCount": record.redrive_count,
    }
    if record.stopped is not None:
        response["stopDate"] = record.stopped
    if record.redrive_date is not None:
        response["redriveDate"] = record.redrive_date
    return response


def progress(ctx: ServiceContext, arn: str, failed_limit: int = 50) -> dict[str, Any]:
    """What the console's Map Run page shows: DescribeMapRun, whether items are still being read
    or results written, and the first failed items with their errors."""
    record = get(ctx, arn)
    failed: list[dict[str, Any]] = []
    for status in ("FAILED", "TIMED_OUT", "ABORTED"):
        room = failed_limit - len(failed)
        for item in ctx.store.map_run_items(arn, status=status, limit=room) if room > 0 else []:
            result = json.loads(item.result) if item.result else {}
            failed.append({"index": item.index, "status": item.status, "executionArn": item.child_arn,
                           "error": result.get("Error") if isinstance(result, dict) else None,
                           "cause": result.get("Cause") if isinstance(result, dict) else None})
    described = describe(ctx, Request({"mapRunArn": arn}, ctx.default_region))
    return {"mapRun": described, "phase": record.phase if record.status == "RUNNING" else "",
            "failedItems": sorted(failed, key=lambda found: int(found["index"]))}


def list_(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    arn = required_str(req.params, "executionArn")
    arns.parse(arn, "execution")
    execution = ctx.store.get_execution(arn, with_run=False)
    if execution is None:
        raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
    found, token = store_page("mapRuns", req.params,
                              lambda after, limit: ctx.store.list_map_runs(arn, after=after, limit=limit))
    return answer("mapRuns", [{
        "executionArn": r.execution_arn, "mapRunArn": r.arn, "stateMachineArn": r.state_machine_arn,
        "startDate": r.started, **({"stopDate": r.stopped} if r.stopped is not None else {}),
    } for r in found], token)


def update(ctx: WriteContext, req: Request) -> dict[str, Any]:
    params = req.params
    keys = ("maxConcurrency", "toleratedFailurePercentage", "toleratedFailureCount")
    if all(params.get(key) is None for key in keys):
        raise ValidationException("Must provide at least one of maxConcurrency, toleratedFailurePercentage "
                                  "or toleratedFailureCount")
    record = get(ctx, required_str(params, "mapRunArn"))
    if params.get("maxConcurrency") is not None:
        record.max_concurrency = int(params["maxConcurrency"])  # type: ignore[call-overload]
    if params.get("toleratedFailurePercentage") is not None:
        record.tolerated_failure_percentage = float(params["toleratedFailurePercentage"])  # type: ignore[arg-type]
    if params.get("toleratedFailureCount") is not None:
        record.tolerated_failure_count = int(params["toleratedFailureCount"])  # type: ignore[call-overload]
    runs.refill(ctx.store, record, ctx.engine.clock.now(), ctx.engine.dispatcher.items)
    ctx.engine.notify()
    return {}
