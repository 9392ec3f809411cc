"""Contract: records go in and come out as copies — what a caller changes afterwards is never stored."""

from __future__ import annotations

from store_samples import MACHINE, execution, inserted, machine

from stepforge.asl.records import Children, Frame, Run, Wait
from stepforge.store.base import Store
from stepforge.store.records import DispatchRecord
from stepforge.testing import write


def deep_run() -> Run:
    """Frames with every kind of nested value a run holds: JSON, waits, children, variables."""
    children = Children(total=2, inputs=[{"item": [1, 2]}, None], results=[{"ok": True}, None], launched=2,
                        running=1, succeeded=1, selector_input={"items": [{"a": 1}]}, done=[0])
    return Run(frames={
        0: Frame(id=0, address=(), state="Map", input={"items": [{"a": 1}], "n": 1.5}, attempts={0: 2},
                 wait=Wait(3, "children"), children=children, variables={"seen": ["x"], "count": 2}),
        1: Frame(id=1, address=(("Map", 0),), state="Work", input={"a": 1}, parent=0, index=0,
                 wait=Wait(4, "task", "lambda", token="t-4")),
    }, next_frame_id=2, next_wait_id=5, failed_children={"results": [None, {"e": "x"}], "done": [1]})


def test_frames_come_back_equal_with_everything_they_hold(store: Store) -> None:
    record = execution("deep")
    record.run = deep_run()
    write(store, lambda tx: tx.insert_execution(record))
    loaded = store.get_execution(record.arn)
    assert loaded is not None and loaded.run == deep_run()
    assert loaded.run.frames[1].address == (("Map", 0),)


def test_changing_a_written_record_afterwards_changes_nothing_stored(store: Store) -> None:
    record = execution("written")
    record.run = deep_run()
    write(store, lambda tx: tx.insert_execution(record))
    frame = record.run.frames[0]
    frame.input["items"][0]["a"] = 99
    frame.variables["seen"].append("y")
    assert frame.children is not None and frame.wait is not None
    frame.children.results[1] = "changed"
    frame.wait.started = True
    record.status = "FAILED"
    loaded = store.get_execution(record.arn)
    assert loaded is not None and loaded.run == deep_run() and loaded.status == "RUNNING"


def test_changing_a_read_record_changes_nothing_stored(store: Store) -> None:
    record = execution("read")
    record.run = deep_run()
    write(store, lambda tx: tx.insert_execution(record))
    read = store.get_execution(record.arn)
    assert read is not None
    read.run.frames[0].input["items"].append({"b": 2})
    read.run.frames[0].attempts[0] = 7
    read.run.frames.pop(1)
    read.status = "SUCCEEDED"
    again = store.get_execution(record.arn)
    assert again is not None and again.run == deep_run() and again.status == "RUNNING"


def test_rows_of_plain_values_and_of_nested_values_come_out_as_copies(store: Store) -> None:
    dispatch = DispatchRecord(token="t1", execution_arn=inserted(store, "host"), wait_id=1, resource="arn:r",
                              state_name="S", child_name="", input="{}", created=1.0)
    stored = machine("m", 1.0)
    stored.tags = {"team": "a"}
    write(store, lambda tx: (tx.add_dispatch(dispatch), tx.put_state_machine(stored)))
    dispatch.closed, stored.tags["team"] = True, "b"
    found, found_machine = store.get_dispatch("t1"), store.get_state_machine(MACHINE)
    assert found is not None and not found.closed
    assert found_machine is not None and found_machine.tags == {"team": "a"}
    found.closed, found_machine.tags["team"] = True, "c"
    again, again_machine = store.get_dispatch("t1"), store.get_state_machine(MACHINE)
    assert again is not None and not again.closed and again_machine is not None and again_machine.tags == {"team": "a"}
