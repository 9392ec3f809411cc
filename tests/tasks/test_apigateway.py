"""``apigateway:invoke`` against a local HTTP server: the URL, headers and body AWS's parameters make,
the result's shape, ``ApiGateway.<status>`` errors, Signature Version 4 and the network guard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from local_http import Handler, serving

from stepforge.tasks.aws import apigateway
from stepforge.tasks.config import HttpSettings, TaskConfig
from stepforge.testing import Harness, Result

INVOKE = "arn:aws:states:::apigateway:invoke"


class Api(Handler):
    """An API stage ``prod``: ``/prod/bills`` answers JSON, ``/prod/text`` text, anything else 403."""

    seen: list[dict[str, Any]]

    def answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.seen.append({"method": self.command, "path": self.path, "body": body,
                          "headers": [(k.lower(), v) for k, v in self.headers.items()]})
        if self.path.startswith("/prod/bills"):
            self._send(200, b'{"myBills":[]}', "application/json", [("X-Custom", "a"), ("X-Custom", "b")])
        elif self.path.startswith("/prod/text"):
            self._send(201, b"made", "text/plain", [])
        else:
            self._send(403, b'{"message":"Missing Authentication Token"}', "application/json", [])

    def _send(self, status: int, body: bytes, content_type: str, extra: list[tuple[str, str]]) -> None:
        self.reply(status, body, [("Content-Type", content_type), *extra])


@pytest.fixture
def seen() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def api(seen: list[dict[str, Any]]) -> Iterator[str]:
    with serving(Api, seen=seen) as address:
        yield address


def invoke(api: str, resource: str = INVOKE, allow: bool = True, **params: Any) -> Result:
    harness = Harness(tasks=TaskConfig(inline=True, http=HttpSettings(allow=[api] if allow else [])))
    state = {"Type": "Task", "Resource": resource, "Parameters": {"ApiEndpoint": f"http://{api}", **params},
             "End": True}
    return harness.run({"StartAt": "Call", "States": {"Call": state}})


def test_a_call_is_made_to_stage_and_path_with_its_query_headers_and_body(api: str, seen: list[Any]) -> None:
    result = invoke(api, Method="POST", Stage="prod", Path="bills/add",
                    QueryParameters={"billId": ["123", "456"], "kind": ["x"]},
                    Headers={"key": ["value1", "value2"]}, RequestBody={"billId": "my-new-bill", "note": None})
    assert result.status == "SUCCEEDED", result.cause
    request = seen[0]
    assert (request["method"], request["path"]) == ("POST", "/prod/bills/add?billId=123&billId=456&kind=x")
    assert [v for k, v in request["headers"] if k == "key"] == ["value1", "value2"]
    assert ("content-type", "application/json") in request["headers"]
    assert json.loads(request["body"]) == {"billId": "my-new-bill"}     # nulls left out by default


def test_allow_null_values_sends_null_members(api: str, seen: list[Any]) -> None:
    invoke(api, Method="POST", Stage="prod", Path="bills", RequestBody={"note": None}, AllowNullValues=True)
    assert json.loads(seen[0]["body"]) == {"note": None}


def test_the_result_has_the_response_body_parsed_headers_as_lists_and_the_status(api: str) -> None:
    result = invoke(api, Method="GET", Stage="prod", Path="bills")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["ResponseBody"] == {"myBills": []}
    assert (result.output["StatusCode"], result.output["StatusText"]) == (200, "OK")
    assert result.output["Headers"]["X-Custom"] == ["a", "b"]
    assert result.output["Headers"]["Content-Type"] == ["application/json"]


def test_a_text_body_stays_text(api: str) -> None:
    result = invoke(api, Method="POST", Stage="prod", Path="text", RequestBody="plain words")
    assert (result.output["ResponseBody"], result.output["StatusCode"], result.output["StatusText"]) == (
        "made", 201, "Created")


def test_a_status_outside_2xx_fails_with_api_gateway_and_the_status(api: str) -> None:
    result = invoke(api, Method="DELETE", Stage="prod", Path="nothing")
    assert (result.status, result.error, result.cause) == (
        "FAILED", "ApiGateway.403", '{"message":"Missing Authentication Token"}')


def test_the_error_is_catchable() -> None:
    harness = Harness(tasks=TaskConfig(inline=True))
    result = harness.run({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": INVOKE, "Parameters": {"ApiEndpoint": "http://127.0.0.1:9",
                                                                    "Method": "GET"},
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True}}})
    assert result.status == "SUCCEEDED"


@pytest.mark.parametrize("auth", ["IAM_ROLE", "RESOURCE_POLICY"])
def test_iam_role_and_resource_policy_calls_are_signed_for_execute_api(api: str, seen: list[Any], auth: str) -> None:
    result = invoke(api, Method="GET", Stage="prod", Path="bills", AuthType=auth)
    assert result.status == "SUCCEEDED", result.cause
    authorization = dict(seen[0]["headers"])["authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=stepforge/")
    assert "/us-east-1/execute-api/aws4_request" in authorization
    assert "x-amz-date" in dict(seen[0]["headers"])


def test_no_auth_sends_no_signature(api: str, seen: list[Any]) -> None:
    invoke(api, Method="GET", Stage="prod", Path="bills")
    assert "authorization" not in dict(seen[0]["headers"])


@pytest.mark.parametrize("header", ["Authorization", "Host", "X-Amz-Date", "X-Forwarded-For", "Transfer-Encoding"])
def test_headers_aws_does_not_allow_fail_the_task(api: str, seen: list[Any], header: str) -> None:
    result = invoke(api, Method="GET", Stage="prod", Path="bills", Headers={header: ["x"]})
    assert (result.error, result.cause) == ("States.Runtime", f"The 'Headers' field contains unsupported values: {header}")
    assert seen == []


@pytest.mark.parametrize(("params", "field"), [({"Method": "FETCH"}, "Method"), ({"Method": "GET", "AuthType": "KEY"},
                                                                                   "AuthType")])
def test_invalid_parameters_fail_with_states_runtime(api: str, params: dict[str, Any], field: str) -> None:
    result = invoke(api, **params)
    assert result.error == "States.Runtime" and f"'{field}'" in result.cause


def test_the_network_guard_refuses_targets_not_allow_listed(api: str, seen: list[Any]) -> None:
    result = invoke(api, allow=False, Method="GET", Stage="prod", Path="bills")
    assert result.error == "ApiGateway.Refused" and "[http] allow" in result.cause
    assert seen == []


def test_wait_for_task_token_sends_the_token_and_waits_for_it(api: str, seen: list[Any]) -> None:
    harness = Harness(tasks=TaskConfig(inline=True, http=HttpSettings(allow=[api])))
    state = {"Type": "Task", "Resource": INVOKE + ".waitForTaskToken", "End": True, "Parameters": {
        "ApiEndpoint": f"http://{api}", "Method": "POST", "Stage": "prod", "Path": "bills",
        "Headers": {"TaskToken.$": "States.Array($$.Task.Token)"}}}
    execution = harness.start({"StartAt": "Call", "States": {"Call": state}})
    harness.settle()
    assert harness.result(execution).status == "RUNNING"
    token = dict(seen[0]["headers"])["tasktoken"]
    harness.succeed(token, {"paid": True})
    assert harness.result(execution).output == {"paid": True}


@pytest.mark.parametrize(("params", "address"), [
    ({"Stage": "prod", "Path": "/bills/"}, "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/bills"),
    ({"Stage": "$default", "Path": "bills"}, "https://abc123.execute-api.eu-west-1.amazonaws.com/bills"),
    ({"QueryParameters": {"q": "one"}}, "https://abc123.execute-api.eu-west-1.amazonaws.com?q=one")])
def test_the_url_is_built_from_the_host_stage_and_path(params: dict[str, Any], address: str) -> None:
    assert apigateway.url({"ApiEndpoint": "abc123.execute-api.eu-west-1.amazonaws.com", **params}) == address
