"""The HTTP Task against a local server: request shaping, connections bound to their hosts, status
errors, the SSRF guard (one resolution, global addresses only) and the response cap."""

from __future__ import annotations

import datetime
import gzip
import json
import socket
import ssl
import threading
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from stepforge.tasks.config import HttpSettings, TaskConfig
from stepforge.tasks.targets import is_public
from stepforge.testing import Harness, Result

HTTP = "arn:aws:states:::http:invoke"
CONNECTION = "arn:aws:events:us-east-1:000000000000:connection/orders/abc"
CHUNK = b"x" * 65536
BIG = 50 * 1024 * 1024
BOMB = gzip.compress(bytes(BIG), compresslevel=9)     # about 50 KB on the wire


@dataclass
class Seen:
    """What the local server saw: one dict per request, and how many bytes of /big it managed to send."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    sent: int = 0
    big_done: threading.Event = field(default_factory=threading.Event)
    trickled: int = 0
    trickle_done: threading.Event = field(default_factory=threading.Event)


class Echo(BaseHTTPRequestHandler):
    seen: Seen

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.seen.requests.append({"path": self.path, "host": self.headers.get("host"),
                                   "key": self.headers.get("x-api-key")})
        if self.path.startswith("/big"):
            return self._stream(declared="declared" in self.path)
        if self.path.startswith("/trickle"):
            return self._trickle()
        if self.path.startswith("/gzip"):
            return self._gzip(BOMB if "bomb" in self.path else gzip.compress(b'{"small": true}'))
        status = 404 if "missing" in self.path else 200
        payload = json.dumps({"path": self.path, "method": self.command, "body": body, "host": self.headers.get("host"),
                              "key": self.headers.get("x-api-key"), "ctype": self.headers.get("content-type")})
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode())

    def _stream(self, declared: bool) -> None:
        """50 MB from one reused chunk (a generator response: the server itself allocates nothing)."""
        self.send_response(200)
        if declared:
            self.send_header("content-length", str(BIG))
        self.end_headers()
        try:
            while self.seen.sent < BIG:
                self.wfile.write(CHUNK)
                self.seen.sent += len(CHUNK)
        except OSError:
            pass
        finally:
            self.seen.big_done.set()

    def _trickle(self) -> None:
        """One byte every 50 ms, 400 of them: each read is quick, the whole answer takes 20 s."""
        self.send_response(200)
        self.send_header("content-length", "400")
        self.end_headers()
        try:
            for _ in range(400):
                self.wfile.write(b"x")
                self.wfile.flush()
                self.seen.trickled += 1
                time.sleep(0.05)
        except OSError:
            pass
        finally:
            self.seen.trickle_done.set()

    def _gzip(self, payload: bytes) -> None:
        self.send_response(200)
        self.send_header("content-encoding", "gzip")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def server(seen: Seen) -> Iterator[str]:
    handler = type("Handler", (Echo,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def harness(allow: list[str], hosts: list[str] | None = None, limit: int = 256 * 1024,
            query: dict[str, str] | None = None, timeout: float = 60.0) -> Harness:
    connection: dict[str, Any] = {"api_key": {"name": "x-api-key", "value": "s3"}, "query": query or {}}
    if hosts is not None:
        connection["hosts"] = hosts
    settings = HttpSettings(allow=allow, connections={"orders": connection}, response_limit=limit, timeout=timeout)
    return Harness(tasks=TaskConfig(inline=True, http=settings))


def call(h: Harness, **params: Any) -> Result:
    return h.run({"StartAt": "H", "States": {"H": {"Type": "Task", "Resource": HTTP, "Parameters": params,
                                                  "End": True}}})


def resolve_as(monkeypatch: pytest.MonkeyPatch, name: str, *answers: list[str]) -> list[str]:
    """Make ``name`` resolve to ``answers[0]``, then ``answers[1]`` on the next lookup, ...; other names
    resolve as usual. Returns the log of lookups of ``name``."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != name:
            return real(host, port, *args, **kwargs)
        addresses = answers[min(len(lookups), len(answers) - 1)]
        lookups.append(name)
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                 (a, int(port or 0))) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return lookups


