"""A getter never writes: Describe*/List*/Get* only read; a machine being deleted goes in a write."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepforge.service import aliases, executions, statemachines, versions
from stepforge.service.errors import StateMachineDeleting, StateMachineDoesNotExist
from stepforge.store.memory import MemoryStore
from stepforge.testing import ROLE, Harness, write

WRITES = ("put_", "delete_", "insert_", "update_", "append_", "add_", "remove_", "set_", "cancel_", "push_",
          "pop_", "poll_")
WAITING = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}


class RecordingStore(MemoryStore):
    """The memory store, recording every call of a method that writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []
        for name in dir(MemoryStore):
            if name.startswith(WRITES):
                setattr(self, name, self._recording(name, getattr(self, name)))

    def _recording(self, name: str, method: Any) -> Any:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            self.writes.append(name)
            return method(*args, **kwargs)
        return recorded


@pytest.fixture
def store() -> RecordingStore:
    return RecordingStore()


@pytest.fixture
def harness(store: RecordingStore) -> Harness:
    return Harness(store=store)


def reads(harness: Harness, arn: str) -> list[Any]:
    """Every read a console or a client makes about a machine (errors are answers too)."""
    answers: list[Any] = []
    for operation, params in ((statemachines.describe, {"stateMachineArn": arn}), (statemachines.list_, {}),
                              (versions.list_versions, {"stateMachineArn": arn}),
                              (aliases.list_, {"stateMachineArn": arn}),
                              (executions.list_, {"stateMachineArn": arn})):
        try:
            answers.append(harness.call(operation, **params))
        except (StateMachineDoesNotExist, StateMachineDeleting) as exc:
            answers.append(exc.code)
    return answers


def test_reading_a_machine_being_deleted_writes_nothing(harness: Harness, store: RecordingStore) -> None:
    arn = harness.create(WAITING)
    harness.call(executions.start, stateMachineArn=arn, name="running")
    harness.settle()
    harness.call(statemachines.delete, stateMachineArn=arn)
    store.writes.clear()
    answers = reads(harness, arn)
    assert store.writes == []
    assert answers[0]["status"] == "DELETING"
    with pytest.raises(StateMachineDeleting):
        harness.call(executions.start, stateMachineArn=arn)


def test_the_machine_goes_when_its_last_execution_ends(harness: Harness, store: RecordingStore) -> None:
    arn = harness.create(WAITING)
    version = harness.call(versions.publish_version, stateMachineArn=arn)["stateMachineVersionArn"]
    execution = harness.call(executions.start, stateMachineArn=arn, name="last")["executionArn"]
    harness.settle()
    harness.call(statemachines.delete, stateMachineArn=arn)
    assert store.get_state_machine(arn) is not None
    harness.run_until_done(execution)
    assert store.get_state_machine(arn) is None and store.get_version(version) is None
    ended = harness.result(execution)  # its history stays; the delete failed it
    assert (ended.status, ended.error) == ("FAILED", "States.Runtime")


def test_deleting_a_machine_nothing_runs_on_removes_it_with_its_versions_and_aliases(harness: Harness,
                                                                                     store: RecordingStore) -> None:
    arn = harness.create(WAITING)
    version = harness.call(versions.publish_version, stateMachineArn=arn)["stateMachineVersionArn"]
    alias = harness.call(aliases.create, name="live", routingConfiguration=[
        {"stateMachineVersionArn": version, "weight": 100}])["stateMachineAliasArn"]
    harness.call(statemachines.delete, stateMachineArn=arn)
    assert (store.get_state_machine(arn), store.get_version(version), store.get_alias(alias)) == (None, None, None)


def test_a_leftover_deleting_machine_reads_as_gone_and_stays_until_a_write(harness: Harness,
                                                                           store: RecordingStore) -> None:
    arn = harness.create(WAITING)
    record = store.get_state_machine(arn)
    assert record is not None
    record.status = "DELETING"
    write(store, lambda tx: tx.put_state_machine(record))  # as a server stopped between the mark and the purge left it
    store.writes.clear()
    assert reads(harness, arn)[0] == "StateMachineDoesNotExist"
    assert store.writes == [] and store.get_state_machine(arn) is not None
    harness.call(statemachines.delete, stateMachineArn=arn)
    assert store.get_state_machine(arn) is None


def test_a_leftover_deleting_machine_makes_way_for_a_new_one_of_its_name(harness: Harness,
                                                                        store: RecordingStore) -> None:
    arn = harness.create(WAITING)
    record = store.get_state_machine(arn)
    assert record is not None
    record.status = "DELETING"
    write(store, lambda tx: tx.put_state_machine(record))
    again = harness.call(statemachines.create, name=record.name, definition=json.dumps(WAITING), roleArn=ROLE)
    assert again["stateMachineArn"] == arn
    assert harness.call(statemachines.describe, stateMachineArn=arn)["status"] == "ACTIVE"


def test_describing_executions_and_history_writes_nothing(harness: Harness, store: RecordingStore) -> None:
    arn = harness.start(WAITING, {"x": 1})
    harness.settle()
    store.writes.clear()
    described = harness.call(executions.describe, executionArn=arn)
    harness.call(executions.history, executionArn=arn)
    harness.call(executions.describe_state_machine, executionArn=arn)
    assert store.writes == [] and json.loads(described["input"]) == {"x": 1}
