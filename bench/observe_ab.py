"""Metrics and audit on vs off: the benchmark kit's scenarios against A/B pairs of fresh servers.

    .venv/bin/python bench/observe_ab.py [--pairs 5] [--scenarios hello,chain100] [--n 1000 | --long] [--warm]

Each pair starts a fresh ``stepforge serve`` (SQLite, synchronous=FULL) with metrics, dashboard and
audit trail on (the defaults), and one with ``[metrics] enabled = false`` and ``[audit] enabled =
false``, back to back, the order alternating from pair to pair (the machine is shared: neighbours'
load drifts, and a pair sees the same drift). Prints each pair's figures and the median of the
per-pair ratios (on / off; below 1.0 = slower with observing on).

At the kit's default sizes most runs are short (chain100: 50 executions, about 0.25 s; choice_loop and
map1k: one execution, 30-60 ms) and the server's CPU time is counted in 10 ms ticks, so a pair's ratio
moves by 10-30 % with a neighbour's burst. ``--long`` runs each scenario at a size that lasts a second
or more (:data:`LONG`).

``--warm`` starts the two servers once per scenario and runs the pairs against them, one right after
the other (no start-up between the two runs of a pair, so a pair spans seconds, not tens of seconds,
and many more pairs fit): what drifts between pairs cancels within each. Both servers' stores grow
alike from pair to pair. Each median comes with a bootstrap 90 % interval of the median of the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kit import free_port

ROOT = Path(__file__).resolve().parents[1]
#: The kit in ``$STEPFORGE_SHARED``, beside the repository (``../shared``), or beside a worktree's parent.
KIT = next((p for p in (Path(os.environ.get("STEPFORGE_SHARED", ROOT.parent / "shared")) / "bench" / "sfn_bench.py",
                        ROOT.parents[1] / "shared" / "bench" / "sfn_bench.py") if p.exists()),
           ROOT.parent / "shared" / "bench" / "sfn_bench.py")

CONFIGS = {"on": "", "off": "[metrics]\nenabled = false\n\n[audit]\nenabled = false\n"}
FIGURE = {"hello": "executions_per_s", "chain100": "transitions_per_s", "choice_loop": "transitions_per_s",
          "parallel": "transitions_per_s", "map1k": "transitions_per_s", "payload": "transitions_per_s"}

#: Executions per run with ``--long``: about 1-3 s a run on a quiet 2-core machine.
LONG = {"hello": 2000, "chain100": 400, "choice_loop": 30, "parallel": 600, "map1k": 30, "payload": 200}


class Server:
    """A fresh ``stepforge serve`` (SQLite, synchronous=FULL) with observing ``mode`` (on/off)."""

    def __init__(self, mode: str) -> None:
        self.mode, self.port = mode, free_port()
        self.data = Path(tempfile.mkdtemp(prefix=f"stepforge-observe-{mode}-"))
        (self.data / "config.toml").write_text(CONFIGS[mode])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stepforge.cli", "serve", "--port", str(self.port), "--data-dir",
             str(self.data / "data"), "--config", str(self.data / "config.toml"), "--max-history-events", "0"],
            stdout=subprocess.DEVNULL)
        _wait_for(self.port)

    def kit(self, scenario: str, n: int | None) -> tuple[float, float]:
        """(the scenario's figure, the server's CPU milliseconds per execution) of one run of the kit."""
        out = self.data / "result.json"
        command = [sys.executable, str(KIT), "--endpoint", f"http://127.0.0.1:{self.port}", "--scenario", scenario,
                   "--repeat", "1", "--json", str(out), "--server-pid", str(self.process.pid)]
        subprocess.run([*command, *(["--n", str(n)] if n else [])], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        result = json.loads(out.read_text())
        if not result.get("all_ok"):
            raise SystemExit(f"{scenario} ({self.mode}): not every run was correct")
        if self.mode == "on" and not (self.data / "data" / "audit.jsonl").exists():
            raise SystemExit("observing on, yet no audit trail was written")
        median = result["median"]
        executions = result["runs"][0].get("n", n or 1)
        return float(median[FIGURE[scenario]]), 1000 * float(median["server_cpu_s"]) / executions

    def stop(self) -> None:
        """Stop the server and remove its data (a warm payload server's store grows by gigabytes)."""
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.data, ignore_errors=True)


def run(scenario: str, mode: str, n: int | None) -> tuple[float, float]:
    """One run of the kit against a fresh server of its own."""
    server = Server(mode)
    try:
        return server.kit(scenario, n)
    finally:
        server.stop()


def _wait_for(port: int) -> None:
    import socket

    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--scenarios", default="hello,chain100")
    parser.add_argument("--n", type=int, default=None, help="executions per run (the kit's default otherwise)")
    parser.add_argument("--long", action="store_true", help="runs of a second or more (see LONG)")
    parser.add_argument("--warm", action="store_true", help="two servers per scenario, every pair against them")
    args = parser.parse_args()
    for scenario in args.scenarios.split(","):
        n = LONG[scenario] if args.long else args.n
        servers = {mode: Server(mode) for mode in CONFIGS} if args.warm else None
        try:
            if servers is not None:  # a first run each: the servers' caches, the kit's state machine
                for server in servers.values():
                    server.kit(scenario, n)
            compare(scenario, n, args.pairs, servers)
        finally:
            for server in (servers or {}).values():
                server.stop()


def compare(scenario: str, n: int | None, pairs: int, servers: dict[str, Server] | None) -> None:
    ratios, cpu_ratios = [], []
    for pair in range(pairs):
        order = ("on", "off") if pair % 2 == 0 else ("off", "on")
        figures = {mode: servers[mode].kit(scenario, n) if servers else run(scenario, mode, n) for mode in order}
        (on, on_cpu), (off, off_cpu) = figures["on"], figures["off"]
        ratios.append(on / off)
        cpu_ratios.append(on_cpu / off_cpu)
        print(f"{scenario:<10} pair {pair + 1}: {FIGURE[scenario]} on {on:>8.1f} off {off:>8.1f} (on/off {ratios[-1]:.3f});"
              f" server CPU ms/execution on {on_cpu:.2f} off {off_cpu:.2f} (on/off {cpu_ratios[-1]:.3f}),"
              f" {order[0]} first, load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"{scenario:<10} median on/off: throughput {statistics.median(ratios):.3f} {interval(ratios)}, server CPU "
          f"per execution {statistics.median(cpu_ratios):.3f} {interval(cpu_ratios)} over {len(ratios)} pairs", flush=True)


def interval(ratios: list[float], resamples: int = 2000) -> str:
    """A bootstrap 90 % interval of the median of ``ratios`` (seeded: the same ratios, the same interval)."""
    if len(ratios) < 3:
        return ""
    draw = random.Random(18)
    medians = sorted(statistics.median(draw.choices(ratios, k=len(ratios))) for _ in range(resamples))
    return f"(90 % {medians[resamples // 20]:.3f}-{medians[resamples - 1 - resamples // 20]:.3f})"


if __name__ == "__main__":
    main()
