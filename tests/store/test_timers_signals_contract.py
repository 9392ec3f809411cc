"""Contract: timers and signals."""

from __future__ import annotations

from stepforge.asl.records import Stop, TaskSucceeded, TimerFired
from stepforge.store.base import Store
from stepforge.store.records import TimerRecord
from stepforge.testing import write


def test_signals_come_out_in_order_once(store: Store) -> None:
    signals = [None, TaskSucceeded(1, {"x": 1}), TimerFired(2, "wait"), Stop("E", "c")]
    with store.transaction() as tx:
        for signal in signals:
            tx.push_signal("x", signal)
    with store.transaction() as tx:
        assert tx.pop_signals(3) == [("x", s) for s in signals[:3]]
    assert write(store, lambda tx: tx.pop_signals(10)) == [("x", signals[3])]
    assert write(store, lambda tx: tx.pop_signals(10)) == []


def test_timers_fire_when_due_and_can_be_replaced_or_cancelled(store: Store) -> None:
    write(store, lambda tx: tx.set_timer(TimerRecord(10.0, "x", 1, "wait")))
    write(store, lambda tx: tx.set_timer(TimerRecord(5.0, "x", 2, "timeout")))
    write(store, lambda tx: tx.set_timer(TimerRecord(7.0, "x", 2, "timeout")))  # replaces the 5.0 one
    write(store, lambda tx: tx.set_timer(TimerRecord(6.0, "y", 1, "wait")))
    write(store, lambda tx: tx.cancel_timers("y"))
    assert store.next_due() == 7.0
    assert write(store, lambda tx: tx.due_timers(6.9, 10)) == []
    assert write(store, lambda tx: tx.due_timers(10.0, 10)) == [TimerRecord(7.0, "x", 2, "timeout"), TimerRecord(10.0, "x", 1, "wait")]
    assert store.next_due() is None


def test_timers_cancel_by_wait(store: Store) -> None:
    write(store, lambda tx: tx.set_timer(TimerRecord(1.0, "x", 1, "wait")))
    write(store, lambda tx: tx.set_timer(TimerRecord(2.0, "x", 2, "wait")))
    write(store, lambda tx: tx.cancel_timers("x", [1]))
    assert write(store, lambda tx: tx.due_timers(5.0, 10)) == [TimerRecord(2.0, "x", 2, "wait")]


def test_work_waiting_counts_signals_and_timers(store: Store) -> None:
    write(store, lambda tx: tx.push_signal("x", None))
    write(store, lambda tx: tx.set_timer(TimerRecord(1.0, "x", 1, "wait")))
    assert (store.pending_work("x"), store.pending_work("y")) == (2, 0)
