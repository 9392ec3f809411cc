"""One deployment's observers, wired to its engine: metrics, the dashboard, traces and the audit trail.

:class:`Observatory` is the engine's batch observer (:mod:`stepforge.engine.observer`): it follows
each committed batch's history events and hands what it reads to the metrics, the dashboard and the
traces. With metrics off and no tracing it is not attached at all (the engine then does no
observing work); the audit trail, fed by the HTTP edge, is independent of the engine.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stepforge.asl.records import Event
from stepforge.engine.engine import Engine
from stepforge.engine.observer import BatchDone
from stepforge.observe.audit import FILE_NAME, AuditLog
from stepforge.observe.config import ObserveConfig
from stepforge.observe.dashboard import Dashboard
from stepforge.observe.follow import Follower, Listener
from stepforge.observe.metrics import Metrics
from stepforge.store.records import ExecutionRecord

#: Without tracing, states are timed (the dashboard's slowest states) in at most one execution started in
#: this many seconds: every execution at a low rate, about ten a second at any higher one (following the
#: states of a large Parallel costs about 300 us an execution: that cost is bounded, not a share of the load).
STATE_SAMPLE_SECONDS = 0.1
#: ... and while the events read in those executions stay within this many a second on average (about 1.4 ms
#: of CPU a second): an execution of thousands of states, sampled, is followed for one step and pays for it
#: with the following seconds' samples.
SAMPLED_EVENTS_PER_SECOND = 1000.0

if TYPE_CHECKING:
    from stepforge.observe.tracing import Tracing


class Observatory:
    """What ``config`` asks to observe. ``tracing`` overrides ``config.otlp_endpoint`` (tests pass
    one with an in-memory exporter); ``data_dir`` is where the audit trail goes by default."""

    def __init__(self, config: ObserveConfig, *, open_executions: Callable[[], int] | None = None,
                 tracing: Tracing | None = None, data_dir: Path | None = None) -> None:
        self.config = config
        self.metrics = Metrics(config.node, open_executions) if config.metrics else None
        self.dashboard = Dashboard() if config.metrics else None
        if tracing is None and config.otlp_endpoint:
            from stepforge.observe.tracing import Tracing

            tracing = Tracing.otlp(config.otlp_endpoint, service_name=config.service_name, node=config.node)
        self.tracing = tracing
        audit_path = config.audit_path or (data_dir / FILE_NAME if data_dir is not None else None)
        self.audit = (AuditLog(audit_path, max_bytes=config.audit_max_bytes, keep=config.audit_keep)
                      if config.audit and audit_path is not None else None)
        listeners: list[Listener] = [x for x in (self.metrics, self.dashboard, self.tracing) if x is not None]
        traced = self.tracing is not None  # tracing follows every state of every execution
        self.follower = Follower(listeners, sample_every=0.0 if traced else STATE_SAMPLE_SECONDS,
                                 sampled_events_per_second=math.inf if traced else SAMPLED_EVENTS_PER_SECOND)
        self._following = threading.Lock()  # the engine's thread and the EXPRESS runner's threads

    @property
    def watches_engine(self) -> bool:
        """Does anything here need the engine's batch reports?"""
        return bool(self.follower.listeners)

    def attach(self, engine: Engine) -> None:
        """Become ``engine``'s batch observer (if anything watches), and give tasks the trace context."""
        if self.watches_engine:
            engine.observer = self
            engine.express.observer = self.express_step
        if self.tracing is not None:
            engine.dispatcher.trace_headers = self.tracing.headers

    def __call__(self, done: BatchDone) -> None:
        """The engine's hook: one committed batch."""
        with self._following:
            for record, events in done.steps:
                self.follower.follow(record, events)
            if self.metrics is not None:
                self.metrics.batch(done)
            if self.dashboard is not None:
                self.dashboard.batch(done)

    def express_step(self, record: ExecutionRecord, events: list[Event]) -> None:
        """The EXPRESS runner's hook: one step of an execution kept in memory (on the thread that ran it:
        a request's, a task's, the timers'), followed as a batch's steps are."""
        with self._following:
            self.follower.follow(record, events)
            if self.metrics is not None:
                self.metrics.stepped()
            if self.dashboard is not None:
                self.dashboard.stepped()

    def started(self, result: Any, headers: Mapping[str, str]) -> Any:
        """A StartExecution's result, passed through; its execution's span adopts the request's trace context."""
        if self.tracing is not None and isinstance(result, dict) and isinstance(result.get("executionArn"), str):
            self.tracing.adopt(result["executionArn"], headers)
        elif self.tracing is not None and isinstance(result, str):
            self.tracing.adopt(result, headers)
        return result

    def close(self) -> None:
        if self.tracing is not None:
            self.tracing.close()
        if self.audit is not None:
            self.audit.close()
