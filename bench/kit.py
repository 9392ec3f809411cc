"""Run the engine-independent benchmark kit (../shared/bench/sfn_bench.py) against stepforge.

    .venv/bin/python bench/kit.py [--repeat 3] [--scenarios hello,chain100,...] [--synchronous FULL]

Starts a fresh `stepforge serve` (SQLite, synchronous=FULL by default) per scenario, runs the kit
with the server's PID for RSS/CPU sampling, and prints one line of medians per scenario next to
the issue's targets. The history limit is lifted (--max-history-events 0): an inline Map of 10,000
items writes 40,000 events, which AWS itself would refuse.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[2] / "shared" / "bench" / "sfn_bench.py"
SCENARIOS = ["hello", "chain100", "choice_loop", "map10k", "parallel", "wait", "payload"]
TARGETS = {"hello": "≥ 1,000 exec/s", "chain100": "≥ 10,000 trans/s", "choice_loop": "≥ 50,000 trans/s",
           "map10k": "≤ 1.5 s", "wait": "≤ 2.5 s", "payload": "≥ 100 trans/s", "parallel": "-"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(scenario: str, repeat: int, synchronous: str) -> dict[str, float]:
    port, data = free_port(), tempfile.mkdtemp(prefix="stepforge-kit-")
    server = subprocess.Popen([sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port), "--data-dir",
                               data, "--sqlite-synchronous", synchronous, "--max-history-events", "0"],
                              stdout=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        out = Path(data) / "result.json"
        subprocess.run([sys.executable, str(KIT), "--endpoint", f"http://127.0.0.1:{port}", "--scenario", scenario,
                        "--repeat", str(repeat), "--server-pid", str(server.pid), "--json", str(out)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result = json.loads(out.read_text())
        if not result.get("all_ok"):
            raise SystemExit(f"{scenario}: not every run was correct: {result}")
        return dict(result["median"])
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"])
    args = parser.parse_args()
    if not KIT.exists():
        raise SystemExit(f"no benchmark kit at {KIT}")
    print(f"{'scenario':<12} {'exec/s':>9} {'trans/s':>9} {'wall s':>7} {'p99 s':>7} {'RSS MB':>7}  target")
    for scenario in args.scenarios.split(","):
        m = run(scenario, args.repeat, args.synchronous)
        print(f"{scenario:<12} {m['executions_per_s']:>9.1f} {m['transitions_per_s']:>9.0f} {m['wall_s']:>7.3f} "
              f"{m['latency_p99_s']:>7.3f} {m.get('server_rss_peak_mb', 0):>7.0f}  {TARGETS.get(scenario, '')}",
              flush=True)


if __name__ == "__main__":
    main()