def test_a_get_with_query_and_an_api_key_connection(server: str) -> None:
    result = call(harness([server], hosts=[server]), ApiEndpoint=f"http://{server}/orders", Method="GET",
                  QueryParameters={"id": 7}, Authentication={"ConnectionArn": CONNECTION})
    assert result.status == "SUCCEEDED"
    body = result.output["ResponseBody"]
    assert (body["path"], body["key"], result.output["StatusCode"]) == ("/orders?id=7", "s3", 200)
    assert result.output["Headers"]["content-type"] == ["application/json"]
    assert result.details("TaskScheduled")[0]["resourceType"] == "http"


def test_the_endpoints_query_string_is_kept_and_query_parameters_follow_it(server: str) -> None:
    result = call(harness([server]), ApiEndpoint=f"http://{server}/orders?a=1&b=x%20y", Method="GET",
                  QueryParameters={"c": 2})
    assert result.output["ResponseBody"]["path"] == "/orders?a=1&b=x%20y&c=2"


def test_a_connections_query_parameters_take_precedence_over_the_tasks(server: str) -> None:
    result = call(harness([server], hosts=[server], query={"tenant": "acme"}),
                  ApiEndpoint=f"http://{server}/orders?tenant=evil&a=1", QueryParameters={"tenant": "evil2"},
                  Authentication={"ConnectionArn": CONNECTION})
    assert result.output["ResponseBody"]["path"] == "/orders?a=1&tenant=acme"


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


def test_loopback_targets_are_refused_unless_allow_listed(server: str, seen: Seen) -> None:
    result = call(harness([]), ApiEndpoint=f"http://{server}/orders", Method="GET")
    assert result.error == "States.Http.Socket"
    assert "[http] allow" in result.cause
    assert seen.requests == []


def test_a_connection_that_fails_is_a_socket_error() -> None:
    result = call(harness(["127.0.0.1:9"]), ApiEndpoint="http://127.0.0.1:9/", Method="GET")
    assert result.error == "States.Http.Socket"


NOT_PUBLIC = ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
              "100.64.0.1", "100.127.255.254", "100.100.100.200", "192.0.0.8", "192.0.0.170", "224.0.0.1",
              "239.255.255.250", "255.255.255.255", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1",
              "ff02::1", "ff0e::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::1",
              "2002:808:808::1", "2001:0:4136:e378::1", "64:ff9b::7f00:1"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_a_name_resolving_to_a_non_public_address_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                             address: str) -> None:
    resolve_as(monkeypatch, "api.example.com", [address])
    result = call(harness([]), ApiEndpoint="http://api.example.com/", Method="GET")
    assert (result.error, f"{address} is not a public address" in result.cause) == ("States.Http.Socket", True)


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2001:4860:4860::8888", "64:ff9b::808:808"])
def test_global_unicast_addresses_are_public(address: str) -> None:
    assert is_public(address)


def test_one_loopback_address_among_public_ones_refuses_the_name(monkeypatch: pytest.MonkeyPatch) -> None:
    resolve_as(monkeypatch, "api.example.com", ["93.184.216.34", "127.0.0.1"])
    result = call(harness([]), ApiEndpoint="http://api.example.com/", Method="GET")
    assert result.error == "States.Http.Socket"
    assert "127.0.0.1 is not a public address" in result.cause


def test_a_rebinding_name_is_resolved_once_and_the_checked_address_is_dialled(
        monkeypatch: pytest.MonkeyPatch, server: str, seen: Seen) -> None:
    port = int(server.rsplit(":", 1)[1])
    lookups = resolve_as(monkeypatch, "rebind.example.com", ["93.184.216.34"], ["127.0.0.1"])
    dialled: list[Any] = []

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        dialled.append(address)
        raise ConnectionRefusedError("not in tests")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    result = call(harness([]), ApiEndpoint=f"http://rebind.example.com:{port}/", Method="GET")
    assert result.error == "States.Http.Socket"
    assert (lookups, dialled, seen.requests) == (["rebind.example.com"], [("93.184.216.34", port)], [])


