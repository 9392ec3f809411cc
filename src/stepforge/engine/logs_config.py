"""The ``[logs]`` section of ``serve --config``: where execution logs (``loggingConfiguration``) go.

```toml
[logs]
dir = "/var/log/stepforge"     # default <data dir>/logs: log group NAME -> <dir>/NAME.log
stdout = false                 # true: every log group's lines to standard output instead

[logs.groups]                  # optional: a log group's own file, or "-" for standard output
"/aws/vendedlogs/states/orders" = "/var/log/orders.jsonl"
```

A state machine's destination ``arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`` names the group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stepforge.config_file import ConfigFileError, read_config
from stepforge.engine.logs import LogSettings


class LogsConfigError(ValueError):
    """A ``[logs]`` section that cannot be used; the message says where and why."""


def load_logs(path: Path | None, data_dir: Path) -> LogSettings:
    """The ``[logs]`` settings of a config file; without one, every group to a file under ``data_dir/logs``."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = read_config(path)
        except ConfigFileError as exc:
            raise LogsConfigError(str(exc)) from None
    return parse_logs(data.get("logs", {}), data_dir, str(path or "config"))


def parse_logs(section: Any, data_dir: Path, where: str = "config") -> LogSettings:
    """LogSettings from the parsed ``[logs]`` table (unknown settings refused)."""
    if not isinstance(section, dict):
        raise LogsConfigError(f"{where}: [logs] must be a table")
    unknown = sorted(set(section) - {"dir", "stdout", "groups"})
    if unknown:
        raise LogsConfigError(f"{where}: [logs] has unknown settings: {', '.join(unknown)} (use dir, stdout "
                              "and [logs.groups])")
    directory = section.get("dir", str(data_dir / "logs"))
    if not isinstance(directory, str) or not directory:
        raise LogsConfigError(f"{where}: [logs] dir must be a directory path")
    stdout = section.get("stdout", False)
    if not isinstance(stdout, bool):
        raise LogsConfigError(f"{where}: [logs] stdout must be true or false")
    groups = section.get("groups", {})
    if not isinstance(groups, dict) or not all(isinstance(v, str) and v for v in groups.values()):
        raise LogsConfigError(f"{where}: [logs.groups] must map log group names to file paths (or \"-\")")
    return LogSettings(Path(directory), stdout, dict(groups))
