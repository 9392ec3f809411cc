"""The console's cross-machine reads: what they show of machines being deleted, and pages of executions."""

from __future__ import annotations

from stepforge.service import console_queries, executions, statemachines
from stepforge.testing import Harness

WAITING = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}


def test_a_machine_being_deleted_shows_while_it_runs_and_then_goes() -> None:
    harness = Harness()
    kept, deleted = harness.create(WAITING), harness.create(WAITING)
    run = harness.call(executions.start, stateMachineArn=deleted)["executionArn"]
    harness.call(statemachines.delete, stateMachineArn=deleted)
    shown = {m["stateMachineArn"]: m["status"] for m in console_queries.machines(harness.ctx, "")}
    assert shown == {kept: "ACTIVE", deleted: "DELETING"}
    harness.run_until_done(run)
    assert [m["stateMachineArn"] for m in console_queries.machines(harness.ctx, "")] == [kept]


def test_executions_across_machines_newest_first_in_pages() -> None:
    harness = Harness()
    first, second = harness.create(WAITING), harness.create(WAITING)
    for index, machine in enumerate((first, second, first)):
        harness.call(executions.start, stateMachineArn=machine, name=f"run-{index}")
        harness.clock.advance(1)
    page = console_queries.executions(harness.ctx, {"limit": "2"})
    assert (page["total"], [e["name"] for e in page["executions"]]) == (3, ["run-2", "run-1"])
    only = console_queries.executions(harness.ctx, {"machine": first, "q": "RUN-0"})
    assert [e["name"] for e in only["executions"]] == ["run-0"]
