"""``stepforge test`` (a MockConfigFile's test cases on the manual clock) and ``stepforge replay``.

    stepforge test machine.asl.json --mocks MockConfigFile.json [--name NAME] [--case CASE]
    stepforge replay history.json machine.v2.asl.json

``test`` prints a table (case, final status, path, time) and exits 0 when every case ended as
expected (SUCCEEDED unless ``--expect CASE=STATUS``), 1 otherwise, 2 when a file cannot be used.
``replay`` exits 0 when the new definition replays the recording, 1 when it diverges, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_commands(commands: Any) -> None:
    """Register ``test`` and ``replay`` on the ``stepforge`` command's subparsers."""
    test = commands.add_parser("test", help="run a MockConfigFile's test cases on a manual clock")
    test.add_argument("definition", type=Path, help="an ASL definition (JSON or YAML) or a CloudFormation/SAM template")
    test.add_argument("--mocks", type=Path, required=True, help="the MockConfigFile (Step Functions Local's format)")
    test.add_argument("--name", default=None, help="the state machine of the MockConfigFile (default: its only one)")
    test.add_argument("--case", action="append", default=None, help="run only this test case (repeatable)")
    test.add_argument("--input", default="{}", help="the execution input: JSON text, or @FILE")
    test.add_argument("--resource", default=None, help="the template's state machine resource (logical id)")
    test.add_argument("--expect", action="append", default=[], metavar="CASE=STATUS",
                      help="the status a case should end with (default SUCCEEDED)")
    test.set_defaults(handler=run_test)
    again = commands.add_parser("replay", help="replay a recorded history against a (changed) definition")
    again.add_argument("history", type=Path, help="GetExecutionHistory JSON (from stepforge or AWS)")
    again.add_argument("definition", type=Path, help="the new definition (JSON, YAML or a template)")
    again.add_argument("--resource", default=None, help="the template's state machine resource (logical id)")
    again.set_defaults(handler=run_replay)


def run_test(args: argparse.Namespace) -> int:
    from stepforge.pytest_plugin.cases import CaseError, run_cases
    from stepforge.pytest_plugin.definitions import DefinitionFileError, load_definition, read_document

    try:
        expected = _expectations(args.expect)
        definition = load_definition(args.definition, resource=args.resource)
        config = read_document(args.mocks)
        text = Path(args.input[1:]).read_text() if args.input.startswith("@") else args.input
        results = run_cases(definition, config, name=args.name, cases=args.case, value=json.loads(text))
    except (OSError, ValueError, CaseError, DefinitionFileError) as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return 2
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{args.definition.name}: {len(results)} test case(s)")
    for column in ("case", "status", "path", "time", "wall"):
        table.add_column(column)
    failed = 0
    for result in results:
        ok = result.status == expected.get(result.case, "SUCCEEDED")
        failed += not ok
        status = result.status + (f" ({result.error})" if result.error else "")
        table.add_row(result.case, f"[{'green' if ok else 'red'}]{status}[/]", " → ".join(result.path),
                      _duration(result.seconds), f"{1000 * result.wall_seconds:.0f} ms")
    Console().print(table)
    for result in results:
        if result.status != expected.get(result.case, "SUCCEEDED"):
            print(f"{result.case}: {result.status}: {result.error or ''}: {result.cause or ''}", file=sys.stderr)
    if failed:
        print(f"{failed} of {len(results)} case(s) did not end as expected", file=sys.stderr)
    return 1 if failed else 0


def run_replay(args: argparse.Namespace) -> int:
    from stepforge.pytest_plugin.definitions import DefinitionFileError, load_definition, read_document
    from stepforge.pytest_plugin.replay import replay
    from stepforge.service.errors import ApiError

    try:
        report = replay(read_document(args.history), load_definition(args.definition, resource=args.resource))
    except (OSError, ValueError, KeyError, TypeError, DefinitionFileError) as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return 2
    except ApiError as exc:
        print(f"stepforge: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    print(f"recorded ({report.recorded_status}): {' → '.join(report.recorded_path)}")
    print(f"replayed ({report.replayed_status}): {' → '.join(report.replayed_path)}")
    if report.divergence is None:
        print("compatible: the new definition takes the recorded path")
        return 0
    print(f"diverges {report.divergence.message}")
    return 1


def _expectations(pairs: list[str]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        case, sep, status = pair.partition("=")
        if not sep or not case or not status:
            raise ValueError(f"--expect {pair!r}: expected CASE=STATUS")
        found[case] = status.upper()
    return found


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
