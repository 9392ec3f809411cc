"""Group commit: the API writes queued for a batch and the steps they wake commit as one transaction."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from stepforge.engine import engine as engine_module
from stepforge.service import executions, redrive
from stepforge.service.context import Request
from stepforge.service.errors import ApiError, ExecutionAlreadyExists
from stepforge.store.base import UnitOfWork
from stepforge.store.memory import MemoryStore
from stepforge.store.records import ActivityRecord
from stepforge.store.sqlite import SqliteStore
from stepforge.testing import Harness
from tests.async_kit import run_alone

T = TypeVar("T")
GHOST = "arn:aws:states:us-east-1:000000000000:activity:ghost"
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


class CountingStore(MemoryStore):
    """The memory store, counting the transactions it opens."""

    def __init__(self) -> None:
        super().__init__()
        self.transactions = 0

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        self.transactions += 1
        with super().transaction() as tx:
            yield tx


def start(harness: Harness, machine: str, name: str) -> Any:
    request = Request({"stateMachineArn": machine, "name": name, "input": json.dumps({"n": name})}, "us-east-1")
    return lambda tx: executions.start(harness.ctx.within(tx), request)



async def queue_and_run_one_batch(harness: Harness, operations: list[Any]) -> list[Any]:
    waiting = [asyncio.ensure_future(harness.engine.writes.submit(operation)) for operation in operations]
    await asyncio.sleep(0)  # every write is queued before the batch runs
    harness.engine.run_once(harness.clock.now())
    return await asyncio.gather(*waiting, return_exceptions=True)


def test_queued_writes_and_the_steps_they_wake_commit_in_one_transaction() -> None:
    store = CountingStore()
    harness = Harness(store=store)
    machine = harness.create(PASS)
    before = store.transactions
    answers = run_alone(queue_and_run_one_batch(harness, [start(harness, machine, f"e{i}") for i in range(3)]))
    assert store.transactions == before + 1
    arns = [answer["executionArn"] for answer in answers]
    assert [harness.result(arn).status for arn in arns] == ["SUCCEEDED"] * 3


def test_a_failing_write_is_undone_alone_and_answered_with_its_error() -> None:
    harness = Harness(store=CountingStore())
    machine = harness.create(PASS)

    def half_then_fail(tx: UnitOfWork) -> None:
        tx.put_activity(ActivityRecord(GHOST, "ghost", 1.0, {}))
        raise ApiError("half done")

    answers = run_alone(queue_and_run_one_batch(harness, [start(harness, machine, "kept"), half_then_fail]))
    assert isinstance(answers[1], ApiError)
    assert harness.result(answers[0]["executionArn"]).status == "SUCCEEDED"
    assert harness.store.get_activity(GHOST) is None


def test_a_write_without_an_engine_thread_commits_in_a_transaction_of_its_own() -> None:
    store = CountingStore()
    harness = Harness(store=store)
    machine = harness.create(PASS)
    before = store.transactions
    answer = run_alone(harness.engine.write(start(harness, machine, "alone")))
    assert store.transactions == before + 1
    assert harness.store.get_execution(answer["executionArn"]) is not None
    with pytest.raises(ApiError):
        run_alone(harness.engine.write(start(harness, machine + "-missing", "nowhere")))


def test_a_start_riding_in_a_batch_is_written_once_with_the_state_its_first_step_left(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    harness = Harness(store=store)
    machine = harness.create(PASS)
    run_alone(queue_and_run_one_batch(harness, [start(harness, machine, "first")]))  # reads the machine, no rule
    assert store._writer_conn is not None
    seen: list[str] = []
    store._writer_conn.set_trace_callback(seen.append)
    answers = run_alone(queue_and_run_one_batch(harness, [start(harness, machine, f"e{i}") for i in range(2)]))
    store._writer_conn.set_trace_callback(None)
    assert [harness.result(a["executionArn"]).status for a in answers] == ["SUCCEEDED"] * 2
    assert not [s for s in seen if s.startswith("INSERT INTO signals")]  # taken in this batch, not queued
    reads = [s for s in seen if s.startswith("SELECT") and "FROM executions WHERE arn" in s]
    assert len(reads) == 2  # is the name taken? (the record advanced is the one in hand)
    # no savepoint: a start writes nothing until its step is taken, a step that only appends history needs none
    assert not [s for s in seen if s.startswith("SAVEPOINT")]
    assert not [s for s in seen if "FROM state_machines" in s or "FROM event_rules" in s]  # kept by the store
    # the executions as their steps left them, and their history: one statement each (for 2 rows; a few for many)
    assert len([s for s in seen if s.startswith(("INSERT INTO executions", "INSERT INTO events"))]) == 2
    assert not [s for s in seen if s.startswith("UPDATE executions")]
    store.close()


def stored(store: SqliteStore, arn: str, name: str) -> tuple[list[Any], list[Any]]:
    """An execution's row and history rows as SQLite holds them, its name written as NAME."""
    conn = store._connection()
    rows = (conn.execute("SELECT * FROM executions WHERE arn = ?", (arn,)).fetchall(),
            conn.execute("SELECT * FROM events WHERE execution_arn = ?", (arn,)).fetchall())
    return json.loads(json.dumps(rows).replace(name, "NAME"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("definition", [PASS, {"StartAt": "C", "States": {
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "StringEquals": "x", "Next": "F"}], "Default": "S"},
    "F": {"Type": "Fail", "Error": "E", "Cause": "c"}, "S": {"Type": "Succeed"}}}], ids=["pass", "choice"])
