"""``stepforge run``'s progress bars: one per Map Run of the execution, redrawn as it runs (rich)."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from stepforge.service import maprun
from stepforge.service.context import Request, ServiceContext


def _counts(counts: dict[str, int]) -> str:
    failed = counts["failed"] + counts["timedOut"] + counts["aborted"]
    return f"running {counts['running']:,} · succeeded {counts['succeeded']:,} · failed {failed:,}"


class MapRunProgress:
    """Call :meth:`update` with the execution's ARN as it runs; a bar appears for each Map Run."""

    def __init__(self, ctx: ServiceContext, console: Console | None = None) -> None:
        self.ctx = ctx
        self.bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                             console=console or Console(stderr=True))
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Self:
        self.bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.bars.stop()

    def update(self, execution_arn: str) -> None:
        runs = maprun.list_(self.ctx, Request({"executionArn": execution_arn, "maxResults": 100}, "us-east-1"))
        for run in runs["mapRuns"]:
            self._show(run)

    def _show(self, run: dict[str, Any]) -> None:
        arn = run["mapRunArn"]
        described = maprun.describe(self.ctx, Request({"mapRunArn": arn}, "us-east-1"))
        counts = described["itemCounts"]
        done = counts["succeeded"] + counts["failed"] + counts["timedOut"] + counts["aborted"]
        label = f"Map Run {arn.split(':')[-2].split('/')[-1]} {described['status'].lower()}"
        if arn not in self.tasks:
            self.tasks[arn] = self.bars.add_task(label, total=counts["total"] or None, counts="")
        self.bars.update(self.tasks[arn], description=label, total=counts["total"] or None, completed=done,
                         counts=_counts(counts))
