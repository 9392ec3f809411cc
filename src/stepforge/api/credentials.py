"""The ``[auth]`` section of ``serve --config``: access keys, what each may call, extra Host names.

```toml
[auth]
hosts = ["sfn.example.com"]          # Host names served besides loopback and the bound address
regions = ["eu-west-1"]              # optional: the only regions a credential scope may name

[auth.keys]                          # access key id = secret access key, one line per key
AKIDEXAMPLE = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
AKIDREADER = "another secret"

[auth.permissions]                   # optional; a key not listed may call every operation
AKIDREADER = "read-only"             # or a list of operation names: ["StartExecution", "DescribeExecution"]

[auth.users.alice]                   # console login (see stepforge.api.users): a hash, never the password
password = "scrypt$16384$8$1$..."    # `stepforge hash-password` prints one
role = "admin"                       # viewer | operator | admin
```

``session_hours`` (default 12) is how long a console login lasts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stepforge.api.operations import LONG_POLLS, READ_OPERATIONS, SYNC_EXECUTION, WRITE_OPERATIONS
from stepforge.api.users import User, UsersConfigError, parse_users
from stepforge.config_file import ConfigFileError, read_config

READ_ONLY = "read-only"
#: Every operation of the API (a permission list may only name these).
OPERATIONS = frozenset({*READ_OPERATIONS, *WRITE_OPERATIONS, *LONG_POLLS, SYNC_EXECUTION})
#: What a ``read-only`` key may call: reads that run nothing (TestState may run an HTTP Task).
READS = frozenset(op for op in READ_OPERATIONS if op != "TestState")


class AuthConfigError(ValueError):
    """An ``[auth]`` section that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class AuthConfig:
    """Access keys and their permissions, console users; with no keys, the API is open (loopback only,
    see ``serve``); with no users, so is the console (or, with keys, only its signed JSON API)."""

    keys: dict[str, str] = field(default_factory=dict)
    permissions: dict[str, frozenset[str]] = field(default_factory=dict)
    hosts: tuple[str, ...] = ()
    regions: frozenset[str] | None = None
    users: dict[str, User] = field(default_factory=dict)
    session_seconds: float = 12 * 3600.0

    def allows(self, access_key: str, operation: str) -> bool:
        """Whether ``access_key`` (a configured key) may call ``operation``."""
        allowed = self.permissions.get(access_key)
        return allowed is None or operation in allowed


def load_auth(path: Path | None) -> AuthConfig:
    """The ``[auth]`` section of a TOML (or ``.json``) config file; an empty AuthConfig without one."""
    if path is None:
        return AuthConfig()
    try:
        data = read_config(path)
    except ConfigFileError as exc:
        raise AuthConfigError(str(exc)) from None
    return parse_auth(data.get("auth", {}), str(path))


def parse_auth(section: Any, where: str = "config") -> AuthConfig:
    """An AuthConfig from the parsed ``[auth]`` table."""
    if not isinstance(section, dict):
        raise AuthConfigError(f"{where}: [auth] must be a table")
    keys = _strings(section.get("keys", {}), f"{where}: [auth.keys]")
    permissions = {key: _permission(value, f"{where}: [auth.permissions] {key}")
                   for key, value in _table(section.get("permissions", {}), f"{where}: [auth.permissions]").items()}
    unknown = sorted(set(permissions) - set(keys))
    if unknown:
        raise AuthConfigError(f"{where}: [auth.permissions] names keys not in [auth.keys]: {', '.join(unknown)}")
    hosts = tuple(h.lower() for h in _list(section.get("hosts", []), f"{where}: [auth] hosts"))
    regions = section.get("regions")
    try:
        users = parse_users(section.get("users", {}), f"{where}: [auth.users]")
    except UsersConfigError as exc:
        raise AuthConfigError(str(exc)) from None
    hours = section.get("session_hours", 12)
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 < hours <= 24 * 30:
        raise AuthConfigError(f"{where}: [auth] session_hours must be a number of hours, above 0 and at most 720")
    return AuthConfig(keys, permissions, hosts,
                      None if regions is None else frozenset(_list(regions, f"{where}: [auth] regions")),
                      users, float(hours) * 3600)


def _permission(value: Any, where: str) -> frozenset[str]:
    if value == READ_ONLY:
        return READS
    operations = frozenset(_list(value, where))
    unknown = sorted(operations - OPERATIONS)
    if unknown:
        raise AuthConfigError(f"{where}: unknown operations: {', '.join(unknown)} "
                              f"(use \"{READ_ONLY}\" or a list of operation names)")
    return operations


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AuthConfigError(f"{where} must be a table")
    return value


def _strings(value: Any, where: str) -> dict[str, str]:
    table = _table(value, where)
    bad = sorted(k for k, v in table.items() if not isinstance(v, str) or not v or not k)
    if bad:
        raise AuthConfigError(f"{where}: each key needs a non-empty secret string: {', '.join(bad)}")
    return dict(table)


def _list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise AuthConfigError(f"{where} must be a list of non-empty strings")
    return list(value)
