"""A local HTTP server standing in for a service a task calls (an API stage, a Kubernetes API, a model)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Handler(BaseHTTPRequestHandler):
    """A quiet handler whose GET, POST and DELETE requests all go to :meth:`answer`."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.answer()

    def do_POST(self) -> None:
        self.answer()

    def do_DELETE(self) -> None:
        self.answer()

    def answer(self) -> None:
        raise NotImplementedError

    def reply(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        """Answer ``status`` with ``body`` and ``headers`` (a name may repeat), its length counted."""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], **attributes: Any) -> Iterator[str]:
    """Serve a subclass of ``handler`` with ``attributes`` as class attributes on a thread; yields its
    ``127.0.0.1:PORT``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("Serving", (handler,), attributes))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
