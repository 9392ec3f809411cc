"""OpenTelemetry spans per execution, state and task, exported over OTLP when configured.

Imported only when ``[tracing] otlp_endpoint`` is set (or a test gives its own span processor):
without it, no span is made and nothing of OpenTelemetry is loaded. Spans are made from committed
history events with the events' own timestamps: an execution span from ExecutionStarted to its end,
a span per state visit (child of the execution, or of the Parallel/Map state whose branch it is in),
and a span per task (child of its state). A StartExecution request that carries a W3C
``traceparent`` makes the execution span its child (:meth:`Tracing.adopt`); a task started while its
span is open gets that span's ``traceparent`` (:meth:`Tracing.headers`), which HTTP tasks send as a
header and Python functions find in ``context.trace_context``.

Spans live in memory until their end: an execution the server was restarted in the middle of gets
no spans for what it did before (its later states still get theirs, parented to nothing).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from stepforge.observe.follow import Listener, StateVisit, TaskRun
from stepforge.store.records import ExecutionRecord

#: Incoming trace contexts kept for executions not started yet (a bound, not a wait).
MAX_ADOPTED = 10_000
_PROPAGATOR = TraceContextTextMapPropagator()


def _ns(seconds: float) -> int:
    return int(seconds * 1_000_000_000)


@dataclass(slots=True)
class _Trace:
    execution: Span
    states: dict[int, Span] = field(default_factory=dict)
    tasks: dict[int, Span] = field(default_factory=dict)
    open_tasks: dict[str, Span] = field(default_factory=dict)  # state name -> its latest open task


class Tracing(Listener):
    """Makes spans from what a :class:`~stepforge.observe.follow.Follower` reads (a follow.Listener)."""

    def __init__(self, processor: SpanProcessor, *, service_name: str = "stepforge", node: str = "") -> None:
        self.provider = TracerProvider(resource=Resource.create({"service.name": service_name,
                                                                 "service.instance.id": node}))
        self.provider.add_span_processor(processor)
        self.tracer = self.provider.get_tracer("stepforge")
        self._traces: dict[str, _Trace] = {}
        self._adopted: OrderedDict[str, Context] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def otlp(cls, endpoint: str, *, service_name: str = "stepforge", node: str = "") -> Tracing:
        """Tracing exported in batches to the OTLP/HTTP collector at ``endpoint`` (``.../v1/traces``)."""
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return cls(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)), service_name=service_name, node=node)

    def close(self) -> None:
        """Export what is finished and stop."""
        self.provider.shutdown()

    # -- trace context in and out ----------------------------------------------------------------

    def adopt(self, execution_arn: str, headers: Mapping[str, str]) -> None:
        """The execution was started by a request with these headers: parent its span on their ``traceparent``."""
        if "traceparent" not in headers:
            return
        context = _PROPAGATOR.extract(dict(headers))
        with self._lock:
            self._adopted[execution_arn] = context
            if len(self._adopted) > MAX_ADOPTED:
                self._adopted.popitem(last=False)

    def headers(self, execution_arn: str, state_name: str) -> dict[str, str]:
        """The W3C trace headers of the open task of ``state_name`` (empty when there is none)."""
        with self._lock:
            found = self._traces.get(execution_arn)
            span = found.open_tasks.get(state_name) if found is not None else None
        carrier: dict[str, str] = {}
        if span is not None:
            _PROPAGATOR.inject(carrier, trace.set_span_in_context(span))
        return carrier

    # -- spans (a follow.Listener) -------------------------------------------------------------

    def execution_started(self, record: ExecutionRecord, at: float) -> None:
        with self._lock:
            parent = self._adopted.pop(record.arn, None)
        span = self.tracer.start_span(record.state_machine_name or "execution", context=parent,
                                      start_time=_ns(at), attributes={
                                          "stepforge.execution_arn": record.arn,
                                          "stepforge.state_machine_arn": record.state_machine_arn})
        with self._lock:
            self._traces[record.arn] = _Trace(span)

    def execution_ended(self, record: ExecutionRecord, status: str, at: float) -> None:
        with self._lock:
            found = self._traces.pop(record.arn, None)
        if found is None:
            return
        for span in (*found.tasks.values(), *found.states.values()):
            span.end(_ns(at))
        found.execution.set_attribute("stepforge.status", status)
        if status != "SUCCEEDED":
            found.execution.set_status(Status(StatusCode.ERROR, f"{status}: {record.error or ''}".rstrip(": ")))
        found.execution.end(_ns(at))


    def state_entered(self, record: ExecutionRecord, visit: StateVisit) -> None:
        found = self._traces.get(record.arn)
        if found is None:
            return
        parent = found.states.get(visit.parent.key) if visit.parent is not None else None
        context = trace.set_span_in_context(parent or found.execution)
        found.states[visit.key] = self.tracer.start_span(visit.name, context=context, start_time=_ns(visit.entered),
                                                         attributes={"stepforge.state_type": visit.type})

    def state_exited(self, record: ExecutionRecord, visit: StateVisit, at: float) -> None:
        found = self._traces.get(record.arn)
        span = found.states.pop(visit.key, None) if found is not None else None
        if span is not None:
            span.end(_ns(at))

    def task_scheduled(self, record: ExecutionRecord, task: TaskRun) -> None:
        found = self._traces.get(record.arn)
        if found is None:
            return
        parent = found.states.get(task.state.key) if task.state is not None else None
        span = self.tracer.start_span(f"{task.kind} {task.resource}", kind=SpanKind.CLIENT,
                                      context=trace.set_span_in_context(parent or found.execution),
                                      start_time=_ns(task.scheduled),
                                      attributes={"stepforge.resource": task.resource, "stepforge.task_kind": task.kind})
        with self._lock:
            found.tasks[task.key] = span
            if task.state is not None:
                found.open_tasks[task.state.name] = span

    def task_started(self, record: ExecutionRecord, task: TaskRun, at: float) -> None:
        found = self._traces.get(record.arn)
        span = found.tasks.get(task.key) if found is not None else None
        if span is not None:
            span.add_event("started", timestamp=_ns(at))

    def task_ended(self, record: ExecutionRecord, task: TaskRun, outcome: str, at: float) -> None:
        found = self._traces.get(record.arn)
        if found is None:
            return
        with self._lock:
            span = found.tasks.pop(task.key, None)
            if task.state is not None and found.open_tasks.get(task.state.name) is span:
                found.open_tasks.pop(task.state.name, None)
        if span is None:
            return
        span.set_attribute("stepforge.outcome", outcome)
        if outcome != "Succeeded":
            span.set_status(Status(StatusCode.ERROR, outcome))
        span.end(_ns(at))

