"""A real ``stepforge serve`` process for tests: started on a free port, waited for until it accepts
connections, stopped with SIGTERM (and killed if it does not stop in time). The one copy of these
steps the suites share (the e2e server, the console's, the README walk and the servers of their
own that some tests start)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

STARTUP_SECONDS = 20.0
SHUTDOWN_SECONDS = 10.0
POLL_INTERVAL = 0.05


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def accepts_connections(port: int) -> bool:
    """Does something accept TCP connections on 127.0.0.1:``port``?"""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def stop(process: subprocess.Popen[bytes], timeout: float = SHUTDOWN_SECONDS) -> None:
    """SIGTERM, as an operator stops the server; SIGKILL if it has not exited within ``timeout``."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@contextmanager
def serve(args: Sequence[str], *, log: Path, port: int | None = None, cwd: Path | None = None,
          env: Mapping[str, str] | None = None, startup: float = STARTUP_SECONDS,
          shutdown: float = SHUTDOWN_SECONDS, what: str = "stepforge serve") -> Iterator[int]:
    """``stepforge serve --port PORT *args`` for the span of the block; yields PORT (a free one unless
    given) once the server accepts connections. Its stderr goes to the file ``log``; a server that
    exits, or accepts no connection within ``startup`` seconds, fails the test with its exit code and
    that stderr (``what`` names it there). Stopped with :func:`stop` when the block ends."""
    port = port or free_port()
    command = [sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port), *args]
    with open(log, "wb") as stderr:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + startup
        while not accepts_connections(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the {what} did not come up on port {port} (exit code {process.poll()}); "
                            f"stderr:\n{log.read_text(errors='replace')}", pytrace=False)
            time.sleep(POLL_INTERVAL)
        yield port
    finally:
        stop(process, shutdown)
