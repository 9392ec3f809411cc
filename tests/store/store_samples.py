"""Records the store contract tests build on."""

from __future__ import annotations

from stepforge.store.base import Store
from stepforge.store.records import ExecutionRecord, MapRunRecord, StateMachineRecord
from stepforge.testing import write

REGION = "arn:aws:states:us-east-1:000000000000"
MACHINE = f"{REGION}:stateMachine:m"
ACTIVITY = f"{REGION}:activity:a"


def execution(name: str, started: float = 1.0, status: str = "RUNNING", machine: str = MACHINE) -> ExecutionRecord:
    return ExecutionRecord(arn=f"{REGION}:execution:m:{name}", name=name, state_machine_arn=machine,
                           state_machine_name="m", definition='{"StartAt":"P"}', role_arn="r", input="{}",
                           started=started, status=status)


def inserted(store: Store, name: str, started: float = 1.0, status: str = "RUNNING") -> str:
    """The ARN of a new execution (task rows refer to their execution)."""
    record = execution(name, started, status)
    write(store, lambda tx: tx.insert_execution(record))
    return record.arn


def machine(name: str, created: float, status: str = "ACTIVE") -> StateMachineRecord:
    return StateMachineRecord(arn=f"{REGION}:stateMachine:{name}", name=name, definition="{}", role_arn="r",
                              type="STANDARD", created=created, revision_id="rev", status=status)


def map_run(label: str, execution_arn: str, started: float = 1.0) -> MapRunRecord:
    counts = {"pending": 3, "running": 0, "succeeded": 0, "failed": 0, "timedOut": 0, "aborted": 0, "total": 3,
              "resultsWritten": 0}
    return MapRunRecord(arn=f"{REGION}:mapRun:m/{label}:1", execution_arn=execution_arn, state_machine_arn=MACHINE,
                        started=started, max_concurrency=5, item_counts=dict(counts), execution_counts=dict(counts))