def test_an_execution_ended_by_its_first_batch_is_stored_as_one_inserted_then_stepped(
        tmp_path: Path, definition: dict[str, Any]) -> None:
    store = SqliteStore(tmp_path)
    harness = Harness(store=store)
    machine = harness.create(definition)
    apart = run_alone(harness.engine.write(start(harness, machine, "apart")))  # inserted in its own transaction
    harness.engine.run_once(harness.clock.now())                              # then stepped, and updated
    riding = run_alone(queue_and_run_one_batch(harness, [start(harness, machine, "riding")]))[0]
    assert harness.result(riding["executionArn"]).status in ("SUCCEEDED", "FAILED")
    assert stored(store, riding["executionArn"], "riding") == stored(store, apart["executionArn"], "apart")
    store.close()


def test_a_start_riding_in_a_batch_whose_first_step_dispatches_a_task_is_stored_before_it(tmp_path: Path) -> None:
    harness = Harness(store=SqliteStore(tmp_path), functions={"double": lambda event, context: event["n"] * 2})
    machine = harness.create({"StartAt": "T", "States": {"T": {  # the dispatch's row names the execution's
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:double", "End": True}}})
    request = Request({"stateMachineArn": machine, "name": "tasked", "input": '{"n": 21}'}, "us-east-1")
    answer = run_alone(queue_and_run_one_batch(harness, [lambda tx: executions.start(harness.ctx.within(tx), request)]))[0]
    result = harness.run_until_done(answer["executionArn"])
    assert (result.status, result.output) == ("SUCCEEDED", 42)
    harness.store.close()


def test_two_starts_of_one_name_in_one_batch_make_one_execution() -> None:
    harness = Harness()
    machine = harness.create(PASS)
    answers = run_alone(queue_and_run_one_batch(harness, [start(harness, machine, "twice")] * 2))
    assert answers[0] == answers[1]  # the second is the first's (same name and input): same ARN and start date
    assert [e["type"] for e in harness.result(answers[0]["executionArn"]).events].count("ExecutionStarted") == 1
    other = Request({"stateMachineArn": machine, "name": "again", "input": "{\"other\": 1}"}, "us-east-1")
    answers = run_alone(queue_and_run_one_batch(harness, [
        start(harness, machine, "again"), lambda tx: executions.start(harness.ctx.within(tx), other)]))
    assert isinstance(answers[1], ExecutionAlreadyExists)
    assert harness.result(answers[0]["executionArn"]).output == {"n": "again"}


@pytest.mark.parametrize("definition", [PASS, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}}],
                         ids=["ends", "waits"])
def test_a_start_whose_first_step_breaks_is_stored_failed_from_its_start(tmp_path: Path,
                                                                          definition: dict[str, Any]) -> None:
    harness = Harness(store=SqliteStore(tmp_path))
    machine = harness.create(definition)
    add, broken = harness.engine._batch_log.add, [True]

    def add_once_broken(*args: Any) -> None:  # after the step's writes (a waiting one's row among them)
        if broken:
            broken.clear()
            raise RuntimeError("broken log")
        add(*args)

    harness.engine._batch_log.add = add_once_broken  # type: ignore[method-assign]
    answer = run_alone(queue_and_run_one_batch(harness, [start(harness, machine, "broken")]))[0]
    result = harness.result(answer["executionArn"])
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert [e["type"] for e in result.events] == ["ExecutionFailed"]
    assert harness.store.pending_work(answer["executionArn"]) == 0  # no timer left behind
    harness.store.close()


def test_a_start_whose_write_then_fails_is_neither_stored_nor_advanced() -> None:
    harness = Harness()
    machine = harness.create(PASS)
    request = Request({"stateMachineArn": machine, "name": "undone"}, "us-east-1")

    def start_then_fail(tx: UnitOfWork) -> None:
        executions.start(harness.ctx.within(tx), request)
        raise ApiError("after the start")

    answers = run_alone(queue_and_run_one_batch(harness, [start_then_fail, start(harness, machine, "kept")]))
    assert isinstance(answers[0], ApiError)
    assert harness.result(answers[1]["executionArn"]).status == "SUCCEEDED"
    undone = f"{machine.replace(':stateMachine:', ':execution:')}:undone"
    assert harness.store.get_execution(undone) is None
    assert harness.store.get_events(undone) == []  # no step was taken for it either


def test_a_redrive_whose_write_then_fails_leaves_no_history() -> None:
    harness = Harness()
    arn = harness.start({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}})
    assert harness.run_until_done(arn).status == "FAILED"
    before = len(harness.store.get_events(arn))

    def redrive_then_fail(tx: UnitOfWork) -> None:
        redrive.redrive_execution(harness.ctx.within(tx), Request({"executionArn": arn}, "us-east-1"))
        raise ApiError("after the redrive")

    answers = run_alone(queue_and_run_one_batch(harness, [redrive_then_fail]))
    assert isinstance(answers[0], ApiError)
    assert len(harness.store.get_events(arn)) == before
    assert harness.store.get_execution(arn).status == "FAILED"  # type: ignore[union-attr]


def test_writes_queued_while_the_engine_is_already_woken_are_all_committed(tmp_path: Path) -> None:
    harness = Harness(store=SqliteStore(tmp_path))
    machine = harness.create(PASS)
    harness.engine.start()  # its own thread: each write wakes it, unless a wake-up is pending
    try:
        async def many() -> list[Any]:
            return await asyncio.gather(*(harness.engine.write(start(harness, machine, f"w{i}")) for i in range(64)))

        answers = run_alone(many())
    finally:
        harness.engine.stop()
    assert [harness.result(a["executionArn"]).status for a in answers] == ["SUCCEEDED"] * 64
    harness.store.close()


def test_starts_held_back_by_their_batch_count_against_the_open_execution_quota() -> None:
    harness = Harness()
    harness.ctx = dataclasses.replace(harness.ctx, max_open_executions=2)
    machine = harness.create({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}})
    answers = run_alone(queue_and_run_one_batch(harness, [start(harness, machine, f"e{i}") for i in range(4)]))
    assert [type(answer).__name__ for answer in answers] == ["dict", "dict", "ExecutionLimitExceeded",
                                                             "ExecutionLimitExceeded"]
    assert harness.store.count_open_executions() == 2


