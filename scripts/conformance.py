"""Start a stepforge server on a free port and run the shared conformance suite against it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT.parent / "shared" / "conformance" / "run.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    if not RUNNER.exists():
        print(f"no conformance suite at {RUNNER}", file=sys.stderr)
        return 2
    port = free_port()
    data = tempfile.mkdtemp(prefix="stepforge-conformance-")
    server = subprocess.Popen([sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port),
                               "--data-dir", data], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        args = [sys.executable, str(RUNNER), "--endpoint", f"http://127.0.0.1:{port}", *sys.argv[1:]]
        return subprocess.call(args, env=os.environ)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
