"""What the operator configures for Task integrations: functions, mocks, HTTP, pass-through, approvals.

``stepforge serve --functions myapp.tasks --config stepforge.toml`` reads, for example::

    [functions]
    isolation = "thread"            # or "process": every handler in a worker process
    resize = "myapp.images:resize"  # an explicit name -> handler mapping
    encode = { handler = "myapp.video:encode", timeout = 600, isolation = "process" }

    [mocks]
    file = "MockConfigFile.json"    # Step Functions Local's format; also $SFN_MOCK_CONFIG

    [http]
    allow = ["127.0.0.1:9000", "localhost"]       # non-public targets allowed (SSRF guard)
    response_limit = 262144                       # bytes of a response body; more fails the task
    [http.connections.orders]                     # ConnectionArn ...:connection/orders
    api_key = { name = "x-api-key", value = "secret" }
    hosts = ["api.example.com"]                   # the only hosts its credentials are sent to

    [passthrough]
    endpoint_url = "http://localhost:4566"        # aws-sdk:* and other integrations, via boto3
    poll_seconds = 5                              # how often .sync describes a job (default: AWS's pace)
    [passthrough.endpoints]
    lambda = "http://localhost:9001"              # per service (boto3's name), before endpoint_url

    [s3.buckets]                                  # Distributed Map ItemReader/ResultWriter buckets
    media = "/srv/media"                          # that are local directories (others: endpoint_url)

    [approval]
    base_url = "http://127.0.0.1:8083"            # where approve/reject links point
    secret = "..."                                # signs them (default: a key in the data dir)

JSON files with the same structure work too.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stepforge.config_file import ConfigFileError, read_config
from stepforge.tasks.functions import FunctionRegistry


@dataclass
class HttpSettings:
    """The HTTP Task's allow-list (``host`` or ``host:port``), named connections, timeout and the
    most bytes a response body may have (the 256 KiB task result limit by default)."""

    allow: list[str] = field(default_factory=list)
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    timeout: float = 60.0
    response_limit: int = 256 * 1024


@dataclass
class TaskConfig:
    """Everything the dispatcher needs besides the store; the defaults reach nothing but activities."""

    functions: FunctionRegistry = field(default_factory=FunctionRegistry)
    isolation: str = "thread"
    threads: int = 64
    processes: int = 0
    inline: bool = False              # run task work in the engine's thread (tests on a manual clock)
    mocks: dict[str, Any] | None = None
    http: HttpSettings = field(default_factory=HttpSettings)
    endpoint_url: str | None = None   # the AWS pass-through
    endpoints: dict[str, str] = field(default_factory=dict)  # per service, e.g. {"lambda": URL}
    poll_seconds: float | None = None  # .sync on job services: seconds between two describes (None: AWS's pace)
    approval_base_url: str = "http://127.0.0.1:8083"
    approval_secret: bytes = b""
    region: str = "us-east-1"
    account: str = "000000000000"
    buckets: dict[str, str] = field(default_factory=dict)  # [s3.buckets]: bucket name -> directory


    def endpoint_for(self, service: str) -> str | None:
        """Where calls to ``service`` (boto3's name: "lambda", "sqs", "stepfunctions", ...) go, if anywhere."""
        return self.endpoints.get(service) or self.endpoint_url


class ConfigError(Exception):
    """A configuration file or module that cannot be used; the message says which and why."""


def load(path: Path | None, modules: list[str] | None = None, config: TaskConfig | None = None) -> TaskConfig:
    """A TaskConfig from a TOML/JSON file and ``--functions`` modules."""
    config = config or TaskConfig()
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = read_config(path)
        except ConfigFileError as exc:
            raise ConfigError(str(exc)) from None
    base = path.parent if path is not None else Path.cwd()
    try:
        for module in modules or []:
            config.functions.load_module(module)
        _functions(config, data.get("functions", {}))
    except (ImportError, AttributeError, ValueError, TypeError) as exc:
        raise ConfigError(f"functions: {exc}") from None
    _mocks(config, data.get("mocks", {}), base)
    http = data.get("http", {})
    config.http = HttpSettings(list(http.get("allow", [])), dict(http.get("connections", {})),
                               float(http.get("timeout", 60.0)), int(http.get("response_limit", 256 * 1024)))
    passthrough = data.get("passthrough", {})
    config.endpoint_url = passthrough.get("endpoint_url") or config.endpoint_url
    config.endpoints.update({str(k): str(v) for k, v in (passthrough.get("endpoints") or {}).items()})
    if passthrough.get("poll_seconds") is not None:
        config.poll_seconds = float(passthrough["poll_seconds"])
    buckets = (data.get("s3") or {}).get("buckets") or {}
    config.buckets.update({str(name): str(base / str(root)) for name, root in buckets.items()})
    approval = data.get("approval", {})
    config.approval_base_url = approval.get("base_url", config.approval_base_url)
    if approval.get("secret"):
        config.approval_secret = str(approval["secret"]).encode()
    return config


def _functions(config: TaskConfig, section: dict[str, Any]) -> None:
    for name, entry in section.items():
        if name in ("isolation", "threads", "processes"):
            setattr(config, name, entry)
        elif isinstance(entry, str):
            config.functions.load_target(name, entry)
        elif isinstance(entry, dict) and "handler" in entry:
            config.functions.load_target(name, entry["handler"], timeout=entry.get("timeout"),
                                         isolation=entry.get("isolation"))
        else:
            raise ValueError(f"{name}: expected 'module:function' or a table with a 'handler'")
    if config.isolation not in ("thread", "process"):
        raise ValueError(f"isolation must be 'thread' or 'process', not {config.isolation!r}")


def _mocks(config: TaskConfig, section: dict[str, Any], base: Path) -> None:
    name = section.get("file") or os.environ.get("SFN_MOCK_CONFIG")
    if not name:
        return
    path = Path(name) if Path(name).is_absolute() else base / name
    try:
        config.mocks = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"mocks: {path}: {exc}") from None
