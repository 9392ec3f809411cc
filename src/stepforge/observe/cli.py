"""The command line's side of observing: ``serve``'s observability settings and ``stepforge audit``.

    stepforge audit [--data-dir DIR | --file FILE] [--since 1h | 2026-01-31T10:00] [--actor KEY] [--resource ARN]

prints the audit trail's matching events as a table, oldest first (``--json``: one event a line).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stepforge.observe.config import ObserveConfig

if TYPE_CHECKING:
    from stepforge.observe.observatory import Observatory
    from stepforge.store.base import Store

_RELATIVE = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def observe_config(path: Path | None) -> ObserveConfig | None:
    """``serve``'s ``[metrics]``/``[tracing]``/``[audit]`` settings, or None (after saying why) when unusable."""
    from stepforge.config_file import ConfigFileError
    from stepforge.observe.config import ObserveConfigError, load_observe

    try:
        config = load_observe(path)
    except (ObserveConfigError, ConfigFileError) as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return None
    if config.otlp_endpoint:
        try:
            import opentelemetry.exporter.otlp.proto.http  # noqa: F401
        except ImportError:
            print("stepforge: [tracing] otlp_endpoint needs OpenTelemetry: pip install 'stepforge[tracing]'",
                  file=sys.stderr)
            return None
        print(f"tracing: OpenTelemetry spans to {config.otlp_endpoint}", flush=True)
    return config


def observatory(config: ObserveConfig, store: Store, data_dir: Path) -> Observatory:
    """The observers ``serve`` runs with: the audit trail under ``data_dir`` unless configured elsewhere."""
    from stepforge.observe.observatory import Observatory

    return Observatory(config, open_executions=store.count_open_executions, data_dir=data_dir)


def add_audit_command(commands: Any) -> None:
    """Register ``stepforge audit`` on the ``commands`` subparsers."""
    audit = commands.add_parser("audit", help="show the audit trail: API calls that changed something, refused calls")
    audit.add_argument("--data-dir", default="./.stepforge", type=Path, help="the server's data directory")
    audit.add_argument("--file", type=Path, default=None, help="the trail's file ([audit] path), if not in --data-dir")
    audit.add_argument("--since", default=None, help="an ISO 8601 time, or how long ago: 30m, 2h, 7d")
    audit.add_argument("--actor", default=None, help="the access key id (or console user) that made the calls")
    audit.add_argument("--resource", default=None, help="an ARN, or part of one, that the calls name")
    audit.add_argument("--json", action="store_true", help="print the events as JSON lines")


def run_audit(args: argparse.Namespace, now: datetime | None = None) -> int:
    """``stepforge audit``: exit 0 with the table, 2 when the options or the file cannot be used."""
    from stepforge.observe.audit import FILE_NAME, files, read

    path = args.file or args.data_dir / FILE_NAME
    try:
        since = parse_since(args.since, now or datetime.now(UTC)) if args.since else None
    except ValueError as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return 2
    if not files(path):
        print(f"stepforge: no audit trail at {path}", file=sys.stderr)
        return 2
    events = list(read(path, since=since, actor_id=args.actor, resource=args.resource))
    if args.json:
        for event in events:
            print(json.dumps(event, ensure_ascii=False))
    else:
        _print_table(events)
    return 0


def parse_since(text: str, now: datetime) -> datetime:
    """``--since``: an ISO 8601 time (UTC unless it says otherwise) or a duration ago (``90s``, ``30m``, ``2h``, ``7d``)."""
    relative = _RELATIVE.fullmatch(text.strip())
    if relative is not None:
        return now - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since must be an ISO 8601 time or a duration like 30m, 2h, 7d; not {text!r}") from None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _print_table(events: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    from stepforge.observe.audit import actor

    table = Table(title=f"audit trail: {len(events)} event(s)")
    for column in ("time (UTC)", "who", "operation", "resources", "from", "result"):
        table.add_column(column)
    for event in events:
        arns = "\n".join(str(r.get("ARN", "")) for r in event.get("resources") or [])
        result = f"[red]{event['errorCode']}[/red]" if event.get("errorCode") else "ok"
        table.add_row(str(event.get("eventTime", "")), actor(event), str(event.get("eventName", "")), arns,
                      str(event.get("sourceIPAddress", "")), result)
    Console().print(table)
