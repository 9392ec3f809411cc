"""SQLite against PostgreSQL, one node: the benchmark kit (../shared/bench/sfn_bench.py) on each.

    .venv/bin/python bench/backends.py [--repeat 3] [--scenarios hello,chain100,choice_loop] [--n 1000]

Per backend and scenario a fresh `stepforge serve`: SQLite with synchronous=FULL, or PostgreSQL in a
private cluster (tests/postgres_kit.py) with its durable defaults (fsync, synchronous_commit on) and
pg_stat_statements loaded. Prints one line of medians per run, then, for PostgreSQL, the statements
that took the most server time (where the time goes on the database's side).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from kit import KIT, free_port  # bench/kit.py
from postgres_kit import Cluster, bin_dir  # tests/postgres_kit.py
from scratch import scratch_dir  # bench/scratch.py

#: The kit beside the repository (a clone in ../), else the shared one of this machine's worktrees.
SFN_BENCH = next((path for path in (KIT, Path("/work/shared/bench/sfn_bench.py")) if path.exists()), KIT)

DURABLE = {"fsync": "on", "synchronous_commit": "on", "shared_preload_libraries": "'pg_stat_statements'"}


def serve(port: int, store: list[str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen([sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port),
                               "--max-history-events", "0", *store], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("stepforge serve did not start")


def run(scenario: str, args: argparse.Namespace, store: list[str]) -> dict[str, float]:
    port = free_port()
    server = serve(port, store)
    out = scratch_dir("stepforge-bench-") / "result.json"
    try:
        command = [sys.executable, str(SFN_BENCH), "--endpoint", f"http://127.0.0.1:{port}", "--scenario", scenario,
                   "--repeat", str(args.repeat), "--server-pid", str(server.pid), "--json", str(out)]
        if args.n:
            command += ["--n", str(args.n)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result = json.loads(out.read_text())
        if not result.get("all_ok"):
            raise SystemExit(f"{scenario}: not every run was correct: {result}")
        return dict(result["median"])
    finally:
        server.terminate()
        server.wait(timeout=60)


def top_statements(url: str, limit: int = 8, by: str = "total_exec_time") -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT calls, total_exec_time, mean_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
            f"FROM pg_stat_statements ORDER BY {by} DESC LIMIT %s", (limit,)).fetchall()
        total = conn.execute("SELECT sum(total_exec_time), sum(calls) FROM pg_stat_statements").fetchone()
    lines = [f"  all statements: {total[1]} calls, {total[0] / 1000:.2f} s server time" if total else ""]
    lines += [f"  {calls:>8} calls {spent / 1000:7.2f} s {mean * 1000:7.1f} µs  {query}"
              for calls, spent, mean, query in rows]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenarios", default="hello,chain100,choice_loop")
    parser.add_argument("--n", type=int, default=0, help="executions per run (0: the kit's default)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--top-by", default="total_exec_time", choices=["total_exec_time", "calls"],
                        help="how to rank PostgreSQL's statements: server time, or how often they ran")
    args = parser.parse_args()
    bindir = bin_dir()
    print(f"{'backend':<11} {'scenario':<12} {'exec/s':>9} {'trans/s':>9} {'wall s':>7} {'p99 s':>7} "
          f"{'RSS MB':>7} {'CPU s':>6}")
    for backend in args.backends.split(","):
        for scenario in args.scenarios.split(","):
            cluster = Cluster(bindir, settings=DURABLE) if backend == "postgresql" and bindir else None
            try:
                if cluster is not None:
                    url = cluster.create_database("bench")
                    with psycopg.connect(url, autocommit=True) as conn:
                        conn.execute("CREATE EXTENSION pg_stat_statements")
                    subprocess.run([sys.executable, "-m", "stepforge.cli", "db", "migrate", "--db", url], check=True,
                                   stdout=subprocess.DEVNULL)
                    with psycopg.connect(url, autocommit=True) as conn:
                        conn.execute("SELECT pg_stat_statements_reset()")  # the run's statements only
                    store = ["--db", url, "--data-dir", str(scratch_dir("stepforge-bench-"))]  # its own
                else:
                    store = ["--data-dir", str(scratch_dir("stepforge-bench-"))]
                m = run(scenario, args, store)
                print(f"{backend:<11} {scenario:<12} {m['executions_per_s']:>9.1f} {m['transitions_per_s']:>9.0f} "
                      f"{m['wall_s']:>7.3f} {m['latency_p99_s']:>7.3f} {m.get('server_rss_peak_mb', 0):>7.0f} "
                      f"{m.get('server_cpu_s', 0):>6.1f}", flush=True)
                if cluster is not None:
                    print("\n".join(top_statements(url, 14, args.top_by)), flush=True)
            finally:
                if cluster is not None:
                    cluster.stop()


if __name__ == "__main__":
    main()