def test_an_allow_listed_name_is_pinned_and_keeps_its_host_header(
        monkeypatch: pytest.MonkeyPatch, server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    lookups = resolve_as(monkeypatch, "svc.internal", ["127.0.0.1"], ["10.9.9.9"])
    result = call(harness([f"svc.internal:{port}"]), ApiEndpoint=f"http://svc.internal:{port}/x", Method="GET")
    assert result.status == "SUCCEEDED"
    assert result.output["ResponseBody"]["host"] == f"svc.internal:{port}"
    assert lookups == ["svc.internal"]


def test_a_host_header_in_the_task_cannot_replace_the_endpoints(server: str) -> None:
    result = call(harness([server]), ApiEndpoint=f"http://{server}/", Headers={"host": "admin.internal"})
    assert result.output["ResponseBody"]["host"] == server


def test_a_connection_is_not_sent_to_a_host_it_does_not_list(server: str, seen: Seen) -> None:
    result = call(harness([server], hosts=["api.example.com"]), ApiEndpoint=f"http://{server}/steal",
                  Authentication={"ConnectionArn": CONNECTION})
    assert result.error == "States.Runtime"
    assert "hosts = [...]" in result.cause
    assert seen.requests == []


def test_a_connection_without_hosts_is_sent_nowhere(server: str, seen: Seen) -> None:
    result = call(harness([server]), ApiEndpoint=f"http://{server}/steal",
                  Authentication={"ConnectionArn": CONNECTION})
    assert result.error == "States.Runtime"
    assert seen.requests == []


def test_a_streamed_50_mb_response_fails_after_the_cap_without_being_held(server: str, seen: Seen) -> None:
    h = harness([server])
    call(h, ApiEndpoint=f"http://{server}/warm-up", Method="GET")     # imports and caches before measuring
    tracemalloc.start()
    try:
        result = call(h, ApiEndpoint=f"http://{server}/big", Method="GET")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen.big_done.wait(10)
    assert result.error == "States.DataLimitExceeded"
    assert "262144-byte limit" in result.cause
    assert seen.sent < 16 * 1024 * 1024        # the cap, plus what loopback's socket buffers took
    assert peak < 4 * 1024 * 1024


def test_a_response_trickled_a_byte_at_a_time_is_cut_off_at_the_total_time_limit(server: str, seen: Seen) -> None:
    result = call(harness([server], timeout=1.0), ApiEndpoint=f"http://{server}/trickle", Method="GET")
    assert result.error == "States.Http.Socket"
    assert "did not complete within its time limit" in result.cause
    assert seen.trickle_done.wait(10)
    assert seen.trickled < 400  # the connection was closed before the server finished


def test_a_declared_length_over_the_cap_fails_before_the_body_is_read(server: str) -> None:
    result = call(harness([server], limit=1000), ApiEndpoint=f"http://{server}/big-declared", Method="GET")
    assert result.error == "States.DataLimitExceeded"
    assert f"{BIG} bytes" in result.cause


def test_a_body_within_the_cap_is_whole(server: str) -> None:
    result = call(harness([server], limit=1000), ApiEndpoint=f"http://{server}/small", Method="GET")
    assert result.output["ResponseBody"]["path"] == "/small"


def test_a_gzip_body_is_inflated(server: str) -> None:
    result = call(harness([server]), ApiEndpoint=f"http://{server}/gzip", Method="GET")
    assert result.output["ResponseBody"] == {"small": True}


def test_a_gzip_bomb_stops_inflating_at_the_cap(server: str) -> None:
    h = harness([server])
    call(h, ApiEndpoint=f"http://{server}/gzip", Method="GET")
    tracemalloc.start()
    try:
        result = call(h, ApiEndpoint=f"http://{server}/gzip-bomb", Method="GET")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(BOMB) < 256 * 1024 and result.error == "States.DataLimitExceeded"
    assert peak < 4 * 1024 * 1024


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A throw-away certificate for ``name`` that no trust store knows."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_to_a_pinned_address_sends_the_name_as_sni_and_still_verifies(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seen: Seen) -> None:
    names: list[str | None] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*self_signed(tmp_path, "api.test"))
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (Echo,), {"seen": seen}))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    try:
        resolve_as(monkeypatch, "api.test", ["127.0.0.1"])
        result = call(harness([f"api.test:{port}"]), ApiEndpoint=f"https://api.test:{port}/", Method="GET")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert names == ["api.test"]
    assert result.error == "States.Http.Socket"
    assert "CERTIFICATE_VERIFY_FAILED" in result.cause
    assert seen.requests == []
