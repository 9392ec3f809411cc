"""JSONata vs JSONPath state transitions per second, in-process through the test Harness.

    .venv/bin/python bench/jsonata_bench.py [--executions 200] [--states 20]

Both machines do the same work per state: read a field of the input, add one, keep a variable.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from stepforge.testing import Harness


def jsonpath_machine(states: int) -> dict[str, Any]:
    body = {f"S{i}": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"},
                      "Assign": {"last.$": "$.n"}, "Next": f"S{i + 1}"} for i in range(states)}
    body[f"S{states}"] = {"Type": "Pass", "End": True}
    return {"StartAt": "S0", "States": body}


def jsonata_machine(states: int) -> dict[str, Any]:
    body = {f"S{i}": {"Type": "Pass", "Output": {"n": "{% $states.input.n + 1 %}"},
                      "Assign": {"last": "{% $states.input.n %}"}, "Next": f"S{i + 1}"} for i in range(states)}
    body[f"S{states}"] = {"Type": "Pass", "End": True}
    return {"QueryLanguage": "JSONata", "StartAt": "S0", "States": body}


def transitions_per_second(definition: dict[str, Any], executions: int, states: int) -> float:
    harness = Harness()
    harness.run(definition, {"n": 0})  # warm the compile cache
    started = time.perf_counter()
    for _ in range(executions):
        harness.start(definition, {"n": 0})
    harness.settle()
    elapsed = time.perf_counter() - started
    return executions * (states + 1) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=200)
    parser.add_argument("--states", type=int, default=20)
    args = parser.parse_args()
    path = transitions_per_second(jsonpath_machine(args.states), args.executions, args.states)
    ata = transitions_per_second(jsonata_machine(args.states), args.executions, args.states)
    print(f"JSONPath: {path:10.0f} transitions/s")
    print(f"JSONata:  {ata:10.0f} transitions/s  ({ata / path:.2f}x JSONPath)")


if __name__ == "__main__":
    main()
