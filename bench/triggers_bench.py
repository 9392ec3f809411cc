"""Schedules and event rules: how fast the pure parts are, and what status-change events cost the engine.

    .venv/bin/python bench/triggers_bench.py [--executions 2000]

Prints, in-process (SQLite in a temporary directory, manual clock, no HTTP):

- cron()/rate() ``next_after`` calls per second for a few expressions (each one firing found);
- event-pattern matches per second (a pattern with prefix, numeric, anything-but and ``$or``);
- PutEvents through the service: events per second, each starting one execution;
- executions per second (a one-Pass machine, run to the end) with no rule on the default bus, then with
  20 rules that do not match: the cost of delivering every execution's status-change event.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from stepforge.service import executions, rules
from stepforge.store.sqlite import SqliteStore
from stepforge.testing import Harness
from stepforge.triggers import patterns
from stepforge.triggers.expressions import parse

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def rate(label: str, count: int, work: Callable[[], None]) -> None:
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    print(f"{label:<62} {count / seconds:>12,.0f} /s  ({count:,} in {seconds:.2f} s)")


def expressions(n: int) -> None:
    for text, count in (("rate(5 minutes)", n), ("cron(0/15 * * * ? *)", n), ("cron(0 9 ? * 2#1 *)", 1500),
                        ("cron(0 12 L * ? *)", 1500)):  # monthly: 1,500 firings stay before 2199
        schedule = parse(text, timezone="Europe/Paris")

        def walk(schedule: object = schedule, count: int = count) -> None:
            when = 1_700_000_000.0
            for _ in range(count):
                when = schedule.next_after(when)  # type: ignore[attr-defined]
        rate(f"next_after {text}", count, walk)


def matching(n: int) -> None:
    pattern = patterns.parse(json.dumps({"source": [{"prefix": "com.shop"}], "detail": {
        "$or": [{"total": [{"numeric": [">", 100]}]}, {"state": [{"anything-but": ["test", "dev"]}]}]}}))
    event = {"source": "com.shop.orders", "detail": {"total": 50, "state": "prod"}}
    rate("pattern matches", n, lambda: [patterns.matches(pattern, event) for _ in range(n)] and None)


def put_events(directory: Path, n: int) -> None:
    harness = Harness(store=SqliteStore(directory / "events"))
    harness.call(rules.put_rule, Name="all", EventPattern='{"source": ["bench"]}')
    harness.call(rules.put_targets, Rule="all", Targets=[{"Id": "m", "Arn": harness.create(PASS)}])
    entries = [{"Source": "bench", "DetailType": "d", "Detail": "{}"}] * 10

    def send() -> None:
        for _ in range(n // 10):
            harness.call(rules.put_events, Entries=entries)
    rate("PutEvents (10 entries a call), each starting one execution", n, send)
    harness.store.close()


def run_executions(directory: Path, n: int, rule_count: int) -> None:
    harness = Harness(store=SqliteStore(directory / f"runs-{rule_count}"))
    machine = harness.create(PASS)
    for i in range(rule_count):
        harness.call(rules.put_rule, Name=f"r{i}", EventPattern=json.dumps({"source": [f"nothing-{i}"]}))

    def run() -> None:
        for _ in range(n):
            harness.call(executions.start, stateMachineArn=machine, input="{}")
        harness.settle()
    rate(f"executions run to the end, {rule_count} rules on the default bus", n, run)
    harness.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=2000)
    args = parser.parse_args()
    expressions(20_000)
    matching(200_000)
    with tempfile.TemporaryDirectory() as tmp:
        put_events(Path(tmp), args.executions)
        run_executions(Path(tmp), args.executions, 0)
        run_executions(Path(tmp), args.executions, 20)


if __name__ == "__main__":
    main()
