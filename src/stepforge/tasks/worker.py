"""Activity workers: ``@activity("name")`` handlers polled through the Step Functions API.

    import stepforge

    @stepforge.activity("encode", heartbeat=10)
    def encode(event, context):
        for chunk in event["chunks"]:
            context.heartbeat()                 # optional: heartbeats also go out every 10 s
            ...
        return {"done": True}

``stepforge worker --activities myapp.workers --endpoint http://127.0.0.1:8083`` creates each
activity (CreateActivity is idempotent), long-polls it with ``--concurrency`` pollers, sends
SendTaskSuccess with the handler's result or SendTaskFailure with its exception (error = the
exception's class name), and heartbeats while a handler runs. SIGTERM/SIGINT stop polling; the polls
in flight end and the tasks in hand finish and report first (a second signal exits at once, and a
task then in hand waits for its TimeoutSeconds/HeartbeatSeconds, as with any worker that dies). Any
boto3 worker keeps working just the same.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger(__name__)

H = TypeVar("H", bound=Callable[..., Any])
_MARK = "__stepforge_activity__"


def activity(name: str | None = None, *, heartbeat: float | None = None) -> Callable[[H], H]:
    """Mark ``handler(event, context)`` as the worker of the activity ``name`` (default: its own name)."""

    def mark(handler: H) -> H:
        setattr(handler, _MARK, (name or handler.__name__, heartbeat))
        return handler

    return mark


@dataclass(frozen=True, slots=True)
class Activity:
    """A handler for one activity, and how often to heartbeat while it runs."""

    name: str
    handler: Callable[[Any, Any], Any]
    heartbeat: float | None = None


def load(module_names: list[str]) -> list[Activity]:
    """The ``@activity`` handlers of these modules."""
    found = []
    for module_name in module_names:
        for value in vars(importlib.import_module(module_name)).values():
            marked = getattr(value, _MARK, None)
            if marked is not None:
                found.append(Activity(marked[0], value, marked[1]))
    return found


class TaskContext:
    """The ``context`` of an activity handler: its token and a way to heartbeat."""

    def __init__(self, client: Any, token: str, activity_name: str) -> None:
        self.client = client
        self.token = token
        self.activity_name = activity_name

    def heartbeat(self) -> None:
        self.client.send_task_heartbeat(taskToken=self.token)


class Worker:
    """Polls activities and runs their handlers on ``concurrency`` threads per activity."""

    def __init__(self, client: Any, activities: list[Activity], *, concurrency: int = 4,
                 worker_name: str = "stepforge-worker") -> None:
        self.client = client
        self.activities = activities
        self.concurrency = concurrency
        self.worker_name = worker_name
        self.stopping = threading.Event()
        self.handled = 0
        self._in_hand = 0
        self._count_lock = threading.Condition()

    def run(self) -> None:
        """Poll until :meth:`stop`; returns once every poll in flight has ended and no task is in hand.

        A GetActivityTask long poll cannot be withdrawn: a worker that left it could be handed a task
        as it stops, and that task would wait for its TimeoutSeconds/HeartbeatSeconds. So stopping
        waits for each poll in flight (at most the API's 60 s long poll; a task ends it at once), and
        the task a poll brings then is **run** and reported like the tasks in hand, not failed back
        with SendTaskFailure: the worker was asked to stop taking work, not to refuse work it holds,
        and a failure would spend one of the state's Retry attempts (or fail the execution) for no
        fault of the task."""
        arns = {item.name: self.client.create_activity(name=item.name)["activityArn"] for item in self.activities}
        pollers = [threading.Thread(target=self._poll, args=(item, arns[item.name]), daemon=True,
                                    name=f"poll-{item.name}-{index}")
                   for item in self.activities for index in range(self.concurrency)]
        for poller in pollers:
            poller.start()
        for poller in pollers:
            poller.join()
        with self._count_lock:
            self._count_lock.wait_for(lambda: self._in_hand == 0)

    def stop(self) -> None:
        """Poll no more: :meth:`run` returns once the polls in flight and the tasks in hand are done."""
        self.stopping.set()

    def _poll(self, item: Activity, arn: str) -> None:
        while not self.stopping.is_set():
            try:
                task = self.client.get_activity_task(activityArn=arn, workerName=self.worker_name)
            except Exception:
                log.exception("polling %s failed", item.name)
                self.stopping.wait(1.0)
                continue
            if task.get("taskToken"):
                self.handle(item, task["taskToken"], task.get("input") or "{}")

    def handle(self, item: Activity, token: str, input_text: str) -> None:
        """Run one task's handler and report its result (heartbeating meanwhile)."""
        context = TaskContext(self.client, token, item.name)
        done = threading.Event()
        with self._count_lock:
            self._in_hand += 1
        if item.heartbeat:
            threading.Thread(target=self._beat, args=(context, item.heartbeat, done), daemon=True).start()
        try:
            output = item.handler(json.loads(input_text), context)
            self.client.send_task_success(taskToken=token, output=json.dumps(output))
        except Exception as exc:  # noqa: BLE001 - the handler's error is the task's failure
            cause = json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__,
                                "stackTrace": traceback.format_tb(exc.__traceback__)})
            try:
                self.client.send_task_failure(taskToken=token, error=type(exc).__name__[:256], cause=cause[:32768])
            except Exception:
                log.exception("reporting the failure of %s failed", item.name)
        finally:
            done.set()
            with self._count_lock:
                self.handled += 1
                self._in_hand -= 1
                self._count_lock.notify_all()

    def _beat(self, context: TaskContext, every: float, done: threading.Event) -> None:
        while not done.wait(every):
            try:
                context.heartbeat()
            except Exception:
                log.warning("heartbeat of %s failed", context.activity_name, exc_info=True)
                return
