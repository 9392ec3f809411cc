"""The engine's half of a StartExecution, in one process: from ``executions.start`` in the engine's batch
to the commit, without HTTP (issue 16: the request's whole budget is ~330 µs of GIL time at 3,000/s).

    .venv/bin/python bench/engine_half.py [--src DIR] [--n 3000] [--batch 16] [--observe] [--profile]

A one-Pass STANDARD machine on SQLite (``synchronous=OFF``: the disk is not what this measures),
``--n`` StartExecution writes queued ``--batch`` at a time (16 connections make batches of about 16)
and run by ``Engine.run_once``, as ``serve`` runs them. Prints the CPU time per execution
(process time: the machine's other load disturbs it less than wall time, not at all under
valgrind). ``--observe`` attaches the metrics and dashboard as ``serve`` does by default;
``--profile`` prints cProfile's top functions. ``--src`` runs another tree (an A/B pair: ``git
archive main | tar -x -C /tmp/base`` then ``--src /tmp/base/src``). Instruction counts, which load
does not change at all:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/engine_half.py --n 160 --warm 96
    (and again with --n 480: the difference of ``Collected``, divided by 320, is per execution)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path
from typing import Any

from scratch import scratch_dir  # bench/scratch.py

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"hello": "world"}, "End": True}}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--warm", type=int, default=400)
    parser.add_argument("--observe", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(args.src.resolve()))
    from stepforge.service import executions
    from stepforge.service.context import Request
    from stepforge.store.sqlite import SqliteStore
    from stepforge.testing import Harness

    harness = Harness(store=SqliteStore(scratch_dir("stepforge-engine-half-"), synchronous="OFF"))
    machine = harness.create(PASS)
    if args.observe:
        from stepforge.observe.config import ObserveConfig
        from stepforge.observe.observatory import Observatory

        Observatory(ObserveConfig(audit=False)).attach(harness.engine)

    def start(tx: Any) -> Any:
        return executions.start(harness.ctx.within(tx), Request({"stateMachineArn": machine, "input": "{}"},
                                                                 "us-east-1"))

    async def rounds(count: int) -> None:
        for _ in range(count // args.batch):
            waiting = [asyncio.ensure_future(harness.engine.writes.submit(start)) for _ in range(args.batch)]
            await asyncio.sleep(0)  # every write queued before the batch runs
            harness.engine.run_once(harness.clock.now())
            answers = await asyncio.gather(*waiting)
        assert harness.result(answers[-1]["executionArn"]).status == "SUCCEEDED"

    asyncio.run(rounds(args.warm))
    profile = cProfile.Profile() if args.profile else None
    began = time.process_time()
    if profile is not None:
        profile.enable()
    asyncio.run(rounds(args.n))
    if profile is not None:
        profile.disable()
    seconds = time.process_time() - began
    print(json.dumps({"src": str(args.src), "n": args.n, "batch": args.batch, "observe": args.observe,
                      "cpu_us_per_execution": round(seconds / args.n * 1e6, 1)}))
    if profile is not None:
        pstats.Stats(profile).sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    main()
