"""``stepforge worker`` stopping against a real server: a GetActivityTask long poll in flight is not
abandoned; the task it receives as the worker stops is run and reported before ``run`` returns."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from stepforge.tasks.worker import Activity, Worker


class Watched:
    """The worker's boto3 client, telling the test when a poll is on its way to the server."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.polling = threading.Event()

    def get_activity_task(self, **params: Any) -> Any:
        self.polling.set()
        return self.client.get_activity_task(**params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def test_a_task_a_poll_receives_as_the_worker_stops_is_run_before_it_returns(
        sfn: Any, create_machine: Callable[..., str], wait_for_execution: Callable[..., dict[str, Any]],
        unique_name: Callable[[str], str]) -> None:
    name = unique_name("stopping")
    client = Watched(sfn)
    worker = Worker(client, [Activity(name, lambda event, context: {"seen": event})], concurrency=1)
    running = threading.Thread(target=worker.run)
    running.start()
    assert client.polling.wait(timeout=20)
    worker.stop()  # its poll is in flight, with no task yet
    activity = sfn.create_activity(name=name)["activityArn"]
    machine = create_machine(json.dumps({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": activity, "TimeoutSeconds": 60, "End": True}}}))
    arn = sfn.start_execution(stateMachineArn=machine, input='{"n": 1}')["executionArn"]
    running.join(timeout=30)
    assert not running.is_alive() and worker.handled == 1  # run() returned after the task, not before
    described = wait_for_execution(arn)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"seen": {"n": 1}})
