"""The audit trail: every API call that changes something, and every refused call, as JSON lines.

Each line is one event in CloudTrail's shape where it fits (``eventTime``, ``eventSource``
``states.amazonaws.com``, ``eventName``, ``userIdentity.accessKeyId``, ``sourceIPAddress``,
``requestParameters`` trimmed, ``errorCode``/``errorMessage``, ``resources``). Lines are appended to
``<data-dir>/audit.jsonl`` by one writer thread (a request never waits on the disk), the file opened
in append mode, readable by its owner only; past ``max_bytes`` it is rotated to ``audit.jsonl.1`` ... ``.keep`` and a new one begun.

Why a file and not a table: audit lines are written for every call, refused ones included (a flood
of bad signatures or throttled calls), and SQLite has a single writer that the engine's group commit
needs; an append-only file costs the engine nothing, is append-only by construction, and is what log
shippers (Fluent Bit, Vector, Promtail) already read. With several nodes, each node keeps its own
file in its own data directory.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, TextIO

log = logging.getLogger(__name__)
#: At most one line in this many seconds about a trail that cannot be written (a full disk).
LOG_EVERY = 10.0

EVENT_SOURCE = "states.amazonaws.com"
FILE_NAME = "audit.jsonl"
#: Longest string kept of a request parameter (definitions and inputs are trimmed, as CloudTrail does).
MAX_VALUE = 256
#: Request parameters never written (they may hold secrets or customer data).
#: Seconds between the writer's rounds (a crash loses at most this much of the trail; flush() is at once).
WRITE_INTERVAL = 0.05
HIDDEN = frozenset({"input", "output", "definition", "cause", "taskToken"})
_ARN_KEYS = {"stateMachineArn": "AWS::StepFunctions::StateMachine", "executionArn": "AWS::StepFunctions::Execution",
             "activityArn": "AWS::StepFunctions::Activity", "mapRunArn": "AWS::StepFunctions::MapRun",
             "stateMachineVersionArn": "AWS::StepFunctions::StateMachineVersion",
             "stateMachineAliasArn": "AWS::StepFunctions::StateMachineAlias",
             "resourceArn": "AWS::StepFunctions::Resource"}


@dataclass(frozen=True)
class Call:
    """One API call as the HTTP edge saw it: ``body`` and ``response_body`` are the raw JSON (parsed,
    like everything else here, on the writer thread, never on the event loop)."""

    operation: str
    body: bytes
    access_key: str | None
    source_ip: str
    user_agent: str
    region: str
    account: str
    error_code: str | None = None
    response_body: bytes = b""
    console_user: str | None = None
    at: float = 0.0


def event(call: Call) -> dict[str, Any]:
    """``call`` as a CloudTrail-shaped event (the object of its :func:`line`)."""
    shaped: dict[str, Any] = json.loads(line(call))
    return shaped


def line(call: Call) -> str:
    """``call`` as one line of the trail: a CloudTrail-shaped event in JSON, newline included.

    Built as text around the parts that vary, each encoded once (the trail writes one line per audited
    call, so shaping it is most of the trail's cost): the constant fields, the caller's identity and
    the event ids come ready-made."""
    params, response = json_object(call.body), json_object(call.response_body)
    if call.error_code:
        outcome = (f',"errorCode":{_text(call.error_code)}'
                   f',"errorMessage":{_text(str(response.get("message", ""))[:1024])}')
    else:
        outcome = f',"responseElements":{_flat(trimmed(response))}'
    resources = _resources(params, response)
    named = (',"resources":[' + ",".join(f'{{"ARN":{_text(arn)},"type":"{kind}"}}' for arn, kind in resources)
             + "]") if resources else ""
    return (f'{{"eventVersion":"1.08","eventID":"{next(_EVENT_IDS)}","eventTime":"{_stamp(call.at or time.time())}",'
            f'"eventSource":"{EVENT_SOURCE}","eventName":{_text(call.operation)},"awsRegion":{_text(call.region)},'
            f'"sourceIPAddress":{_text(call.source_ip)},"userAgent":{_text(call.user_agent[:256])},'
            f'"userIdentity":{_identity(call.access_key, call.console_user, call.account)},'
            f'"requestParameters":{_flat(trimmed(params))},"readOnly":false,"eventType":"AwsApiCall",'
            f'"recipientAccountId":{_text(call.account)}{outcome}{named}}}\n')


#: JSON text of a string (as ``json.dumps(value, ensure_ascii=False)``) and of any value.
_text: Callable[[str], str] = encode_basestring
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _flat(kept: dict[str, Any]) -> str:
    """The JSON text of a :func:`trimmed` object (its values are strings, numbers, booleans or null)."""
    return "{" + ",".join(f"{_text(key)}:{_text(value) if type(value) is str else _encode(value)}"
                          for key, value in kept.items()) + "}"


def _event_ids() -> Iterator[str]:
    """Event ids shaped as UUIDs: this process's random first 80 bits, then a counter from a random start
    (``uuid4()`` per event costs a system call for randomness; these are as unique within the trail)."""
    base = uuid.uuid4()
    prefix, start = str(base)[:24], base.int & 0xFFFF_FFFF_FFFF
    return (f"{prefix}{(start + n) & 0xFFFF_FFFF_FFFF:012x}" for n in itertools.count())


_EVENT_IDS = _event_ids()


@functools.lru_cache(maxsize=1024)
def _identity(access_key: str | None, console_user: str | None, account: str) -> str:
    """The ``userIdentity`` object's JSON text (callers are few: made once per caller)."""
    identity: dict[str, Any] = {"type": "IAMUser" if access_key else "Anonymous", "accountId": account}
    if access_key:
        identity["accessKeyId"] = access_key
        identity["userName"] = access_key
    if console_user:
        identity = {"type": "ConsoleUser", "accountId": account, "userName": console_user}
    return _encode(identity)


def _stamp(at: float) -> str:
    """``2026-03-01T12:00:00.000000Z`` (sorts as text in time order, as ``read`` compares it)."""
    whole = int(at)
    return f"{_second(whole)}.{int((at - whole) * 1_000_000):06d}Z"


@functools.lru_cache(maxsize=4)
def _second(whole: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


def json_object(body: bytes) -> dict[str, Any]:
    """The JSON object of a body; empty for anything else (no body, not JSON, cut short)."""
    try:
        value = json.loads(body) if body else {}
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def actor(shaped: dict[str, Any]) -> str:
    """Who made the call of an event: its access key id, console user, or ``anonymous``."""
    identity = shaped.get("userIdentity") or {}
    return str(identity.get("accessKeyId") or identity.get("userName") or "anonymous")


def trimmed(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters fit to keep: secrets and payloads hidden, long strings cut, nesting flattened to text."""
    kept: dict[str, Any] = {}
    for key, value in list(params.items())[:32]:
        if key in HIDDEN:
            kept[key] = "HIDDEN_DUE_TO_SECURITY_REASONS"
        elif isinstance(value, str):
            kept[key] = value[:MAX_VALUE]
        elif value is None or isinstance(value, (bool, int, float)):
            kept[key] = value
        else:
            kept[key] = _encode(value)[:MAX_VALUE]
    return kept


def _resources(params: dict[str, Any], response: dict[str, Any]) -> list[tuple[str, str]]:
    """The ARNs a call names (request first), each once, with its CloudTrail resource type."""
    found: dict[str, str] = {}
    for source in (params, response):
        for key in _ARN_KEYS.keys() & source.keys():
            value = source[key]
            if isinstance(value, str) and value not in found:
                found[value] = _ARN_KEYS[key]
    return list(found.items())


class AuditLog:
    """Appends events to ``path`` from a writer thread of its own, every :data:`WRITE_INTERVAL` seconds
    or at once when :meth:`flush` asks; :meth:`close` writes what is queued.

    Recording never wakes the writer: a thread woken per call would contend for the GIL with the
    event loop on every write (measured: +70 us per audited call); woken twenty times a second, it
    shapes and writes each batch at once.
    """

    def __init__(self, path: Path, *, max_bytes: int = 100 * 1024 * 1024, keep: int = 10) -> None:
        self.path, self.max_bytes, self.keep = path, max_bytes, keep
        self._calls: deque[Call | threading.Event] = deque()  # calls, and flushes' markers among them
        self._wake = threading.Event()
        self._closing = False
        self._lost = 0  # events not written since the last report
        self._reported: float | None = None  # when that report was (monotonic)
        self._thread = threading.Thread(target=self._write_loop, name="stepforge-audit", daemon=True)
        self._thread.start()

    def record(self, call: Call) -> None:
        """Queue ``call`` (shaped and written by the writer thread; no lock: a deque's append is atomic)."""
        self._calls.append(call)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every event recorded so far is written; False if that takes past ``timeout``."""
        if not self._thread.is_alive():
            return not self._calls
        written = threading.Event()
        self._calls.append(written)  # set by the writer once everything queued before it is written
        self._wake.set()
        return written.wait(timeout)

    def close(self) -> None:
        """Write what is queued and stop the writer (a flush waiting meanwhile is answered)."""
        self._closing = True
        self._wake.set()
        self._thread.join(timeout=10)
        for item in self._calls:
            if isinstance(item, threading.Event):
                item.set()

    def _write_loop(self) -> None:
        stream: TextIO | None = None
        try:
            while True:
                self._wake.wait(WRITE_INTERVAL)
                self._wake.clear()
                closing = self._closing
                queued = [self._calls.popleft() for _ in range(len(self._calls))]
                calls = [item for item in queued if isinstance(item, Call)]
                if calls:
                    stream = self._write(stream, calls)
                if len(calls) < len(queued):
                    for item in queued:
                        if isinstance(item, threading.Event):
                            item.set()
                if closing:
                    return
        finally:
            if stream is not None:
                stream.close()

    def _write(self, stream: TextIO | None, calls: list[Call]) -> TextIO | None:
        """Append ``calls``; the stream to write with next (None: open it again next time)."""
        try:
            if stream is None:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                stream = self._open()
            stream.write("".join(map(line, calls)))
            stream.flush()
            if stream.tell() > self.max_bytes:
                stream.close()
                self._rotate()
                stream = self._open()
            return stream
        except OSError as exc:  # a full disk must not stop the API nor flood the log: say so, now and then
            self._lost += len(calls)
            now = time.monotonic()
            if self._reported is None or now - self._reported >= LOG_EVERY:
                log.error("cannot write the audit trail to %s: %s (%d event(s) lost)", self.path, exc, self._lost)
                self._reported, self._lost = now, 0
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
            return None

    def _open(self) -> TextIO:
        """The trail in append mode, readable by its owner only (like every file of the data directory)."""
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(descriptor, "a", encoding="utf-8")

    def _rotate(self) -> None:
        for index in range(self.keep - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{index + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))


def files(path: Path) -> list[Path]:
    """The trail's files, oldest first (rotated ones, then the current one)."""
    rotated = sorted((p for p in path.parent.glob(f"{path.name}.*") if p.suffix.lstrip(".").isdigit()),
                     key=lambda p: int(p.suffix[1:]), reverse=True)
    return [*rotated, *([path] if path.exists() else [])]


def read(path: Path, *, since: datetime | None = None, actor_id: str | None = None,
         resource: str | None = None) -> Iterator[dict[str, Any]]:
    """The trail's events, oldest first, that match: at or after ``since``, made by ``actor_id``, naming an
    ARN that contains ``resource``. A line that is not JSON (a crash mid-write) is skipped."""
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if since is not None else ""
    for file in files(path):
        with file.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                try:
                    shaped = json.loads(line)
                except ValueError:
                    continue
                if _matches(shaped, stamp, actor_id, resource):
                    yield shaped


def _matches(shaped: dict[str, Any], stamp: str, actor_id: str | None, resource: str | None) -> bool:
    if stamp and str(shaped.get("eventTime", "")) < stamp:
        return False
    if actor_id is not None and actor(shaped) != actor_id:
        return False
    if resource is not None:
        arns = [str(r.get("ARN", "")) for r in shaped.get("resources") or []]
        return any(resource in arn for arn in arns)
    return True
