"""Notices across nodes: what one node's engine commits wakes the requests waiting on another node.

Two engines over one PostgreSQL database, each with its LISTEN/NOTIFY relay (``server.start_relay``).
A subscription has no re-check of its own: it wakes only on a notice, so a wake proves the relay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from stepforge.engine import notices
from stepforge.engine.clock import ManualClock
from stepforge.engine.lease import NodeSettings
from stepforge.server import start_relay, stop_relay
from stepforge.store.postgres import PostgresStore
from stepforge.store.postgres_notify import PostgresNotifier
from stepforge.testing import Harness
from tests.async_kit import run_alone

SHARED = NodeSettings(lease_ttl=30.0, shared=True)
#: Only a bound on a broken relay: a working one wakes the waiter long before.
PATIENCE = 30.0


@pytest.fixture
def nodes(postgres_url: str) -> Iterator[tuple[Harness, Harness]]:
    clock = ManualClock()
    a = Harness(store=PostgresStore(postgres_url), clock=clock, node=SHARED)
    b = Harness(store=PostgresStore(postgres_url), clock=clock, node=SHARED)
    relays: list[PostgresNotifier | None] = [start_relay(a.engine, postgres_url), start_relay(b.engine, postgres_url)]
    for relay in relays:
        assert relay is not None and relay.listening.wait(PATIENCE)
    yield a, b
    for relay in relays:
        stop_relay(relay)
    a.store.close()
    b.store.close()


def woken(node: Harness, key: str, act: object) -> bool:
    """Subscribe to ``key`` on ``node``, run ``act()`` (another node's work), and wait for the notice."""
    async def wait() -> bool:
        with node.engine.notices.subscribe(key) as subscription:
            await asyncio.get_running_loop().run_in_executor(None, act)  # type: ignore[arg-type]
            return await subscription.wait(PATIENCE)

    return run_alone(wait())


def test_an_activity_task_scheduled_on_one_node_wakes_a_long_poll_on_another(nodes: tuple[Harness, Harness]) -> None:
    a, b = nodes
    activity = a.create_activity("relayed")
    machine = {"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": activity, "End": True}}}
    assert woken(b, notices.activity(activity), lambda: (a.start(machine), a.settle()))
    assert b.poll(activity) is not None


def test_an_execution_ending_on_one_node_wakes_its_waiter_on_another(nodes: tuple[Harness, Harness]) -> None:
    a, b = nodes
    arn = a.start({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    assert woken(b, notices.execution(arn), a.settle)
    assert b.result(arn).status == "SUCCEEDED"

