"""The shared body limit: past it, the rest of the body is read and thrown away (up to a bound) before
the refusal, so a client still sending hears it instead of a reset connection."""

from __future__ import annotations

from typing import Any

import pytest
from async_kit import run_alone
from starlette.requests import Request

from stepforge import bodies


class Client:
    """An ASGI ``receive``: a body of ``chunks`` KiB, one per message, then a disconnect; with ``goes``
    the client disconnects after that many chunks, its body unfinished. Counts the messages taken."""

    def __init__(self, chunks: int, goes: int | None = None) -> None:
        self.chunks, self.goes, self.taken = chunks, goes, 0

    async def __call__(self) -> dict[str, Any]:
        if self.taken == (self.chunks if self.goes is None else self.goes):
            return {"type": "http.disconnect"}
        self.taken += 1
        return {"type": "http.request", "body": b"x" * 1024, "more_body": self.taken < self.chunks}


@pytest.fixture(autouse=True)
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 4 KiB limit and a 16 KiB drain bound (both read at each call)."""
    monkeypatch.setattr(bodies, "MAX_BODY_BYTES", 4 * 1024)
    monkeypatch.setattr(bodies, "DRAIN_BYTES", 16 * 1024)


def test_a_body_past_the_limit_is_read_to_its_end_before_it_is_refused() -> None:
    client = Client(chunks=12)
    with pytest.raises(bodies.BodyTooLarge, match="larger than 4096 bytes"):
        run_alone(bodies.receive_body(client))
    assert client.taken == 12


def test_a_refused_body_is_thrown_away_no_further_than_the_drain_bound() -> None:
    client = Client(chunks=1000)
    with pytest.raises(bodies.BodyTooLarge):
        run_alone(bodies.receive_body(client))
    assert client.taken == 21  # the 4 KiB limit, the 16 KiB drain bound and the chunk that passed it


def test_a_client_that_goes_while_its_refused_body_drains_ends_the_drain() -> None:
    client = Client(chunks=12, goes=8)
    with pytest.raises(bodies.BodyTooLarge):
        run_alone(bodies.receive_body(client))
    assert client.taken == 8


def test_a_request_objects_body_past_the_limit_is_drained_too() -> None:
    client = Client(chunks=12)
    http = Request({"type": "http", "method": "POST", "headers": []}, client)
    with pytest.raises(bodies.BodyTooLarge):
        run_alone(bodies.read_body(http))
    assert client.taken == 12


def test_a_body_at_the_limit_is_read_whole() -> None:
    assert run_alone(bodies.receive_body(Client(chunks=4))) == b"x" * 4096


def test_a_request_objects_client_that_goes_while_its_body_drains_still_gets_the_refusal() -> None:
    client = Client(chunks=12, goes=8)
    http = Request({"type": "http", "method": "POST", "headers": []}, client)
    with pytest.raises(bodies.BodyTooLarge):
        run_alone(bodies.read_body(http))
    assert client.taken == 8
