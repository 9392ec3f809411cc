"""The one dispatch seam: what a Task's Resource reaches, and how a scheduled task gets there.

This issue's targets are activities (queued for ``GetActivityTask`` long-polls). Every other
resource fails the state with a clear ``States.Runtime`` error naming the resource, until its
integration exists (Lambda-style Python functions, HTTP, child executions, mocks).
"""

from __future__ import annotations

import secrets

from stepforge.asl import errors
from stepforge.asl.errors import StatesError
from stepforge.asl.records import DispatchTask
from stepforge.store.base import Store
from stepforge.store.records import ActivityTaskRecord

_ACTIVITY_MARK = ":activity:"


class Dispatcher:
    """Resolves resources and hands scheduled tasks to their target."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def resolve(self, resource: str) -> str:
        """The kind of ``resource`` ("activity", ...) or a StatesError the state fails with."""
        if resource.startswith("arn:") and _ACTIVITY_MARK in resource:
            if self.store.get_activity(resource) is None:
                raise StatesError(errors.RUNTIME, f"The activity {resource} does not exist.")
            return "activity"
        raise StatesError(
            errors.RUNTIME,
            f"The resource '{resource}' is not supported by this stepforge server "
            "(supported: activity ARNs).",
        )

    def dispatch(self, execution_arn: str, command: DispatchTask, now: float) -> None:
        """Queue an activity task; its token is what the worker sends back."""
        token = secrets.token_urlsafe(48)
        self.store.add_task(ActivityTaskRecord(
            token=token, activity_arn=command.resource, execution_arn=execution_arn,
            wait_id=command.wait_id, input=command.input_json, scheduled=now,
        ))
