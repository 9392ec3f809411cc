"""Child executions: ``arn:aws:states:::states:startExecution`` (plain, ``.sync``, ``.sync:2``, callback).

A child is a normal execution of another state machine in the same store. For ``.sync`` the parent's
wait is linked to the child by a row of the child watch table, keyed by the child's ARN; when the
child ends, the engine calls :func:`on_finished`, which wakes the parent with the child's
DescribeExecution-shaped result. The parent's wait closing closes the watch.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from stepforge.asl.records import RUNNING, SUCCEEDED, Stop, TaskFailed, TaskSubmitted, TaskSucceeded
from stepforge.store.base import Store, UnitOfWork
from stepforge.store.records import ChildWatchRecord, ExecutionRecord
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.resources import SYNC2, Target

_MAX_INPUT = 256 * 1024


class StartRefused(Exception):
    """The service refused to start a child: AWS's error code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class StartExecution(Protocol):
    """The port a child starts through: StartExecution as the service layer means it.

    Given a state machine, version or alias ARN, the input as JSON text and the execution's name,
    it starts the execution (or finds the one this task started before) and returns its ARN, or
    raises :class:`StartRefused`. The service layer implements it (``service.ports``).
    """

    def __call__(self, machine_arn: str, input_text: str, name: str) -> str: ...


def child_name(value: Any) -> str:
    """The child's execution name: the ``Name`` parameter, or a fresh one (fixed at dispatch)."""
    if isinstance(value, dict) and isinstance(value.get("Name"), str):
        return str(value["Name"])
    return str(uuid.uuid4())


#: Finds an ended child that has no row (an EXPRESS execution, which runs in memory).
EndedElsewhere = Callable[[str], ExecutionRecord | None]


def start(store: Store, start_execution: StartExecution, target: Target, value: Any, name: str, parent: str,
          wait_id: int, now: float, ended: EndedElsewhere = lambda arn: None) -> Outcome | None:
    """Start the child; returns the task's outcome, or None when it completes later (``.sync``).

    Runs after the commit that dispatched the task: the child starts in a transaction of its own
    (through ``start_execution``), the parent's watch on it in another. An EXPRESS child keeps no
    row: ``ended`` finds it if it ended before its watch existed (it reports its end through
    :func:`on_finished` itself, which finds the watch otherwise).
    """
    if not isinstance(value, dict) or not isinstance(value.get("StateMachineArn"), str):
        return Outcome(error="States.Runtime", cause="The field 'StateMachineArn' is required by states:startExecution.")
    try:
        arn = start_execution(value["StateMachineArn"], _input(value.get("Input")), name)
    except ValueError as exc:
        return Outcome(error="StepFunctions.InvalidExecutionInputException", cause=f"Invalid input: {exc}")
    except StartRefused as exc:
        return Outcome(error=f"StepFunctions.{exc.code}Exception".replace("ExceptionException", "Exception"),
                       cause=f"{exc.message} (Service: AWSStepFunctions; Status Code: {exc.status}; "
                             f"Error Code: {exc.code}; Request ID: {uuid.uuid4()}; Proxy: null)")
    if target.pattern in ("sync", SYNC2):
        with store.transaction() as tx:
            if tx.get_child_watch(arn) is None:
                tx.push_signal(parent, TaskSubmitted(wait_id, {"ExecutionArn": arn, "StartDate": int(now * 1000)}))
                tx.add_child_watch(ChildWatchRecord(arn, parent, wait_id, target.pattern, now))
            record = tx.get_execution(arn, with_run=False) or ended(arn)
            if record is not None and record.status != RUNNING:
                on_finished(tx, record)
        return None
    if target.waits_for_token:
        return Outcome()
    return Outcome(output={"ExecutionArn": arn, "StartDate": int(now * 1000)})


def _input(given: Any) -> str:
    text = "{}" if given is None else given if isinstance(given, str) else json.dumps(given, separators=(",", ":"))
    json.loads(text)
    if len(text.encode()) > _MAX_INPUT:
        raise ValueError("the child's input is larger than 256 KiB")
    return text


def on_finished(tx: UnitOfWork, child: ExecutionRecord) -> None:
    """Wake the parent waiting on ``child`` with ``.sync``, if any."""
    watch = tx.get_child_watch(child.arn)
    if watch is None or watch.closed:
        return
    tx.close_tasks(watch.parent_arn, [watch.wait_id])
    described = describe(child, watch.pattern == SYNC2)
    if child.status == SUCCEEDED:
        signal: TaskSucceeded | TaskFailed = TaskSucceeded(watch.wait_id, described)
    else:
        signal = TaskFailed(watch.wait_id, "States.TaskFailed", json.dumps(described))
    tx.push_signal(watch.parent_arn, signal)


def stop_watched(tx: UnitOfWork, parent_arn: str, wait_ids: list[int] | None) -> None:
    """The parent's ``.sync`` wait ended without the child (stopped, timed out, its branch failed):
    stop the child, as Step Functions does (before the wait closes)."""
    for watch in tx.open_child_watches(parent_arn, wait_ids):
        child = tx.get_execution(watch.child_arn, with_run=False)
        if child is not None and child.status == RUNNING:
            tx.push_signal(child.arn, Stop("States.Aborted", f"The parent execution {parent_arn} stopped "
                                                                "waiting for this execution."))


def describe(child: ExecutionRecord, parsed: bool) -> dict[str, Any]:
    """The child as DescribeExecution shows it (``.sync:2``: Input and Output as JSON, not text)."""
    shown: dict[str, Any] = {
        "ExecutionArn": child.arn, "StateMachineArn": child.state_machine_arn, "Name": child.name,
        "Status": child.status, "StartDate": int(child.started * 1000),
        "Input": json.loads(child.input) if parsed else child.input, "InputDetails": {"Included": True},
    }
    if child.stopped is not None:
        shown["StopDate"] = int(child.stopped * 1000)
    if child.output is not None:
        shown["Output"] = json.loads(child.output) if parsed else child.output
        shown["OutputDetails"] = {"Included": True}
    if child.error is not None:
        shown["Error"] = child.error
    if child.cause is not None:
        shown["Cause"] = child.cause
    return shown
