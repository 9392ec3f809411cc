"""The trigger aggregate of the store contract, run on every backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from backends import BACKENDS, store_opener

from stepforge.store.base import Store
from stepforge.store.memory import MemoryStore
from stepforge.store.trigger_records import (
    RuleRecord,
    ScheduleGroupRecord,
    ScheduleRecord,
    TargetRecord,
    TriggerStart,
    WebhookRecord,
)


@pytest.fixture(params=["memory", *BACKENDS])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "memory":
        return MemoryStore()
    return store_opener(request, request.param, tmp_path)()


def schedule(name: str, *, group: str = "default", due: float | None = 100.0, state: str = "ENABLED") -> ScheduleRecord:
    return ScheduleRecord(f"arn:aws:scheduler:us-east-1:0:schedule/{group}/{name}", group, name, state, 1.0, 2.0,
                          {"ScheduleExpression": "rate(1 minute)", "Target": {"Arn": "m"}}, due, due)


def rule(name: str, *, bus: str = "default", due: float | None = None) -> RuleRecord:
    return RuleRecord(f"arn:aws:events:us-east-1:0:rule/{bus}/{name}", bus, name, "ENABLED", 1.0,
                      {"EventPattern": '{"source": ["x"]}'}, due, due)


def test_schedules_round_trip_and_list_by_name_with_filters_and_pages(store: Store) -> None:
    with store.transaction() as tx:
        for name in ("b", "a", "c", "ab"):
            tx.put_schedule(schedule(name, group="g" if name == "c" else "default",
                                     state="DISABLED" if name == "b" else "ENABLED"))
    assert store.get_schedule(schedule("a").arn) == schedule("a")
    first = store.list_schedules(limit=2)
    assert [s.name for s in first.items] == ["a", "ab"] and first.next is not None
    assert [s.name for s in store.list_schedules(after=first.next, limit=5).items] == ["b", "c"]
    assert [s.name for s in store.list_schedules(name_prefix="a", limit=5).items] == ["a", "ab"]
    assert [s.name for s in store.list_schedules(group="g", limit=5).items] == ["c"]
    assert [s.name for s in store.list_schedules(state="DISABLED", limit=5).items] == ["b"]


def test_due_schedules_and_rules_are_enabled_ones_due_by_now_earliest_first(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_schedule(schedule("late", due=300.0))
        tx.put_schedule(schedule("early", due=100.0))
        tx.put_schedule(schedule("off", due=50.0, state="DISABLED"))
        tx.put_schedule(schedule("done", due=None))
        tx.put_rule(rule("tick", due=200.0))
        tx.put_rule(rule("pattern"))
    assert [s.name for s in store.due_schedules(250.0, 10)] == ["early"]
    assert [s.name for s in store.due_schedules(1000.0, 10)] == ["early", "late"]
    assert [r.name for r in store.due_rules(250.0, 10)] == ["tick"]
    assert store.next_trigger_due() == 100.0


def test_an_update_replaces_the_row_and_a_rolled_back_one_leaves_it(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_schedule(schedule("s", due=100.0))
    with store.transaction() as tx:
        tx.put_schedule(schedule("s", due=160.0))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.delete_schedule(schedule("s").arn)
        raise RuntimeError("undo")
    found = store.get_schedule(schedule("s").arn)
    assert found is not None and found.due == 160.0


def test_rules_targets_and_their_deletion(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_rule(rule("r"))
        tx.put_rule(rule("other", bus="custom"))
        tx.put_target(TargetRecord(rule("r").arn, "b", {"Id": "b", "Arn": "m2"}))
        tx.put_target(TargetRecord(rule("r").arn, "a", {"Id": "a", "Arn": "m1"}))
    assert [r.name for r in store.list_rules("default", limit=10).items] == ["r"]
    assert [r.name for r in store.list_rules("custom", limit=10).items] == ["other"]
    assert [t.target_id for t in store.list_targets(rule("r").arn)] == ["a", "b"]
    with store.transaction() as tx:
        tx.delete_target(rule("r").arn, "a")
    assert [t.target_id for t in store.list_targets(rule("r").arn)] == ["b"]
    with store.transaction() as tx:
        tx.delete_rule(rule("r").arn)
    assert store.get_rule(rule("r").arn) is None and store.list_targets(rule("r").arn) == []


def test_webhooks_and_trigger_starts(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_webhook(WebhookRecord("z", 1.0, {"mode": "START"}))
        tx.put_webhook(WebhookRecord("a", 2.0, {"mode": "SYNC"}))
        for i in range(3):
            tx.add_trigger_start(TriggerStart("src", f"exec-{i}", float(i)))
        tx.add_trigger_start(TriggerStart("src", "exec-1", 1.0))  # recorded once
    assert [w.name for w in store.list_webhooks()] == ["a", "z"]
    assert store.get_webhook("a") == WebhookRecord("a", 2.0, {"mode": "SYNC"})
    assert [s.execution_arn for s in store.trigger_starts("src", limit=2)] == ["exec-2", "exec-1"]
    with store.transaction() as tx:
        tx.delete_webhook("a")
    assert store.get_webhook("a") is None


def test_deleting_a_schedule_group_deletes_its_schedules(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_schedule_group(ScheduleGroupRecord("g", "arn:g", 1.0))
        tx.put_schedule(schedule("in-g", group="g"))
        tx.put_schedule(schedule("elsewhere"))
    assert store.list_schedule_groups() == [ScheduleGroupRecord("g", "arn:g", 1.0)]
    with store.transaction() as tx:
        tx.delete_schedule_group("g")
    assert store.get_schedule_group("g") is None
    assert [s.name for s in store.list_schedules(limit=10).items] == ["elsewhere"]
