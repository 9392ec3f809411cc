"""``stepforge nodes`` lists the nodes sharing a database; ``stepforge engine`` runs one until SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stepforge.cli import main
from stepforge.engine.clock import SystemClock
from stepforge.engine.lease import Lease, NodeSettings
from stepforge.store.postgres import PostgresStore
from stepforge.store.sqlite import SqliteStore


def test_nodes_lists_live_nodes_with_their_lease_and_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = SqliteStore(tmp_path)
    live, gone = Lease(store, SystemClock(), NodeSettings(kind="engine", lease_ttl=60)), Lease(
        store, SystemClock(), NodeSettings(kind="serve", lease_ttl=60, shared=True))
    gone_id = gone.join(time.time())
    gone.stop()  # released: its lease has ended
    live_id = live.join(time.time())
    store.close()
    assert main(["nodes", "--data-dir", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert "1 node(s) with a live lease" in shown and live_id in shown and gone_id not in shown
    (left,) = re.findall(r"│ (\d+\.\d) s ", shown)
    assert "engine" in shown and 30 < float(left) <= 60  # its lease expires in about a minute
    assert main(["nodes", "--data-dir", str(tmp_path), "--all"]) == 0
    shown = capsys.readouterr().out
    assert gone_id in shown and "expired" in shown


def test_nodes_of_a_directory_without_a_database_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nodes", "--data-dir", str(tmp_path / "none")]) == 2
    assert "no database" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


def test_an_engine_node_joins_and_sigterm_hands_its_lease_back(postgres_url: str, tmp_path: Path) -> None:
    engine = subprocess.Popen([sys.executable, "-m", "stepforge.cli", "engine", "--db", postgres_url,
                               "--data-dir", str(tmp_path), "--lease-ttl", "60"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    store = PostgresStore(postgres_url)
    try:
        deadline = time.monotonic() + 60
        while not (joined := [n for n in store.list_nodes() if n.pid == engine.pid]):
            assert engine.poll() is None and time.monotonic() < deadline, engine.communicate()
            time.sleep(0.05)
        assert joined[0].kind == "engine" and joined[0].lease_expires > time.time() + 30
        engine.send_signal(signal.SIGTERM)
        assert engine.wait(timeout=30) == 0
        (left,) = [n for n in store.list_nodes() if n.pid == engine.pid]
        assert left.lease_expires <= time.time() + 1  # handed back at once, not in a minute
    finally:
        if engine.poll() is None:
            engine.kill()
        store.close()


def test_an_engine_needs_a_reachable_database(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "stepforge.cli", "engine", "--db",
                           "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1", "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "cannot connect" in done.stderr and "Traceback" not in done.stderr
