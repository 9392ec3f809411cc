"""The snapshot manager's Lambda functions, as plain Python, over an in-memory stand-in for EC2
(``stepforge serve --functions ebs_functions``)."""

from __future__ import annotations

import itertools
from typing import Any

import stepforge

#: Snapshots per server, oldest first: (snapshot id, volume id, tags).
SNAPSHOTS: dict[str, list[dict[str, Any]]] = {}
#: What ``report`` sent (a real one would page someone).
REPORTS: list[dict[str, Any]] = []
_IDS = itertools.count(1)


class VolumeNotFound(Exception):
    """No such volume (EC2's InvalidVolume.NotFound)."""


@stepforge.function("snapshot")
def snapshot(event: dict[str, Any], context: Any) -> dict[str, Any]:
    volume = event["volume"]
    if not str(volume).startswith("vol-"):
        raise VolumeNotFound(f"The volume '{volume}' does not exist.")
    taken = {"snapshot": f"snap-{next(_IDS):04d}", "volume": volume, "server": event["server"], "tags": {}}
    SNAPSHOTS.setdefault(event["server"], []).append(taken)
    return {"snapshot": taken["snapshot"], "volume": volume, "server": event["server"]}


@stepforge.function("tag")
def tag(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for taken in SNAPSHOTS.get(event["server"], []):
        if taken["snapshot"] == event["snapshot"]:
            taken["tags"]["managed-by"] = "stepforge"
    return {**event, "tagged": True}


@stepforge.function("prune")
def prune(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Delete all but the ``keep`` newest snapshots of each of the server's volumes."""
    kept: list[dict[str, Any]] = []
    deleted = []
    by_volume: dict[str, list[dict[str, Any]]] = {}
    for taken in SNAPSHOTS.get(event["server"], []):
        by_volume.setdefault(taken["volume"], []).append(taken)
    for snapshots in by_volume.values():
        cut = max(0, len(snapshots) - event["keep"])
        deleted += [s["snapshot"] for s in snapshots[:cut]]
        kept += snapshots[cut:]
    SNAPSHOTS[event["server"]] = kept
    return {"deleted": deleted}


@stepforge.function("report")
def report(event: dict[str, Any], context: Any) -> None:
    REPORTS.append({"server": event["server"], "failure": event["failure"]})
