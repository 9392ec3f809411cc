"""Authentication at the edge: requests signed by botocore are verified by our SigV4 code; every
refusal (unsigned, wrong signature, unknown key, expired, wrong scope, rebinding Host, foreign
Origin, missing permission) comes back in AWS's error shape, before any handler runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.testclient import TestClient

from stepforge.api.auth import SignedRequest, canonical_request
from stepforge.api.credentials import READS, AuthConfig, AuthConfigError, parse_auth
from stepforge.api.hosts import host_name, is_loopback, served_hosts
from stepforge.server import build
from stepforge.store.memory import MemoryStore

URL = "http://127.0.0.1:8083"
KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
READER, READER_SECRET = "AKIDREADER", "reader-secret"
ROLE = "arn:aws:iam::000000000000:role/x"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
AUTH = AuthConfig(keys={KEY: SECRET, READER: READER_SECRET}, permissions={READER: READS}, hosts=("sfn.example.com",))


def _client(auth: AuthConfig) -> Iterator[TestClient]:
    app, engine = build(store=MemoryStore(), auth=auth, hosts=served_hosts("127.0.0.1", auth.hosts))
    try:
        with TestClient(app, base_url=URL) as client:
            yield client
    finally:
        engine.dispatcher.close()


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The application with two keys (one read-only), reached as ``127.0.0.1:8083``."""
    yield from _client(AUTH)


@pytest.fixture
def open_client() -> Iterator[TestClient]:
    """The application with no keys: open, as on loopback today, but Host and Origin still checked."""
    yield from _client(AuthConfig())


def signed(operation: str, params: dict[str, Any] | None = None, *, key: str = KEY, secret: str = SECRET,
           region: str = "us-east-1", service: str = "states", url: str = URL + "/") -> tuple[bytes, dict[str, str]]:
    """A body and the headers botocore signs it with, as boto3 sends them."""
    body = json.dumps(params or {}).encode()
    request = AWSRequest("POST", url, data=body, headers={"X-Amz-Target": f"AWSStepFunctions.{operation}",
                                                           "Content-Type": "application/x-amz-json-1.0"})
    SigV4Auth(Credentials(key, secret), service, region).add_auth(request)
    return body, dict(request.headers.items())


def call(client: TestClient, operation: str, params: dict[str, Any] | None = None, **signing: Any) -> Any:
    body, headers = signed(operation, params, **signing)
    return client.post("/", content=body, headers=headers)


def refused(response: Any, status: int, code: str, message: str = "") -> None:
    assert response.status_code == status, response.text
    assert response.json()["__type"].rpartition("#")[2] == code
    assert response.headers["x-amzn-errortype"] == code
    assert len(response.headers["x-amzn-requestid"]) == 36  # as every answer of the API
    assert message in response.json()["message"]


def test_a_request_signed_by_botocore_is_answered(client: TestClient) -> None:
    created = call(client, "CreateStateMachine", {"name": "m", "definition": PASS, "roleArn": ROLE})
    assert created.status_code == 200, created.text
    listed = call(client, "ListStateMachines")
    assert [m["name"] for m in listed.json()["stateMachines"]] == ["m"]


def test_the_region_comes_from_the_verified_credential_scope(client: TestClient) -> None:
    created = call(client, "CreateStateMachine", {"name": "m", "definition": PASS, "roleArn": ROLE},
                   region="eu-west-3")
    assert created.json()["stateMachineArn"].startswith("arn:aws:states:eu-west-3:")


def test_an_unsigned_request_is_refused(client: TestClient) -> None:
    response = client.post("/", content=b"{}", headers={"X-Amz-Target": "AWSStepFunctions.ListStateMachines"})
    refused(response, 403, "MissingAuthenticationTokenException", "Missing Authentication Token")


def test_a_garbage_authorization_header_is_refused(client: TestClient) -> None:
    response = client.post("/", content=b"{}", headers={"X-Amz-Target": "AWSStepFunctions.ListStateMachines",
                                                        "Authorization": "garbage"})
    refused(response, 400, "IncompleteSignatureException")


def test_a_wrong_secret_is_refused(client: TestClient) -> None:
    refused(call(client, "ListStateMachines", secret="not-the-secret"), 400, "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.")


def test_a_body_changed_after_signing_is_refused(client: TestClient) -> None:
    _, headers = signed("StartExecution", {"stateMachineArn": "a"})
    response = client.post("/", content=json.dumps({"stateMachineArn": "b"}).encode(), headers=headers)
    refused(response, 400, "InvalidSignatureException")


