"""The records' JSON text: frames, history and signals (orjson's) read back as json wrote them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepforge.asl.records import Children, Event, Frame, Run, TaskSucceeded, Wait
from stepforge.store.codec import decode_run, decode_signal, dumps, encode_events, encode_run, encode_signal

DETAILS: list[Any] = [
    {"input": "{\"x\": \"\\u2028 é\"}", "inputDetails": {"truncated": False}},
    {"a": [1, 2.5, None, True], "b": {"c": -1e16, "d": 1e-07, "e": 0.1}},
    {"big": [12345678901234567890123, -(2 ** 70)]},  # past orjson's 64 bits: json's encoder writes them
    {"odd": "\ud800 a lone surrogate"},              # orjson refuses it
    None,
]


@pytest.mark.parametrize("details", DETAILS)
def test_events_read_back_as_json_wrote_them(details: Any) -> None:
    events = [Event(7, 6, "PassStateEntered", 1_700_000_000.123456, "stateEnteredEventDetails", details),
              Event(8, 7, "PassStateExited", 1_700_000_000.5)]
    text = encode_events(events)
    assert json.loads(text) == json.loads(dumps([list(vars_of(e)) for e in events]))
    assert [Event(*fields) for fields in json.loads(text)] == events


def vars_of(event: Event) -> tuple[Any, ...]:
    return (event.id, event.previous_event_id, event.type, event.timestamp, event.details_key, event.details)


def test_a_run_round_trips_with_its_frames() -> None:
    frame = Frame(3, (("Map", 0), ("Iterator", 2)), "S", {"n": [1, 2.5, None], "big": 2 ** 80}, parent=0,
                  attempts={1: 2}, wait=Wait(4, "task", "activity", True, "tok"),
                  children=Children(2, [None, {"k": "v"}], [1, None], launched=2), variables={"v": 7})
    run = Run(frames={0: Frame(0, (), "Map", {}), 3: frame}, next_frame_id=4, status="RUNNING")
    text = encode_run(run)
    assert decode_run(text) == run
    assert text == dumps(run)  # no float in exponent form: the very text json writes


def test_signals_round_trip() -> None:
    signal = TaskSucceeded(5, {"out": [1, 2 ** 65]})
    assert decode_signal(encode_signal(signal)) == signal
    assert decode_signal(encode_signal(None)) is None


def test_a_value_neither_encoder_knows_is_refused() -> None:
    with pytest.raises(TypeError):
        encode_events([Event(1, 0, "ExecutionStarted", 1.0, "executionStartedEventDetails", {"x": object()})])
