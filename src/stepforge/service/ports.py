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
    asked = Asked()
    ctx.engine.on_ended = EndedExecution(ctx, asked)
    ctx.engine.on_started = StartedExecution(ctx, asked)
    return ctx


class Asked:
    """What the hooks' ``wanted`` read, read once per unit of work (the engine asks for every execution
    of its batch, two or three times). Rules and machine statuses change in API writes, which a batch
    runs before its steps and hooks; a hook may delete a machine (read here still as DELETING: its
    hook then finds nothing to do), never mark one DELETING nor change a rule."""

    __slots__ = ("_deleting", "_listening", "_tx")

    def __init__(self) -> None:
        self._tx: UnitOfWork | None = None
        self._listening = False
        self._deleting: dict[str, bool] = {}

    def _of(self, tx: UnitOfWork) -> None:
        if tx is not self._tx:
            self._tx, self._listening, self._deleting = tx, status_events.any_rule(tx), {}

    def listening(self, tx: UnitOfWork, record: ExecutionRecord) -> bool:
        """:func:`status_events.listening`, the rules read once."""
        self._of(tx)
        return self._listening and status_events.sends(record)

    def deleting(self, tx: UnitOfWork, machine_arn: str) -> bool:
        """:func:`versions.deleting`, each machine read once."""
        self._of(tx)
        found = self._deleting.get(machine_arn)
        if found is None:
            found = self._deleting[machine_arn] = versions.deleting(tx, machine_arn)
        return found


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

    def __init__(self, ctx: ServiceContext, asked: Asked) -> None:
        self.ctx, self.asked = ctx, asked

    def wanted(self, tx: UnitOfWork, record: ExecutionRecord) -> bool:
        return self.asked.deleting(tx, record.state_machine_arn) or self.asked.listening(tx, record)

    def __call__(self, tx: UnitOfWork, record: ExecutionRecord) -> None:
        versions.purge_if_idle(self.ctx.within(tx), record.state_machine_arn)
        status_events.publish(self.ctx.within(tx), record)


class StartedExecution:
    """The engine's start hook: the RUNNING status-change event, to the rules that match it."""

    def __init__(self, ctx: ServiceContext, asked: Asked) -> None:
        self.ctx, self.asked = ctx, asked

    def wanted(self, tx: UnitOfWork, record: ExecutionRecord) -> bool:
        return self.asked.listening(tx, record)

    def __call__(self, tx: UnitOfWork, record: ExecutionRecord) -> None:
        status_events.publish(self.ctx.within(tx), record)
