"""The ``[throttle]`` section of ``serve --config``: whether API calls are rate-limited, and how.

```toml
[throttle]
enabled = true                       # default false: no [throttle] section, or enabled = false, never throttles

[throttle.operations]                # optional; replaces AWS's default quota of the operations it names
StartExecution = { bucket = 1300, refill = 300 }     # burst size, tokens added per second
GetExecutionHistory = { bucket = 10, refill = 0.5 }
```

The defaults are AWS's (see :data:`stepforge.api.throttle.AWS_QUOTAS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stepforge.api.credentials import OPERATIONS
from stepforge.config_file import ConfigFileError, read_config


class ThrottleConfigError(ValueError):
    """A ``[throttle]`` section that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Quota:
    """One token bucket's shape: ``bucket`` tokens at most (the burst), ``refill`` tokens added per second."""

    bucket: float
    refill: float


@dataclass(frozen=True)
class ThrottleConfig:
    """Whether the API throttles, and the per-operation quotas that replace AWS's defaults."""

    enabled: bool = False
    operations: dict[str, Quota] = field(default_factory=dict)


def load_throttle(path: Path | None) -> ThrottleConfig:
    """The ``[throttle]`` section of a TOML (or ``.json``) config file; throttling off without one."""
    if path is None:
        return ThrottleConfig()
    try:
        data = read_config(path)
    except ConfigFileError as exc:
        raise ThrottleConfigError(str(exc)) from None
    return parse_throttle(data.get("throttle", {}), str(path))


def parse_throttle(section: Any, where: str = "config") -> ThrottleConfig:
    """A ThrottleConfig from the parsed ``[throttle]`` table (unknown settings and operations refused)."""
    if not isinstance(section, dict):
        raise ThrottleConfigError(f"{where}: [throttle] must be a table")
    unknown = sorted(set(section) - {"enabled", "operations"})
    if unknown:
        raise ThrottleConfigError(f"{where}: [throttle] has unknown settings: {', '.join(unknown)} "
                                  "(use enabled and [throttle.operations])")
    enabled = section.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ThrottleConfigError(f"{where}: [throttle] enabled must be true or false")
    table = section.get("operations", {})
    if not isinstance(table, dict):
        raise ThrottleConfigError(f"{where}: [throttle.operations] must be a table")
    names = sorted(set(table) - OPERATIONS)
    if names:
        raise ThrottleConfigError(f"{where}: [throttle.operations] names unknown operations: {', '.join(names)}")
    return ThrottleConfig(enabled, {name: _quota(value, f"{where}: [throttle.operations] {name}")
                                    for name, value in table.items()})


def _quota(value: Any, where: str) -> Quota:
    if not isinstance(value, dict) or set(value) != {"bucket", "refill"}:
        raise ThrottleConfigError(f"{where} must be {{ bucket = <size>, refill = <tokens per second> }}")
    bucket, refill = value["bucket"], value["refill"]
    if not _number(bucket) or bucket < 1:
        raise ThrottleConfigError(f"{where}: bucket must be a number of at least 1")
    if not _number(refill) or refill <= 0:
        raise ThrottleConfigError(f"{where}: refill must be a positive number (tokens per second)")
    return Quota(float(bucket), float(refill))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
