"""The invoice function, plain Python (``stepforge serve --functions invoice_functions``).

The Distributed Map hands it a batch: ``{"Items": [order, ...], "BatchInput": {"currency": "EUR"}}``,
each order a CSV row as the ItemReader gives it (every value a string).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import stepforge


@stepforge.function("invoice")
def invoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One invoice line per order, and the batch's total in cents."""
    currency = event["BatchInput"]["currency"]
    lines = [{"order": order["order"], "customer": order["customer"], "cents": _cents(order["amount"])}
             for order in event["Items"]]
    return {"currency": currency, "lines": lines, "total_cents": sum(line["cents"] for line in lines)}


def _cents(amount: str) -> int:
    return int(Decimal(amount) * 100)
