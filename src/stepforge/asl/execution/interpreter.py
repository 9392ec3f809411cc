"""The interpreter: a pure step from (machine, run, signal, now) to (run', events, commands).

``Interpreter.start`` and ``Interpreter.deliver`` advance every frame of one execution as far as
it can go without waiting — pure stretches (Pass, Choice, inline Map/Parallel of pure states) run
to completion in one step — and stop where a frame must wait for a task, a timer or children.
No clock, no threads, no I/O: time comes in as ``now``, randomness through ``rng``, and the
engine carries out the returned commands.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from stepforge.asl import errors
from stepforge.asl.compilation import states as st
from stepforge.asl.compilation.variables import check_sizes, visible
from stepforge.asl.errors import StatesError
from stepforge.asl.execution import distributed, flow, limits, redrive_parts, task_events, waits
from stepforge.asl.execution.task_tokens import new_task_token
from stepforge.asl.query.dataflow import check_size, to_json
from stepforge.asl.records import (
    ABORTED,
    FAILED,
    SUCCEEDED,
    TIMED_OUT,
    AbortMapRun,
    CancelWait,
    Children,
    DispatchTask,
    Event,
    Frame,
    MapRunEnded,
    Resume,
    Run,
    SetTimer,
    Signal,
    Step,
    Stop,
    TaskFailed,
    TaskHeartbeat,
    TaskStarted,
    TaskSubmitted,
    TaskSucceeded,
    TimerFired,
    Wait,
)
from stepforge.asl.scope import Scope

#: The most events one step appends before it yields (see ``_Stepper.drain``).
MAX_STEP_EVENTS = 5000

#: Resolves a Task's Resource to its kind ("activity", "lambda", "task") or raises StatesError.
#: Called with (resource, execution ARN, state name): the execution and state select mocked responses.
Resolver = Callable[[str, str, str], str]
#: The outcome of a task known the moment it is scheduled (a mocked response), as the signal that ends
#: its wait, or None. Called with (execution ARN, state name, wait id).
Answerer = Callable[[str, str, int], "TaskSucceeded | TaskFailed | None"]


@dataclass(frozen=True, slots=True)
class ExecutionInfo:
    """The execution-wide part of the context object ``$$``."""

    arn: str
    name: str
    state_machine_arn: str
    state_machine_name: str
    role_arn: str
    start_time: str
    input: Any
    redrive_count: int = 0
    express: bool = False  # EXPRESS executions cannot be redriven: no RedriveCount in their context

    def context(self) -> dict[str, Any]:
        execution = {"Id": self.arn, "Input": self.input, "StartTime": self.start_time, "Name": self.name,
                     "RoleArn": self.role_arn}
        if not self.express:
            execution["RedriveCount"] = self.redrive_count
        return {
            "Execution": execution,
            "StateMachine": {"Id": self.state_machine_arn, "Name": self.state_machine_name},
        }


@lru_cache(maxsize=1024)
def iso(now: float) -> str:
    """Seconds since the epoch as AWS's ISO-8601 timestamp with milliseconds (truncated, as
    ``datetime.isoformat(timespec="milliseconds")`` does after ``fromtimestamp`` rounds to the
    microsecond, half to even; only the date and time of the whole second is formatted by datetime)."""
    fraction, whole = math.modf(now)
    seconds, micros = int(whole), round(fraction * 1e6)
    if micros >= 1_000_000:
        seconds, micros = seconds + 1, micros - 1_000_000
    elif micros < 0:
        seconds, micros = seconds - 1, micros + 1_000_000
    return f"{_whole_second(seconds)}.{micros // 1000:03d}Z"


@lru_cache(maxsize=64)
def _whole_second(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


class Interpreter:
    """Runs one compiled machine; holds no per-execution state between calls."""

    def __init__(self, machine: st.StateMachine, resolve: Resolver,
                 new_token: Callable[[], str] = new_task_token,
                 answer: Answerer | None = None) -> None:
        """``answer`` ends a task in the step that schedules it when its outcome is known at once; it is
        asked only while the execution has one frame (no Parallel branch or Map iteration whose events
        could come in between), so the history is the one a later step delivering it would write."""
        self.machine = machine
        self.resolve = resolve
        self.answer = answer
        self.new_token = new_token  # task tokens are secrets: drawn here, recorded in the frame's wait
        self._machines: dict[tuple[tuple[str, int], ...], st.StateMachine] = {(): machine}

    def machine_at(self, address: tuple[tuple[str, int], ...]) -> st.StateMachine:
        found = self._machines.get(address)
        if found is None:
            found = self._machines[address] = self.machine.child(address)
        return found

    def start(self, run: Run, info: ExecutionInfo, input_json: str, now: float, rng: random.Random) -> Step:
        """Begin an execution: ExecutionStarted, then run until every frame waits or it ends."""
        stepper = _Stepper(self, run, info, now, rng)
        root = stepper.new_frame((), self.machine.start_at, info.input, parent=None, index=0)
        stepper.emit(None, "ExecutionStarted", "executionStartedEventDetails", {
            "input": input_json, "inputDetails": {"truncated": False}, "roleArn": info.role_arn,
        })
        if self.machine.timeout_seconds is not None:
            stepper.set_timer(0, "execution_timeout", now + self.machine.timeout_seconds)
        stepper.enter(root, self.machine.start_at, info.input)
        stepper.drain()
        return stepper.step

    def deliver(self, run: Run, info: ExecutionInfo, signal: Signal, now: float, rng: random.Random) -> Step:
        """Apply one signal (task result, timer, stop) and run until every frame waits again."""
        stepper = _Stepper(self, run, info, now, rng)
        if run.status == "RUNNING":
            stepper.receive(signal)
            stepper.drain()
        return stepper.step


class _Stepper:
    """One step's working set: the run being advanced, the clock reading, and what it produced."""

    def __init__(self, interp: Interpreter, run: Run, info: ExecutionInfo, now: float, rng: random.Random) -> None:
        self.interp = interp
        self.run = run
        self.info = info
        self.now = now
        self.now_iso = iso(now)
        self.rng = rng
        self.step = Step()
        self.ready: deque[int] = deque()
        self._base_context = info.context()
        self._contexts: dict[int, tuple[tuple[int, int], dict[str, Any]]] = {}
        self._scope: Scope | None = None  # the top frame's last scope
        #: Each frame's state input as entered in this step, and its JSON: an output or task input that
        #: is that very value (a Wait, a Choice, a Pass or Task without data-flow fields) reuses the text.
        self._entered: dict[int, tuple[Any, str]] = {}

    # -- bookkeeping -------------------------------------------------------------------------

    def new_frame(self, address: tuple[tuple[str, int], ...], state: str, value: Any,
                  parent: Frame | None, index: int) -> Frame:
        frame = Frame(id=self.run.next_frame_id, address=address, state=state, input=value,
                      parent=None if parent is None else parent.id, index=index,
                      last_event_id=0 if parent is None else parent.last_event_id)
        self.run.next_frame_id += 1
        self.run.frames[frame.id] = frame
        return frame

    def emit(self, frame: Frame | None, type_: str, key: str | None = None,
             details: dict[str, Any] | None = None) -> Event:
        previous = frame.last_event_id if frame is not None else self.run.next_event_id - 1
        event = Event(self.run.next_event_id, previous, type_, self.now, key, details)
        self.run.next_event_id += 1
        if frame is not None:
            frame.last_event_id = event.id
        self.step.events.append(event)
        return event

    def new_wait(self, frame: Frame, kind: Any, resource_kind: str = "") -> Wait:
        frame.wait = Wait(self.run.next_wait_id, kind, resource_kind)
        self.run.next_wait_id += 1
        return frame.wait

    def set_timer(self, wait_id: int, kind: Any, due: float) -> None:
        self.step.commands.append(SetTimer(wait_id, kind, due))

    def cancel(self, frame: Frame) -> None:
        if frame.wait is not None:
            if frame.wait.map_run_arn:  # a Distributed Map's Map Run: stopped, and redriven with the parent
                self.step.commands.append(AbortMapRun(frame.wait.map_run_arn))
                redrive_parts.keep_map_run(self.run, frame, frame.wait.map_run_arn)
            self.step.commands.append(CancelWait(frame.wait.id))
            frame.wait = None

    def state_of(self, frame: Frame) -> st.State:
        return self.interp.machine_at(frame.address).states[frame.state]

    def context(self, frame: Frame, state: st.State) -> dict[str, Any]:
        """The context object ``$$`` of a frame's current state (cached while the state is current)."""
        key = (frame.entered_event_id, frame.retry_count)
        cached = self._contexts.get(frame.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        ctx = dict(self._base_context)
        entry: dict[str, Any] = {"Name": state.name, "EnteredTime": frame.entered_time}
        if isinstance(state, st.RecoverableState):
            entry["RetryCount"] = frame.retry_count
        ctx["State"] = entry
        self._contexts[frame.id] = (key, ctx)
        return ctx

    def scope(self, frame: Frame, state: st.State, value: Any) -> Scope:
        if frame.parent is not None:
            return Scope(value, self.context(frame, state), visible(self.run, frame), self.rng)
        context = self.context(frame, state)
        cached = self._scope
        if cached is not None and cached.input is value and cached.context is context \
                and cached.variables is frame.variables:
            return cached  # the top frame's variables are one dict, updated in place
        self._scope = Scope(value, context, frame.variables, self.rng)
        return self._scope

    # -- the main loop -------------------------------------------------------------------------

    def drain(self) -> None:
        """Run ready frames until all wait, the execution ends, or the step is full.

        A step holds at most MAX_STEP_EVENTS events, so that an endless pure loop cannot stall
        the engine: it yields with ``more`` set, and a Resume signal goes on where it stopped.
        """
        while self.ready and self.run.status == "RUNNING":
            if len(self.step.events) >= MAX_STEP_EVENTS:
                self.step.more = True
                return
            frame = self.run.frames.get(self.ready.popleft())
            if frame is None or frame.wait is not None:
                continue
            state = self.state_of(frame)
            try:
                self.execute(frame, state)
            except StatesError as exc:
                self.fail_state(frame, state, exc)

    def enter(self, frame: Frame, name: str, value: Any, value_json: str | None = None) -> None:
        frame.state, frame.input = name, value
        frame.attempts, frame.retry_count, frame.children = {}, 0, None
        frame.entered_time = self.now_iso
        state = self.state_of(frame)
        text = to_json(value) if value_json is None else value_json
        self._entered[frame.id] = (value, text)
        event = self.emit(frame, f"{state.type}StateEntered", "stateEnteredEventDetails", {
            "name": name, "input": text, "inputDetails": {"truncated": False},
        })
        frame.entered_event_id = event.id
        self.ready.append(frame.id)

    def json_of(self, frame: Frame, value: Any) -> str:
        """``value`` as JSON; the text it was entered with when it is the frame's state input itself."""
        entered = self._entered.get(frame.id)
        return entered[1] if entered is not None and entered[0] is value else to_json(value)

    def execute(self, frame: Frame, state: st.State) -> None:
        if isinstance(state, st.PassState):
            self.run_pass(frame, state)
        elif isinstance(state, st.ChoiceState):
            self.run_choice(frame, state)
        elif isinstance(state, st.WaitState):
            self.run_wait(frame, state)
        elif isinstance(state, st.SucceedState):
            self.exit(frame, state, *flow.pass_through(state, self.scope(frame, state, frame.input)))
        elif isinstance(state, st.FailState):
            self.run_fail(frame, state)
        elif isinstance(state, (st.TaskState, st.ParallelState, st.MapState)):
            self.begin_work(frame, state)

    def exit(self, frame: Frame, state: st.State, output: Any, assigned: flow.Assigned = None,
             next_state: str | None = None) -> None:
        output_json = self.json_of(frame, output)
        check_size(state.name, output_json)
        details: dict[str, Any] = {}
        if assigned is not None:
            details = {"assignedVariables": check_sizes(assigned), "assignedVariablesDetails": {"truncated": False}}
            frame.variables.update(assigned)
        self.emit(frame, f"{state.type}StateExited", "stateExitedEventDetails", {
            **details, "name": state.name, "output": output_json, "outputDetails": {"truncated": False},
        })
        target = next_state or state.next
        if target is None:
            self.finish_frame(frame, output, output_json)
        else:
            self.enter(frame, target, output, output_json)

    def finish_output(self, frame: Frame, state: st.State, result: Any) -> None:
        """ResultSelector -> Assign -> ResultPath -> OutputPath (or JSONata's Output and Assign), then leave."""
        self.exit(frame, state, *flow.finish(state, self.scope(frame, state, frame.input), result))

    # -- pure states ---------------------------------------------------------------------------

    def run_pass(self, frame: Frame, state: st.PassState) -> None:
        self.finish_output(frame, state, flow.pass_result(state, self.scope(frame, state, frame.input)))

    def run_choice(self, frame: Frame, state: st.ChoiceState) -> None:
        target, output, assigned = flow.choose(state, self.scope(frame, state, frame.input))
        if target is None:
            raise StatesError(errors.NO_CHOICE_MATCHED, f"No Matches! at Choice state '{state.name}'", located=False)
        self.exit(frame, state, output, assigned, target)

    def run_fail(self, frame: Frame, state: st.FailState) -> None:
        error, cause = flow.fail_fields(state, self.scope(frame, state, frame.input))
        self.finish_failed(frame, _text(error), _text(cause))

    def run_wait(self, frame: Frame, state: st.WaitState) -> None:
        scope = self.scope(frame, state, frame.input)
        due = waits.due_time(state, scope.with_input(flow.effective_input(state, scope)), self.now)
        if due <= self.now:
            self.exit(frame, state, *flow.pass_through(state, scope))
            return
        wait = self.new_wait(frame, "timer")
        self.set_timer(wait.id, "wait", due)

    def wait_over(self, frame: Frame, state: st.WaitState) -> None:
        frame.wait = None
        self.exit(frame, state, *flow.pass_through(state, self.scope(frame, state, frame.input)))

    # -- states that do work: Task, Parallel, Map --------------------------------------------

    def begin_work(self, frame: Frame, state: st.State) -> None:
        if isinstance(state, st.TaskState):
            self.dispatch_task(frame, state)
        elif isinstance(state, st.ParallelState):
            self.launch_branches(frame, state)
        elif isinstance(state, st.MapState):
            self.launch_map(frame, state)

    def dispatch_task(self, frame: Frame, state: st.TaskState) -> None:
        # a callback's token is in its scope (``$$.Task.Token``); any other is drawn once it is dispatched
        token = self.interp.new_token() if state.resource.endswith(".waitForTaskToken") else ""
        scope = self.task_scope(frame, state, token)
        task_input = flow.arguments(state, scope)
        timeout = limits.seconds(state.timeout, scope)
        heartbeat = limits.seconds(state.heartbeat, scope)
        kind = self.interp.resolve(state.resource, self.info.arn, state.name)
        wait = self.new_wait(frame, "task", kind)
        input_json = self.json_of(frame, task_input)
        answered = self.answered(frame, state, wait)
        if answered is None:
            token = token or self.interp.new_token()
            self.step.commands.append(DispatchTask(wait.id, state.resource, kind, task_input, input_json, timeout,
                                                   heartbeat, token, state.name))
        wait.token = token
        type_, key, details = task_events.scheduled(kind, state.resource, input_json, timeout, heartbeat)
        self.emit(frame, type_, key, details)
        if timeout is not None:
            self.set_timer(wait.id, "timeout", self.now + timeout)
        if kind != "activity":  # integrations start at once; activities when a worker polls
            self.on_task_signal(frame, state, wait, TaskStarted(wait.id))
        if answered is not None:
            self.on_task_signal(frame, state, wait, answered)

    def answered(self, frame: Frame, state: st.TaskState, wait: Wait) -> TaskSucceeded | TaskFailed | None:
        """The task's outcome if it is known now (see :class:`Interpreter`), else None."""
        if self.interp.answer is None or frame.parent is not None or len(self.run.frames) != 1:
            return None
        return self.interp.answer(self.info.arn, state.name, wait.id)

    def task_scope(self, frame: Frame, state: st.TaskState, token: str) -> Scope:
        """The scope of a Task's fields: with ``$$.Task.Token`` for the callback pattern."""
        scope = self.scope(frame, state, frame.input)
        if not token:
            return scope
        return Scope(scope.input, {**scope.context, "Task": {"Token": token}}, scope.variables, scope.random)

    def launch_branches(self, frame: Frame, state: st.ParallelState, kept: dict[str, Any] | None = None) -> None:
        branch_input = flow.arguments(state, self.scope(frame, state, frame.input))
        self.emit(frame, "ParallelStateStarted")
        count = len(state.branches)
        frame.children = Children(count, [branch_input] * count, [None] * count)
        self.new_wait(frame, "children")
        redrive_parts.prefill(frame.children, kept)
        frame.children.launched += len(frame.children.kept)
        for index in range(count):
            if index not in frame.children.kept:
                self.launch_child(frame, state, index)

    def launch_map(self, frame: Frame, state: st.MapState, kept: dict[str, Any] | None = None) -> None:
        scope = self.scope(frame, state, frame.input)
        if state.distributed and state.item_reader is not None:  # the Map Run reads the items
            items: list[Any] = []
            effective = flow.effective_input(state, scope)
        else:
            items, effective = flow.map_items(state, scope)
        concurrency = limits.max_concurrency(state, scope.with_input(effective))
        self.emit(frame, "MapStateStarted", "mapStateStartedEventDetails", {"length": len(items)})
        tolerated_count, tolerated_pct = limits.tolerance(state, scope.with_input(effective))
        if state.distributed:
            distributed.launch(self, frame, state, items, effective, concurrency, (tolerated_count, tolerated_pct),
                               scope)
            return
        frame.children = Children(len(items), items, [None] * len(items), max_concurrency=concurrency,
                                  tolerated_count=tolerated_count, tolerated_percentage=tolerated_pct,
                                  selector_input=effective)
        self.new_wait(frame, "children")
        redrive_parts.prefill(frame.children, kept)
        self.fill_map(frame, state)

    def fill_map(self, frame: Frame, state: st.MapState) -> None:
        children = frame.children
        assert children is not None
        if children.total == 0:
            self.children_succeeded(frame, state)
            return
        while children.launched < children.total and (
            children.max_concurrency == 0 or children.running < children.max_concurrency
        ):
            if children.kept and children.launched in children.kept:  # redriven: this one succeeded before
                children.launched += 1
                continue
            self.launch_child(frame, state, children.launched)
        if children.kept and children.launched == children.total and children.running == 0:
            self.children_succeeded(frame, state)

    def launch_child(self, frame: Frame, state: st.State, index: int) -> None:
        children = frame.children
        assert children is not None
        children.launched += 1
        children.running += 1
        if isinstance(state, st.MapState):
            self.emit(frame, "MapIterationStarted", "mapIterationStartedEventDetails", {"index": index, "name": state.name})
            value = self.item_input(frame, state, index)
            machine = state.processor
        else:
            assert isinstance(state, st.ParallelState)
            value = children.inputs[index]
            machine = state.branches[index]
        child = self.new_frame(frame.address + ((state.name, index),), machine.start_at, value, frame, index)
        self.enter(child, machine.start_at, value)

    def item_input(self, frame: Frame, state: st.MapState, index: int) -> Any:
        children = frame.children
        assert children is not None
        item = children.inputs[index]
        ctx = self.context(frame, state)
        ctx["Map"] = {"Item": {"Index": index, "Value": item}}
        scope = Scope(children.selector_input, ctx, visible(self.run, frame), self.rng)
        return flow.item_input(state, scope, item)

    # -- children report back ----------------------------------------------------------------

    def finish_frame(self, frame: Frame, output: Any, output_json: str) -> None:
        if frame.parent is None:
            self.emit(frame, "ExecutionSucceeded", "executionSucceededEventDetails", {
                "output": output_json, "outputDetails": {"truncated": False},
            })
            self.close(SUCCEEDED, output=output_json)
            return
        parent = self.run.frames[frame.parent]
        del self.run.frames[frame.id]
        parent.last_event_id = max(parent.last_event_id, frame.last_event_id)
        self.child_succeeded(parent, frame.index, output)

    def finish_failed(self, frame: Frame, error: str | None, cause: str | None) -> None:
        if frame.parent is None:
            details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
            self.emit(frame, "ExecutionFailed", "executionFailedEventDetails", details)
            self.close(FAILED, error=error, cause=cause)
            return
        parent = self.run.frames[frame.parent]
        self.drop_frame(frame)
        parent.last_event_id = max(parent.last_event_id, frame.last_event_id)
        self.child_failed(parent, frame.index, error, cause)

    def child_succeeded(self, parent: Frame, index: int, output: Any) -> None:
        state = self.state_of(parent)
        try:
            self._child_succeeded(parent, state, index, output)
        except StatesError as exc:
            self.fail_state(parent, state, exc)

    def _child_succeeded(self, parent: Frame, state: st.State, index: int, output: Any) -> None:
        children = parent.children
        assert children is not None
        children.results[index] = output
        children.done.append(index)
        children.running -= 1
        children.succeeded += 1
        if isinstance(state, st.MapState):
            self.emit(parent, "MapIterationSucceeded", "mapIterationSucceededEventDetails",
                      {"index": index, "name": state.name})
            if children.launched < children.total:
                self.fill_map(parent, state)
                return
        if children.running == 0 and children.launched == children.total:
            self.children_succeeded(parent, state)

    def child_failed(self, parent: Frame, index: int, error: str | None, cause: str | None) -> None:
        state = self.state_of(parent)
        try:
            self._child_failed(parent, state, index, error, cause)
        except StatesError as exc:
            self.fail_state(parent, state, exc)

    def _child_failed(self, parent: Frame, state: st.State, index: int, error: str | None,
                      cause: str | None) -> None:
        children = parent.children
        assert children is not None
        children.running -= 1
        children.failed += 1
        if isinstance(state, st.MapState):
            self.emit(parent, "MapIterationFailed", "mapIterationFailedEventDetails", {"index": index, "name": state.name})
            if self.tolerated(children):
                children.results[index] = {"Error": error, "Cause": cause}
                if children.launched < children.total:
                    self.fill_map(parent, state)
                elif children.running == 0:
                    self.children_succeeded(parent, state)
                return
        if parent.parent is None:
            redrive_parts.keep(self.run, parent, children)
        self.abort_children(parent)
        parent.wait = None
        self.handle_error(parent, state, StatesError(error or "", cause, located=False),
                          failed_event=f"{state.type}StateFailed")

    def tolerated(self, children: Children) -> bool:
        if children.tolerated_count is None and children.tolerated_percentage is None:
            return False
        if children.tolerated_count is not None and children.failed <= children.tolerated_count:
            return True
        pct = children.tolerated_percentage
        return pct is not None and children.total > 0 and children.failed * 100.0 / children.total <= pct

    def children_succeeded(self, frame: Frame, state: st.State) -> None:
        children = frame.children
        assert children is not None and isinstance(state, st.RecoverableState)
        frame.wait, frame.children = None, None
        self.emit(frame, f"{state.type}StateSucceeded")
        self.finish_output(frame, state, children.results)

    def abort_children(self, parent: Frame) -> None:
        state = self.state_of(parent)
        for child in [f for f in self.run.frames.values() if f.parent == parent.id]:
            if isinstance(state, st.MapState):
                self.emit(parent, "MapIterationAborted", "mapIterationAbortedEventDetails",
                          {"index": child.index, "name": state.name})
            self.drop_frame(child)

    def drop_frame(self, frame: Frame) -> None:
        """Remove a frame and everything under it, cancelling what they wait on."""
        if frame.children is not None:
            for child in [f for f in self.run.frames.values() if f.parent == frame.id]:
                self.drop_frame(child)
        self.cancel(frame)
        self.run.frames.pop(frame.id, None)

    # -- errors: Retry, Catch, or fail the frame --------------------------------------------

    def fail_state(self, frame: Frame, state: st.State, exc: StatesError) -> None:
        if frame.id not in self.run.frames:
            return
        if frame.children is not None:
            self.abort_children(frame)
            frame.children = None
        self.cancel(frame)
        exc = self.locate(frame, state, exc)
        if exc.error == errors.QUERY_EVALUATION_ERROR:
            self.evaluation_failed(frame, state, exc)
            if isinstance(state, (st.MapState, st.ParallelState)):
                self.emit(frame, f"{state.type}StateFailed")
        self.handle_error(frame, state, exc)

    def locate(self, frame: Frame, state: st.State, exc: StatesError) -> StatesError:
        """The error with AWS's "An error occurred while executing the state ..." cause.

        In a JSONata state, a field that cannot be evaluated is a States.QueryEvaluationError.
        """
        if not exc.located:
            return exc
        error = errors.QUERY_EVALUATION_ERROR if state.jsonata and exc.error == errors.RUNTIME else exc.error
        cause = (f"An error occurred while executing the state '{state.name}' "
                 f"(entered at the event id #{frame.entered_event_id}). {exc.cause or ''}")
        return StatesError(error, cause, located=False, location=exc.location)

    def evaluation_failed(self, frame: Frame, state: st.State, exc: StatesError) -> None:
        details = {"cause": exc.cause, "error": exc.error, "location": exc.location, "state": state.name}
        self.emit(frame, "EvaluationFailed", "evaluationFailedEventDetails",
                  {k: v for k, v in details.items() if v is not None})

    def handle_error(self, frame: Frame, state: st.State, exc: StatesError, failed_event: str | None = None,
                     *, caught_cause: str | None = None) -> None:
        """Retry, else Catch, else fail the frame. ``failed_event`` (Map/ParallelStateFailed) is
        written only when the state does not retry: AWS's history shows retries as a new Started.
        ``caught_cause`` stands for a missing cause in a catcher's error output only: AWS gives a
        caught task timeout ``"Cause": ""`` and an uncaught one no cause at all."""
        exc = self.locate(frame, state, exc)
        error, cause = exc.error or None, exc.cause
        if isinstance(state, st.RecoverableState) and self.retry(frame, state, exc.error):
            return
        if failed_event is not None:
            self.emit(frame, failed_event)
        if isinstance(state, st.RecoverableState):
            catcher = _first_match(state.catch, exc.error)
            if catcher is not None:
                shown_cause = caught_cause if cause is None else cause
                self.catch(frame, state, catcher, {"Error": error, "Cause": shown_cause})
                return
        self.finish_failed(frame, error, cause)

    def catch(self, frame: Frame, state: st.State, catcher: st.Catcher, error_output: dict[str, Any]) -> None:
        try:
            output, assigned = flow.caught(state, catcher, self.scope(frame, state, frame.input), error_output)
            self.exit(frame, state, output, assigned, catcher.next)
        except StatesError as exc:
            exc = self.locate(frame, state, exc)
            if exc.error == errors.QUERY_EVALUATION_ERROR:
                self.evaluation_failed(frame, state, exc)
            self.finish_failed(frame, exc.error, exc.cause)

    def retry(self, frame: Frame, state: st.RecoverableState, error: str) -> bool:
        for index, retrier in enumerate(state.retry):
            if not _matches(retrier.error_equals, error):
                continue
            used = frame.attempts.get(index, 0)
            if used >= retrier.max_attempts:
                return False
            frame.attempts[index] = used + 1
            frame.retry_count += 1
            frame.children = None
            wait = self.new_wait(frame, "retry")
            self.set_timer(wait.id, "retry", self.now + retrier.delay(used, self.rng.random()))
            return True
        return False

    # -- signals -------------------------------------------------------------------------------

    def receive(self, signal: Signal) -> None:
        if isinstance(signal, Resume):
            self.ready.extend(f.id for f in self.run.frames.values() if f.wait is None)
            return
        if isinstance(signal, Stop):
            event, key, status = (("ExecutionFailed", "executionFailedEventDetails", FAILED) if signal.failed
                                  else ("ExecutionAborted", "executionAbortedEventDetails", ABORTED))
            self.emit(None, event, key,
                      {k: v for k, v in (("error", signal.error), ("cause", signal.cause)) if v is not None})
            self.close(status, error=signal.error, cause=signal.cause)
            return
        if isinstance(signal, TimerFired) and signal.kind == "execution_timeout":
            self.emit(None, "ExecutionTimedOut", "executionTimedOutEventDetails", {})
            self.close(TIMED_OUT)
            return
        frame = self.waiting_frame(signal.wait_id)
        if frame is None:
            return
        state = self.state_of(frame)
        try:
            self.on_signal(frame, state, signal)
        except StatesError as exc:
            self.fail_state(frame, state, exc)

    def waiting_frame(self, wait_id: int) -> Frame | None:
        for frame in self.run.frames.values():
            if frame.wait is not None and frame.wait.id == wait_id:
                return frame
        return None

    def on_signal(self, frame: Frame, state: st.State, signal: Signal) -> None:
        wait = frame.wait
        assert wait is not None
        if isinstance(signal, TimerFired) and signal.kind == "wait" and isinstance(state, st.WaitState):
            self.wait_over(frame, state)
        elif isinstance(signal, TimerFired) and signal.kind == "retry":
            frame.wait = None
            self.begin_work(frame, state)
        elif isinstance(signal, MapRunEnded) and isinstance(state, st.MapState):
            distributed.ended(self, frame, state, signal)
        elif isinstance(state, st.TaskState):
            self.on_task_signal(frame, state, wait, signal)

    def on_task_signal(self, frame: Frame, state: st.TaskState, wait: Wait, signal: Signal) -> None:
        kind = wait.resource_kind
        if isinstance(signal, TaskStarted):
            wait.started = True
            self.emit(frame, *task_events.started(kind, state.resource, signal.worker_name))
            heartbeat = (None if state.heartbeat is None
                         else limits.seconds(state.heartbeat, self.scope(frame, state, frame.input)))
            if heartbeat is not None:
                self.set_timer(wait.id, "heartbeat", self.now + heartbeat)
        elif isinstance(signal, TaskSubmitted):
            self.emit(frame, *task_events.submitted(kind, state.resource, to_json(signal.output)))
        elif isinstance(signal, TaskHeartbeat):
            heartbeat = limits.seconds(state.heartbeat, self.scope(frame, state, frame.input))
            if heartbeat is not None:
                self.set_timer(wait.id, "heartbeat", self.now + heartbeat)
        elif isinstance(signal, TaskSucceeded):
            self.cancel(frame)
            output_json = to_json(signal.output)
            self.emit(frame, *task_events.succeeded(kind, state.resource, output_json))
            self.finish_output(frame, state, signal.output)
        elif isinstance(signal, TaskFailed):
            self.cancel(frame)
            self.emit(frame, *task_events.failed(kind, state.resource, signal.error, signal.cause))
            self.handle_error(frame, state, StatesError(signal.error or "", signal.cause, located=False))
        elif isinstance(signal, TimerFired) and signal.kind in ("timeout", "heartbeat"):
            self.cancel(frame)
            # AWS reports a missed heartbeat of a service integration (callback) as States.Timeout
            error = errors.HEARTBEAT_TIMEOUT if signal.kind == "heartbeat" and kind == "activity" else errors.TIMEOUT
            self.emit(frame, *task_events.timed_out(kind, state.resource, error))
            self.handle_error(frame, state, StatesError(error, None, located=False), caught_cause="")

    def close(self, status: str, *, output: str | None = None, error: str | None = None,
              cause: str | None = None) -> None:
        self.run.status, self.run.output, self.run.error, self.run.cause = status, output, error, cause
        for frame in list(self.run.frames.values()):
            self.cancel(frame)
        self.run.frames.clear()
        self.ready.clear()


def _matches(names: tuple[str, ...], error: str) -> bool:
    """Does an ErrorEquals list match ``error``? States.ALL and States.TaskFailed are wildcards.

    States.Runtime matches nothing, not even a retrier or catcher naming it: AWS documents it as
    never retried and always failing the execution, and its recording of an explicit
    ``States.Runtime`` catcher around a failing OutputPath shows the execution FAILED."""
    if error == errors.RUNTIME:
        return False
    if error in names:
        return True
    if error in errors.NOT_CAUGHT_BY_ALL:
        return False
    return errors.ALL in names or (errors.TASK_FAILED in names and error != errors.TIMEOUT)


def _first_match(catchers: tuple[st.Catcher, ...], error: str) -> st.Catcher | None:
    return next((c for c in catchers if _matches(c.error_equals, error)), None)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return to_json(value)
