"""EXPRESS executions at the service layer: started in memory (``engine.express``), never stored.

What AWS answers for them, and so stepforge:

- StartExecution and StartSyncExecution return ``arn:aws:states:REGION:ACCOUNT:express:MACHINE:NAME:ID``
  ARNs; names need not be unique (no idempotency, no ExecutionAlreadyExists) and the open-execution
  quota does not count them;
- DescribeExecution, GetExecutionHistory, StopExecution and DescribeStateMachineForExecution refuse an
  ``express`` ARN with InvalidArn (``Resource type not valid in this context: express``), and
  ListExecutions refuses an EXPRESS machine with StateMachineTypeNotSupported: their events are
  in the machine's execution logs (``loggingConfiguration``), and the console lists the ones that
  ended lately from there (:func:`recent`);
- an execution lasts at most five minutes and ends TIMED_OUT; an asynchronous one survives nothing
  (at-least-once, as AWS documents for Express: a server that stops forgets it).
"""

from __future__ import annotations

from typing import Any

from stepforge.engine.express import Done
from stepforge.engine.logs import Ended, Target
from stepforge.service.context import Request, ServiceContext
from stepforge.store.records import ExecutionRecord, StateMachineRecord
from stepforge.tasks import children

#: Inputs up to this size (characters) may run on the caller's thread (see :func:`runs_inline`).
INLINE_INPUT = 4096
#: ``arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`` has this many colons (a version or alias one more).
_MACHINE_COLONS = 6


def runs_inline(ctx: ServiceContext, req: Request) -> bool:
    """Whether this Start(Sync)Execution may run on the calling thread (the API's event loop): its machine,
    named without a version or alias, was read a moment ago (no store read), is EXPRESS, logs nothing
    (no file to write) and is quick (:meth:`~stepforge.engine.express.ExpressRunner.quick`: no task, no
    wait, no loop), and its input is small. Anything else runs in a worker thread."""
    arn, text = req.params.get("stateMachineArn"), req.params.get("input")
    if not isinstance(arn, str) or arn.count(":") != _MACHINE_COLONS or "#" in arn:
        return False
    if text is not None and (not isinstance(text, str) or len(text) > INLINE_INPUT):
        return False
    machine = ctx.engine.machines.peek(arn, ctx.engine.clock.now())
    return (machine is not None and machine.type == "EXPRESS"
            and Target.of(machine.logging_configuration, machine.arn) is None
            and ctx.engine.express.quick(machine.definition))


def run(ctx: ServiceContext, record: ExecutionRecord, machine: StateMachineRecord, done: Done | None = None, *,
        remember: bool = False) -> bool:
    """Run ``record`` (an EXPRESS execution of ``machine``) in memory, in the calling thread as far
    as it goes without waiting. True when it ended before this returned; else ``done`` gets it when
    it ends. ``remember``: a child a ``.sync`` parent may look for once it ended."""
    return ctx.engine.express.start(record, Target.of(machine.logging_configuration, machine.arn), done,
                                    remember=remember)


def start(ctx: ServiceContext, record: ExecutionRecord, machine: StateMachineRecord) -> dict[str, Any]:
    """StartExecution of an EXPRESS machine: run it (:func:`run`); the answer."""
    run(ctx, record, machine)
    return {"executionArn": record.arn, "startDate": record.started}


def start_child(ctx: ServiceContext, record: ExecutionRecord, machine: StateMachineRecord) -> str:
    """Start an EXPRESS child of a ``states:startExecution`` task; its ARN.

    A later end wakes a parent waiting with ``.sync`` (:func:`stepforge.tasks.children.on_finished`,
    in a transaction of its own). A child that ends before this returns (inside the caller's
    transaction) is left to the parent's task, which finds it through the runner
    (``engine.express.ended``) once its watch exists."""
    def done(ended: ExecutionRecord) -> None:
        with ctx.engine.store.transaction() as tx:
            children.on_finished(tx, ended)
        ctx.engine.notify()

    run(ctx, record, machine, done, remember=True)
    return record.arn


def recent(ctx: ServiceContext, machine_arn: str) -> list[Ended]:
    """The machine's EXPRESS executions that are running here or ended lately, newest first."""
    running = [Ended(r.arn, r.name, r.status, r.started, r.started) for r in ctx.engine.express.running()
               if r.state_machine_arn == machine_arn]
    running.sort(key=lambda e: e.started, reverse=True)
    return running + ctx.engine.logs.recent(machine_arn)
