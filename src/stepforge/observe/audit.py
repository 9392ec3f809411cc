"""The audit trail: every API call that changes something, and every refused call, as JSON lines.

Each line is one event in CloudTrail's shape where it fits (``eventTime``, ``eventSource``
``states.amazonaws.com``, ``eventName``, ``userIdentity.accessKeyId``, ``sourceIPAddress``,
``requestParameters`` trimmed, ``errorCode``/``errorMessage``, ``resources``). Lines are appended to
``<data-dir>/audit.jsonl`` with ``write(2)`` before the call's answer goes out (no fsync: a request
never waits on the disk, and what a client was answered survives a crash of the process), the file
opened in append mode, readable by its owner only; past ``max_bytes`` it is rotated to
``audit.jsonl.1`` ... ``.keep`` and a new one begun. ``serve`` writes the calls answered in one turn of
its event loop with one ``write(2)`` (:meth:`AuditLog.batch_on`), just before that turn's answers are
sent.

Why a file and not a table: audit lines are written for every call, refused ones included (a flood
of bad signatures or throttled calls), and SQLite has a single writer that the engine's group commit
needs; an append-only file costs the engine nothing, is append-only by construction, and is what log
shippers (Fluent Bit, Vector, Promtail) already read. With several nodes, each node keeps its own
file in its own data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from stepforge.observe import held_write
from stepforge.serial_ids import Serial

log = logging.getLogger(__name__)
#: At most one line in this many seconds about a trail that cannot be written (a full disk).
LOG_EVERY = 10.0

EVENT_SOURCE = "states.amazonaws.com"
FILE_NAME = "audit.jsonl"
#: Longest string kept of a request parameter (definitions and inputs are trimmed, as CloudTrail does).
MAX_VALUE = 256
#: Request parameters never written (they may hold secrets or customer data), and what stands for them.
HIDDEN = frozenset({"input", "output", "definition", "cause", "taskToken"})
HIDDEN_VALUE = "HIDDEN_DUE_TO_SECURITY_REASONS"
#: Parameters kept of one object (the first ones).
MAX_KEPT = 32
_SCALARS = frozenset({bool, int, float})
_ARN_KEYS = {"stateMachineArn": "AWS::StepFunctions::StateMachine", "executionArn": "AWS::StepFunctions::Execution",
             "activityArn": "AWS::StepFunctions::Activity", "mapRunArn": "AWS::StepFunctions::MapRun",
             "stateMachineVersionArn": "AWS::StepFunctions::StateMachineVersion",
             "stateMachineAliasArn": "AWS::StepFunctions::StateMachineAlias",
             "resourceArn": "AWS::StepFunctions::Resource"}
_ARN_ORDER = {key: index for index, key in enumerate(_ARN_KEYS)}


@dataclass(slots=True)
class Call:
    """One API call as the HTTP edge saw it: ``params`` and ``response`` are the JSON objects of its
    request and response bodies (empty when there were none, or too large to keep)."""

    operation: str
    params: dict[str, Any]
    access_key: str | None
    source_ip: str
    user_agent: str
    region: str
    account: str
    error_code: str | None = None
    response: dict[str, Any] = field(default_factory=dict)
    console_user: str | None = None
    at: float = 0.0


def event(call: Call) -> dict[str, Any]:
    """``call`` as a CloudTrail-shaped event (the object of its :func:`line`)."""
    shaped: dict[str, Any] = json.loads(line(call))
    return shaped


def line(call: Call) -> str:
    """``call`` as one line of the trail: a CloudTrail-shaped event in JSON, newline included."""
    return encoded(call).decode()


def encoded(call: Call) -> bytes:
    """``call``'s :func:`line` in UTF-8, as the trail stores it.

    The line is written around its varying parts: what is the same for every call of one operation by
    one caller (source, names, identity) is encoded once (:func:`_fixed`), then the event's id and time,
    the request and the response are encoded and joined to it (the trail writes one line per audited
    call, so shaping it is most of the trail's cost)."""
    try:
        return _joined(call, _orjson)
    except TypeError:  # what orjson refuses (an integer past 64 bits, a lone surrogate): json's text
        return _joined(call, _json_bytes)


def _joined(call: Call, encode: Callable[[Any], bytes]) -> bytes:
    """The line: its fixed parts (:func:`_fixed`) joined with the varying ones, which ``encode`` writes."""
    params, response = call.params, call.response
    rest: dict[str, Any]
    if call.error_code:
        rest = {"errorCode": call.error_code, "errorMessage": str(response.get("message", ""))[:1024]}
    else:
        rest = {"responseElements": trimmed(response)}
    resources = _resources(params, response)
    if resources:
        rest["resources"] = resources
    before, after = _fixed(call.operation, call.region, call.source_ip, call.user_agent, call.access_key,
                           call.console_user, call.account)
    start = f'{{"eventVersion":"1.08","eventID":"{_EVENT_IDS.next()}","eventTime":"{_stamp(call.at or time.time())}"'
    return b"".join((start.encode(), before, encode(trimmed(params)), after, b",", memoryview(encode(rest))[1:],
                     b"\n"))


#: orjson's compact text of any value (what it cannot write, as ``str`` would), without a Python call around it.
_orjson: Callable[[Any], bytes] = functools.partial(orjson.dumps, default=str)


def _json_bytes(value: Any) -> bytes:
    """json's compact text of ``value`` in UTF-8, a lone surrogate as its JSON escape."""
    return _json_encode(value).encode("utf-8", "backslashreplace")


@functools.lru_cache(maxsize=1024)
def _fixed(operation: str, region: str, source_ip: str, user_agent: str, access_key: str | None,
           console_user: str | None, account: str) -> tuple[bytes, bytes]:
    """The parts of a line that are the same for every call of ``operation`` by one caller, encoded: what
    comes between ``eventTime`` and the request's parameters, and what comes after them."""
    before = orjson.dumps({"eventSource": EVENT_SOURCE, "eventName": operation, "awsRegion": region,
                           "sourceIPAddress": source_ip, "userAgent": user_agent[:256],
                           "userIdentity": _identity(access_key, console_user, account)})
    after = orjson.dumps({"readOnly": False, "eventType": "AwsApiCall", "recipientAccountId": account})
    return b"," + before[1:-1] + b',"requestParameters":', b"," + after[1:-1]


#: The compact JSON text of any value, json's (for what orjson refuses: an integer past 64 bits, a
#: key that is not a string).
_json_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _encode(value: Any) -> str:
    """The compact JSON text of any value (as json writes it, ``ensure_ascii=False``; orjson's, faster)."""
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:
        return _json_encode(value)


#: The events' ids (``uuid4()`` per event costs a system call for randomness; these are as unique in the trail).
_EVENT_IDS = Serial()


@functools.lru_cache(maxsize=1024)
def _identity(access_key: str | None, console_user: str | None, account: str) -> dict[str, Any]:
    """The ``userIdentity`` object (callers are few: made once per caller; never changed)."""
    identity: dict[str, Any] = {"type": "IAMUser" if access_key else "Anonymous", "accountId": account}
    if access_key:
        identity["accessKeyId"] = access_key
        identity["userName"] = access_key
    if console_user:
        identity = {"type": "ConsoleUser", "accountId": account, "userName": console_user}
    return identity


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
    for key, value in params.items() if len(params) <= MAX_KEPT else itertools.islice(params.items(), MAX_KEPT):
        kind = type(value)
        if key in HIDDEN:
            kept[key] = HIDDEN_VALUE
        elif kind is str:
            kept[key] = value if len(value) <= MAX_VALUE else value[:MAX_VALUE]
        elif value is None or kind in _SCALARS:
            kept[key] = value
        elif kind is dict or kind is list:
            kept[key] = _encode(value)[:MAX_VALUE]
        else:
            kept[key] = _kept(value)
    return kept


def _kept(value: Any) -> Any:
    """A value of a kind :func:`trimmed` does not see often: a subclass of a scalar or container."""
    if isinstance(value, str):
        return str(value)[:MAX_VALUE]
    if isinstance(value, (bool, int, float)):
        return value
    return _encode(value)[:MAX_VALUE]


def _resources(params: dict[str, Any], response: dict[str, Any]) -> list[dict[str, str]]:
    """The ARNs a call names (request first, in :data:`_ARN_KEYS`' order), each once, with its
    CloudTrail resource type."""
    found: list[dict[str, str]] = []
    arns: list[str] = []
    for source in (params, response):
        for key in _arn_keys(tuple(source)) if len(source) <= MAX_KEPT else _ARN_KEYS:
            value = source.get(key)
            if isinstance(value, str) and value not in arns:
                arns.append(value)
                found.append({"ARN": value, "type": _ARN_KEYS[key]})
    return found


@functools.lru_cache(maxsize=256)
def _arn_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    """Which of an object's ``keys`` name ARNs, in :data:`_ARN_KEYS`' order (found once per shape of object:
    the calls of one operation send and get the same few keys)."""
    return tuple(sorted((key for key in keys if key in _ARN_KEYS), key=_ARN_ORDER.__getitem__))


class AuditLog:
    """Appends events to ``path``; past ``max_bytes`` the file is rotated to ``<name>.1`` ... ``.<keep>``.

    A call is written with one ``write(2)`` as :meth:`record` is called, from any thread: the line is
    in the operating system's hands before it returns. On the thread of an event loop the log is bound
    to (:meth:`batch_on`), calls are kept until :meth:`flush`, which that loop calls once in the turn
    they were recorded in, and which ``serve``'s HTTP transport calls before it sends any answer
    (:class:`~stepforge.http_protocol.CoalescingHttpProtocol`): the turn's lines go in one write, and
    still before their answers. Either way a client that has its answer finds the call in the trail,
    and a crash of the process (even SIGKILL) loses no call that was answered; only the machine's own
    crash can lose what the OS had not written to disk yet (there is no fsync per line). When the
    file cannot be written (a full disk), the events are dropped and counted, and one line every
    :data:`LOG_EVERY` seconds says so.
    """

    def __init__(self, path: Path, *, max_bytes: int = 100 * 1024 * 1024, keep: int = 10) -> None:
        self.path, self.max_bytes, self.keep = path, max_bytes, keep
        self._lock = threading.Lock()
        self._descriptor: int | None = None
        self._size = 0
        self._lost = 0  # events not written since the last report
        self._reported: float | None = None  # when that report was (monotonic)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None  # the thread whose calls wait for :meth:`flush`
        self._pending: list[Call] = []

    def batch_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """Keep the calls recorded on ``loop``'s thread (the caller's) for :meth:`flush`, which ``loop``
        calls in the turn they were recorded in (unless it was called before)."""
        self._loop, self._loop_thread = loop, threading.get_ident()

    def record(self, call: Call) -> None:
        """Append ``call``'s event to the trail (or keep it for this turn's :meth:`flush`)."""
        if self._loop_thread == threading.get_ident() and self._loop is not None:
            if not self._pending:
                self._loop.call_soon(self.flush)
            self._pending.append(call)
            return
        self._write(encoded(call), 1)

    def flush(self) -> None:
        """Write the calls kept for it, in one ``write(2)`` (never raising: answers go out after it)."""
        if self._pending:
            calls, self._pending = self._pending, []
            self._write(b"".join(filter(None, map(_encoded_or_none, calls))), len(calls))

    def _write(self, data: bytes, events: int) -> None:
        with self._lock:
            try:
                self._append(data)
            except OSError as exc:  # a full disk must not stop the API nor flood the log: say so, now and then
                self._failed(exc, events)

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._close()

    def _append(self, data: bytes) -> None:
        descriptor = self._descriptor if self._descriptor is not None else self._open()
        written = held_write.write(descriptor, data)  # O_APPEND: the line lands whole at the end
        while written < len(data):  # a short write (the disk just filled): the rest, or OSError
            written += held_write.write(descriptor, data[written:])
        self._size += written
        if self._size > self.max_bytes:
            self._close()
            self._rotate()
            self._open()  # a new, empty trail at once (readers always find the current file)

    def _failed(self, exc: OSError, events: int) -> None:
        self._lost += events
        now = time.monotonic()
        if self._reported is None or now - self._reported >= LOG_EVERY:
            log.error("cannot write the audit trail to %s: %s (%d event(s) lost)", self.path, exc, self._lost)
            self._reported, self._lost = now, 0
        with contextlib.suppress(OSError):
            self._close()

    def _open(self) -> int:
        """The trail in append mode, readable by its owner only (like every file of the data directory)."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._size = os.fstat(self._descriptor).st_size
        return self._descriptor

    def _close(self) -> None:
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            os.close(descriptor)

    def _rotate(self) -> None:
        for index in range(self.keep - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{index + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))


def _encoded_or_none(call: Call) -> bytes | None:
    """``call``'s line; None (and a logged error) for a call its shaping fails on: the turn's other calls
    are written and its answers still go out."""
    try:
        return encoded(call)
    except Exception:
        log.exception("cannot write the audit event of a call to %s", call.operation)
        return None


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
