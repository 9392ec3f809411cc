"""The serving protocol's transport: the writes of one event-loop turn go out as one."""

from __future__ import annotations

import asyncio

from stepforge.http_protocol import CoalescingTransport
from tests.async_kit import run_alone


class SocketLike(asyncio.Transport):
    """What the wrapped transport sent, one entry per write call (as one per ``send`` system call)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.sent.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 8083) if name == "sockname" else default


async def _next_turn() -> None:
    await asyncio.sleep(0)


def test_a_head_and_body_written_in_one_turn_are_sent_once_the_turn_ends() -> None:
    async def main() -> list[bytes]:
        socket = SocketLike()
        transport = CoalescingTransport(socket, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        transport.write(b"{}")
        assert socket.sent == []
        await _next_turn()
        return socket.sent
    assert run_alone(main()) == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]


def test_writes_of_later_turns_are_sent_in_order() -> None:
    async def main() -> list[bytes]:
        socket = SocketLike()
        transport = CoalescingTransport(socket, asyncio.get_running_loop())
        transport.write(b"first")
        await _next_turn()
        transport.write(b"second")
        transport.writelines([b"-", b"third"])
        await _next_turn()
        return socket.sent
    assert run_alone(main()) == [b"first", b"second-third"]


def test_closing_sends_what_waits_first_and_aborting_drops_it() -> None:
    async def main() -> tuple[list[bytes], list[bytes]]:
        loop = asyncio.get_running_loop()
        closed, aborted = SocketLike(), SocketLike()
        closing = CoalescingTransport(closed, loop)
        closing.write(b"bye")
        closing.close()
        closing.write(b"late")
        quitter = CoalescingTransport(aborted, loop)
        quitter.write(b"dropped")
        quitter.abort()
        await _next_turn()  # the connections are closing: nothing more goes out
        return closed.sent, aborted.sent
    closed_sent, aborted_sent = run_alone(main())
    assert closed_sent == [b"bye"] and aborted_sent == []


def test_everything_else_is_the_wrapped_transports() -> None:
    async def main() -> object:
        transport = CoalescingTransport(SocketLike(), asyncio.get_running_loop())
        return transport.get_extra_info("sockname")
    assert run_alone(main()) == ("127.0.0.1", 8083)


def test_what_must_be_written_first_is_written_before_each_write() -> None:
    async def main() -> list[str]:
        order: list[str] = []

        class Watched(SocketLike):
            def write(self, data: bytes | bytearray | memoryview) -> None:
                order.append(f"sent {bytes(data).decode()}")

        transport = CoalescingTransport(Watched(), asyncio.get_running_loop(), lambda: order.append("first"))
        transport.write(b"one")
        await _next_turn()
        transport.write(b"two")
        transport.close()
        return order
    assert run_alone(main()) == ["first", "sent one", "first", "sent two"]
