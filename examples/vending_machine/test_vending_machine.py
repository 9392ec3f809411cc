"""The vending machine: a paid item is dispensed after the hold, an unpaid one goes back on the shelf
after three looks, an empty slot is caught, a jammed machine is retried."""

from __future__ import annotations

import vending_functions

from stepforge.pytest_plugin import Machine, Return, StepForge, Throw

PAID = {"slot": "A1", "price_cents": 150, "inserted_cents": 200}


def test_a_paid_item_is_dispensed_with_change_after_the_hold(vending: Machine) -> None:
    run = vending.run(PAID)
    assert run.status == "SUCCEEDED"
    assert run.path == ["Reserve", "HoldForPayment", "Paid?", "Settle", "Dispense"]
    assert run.output["dispensed"] == {"slot": "A1", "change_cents": 50}
    assert run.seconds == 30
    assert vending_functions.STOCK["A1"] == 2


def test_an_unpaid_item_goes_back_after_three_looks(vending: Machine) -> None:
    run = vending.run({"slot": "A1", "price_cents": 150, "inserted_cents": 100})
    assert (run.status, run.error) == ("FAILED", "NotPaid")
    assert run.entered("HoldForPayment") == 3 and run.path[-2:] == ["PutBack", "NotSold"]
    assert run.seconds == 3 * 30
    assert vending_functions.STOCK["A1"] == 3  # put back


def test_payment_that_arrives_during_the_hold_is_seen_at_the_next_look(stepforge: StepForge,
                                                                        vending: Machine) -> None:
    stepforge.mock("Paid?", Return({"status": "PENDING", "checks": 1}), Return({"status": "PAID", "checks": 2}))
    run = vending.start(PAID)
    assert run.waiting() == ["HoldForPayment"]
    run.advance(30)
    assert run.waiting() == ["HoldForPayment"]  # the first look found nothing yet
    run.finish()
    assert run.status == "SUCCEEDED" and run.entered("Paid?") == 2


def test_an_empty_slot_is_sold_out(vending: Machine) -> None:
    run = vending.run({"slot": "B2", "price_cents": 150, "inserted_cents": 200})
    assert (run.status, run.error) == ("FAILED", "SoldOut")
    assert run.caught == [("Reserve", "SoldOut")]


def test_a_jammed_machine_is_tried_again_with_back_off(stepforge: StepForge, vending: Machine) -> None:
    stepforge.mock("Reserve", Throw("Machine.Jammed"), Return({"slot": "A1", "hold_seconds": 5}))
    run = vending.run(PAID)
    assert run.status == "SUCCEEDED" and run.state("Reserve").retries == 1
    assert run.seconds == 2 + 5


def test_a_machine_that_stays_jammed_fails(stepforge: StepForge, vending: Machine) -> None:
    stepforge.mock("Reserve", *[Throw("Machine.Jammed", "the coil is stuck")] * 3)
    run = vending.run(PAID)
    assert (run.status, run.error) == ("FAILED", "Machine.Jammed")
    assert run.retried == {"Reserve": 2} and run.seconds == 2 + 4
