"""The front door's machine cache: a record is reused for TTL seconds, and clear() wins over a read in flight."""

from __future__ import annotations

from stepforge.engine.machine_cache import TTL, MachineCache
from stepforge.store.records import StateMachineRecord


def record(definition: str) -> StateMachineRecord:
    return StateMachineRecord("arn:m", "m", definition, "arn:role", "EXPRESS", 0.0, "r")


def test_a_record_is_read_again_only_after_the_ttl() -> None:
    cache, reads = MachineCache(), []

    def read(arn: str) -> StateMachineRecord:
        reads.append(arn)
        return record(str(len(reads)))

    assert [cache.get("arn:m", t, read).definition for t in (0.0, TTL / 2, TTL)] == ["1", "1", "2"]  # type: ignore[union-attr]
    assert reads == ["arn:m", "arn:m"]


def test_clear_forgets_and_a_read_that_raced_it_is_not_kept() -> None:
    cache = MachineCache()
    cache.get("arn:m", 0.0, lambda arn: record("old"))
    cache.clear()

    def racing(arn: str) -> StateMachineRecord:
        cache.clear()  # a change lands while this read is in flight
        return record("read-before-the-change")

    assert cache.get("arn:m", 0.0, racing).definition == "read-before-the-change"  # type: ignore[union-attr]
    assert cache.get("arn:m", 0.0, lambda arn: record("new")).definition == "new"  # type: ignore[union-attr]
