"""JSONata vs JSONPath state transitions per second, in-process through the test Harness, and the
guarded JSONata evaluation alone (evaluations per second), each the best of ``--repeat`` runs and
per second of this process's CPU time, so that other work on a shared machine skews it less.

    .venv/bin/python bench/jsonata_bench.py [--executions 200] [--states 20] [--repeat 3]

Both machines do the same work per state: read a field of the input, add one, keep a variable.
The evaluation figures time ``Expression.evaluate`` (budget, bindings, the library, conversion)
on one such expression and on a regex replacement, so the guard's own overhead shows without the
engine around it.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from stepforge.asl.query.jsonata import compile_expression
from stepforge.asl.scope import Scope
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
    started = time.process_time()
    for _ in range(executions):
        harness.start(definition, {"n": 0})
    harness.settle()
    elapsed = time.process_time() - started
    return executions * (states + 1) / elapsed


ARITHMETIC = "$states.input.n + 1"
REGEX = "$replace($states.input.s, /(b+)c/, '<$1>')"


def evaluations_per_second(text: str, count: int) -> float:
    expression = compile_expression("{% " + text + " %}", "/bench")
    scope = Scope({"n": 1, "s": "aaaa-bbbc-dddd"}, {"State": {"Name": "S"}}, {"last": 0}, random.Random(1))
    started = time.process_time()
    for _ in range(count):
        expression.evaluate(scope)
    return count / (time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executions", type=int, default=200)
    parser.add_argument("--states", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = ata = arithmetic = regex = 0.0
    for _ in range(args.repeat):  # interleaved, so a busy moment on the machine hits all alike
        path = max(path, transitions_per_second(jsonpath_machine(args.states), args.executions, args.states))
        ata = max(ata, transitions_per_second(jsonata_machine(args.states), args.executions, args.states))
        arithmetic = max(arithmetic, evaluations_per_second(ARITHMETIC, 20 * args.executions))
        regex = max(regex, evaluations_per_second(REGEX, 10 * args.executions))
    print(f"JSONPath: {path:10.0f} transitions/s")
    print(f"JSONata:  {ata:10.0f} transitions/s  ({ata / path:.2f}x JSONPath)")
    print(f"JSONata:  {arithmetic:10.0f} guarded evaluations/s of {ARITHMETIC}")
    print(f"JSONata:  {regex:10.0f} guarded evaluations/s of {REGEX}")


if __name__ == "__main__":
    main()
