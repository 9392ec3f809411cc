"""The console's HTTP side in-process: pages and their headers, JSON endpoints, the SSE stream."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from starlette.testclient import TestClient

from stepforge.service import console_queries

ROLE = "arn:aws:iam::000000000000:role/x"


def call(client: TestClient, operation: str, **params: Any) -> Any:
    response = client.post("/", headers={"X-Amz-Target": f"AWSStepFunctions.{operation}"}, content=json.dumps(params))
    assert response.status_code == 200, response.text
    return response.json()


def machine(client: TestClient, name: str, states: dict[str, Any], start: str) -> str:
    definition = json.dumps({"StartAt": start, "States": states})
    return str(call(client, "CreateStateMachine", name=name, definition=definition, roleArn=ROLE)["stateMachineArn"])


@pytest.mark.parametrize("path", ["/", "/console/execution", "/console/editor"])
def test_pages_are_the_shell_with_a_strict_csp(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert '<main id="app">' in response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp


def test_static_files_and_the_vendored_layout_library(client: TestClient) -> None:
    assert client.get("/console/static/js/app.js").headers["content-type"].startswith("text/javascript")
    assert "export" in client.get("/console/static/vendor/dagre.esm.js").text
    assert client.get("/console/static/vendor/LICENSE.dagre").status_code == 200


def test_the_api_still_answers_on_post(client: TestClient) -> None:
    assert call(client, "ListStateMachines") == {"stateMachines": []}


def test_validate_gives_line_column_and_path(client: TestClient) -> None:
    text = '{\n  "StartAt": "A",\n  "States": {\n    "A": {"Type": "Pass", "Next": "B"}\n  }\n}'
    report = client.post("/console/api/validate", json={"definition": text}).json()
    assert report["result"] == "FAIL"
    [found] = [d for d in report["diagnostics"] if d["location"] == "/States/A/Next"]
    assert found["line"] == 4 and found["column"] > 1
    assert client.post("/console/api/validate", json={"nope": 1}).status_code == 400


def test_machines_search_and_execution_filters(client: TestClient) -> None:
    arn = machine(client, "orders", {"P": {"Type": "Pass", "End": True}}, "P")
    machine(client, "billing", {"P": {"Type": "Pass", "End": True}}, "P")
    assert [m["name"] for m in client.get("/console/api/machines", params={"q": "ORD"}).json()["stateMachines"]] \
        == ["orders"]
    for name in ("first", "second", "third"):
        call(client, "StartExecution", stateMachineArn=arn, name=name)
    page = client.get("/console/api/executions", params={"machine": arn, "limit": 2}).json()
    assert set(page) == {"executions", "next"} and len(page["executions"]) == 2
    rest = client.get("/console/api/executions", params={"machine": arn, "limit": 2, "next": page["next"]}).json()
    assert len(rest["executions"]) == 1 and rest["next"] is None
    assert [e["name"] for e in page["executions"] + rest["executions"]] == ["third", "second", "first"]
    assert [e["name"] for e in client.get("/console/api/executions", params={"q": "sec"}).json()["executions"]] \
        == ["second"]
    assert client.get("/console/api/executions", params={"from": "9999999999"}).json() == {"executions": [],
                                                                                            "next": None}


def test_machines_page_with_tokens(client: TestClient) -> None:
    for name in ("a-machine", "b-machine", "c-machine"):
        machine(client, name, {"P": {"Type": "Pass", "End": True}}, "P")
    first = client.get("/console/api/machines", params={"limit": 2}).json()
    rest = client.get("/console/api/machines", params={"limit": 2, "next": first["next"]}).json()
    assert [m["name"] for m in first["stateMachines"] + rest["stateMachines"]] == ["a-machine", "b-machine",
                                                                                   "c-machine"]
    assert rest["next"] is None


def test_a_bad_token_or_filter_is_a_400_with_the_error_code(client: TestClient) -> None:
    bad_token = client.get("/console/api/executions", params={"next": "forged"})
    assert (bad_token.status_code, bad_token.json()["error"]) == (400, "InvalidToken")
    bad_time = client.get("/console/api/executions", params={"from": "soon"})
    assert (bad_time.status_code, bad_time.json()["error"]) == (400, "ValidationException")


def test_the_stream_sends_history_status_and_end(client: TestClient) -> None:
    arn = machine(client, "streamed", {"W": {"Type": "Wait", "Seconds": 0, "End": True}}, "W")
    execution = call(client, "StartExecution", stateMachineArn=arn)["executionArn"]
    with client.stream("GET", "/console/api/stream", params={"arn": execution}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    messages = [m for m in text.split("\n\n") if m]
    kinds = [m.split("event: ")[1].split("\n")[0] for m in messages]
    assert kinds[0] == "history" and kinds[-1] == "end" and "status" in kinds
    events = [e for m in messages if "event: history" in m for e in json.loads(m.split("data: ")[1])]
    assert events[0]["type"] == "ExecutionStarted" and events[-1]["type"] == "ExecutionSucceeded"
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))


def test_the_stream_resumes_after_last_event_id(client: TestClient) -> None:
    arn = machine(client, "resumed", {"P": {"Type": "Pass", "End": True}}, "P")
    execution = call(client, "StartExecution", stateMachineArn=arn)["executionArn"]
    with client.stream("GET", "/console/api/stream", params={"arn": execution}) as response:
        total = "".join(response.iter_text()).count('"previousEventId"')
    with client.stream("GET", "/console/api/stream", params={"arn": execution},
                       headers={"Last-Event-ID": str(total - 1)}) as response:
        assert "".join(response.iter_text()).count('"previousEventId"') == 1


def test_an_unknown_execution_stream_is_404(client: TestClient) -> None:
    response = client.get("/console/api/stream", params={"arn": "arn:aws:states:us-east-1:000000000000:execution:x:y"})
    assert response.status_code == 404



def test_a_slow_console_query_does_not_hold_up_the_others(client: TestClient,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    entered, opened, in_time = threading.Event(), threading.Event(), []
    machines = console_queries.machines

    def held(*args: Any) -> Any:
        entered.set()
        in_time.append(opened.wait(10))
        return machines(*args)

    monkeypatch.setattr(console_queries, "machines", held)
    order: list[str] = []

    def slow() -> None:
        assert client.get("/console/api/machines").json() == {"stateMachines": [], "next": None}
        order.append("machines")

    thread = threading.Thread(target=slow)
    thread.start()
    assert entered.wait(10)
    assert client.get("/console/api/executions").json() == {"executions": [], "next": None}
    order.append("executions")
    opened.set()
    thread.join()
    assert (order, in_time) == (["executions", "machines"], [True])
