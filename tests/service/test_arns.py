"""ARN parts: the random ids of execution names and request ids."""

from __future__ import annotations

import uuid

from stepforge.service import arns


def test_a_random_id_is_a_version_4_uuid_as_text() -> None:
    ids = [arns.random_id() for _ in range(2000)]
    for text in ids:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
    assert len(set(ids)) == len(ids)
