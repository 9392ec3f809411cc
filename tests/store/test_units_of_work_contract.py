"""Contract: writes go only through a unit of work, which lives exactly as long as its transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from store_samples import MACHINE, machine

from stepforge.store.base import NestedTransaction, Store, TransactionClosed
from stepforge.testing import write

WRITES = ("put_state_machine", "insert_execution", "update_execution", "append_events", "push_signal",
          "pop_signals", "set_timer", "due_timers", "add_activity_task", "poll_activity_task", "close_tasks", "close_task",
          "insert_map_run", "update_map_run_item", "savepoint")


@pytest.mark.parametrize("method", WRITES)
def test_the_store_itself_has_no_write_methods(store: Store, method: str) -> None:
    assert not hasattr(store, method)
    with store.transaction() as tx:
        assert callable(getattr(tx, method))


def test_a_unit_of_work_reads_its_own_writes(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_state_machine(machine("m", 1.0))
        found = tx.get_state_machine(MACHINE)
        assert found is not None and found.name == "m"


def test_a_raise_inside_the_block_undoes_everything_and_propagates(store: Store) -> None:
    with pytest.raises(KeyError), store.transaction() as tx:
        tx.put_state_machine(machine("m", 1.0))
        with tx.savepoint():
            tx.push_signal("x", None)
        raise KeyError("late failure")
    assert store.get_state_machine(MACHINE) is None
    assert write(store, lambda tx: tx.pop_signals(10)) == []


def test_a_failed_savepoint_undoes_only_its_block_and_nests(store: Store) -> None:
    with store.transaction() as tx:
        with tx.savepoint():
            tx.push_signal("outer", None)
            with pytest.raises(RuntimeError), tx.savepoint():
                tx.push_signal("inner", None)
                raise RuntimeError("inner block fails")
        with pytest.raises(RuntimeError), tx.savepoint():
            tx.put_state_machine(machine("m", 1.0))
            raise RuntimeError("second block fails")
    assert [arn for arn, _ in write(store, lambda tx: tx.pop_signals(10))] == ["outer"]
    assert store.get_state_machine(MACHINE) is None


@pytest.mark.parametrize("use", [
    lambda tx: tx.push_signal("x", None),
    lambda tx: tx.get_state_machine(MACHINE),
    lambda tx: tx.savepoint().__enter__(),
], ids=["write", "read", "savepoint"])
def test_a_unit_of_work_used_after_its_block_ends_raises(store: Store, use: object) -> None:
    with store.transaction() as tx:
        tx.put_state_machine(machine("m", 1.0))
    with pytest.raises(TransactionClosed):
        use(tx)  # type: ignore[operator]
    assert store.get_state_machine(MACHINE) is not None


def test_transactions_do_not_nest(store: Store) -> None:
    with store.transaction() as tx:
        tx.push_signal("x", None)
        with pytest.raises(NestedTransaction), store.transaction():
            pass
    assert [arn for arn, _ in write(store, lambda tx: tx.pop_signals(10))] == ["x"]


def test_a_write_is_invisible_to_readers_until_it_commits(open_durable_store: Callable[[], Store]) -> None:
    store = open_durable_store()  # the durable stores (the memory store shows a write at once)
    seen: list[object] = []

    def read_elsewhere() -> None:
        seen.append(store.get_state_machine(MACHINE))

    with store.transaction() as tx:
        tx.put_state_machine(machine("m", 1.0))
        assert store.get_state_machine(MACHINE) is None  # the store's own read: committed rows only
        reader = threading.Thread(target=read_elsewhere)
        reader.start()
        reader.join(timeout=10)
        assert seen == [None]
    found = store.get_state_machine(MACHINE)
    assert found is not None and found.name == "m"


def test_another_thread_waits_for_the_open_transaction(store: Store) -> None:
    order: list[str] = []

    def write_elsewhere() -> None:
        with store.transaction() as tx:
            order.append("second")
            tx.push_signal("second", None)

    with store.transaction() as tx:
        other = threading.Thread(target=write_elsewhere)
        other.start()
        other.join(timeout=0.2)
        order.append("first")
        tx.push_signal("first", None)
    other.join(timeout=10)
    assert order == ["first", "second"]
    assert [arn for arn, _ in write(store, lambda tx: tx.pop_signals(10))] == ["first", "second"]
