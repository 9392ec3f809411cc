"""The vending machine's Lambda functions, as plain Python (``stepforge serve --functions vending_functions``)."""

from __future__ import annotations

from typing import Any

import stepforge

#: Items in each slot; a real machine would read its own sensors.
STOCK: dict[str, int] = {"A1": 3, "B2": 0}


class SoldOut(Exception):
    """The slot is empty (the state machine catches it by this name)."""


@stepforge.function("reserve")
def reserve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Hold one item of ``event["slot"]`` for the customer while they pay."""
    slot = event["slot"]
    if STOCK.get(slot, 0) <= 0:
        raise SoldOut(f"slot {slot} is empty")
    STOCK[slot] -= 1
    return {"slot": slot, "hold_seconds": 30}


@stepforge.function("payment-status")
def payment_status(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Whether the card reader has been paid; ``checks`` counts the looks so far."""
    checks = (event.get("payment") or {}).get("checks", 0) + 1
    paid = event.get("inserted_cents", 0) >= event.get("price_cents", 0)
    return {"status": "PAID" if paid else "PENDING", "checks": checks}


@stepforge.function("dispense")
def dispense(event: dict[str, Any], context: Any) -> dict[str, Any]:
    change = event.get("inserted_cents", 0) - event.get("price_cents", 0)
    return {"slot": event["slot"], "change_cents": change}


@stepforge.function("put-back")
def put_back(event: dict[str, Any], context: Any) -> dict[str, Any]:
    STOCK[event["slot"]] = STOCK.get(event["slot"], 0) + 1
    return {"slot": event["slot"]}
