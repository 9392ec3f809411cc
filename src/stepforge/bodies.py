"""Request bodies read through one streaming limit, for every HTTP surface (API, console, approval links).

A body is read chunk by chunk and refused as soon as it passes :data:`MAX_BODY_BYTES`, so no request
can make the server hold more than the limit (plus one chunk) in memory. Each surface turns
:class:`BodyTooLarge` into its own error shape (AWS's JSON error, the console's ``{"error", "message"}``,
an HTML page).

Before the refusal is raised, the rest of the body (up to :data:`DRAIN_BYTES`) is read and thrown
away, as nginx's lingering close does: a server that closes a connection with unread bytes in it
resets the connection, and a client still sending its body then never reads the answer.
"""

from __future__ import annotations

import contextlib

from starlette.requests import ClientDisconnect
from starlette.requests import Request as HttpRequest
from starlette.types import Receive

#: The largest request body accepted anywhere, in bytes: larger than any valid request
#: (a 1 MiB definition, 256 KiB payloads, JSON escaping).
MAX_BODY_BYTES = 4 * 1024 * 1024

#: How much of a refused body, past the limit, is read and thrown away so its client hears the
#: refusal; a body larger still gets the refusal and a closed connection.
DRAIN_BYTES = 64 * 1024 * 1024


class BodyTooLarge(Exception):
    """A request body past :data:`MAX_BODY_BYTES`; the rest of it was thrown away unkept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body is larger than {limit} bytes")
        self.limit = limit
        self.message = str(self)


async def read_body(http: HttpRequest) -> bytes:
    """The request body; raises :class:`BodyTooLarge` past :data:`MAX_BODY_BYTES` (read at call time)."""
    limit = MAX_BODY_BYTES
    chunks: list[bytes] = []
    size = 0
    stream = http.stream()
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            with contextlib.suppress(ClientDisconnect):  # the client went while its body drained
                async for chunk in stream:
                    size += len(chunk)
                    if size > limit + DRAIN_BYTES:
                        break
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def receive_body(receive: Receive, limit: int | None = None) -> bytes | None:
    """The body of an ASGI request read from ``receive``; None when the client disconnects first.
    Raises :class:`BodyTooLarge` past ``limit`` (None: :data:`MAX_BODY_BYTES`, read at call time)."""
    limit = MAX_BODY_BYTES if limit is None else limit
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            if message.get("more_body", False):
                await _drain(receive, size, limit + DRAIN_BYTES)
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _drain(receive: Receive, size: int, most: int) -> None:
    """Read and throw away the rest of a body, ``size`` bytes of it read, until it ends, its client
    goes or ``most`` bytes are read."""
    while size <= most:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return
