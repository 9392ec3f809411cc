"""PostgreSQL: nodes and their leases (:class:`~stepforge.store.base.NodeReads`, ``NodeWrites``).

Leases are judged by the database server's clock (``clock_timestamp()``, read when each statement
runs), never by the nodes': the ``now`` the methods take is ignored, so nodes whose clocks disagree
still agree on which leases have expired.

Fencing and adoption meet on the node's row. :meth:`renew_lease` (a batch's check just before it
commits) locks its row until that batch ends; an adopter locks the rows of expired nodes ``FOR
UPDATE SKIP LOCKED``, so it never adopts from a node whose batch is committing with its lease
checked, and a node cannot renew (its batch rolls back) once its lease is seen expired.
"""

from __future__ import annotations

import json
from typing import Any

from stepforge.store.codec import dumps
from stepforge.store.postgres_db import PostgresSession, PostgresWriter
from stepforge.store.postgres_tasks import _DISPATCH_COLUMNS, _dispatch
from stepforge.store.records import DispatchRecord, MapRunRecord, NodeRecord

_NODE_COLUMNS = "id, kind, host, pid, token, started, heartbeat, lease_expires, advanced"
#: Seconds since the epoch by the database server's clock, as the statement runs.
_CLOCK = "extract(epoch from clock_timestamp())::double precision"


def _node(row: tuple[Any, ...]) -> NodeRecord:
    node_id, kind, host, pid, token, started, heartbeat, lease_expires, advanced, held = row
    return NodeRecord(node_id, kind, host, int(pid), token, float(started), float(heartbeat), float(lease_expires),
                      int(advanced), int(held))


class PostgresNodeReads(PostgresSession):
    """The reads of the node aggregate."""

    def list_nodes(self) -> list[NodeRecord]:
        rows = self._execute(
            f"SELECT {_NODE_COLUMNS}, (SELECT COUNT(*) FROM task_dispatches d WHERE d.owner = nodes.id "
            "AND d.closed = 0) FROM nodes ORDER BY started, id").fetchall()
        return [_node(row) for row in rows]


class PostgresNodeWrites(PostgresNodeReads, PostgresWriter):
    """The writes of the node aggregate, by the database's clock."""

    def register_node(self, node: NodeRecord, ttl: float, now: float) -> None:
        self._insert(f"INSERT INTO nodes ({_NODE_COLUMNS}) SELECT %s, %s, %s, %s, %s, c.t, c.t, c.t + %s, 0 "
                     f"FROM (SELECT {_CLOCK} AS t) c",
                     (node.id, node.kind, node.host, node.pid, node.token, ttl))

    def renew_lease(self, node_id: str, token: str, ttl: float, now: float, advanced: int = 0) -> bool:
        rows = self._execute(
            f"UPDATE nodes SET heartbeat = c.t, lease_expires = c.t + %s, advanced = advanced + %s "
            f"FROM (SELECT {_CLOCK} AS t) c WHERE id = %s AND token = %s AND lease_expires > c.t",
            (ttl, advanced, node_id, token))
        return rows.rowcount == 1

    def release_node(self, node_id: str, now: float) -> None:
        self._execute(f"UPDATE nodes SET lease_expires = c.t FROM (SELECT {_CLOCK} AS t) c "
                      "WHERE id = %s AND lease_expires > c.t", (node_id,))

    def claim_map_run(self, arn: str, node_id: str, now: float) -> MapRunRecord | None:
        row = self._execute("SELECT body FROM map_runs WHERE arn = %s FOR UPDATE", (arn,)).fetchone()
        if row is None:
            return None
        record = MapRunRecord(**json.loads(row[0]))
        if record.io_node == node_id:
            return record
        if record.io_node and self._execute(f"SELECT 1 FROM nodes WHERE id = %s AND lease_expires > {_CLOCK}",
                                            (record.io_node,)).fetchone() is not None:
            return None
        record.io_node = node_id
        self._execute("UPDATE map_runs SET body = %s WHERE arn = %s", (dumps(record), arn))
        return record

    def adopt_dispatches(self, node_id: str, now: float, limit: int) -> list[DispatchRecord]:
        dead = [row[0] for row in self._execute(
            f"SELECT id FROM nodes WHERE lease_expires <= {_CLOCK} ORDER BY id FOR UPDATE SKIP LOCKED").fetchall()]
        columns = ", ".join(f"d.{column.strip()}" for column in _DISPATCH_COLUMNS.split(","))
        rows = self._execute(
            "WITH picked AS (SELECT token FROM task_dispatches WHERE closed = 0 AND (owner IS NULL OR "
            "owner = ANY(%s)) ORDER BY created, token LIMIT %s FOR UPDATE SKIP LOCKED) "
            f"UPDATE task_dispatches d SET owner = %s FROM picked WHERE d.token = picked.token RETURNING {columns}",
            (dead, limit, node_id)).fetchall()
        if dead:
            self._execute("DELETE FROM nodes n WHERE n.id = ANY(%s) AND NOT EXISTS (SELECT 1 FROM task_dispatches d "
                          "WHERE d.owner = n.id AND d.closed = 0)", (dead,))
        return sorted((_dispatch(row) for row in rows), key=lambda d: (d.created, d.token))
