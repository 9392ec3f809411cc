"""Execution logs: a state machine's ``loggingConfiguration`` turned into JSON lines, as CloudWatch Logs gets them.

AWS sends each history event of an execution to the machine's log group as one JSON object::

    {"id": "1", "type": "ExecutionStarted", "details": {...}, "previous_event_id": "0",
     "event_timestamp": "1718000000123", "execution_arn": "arn:aws:states:...", "redrive_count": "0"}

(``redrive_count`` only for STANDARD executions, which can be redriven). The level picks the events:
``ALL`` every one, ``ERROR`` and ``FATAL`` the types of :data:`ERROR_EVENTS` and :data:`FATAL_EVENTS`
(the table of AWS's "Log levels" page), ``OFF`` none. Without ``includeExecutionData`` the details
keep no input, output or parameters.

Where the lines go (:class:`LogSettings`, the ``[logs]`` section of ``serve --config``): the log
group of the configuration's destination ARN (``arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*``)
becomes the file ``<dir>/<NAME>.log`` (slashes in NAME make subdirectories), or standard output.
Logging is best effort, as on AWS: a line that cannot be written is dropped with a warning and never
fails an execution.
"""

from __future__ import annotations

import json
import logging
import queue
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from stepforge.asl.records import Event
from stepforge.engine.machine_cache import MachineCache
from stepforge.store.records import ExecutionRecord, StateMachineRecord

log = logging.getLogger(__name__)

LEVELS = ("ALL", "ERROR", "FATAL", "OFF")
FATAL_EVENTS = frozenset({"ExecutionAborted", "ExecutionFailed", "ExecutionTimedOut"})
ERROR_EVENTS = FATAL_EVENTS | frozenset({
    "FailStateEntered", "LambdaFunctionFailed", "LambdaFunctionScheduleFailed", "LambdaFunctionStartFailed",
    "LambdaFunctionTimedOut", "MapIterationAborted", "MapIterationFailed", "MapStateAborted", "MapStateFailed",
    "ParallelStateAborted", "ParallelStateFailed", "TaskFailed", "TaskStartFailed", "TaskStateAborted",
    "TaskSubmitFailed", "TaskTimedOut", "WaitStateAborted",
})
#: Detail keys that carry execution data (dropped without ``includeExecutionData``).
DATA_KEYS = frozenset({"input", "output", "parameters"})
#: Written to standard output instead of a file (a ``[logs.groups]`` value, or ``output = "stdout"``).
STDOUT = "-"
#: How many ended executions per state machine :meth:`ExecutionLogs.recent` remembers.
RECENT = 100
#: Lines waiting to be written at most; past that new lines are dropped (best effort, as on AWS).
QUEUE = 100_000


def wanted(level: str, event_type: str) -> bool:
    """Does a machine logging at ``level`` log events of ``event_type``?"""
    if level == "ALL":
        return True
    if level == "ERROR":
        return event_type in ERROR_EVENTS
    if level == "FATAL":
        return event_type in FATAL_EVENTS
    return False


def log_group(config: Mapping[str, Any]) -> str | None:
    """The log group name of a loggingConfiguration's (one) destination, or None."""
    for destination in config.get("destinations") or ():
        arn = ((destination or {}).get("cloudWatchLogsLogGroup") or {}).get("logGroupArn")
        if isinstance(arn, str) and ":log-group:" in arn:
            name = arn.split(":log-group:", 1)[1]
            return name.removesuffix(":*")
    return None


def line(event: Event, execution_arn: str, *, include_data: bool, redrive_count: int | None) -> dict[str, Any]:
    """One event as AWS writes it to CloudWatch Logs."""
    details = dict(event.details or {})
    if not include_data:
        details = {k: v for k, v in details.items() if k not in DATA_KEYS}
    shaped: dict[str, Any] = {
        "id": str(event.id), "type": event.type, "details": details, "previous_event_id": str(event.previous_event_id),
        "event_timestamp": str(round(event.timestamp * 1000)), "execution_arn": execution_arn,
    }
    if redrive_count is not None:
        shaped["redrive_count"] = str(redrive_count)
    return shaped


@dataclass(frozen=True, slots=True)
class LogSettings:
    """Where log groups are written: ``dir`` (one file per group), ``stdout`` for all of them, or per
    group in ``groups`` (group name -> a path, or ``"-"`` for standard output)."""

    dir: Path | None = None
    stdout: bool = False
    groups: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Target:
    """What one execution logs and where: its machine's level, ``includeExecutionData`` and log group."""

    level: str
    include_data: bool
    group: str
    machine_arn: str

    @staticmethod
    def of(config: Mapping[str, Any] | None, machine_arn: str) -> Target | None:
        """The target of a loggingConfiguration; None when it logs nothing."""
        if not config or config.get("level", "OFF") not in LEVELS[:3]:
            return None
        group = log_group(config)
        if group is None:
            return None
        return Target(str(config["level"]), bool(config.get("includeExecutionData")), group, machine_arn)


@dataclass(frozen=True, slots=True)
class Ended:
    """What the log stream showed of one ended execution (the console lists these for EXPRESS machines)."""

    execution_arn: str
    name: str
    status: str
    started: float
    stopped: float


