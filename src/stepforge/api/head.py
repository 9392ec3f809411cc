"""The request headers the HTTP layers read — the edge, the audit trail, the API — found in one pass."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import Scope

from stepforge.api.sessions import CSRF_HEADER

_NAMES = {b"x-amz-target": "target", b"authorization": "authorization", b"host": "host", b"origin": "origin",
          b"user-agent": "user_agent", b"cookie": "cookie", CSRF_HEADER.encode(): "csrf"}


@dataclass(slots=True)
class Head:
    """The first value of each header the layers read (None: absent). ASGI servers give header names
    in lower case; so are they looked up."""

    target: str | None = None
    authorization: str | None = None
    host: str | None = None
    origin: str | None = None
    user_agent: str | None = None
    cookie: str | None = None
    csrf: str | None = None

    @classmethod
    def of(cls, scope: Scope) -> Head:
        head = cls()
        for key, value in scope["headers"]:
            name = _NAMES.get(key)
            if name is not None and getattr(head, name) is None:
                setattr(head, name, value.decode("latin-1"))
        return head
