"""The encoder decider's Lambda functions, as plain Python (``stepforge serve --functions encoder_functions``).

An in-memory encoder farm stands in for the real one: a job takes ``eta_seconds`` and is checked once.
"""

from __future__ import annotations

import itertools
from typing import Any

import stepforge

_JOBS = itertools.count(1)
_PROFILES = {"uhd-hevc": 600, "hd-h264": 120, "sd-h264": 30}


@stepforge.function("probe")
def probe(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """What the file holds (here: what its name says, e.g. ``talk.2160p.prores.mov``)."""
    name = event["video"]
    height = next((int(part[:-1]) for part in name.split(".") if part.endswith("p") and part[:-1].isdigit()), 480)
    codec = "prores" if ".prores." in name else "h264"
    return {"height": height, "codec": codec}


@stepforge.function("encode")
def encode(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"id": f"job-{next(_JOBS)}", "profile": event["profile"], "eta_seconds": _PROFILES[event["profile"]]}


@stepforge.function("check")
def check(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"id": event["job"], "state": "DONE", "eta_seconds": 0}
