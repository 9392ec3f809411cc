"""Functions registered by module in the tests (``FunctionRegistry.load_module``)."""

from __future__ import annotations

from typing import Any

import stepforge


@stepforge.function("renamed", timeout=5)
def decorated(event: Any, context: Any) -> Any:
    return {"renamed": True, "name": context.function_name}


def plain(event: Any, context: Any) -> Any:
    return event


def _private(event: Any, context: Any) -> Any:
    return None
