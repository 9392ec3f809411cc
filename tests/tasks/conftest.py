"""AWS-compatible backends for the integration tests: a real moto server, and a small Lambda API.

moto cannot run Lambda functions without Docker, so :class:`LambdaApi` answers Lambda's Invoke
route itself, as Lambda does (``X-Amz-Function-Error``, ``X-Amz-Log-Result``, 404 for a missing
function), with handlers given by the test.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto server in this process (SQS, SNS, DynamoDB, S3, EventBridge, ...), up for the session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(moto_url: str) -> Callable[[str], Any]:
    """``aws("sqs")``: a boto3 client of the moto server, to set up and inspect resources."""
    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=moto_url, region_name=REGION, aws_access_key_id="t",
                            aws_secret_access_key="t")
    return client


Handler = Callable[[Any], Any]


class LambdaApi:
    """Lambda's Invoke route on 127.0.0.1: a handler's exception is an ``Unhandled`` function error."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.requests: list[dict[str, Any]] = []
        api = self

        class Route(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                api.answer(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Route)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        ref = urllib.parse.unquote(request.path.split("/functions/", 1)[1].split("/", 1)[0])
        name = ref.rsplit(":function:", 1)[-1].split(":")[0]
        self.requests.append({"name": name, "body": body, "headers": dict(request.headers)})
        request_id = str(uuid.uuid4())
        handler = self.handlers.get(name)
        if handler is None:
            message = f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
            return self.reply(request, 404, json.dumps({"Type": "User", "message": message}).encode(),
                              {"x-amzn-ErrorType": "ResourceNotFoundException", "x-amzn-RequestId": request_id})
        headers = {"X-Amz-Executed-Version": "$LATEST", "x-amzn-RequestId": request_id}
        if request.headers.get("X-Amz-Log-Type") == "Tail":
            headers["X-Amz-Log-Result"] = base64.b64encode(f"START RequestId: {request_id}\n".encode()).decode()
        try:
            result = handler(json.loads(body) if body.strip() else {})
        except Exception as exc:  # noqa: BLE001 - the handler's error is the function's error
            error = {"errorMessage": str(exc), "errorType": type(exc).__name__, "requestId": request_id,
                     "stackTrace": []}
            return self.reply(request, 200, json.dumps(error).encode(), {**headers, "X-Amz-Function-Error": "Unhandled"})
        payload = result if isinstance(result, bytes) else json.dumps(result).encode()
        self.reply(request, 200, payload, headers)

    @staticmethod
    def reply(request: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
        request.send_response(status)
        for key, value in {"Content-Type": "application/json", **headers}.items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def lambda_api() -> Iterator[LambdaApi]:
    api = LambdaApi()
    try:
        yield api
    finally:
        api.close()
