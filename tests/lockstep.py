"""Threads that step together: races written as rounds both sides enter at the same instant."""

from __future__ import annotations

import threading
from collections.abc import Callable


def in_lockstep(party: Callable[[int, threading.Barrier], None], *, parties: int = 2, timeout: float = 60) -> None:
    """Run ``party(index, barrier)`` on ``parties`` threads sharing one barrier; a party that raises
    breaks the barrier (so the others stop waiting) and its exception is raised here once all ended."""
    barrier = threading.Barrier(parties, timeout=timeout)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            party(index, barrier)
        except BaseException as exc:  # noqa: BLE001 - reported on the calling thread
            failures.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout * 2)
    assert not any(thread.is_alive() for thread in threads), "a party never ended"
    if failures:  # the party that broke the barrier, rather than the ones it left waiting
        raise next((exc for exc in failures if not isinstance(exc, threading.BrokenBarrierError)), failures[0])
