"""Reading the ``--config`` file: TOML (or JSON, by its ``.json`` suffix), parsed once per reader.

Every section's loader (tasks, ``[auth]``, ``[throttle]``) reads the file through :func:`read_config`
and judges only its own section.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any


class ConfigFileError(ValueError):
    """The config file cannot be read or parsed; the message names the file."""


def read_config(path: Path) -> dict[str, Any]:
    """The parsed config file (a table at the top)."""
    try:
        text = path.read_text(encoding="utf-8")
        data: Any = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigFileError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: the top level must be a table (a JSON object)")
    return data
