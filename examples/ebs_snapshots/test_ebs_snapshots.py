"""The EBS snapshot manager: both volumes are snapshotted in parallel and tagged, old snapshots are
pruned, EC2 throttling is retried inside a branch, and any failure — in a branch or in the pruning —
is reported once and fails the run."""

from __future__ import annotations

import ebs_functions
import pytest

from stepforge.pytest_plugin import Machine, Return, StepForge, Throw

SERVER = {"server": "web-1", "volumes": {"root": "vol-root", "data": "vol-data"}, "keep": 2}


def test_both_volumes_are_snapshotted_tagged_and_old_ones_pruned(manager: Machine) -> None:
    for _ in range(3):
        run = manager.run(SERVER)
        assert run.status == "SUCCEEDED", run.cause
    assert {s["volume"] for s in run.output["snapshots"]} == {"vol-root", "vol-data"}
    assert all(s["tagged"] for s in run.output["snapshots"])
    assert len(run.output["pruned"]["deleted"]) == 2  # the third run deletes the first run's two
    kept = ebs_functions.SNAPSHOTS["web-1"]
    assert len(kept) == 4 and all(s["tags"] == {"managed-by": "stepforge"} for s in kept)
    assert set(run.path) == {"SnapshotVolumes", "SnapshotRoot", "TagRoot", "SnapshotData", "TagData", "PruneOld"}


@pytest.mark.parametrize(("throttled_state", "other"), [("SnapshotData", "SnapshotRoot"),
                                                       ("SnapshotRoot", "SnapshotData")])
def test_a_throttled_snapshot_is_retried_within_its_branch(stepforge: StepForge, manager: Machine,
                                                           throttled_state: str, other: str) -> None:
    throttled = Throw("Ec2.Throttled", "Request limit exceeded.")
    stepforge.mock(throttled_state, throttled, throttled,
                   Return({"snapshot": "snap-x", "volume": "vol-x", "server": "web-1"}))
    run = manager.run(SERVER)
    assert run.status == "SUCCEEDED"
    assert run.state(throttled_state).retries == 2 and run.state(other).retries == 0
    assert run.seconds == 1 + 2


def test_a_missing_volume_is_reported_and_fails_the_run(manager: Machine) -> None:
    run = manager.run({**SERVER, "volumes": {"root": "vol-root", "data": "disk-9"}})
    assert (run.status, run.error) == ("FAILED", "SnapshotFailed")
    assert run.caught == [("SnapshotVolumes", "VolumeNotFound")]
    assert run.path[-2:] == ["ReportFailure", "Failed"]
    [report] = ebs_functions.REPORTS
    assert report["failure"]["Error"] == "VolumeNotFound" and "disk-9" in report["failure"]["Cause"]


def test_a_failed_pruning_is_reported_too(stepforge: StepForge, manager: Machine) -> None:
    stepforge.mock("PruneOld", Throw("Ec2.Unavailable", "try later"))
    run = manager.run(SERVER)
    assert (run.status, run.error) == ("FAILED", "SnapshotFailed")
    assert run.caught == [("PruneOld", "Ec2.Unavailable")] and len(ebs_functions.REPORTS) == 1
