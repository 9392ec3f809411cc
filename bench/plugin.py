"""The pytest plugin's speed: a 50-state machine with Waits and Retries, run 1,000 times on the manual clock.

    .venv/bin/python bench/plugin.py [--runs 1000] [--pytest]

The machine is ten rounds of Task (a Retry with back-off; its mock fails once, then answers) ->
Wait (one day) -> Pass -> Choice -> Pass: 50 states, ten retries and ten day-long Waits per run, so
each run spans 10 simulated days and 20 timers. Without ``--pytest`` each run gets a fresh fixture
object (:class:`stepforge.pytest_plugin.StepForge`) in this process, as each test would; with
``--pytest``, pytest runs a generated test module of ``--runs`` test cases using the fixture, then
as many empty test cases (pytest's own floor: start-up and per-test cost, without stepforge).
Prints wall and CPU seconds (CPU tells more on a shared machine), in total and per run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from stepforge.pytest_plugin import Return, StepForge, Throw
from stepforge.pytest_plugin.plugin import freeze_heap

ROUNDS = 10
FN = "arn:aws:lambda:us-east-1:000000000000:function:work"


def definition() -> dict[str, Any]:
    """Ten rounds of five states: 50 states, each Task retried once, each round waiting a day."""
    states: dict[str, Any] = {}
    for i in range(ROUNDS):
        after = f"Work{i + 1}" if i + 1 < ROUNDS else "Finish"
        states[f"Work{i}"] = {"Type": "Task", "Resource": FN, "ResultPath": f"$.r{i}", "Next": f"Rest{i}",
                              "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 30, "BackoffRate": 2.0,
                                         "MaxAttempts": 20}]}
        states[f"Rest{i}"] = {"Type": "Wait", "Seconds": 86400, "Next": f"Tally{i}"}
        states[f"Tally{i}"] = {"Type": "Pass", "Result": i, "ResultPath": "$.round", "Next": f"Check{i}"}
        states[f"Check{i}"] = {"Type": "Choice", "Choices": [{"Variable": "$.round", "NumericEquals": i,
                                                              "Next": f"Next{i}"}], "Default": "Finish"}
        states[f"Next{i}"] = {"Type": "Pass", "Next": after}
    states["Finish"] = {"Type": "Succeed"}
    states.pop(f"Next{ROUNDS - 1}")
    states[f"Check{ROUNDS - 1}"]["Choices"][0]["Next"] = "Finish"
    return {"StartAt": "Work0", "States": states}


def in_process(runs: int) -> tuple[float, float]:
    """Each run with a fresh workbench, as each test gets a fresh fixture (set-up timed too);
    returns (wall seconds, CPU seconds of this process)."""
    text = definition()  # a test module's constant
    freeze_heap()  # as the plugin does once a session's tests are collected
    began, cpu = time.perf_counter(), time.process_time()
    for _ in range(runs):
        bench = StepForge()
        machine = bench.load(text, name="bench50")
        for i in range(ROUNDS):
            bench.mock(f"Work{i}", Throw("Busy"), Return({"ok": True}))
        run = machine.run({})
        assert run.status == "SUCCEEDED", run
        bench.close()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    assert len(run.path) == 50 and run.retried == {f"Work{i}": 1 for i in range(ROUNDS)}, run.retried
    assert run.seconds >= ROUNDS * 86400
    return elapsed, cpu


TEST_MODULE = '''
import json, pytest
from stepforge.pytest_plugin import Return, Throw
DEFINITION = json.loads({text!r})

@pytest.mark.parametrize("n", range({runs}))
def test_run(stepforge, n):
    machine = stepforge.load(DEFINITION, name="bench50")
    for i in range({rounds}):
        stepforge.mock(f"Work{{i}}", Throw("Busy"), Return({{"ok": True}}))
    assert machine.run({{}}).status == "SUCCEEDED"
'''


EMPTY_MODULE = '''
import pytest

@pytest.mark.parametrize("n", range({runs}))
def test_run(n):
    assert n >= 0
'''


def under_pytest(runs: int, module: str = TEST_MODULE) -> tuple[float, float]:
    """A pytest session of the generated ``module``: (wall seconds, CPU seconds of the session)."""
    with tempfile.TemporaryDirectory() as folder:
        test = Path(folder) / "test_bench50.py"
        test.write_text(module.format(text=json.dumps(definition()), runs=runs, rounds=ROUNDS))
        began, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
                              check=False, cwd=folder, capture_output=True, text=True)
        elapsed, after = time.perf_counter() - began, resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(done.stdout[-3000:])
    return elapsed, (after.ru_utime + after.ru_stime) - (cpu.ru_utime + cpu.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--pytest", action="store_true", help="as a pytest session of --runs tests")
    args = parser.parse_args()
    elapsed, cpu = under_pytest(args.runs) if args.pytest else in_process(args.runs)
    mode = "a pytest session (start-up included)" if args.pytest else "in-process"
    print(f"{args.runs} runs of a 50-state machine (10 day-long Waits, 10 retries each), {mode}: "
          f"{elapsed:.2f} s wall ({1000 * elapsed / args.runs:.1f} ms/run), {cpu:.2f} s CPU "
          f"({1000 * cpu / args.runs:.1f} ms/run, {args.runs * 50 / cpu:,.0f} states/s); target: <= 2 s for 1,000 runs")
    if args.pytest:
        elapsed, cpu = under_pytest(args.runs, EMPTY_MODULE)
        print(f"pytest's own floor, {args.runs} empty test cases: {elapsed:.2f} s wall, {cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
