"""The ``stepforge`` command: ``serve`` the API, ``run`` one execution in-process, ``validate`` definitions."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stepforge import __version__
from stepforge.db_cli import DB_HELP, add_db_commands, run_db
from stepforge.node_cli import add_lease_ttl, add_node_commands, run_node_command

if TYPE_CHECKING:
    from stepforge.api.credentials import AuthConfig
    from stepforge.api.throttle_config import ThrottleConfig
    from stepforge.engine.logs import LogSettings


def build_parser() -> argparse.ArgumentParser:
    """The whole ``stepforge`` command line, every subcommand registered; building it runs nothing.

    ``scripts/gen_cli_docs.py`` renders it into ``docs/cli.md``.
    """
    from stepforge import schedules_cli
    from stepforge.deploy import cli as deploy_cli
    from stepforge.observe.cli import add_audit_command
    from stepforge.testcli import add_commands  # `test` and `replay`

    parser = argparse.ArgumentParser(prog="stepforge", description="Amazon States Language on your own machines.")
    parser.add_argument("--version", action="version", version=f"stepforge {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_serve(commands)
    commands.add_parser("hash-password", help="read a console user's password (prompt or stdin) and print the "
                                              "hash for [auth.users.NAME] password")
    _add_worker(commands)
    add_db_commands(commands.add_parser("db", help="check or migrate the database"))
    add_node_commands(commands)
    _add_run(commands)
    _add_validate(commands)
    add_commands(commands)
    deploy_cli.add_parser(commands)
    schedules_cli.add_parser(commands)
    add_audit_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    from stepforge import schedules_cli
    from stepforge.deploy import cli as deploy_cli
    from stepforge.observe.cli import run_audit

    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "serve": _serve, "hash-password": lambda _: _hash_password(), "worker": _worker, "db": run_db,
        "engine": run_node_command, "nodes": run_node_command, "run": _run, "validate": _validate,
        "test": _own_handler, "replay": _own_handler, "deploy": deploy_cli.run, "schedules": schedules_cli.run,
        "audit": run_audit,
    }
    return handlers[args.command](args)


def _own_handler(args: argparse.Namespace) -> int:
    return int(args.handler(args))


def _worker(args: argparse.Namespace) -> int:
    from stepforge.tasks.cli import run_worker

    return run_worker(args)


def _add_serve(commands: Any) -> None:
    serve = commands.add_parser("serve", help="serve the Step Functions API (and engine) on one port")
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to bind; anything but loopback needs [auth.keys] or --no-auth")
    serve.add_argument("--port", type=int, default=8083, help="the one port of the API, the console and /metrics")
    serve.add_argument("--data-dir", default="./.stepforge", type=Path, metavar="DIR",
                       help="the SQLite database, approval key, audit trail and logs (locked by one server)")
    serve.add_argument("--db", default=None, metavar="URL", help=DB_HELP)
    add_lease_ttl(serve)
    serve.add_argument("--account", default="000000000000", help="account id in ARNs")
    serve.add_argument("--log-level", default="warning", help="the server's own log level (debug, info, warning, ...)")
    serve.add_argument("--sqlite-synchronous", default="FULL", choices=["FULL", "NORMAL"],
                       help="SQLite durability: FULL survives power loss, NORMAL only process crashes")
    serve.add_argument("--skip-check", action="store_true",
                       help="start without PRAGMA quick_check of the database (it reads the whole file once)")
    serve.add_argument("--max-open-executions", type=int, default=1_000_000, metavar="N",
                       help="StartExecution answers ExecutionLimitExceeded beyond this many open executions")
    serve.add_argument("--max-history-events", type=int, default=25_000, metavar="N",
                       help="fail an execution whose history grows past this, as AWS does (0: no limit)")
    serve.add_argument("--functions", action="append", default=[], metavar="MODULE",
                       help="serve the module's Python functions as Lambda functions (repeatable)")
    serve.add_argument("--config", type=Path, default=None, metavar="FILE",
                       help="task integrations: functions, mocks, HTTP, pass-through, approvals, [auth] keys "
                            "(TOML or JSON; see docs/configuration.md)")
    serve.add_argument("--no-auth", action="store_true",
                       help="allow a non-loopback --host with no [auth.keys] (anyone who reaches it may call the "
                            "API); configured keys are always required")
    serve.add_argument("--tls-cert", type=Path, default=None, metavar="PEM", help="serve HTTPS with this certificate (PEM chain)")
    serve.add_argument("--tls-key", type=Path, default=None, metavar="PEM", help="the private key (PEM) of --tls-cert")


def _add_worker(commands: Any) -> None:
    work = commands.add_parser("worker", help="run @stepforge.activity handlers against a server")
    work.add_argument("--activities", action="append", required=True, metavar="MODULE",
                      help="a module with @stepforge.activity handlers (repeatable)")
    work.add_argument("--endpoint", default="http://127.0.0.1:8083", help="the stepforge (or AWS) endpoint URL")
    work.add_argument("--region", default="us-east-1", help="the region the worker's requests are signed for")
    work.add_argument("--concurrency", type=int, default=4, help="pollers (and tasks in hand) per activity")
    work.add_argument("--name", default="stepforge-worker", help="the worker name sent with each poll")


def _add_run(commands: Any) -> None:
    run = commands.add_parser("run", help="run one execution in-process and print its output")
    run.add_argument("definition", type=Path, help="an ASL definition (JSON)")
    run.add_argument("--input", default="{}", help="the execution input: JSON text, or @FILE")
    run.add_argument("--functions", action="append", default=[], metavar="MODULE",
                     help="a module whose Python functions serve as Lambda functions (repeatable)")
    run.add_argument("--config", type=Path, default=None, metavar="FILE", help="task integrations (TOML or JSON), as for serve")
    run.add_argument("--history", action="store_true", help="also print the event history")
    run.add_argument("--name", default=None, help="the execution name")


def _add_validate(commands: Any) -> None:
    lint = commands.add_parser("validate", help="validate definitions (JSON or YAML) like ValidateStateMachineDefinition")
    lint.add_argument("files", nargs="+", type=Path, help="ASL definitions: .json, .yaml or .yml")
    lint.add_argument("--type", default="STANDARD", choices=("STANDARD", "EXPRESS"), help="the state machine type")
    lint.add_argument("--errors-only", action="store_true", help="do not show warnings")
    lint.add_argument("--config", type=Path, default=None, metavar="FILE",
                      help="the server's task configuration: warn about Task resources it cannot reach")
    lint.add_argument("--functions", action="append", default=[], metavar="MODULE",
                      help="a module of Python functions the server registers (repeatable), as for serve")


def _serve(args: argparse.Namespace) -> int:
    """Exit 2, having run nothing, when the data directory is another server's, its database is
    damaged, the approval key is unusable or the port is taken."""
    from stepforge.engine.lease import NodeSettings
    from stepforge.observe.cli import observatory, observe_config
    from stepforge.server import Refused, serve, start_up
    from stepforge.tasks.cli import task_config

    auth = _auth_config(args)  # before anything touches the data directory
    throttle = _throttle_config(args)
    observing = observe_config(args.config)
    usable, tls = _tls(args)
    logs = _logs_config(args)
    if auth is None or throttle is None or not usable or logs is None or observing is None:
        return 2
    try:
        startup = start_up(args.data_dir, host=args.host, port=args.port, synchronous=args.sqlite_synchronous,
                           check=not args.skip_check, db_url=args.db)
    except Refused as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return 2
    tasks = task_config(args)
    if tasks is None:
        startup.store.close()
        startup.close()
        return 2
    scheme = "https" if tls else "http"
    print(f"stepforge {__version__} serving the Step Functions API on {scheme}://{args.host}:{args.port}", flush=True)
    print(f"data: {_where(args)}", flush=True)
    print(f"export AWS_ENDPOINT_URL_SFN={scheme}://{args.host}:{args.port}", flush=True)
    try:
        serve(startup.store, startup.socket, account=args.account, log_level=args.log_level,
              max_open_executions=args.max_open_executions, max_history_events=args.max_history_events,
              tasks=tasks, auth=auth, host=args.host, throttle=throttle, tls=tls, logs=logs,
              node=NodeSettings(lease_ttl=args.lease_ttl, shared=args.db is not None, ledger=startup.lock),
              relay_url=args.db,
              observe=observatory(observing, startup.store, args.data_dir))
    finally:
        startup.close()
    return 0


def _where(args: argparse.Namespace) -> str:
    from stepforge.store.open import describe

    where = describe(args.db, args.data_dir)
    return where if args.db else f"{where} (synchronous={args.sqlite_synchronous})"


def _auth_config(args: argparse.Namespace) -> AuthConfig | None:
    """``serve``'s ``[auth]`` settings, or None (after saying why) when the server must not start."""
    from stepforge.api.credentials import AuthConfigError, load_auth
    from stepforge.api.hosts import is_loopback

    try:
        auth = load_auth(args.config)
    except AuthConfigError as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return None
    if not auth.keys and not args.no_auth and not is_loopback(args.host):
        print(f"stepforge: refusing to serve --host {args.host} without authentication: anyone who reaches it could "
              "create machines and run tasks. Add access keys under [auth.keys] in the --config file, or pass "
              "--no-auth to serve it open anyway.", file=sys.stderr)
        return None
    if auth.keys:
        print(f"auth: SigV4 with {len(auth.keys)} access key(s)", flush=True)
    if auth.users:
        print(f"console: login required ({len(auth.users)} user(s))", flush=True)
        if not is_loopback(args.host) and args.tls_cert is None:
            print("stepforge: warning: console passwords and session cookies cross the network in clear text; "
                  "serve with --tls-cert/--tls-key (or behind a TLS proxy)", file=sys.stderr, flush=True)
    elif auth.keys:
        print("console: no [auth.users], so its JSON API answers only signed requests", flush=True)
    return auth


