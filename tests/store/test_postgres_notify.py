"""LISTEN/NOTIFY between nodes, against a real PostgreSQL server."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres_kit import Cluster

from stepforge.store.postgres_notify import PAYLOAD_BYTES, PostgresNotifier, payloads

WAIT = 20.0  # a bound for a notification that should come, never a timing assertion


class Node:
    """A notifier that queues what it hears."""

    def __init__(self, url: str) -> None:
        self.heard: queue.Queue[list[str]] = queue.Queue()
        self.resyncs: queue.Queue[None] = queue.Queue()
        self.notifier = PostgresNotifier(url, self.heard.put, lambda: self.resyncs.put(None))
        self.notifier.start()
        self.resyncs.get(timeout=WAIT)  # listening

    def next_keys(self) -> list[str]:
        return self.heard.get(timeout=WAIT)


@pytest.fixture
def two_nodes(postgres_store_url: str) -> Iterator[tuple[Node, Node]]:
    first, second = Node(postgres_store_url), Node(postgres_store_url)
    yield first, second
    first.notifier.close()
    second.notifier.close()


def test_keys_published_by_one_node_reach_the_other_but_not_itself(two_nodes: tuple[Node, Node]) -> None:
    first, second = two_nodes
    assert first.notifier.publish(["arn:a", "arn:b"])
    assert second.next_keys() == ["arn:a", "arn:b"]
    assert second.notifier.publish(["arn:c"])
    assert first.next_keys() == ["arn:c"]
    assert second.heard.empty() and first.heard.empty()


def test_many_keys_are_split_across_notifications_and_all_arrive(two_nodes: tuple[Node, Node]) -> None:
    first, second = two_nodes
    keys = [f"arn:aws:states:us-east-1:000000000000:execution:machine:{index:06d}" for index in range(1000)]
    assert len(list(payloads(first.notifier.node, keys))) > 1
    assert all(len(text.encode()) < PAYLOAD_BYTES for text in payloads(first.notifier.node, keys))
    first.notifier.publish(keys)
    received: list[str] = []
    while len(received) < len(keys):
        received += second.next_keys()
    assert received == keys


def test_the_listener_reconnects_after_a_server_restart_and_says_so(postgres_bin_dir: Path) -> None:
    cluster = Cluster(postgres_bin_dir)
    try:
        first, second = Node(cluster.url()), Node(cluster.url())
        cluster.restart()
        second.resyncs.get(timeout=WAIT)  # reconnected: told to look at everything once
        first.resyncs.get(timeout=WAIT)
        assert first.notifier.publish(["after"]) or first.notifier.publish(["after"])  # the old connection died
        assert second.next_keys() == ["after"]
        first.notifier.close()
        second.notifier.close()
    finally:
        cluster.stop()
