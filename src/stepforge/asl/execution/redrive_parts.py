"""Redrive of a failed Map or Parallel: rerun only the iterations or branches that did not succeed.

When a top-level inline Map or a Parallel fails because one of its iterations or branches failed,
:func:`keep` records in the run (``Run.failed_children``, plain JSON) which indexes had succeeded
and their results. A redrive that resumes at that same state entry (:func:`kept_for`) hands them to
the state's launch, where :func:`prefill` puts the results back and marks the indexes done: only the
others run again, and the state's output is the old results merged with the new ones, in order.
"""

from __future__ import annotations

from typing import Any

from stepforge.asl.records import Children, Frame, Run


def keep(run: Run, frame: Frame, children: Children) -> None:
    """A top-level Map/Parallel is failing: remember what succeeded (for a later redrive)."""
    if children.map_run is not None:
        return
    done = sorted(set(children.done) | set(children.kept))
    run.failed_children = {
        "state": frame.state, "entered_event_id": frame.entered_event_id, "total": children.total,
        "done": done, "results": {str(i): children.results[i] for i in done},
    }


def keep_map_run(run: Run, frame: Frame, map_run_arn: str) -> None:
    """A top-level Distributed Map is failing: a redrive at this entry redrives its Map Run."""
    if frame.parent is None:
        run.failed_children = {"state": frame.state, "entered_event_id": frame.entered_event_id,
                               "map_run": map_run_arn}


def kept_for(run: Run, state: str, entered_event_id: int) -> dict[str, Any] | None:
    """What :func:`keep` recorded for this state entry, or None; forgets it either way."""
    kept, run.failed_children = run.failed_children, None
    if kept is None or kept.get("state") != state or kept.get("entered_event_id") != entered_event_id:
        return None
    return kept


def prefill(children: Children, kept: dict[str, Any] | None) -> None:
    """Put the kept results back and mark their indexes done, so that they are not run again."""
    if kept is None or kept.get("total") != children.total:
        return
    for key, value in kept["results"].items():
        children.results[int(key)] = value
    children.kept = list(kept["done"])
    children.done = list(kept["done"])
    children.succeeded = len(children.kept)
