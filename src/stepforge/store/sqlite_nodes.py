"""SQLite: nodes and their leases (:class:`~stepforge.store.base.NodeReads`, ``NodeWrites``).

One SQLite file has one writer, and the data directory's lock keeps it to one server: leases here
matter for a restart (the dispatches of the node that stopped are adopted) and keep the contract
every backend shares. Times are the caller's ``now``.
"""

from __future__ import annotations

import json
from typing import Any

from stepforge.store.codec import dumps
from stepforge.store.records import DispatchRecord, MapRunRecord, NodeRecord
from stepforge.store.sqlite_db import SqliteSession, SqliteWriter
from stepforge.store.sqlite_tasks import _DISPATCH_COLUMNS, _dispatch

_NODE_COLUMNS = "id, kind, host, pid, token, started, heartbeat, lease_expires, advanced"
#: Open dispatches that no live node owns at ``now`` (the parameter). A node's row is forgotten only
#: once it owns no open dispatch, so an owner is either a stored node or none.
_ORPHANS = ("FROM task_dispatches d WHERE d.closed = 0 AND (d.owner IS NULL OR d.owner IN "
            "(SELECT id FROM nodes WHERE lease_expires <= ?))")


def _node(row: tuple[Any, ...]) -> NodeRecord:
    node_id, kind, host, pid, token, started, heartbeat, lease_expires, advanced, held = row
    return NodeRecord(node_id, kind, host, pid, token, started, heartbeat, lease_expires, advanced, held)


class SqliteNodeReads(SqliteSession):
    """The reads of the node aggregate."""

    def list_nodes(self) -> list[NodeRecord]:
        rows = self._execute(
            f"SELECT {_NODE_COLUMNS}, (SELECT COUNT(*) FROM task_dispatches d WHERE d.owner = nodes.id "
            "AND d.closed = 0) FROM nodes ORDER BY started, id").fetchall()
        return [_node(row) for row in rows]


class SqliteNodeWrites(SqliteNodeReads, SqliteWriter):
    """The writes of the node aggregate."""

    def register_node(self, node: NodeRecord, ttl: float, now: float) -> None:
        self._insert(f"INSERT INTO nodes ({_NODE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                     (node.id, node.kind, node.host, node.pid, node.token, now, now, now + ttl))

    def renew_lease(self, node_id: str, token: str, ttl: float, now: float, advanced: int = 0) -> bool:
        cursor = self._execute(
            "UPDATE nodes SET heartbeat = ?, lease_expires = ?, advanced = advanced + ? "
            "WHERE id = ? AND token = ? AND lease_expires > ?", (now, now + ttl, advanced, node_id, token, now))
        return cursor.rowcount == 1

    def release_node(self, node_id: str, now: float) -> None:
        self._execute("UPDATE nodes SET lease_expires = ? WHERE id = ? AND lease_expires > ?", (now, node_id, now))

    def claim_map_run(self, arn: str, node_id: str, now: float) -> MapRunRecord | None:
        row = self._execute("SELECT body FROM map_runs WHERE arn = ?", (arn,)).fetchone()
        if row is None:
            return None
        record = MapRunRecord(**json.loads(row[0]))
        if record.io_node == node_id:
            return record
        if record.io_node and self._execute("SELECT 1 FROM nodes WHERE id = ? AND lease_expires > ?",
                                            (record.io_node, now)).fetchone() is not None:
            return None
        record.io_node = node_id
        self._execute("UPDATE map_runs SET body = ? WHERE arn = ?", (dumps(record), arn))
        return record

    def adopt_dispatches(self, node_id: str, now: float, limit: int) -> list[DispatchRecord]:
        rows = self._execute(f"SELECT {', '.join('d.' + c.strip() for c in _DISPATCH_COLUMNS.split(','))} "
                             f"{_ORPHANS} ORDER BY d.created, d.token LIMIT ?", (now, limit)).fetchall()
        self._execute_many("UPDATE task_dispatches SET owner = ? WHERE token = ?", [(node_id, r[0]) for r in rows])
        self._execute("DELETE FROM nodes WHERE lease_expires <= ? AND NOT EXISTS (SELECT 1 FROM task_dispatches d "
                      "WHERE d.owner = nodes.id AND d.closed = 0)", (now,))
        adopted = [_dispatch(row) for row in rows]
        for dispatch in adopted:
            dispatch.owner = node_id
        return adopted
