"""This engine's node: its row in the store, its lease, the fencing check of each batch, its release.

Every engine registers a node (a new id and token each time) holding a lease of ``ttl`` seconds,
renewed every ``ttl / 3`` by a small thread. Dispatches record the node that runs them; when a
node's lease expires (it died, or lost the database for longer than its TTL) another node adopts its
open dispatches and starts their work again. Timers and signals need no owner: they are rows,
claimed and deleted by the batch that handles them.

On a *shared* store (PostgreSQL, several nodes) each batch that writes checks the lease inside its
transaction before it commits (:meth:`Lease.hold`): a node whose lease expired cannot commit, rolls
the batch back and joins again as a new node. On a store only this engine uses (SQLite, whose data
directory is locked; memory) nobody else adopts anything, so batches skip the check and a new
engine ends the leases of the nodes before it (their dispatches are adopted at start-up at once).
A ``serve`` node on a shared store ends one lease at start-up: its predecessor's on the same data
directory (:class:`NodeLedger`), whose process has ended, so a node restarted after a crash takes its
own work back at once instead of after the lease's TTL.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from stepforge.engine.clock import Clock
from stepforge.store.base import Store, UnitOfWork
from stepforge.store.records import NodeRecord

log = logging.getLogger(__name__)

DEFAULT_TTL = 10.0


class NodeLedger(Protocol):
    """Where a node that owns a place of its own (a locked data directory) records its id, so that the
    next node there knows its predecessor: whoever holds the place now proves that node's process ended."""

    def previous_node(self) -> str | None: ...

    def record_node(self, node_id: str) -> None: ...


class LeaseLost(Exception):
    """This node's lease expired before its batch committed: the batch is rolled back (fencing)."""


@dataclass(frozen=True, slots=True)
class NodeSettings:
    """How an engine takes part in a deployment.

    ``kind`` is "serve" (API + engine) or "engine" (engine only); ``shared`` says other nodes may use
    the same store (check the lease in every batch, adopt dead nodes' dispatches as they expire).
    """

    kind: str = "serve"
    lease_ttl: float = DEFAULT_TTL
    shared: bool = False
    ledger: NodeLedger | None = None