def _tls(args: argparse.Namespace) -> tuple[bool, tuple[Path, Path] | None]:
    """Whether the TLS options can be used (after saying why not), and ``(cert, key)`` for HTTPS or None."""
    if args.tls_cert is None and args.tls_key is None:
        return True, None
    if args.tls_cert is None or args.tls_key is None:
        print("stepforge: --tls-cert and --tls-key go together", file=sys.stderr)
        return False, None
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(args.tls_cert, args.tls_key)
    except (OSError, ssl.SSLError) as exc:
        print(f"stepforge: cannot use --tls-cert {args.tls_cert} with --tls-key {args.tls_key}: {exc}", file=sys.stderr)
        return False, None
    return True, (args.tls_cert, args.tls_key)


def _hash_password() -> int:
    """Print the scrypt hash of a password typed twice (or read from standard input when piped)."""
    import getpass

    from stepforge.api.users import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("stepforge: the passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        print("stepforge: a password needs at least 8 characters", file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0


def _throttle_config(args: argparse.Namespace) -> ThrottleConfig | None:
    """``serve``'s ``[throttle]`` settings, or None (after saying why) when they cannot be used."""
    from stepforge.api.throttle_config import ThrottleConfigError, load_throttle

    try:
        throttle = load_throttle(args.config)
    except ThrottleConfigError as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return None
    if throttle.enabled:
        print(f"throttle: AWS's API quotas per operation and region ({len(throttle.operations)} overridden)",
              flush=True)
    return throttle


def _logs_config(args: argparse.Namespace) -> LogSettings | None:
    """``serve``'s ``[logs]`` settings (where execution logs go), or None (after saying why)."""
    from stepforge.engine.logs_config import LogsConfigError, load_logs

    try:
        return load_logs(args.config, args.data_dir)
    except LogsConfigError as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return None


def _run(args: argparse.Namespace) -> int:
    from stepforge.local import LocalRunner, RunError
    from stepforge.progress import MapRunProgress
    from stepforge.tasks.config import ConfigError, load

    try:
        definition = args.definition.read_text()
        text = Path(args.input[1:]).read_text() if args.input.startswith("@") else args.input
        if args.functions or args.config:
            sys.path.insert(0, str(Path.cwd()))
        tasks = load(args.config, args.functions) if args.functions or args.config else None
        runner = LocalRunner(tasks)
        with MapRunProgress(runner.ctx) as bars:
            result = runner.run(definition, text, name=args.name, watch=bars.update)
    except (OSError, RunError, ConfigError) as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return 2
    if args.history:
        _print_history(result["events"])
    if result["status"] == "SUCCEEDED":
        print(json.dumps(json.loads(result["output"]), indent=2))
        return 0
    print(f"{result['status']}: {result.get('error')}: {result.get('cause')}", file=sys.stderr)
    return 1


def _validate(args: argparse.Namespace) -> int:
    """Print ``file:line:col: CODE: message`` per diagnostic; 1 when any file has errors, 2 when unreadable."""
    from stepforge.asl.validation.validator import validate_and_compile

    try:
        reachable = _reachability(args)
    except (OSError, ValueError) as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return 2
    status = 0
    for path in args.files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{path}: cannot read: {exc}", file=sys.stderr)
            status = 2
            continue
        is_yaml = path.suffix.lower() in (".yaml", ".yml")
        severity = "ERROR" if args.errors_only else "WARNING"
        checked = validate_and_compile(text, is_yaml=is_yaml, machine_type=args.type, severity=severity,
                                       reachable=reachable)
        report = checked.report
        for diagnostic in report.diagnostics:
            line, column = checked.position(diagnostic)
            suffix = " (warning)" if diagnostic.severity == "WARNING" else ""
            print(f"{path}:{line}:{column}: {diagnostic.code}: {diagnostic.message.splitlines()[0]}{suffix}")
        if report.result == "FAIL":
            status = max(status, 1)
    return status


def _reachability(args: argparse.Namespace) -> Callable[[str], bool] | None:
    """With ``--config``/``--functions``: whether that server configuration reaches a Task resource."""
    if not args.config and not args.functions:
        return None
    from stepforge.tasks.config import ConfigError, load
    from stepforge.tasks.reach import reaches

    sys.path.insert(0, str(Path.cwd()))
    try:
        config = load(args.config, args.functions)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    return lambda resource: reaches(config, resource)


def _print_history(events: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Execution history")
    for column in ("id", "prev", "type", "details"):
        table.add_column(column)
    for event in events:
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), None)
        stamp = time.strftime("%H:%M:%S", time.gmtime(event["timestamp"]))
        table.add_row(str(event["id"]), str(event["previousEventId"]), f"{event['type']} @{stamp}",
                      json.dumps(details) if details else "")
    Console(stderr=True).print(table)


if __name__ == "__main__":
    raise SystemExit(main())
