"""Malformed calls to the EventBridge, Scheduler and webhook operations get AWS-shaped 4xx errors, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from stepforge.api.trigger_operations import READS, WRITES
from stepforge.server import build

FIELDS = ["Name", "EventPattern", "ScheduleExpression", "State", "Targets", "Rule", "Ids", "Entries", "Limit",
          "NextToken", "EventBusName", "Id", "Arn", "Input", "InputPath", "InputTransformer", "name", "mode",
          "auth", "secret", "stateMachineArn", "Detail", "Source", "DetailType"]
#: Values that get a call past its first checks, so the junk reaches the code behind them.
PLAUSIBLE = ["arn:aws:states:us-east-1:000000000000:stateMachine:m", "$.detail", '{"source": ["x"]}',
             "rate(1 minute)", "cron(0 1 * * ? *)", "OFF", "FLEXIBLE", "ENABLED", "default", "r", "UTC"]
leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10), st.floats(allow_nan=False),
                   st.sampled_from(PLAUSIBLE))
junk = st.recursive(leaves,
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4)),
                    max_leaves=12)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app, _ = build()
    with TestClient(app) as test_client:
        yield test_client


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted([*READS, *WRITES])), st.dictionaries(st.sampled_from(FIELDS), junk, max_size=5))
def test_json_operations_refuse_junk_in_aws_shape(client: TestClient, target: str, params: dict[str, Any]) -> None:
    response = client.post("/", content=json.dumps(params), headers={"X-Amz-Target": target})
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["__type"].split("#")[-1].endswith("Exception")


SCHEDULE_FIELDS = ["ScheduleExpression", "ScheduleExpressionTimezone", "FlexibleTimeWindow", "Target", "StartDate",
                   "EndDate", "State", "GroupName", "ActionAfterCompletion", "Mode", "MaximumWindowInMinutes", "Arn",
                   "RoleArn", "Input", "RetryPolicy", "MaximumEventAgeInSeconds"]
schedule_junk = st.recursive(leaves,
                             lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.sampled_from(SCHEDULE_FIELDS), inner, max_size=4)),
                             max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["POST", "PUT", "GET", "DELETE"]), st.sampled_from(["/schedules/s", "/schedule-groups/g",
                                                                           "/schedules", "/webhooks/w"]),
       st.dictionaries(st.sampled_from(SCHEDULE_FIELDS), schedule_junk, max_size=6))
def test_scheduler_and_webhook_routes_refuse_junk(client: TestClient, method: str, path: str,
                                                   body: dict[str, Any]) -> None:
    response = client.request(method, path, content=json.dumps(body))
    assert response.status_code < 500, response.text


@pytest.mark.parametrize("token", ["", "not-a-token", "eyJsaXN0IjoicnVsZXMifQ=="])
def test_a_list_refuses_a_next_token_it_did_not_give_as_eventbridge_does(client: TestClient, token: str) -> None:
    rules = client.post("/", content=json.dumps({"NextToken": token}), headers={"X-Amz-Target": "AWSEvents.ListRules"})
    schedules = client.get("/schedules", params={"NextToken": token})
    assert (rules.status_code, rules.json()["__type"].split("#")[-1]) == (400, "ValidationException"), rules.text
    assert (schedules.status_code, schedules.headers["x-amzn-ErrorType"]) == (400, "ValidationException"), schedules.text