class Lease:
    """The lease of one engine's node, renewed by :meth:`start`'s thread and checked by :meth:`hold`."""

    def __init__(self, store: Store, clock: Clock, settings: NodeSettings) -> None:
        self.store = store
        #: Opens the store the renewal thread writes to (None: ``store``). On PostgreSQL a store of its
        #: own (its own connection), so that a renewal never queues behind a long batch; opened by
        #: the thread, off the start-up path.
        self.open_renew_store: Callable[[], Store] | None = None
        self.clock = clock
        self.settings = settings
        self.node_id: str | None = None
        self.token = ""
        self._renewed = 0.0
        self._adopt_after: float | None = None
        self._advanced = 0
        self._count_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def ttl(self) -> float:
        return self.settings.lease_ttl

    def join(self, now: float) -> str:
        """Register a new node (a new id and token) and return its id; end the leases of this one's
        predecessors: on a store that is not shared every other node, on a shared one the node the
        ledger names (see :class:`NodeLedger`)."""
        node = NodeRecord(f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}", self.settings.kind,
                          socket.gethostname(), os.getpid(), secrets.token_hex(16))
        with self.store.transaction() as tx:
            tx.register_node(node, self.ttl, now)
            for other in self._predecessors(tx):
                if other != node.id:
                    tx.release_node(other, now)
        if self.settings.ledger is not None:
            self.settings.ledger.record_node(node.id)
        self.node_id, self.token, self._renewed, self._adopt_after = node.id, node.token, now, now
        log.info("node %s joined (lease %.1f s)", node.id, self.ttl)
        return node.id

    def _predecessors(self, tx: UnitOfWork) -> list[str]:
        if not self.settings.shared:
            return [other.id for other in tx.list_nodes()]
        previous = self.settings.ledger.previous_node() if self.settings.ledger is not None else None
        if previous is None or previous == self.node_id:  # none, or this engine's own (joining again)
            return []
        log.info("this node's data directory was last node %s's: its lease ends now, its work is adopted", previous)
        return [previous]

    def counted(self, advanced: int) -> None:
        """Count executions advanced, reported with the next renewal (the node's load)."""
        with self._count_lock:
            self._advanced += advanced

    def _take_count(self) -> int:
        with self._count_lock:
            taken, self._advanced = self._advanced, 0
        return taken

    def hold(self, tx: UnitOfWork, now: float, *, wrote: bool) -> None:
        """The fencing check, inside a batch's transaction just before it commits: renew the lease, or
        raise :class:`LeaseLost`. Done when the batch ``wrote`` on a shared store, or when the lease
        is due for renewal; otherwise nothing (an idle batch of a node alone writes nothing)."""
        if self.node_id is None or not (self.settings.shared and wrote or self.renewal_due(now)):
            return
        advanced = self._take_count()
        if not tx.renew_lease(self.node_id, self.token, self.ttl, now, advanced):
            self.counted(advanced)
            if self.settings.shared:
                raise LeaseLost(f"node {self.node_id}: its lease expired before the batch could commit")
            return  # nobody else adopts anything here: the renewal thread joins again
        self._renewed = now

    def renewal_due(self, now: float) -> bool:
        return now - self._renewed >= self.ttl / 3

    def adoption_due(self, now: float) -> bool:
        """Time to look for dispatches of dead nodes: after joining, then every ``ttl / 3`` when shared."""
        return self._adopt_after is not None and now >= self._adopt_after

    def adopted(self, now: float) -> None:
        """A batch that adopted what it found committed: look again in ``ttl / 3`` (shared) or never."""
        self._adopt_after = now + self.ttl / 3 if self.settings.shared else None

    # -- the renewal thread ------------------------------------------------------------------------

    def start(self, on_lost: Callable[[], None]) -> None:
        """Renew the lease every ``ttl / 3`` on a thread of its own; ``on_lost`` is called when a
        renewal finds it lost (the engine then joins again)."""
        self._thread = threading.Thread(target=self._renew_loop, args=(on_lost,), name="stepforge-lease",
                                        daemon=True)
        self._thread.start()

    def _renew_loop(self, on_lost: Callable[[], None]) -> None:
        store = self._renew_store()
        try:
            while not self._stop.wait(self.ttl / 3):
                try:
                    if not self.renew(self.clock.now(), store):
                        on_lost()
                except Exception as exc:  # noqa: BLE001 - a database away for a while: the next renewal retries
                    log.warning("node %s: lease renewal failed: %s", self.node_id, exc)
        finally:
            if store is not self.store:
                store.close()

    def _renew_store(self) -> Store:
        if self.open_renew_store is None:
            return self.store
        try:
            return self.open_renew_store()
        except Exception as exc:  # noqa: BLE001 - renew through the engine's store instead
            log.warning("node %s: no connection of its own for lease renewals: %s", self.node_id, exc)
            return self.store

    def renew(self, now: float, store: Store | None = None) -> bool:
        """Renew the lease in a transaction of its own (on ``store``, default the engine's); False if lost."""
        node_id = self.node_id
        if node_id is None:
            return True
        advanced = self._take_count()
        try:
            with (store or self.store).transaction() as tx:
                held = tx.renew_lease(node_id, self.token, self.ttl, now, advanced)
        except BaseException:
            self.counted(advanced)
            raise
        if held:
            self._renewed = now
        else:
            self.counted(advanced)
        return held

    def stop(self) -> None:
        """Stop renewing and end the lease at once, so that other nodes adopt this one's work now."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        node_id, self.node_id = self.node_id, None
        if node_id is None:
            return
        try:
            with self.store.transaction() as tx:
                tx.release_node(node_id, self.clock.now())
        except Exception as exc:  # noqa: BLE001 - the lease then simply expires
            log.warning("node %s: could not release its lease: %s", node_id, exc)
