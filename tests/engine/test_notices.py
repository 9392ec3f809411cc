"""Notices: a waiter on a key wakes when the key fires (from any thread), and only then."""

from __future__ import annotations

import threading

from stepforge.engine import notices
from stepforge.engine.notices import Notices
from stepforge.service import executions
from stepforge.testing import Harness
from tests.async_kit import run_alone


def test_a_notice_fired_before_the_wait_is_not_lost() -> None:
    async def scenario() -> None:
        board = Notices()
        with board.subscribe(notices.activity("a")) as subscription:
            board.fire([notices.activity("a")])
            assert await subscription.wait(10)
            assert not await subscription.wait(0.01)  # re-armed: the next wait needs a new notice

    run_alone(scenario())


def test_only_the_fired_key_wakes() -> None:
    async def scenario() -> None:
        board = Notices()
        with board.subscribe(notices.execution("x")) as waiting, board.subscribe(notices.execution("y")) as other:
            board.fire([notices.execution("y"), notices.activity("x")])
            assert await other.wait(10)
            assert not await waiting.wait(0.01)

    run_alone(scenario())


def test_a_notice_from_another_thread_wakes_the_loop() -> None:
    async def scenario() -> None:
        board = Notices()
        with board.subscribe("k") as subscription:
            threading.Thread(target=board.fire, args=(["k"],)).start()
            assert await subscription.wait(10)

    run_alone(scenario())


def test_wake_all_wakes_every_key_and_leaving_unsubscribes() -> None:
    async def scenario() -> None:
        board = Notices()
        with board.subscribe("a") as first, board.subscribe("b") as second:
            assert (board.waiting("a"), board.waiting("b")) == (1, 1)
            board.wake_all()
            assert await first.wait(10) and await second.wait(10)
        assert (board.waiting("a"), board.waiting("b")) == (0, 0)

    run_alone(scenario())


def test_the_board_tells_whether_anybody_waits_at_all() -> None:
    async def scenario() -> None:
        board = Notices()
        assert not board.waited()  # the engine then makes no key for its batch
        with board.subscribe("a"):
            assert board.waited()
        assert not board.waited()

    run_alone(scenario())


def test_an_execution_ending_in_a_batch_wakes_whoever_waits_for_it() -> None:
    async def scenario() -> None:
        harness = Harness()
        machine = harness.create({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}})
        arn = harness.call(executions.start, stateMachineArn=machine)["executionArn"]
        harness.settle()
        with harness.engine.notices.subscribe(notices.execution(arn)) as subscription:
            harness.advance(5)  # the batch that ends it
            assert await subscription.wait(10)

    run_alone(scenario())
