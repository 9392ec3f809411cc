"""Metrics and audit on vs off: the benchmark kit's scenarios against A/B pairs of fresh servers.

    .venv/bin/python bench/observe_ab.py [--pairs 5] [--scenarios hello,chain100] [--n 1000 | --long]

Each pair starts a fresh ``stepforge serve`` (SQLite, synchronous=FULL) with metrics, dashboard and
audit trail on (the defaults), and one with ``[metrics] enabled = false`` and ``[audit] enabled =
false``, back to back, the order alternating from pair to pair (the machine is shared: neighbours'
load drifts, and a pair sees the same drift). Prints each pair's figures and the median of the
per-pair ratios (on / off; below 1.0 = slower with observing on).

At the kit's default sizes most runs are short (chain100: 50 executions, about 0.25 s; choice_loop and
map1k: one execution, 30-60 ms) and the server's CPU time is counted in 10 ms ticks, so a pair's ratio
moves by 10-30 % with a neighbour's burst. ``--long`` runs each scenario at a size that lasts a second
or more (:data:`LONG`).
"""

from __future__ import annotations

import argparse
import json
import os
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


def run(scenario: str, mode: str, n: int | None) -> tuple[float, float]:
    """(the scenario's figure, the server's CPU milliseconds per execution) of one fresh server."""
    port, data = free_port(), Path(tempfile.mkdtemp(prefix=f"stepforge-observe-{mode}-"))
    (data / "config.toml").write_text(CONFIGS[mode])
    server = subprocess.Popen([sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port), "--data-dir",
                               str(data / "data"), "--config", str(data / "config.toml"), "--max-history-events", "0"],
                              stdout=subprocess.DEVNULL)
    try:
        _wait_for(port)
        out = data / "result.json"
        command = [sys.executable, str(KIT), "--endpoint", f"http://127.0.0.1:{port}", "--scenario", scenario,
                   "--repeat", "1", "--json", str(out), "--server-pid", str(server.pid)]
        subprocess.run([*command, *(["--n", str(n)] if n else [])], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        result = json.loads(out.read_text())
        if not result.get("all_ok"):
            raise SystemExit(f"{scenario} ({mode}): not every run was correct")
        audit = data / "data" / "audit.jsonl"
        if mode == "on" and not audit.exists():
            raise SystemExit("observing on, yet no audit trail was written")
        median = result["median"]
        executions = result["runs"][0].get("n", n or 1)
        return float(median[FIGURE[scenario]]), 1000 * float(median["server_cpu_s"]) / executions
    finally:
        server.terminate()
        server.wait(timeout=30)


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
    args = parser.parse_args()
    for scenario in args.scenarios.split(","):
        n = LONG[scenario] if args.long else args.n
        ratios, cpu_ratios = [], []
        for pair in range(args.pairs):
            order = ("on", "off") if pair % 2 == 0 else ("off", "on")
            figures = {mode: run(scenario, mode, n) for mode in order}
            (on, on_cpu), (off, off_cpu) = figures["on"], figures["off"]
            ratios.append(on / off)
            cpu_ratios.append(on_cpu / off_cpu)
            print(f"{scenario:<10} pair {pair + 1}: {FIGURE[scenario]} on {on:>8.1f} off {off:>8.1f} (on/off {ratios[-1]:.3f});"
                  f" server CPU ms/execution on {on_cpu:.2f} off {off_cpu:.2f} (on/off {cpu_ratios[-1]:.3f}),"
                  f" {order[0]} first, load {os.getloadavg()[0]:.1f}", flush=True)
        print(f"{scenario:<10} median on/off: throughput {statistics.median(ratios):.3f}, server CPU per execution "
              f"{statistics.median(cpu_ratios):.3f} over {len(ratios)} pairs", flush=True)


if __name__ == "__main__":
    main()
