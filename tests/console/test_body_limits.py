"""Console and approval-link bodies go through the shared streaming limit: past it, a 413, read no further."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from stepforge import bodies


@pytest.fixture(autouse=True)
def small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1 KiB body limit (read at each request), so the tests send little."""
    monkeypatch.setattr(bodies, "MAX_BODY_BYTES", 1024)


def chunks(total: int, size: int = 256) -> Iterator[bytes]:
    """A streamed body of ``total`` bytes (the server sees it chunk by chunk)."""
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


def test_validate_refuses_a_body_past_the_limit_in_the_consoles_error_shape(client: TestClient) -> None:
    response = client.post("/console/api/validate", content=b'{"definition": "' + b"x" * 2000 + b'"}')
    assert response.status_code == 413
    assert response.json() == {"error": "PayloadTooLarge", "message": "Request body is larger than 1024 bytes"}


def test_validate_refuses_a_streamed_body_past_the_limit(client: TestClient) -> None:
    response = client.post("/console/api/validate", content=chunks(10_000))
    assert (response.status_code, response.json()["error"]) == (413, "PayloadTooLarge")


def test_validate_still_answers_a_body_within_the_limit(client: TestClient) -> None:
    response = client.post("/console/api/validate", json={"definition": "{}"})
    assert response.status_code == 200


def test_an_approval_decision_past_the_limit_is_a_413_page(client: TestClient) -> None:
    response = client.post("/approval/approve", content=b"token=t&sig=s&comment=" + b"x" * 2000,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert "Request too large" in response.text and "larger than 1024 bytes" in response.text


def test_an_approval_decision_within_the_limit_is_still_checked(client: TestClient) -> None:
    response = client.post("/approval/approve", content=b"token=t&sig=s&comment=ok",
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 403
