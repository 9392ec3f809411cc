"""uvicorn's HTTP/1.1 protocol (httptools), sending a response in one write instead of two.

uvicorn writes a response's head when the application sends ``http.response.start`` and its body on
``http.response.body``: two ``send`` system calls (two TCP segments) for every answer. On loopback
or a busy machine a ``send`` is among the dearest things a small API call does (py-spy: about a
fifth of a StartSyncExecution's time in the event loop). :class:`CoalescingHttpProtocol` gives
uvicorn a transport whose writes wait until the event loop's current turn ends, then go out as one:
the head and the body of an answer (and of any pipelined answers of the same turn) in one call.
Nothing else changes: flow control, TLS, closing (which sends what waits first) are the transport's.

What must be written before a client can hold its answer (the audit trail's lines of the turn's
calls) is written by the protocol's ``before_write`` just before that one write
(:meth:`CoalescingHttpProtocol.writing_first`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingHttpProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` on a :class:`CoalescingTransport` (what ``serve`` runs)."""

    #: Called on the event loop's thread before each write of answers (None: nothing).
    before_write: ClassVar[Callable[[], None] | None] = None

    @classmethod
    def writing_first(cls, before_write: Callable[[], None]) -> type[CoalescingHttpProtocol]:
        """This protocol, calling ``before_write`` before each write of answers (uvicorn takes a class)."""
        return type(cls.__name__, (cls,), {"before_write": staticmethod(before_write)})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn's
        super().connection_made(CoalescingTransport(transport, self.loop, type(self).before_write))


class CoalescingTransport(asyncio.Transport):
    """A transport whose writes of one event-loop turn are sent together, at the end of the turn.

    Every other call goes to the wrapped transport; :meth:`close` and :meth:`write_eof` send what
    waits first, :meth:`abort` drops it (as the transport drops its own buffer). ``before_write`` (if
    any) is called before each write.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop,
                 before_write: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._transport, self._loop, self._before_write = transport, loop, before_write
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, lines: Iterable[bytes | bytearray | memoryview]) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        """Send what waits now (one write), unless the connection is closing."""
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            if self._before_write is not None:
                self._before_write()
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return sum(map(len, self._pending)) + self._transport.get_write_buffer_size()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()
