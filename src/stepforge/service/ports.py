"""What the service layer lends the layers below it: they call up through these ports, never by import.

:func:`connect` plugs them into a context's engine once the context exists (the engine is built
first, the context holds it):

- child executions (``states:startExecution``) start through :func:`executions.start_child`, so they
  honour what StartExecution honours — versions, aliases, DELETING machines, the quota;
- when an execution ends, inside the engine's batch, a machine marked DELETING that nothing runs on
  any more is deleted (:func:`versions.purge_if_idle`), and its status-change event goes to the
  matching event rules (:func:`status_events.publish`).
"""

from __future__ import annotations

from stepforge.service import executions, status_events, versions
from stepforge.service.context import ServiceContext
from stepforge.service.errors import ApiError
from stepforge.store.base import UnitOfWork
from stepforge.store.records import ExecutionRecord
from stepforge.tasks.children import StartRefused


def connect(ctx: ServiceContext) -> ServiceContext:
    """Connect ``ctx``'s engine to the service layer; returns ``ctx``."""
    ctx.engine.dispatcher.start_execution = ChildStarter(ctx)
    ctx.engine.on_ended = EndedExecution(ctx)
    ctx.engine.on_started = StartedExecution(ctx)
    return ctx


class ChildStarter:
    """The :class:`stepforge.tasks.children.StartExecution` port: StartExecution for a child."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def __call__(self, machine_arn: str, input_text: str, name: str) -> str:
        """Start the child in a transaction of its own (called after the commit that dispatched it)."""
        try:
            with self.ctx.engine.store.transaction() as tx:
                return executions.start_child(self.ctx.within(tx), machine_arn, input_text, name)
        except ApiError as exc:
            raise StartRefused(exc.code, exc.message, exc.status) from None


class EndedExecution:
    """The engine's end hook: the last execution of a machine being deleted takes the machine with it."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def wanted(self, tx: UnitOfWork, record: ExecutionRecord) -> bool:
        return versions.deleting(tx, record.state_machine_arn) or status_events.listening(tx, record)

    def __call__(self, tx: UnitOfWork, record: ExecutionRecord) -> None:
        versions.purge_if_idle(self.ctx.within(tx), record.state_machine_arn)
        status_events.publish(self.ctx.within(tx), record)


class StartedExecution:
    """The engine's start hook: the RUNNING status-change event, to the rules that match it."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def wanted(self, tx: UnitOfWork, record: ExecutionRecord) -> bool:
        return status_events.listening(tx, record)

    def __call__(self, tx: UnitOfWork, record: ExecutionRecord) -> None:
        status_events.publish(self.ctx.within(tx), record)
