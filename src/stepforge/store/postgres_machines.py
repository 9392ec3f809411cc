"""PostgreSQL: state machines, their versions and aliases (each a JSON body beside its keys)."""

from __future__ import annotations

import json
from typing import Any

from stepforge.store import cursors
from stepforge.store.codec import dumps
from stepforge.store.postgres_db import PostgresSession, PostgresWriter
from stepforge.store.records import AliasRecord, Page, StateMachineRecord, VersionRecord

_MACHINE_COLUMNS = ("arn, name, definition_hash, role_arn, type, created, revision_id, status, logging, tracing, "
                    "description, tags, encryption, next_version")
#: ASCII letters to lower case and nothing else, as SQLite's ``lower()`` (the contract's name search).
ASCII_LOWER = "translate({}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_ASCII_TABLE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def contains(column: str) -> str:
    """A condition: ``column`` contains the parameter, ASCII letters compared case-insensitively (pass
    the parameter through :func:`ascii_lower`)."""
    return f"strpos({ASCII_LOWER.format(column)}, %s) > 0"


def ascii_lower(text: str) -> str:
    return text.translate(_ASCII_TABLE)


class PostgresMachineReads(PostgresSession):
    """The reads of the state machine aggregate (:class:`~stepforge.store.base.StateMachineReads`)."""

    def _machine(self, row: tuple[Any, ...]) -> StateMachineRecord:
        (arn, name, digest, role_arn, type_, created, revision, status, logging, tracing, description,
         tags, encryption, next_version) = row
        return StateMachineRecord(
            arn=arn, name=name, definition=self._definition(digest), role_arn=role_arn, type=type_,
            created=created, revision_id=revision, status=status, logging_configuration=json.loads(logging),
            tracing_configuration=json.loads(tracing), description=description, tags=json.loads(tags),
            encryption_configuration=json.loads(encryption), next_version=next_version,
        )

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        row = self._execute(f"SELECT {_MACHINE_COLUMNS} FROM state_machines WHERE arn = %s", (arn,)).fetchone()
        return None if row is None else self._machine(row)

    def list_state_machines(self, *, status: str | None = None, name_contains: str | None = None,
                            after: str | None = None, limit: int) -> Page[StateMachineRecord]:
        where, params = ["TRUE"], list[Any]()
        if status is not None:
            where.append("status = %s")
            params.append(status)
        if name_contains is not None:
            where.append(contains("name"))
            params.append(ascii_lower(name_contains))
        if after is not None:
            where.append("(created, arn) > (%s, %s)")
            params += cursors.decode(after, float, str)
        rows = self._execute(f"SELECT {_MACHINE_COLUMNS} FROM state_machines WHERE {' AND '.join(where)} "
                             "ORDER BY created, arn LIMIT %s", (*params, limit + 1)).fetchall()
        found = [self._machine(row) for row in rows[:limit]]
        more = len(rows) > limit and found
        return Page(found, cursors.encode(found[-1].created, found[-1].arn) if more else None)

    def get_version(self, arn: str) -> VersionRecord | None:
        row = self._execute("SELECT body FROM state_machine_versions WHERE arn = %s", (arn,)).fetchone()
        return None if row is None else VersionRecord(**json.loads(row[0]))

    def list_versions(self, machine_arn: str) -> list[VersionRecord]:
        rows = self._execute("SELECT body FROM state_machine_versions WHERE machine_arn = %s ORDER BY number DESC",
                             (machine_arn,)).fetchall()
        return [VersionRecord(**json.loads(row[0])) for row in rows]

    def get_alias(self, arn: str) -> AliasRecord | None:
        row = self._execute("SELECT body FROM state_machine_aliases WHERE arn = %s", (arn,)).fetchone()
        return None if row is None else AliasRecord(**json.loads(row[0]))

    def list_aliases(self, machine_arn: str) -> list[AliasRecord]:
        rows = self._execute("SELECT body FROM state_machine_aliases WHERE machine_arn = %s ORDER BY created, arn",
                             (machine_arn,)).fetchall()
        return [AliasRecord(**json.loads(row[0])) for row in rows]


def upsert(table: str, columns: str, key: str, *, never_down: str | None = None) -> str:
    """``INSERT OR REPLACE`` in PostgreSQL's words: insert the row, or overwrite the one with its ``key``
    (but the column ``never_down``, if given, keeps the greater of its two values)."""
    names = [name.strip() for name in columns.split(",")]
    updates = ", ".join(f"{name} = GREATEST({table}.{name}, EXCLUDED.{name})" if name == never_down
                        else f"{name} = EXCLUDED.{name}" for name in names if name != key)
    return (f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(names))}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}")


_PUT_MACHINE = upsert("state_machines", _MACHINE_COLUMNS, "arn", never_down="next_version")
_PUT_VERSION = upsert("state_machine_versions", "arn, machine_arn, number, body", "arn")
_PUT_ALIAS = upsert("state_machine_aliases", "arn, machine_arn, created, body", "arn")


class PostgresMachineWrites(PostgresMachineReads, PostgresWriter):
    """The writes of the state machine aggregate (:class:`~stepforge.store.base.StateMachineWrites`)."""

    def put_state_machine(self, record: StateMachineRecord) -> None:
        digest = self._store_definition(record.definition)
        self._execute(_PUT_MACHINE, (
            record.arn, record.name, digest, record.role_arn, record.type, record.created,
            record.revision_id, record.status, dumps(record.logging_configuration),
            dumps(record.tracing_configuration), record.description, dumps(record.tags),
            dumps(record.encryption_configuration), record.next_version))

    def hold_state_machine(self, arn: str) -> StateMachineRecord | None:
        row = self._execute(f"SELECT {_MACHINE_COLUMNS} FROM state_machines WHERE arn = %s FOR UPDATE",
                            (arn,)).fetchone()
        return None if row is None else self._machine(row)

    def delete_state_machine(self, arn: str) -> None:
        self._execute("DELETE FROM state_machines WHERE arn = %s", (arn,))

    def put_version(self, record: VersionRecord) -> None:
        self._execute(_PUT_VERSION, (record.arn, record.machine_arn, record.number, dumps(record)))

    def delete_version(self, arn: str) -> None:
        self._execute("DELETE FROM state_machine_versions WHERE arn = %s", (arn,))

    def put_alias(self, record: AliasRecord) -> None:
        self._execute(_PUT_ALIAS, (record.arn, record.machine_arn, record.created, dumps(record)))

    def delete_alias(self, arn: str) -> None:
        self._execute("DELETE FROM state_machine_aliases WHERE arn = %s", (arn,))
