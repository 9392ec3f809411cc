"""Prometheus metrics with AWS's Step Functions metric names and dimensions, plus the engine's own.

AWS publishes to CloudWatch ``ExecutionsStarted``, ``ExecutionTime``, ``ActivitiesScheduled``... with
the dimensions ``StateMachineArn``, ``ActivityArn``, ``LambdaFunctionArn`` and
``ServiceIntegrationResourceArn``. Here each is a Prometheus metric named ``stepforge_<AWS name>``
(counters end in ``_total``, as Prometheus wants), labelled with the same dimension names, the
``StateMachineArn`` of the execution, and ``node`` (which server counted it). Times are in
milliseconds, as AWS's are. Everything counts from committed batches only (see
:mod:`stepforge.engine.observer`); counters start at zero when the server starts, as Prometheus expects.
The per-execution figures (Executions*, ExecutionTime) are staged a batch at a time and merged once
per batch (:mod:`stepforge.observe.tally`): a scrape sees whole batches.

The engine's own figures are ``stepforge_engine_*`` (batches, batch size, ready work, timer lag,
batch and commit time, open executions) and ``stepforge_api_long_polls``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from stepforge.engine.observer import BatchDone
from stepforge.observe.engine_figures import EngineFigures
from stepforge.observe.follow import Listener, TaskRun
from stepforge.observe.tally import Tally
from stepforge.store.records import ExecutionRecord

NAMESPACE = "stepforge"
MACHINE = "StateMachineArn"
#: The CloudWatch dimension naming a task's resource, per kind of task.
DIMENSIONS = {"Activity": "ActivityArn", "LambdaFunction": "LambdaFunctionArn",
              "ServiceIntegration": "ServiceIntegrationResourceArn"}
#: The plural AWS's count metrics use, per kind (ActivitiesStarted, LambdaFunctionsStarted, ...).
PLURALS = {"Activity": "Activities", "LambdaFunction": "LambdaFunctions", "ServiceIntegration": "ServiceIntegrations"}
TASK_PHASES = ("Scheduled", "Started", "Succeeded", "Failed", "TimedOut")
ENDED = {"SUCCEEDED": "Succeeded", "FAILED": "Failed", "ABORTED": "Aborted", "TIMED_OUT": "TimedOut"}
MILLISECOND_BUCKETS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000,
                       900_000, 3_600_000, float("inf"))
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics(Listener):
    """The deployment's metrics, in a registry of their own (so several servers in one process, as in
    tests, never share counters). A :class:`~stepforge.observe.follow.Listener` for executions,
    tasks and Map Runs; :meth:`batch` takes the engine's figures."""

    def __init__(self, node: str, open_executions: Callable[[], int] | None = None) -> None:
        self.node = node
        self.registry = CollectorRegistry()
        self.long_polls = 0
        r, labels = self.registry, (MACHINE, "node")
        self._executions = Tally(NAMESPACE, node, MILLISECOND_BUCKETS)
        r.register(self._executions)
        self.throttled = Counter("ExecutionThrottled", "StartExecution calls refused by the API's throttle",
                                 labels, namespace=NAMESPACE, registry=r)
        self._children: dict[tuple[object, ...], Any] = {}
        self._tasks: dict[str, dict[str, Counter]] = {}
        self._task_times: dict[str, dict[str, Histogram]] = {}
        for kind, dimension in DIMENSIONS.items():
            task_labels = (MACHINE, dimension, "node")
            phases = (*TASK_PHASES, "HeartbeatTimedOut") if kind == "Activity" else TASK_PHASES
            self._tasks[kind] = {phase: Counter(f"{PLURALS[kind]}{phase}", f"{PLURALS[kind]} {phase.lower()}",
                                                task_labels, namespace=NAMESPACE, registry=r) for phase in phases}
            self._task_times[kind] = {
                what: Histogram(f"{kind}{what}", f"{kind} {what} in milliseconds", task_labels, namespace=NAMESPACE,
                                registry=r, buckets=MILLISECOND_BUCKETS)
                for what in ("ScheduleTime", "RunTime", "Time")}
        self._map_runs = {phase: Counter(f"MapRuns{phase}", f"Map Runs {phase.lower()}", labels,
                                         namespace=NAMESPACE, registry=r)
                          for phase in ("Started", "Succeeded", "Failed", "Aborted")}
        self._open_map_runs = Gauge("ApproximateOpenMapRunCount", "Map Runs started and not ended (this node)",
                                    ("node",), namespace=NAMESPACE, registry=r)
        self._engine(open_executions)

    def _engine(self, open_executions: Callable[[], int] | None) -> None:
        self._engine_figures = EngineFigures(NAMESPACE, self.node)
        self.registry.register(self._engine_figures)
        self.registry.register(_Live(self, open_executions))

    # -- the engine's figures ------------------------------------------------------------------

    def batch(self, done: BatchDone) -> None:
        """Count one committed batch, and make the executions it counted visible."""
        self._executions.commit()
        self._engine_figures.batch(done)

    def stepped(self) -> None:
        """Make what one step of an EXPRESS execution counted visible (it has no batch)."""
        self._executions.commit()

    def _child(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(*labels, node)``, made once (``labels()`` costs a lock and a lookup a call)."""
        key = (metric, *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels, self.node)
        return found

    # -- what executions did (a follow.Listener) ---------------------------------------------

    def execution_started(self, record: ExecutionRecord, at: float) -> None:
        self._executions.add(record.state_machine_arn, "ExecutionsStarted")

    def execution_ended(self, record: ExecutionRecord, status: str, at: float) -> None:
        phase, machine = ENDED[status], record.state_machine_arn
        self._executions.add(machine, f"Executions{phase}")
        if record.redrive_count:
            self._executions.add(machine, f"RedrivenExecutions{phase}")
        self._executions.observe(machine, max(0.0, at - record.started) * 1000)

    def execution_redriven(self, record: ExecutionRecord, at: float) -> None:
        self._executions.add(record.state_machine_arn, "ExecutionsRedriven")

    def execution_throttled(self, machine_arn: str) -> None:
        """A StartExecution the API's throttle refused (counted at the edge, not by the engine)."""
        self._child(self.throttled, machine_arn).inc()



    def task_scheduled(self, record: ExecutionRecord, task: TaskRun) -> None:
        self._child(self._tasks[task.kind]["Scheduled"], record.state_machine_arn, task.resource).inc()

    def task_started(self, record: ExecutionRecord, task: TaskRun, at: float) -> None:
        labels = (record.state_machine_arn, task.resource)
        self._child(self._tasks[task.kind]["Started"], *labels).inc()
        self._child(self._task_times[task.kind]["ScheduleTime"], *labels).observe(max(0.0, at - task.scheduled) * 1000)

    def task_ended(self, record: ExecutionRecord, task: TaskRun, outcome: str, at: float) -> None:
        labels = (record.state_machine_arn, task.resource)
        counters = self._tasks[task.kind]
        self._child(counters.get(outcome, counters["TimedOut"]), *labels).inc()
        times = self._task_times[task.kind]
        self._child(times["Time"], *labels).observe(max(0.0, at - task.scheduled) * 1000)
        if task.started is not None:
            self._child(times["RunTime"], *labels).observe(max(0.0, at - task.started) * 1000)

    def map_run(self, record: ExecutionRecord, phase: str, at: float) -> None:
        self._child(self._map_runs[phase], record.state_machine_arn).inc()
        gauge = self._child(self._open_map_runs)
        gauge.inc() if phase == "Started" else gauge.dec()

    # -- exposition ------------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """Every metric in Prometheus' text format (``CONTENT_TYPE``)."""
        return generate_latest(self.registry)


class _Live(Collector):
    """Figures read when scraped: open executions (from the store), long polls waiting now."""

    def __init__(self, metrics: Metrics, open_executions: Callable[[], int] | None) -> None:
        self.metrics, self.open_executions = metrics, open_executions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        node = self.metrics.node
        polls = GaugeMetricFamily(f"{NAMESPACE}_api_long_polls", "GetActivityTask long polls waiting now",
                                  labels=["node"])
        polls.add_metric([node], self.metrics.long_polls)
        yield polls
        if self.open_executions is not None:
            running = GaugeMetricFamily(f"{NAMESPACE}_engine_open_executions", "Executions RUNNING (whole store)",
                                        labels=["node"])
            running.add_metric([node], self.open_executions())
            yield running
