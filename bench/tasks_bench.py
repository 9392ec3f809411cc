"""Task throughput: Lambda-task executions per second (a no-op Python handler) and activity round trips.

    .venv/bin/python bench/tasks_bench.py [--executions 2000] [--store sqlite|memory]

Runs the engine on its own thread, as ``stepforge serve`` does, with the real thread-pool runner.
Activity round trips go through the service layer (GetActivityTask -> SendTaskSuccess) from worker
threads, without HTTP.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from typing import Any

from scratch import scratch_dir  # bench/scratch.py

from stepforge.engine.engine import Engine
from stepforge.service import activities, executions, statemachines
from stepforge.service.context import Request, ServiceContext
from stepforge.store.memory import MemoryStore
from stepforge.store.sqlite import SqliteStore
from stepforge.tasks.config import TaskConfig

ROLE = "arn:aws:iam::000000000000:role/bench"


def call(ctx: ServiceContext, operation: Any, **params: Any) -> Any:
    """A service operation in a unit of work of its own (as ``stepforge.testing.Harness.call`` runs one)."""
    with ctx.store.transaction() as tx:
        return operation(ctx.within(tx), Request(params, "us-east-1"))


def deployment(kind: str) -> tuple[ServiceContext, Engine]:
    store: Any = SqliteStore(scratch_dir("stepforge-tasks-"), synchronous="NORMAL") if kind == "sqlite" else MemoryStore()
    tasks = TaskConfig()
    tasks.functions.add("noop", lambda event, context: event)
    engine = Engine(store, tasks=tasks)
    engine.start()
    return ServiceContext(store=store, engine=engine), engine


def run_all(ctx: ServiceContext, definition: dict[str, Any], count: int) -> float:
    machine = call(ctx, statemachines.create, name=f"b{time.monotonic_ns()}", definition=json.dumps(definition),
                   roleArn=ROLE)["stateMachineArn"]
    started = time.perf_counter()
    for _ in range(count):
        call(ctx, executions.start, stateMachineArn=machine, input="{}")
    while ctx.store.count_open_executions():
        time.sleep(0.01)
    return time.perf_counter() - started


def lambda_bench(kind: str, count: int) -> float:
    ctx, engine = deployment(kind)
    task = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:noop", "End": True}
    try:
        return count / run_all(ctx, {"StartAt": "T", "States": {"T": task}}, count)
    finally:
        engine.stop()


def activity_bench(kind: str, count: int, workers: int = 4) -> float:
    ctx, engine = deployment(kind)
    arn = call(ctx, activities.create, name="bench")["activityArn"]
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            task = call(ctx, activities.poll, activityArn=arn, workerName="w")
            if task is None:
                time.sleep(0.001)
                continue
            call(ctx, activities.send_success, taskToken=task["taskToken"], output="{}")

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    try:
        return count / run_all(ctx, {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": arn,
                                                                      "End": True}}}, count)
    finally:
        stop.set()
        engine.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--executions", type=int, default=2000)
    parser.add_argument("--store", default="sqlite", choices=("sqlite", "memory"))
    args = parser.parse_args()
    print(f"store={args.store} executions={args.executions}")
    print(f"lambda-task executions/s (no-op Python handler): {lambda_bench(args.store, args.executions):8.0f}")
    print(f"activity round trips/s (4 in-process workers):   {activity_bench(args.store, args.executions):8.0f}")


if __name__ == "__main__":
    main()