class ExecutionLogs:
    """Writes execution events to their log groups; thread-safe, one open file per group.

    Lines are written by a thread of their own, as AWS publishes them without slowing executions:
    :meth:`write` only queues them (dropping, with a warning, past :data:`QUEUE` waiting lines),
    :meth:`flush` waits until the queued ones are written, :meth:`close` writes them and closes.
    """

    def __init__(self, settings: LogSettings | None = None, *, stdout: Callable[[], IO[str]] = lambda: sys.stdout) -> None:
        self.settings = settings or LogSettings()
        self._stdout = stdout
        self._files: dict[str, IO[str] | None] = {}
        self._lock = threading.Lock()
        self._recent: dict[str, deque[Ended]] = {}
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue(QUEUE)
        self._writer: threading.Thread | None = None
        self._dropped = 0

    def write(self, target: Target | None, execution_arn: str, events: Iterable[Event], *,
              redrive_count: int | None = None) -> None:
        """Log the ``events`` ``target``'s level selects (nothing for a None target)."""
        if target is None:
            return
        lines = [json.dumps(line(e, execution_arn, include_data=target.include_data, redrive_count=redrive_count),
                            ensure_ascii=False, separators=(",", ":"))
                 for e in events if wanted(target.level, e.type)]
        if lines:
            self._append(target.group, "".join(f"{text}\n" for text in lines))

    def ended(self, machine_arn: str, record: Ended) -> None:
        """Remember an ended EXPRESS execution for :meth:`recent` (the newest :data:`RECENT` per machine)."""
        with self._lock:
            found = self._recent.get(machine_arn)
            if found is None:
                found = self._recent[machine_arn] = deque(maxlen=RECENT)
            found.appendleft(record)

    def recent(self, machine_arn: str) -> list[Ended]:
        """The EXPRESS executions of a machine that ended lately, newest first."""
        with self._lock:
            return list(self._recent.get(machine_arn, ()))

    def path(self, group: str) -> Path | str | None:
        """Where a log group is written: a file, :data:`STDOUT`, or None (nowhere: no ``dir`` configured)."""
        mapped = self.settings.groups.get(group)
        if mapped is not None:
            return STDOUT if mapped == STDOUT else Path(mapped)
        if self.settings.stdout:
            return STDOUT
        if self.settings.dir is None:
            return None
        parts = [p for p in group.split("/") if p not in ("", ".", "..")] or ["default"]
        return self.settings.dir.joinpath(*parts[:-1], f"{parts[-1]}.log")

    def flush(self) -> None:
        """Wait until every line queued so far is written."""
        if self._writer is not None:
            self._queue.join()

    def close(self) -> None:
        """Write what is queued, stop the writer, close the files."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            self._queue.put(None)
            writer.join(timeout=10)
        with self._lock:
            for stream in self._files.values():
                if stream is not None:
                    stream.close()
            self._files.clear()

    def _append(self, group: str, text: str) -> None:
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_queued, name="stepforge-execution-logs",
                                                daemon=True)
                self._writer.start()
        try:
            self._queue.put_nowait((group, text))
        except queue.Full:
            self._dropped += 1
            if self._dropped % 10_000 == 1:
                log.warning("execution logs: %d lines dropped (the writer is behind)", self._dropped)

    def _write_queued(self) -> None:
        """The writer thread: whatever is queued, a flush per touched stream, until :meth:`close`."""
        while True:
            items = [self._queue.get()]
            while len(items) < 1000:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write([item for item in items if item is not None])
            finally:
                for _ in items:
                    self._queue.task_done()
            if None in items:
                return

    def _write(self, items: list[tuple[str, str]]) -> None:
        touched: dict[int, IO[str]] = {}
        with self._lock:
            for group, text in items:
                try:
                    stream = self._open(group)
                    if stream is not None:
                        stream.write(text)
                        touched[id(stream)] = stream
                except OSError as exc:
                    log.warning("execution log for group %s not written: %s", group, exc)
            for stream in touched.values():
                try:
                    stream.flush()
                except OSError as exc:
                    log.warning("execution log not flushed: %s", exc)

    def _open(self, group: str) -> IO[str] | None:
        if group not in self._files:
            where = self.path(group)
            if isinstance(where, Path):
                where.parent.mkdir(parents=True, exist_ok=True)
                self._files[group] = where.open("a", encoding="utf-8")
            else:
                self._files[group] = None
        stream = self._files[group]
        if stream is None and self.path(group) == STDOUT:
            return self._stdout()
        return stream


class MachineReader(Protocol):
    def get_state_machine(self, arn: str) -> StateMachineRecord | None: ...


class BatchLog:
    """The lines of a STANDARD engine batch, written once the batch commits (dropped if it rolls back).

    Each execution's target is read from its machine once (the machine's logging configuration when
    the engine first steps it, through ``machines``) and kept while the execution runs here.
    """

    def __init__(self, logs: ExecutionLogs, machines: MachineCache, keep: int = 4096) -> None:
        self.logs = logs
        self.machines = machines
        self.keep = keep
        self._targets: dict[str, Target | None] = {}
        self._pending: list[tuple[Target, str, list[Event], int]] = []

    def add(self, tx: MachineReader, record: ExecutionRecord, events: list[Event], now: float) -> None:
        """Queue ``events`` of ``record`` (its machine's configuration read through ``tx`` if not known)."""
        if not events:
            return
        if record.arn in self._targets:
            target = self._targets[record.arn]
        else:
            machine = self.machines.get(record.state_machine_arn, now, tx.get_state_machine)
            target = Target.of(machine.logging_configuration if machine else None, record.state_machine_arn)
            if len(self._targets) >= self.keep:
                self._targets.pop(next(iter(self._targets)))
            self._targets[record.arn] = target
        if target is not None:
            self._pending.append((target, record.arn, events, record.redrive_count))
        if record.run.status != "RUNNING":
            self._targets.pop(record.arn, None)

    def flush(self) -> None:
        """After the commit: write what the batch queued."""
        pending, self._pending = self._pending, []
        for target, arn, events, redrives in pending:
            self.logs.write(target, arn, events, redrive_count=redrives)

    def discard(self) -> None:
        """The batch rolled back: its events never happened."""
        self._pending = []
