"""Wake-ups across nodes: PostgreSQL's LISTEN/NOTIFY on one channel.

A node publishes the keys of what changed after it commits (an execution that got a signal, an
activity with a new task, ...): :meth:`PostgresNotifier.publish`. Every other node's listener
thread hands those keys to its ``on_keys`` callback (which fires local notices, wakes the engine).
A node never hears its own keys back: its in-process notices already fired.

Notifications are hints, not data: one lost (the listener was reconnecting) only delays a wake-up,
so after every (re)connection ``on_resync`` is called for the receiver to look at everything once.
The listener reconnects with exponential back-off for as long as the notifier is open; publishing
while the server is away drops the keys (and logs, at most once per ``LOG_EVERY`` seconds).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg

from stepforge.store.postgres_db import redacted

log = logging.getLogger(__name__)

CHANNEL = "stepforge"
#: NOTIFY payloads must stay under 8,000 bytes: keys are sent in as many notifications as needed.
PAYLOAD_BYTES = 7_000
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 5.0
#: How often the listener looks up from waiting to see whether it should stop.
POLL_SECONDS = 0.5
LOG_EVERY = 10.0


def payloads(node: str, keys: list[str]) -> Iterator[str]:
    """``keys`` as JSON payloads of at most :data:`PAYLOAD_BYTES` each (a single longer key is dropped:
    keys are ARNs, far shorter)."""
    batch: list[str] = []
    size = 0
    for key in keys:
        cost = len(json.dumps(key).encode()) + 1
        if cost > PAYLOAD_BYTES - 100:
            log.warning("not published (longer than a notification holds): %.80s...", key)
            continue
        if batch and size + cost > PAYLOAD_BYTES - 100:
            yield _message(node, batch)
            batch, size = [], 0
        batch.append(key)
        size += cost
    if batch:
        yield _message(node, batch)


def _message(node: str, keys: list[str]) -> str:
    return json.dumps({"node": node, "keys": keys}, separators=(",", ":"))


class PostgresNotifier:
    """Publish keys to every node on ``url``'s database, and (once :meth:`start` ed) listen for theirs.

    ``on_keys(keys)`` runs on the listener thread for each notification of another node;
    ``on_resync()`` after each (re)connection of the listener. Both must return quickly and not raise.
    """

    def __init__(self, url: str, on_keys: Callable[[list[str]], None] | None = None,
                 on_resync: Callable[[], None] | None = None, *, channel: str = CHANNEL) -> None:
        self.url = url
        self.channel = channel
        self.node = uuid.uuid4().hex
        self.on_keys = on_keys or (lambda keys: None)
        self.on_resync = on_resync or (lambda: None)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._publisher: psycopg.Connection[Any] | None = None
        self._publish_lock = threading.Lock()
        self._logged_at = -LOG_EVERY
        #: Set while the listener is connected and listening (tests and health checks wait on it).
        self.listening = threading.Event()

    # -- publishing --------------------------------------------------------------------------------

    def publish(self, keys: list[str]) -> bool:
        """Send ``keys`` to every other node's listener; False (keys dropped) if the server is away."""
        if not keys:
            return True
        with self._publish_lock:
            try:
                conn = self._publisher
                if conn is None or conn.closed:
                    conn = self._publisher = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
                for payload in payloads(self.node, keys):
                    conn.execute("SELECT pg_notify(%s, %s)", (self.channel, payload))
                return True
            except psycopg.Error as exc:
                self._drop_publisher()
                self._log(f"notification not published ({len(keys)} keys): {exc}")
                return False

    def _drop_publisher(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None

    # -- listening ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the listener thread (a daemon: it never keeps the process alive)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._listen_forever, name="stepforge-notify", daemon=True)
            self._thread.start()

    def _listen_forever(self) -> None:
        delay = BACKOFF_FIRST
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f'LISTEN "{self.channel}"')
                    self.listening.set()
                    delay = BACKOFF_FIRST
                    self.on_resync()
                    self._receive(conn)
            except psycopg.Error as exc:
                self._log(f"listener on {redacted(self.url)} lost its connection, retrying in {delay:.1f} s: {exc}")
            finally:
                self.listening.clear()
            if self._stopping.wait(delay):
                return
            delay = min(BACKOFF_MAX, delay * 2)

    def _receive(self, conn: psycopg.Connection[Any]) -> None:
        while not self._stopping.is_set():
            for notice in conn.notifies(timeout=POLL_SECONDS):
                self._deliver(notice.payload)
                if self._stopping.is_set():
                    return

    def _deliver(self, payload: str) -> None:
        try:
            message = json.loads(payload)
            node, keys = message["node"], [str(key) for key in message["keys"]]
        except (ValueError, TypeError, KeyError):
            self._log(f"ignored a notification that is not stepforge's: {payload[:80]!r}")
            return
        if node == self.node:
            return
        try:
            self.on_keys(keys)
        except Exception:  # a receiver's bug must not end the listener
            log.exception("on_keys failed for %d keys", len(keys))

    def _log(self, message: str) -> None:
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY:
            self._logged_at = now
            log.warning("%s", message)

    def close(self) -> None:
        """Stop the listener (within :data:`POLL_SECONDS`) and close the publishing connection."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=POLL_SECONDS * 4 + 5)
            self._thread = None
        with self._publish_lock:
            self._drop_publisher()
