"""SQLite: state machines, their versions and aliases (each a JSON body beside its keys)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from stepforge.store import cursors
from stepforge.store.codec import dumps
from stepforge.store.records import AliasRecord, Page, StateMachineRecord, VersionRecord
from stepforge.store.sqlite_cache import MACHINES
from stepforge.store.sqlite_db import SqliteSession, SqliteWriter


class SqliteMachineReads(SqliteSession):
    """The reads of the state machine aggregate (:class:`~stepforge.store.base.StateMachineReads`)."""

    def _machine(self, row: sqlite3.Row | tuple[Any, ...]) -> StateMachineRecord:
        (arn, name, digest, role_arn, type_, created, revision, status, logging, tracing, description,
         tags, encryption, next_version) = row
        return StateMachineRecord(
            arn=arn, name=name, definition=self._definition(digest), role_arn=role_arn, type=type_,
            created=created, revision_id=revision, status=status, logging_configuration=json.loads(logging),
            tracing_configuration=json.loads(tracing), description=description, tags=json.loads(tags),
            encryption_configuration=json.loads(encryption), next_version=next_version,
        )

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        """As last committed (kept: see :mod:`~stepforge.store.sqlite_cache`), in a record of the
        caller's own (callers change records and put them back)."""
        kept = self._cached(MACHINES, arn, lambda: self._read_machine(arn))
        return None if kept is None else _copy(kept)

    def _read_machine(self, arn: str) -> StateMachineRecord | None:
        row = self._execute("SELECT * FROM state_machines WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else self._machine(row)

    def list_state_machines(self, *, status: str | None = None, name_contains: str | None = None,
                            after: str | None = None, limit: int) -> Page[StateMachineRecord]:
        where, params = ["1 = 1"], []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if name_contains is not None:
            where.append("instr(lower(name), lower(?)) > 0")
            params.append(name_contains)
        if after is not None:
            where.append("(created, arn) > (?, ?)")
            params += cursors.decode(after, float, str)
        rows = self._execute(f"SELECT * FROM state_machines WHERE {' AND '.join(where)} ORDER BY created, arn "
                             "LIMIT ?", (*params, limit + 1)).fetchall()
        found = [self._machine(row) for row in rows[:limit]]
        more = len(rows) > limit and found
        return Page(found, cursors.encode(found[-1].created, found[-1].arn) if more else None)

    def get_version(self, arn: str) -> VersionRecord | None:
        row = self._execute("SELECT body FROM state_machine_versions WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else VersionRecord(**json.loads(row[0]))

    def list_versions(self, machine_arn: str) -> list[VersionRecord]:
        rows = self._execute("SELECT body FROM state_machine_versions WHERE machine_arn = ? ORDER BY number DESC",
                             (machine_arn,)).fetchall()
        return [VersionRecord(**json.loads(row[0])) for row in rows]

    def get_alias(self, arn: str) -> AliasRecord | None:
        row = self._execute("SELECT body FROM state_machine_aliases WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else AliasRecord(**json.loads(row[0]))

    def list_aliases(self, machine_arn: str) -> list[AliasRecord]:
        rows = self._execute("SELECT body FROM state_machine_aliases WHERE machine_arn = ? ORDER BY created, arn",
                             (machine_arn,)).fetchall()
        return [AliasRecord(**json.loads(row[0])) for row in rows]


def _copy(record: StateMachineRecord) -> StateMachineRecord:
    """A copy of a kept record that its caller may change (its dicts too; what they hold is JSON
    callers replace, never change in place)."""
    return StateMachineRecord(
        record.arn, record.name, record.definition, record.role_arn, record.type, record.created,
        record.revision_id, record.status, dict(record.logging_configuration), dict(record.tracing_configuration),
        record.description, dict(record.tags), dict(record.encryption_configuration), record.next_version)


class SqliteMachineWrites(SqliteMachineReads, SqliteWriter):
    """The writes of the state machine aggregate (:class:`~stepforge.store.base.StateMachineWrites`)."""

    def hold_state_machine(self, arn: str) -> StateMachineRecord | None:
        return self.get_state_machine(arn)  # one writer: nobody else changes it before this commits

    def put_state_machine(self, record: StateMachineRecord) -> None:
        self.changed.add(MACHINES)
        digest = self._store_definition(record.definition)
        self._execute(
            "INSERT OR REPLACE INTO state_machines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "MAX(?, COALESCE((SELECT next_version FROM state_machines WHERE arn = ?), 0)))",
            (record.arn, record.name, digest, record.role_arn, record.type, record.created,
             record.revision_id, record.status, dumps(record.logging_configuration),
             dumps(record.tracing_configuration), record.description, dumps(record.tags),
             dumps(record.encryption_configuration), record.next_version, record.arn),
        )

    def delete_state_machine(self, arn: str) -> None:
        self.changed.add(MACHINES)
        self._execute("DELETE FROM state_machines WHERE arn = ?", (arn,))

    def put_version(self, record: VersionRecord) -> None:
        self.changed.add(MACHINES)
        self._execute("INSERT OR REPLACE INTO state_machine_versions VALUES (?, ?, ?, ?)",
                      (record.arn, record.machine_arn, record.number, dumps(record)))

    def delete_version(self, arn: str) -> None:
        self.changed.add(MACHINES)
        self._execute("DELETE FROM state_machine_versions WHERE arn = ?", (arn,))

    def put_alias(self, record: AliasRecord) -> None:
        self.changed.add(MACHINES)
        self._execute("INSERT OR REPLACE INTO state_machine_aliases VALUES (?, ?, ?, ?)",
                      (record.arn, record.machine_arn, record.created, dumps(record)))

    def delete_alias(self, arn: str) -> None:
        self.changed.add(MACHINES)
        self._execute("DELETE FROM state_machine_aliases WHERE arn = ?", (arn,))
