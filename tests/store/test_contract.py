"""The Store contract, run against every backend: what the engine and service rely on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stepforge.asl.records import Event, Frame, Run, Stop, TaskSucceeded, TimerFired, Wait
from stepforge.store.base import Store
from stepforge.store.memory import MemoryStore
from stepforge.store.records import (
    ActivityRecord,
    ActivityTaskRecord,
    AliasRecord,
    ExecutionRecord,
    MapRunRecord,
    StateMachineRecord,
    TimerRecord,
    VersionRecord,
)
from stepforge.store.sqlite import SqliteStore

MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:m"
ACTIVITY = "arn:aws:states:us-east-1:000000000000:activity:a"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path)
    yield backend
    backend.close()


def execution(name: str, started: float = 1.0, status: str = "RUNNING") -> ExecutionRecord:
    return ExecutionRecord(arn=f"arn:aws:states:us-east-1:000000000000:execution:m:{name}", name=name,
                           state_machine_arn=MACHINE, state_machine_name="m", definition='{"StartAt":"P"}',
                           role_arn="r", input="{}", started=started, status=status)


def test_state_machines_round_trip(store: Store) -> None:
    record = StateMachineRecord(arn=MACHINE, name="m", definition="{}", role_arn="r", type="STANDARD",
                                created=1.5, revision_id="rev", tags={"k": "v"})
    store.put_state_machine(record)
    assert store.get_state_machine(MACHINE) == record
    assert store.list_state_machines() == [record]
    store.delete_state_machine(MACHINE)
    assert store.get_state_machine(MACHINE) is None


def test_an_execution_keeps_its_run_across_updates(store: Store) -> None:
    record = execution("e1")
    store.insert_execution(record)
    record.run = Run(frames={0: Frame(id=0, address=(("M", 2),), state="W", input={"a": [1]},
                                      attempts={0: 1}, wait=Wait(3, "timer"))}, next_frame_id=1, next_wait_id=4)
    record.event_count = 2
    store.update_execution(record)
    loaded = store.get_execution(record.arn)
    assert loaded is not None
    assert loaded.run == record.run
    assert (loaded.event_count, loaded.definition) == (2, '{"StartAt":"P"}')


def test_executions_list_newest_first_and_filter_by_status(store: Store) -> None:
    for index, status in enumerate(["SUCCEEDED", "RUNNING", "FAILED"]):
        store.insert_execution(execution(f"e{index}", started=float(index), status=status))
    assert [r.name for r in store.list_executions(MACHINE)] == ["e2", "e1", "e0"]
    assert [r.name for r in store.list_executions(MACHINE, "RUNNING")] == ["e1"]
    assert store.count_open_executions() == 1


def test_events_append_and_read_in_slices(store: Store) -> None:
    record = execution("h")
    store.insert_execution(record)
    events = [Event(i, i - 1, "PassStateEntered", 1.0, "stateEnteredEventDetails", {"name": str(i)})
              for i in range(1, 6)]
    store.append_events(record.arn, events[:2])
    store.append_events(record.arn, events[2:])
    assert store.get_events(record.arn) == events
    assert [e.id for e in store.get_events(record.arn, 1, 2)] == [2, 3]
    assert [e.id for e in store.get_events(record.arn, 0, 2, reverse=True)] == [5, 4]


def test_signals_come_out_in_order_once(store: Store) -> None:
    signals = [None, TaskSucceeded(1, {"x": 1}), TimerFired(2, "wait"), Stop("E", "c")]
    for signal in signals:
        store.push_signal("x", signal)
    with store.transaction():
        assert store.pop_signals(3) == [("x", s) for s in signals[:3]]
    assert store.pop_signals(10) == [("x", signals[3])]
    assert store.pop_signals(10) == []


def test_popped_signals_return_when_the_transaction_fails(store: Store) -> None:
    if isinstance(store, MemoryStore):
        pytest.skip("the memory store does not roll back")
    store.push_signal("x", None)
    with pytest.raises(RuntimeError), store.transaction():
        store.pop_signals(10)
        raise RuntimeError("crash before commit")
    assert store.pop_signals(10) == [("x", None)]


def test_timers_fire_when_due_and_can_be_replaced_or_cancelled(store: Store) -> None:
    store.set_timer(TimerRecord(10.0, "x", 1, "wait"))
    store.set_timer(TimerRecord(5.0, "x", 2, "timeout"))
    store.set_timer(TimerRecord(7.0, "x", 2, "timeout"))  # replaces the 5.0 one
    store.set_timer(TimerRecord(6.0, "y", 1, "wait"))
    store.cancel_timers("y")
    assert store.next_due() == 7.0
    assert store.due_timers(6.9, 10) == []
    assert store.due_timers(10.0, 10) == [TimerRecord(7.0, "x", 2, "timeout"), TimerRecord(10.0, "x", 1, "wait")]
    assert store.next_due() is None


def test_activity_tasks_are_handed_out_once_in_order(store: Store) -> None:
    store.put_activity(ActivityRecord(ACTIVITY, "a", 1.0))
    for index in range(3):
        store.add_task(ActivityTaskRecord(f"t{index}", ACTIVITY, "x", index, "{}", float(index)))
    first = store.poll_task(ACTIVITY, "w")
    assert first is not None and (first.token, first.started, first.worker_name) == ("t0", True, "w")
    store.remove_tasks("x", [1])
    second = store.poll_task(ACTIVITY, None)
    assert second is not None and second.token == "t2"
    assert store.poll_task(ACTIVITY, None) is None
    closed = store.get_task("t1")
    assert closed is not None and closed.closed
    assert store.get_task("never") is None
    assert store.pending_work("x") == 2
    store.remove_tasks("x")
    assert store.pending_work("x") == 0


def test_state_machine_settings_round_trip(store: Store) -> None:
    record = StateMachineRecord(arn=MACHINE, name="m", definition="{}", role_arn="r", type="EXPRESS",
                                created=1.5, revision_id="rev", status="DELETING", next_version=4,
                                encryption_configuration={"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "k"})
    store.put_state_machine(record)
    assert store.get_state_machine(MACHINE) == record


def test_versions_list_newest_first_and_delete(store: Store) -> None:
    for number in (1, 2, 3):
        store.put_version(VersionRecord(arn=f"{MACHINE}:{number}", machine_arn=MACHINE, number=number,
                                        definition="{}", role_arn="r", type="STANDARD", created=float(number),
                                        revision_id=f"rev{number}", description="d"))
    store.put_version(VersionRecord(arn=f"{MACHINE}x:1", machine_arn=f"{MACHINE}x", number=1, definition="{}",
                                    role_arn="r", type="STANDARD", created=1.0, revision_id="r"))
    assert [v.number for v in store.list_versions(MACHINE)] == [3, 2, 1]
    store.delete_version(f"{MACHINE}:2")
    assert store.get_version(f"{MACHINE}:2") is None
    found = store.get_version(f"{MACHINE}:3")
    assert found is not None and (found.revision_id, found.description) == ("rev3", "d")


def test_aliases_round_trip(store: Store) -> None:
    routing = [{"stateMachineVersionArn": f"{MACHINE}:1", "weight": 70},
               {"stateMachineVersionArn": f"{MACHINE}:2", "weight": 30}]
    alias = AliasRecord(arn=f"{MACHINE}:live", machine_arn=MACHINE, name="live", routing=routing,
                        created=1.0, updated=1.0, description="d")
    store.put_alias(alias)
    store.put_alias(AliasRecord(arn=f"{MACHINE}:b", machine_arn=MACHINE, name="b", routing=routing[:1],
                                created=2.0, updated=2.0))
    assert store.get_alias(alias.arn) == alias
    assert [a.name for a in store.list_aliases(MACHINE)] == ["live", "b"]
    store.delete_alias(alias.arn)
    assert store.get_alias(alias.arn) is None


def test_map_runs_round_trip(store: Store) -> None:
    run = MapRunRecord(arn="arn:aws:states:us-east-1:000000000000:mapRun:m/l:1", execution_arn="x",
                       state_machine_arn=MACHINE, started=1.0, max_concurrency=5,
                       item_counts={"total": 3}, execution_counts={"succeeded": 1})
    store.put_map_run(run)
    assert store.get_map_run(run.arn) == run
    run.status = "SUCCEEDED"
    store.put_map_run(run)
    assert store.list_map_runs("x") == [run]
    assert store.list_map_runs("y") == []


def test_executions_keep_version_alias_and_redrive_fields(store: Store) -> None:
    record = execution("v")
    record.version_arn, record.alias_arn, record.map_run_arn = f"{MACHINE}:1", f"{MACHINE}:a", "mr"
    store.insert_execution(record)
    record.redrive_count, record.redrive_date = 2, 5.0
    store.update_execution(record)
    loaded = store.get_execution(record.arn, with_run=False)
    assert loaded is not None
    assert (loaded.version_arn, loaded.alias_arn, loaded.map_run_arn) == (f"{MACHINE}:1", f"{MACHINE}:a", "mr")
    assert (loaded.redrive_count, loaded.redrive_date) == (2, 5.0)


def test_open_tasks_lists_what_a_wait_still_holds(store: Store) -> None:
    for index in range(3):
        store.add_task(ActivityTaskRecord(f"o{index}", ACTIVITY, "x", index % 2, "{}", float(index)))
    assert [t.token for t in store.open_tasks("x")] == ["o0", "o1", "o2"]
    assert [t.token for t in store.open_tasks("x", [0])] == ["o0", "o2"]
    store.remove_tasks("x", [0])
    assert [t.token for t in store.open_tasks("x")] == ["o1"]


def test_open_tasks_of_finds_open_tasks_by_activity_prefix(store: Store) -> None:
    store.add_task(ActivityTaskRecord("f1", "stepforge:task:lambda", "x", 1, "{}", 2.0))
    store.add_task(ActivityTaskRecord("f2", "stepforge:task:http", "y", 1, "{}", 1.0))
    store.add_task(ActivityTaskRecord("a1", ACTIVITY, "x", 2, "{}", 0.5))
    store.remove_tasks("y", [1])
    assert [t.token for t in store.open_tasks_of("stepforge:task:")] == ["f1"]
