"""Contract: nodes, their leases (expiry, fencing token, release) and the adoption of a dead node's dispatches.

Times are the wall clock with leases of 0 s (expired from the start) or 60 s (live through the test):
a store shared by several machines judges leases by its own clock, so no test moves a manual one.
"""

from __future__ import annotations

import time

import pytest
from store_samples import inserted, map_run

from stepforge.store.base import Conflict, Store
from stepforge.store.records import DispatchRecord, NodeRecord
from stepforge.testing import write

LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:f"
LIVE, EXPIRED = 60.0, 0.0


def node(node_id: str, token: str = "t1") -> NodeRecord:
    return NodeRecord(node_id, "serve", "host-a", 4242, token)


def register(store: Store, node_id: str, ttl: float = LIVE, token: str = "t1") -> None:
    write(store, lambda tx: tx.register_node(node(node_id, token), ttl, time.time()))


def dispatch(token: str, execution_arn: str, created: float, owner: str | None) -> DispatchRecord:
    return DispatchRecord(token, execution_arn, 1, LAMBDA, "Work", "", "{}", created, owner=owner)


def renew(store: Store, node_id: str, token: str = "t1", advanced: int = 0) -> bool:
    return write(store, lambda tx: tx.renew_lease(node_id, token, LIVE, time.time(), advanced))


def adopt(store: Store, node_id: str, limit: int = 10) -> list[DispatchRecord]:
    return write(store, lambda tx: tx.adopt_dispatches(node_id, time.time(), limit))


def test_nodes_are_listed_oldest_first_with_their_lease_and_what_they_hold(store: Store) -> None:
    before = time.time()
    register(store, "a")
    register(store, "b")
    x = inserted(store, "x")
    write(store, lambda tx: tx.add_dispatch(dispatch("d1", x, 1.0, "b")))
    a, b = store.list_nodes()
    assert (a.id, a.kind, a.host, a.pid, a.token, a.held, a.advanced) == ("a", "serve", "host-a", 4242, "t1", 0, 0)
    assert b.id == "b" and b.held == 1
    assert a.started == a.heartbeat and a.lease_expires == pytest.approx(a.started + LIVE)
    assert before - 5 <= a.started <= b.started <= time.time() + 5  # the store's clock, near the caller's


def test_a_node_id_is_registered_once(store: Store) -> None:
    register(store, "a")
    with pytest.raises(Conflict):
        register(store, "a", token="t2")


def test_a_lease_is_renewed_only_with_its_token(store: Store) -> None:
    register(store, "a")
    assert renew(store, "a", advanced=3)
    assert renew(store, "a", advanced=2)
    assert not renew(store, "a", token="stolen")
    assert not renew(store, "nobody")
    (a,) = store.list_nodes()
    assert a.advanced == 5 and a.lease_expires >= a.heartbeat + LIVE - 1


def test_an_expired_lease_is_lost_for_good(store: Store) -> None:
    register(store, "a", ttl=EXPIRED)
    assert not renew(store, "a")
    assert not renew(store, "a")


def test_a_released_lease_cannot_be_renewed(store: Store) -> None:
    register(store, "a")
    write(store, lambda tx: tx.release_node("a", time.time()))
    assert not renew(store, "a")
    (a,) = store.list_nodes()
    assert a.lease_expires <= time.time() + 1


def test_a_failed_transaction_keeps_the_lease_as_it_was(store: Store) -> None:
    register(store, "a")
    (before,) = store.list_nodes()
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.release_node("a", time.time())
        raise RuntimeError("the batch failed")
    assert store.list_nodes() == [before]
    assert renew(store, "a")


