"""The video pipeline's Lambda functions, as plain Python (``stepforge serve --functions video_functions``)."""

from __future__ import annotations

from typing import Any

import stepforge

ENCODER_JOBS: dict[str, int] = {}


def split(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Cut the upload into parts the encoder takes one by one."""
    return {**event, "chunks": [f"{event['video']}#{i}" for i in range(event["parts"])]}


@stepforge.function("start-encode")
def start_encode(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Submit the encoding job; the encoder answers after ``polls`` checks, ``wait`` seconds apart."""
    job = f"job-{event['video']}"
    ENCODER_JOBS[job] = event.get("polls", 2)
    return {**event, "job": job, "wait": event.get("wait", 60)}


@stepforge.function("check-encode")
def check_encode(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ENCODER_JOBS[event["job"]] -= 1
    done = ENCODER_JOBS[event["job"]] <= 0
    return {**event, "status": "DONE" if done else "RUNNING",
            "output": event["video"].replace(".mp4", ".encoded.mp4") if done else None}


def archive(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"archived": event["chunks"], "output": event["output"]}
