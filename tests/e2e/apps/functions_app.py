"""Python functions for the end-to-end tests: the seed talk's examples, served with ``--functions``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import stepforge

_jobs: dict[str, int] = {}
_busy: dict[str, int] = {}


class EncoderBusy(Exception):
    """Every encoder is taken: the decider's Retry waits and asks again."""


def split(event: Any, context: Any) -> Any:
    """The video pipeline's first step: cut the video into chunks."""
    return {**event, "chunks": [f"{event['video']}#{i}" for i in range(event["parts"])]}


@stepforge.function("start-encode")
def start_encode(event: Any, context: Any) -> Any:
    job = f"job-{context.aws_request_id}"
    _jobs[job] = event.get("polls", 2)
    return {**event, "job": job}


@stepforge.function("check-encode")
def check_encode(event: Any, context: Any) -> Any:
    _jobs[event["job"]] -= 1
    return {**event, "status": "DONE" if _jobs[event["job"]] <= 0 else "RUNNING", "wait": 0}


def concat(event: Any, context: Any) -> Any:
    return {"output": event["video"].replace(".mp4", ".encoded.mp4"), "parts": len(event["chunks"])}


def decide_encoder(event: Any, context: Any) -> Any:
    """The encoder decider: busy twice (a custom error), then an encoder and how long to wait for it."""
    _busy[event["id"]] = _busy.get(event["id"], 0) + 1
    if _busy[event["id"]] <= 2:
        raise EncoderBusy(f"all encoders busy (attempt {_busy[event['id']]})")
    return {"encoder": "x264", "wait": 1, "attempts": _busy[event["id"]]}


def ask_approval(event: Any, context: Any) -> Any:
    """'Mail' the approver: write the approve/reject links where the test can read them."""
    draft = Path(event["outbox"] + ".draft")
    draft.write_text(json.dumps(stepforge.approval_links(event["token"])))
    draft.replace(event["outbox"])  # the test sees the whole file or none
    return {"sent": True}


def noop(event: Any, context: Any) -> Any:
    return event
