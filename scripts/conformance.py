"""Start a stepforge server on a free port and run the shared conformance suite against it.

    python scripts/conformance.py [run.py options]           # the categories that need no AWS service
    python scripts/conformance.py --integ [run.py options]   # the integ_* categories, against a local backend

``--integ`` starts stepforge with ``[passthrough] endpoint_url`` naming a backend port, then lets
run.py start that backend there (``--start-backend``: its Lambda emulation plus a moto server; needs
``moto[server]``, in the ``test`` extra) and run every ``integ_*`` category but ``integ_itemreader``
and ``integ_unverifiable``, unless ``--category`` says otherwise.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def find_runner() -> Path:
    """``shared/conformance/run.py`` beside the checkout, or beside one of its parents (a worktree)."""
    for folder in ROOT.parents:
        candidate = folder / "shared" / "conformance" / "run.py"
        if candidate.exists():
            return candidate
    return ROOT.parent / "shared" / "conformance" / "run.py"


RUNNER = find_runner()
INTEG_CATEGORIES = ("integ_lambda", "integ_aws_sdk", "integ_sns", "integ_sync", "integ_callbacks",
                    "integ_dynamodb", "integ_sqs", "integ_events")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, server: subprocess.Popen[bytes], seconds: float = 120.0) -> bool:
    """Whether the server accepts connections on ``port`` within ``seconds`` (False when it exited)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(server: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    """Stop the server: SIGTERM, then SIGKILL if it has not exited within ``seconds`` (a loaded machine
    can take longer than a few seconds to drain), so the run's figures are never lost to a traceback."""
    server.terminate()
    try:
        server.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        print(f"stepforge did not stop within {seconds:.0f} s; killed", file=sys.stderr)
        server.kill()
        server.wait()


def integ_config(data: str, backend_port: int) -> Path:
    """A stepforge.toml that sends every AWS call to the backend run.py starts on ``backend_port``."""
    path = Path(data) / "stepforge.toml"
    path.write_text(f'[passthrough]\nendpoint_url = "http://127.0.0.1:{backend_port}"\n', encoding="utf-8")
    return path


def runner_args(argv: list[str], integ: bool, backend_port: int) -> list[str]:
    if not integ:
        return argv
    extra = ["--start-backend", "--backend-port", str(backend_port)]
    if not any(arg == "--category" or arg.startswith("--category=") for arg in argv):
        extra += ["--category", ",".join(INTEG_CATEGORIES)]
    return [*extra, *argv]


def main() -> int:
    if not RUNNER.exists():
        print(f"no conformance suite at {RUNNER}", file=sys.stderr)
        return 2
    argv = sys.argv[1:]
    integ = "--integ" in argv
    argv = [arg for arg in argv if arg != "--integ"]
    port, backend_port = free_port(), free_port()
    data = tempfile.mkdtemp(prefix="stepforge-conformance-")
    command = [sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port), "--data-dir", data]
    if integ:
        command += ["--config", str(integ_config(data, backend_port))]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        if not wait_for(port, server):
            print(f"stepforge did not start on port {port} (exit status {server.poll()})", file=sys.stderr)
            return 2
        args = [sys.executable, str(RUNNER), "--endpoint", f"http://127.0.0.1:{port}",
                *runner_args(argv, integ, backend_port)]
        return subprocess.call(args, env=os.environ)
    finally:
        stop(server)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