def test_an_unknown_key_is_refused(client: TestClient) -> None:
    refused(call(client, "ListStateMachines", key="AKIDNOBODY"), 400, "UnrecognizedClientException",
            "The security token included in the request is invalid.")


def test_a_session_token_with_a_long_term_key_is_refused(client: TestClient) -> None:
    body = json.dumps({}).encode()
    request = AWSRequest("POST", URL + "/", data=body, headers={"X-Amz-Target": "AWSStepFunctions.ListStateMachines",
                                                                "Content-Type": "application/x-amz-json-1.0"})
    SigV4Auth(Credentials(KEY, SECRET, token="FwoGZXIvYXdzEXAMPLE"), "states", "us-east-1").add_auth(request)
    assert "X-Amz-Security-Token" in request.headers  # signed with the rest
    refused(client.post("/", content=body, headers=dict(request.headers.items())), 400,
            "UnrecognizedClientException", "The security token included in the request is invalid.")


def test_an_expired_signature_is_refused(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: datetime.now(UTC) - timedelta(minutes=6))
    response = call(client, "ListStateMachines")
    refused(response, 400, "InvalidSignatureException", "Signature expired: ")
    assert response.json()["message"].endswith(" - 5 min.)")


def test_a_signature_from_the_future_is_refused(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: datetime.now(UTC) + timedelta(minutes=6))
    refused(call(client, "ListStateMachines"), 400, "InvalidSignatureException", "Signature not yet current: ")


def test_a_replay_within_the_window_is_accepted_as_aws_does(client: TestClient) -> None:
    body, headers = signed("ListStateMachines")
    assert [client.post("/", content=body, headers=headers).status_code for _ in range(2)] == [200, 200]


def test_a_scope_naming_another_region_than_the_signature_is_refused(client: TestClient) -> None:
    body, headers = signed("ListStateMachines", region="us-east-1")
    headers["Authorization"] = headers["Authorization"].replace("/us-east-1/", "/eu-west-1/")
    refused(client.post("/", content=body, headers=headers), 400, "InvalidSignatureException")


def test_a_scope_with_an_invalid_region_or_service_is_refused(client: TestClient) -> None:
    refused(call(client, "ListStateMachines", region="moon"), 400, "InvalidSignatureException",
            "Credential should be scoped to a valid region.")
    refused(call(client, "ListStateMachines", service="lambda"), 400, "InvalidSignatureException",
            "Credential should be scoped to correct service: 'states'.")


def test_configured_regions_are_the_only_ones_accepted() -> None:
    auth = AuthConfig(keys={KEY: SECRET}, regions=frozenset({"eu-west-1"}))
    for client in _client(auth):
        assert call(client, "ListStateMachines", region="eu-west-1").status_code == 200
        refused(call(client, "ListStateMachines", region="us-east-1"), 400, "InvalidSignatureException")


def test_a_read_only_key_reads_but_cannot_write(client: TestClient) -> None:
    assert call(client, "ListStateMachines", key=READER, secret=READER_SECRET).status_code == 200
    response = call(client, "CreateStateMachine", {"name": "m", "definition": PASS, "roleArn": ROLE},
                    key=READER, secret=READER_SECRET)
    refused(response, 400, "AccessDeniedException", "is not authorized to perform: states:CreateStateMachine")


def test_a_rebinding_host_is_refused_even_without_keys(open_client: TestClient) -> None:
    response = open_client.post("/", content=b"{}", headers={"X-Amz-Target": "AWSStepFunctions.ListStateMachines",
                                                             "Host": "attacker.example:8083"})
    refused(response, 403, "AccessDeniedException", "Host 'attacker.example:8083' is not served here")
    assert open_client.get("/console", headers={"Host": "attacker.example"}).status_code == 403
    assert open_client.get("/console", headers={"Host": "states.us-east-1.amazonaws.com.evil"}).status_code == 403


def test_loopback_sync_prefixed_and_configured_hosts_are_served(client: TestClient) -> None:
    for host in ("localhost:8083", "sync-127.0.0.1:8083", "[::1]:8083", "sfn.example.com", "SYNC-sfn.example.com",
                 "sync-states.us-east-1.amazonaws.com", "states.eu-west-3.amazonaws.com"):
        url = f"http://{host}/"
        body, headers = signed("ListStateMachines", url=url)
        assert client.post(url, content=body, headers=headers).status_code == 200, host