class TellingEvent(threading.Event):
    """The engine's wake-up event, telling another event each time it is set."""

    def __init__(self, told: threading.Event) -> None:
        super().__init__()
        self.told = told

    def set(self) -> None:
        super().set()
        self.told.set()


def test_a_write_queued_between_an_empty_batch_and_the_engines_sleep_wakes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "IDLE_WAIT", 60.0)  # a lost wake-up would leave the write this long
    harness = Harness(store=SqliteStore(tmp_path))
    machine = harness.create(PASS)
    engine, window, woken = harness.engine, threading.Event(), threading.Event()
    engine._wake = TellingEvent(woken)
    run_once = engine.run_once

    def run_once_then_let_a_write_in(now: float) -> int:  # on the engine thread, just before it sleeps
        done = run_once(now)
        if done == 0 and not window.is_set():
            window.set()
            woken.clear()
            woken.wait(10)  # the write is queued and has woken the engine
        return done

    engine.run_once = run_once_then_let_a_write_in  # type: ignore[method-assign]

    async def write_in_the_window() -> Any:
        await asyncio.get_running_loop().run_in_executor(None, window.wait, 10)
        return await asyncio.wait_for(engine.write(start(harness, machine, "between")), 10)

    engine.start()
    try:
        answer = run_alone(write_in_the_window())
    finally:
        engine.stop()
    assert harness.result(answer["executionArn"]).status == "SUCCEEDED"
    harness.store.close()
