"""``stepforge db check`` and ``stepforge db migrate``, on SQLite (``--data-dir``) or PostgreSQL (``--db``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stepforge.store.check import CheckReport

DB_HELP = "a PostgreSQL URL (postgresql://user@host:port/database); without it, SQLite under --data-dir"


def add_db_commands(db: argparse.ArgumentParser) -> None:
    """The ``db`` command's subcommands."""
    commands = db.add_subparsers(dest="db_command", required=True)
    check = commands.add_parser("check", help="verify that histories and execution state agree")
    migrate = commands.add_parser("migrate", help="apply pending schema migrations (idempotent)")
    for command in (check, migrate):
        command.add_argument("--data-dir", default="./.stepforge", type=Path)
        command.add_argument("--db", default=None, metavar="URL", help=DB_HELP)


def run_db(args: argparse.Namespace) -> int:
    return _migrate(args) if args.db_command == "migrate" else _check(args)


def _check(args: argparse.Namespace) -> int:
    """Print each problem found (the file's own, then the records'); 1 if any, 2 if unreadable."""
    from stepforge.server import Refused
    from stepforge.store.base import StoreUnavailable
    from stepforge.store.sqlite import FILE_NAME

    if args.db is None and not (args.data_dir / FILE_NAME).exists():
        print(f"stepforge: no database in {args.data_dir}", file=sys.stderr)
        return 2
    try:
        report = _report(args.db, args.data_dir)
    except (Refused, StoreUnavailable) as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(problem)
    print(f"{report.executions} executions, {report.events} events, {len(report.problems)} problems")
    return 1 if report.problems else 0


def _report(db_url: str | None, data_dir: Path) -> CheckReport:
    from stepforge.server import open_checked_store, open_shared_store
    from stepforge.store.check import check_file, check_store

    if db_url is not None:
        store = open_shared_store(db_url)
        try:
            return check_store(store)
        finally:
            store.close()
    sqlite = open_checked_store(data_dir, check=False)
    try:
        return check_file(sqlite)
    finally:
        sqlite.close()


def _migrate(args: argparse.Namespace) -> int:
    """Bring the schema to the latest version; print the version before and after. 2 if unreachable."""
    from stepforge.store.base import StoreUnavailable
    from stepforge.store.open import UnknownDatabase, describe, open_store, stored_version

    try:
        before = stored_version(args.db, args.data_dir)
        store = open_store(args.db, args.data_dir)
    except (UnknownDatabase, StoreUnavailable, OSError) as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return 2
    try:
        after = stored_version(args.db, args.data_dir)
    finally:
        store.close()
    where = describe(args.db, args.data_dir)
    if before == after:
        print(f"{where}: schema version {after}, up to date")
    else:
        print(f"{where}: schema version {before} -> {after} (applied {after - before} migrations)")
    return 0
