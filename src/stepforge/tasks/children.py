"""Child executions: ``arn:aws:states:::states:startExecution`` (plain, ``.sync``, ``.sync:2``, callback).

A child is a normal execution of another state machine in the same store. For ``.sync`` the parent's
wait is linked to the child by a *watch* row in the activity task table, keyed by the child's ARN
(``watch_token``); when the child ends, the engine calls :func:`on_finished`, which wakes the parent
with the child's DescribeExecution-shaped result. The parent's wait closing closes the watch row.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from stepforge.asl.records import RUNNING, SUCCEEDED, Stop, TaskFailed, TaskSubmitted, TaskSucceeded
from stepforge.service import arns
from stepforge.service.errors import ApiError, ExecutionAlreadyExists, StateMachineDoesNotExist
from stepforge.store.base import Store
from stepforge.store.records import ActivityTaskRecord, ExecutionRecord
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.resources import SYNC2, Target

WATCH = "stepforge:child-watch"
_MAX_INPUT = 256 * 1024


def watch_token(child_arn: str) -> str:
    return f"stepforge-child:{child_arn}"


def child_name(value: Any) -> str:
    """The child's execution name: the ``Name`` parameter, or a fresh one (fixed at dispatch)."""
    if isinstance(value, dict) and isinstance(value.get("Name"), str):
        return str(value["Name"])
    return str(uuid.uuid4())


def start(store: Store, target: Target, value: Any, name: str, parent: str, wait_id: int,
          now: float) -> Outcome | None:
    """Start the child; returns the task's outcome, or None when it completes later (``.sync``)."""
    if not isinstance(value, dict) or not isinstance(value.get("StateMachineArn"), str):
        return Outcome(error="States.Runtime", cause="The field 'StateMachineArn' is required by states:startExecution.")
    try:
        arn = _insert(store, value["StateMachineArn"], _input(value.get("Input")), name, now)
    except ValueError as exc:
        return Outcome(error="StepFunctions.InvalidExecutionInputException", cause=f"Invalid input: {exc}")
    except ApiError as exc:
        return Outcome(error=f"StepFunctions.{exc.code}Exception".replace("ExceptionException", "Exception"),
                       cause=f"{exc.message} (Service: AWSStepFunctions; Status Code: {exc.status}; "
                             f"Error Code: {exc.code}; Request ID: {uuid.uuid4()}; Proxy: null)")
    if target.pattern in ("sync", SYNC2):
        with store.transaction():
            if store.get_task(watch_token(arn)) is None:
                store.push_signal(parent, TaskSubmitted(wait_id, {"ExecutionArn": arn, "StartDate": int(now * 1000)}))
                store.add_task(ActivityTaskRecord(watch_token(arn), WATCH, parent, wait_id,
                                                  json.dumps({"pattern": target.pattern}), now))
            record = store.get_execution(arn, with_run=False)
            if record is not None and record.status != RUNNING:
                on_finished(store, record)
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


def _insert(store: Store, machine_arn: str, text: str, name: str, now: float) -> str:
    parsed = arns.parse(machine_arn, "stateMachine")
    machine = store.get_state_machine(machine_arn)
    if machine is None:
        raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{machine_arn}'")
    arn = arns.build(parsed.region, parsed.account, "execution", machine.name, arns.check_name(name))
    with store.transaction():
        existing = store.get_execution(arn, with_run=False)
        if existing is not None:
            if existing.input == text:
                return arn
            raise ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'")
        store.insert_execution(ExecutionRecord(
            arn=arn, name=name, state_machine_arn=machine.arn, state_machine_name=machine.name,
            definition=machine.definition, role_arn=machine.role_arn, input=text, started=now,
        ))
        store.push_signal(arn, None)
    return arn


def on_finished(store: Store, child: ExecutionRecord) -> None:
    """Wake the parent waiting on ``child`` with ``.sync``, if any (called inside a transaction)."""
    watch = store.get_task(watch_token(child.arn))
    if watch is None or watch.closed:
        return
    store.remove_tasks(watch.execution_arn, [watch.wait_id])
    described = describe(child, json.loads(watch.input).get("pattern") == SYNC2)
    if child.status == SUCCEEDED:
        signal: TaskSucceeded | TaskFailed = TaskSucceeded(watch.wait_id, described)
    else:
        signal = TaskFailed(watch.wait_id, "States.TaskFailed", json.dumps(described))
    store.push_signal(watch.execution_arn, signal)


def stop_watched(store: Store, parent_arn: str, wait_ids: list[int] | None) -> None:
    """The parent's ``.sync`` wait ended without the child (stopped, timed out, its branch failed):
    stop the child, as Step Functions does (called inside a transaction, before the wait closes)."""
    for watch in store.open_tasks(parent_arn, wait_ids):
        if watch.activity_arn != WATCH:
            continue
        child = store.get_execution(watch.token.removeprefix("stepforge-child:"), with_run=False)
        if child is not None and child.status == RUNNING:
            store.push_signal(child.arn, Stop("States.Aborted", f"The parent execution {parent_arn} stopped "
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
