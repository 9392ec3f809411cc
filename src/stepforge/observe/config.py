"""``serve``'s observability settings: the ``[metrics]``, ``[tracing]`` and ``[audit]`` sections of ``--config``.

    [metrics]
    enabled = true            # /metrics and the console dashboard (default: on)
    node = "api-1"            # the ``node`` label (default: hostname:pid)
    bearer_token = "s3cret"   # with [auth] keys: what a scraper sends as "Authorization: Bearer ..."
    public = false            # with [auth] keys: serve /metrics without the token anyway

    [tracing]
    otlp_endpoint = "http://127.0.0.1:4318/v1/traces"   # OTLP/HTTP; absent: no tracing at all
    service_name = "stepforge"

    [audit]
    enabled = true            # default: on, to <data-dir>/audit.jsonl
    path = "/var/log/stepforge/audit.jsonl"
    max_bytes = 104857600     # rotate past this size (audit.jsonl.1 ... .N)
    keep = 10
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stepforge.config_file import read_config

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_KEEP = 10


class ObserveConfigError(ValueError):
    """A setting that cannot be used; the message names the file and the field."""


@dataclass
class ObserveConfig:
    """What to observe and where to send it (see the module's docstring for the file's shape)."""

    metrics: bool = True
    node: str = ""
    metrics_token: str | None = None
    metrics_public: bool = False
    otlp_endpoint: str | None = None
    service_name: str = "stepforge"
    audit: bool = True
    audit_path: Path | None = None
    audit_max_bytes: int = DEFAULT_MAX_BYTES
    audit_keep: int = DEFAULT_KEEP

    def __post_init__(self) -> None:
        self.node = self.node or default_node()


def default_node() -> str:
    """This process's node id: ``hostname:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def load_observe(path: Path | None) -> ObserveConfig:
    """The settings of the ``--config`` file at ``path`` (defaults without a file)."""
    if path is None:
        return ObserveConfig()
    data = read_config(path)
    metrics = _section(data, "metrics", path)
    tracing = _section(data, "tracing", path)
    audit = _section(data, "audit", path)
    audit_path = _get(audit, "path", str, None, path, "audit")
    return ObserveConfig(
        metrics=_get(metrics, "enabled", bool, True, path, "metrics"),
        node=_get(metrics, "node", str, "", path, "metrics"),
        metrics_token=_get(metrics, "bearer_token", str, None, path, "metrics"),
        metrics_public=_get(metrics, "public", bool, False, path, "metrics"),
        otlp_endpoint=_get(tracing, "otlp_endpoint", str, None, path, "tracing"),
        service_name=_get(tracing, "service_name", str, "stepforge", path, "tracing"),
        audit=_get(audit, "enabled", bool, True, path, "audit"),
        audit_path=Path(audit_path) if audit_path else None,
        audit_max_bytes=_get(audit, "max_bytes", int, DEFAULT_MAX_BYTES, path, "audit"),
        audit_keep=_get(audit, "keep", int, DEFAULT_KEEP, path, "audit"),
    )


def _section(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise ObserveConfigError(f"{path}: [{name}] must be a table")
    return section


def _get(section: dict[str, Any], key: str, kind: type, default: Any, path: Path, name: str) -> Any:
    value = section.get(key, default)
    if value is default:
        return value
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ObserveConfigError(f"{path}: {name}.{key} must be a {kind.__name__}, not {value!r}")
    if isinstance(value, int) and not isinstance(value, bool) and value < 1:
        raise ObserveConfigError(f"{path}: {name}.{key} must be at least 1, not {value!r}")
    return value
