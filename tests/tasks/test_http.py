"""The HTTP Task against a local server: request shaping, connections, status errors, the SSRF guard."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from stepforge.tasks.config import HttpSettings, TaskConfig
from stepforge.testing import Harness

HTTP = "arn:aws:states:::http:invoke"
CONNECTION = "arn:aws:events:us-east-1:000000000000:connection/orders/abc"


class Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        status = 404 if "missing" in self.path else 200
        payload = json.dumps({"path": self.path, "method": self.command, "body": body,
                              "key": self.headers.get("x-api-key"), "ctype": self.headers.get("content-type")})
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def harness(allow: list[str]) -> Harness:
    settings = HttpSettings(allow=allow, connections={"orders": {"api_key": {"name": "x-api-key", "value": "s3"}}})
    return Harness(tasks=TaskConfig(inline=True, http=settings))


def call(h: Harness, **params: Any) -> Any:
    return h.run({"StartAt": "H", "States": {"H": {"Type": "Task", "Resource": HTTP, "Parameters": params,
                                                  "End": True}}})


def test_a_get_with_query_and_an_api_key_connection(server: str) -> None:
    result = call(harness([server]), ApiEndpoint=f"http://{server}/orders", Method="GET",
                  QueryParameters={"id": 7}, Authentication={"ConnectionArn": CONNECTION})
    assert result.status == "SUCCEEDED"
    body = result.output["ResponseBody"]
    assert (body["path"], body["key"], result.output["StatusCode"]) == ("/orders?id=7", "s3", 200)
    assert result.output["Headers"]["content-type"] == ["application/json"]
    assert result.details("TaskScheduled")[0]["resourceType"] == "http"


def test_a_url_encoded_body(server: str) -> None:
    result = call(harness([server]), ApiEndpoint=f"http://{server}/form", Method="POST",
                  RequestBody={"a": [1, 2], "b": "x"}, Transform={"RequestBodyEncoding": "URL_ENCODED"})
    body = result.output["ResponseBody"]
    assert body["body"] == "a%5B0%5D=1&a%5B1%5D=2&b=x"
    assert body["ctype"] == "application/x-www-form-urlencoded"


def test_a_status_outside_2xx_is_a_status_code_error(server: str) -> None:
    result = call(harness([server]), ApiEndpoint=f"http://{server}/missing", Method="GET")
    assert result.error == "States.Http.StatusCode.404"
    assert json.loads(result.cause)["StatusCode"] == 404


def test_loopback_targets_are_refused_unless_allow_listed(server: str) -> None:
    result = call(harness([]), ApiEndpoint=f"http://{server}/orders", Method="GET")
    assert result.error == "States.Http.Socket"
    assert "[http] allow" in result.cause


def test_a_connection_that_fails_is_a_socket_error() -> None:
    result = call(harness(["127.0.0.1:9"]), ApiEndpoint="http://127.0.0.1:9/", Method="GET")
    assert result.error == "States.Http.Socket"