def test_open_dispatches_of_dead_nodes_and_of_none_are_adopted_oldest_first(store: Store) -> None:
    register(store, "live")
    register(store, "dead", ttl=EXPIRED)
    x = inserted(store, "x")
    with store.transaction() as tx:
        tx.add_dispatch(dispatch("kept", x, 1.0, "live"))
        tx.add_dispatch(dispatch("second", x, 3.0, "dead"))
        tx.add_dispatch(dispatch("first", x, 2.0, None))
        tx.add_dispatch(dispatch("third", x, 4.0, "dead"))
    adopted = adopt(store, "live", limit=2)
    assert [(d.token, d.owner) for d in adopted] == [("first", "live"), ("second", "live")]
    assert [d.token for d in adopt(store, "live")] == ["third"]
    assert adopt(store, "live") == []
    owners = {d.token: d.owner for d in store.open_dispatches(limit=10).items}
    assert owners == {"kept": "live", "first": "live", "second": "live", "third": "live"}


def test_closed_dispatches_are_never_adopted(store: Store) -> None:
    register(store, "dead", ttl=EXPIRED)
    register(store, "live")
    x = inserted(store, "x")
    write(store, lambda tx: tx.add_dispatch(dispatch("done", x, 1.0, "dead")))
    write(store, lambda tx: tx.close_tasks(x))
    assert adopt(store, "live") == []


def test_a_dead_node_is_forgotten_once_it_holds_nothing(store: Store) -> None:
    register(store, "dead", ttl=EXPIRED)
    register(store, "live")
    x = inserted(store, "x")
    write(store, lambda tx: tx.add_dispatch(dispatch("d", x, 1.0, "dead")))
    assert [n.id for n in store.list_nodes()] == ["dead", "live"]
    adopt(store, "live", limit=0)
    assert [n.id for n in store.list_nodes()] == ["dead", "live"]  # it still owns a dispatch
    adopt(store, "live")
    assert [n.id for n in store.list_nodes()] == ["live"]


def test_a_released_node_is_adopted_at_once(store: Store) -> None:
    register(store, "leaving")
    register(store, "staying")
    x = inserted(store, "x")
    write(store, lambda tx: tx.add_dispatch(dispatch("d", x, 1.0, "leaving")))
    assert adopt(store, "staying") == []
    write(store, lambda tx: tx.release_node("leaving", time.time()))
    assert [d.token for d in adopt(store, "staying")] == ["d"]
    stored = store.get_dispatch("d")
    assert stored is not None and stored.owner == "staying"


def claim(store: Store, arn: str, node_id: str) -> str | None:
    """The node that holds the Map Run's claim after ``node_id`` asked for it (None: refused)."""
    record = write(store, lambda tx: tx.claim_map_run(arn, node_id, time.time()))
    return None if record is None else record.io_node


def test_a_map_run_is_claimed_by_one_live_node_and_taken_over_once_its_lease_expires(store: Store) -> None:
    run = map_run("r", inserted(store, "e"))
    write(store, lambda tx: tx.insert_map_run(run, []))
    register(store, "n1", ttl=LIVE)
    register(store, "n2", ttl=LIVE)
    assert claim(store, run.arn, "n1") == "n1"
    assert claim(store, run.arn, "n2") is None  # n1 is alive: it alone reads and writes the run
    assert claim(store, run.arn, "n1") == "n1"
    found = store.get_map_run(run.arn)
    assert found is not None and found.io_node == "n1"
    write(store, lambda tx: tx.release_node("n1", time.time()))
    assert claim(store, run.arn, "n2") == "n2"  # n1's lease ended: its claim moves


def test_a_claim_of_a_node_that_is_gone_moves_and_none_is_made_on_a_missing_run(store: Store) -> None:
    run = map_run("r", inserted(store, "e"))
    write(store, lambda tx: tx.insert_map_run(run, []))
    register(store, "n1", ttl=EXPIRED)
    assert claim(store, run.arn, "n1") == "n1"
    assert adopt(store, "n2") == []  # n1 held no dispatch: forgotten
    assert claim(store, run.arn, "n2") == "n2"
    assert claim(store, run.arn.replace("/r:", "/missing:"), "n2") is None
