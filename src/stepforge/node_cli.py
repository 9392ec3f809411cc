"""``stepforge engine`` (an engine alone, a node of a PostgreSQL deployment) and ``stepforge nodes`` (who is
running, their leases and their load)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from stepforge import __version__
from stepforge.engine.lease import DEFAULT_TTL

if TYPE_CHECKING:
    from stepforge.store.records import NodeRecord

DB_HELP = "a PostgreSQL URL (postgresql://user@host:port/database); without it, SQLite under --data-dir"
TTL_HELP = (f"seconds a node's lease lasts without renewal (default {DEFAULT_TTL:g}); a node that dies has its "
            "in-flight tasks started again by another node once it expires")


def add_node_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``engine`` and ``nodes``."""
    engine = commands.add_parser("engine", help="run an engine without the API: one more node of a PostgreSQL "
                                                "deployment")
    engine.add_argument("--db", required=True, metavar="URL", help="the PostgreSQL URL the serve nodes use")
    engine.add_argument("--data-dir", default="./.stepforge", type=Path,
                        help="where the approval key is kept unless the --config file gives one")
    engine.add_argument("--lease-ttl", type=float, default=DEFAULT_TTL, help=TTL_HELP)
    engine.add_argument("--account", default="000000000000", help="account id in ARNs")
    engine.add_argument("--log-level", default="warning")
    engine.add_argument("--max-history-events", type=int, default=25_000)
    engine.add_argument("--functions", action="append", default=[], metavar="MODULE",
                        help="serve the module's Python functions as Lambda functions (repeatable)")
    engine.add_argument("--config", type=Path, default=None, help="task integrations (TOML or JSON), as for serve")
    engine.add_argument("--host", default="127.0.0.1", help="a serve node's host (for approval links)")
    engine.add_argument("--port", type=int, default=8083, help="a serve node's port (for approval links)")

    nodes = commands.add_parser("nodes", help="list the nodes sharing the database: leases and load")
    nodes.add_argument("--db", default=None, metavar="URL", help=DB_HELP)
    nodes.add_argument("--data-dir", default="./.stepforge", type=Path)
    nodes.add_argument("--all", action="store_true", help="also list nodes whose lease has expired")


def add_lease_ttl(serve: argparse.ArgumentParser) -> None:
    """``serve --lease-ttl``."""
    serve.add_argument("--lease-ttl", type=float, default=DEFAULT_TTL, help=TTL_HELP)


def run_node_command(args: argparse.Namespace) -> int:
    return run_engine_command(args) if args.command == "engine" else list_nodes_command(args)


def run_engine_command(args: argparse.Namespace) -> int:
    """Run until SIGTERM/SIGINT, then release the lease at once; exit 2 when the database is unreachable."""
    import logging

    from stepforge.engine.lease import NodeSettings
    from stepforge.server import Refused, open_shared_store, run_engine
    from stepforge.tasks.cli import task_config

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.lease_ttl <= 0:
        print("stepforge: --lease-ttl must be positive", file=sys.stderr)
        return 2
    try:
        store = open_shared_store(args.db)
    except Refused as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return 2
    tasks = task_config(args)
    if tasks is None:
        store.close()
        return 2
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    print(f"stepforge {__version__} engine node on {_where(args.db)} (lease {args.lease_ttl:g} s)", flush=True)
    run_engine(store, stopping, account=args.account, max_history_events=args.max_history_events, tasks=tasks,
               node=NodeSettings(kind="engine", lease_ttl=args.lease_ttl, shared=True), relay_url=args.db)
    return 0


def list_nodes_command(args: argparse.Namespace) -> int:
    """Print the nodes as a table; 2 when the database cannot be opened."""
    from stepforge.store.base import StoreUnavailable
    from stepforge.store.open import UnknownDatabase, open_store
    from stepforge.store.sqlite import FILE_NAME

    if args.db is None and not (args.data_dir / FILE_NAME).exists():
        print(f"stepforge: no database in {args.data_dir}", file=sys.stderr)
        return 2
    try:
        store = open_store(args.db, args.data_dir)
    except (StoreUnavailable, UnknownDatabase, OSError) as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return 2
    try:
        nodes = store.list_nodes()
    finally:
        store.close()
    print_nodes(nodes, time.time(), everything=args.all)
    return 0


def print_nodes(nodes: list[NodeRecord], now: float, *, everything: bool = False) -> None:
    """A table of ``nodes`` (live ones only unless ``everything``), as seen at ``now``."""
    from rich.console import Console
    from rich.table import Table

    shown = [n for n in nodes if everything or n.lease_expires > now]
    table = Table(title=f"{len(shown)} node(s)" + ("" if everything else " with a live lease"))
    for column in ("node", "kind", "host/pid", "started", "lease expires in", "tasks held", "advanced"):
        table.add_column(column, justify="right" if column in ("tasks held", "advanced") else "left")
    for node in shown:
        left = node.lease_expires - now
        table.add_row(node.id, node.kind, f"{node.host}/{node.pid}",
                      time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(node.started)),
                      f"{left:.1f} s" if left > 0 else f"expired {-left:.1f} s ago", str(node.held),
                      str(node.advanced))
    Console(width=160).print(table)


def _where(db_url: str) -> str:
    from stepforge.store.open import describe

    return describe(db_url, Path("."))
