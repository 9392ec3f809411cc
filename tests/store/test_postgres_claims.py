"""PostgreSQL: two nodes (two stores on one database) never claim work of the same execution at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from lockstep import in_lockstep
from store_samples import execution, machine, map_run

from stepforge.asl.records import TimerFired
from stepforge.store.base import UnitOfWork
from stepforge.store.postgres import PostgresStore
from stepforge.store.records import TimerRecord
from stepforge.store.trigger_records import RuleRecord, ScheduleRecord
from stepforge.testing import write


@pytest.fixture
def nodes(postgres_url: str) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    first, second = PostgresStore(postgres_url), PostgresStore(postgres_url)
    yield first, second
    first.close()
    second.close()


def _executions(store: PostgresStore, count: int) -> list[str]:
    records = [execution(f"e{index}", started=float(index)) for index in range(count)]
    write(store, lambda tx: [tx.insert_execution(record) for record in records])
    return [record.arn for record in records]


def test_work_of_an_execution_another_transaction_holds_stays_queued(
        nodes: tuple[PostgresStore, PostgresStore]) -> None:
    first, second = nodes
    held, free = _executions(first, 2)
    write(first, lambda tx: [tx.push_signal(arn, None) for arn in (held, free)])
    write(first, lambda tx: [tx.set_timer(TimerRecord(1.0, arn, 1, "wait")) for arn in (held, free)])
    with first.transaction() as tx:
        assert tx.get_execution(held) is not None  # read to be written: held until this commits
        claimed = write(second, lambda other: (other.pop_signals(10), other.due_timers(5.0, 10)))
        assert claimed == ([(free, None)], [TimerRecord(1.0, free, 1, "wait")])
    assert write(second, lambda tx: (tx.pop_signals(10), tx.due_timers(5.0, 10))) == (
        [(held, None)], [TimerRecord(1.0, held, 1, "wait")])


def test_a_signal_for_an_execution_that_does_not_exist_is_still_delivered(
        nodes: tuple[PostgresStore, PostgresStore]) -> None:
    first, _ = nodes
    write(first, lambda tx: tx.push_signal("arn:aws:states:us-east-1:0:execution:m:gone", None))
    assert write(first, lambda tx: tx.pop_signals(10)) == [("arn:aws:states:us-east-1:0:execution:m:gone", None)]


def test_two_concurrent_batches_never_get_work_of_the_same_execution(
        nodes: tuple[PostgresStore, PostgresStore]) -> None:
    arns = _executions(nodes[0], 6)
    rounds = 12
    write(nodes[0], lambda tx: [
        (tx.push_signal(arn, TimerFired(n, "wait")), tx.set_timer(TimerRecord(float(n), arn, n, "wait")))
        for n in range(rounds) for arn in arns])
    claims: list[list[list[str]]] = [[], []]

    def node(index: int, both_open: threading.Barrier) -> None:
        for _ in range(rounds):
            with nodes[index].transaction() as tx:
                signals = [arn for arn, _ in tx.pop_signals(4)]
                timers = [timer.execution_arn for timer in tx.due_timers(1e12, 4)]
                claims[index].append(signals + timers)
                both_open.wait()  # the other node claims while this transaction is open
            both_open.wait()      # both committed: next round

    in_lockstep(node)
    for mine, theirs in zip(*claims, strict=True):
        assert not set(mine) & set(theirs)
    rest = write(nodes[0], lambda tx: [arn for arn, _ in tx.pop_signals(1000)]
                 + [timer.execution_arn for timer in tx.due_timers(1e12, 1000)])
    delivered = [arn for claim in claims[0] + claims[1] for arn in claim] + rest
    assert sorted(delivered) == sorted(arns * rounds * 2)  # every signal and timer once: none lost, none twice


def test_a_map_run_read_to_be_written_waits_for_the_other_nodes_update(
        nodes: tuple[PostgresStore, PostgresStore]) -> None:
    first, second = nodes
    parent = _executions(first, 1)[0]
    run = map_run("counts", parent)
    write(first, lambda tx: tx.insert_map_run(run, ["1", "2"]))

    def count_one(tx: UnitOfWork) -> None:
        record = tx.get_map_run(run.arn)
        assert record is not None
        record.item_counts["succeeded"] += 1
        tx.update_map_run(record)

    with first.transaction() as tx:
        count_one(tx)
        other = threading.Thread(target=write, args=(second, count_one))
        other.start()
        other.join(timeout=0.5)  # blocked on the row (or, if the lock were missing, done with a stale read)
    other.join(timeout=30)
    found = first.get_map_run(run.arn)
    assert found is not None and found.item_counts["succeeded"] == 2


def test_due_schedules_and_rules_one_node_holds_are_skipped_by_the_other(
        nodes: tuple[PostgresStore, PostgresStore]) -> None:
    first, second = nodes
    schedules = [ScheduleRecord(f"arn:aws:scheduler:us-east-1:0:schedule/default/s{n}", "default", f"s{n}",
                                "ENABLED", 1.0, 1.0, {}, 10.0 + n, 10.0 + n) for n in range(2)]
    tick = RuleRecord("arn:aws:events:us-east-1:0:rule/default/tick", "default", "tick", "ENABLED", 1.0,
                      {"ScheduleExpression": "rate(1 minute)"}, 10.0, 10.0)
    write(first, lambda tx: ([tx.put_schedule(s) for s in schedules], tx.put_rule(tick)))
    with first.transaction() as tx:
        assert [s.name for s in tx.due_schedules(20.0, 1)] == ["s0"] and [r.name for r in tx.due_rules(20.0, 5)]
        seen = write(second, lambda other: ([s.name for s in other.due_schedules(20.0, 5)],
                                            other.due_rules(20.0, 5)))
        assert seen == (["s1"], [])  # what the first node's batch is firing is not fired twice
    assert [s.name for s in second.due_schedules(20.0, 5)] == ["s0", "s1"]  # released at its commit


def test_a_held_machine_waits_for_the_transaction_that_holds_it(nodes: tuple[PostgresStore, PostgresStore]) -> None:
    first, second = nodes
    record = machine("m", 1.0)
    write(first, lambda tx: tx.put_state_machine(record))
    seen: list[int] = []
    with first.transaction() as tx:
        held = tx.hold_state_machine(record.arn)
        assert held is not None
        other = threading.Thread(target=lambda: seen.append(
            write(second, lambda tx2: tx2.hold_state_machine(record.arn)).next_version))  # type: ignore[union-attr]
        other.start()
        other.join(timeout=0.5)
        assert other.is_alive() and not seen  # waits for this transaction
        held.next_version = 2
        tx.put_state_machine(held)
    other.join(timeout=30)
    assert seen == [2]  # ... and then reads what it committed
