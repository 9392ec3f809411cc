"""Console users: hashed passwords and the roles that say what each may do.

```toml
[auth.users.alice]                 # one table per user
password = "scrypt$16384$8$1$..."  # from `stepforge hash-password`; never the password itself
role = "admin"                     # viewer | operator | admin
```

A **viewer** reads everything the console shows; an **operator** also starts, stops and redrives
executions and answers tasks; an **admin** may call every operation (create, update and delete
state machines, activities, versions, aliases, tags). Passwords are hashed with scrypt (RFC 7914)
and a random salt, and compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import Enum
from typing import Any

from stepforge.api.operations import LONG_POLLS, READ_OPERATIONS, SYNC_EXECUTION, WRITE_OPERATIONS

#: scrypt's cost parameters: about 16 MiB and 50 ms per check on one core.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_SCHEME = "scrypt"


class Role(Enum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"


#: What a viewer may call: the reads that run nothing (TestState may run an HTTP Task).
VIEWER_OPERATIONS = frozenset(op for op in READ_OPERATIONS if op != "TestState")
#: An operator runs what exists; it changes no definitions.
OPERATOR_OPERATIONS = VIEWER_OPERATIONS | {
    "StartExecution", SYNC_EXECUTION, "StopExecution", "RedriveExecution", "TestState",
    "SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat",
}
ALL_OPERATIONS = frozenset({*READ_OPERATIONS, *WRITE_OPERATIONS, *LONG_POLLS, SYNC_EXECUTION})


def role_allows(role: Role, operation: str) -> bool:
    """Whether a console user of ``role`` may call the API ``operation``."""
    if role is Role.ADMIN:
        return operation in ALL_OPERATIONS
    if role is Role.OPERATOR:
        return operation in OPERATOR_OPERATIONS
    return operation in VIEWER_OPERATIONS


@dataclass(frozen=True)
class User:
    name: str
    password_hash: str
    role: Role


class UsersConfigError(ValueError):
    """An ``[auth.users]`` table that cannot be used; the message says where and why."""


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64) of ``password`` with a new random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return "$".join((_SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)))


def check_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (a :func:`hash_password` result), in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.b64decode(digest)
        found = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                               dklen=len(expected), maxmem=256 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, expected)


def parse_users(table: Any, where: str) -> dict[str, User]:
    """The users of an ``[auth.users]`` table (each a table with ``password`` and ``role``)."""
    if not isinstance(table, dict):
        raise UsersConfigError(f"{where} must be a table of users")
    return {name: _user(name, entry, f"{where}.{name}") for name, entry in table.items()}


def _user(name: str, entry: Any, where: str) -> User:
    if not name or not isinstance(entry, dict):
        raise UsersConfigError(f"{where} must be a table with password and role")
    password, role = entry.get("password"), entry.get("role", Role.VIEWER.value)
    if not isinstance(password, str) or not _well_formed(password):
        raise UsersConfigError(f"{where}: password must be a hash from `stepforge hash-password` "
                               "(scrypt$N$r$p$salt$hash), never the password itself")
    roles = [r.value for r in Role]
    if role not in roles:
        raise UsersConfigError(f"{where}: role must be one of {', '.join(roles)}, not {role!r}")
    return User(name, password, Role(role))


def _well_formed(stored: str) -> bool:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME or not all(p.isdigit() for p in parts[1:4]):
        return False
    try:
        return bool(base64.b64decode(parts[4], validate=True)) and len(base64.b64decode(parts[5], validate=True)) >= 16
    except ValueError:
        return False


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