def test_a_write_from_a_foreign_origin_is_refused(open_client: TestClient) -> None:
    headers = {"X-Amz-Target": "AWSStepFunctions.ListStateMachines", "Origin": "http://attacker.example"}
    refused(open_client.post("/", content=b"{}", headers=headers), 403, "AccessDeniedException", "Cross-origin")
    response = open_client.post("/console/api/validate", json={"definition": PASS},
                                headers={"Origin": "null"})
    refused(response, 403, "AccessDeniedException", "Cross-origin")


def test_a_same_origin_write_is_accepted(open_client: TestClient) -> None:
    response = open_client.post("/console/api/validate", json={"definition": PASS}, headers={"Origin": URL})
    assert response.status_code == 200, response.text


def test_without_keys_the_api_stays_open(open_client: TestClient) -> None:
    response = open_client.post("/", content=b"{}", headers={"X-Amz-Target": "AWSStepFunctions.ListStateMachines"})
    assert response.status_code == 200


def test_with_keys_the_console_json_api_needs_a_signature(client: TestClient) -> None:
    refused(client.get("/console/api/tasks"), 403, "MissingAuthenticationTokenException",
            "the console's JSON API answers only SigV4-signed requests. Add [auth.users]")
    refused(client.post("/console/api/validate", json={"definition": PASS}), 403,
            "MissingAuthenticationTokenException")
    request = AWSRequest("GET", URL + "/console/api/machines?limit=5")
    SigV4Auth(Credentials(KEY, SECRET), "states", "us-east-1").add_auth(request)
    assert client.get("/console/api/machines?limit=5", headers=dict(request.headers.items())).status_code == 200
    assert client.get("/console").status_code == 200  # the page shell itself is not an API


def test_the_canonical_request_is_botocores() -> None:
    request = AWSRequest("POST", "http://h:1/a%20b/c?z=1&a=x%2Fy&a=b", data=b"{}",
                         headers={"X-Amz-Date": "20260101T000000Z", "X-Amz-Target": "  T   x  "})
    signer = SigV4Auth(Credentials(KEY, SECRET), "states", "us-east-1")
    request.context["timestamp"] = "20260101T000000Z"
    expected = signer.canonical_request(request)
    ours = SignedRequest("POST", "/a%20b/c", "z=1&a=x%2Fy&a=b",
                         [("host", "h:1"), ("x-amz-date", "20260101T000000Z"), ("x-amz-target", "  T   x  ")], b"{}")
    assert canonical_request(ours, ["host", "x-amz-date", "x-amz-target"]) == expected


@pytest.mark.parametrize(("header", "name"), [("127.0.0.1:8083", "127.0.0.1"), ("[::1]:80", "[::1]"),
                                              ("Example.COM.", "example.com"), ("h:port", None), ("", None)])
def test_host_names(header: str, name: str | None) -> None:
    assert host_name(header) == name


def test_served_hosts_leave_out_wildcard_addresses() -> None:
    assert "0.0.0.0" not in served_hosts("0.0.0.0")
    assert {"10.0.0.5", "sync-10.0.0.5"} <= served_hosts("10.0.0.5")
    assert "[fd00::1]" in served_hosts("fd00::1")
    assert is_loopback("127.0.0.2") and is_loopback("::1") and not is_loopback("0.0.0.0")


def test_the_auth_section_is_parsed_and_checked() -> None:
    auth = parse_auth({"keys": {"A": "s", "B": "t"}, "permissions": {"A": "read-only", "B": ["StartExecution"]},
                       "hosts": ["SFN.example.com"]})
    assert auth.allows("A", "DescribeExecution") and not auth.allows("A", "StartExecution")
    assert not auth.allows("A", "TestState")  # TestState may run an HTTP Task
    assert auth.allows("B", "StartExecution") and not auth.allows("B", "ListExecutions")
    assert auth.hosts == ("sfn.example.com",)
    with pytest.raises(AuthConfigError, match="unknown operations: StartExecutions"):
        parse_auth({"keys": {"A": "s"}, "permissions": {"A": ["StartExecutions"]}})
    with pytest.raises(AuthConfigError, match="not in \\[auth.keys\\]: C"):
        parse_auth({"keys": {"A": "s"}, "permissions": {"C": "read-only"}})
    with pytest.raises(AuthConfigError, match="non-empty secret"):
        parse_auth({"keys": {"A": ""}})


def test_a_body_past_the_limit_is_refused_before_verification(client: TestClient) -> None:
    _, headers = signed("ListStateMachines")
    response = client.post("/", content=b" " * (4 * 1024 * 1024 + 1), headers=headers)
    refused(response, 400, "ValidationException", "Request body is larger than")
