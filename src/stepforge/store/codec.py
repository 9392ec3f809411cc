"""JSON encodings of the interpreter's records, for stores that keep them as text.

A :class:`Run` (frames, counters), history :class:`Event` details and :data:`Signal` s round-trip
through these functions unchanged. Decoding follows the dataclass fields, so a field added to a
record travels without touching this module (as long as it holds JSON values).

Frames, history and signals — text only these functions read back — are written by orjson (a hello
execution's history: 11 us with json's encoder, 1.4 us): the same values as json's text (dataclasses as
objects in field order, tuples as arrays, integer keys as strings), a float maybe spelled otherwise
(``1e-7`` for ``1e-07``); what orjson refuses (an integer past 64 bits, a lone surrogate) json writes.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import orjson

from stepforge.asl import records as r

_SIGNALS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (r.TaskStarted, r.TaskSubmitted, r.TaskSucceeded, r.TaskFailed, r.TaskHeartbeat, r.TimerFired, r.Resume, r.Stop,
                r.MapRunEnded)
}


def _plain(value: Any) -> Any:
    names = _FIELDS.get(type(value))
    if names is None:
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            if isinstance(value, tuple):
                return list(value)
            raise TypeError(f"cannot encode {type(value).__name__}")
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    return {name: getattr(value, name) for name in names}


#: The field names of each record class encoded so far (``dataclasses.fields`` is slow to ask each time).
_FIELDS: dict[type, tuple[str, ...]] = {}


_ENCODER = json.JSONEncoder(default=_plain, separators=(",", ":"), ensure_ascii=False)


def dumps(value: Any) -> str:
    """Compact JSON of records and plain values (dataclasses become objects, tuples arrays)."""
    return _ENCODER.encode(value)


_OPTIONS = orjson.OPT_NON_STR_KEYS


def _fast(value: Any) -> str:
    """What :func:`dumps` writes, as values (see the module)."""
    try:
        return orjson.dumps(value, default=_plain, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return _ENCODER.encode(value)


def encode_run(run: r.Run) -> str:
    return _fast(run)


def encode_events(events: list[r.Event]) -> str:
    """Consecutive history events as one text: a JSON array of each event's fields, in order."""
    return _fast([(e.id, e.previous_event_id, e.type, e.timestamp, e.details_key, e.details) for e in events])


def decode_run(text: str) -> r.Run:
    data = json.loads(text)
    frames = {int(k): _frame(v) for k, v in data.pop("frames").items()}
    return r.Run(frames=frames, **data)


def _frame(data: dict[str, Any]) -> r.Frame:
    data["address"] = tuple((name, index) for name, index in data["address"])
    data["attempts"] = {int(k): v for k, v in data["attempts"].items()}
    if data.get("wait") is not None:
        data["wait"] = r.Wait(**data["wait"])
    if data.get("children") is not None:
        children = data["children"]
        data["children"] = r.Children(**children)
    return r.Frame(**data)


def encode_signal(signal: r.Signal | None) -> str:
    if signal is None:
        return "null"
    return _fast({"signal": type(signal).__name__, **_plain(signal)})


def decode_signal(text: str) -> r.Signal | None:
    data = json.loads(text)
    if data is None:
        return None
    cls = _SIGNALS[data.pop("signal")]
    signal: r.Signal = cls(**data)
    return signal
