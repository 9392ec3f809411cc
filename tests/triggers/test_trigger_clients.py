"""boto3's ``scheduler`` and ``events`` clients, unchanged, against a real ``stepforge serve`` with SigV4
keys; and webhooks called over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.e2e.conftest import FINAL_STATUSES, ROLE_ARN, configured_server

KEY, SECRET = "AKIDTRIGGERS", "triggers-secret"
READER = "AKIDREADER"
CONFIG = (f'[auth.keys]\n{KEY} = "{SECRET}"\n{READER} = "{SECRET}"\n'
          f'[auth.permissions]\n{READER} = "read-only"\n')
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
EXPRESS_ECHO = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"got.$": "$"},
                                                             "End": True}}})


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with configured_server(tmp_path_factory.mktemp("triggers"), CONFIG, "triggers server") as url:
        yield url


@pytest.fixture(scope="module")
def client(endpoint: str) -> Callable[[str], Any]:
    def make(service: str, secret: str = SECRET, key: str = KEY) -> Any:
        return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                            aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))
    return make


def wait_until(condition: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def machine(client: Callable[[str], Any], name: str, definition: str = PASS, kind: str = "STANDARD") -> str:
    sfn = client("stepfunctions")
    return str(sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE_ARN, type=kind)["stateMachineArn"])


def executions_of(client: Callable[[str], Any], arn: str) -> list[dict[str, Any]]:
    return list(client("stepfunctions").list_executions(stateMachineArn=arn)["executions"])


def test_scheduler_client_manages_schedules_and_an_at_schedule_fires(client: Callable[[str], Any]) -> None:
    scheduler = client("scheduler")
    target = machine(client, "scheduled")
    when = datetime.fromtimestamp(time.time() + 2, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    created = scheduler.create_schedule(Name="soon", ScheduleExpression=f"at({when})",
                                        FlexibleTimeWindow={"Mode": "OFF"},
                                        Target={"Arn": target, "RoleArn": ROLE_ARN, "Input": '{"from": "scheduler"}'})
    assert created["ScheduleArn"] == "arn:aws:scheduler:us-east-1:000000000000:schedule/default/soon"
    shown = scheduler.get_schedule(Name="soon")
    assert shown["ScheduleExpression"] == f"at({when})" and shown["State"] == "ENABLED"
    assert isinstance(shown["CreationDate"], datetime)
    scheduler.create_schedule(Name="hourly", ScheduleExpression="cron(0 * * * ? *)", FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": target, "RoleArn": ROLE_ARN}, State="DISABLED")
    listed = scheduler.list_schedules(NamePrefix="hour")["Schedules"]
    assert [(s["Name"], s["State"], s["Target"]["Arn"]) for s in listed] == [("hourly", "DISABLED", target)]
    scheduler.update_schedule(Name="hourly", ScheduleExpression="rate(2 hours)", FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": target, "RoleArn": ROLE_ARN})
    assert scheduler.get_schedule(Name="hourly")["ScheduleExpression"] == "rate(2 hours)"
    scheduler.delete_schedule(Name="hourly")
    with pytest.raises(ClientError) as missing:
        scheduler.get_schedule(Name="hourly")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as conflict:
        scheduler.create_schedule(Name="soon", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
                                  Target={"Arn": target, "RoleArn": ROLE_ARN})
    assert conflict.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as invalid:
        scheduler.create_schedule(Name="bad", ScheduleExpression="cron(0 10 * * * *)",
                                  FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": target, "RoleArn": ROLE_ARN})
    assert invalid.value.response["Error"]["Code"] == "ValidationException"
    ran = wait_until(lambda: [e for e in executions_of(client, target) if e["status"] in FINAL_STATUSES])
    assert len(ran) == 1 and ran[0]["status"] == "SUCCEEDED"


def test_events_client_rules_start_an_execution_per_matching_event(client: Callable[[str], Any]) -> None:
    events = client("events")
    target = machine(client, "on-order")
    rule_arn = events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"], "detail-type": ["Order"]}))
    assert rule_arn["RuleArn"] == "arn:aws:events:us-east-1:000000000000:rule/orders"
    put = events.put_targets(Rule="orders", Targets=[{"Id": "sfn", "Arn": target, "RoleArn": ROLE_ARN,
                                                      "InputPath": "$.detail"}])
    assert put["FailedEntryCount"] == 0
    assert events.describe_rule(Name="orders")["State"] == "ENABLED"
    assert [r["Name"] for r in events.list_rules(NamePrefix="ord")["Rules"]] == ["orders"]
    assert events.list_targets_by_rule(Rule="orders")["Targets"][0]["Id"] == "sfn"
    sent = events.put_events(Entries=[{"Source": "shop", "DetailType": "Order", "Detail": '{"n": 1}'},
                                      {"Source": "shop", "DetailType": "Refund", "Detail": '{"n": 2}'}])
    assert sent["FailedEntryCount"] == 0 and len(sent["Entries"]) == 2
    [started] = executions_of(client, target)
    described = client("stepfunctions").describe_execution(executionArn=started["executionArn"])
    assert json.loads(described["input"]) == {"n": 1}
    assert events.test_event_pattern(EventPattern='{"detail": {"n": [{"numeric": [">", 0]}]}}',
                                     Event=json.dumps({"id": "1", "source": "s", "detail": {"n": 2}}))["Result"]
    with pytest.raises(ClientError) as invalid:
        events.put_rule(Name="bad", EventPattern='{"source": [{"nope": 1}]}')
    assert invalid.value.response["Error"]["Code"] == "InvalidEventPatternException"
    events.remove_targets(Rule="orders", Ids=["sfn"])
    events.delete_rule(Name="orders")
    assert events.list_rules(NamePrefix="ord")["Rules"] == []


def test_a_wrong_secret_is_refused_for_both_services(client: Callable[[str], Any]) -> None:
    for service, call in (("events", lambda c: c.list_rules()), ("scheduler", lambda c: c.list_schedules())):
        with pytest.raises(ClientError) as refused:
            call(client(service, secret="wrong"))
        assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_a_read_only_key_may_list_rules_and_schedules_but_not_change_them(client: Callable[[str], Any]) -> None:
    events, scheduler = client("events", key=READER), client("scheduler", key=READER)
    assert "Rules" in events.list_rules() and "Schedules" in scheduler.list_schedules()
    with pytest.raises(ClientError) as denied:
        events.put_rule(Name="nope", EventPattern='{"source": ["x"]}')
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "events:PutRule" in denied.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as denied:
        scheduler.delete_schedule(Name="anything")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def _webhook_admin(client: Callable[[str], Any], operation: str, **params: Any) -> Any:
    """A webhook management call, SigV4-signed for ``states`` with botocore's signer."""
    sfn = client("stepfunctions")
    request = AWSRequest("POST", sfn.meta.endpoint_url + "/", data=json.dumps(params).encode(),
                         headers={"X-Amz-Target": f"StepForgeWebhooks.{operation}",
                                  "Content-Type": "application/x-amz-json-1.0"})
    SigV4Auth(Credentials(KEY, SECRET), "states", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(request.url, data=request.body, headers=dict(request.headers), method="POST")
    with urllib.request.urlopen(prepared) as answer:
        return json.loads(answer.read())


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers, method="POST")) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_webhooks_start_executions_after_their_check(client: Callable[[str], Any], endpoint: str) -> None:
    target = machine(client, "hooked")
    made = _webhook_admin(client, "PutWebhook", name="github", stateMachineArn=target, auth="hmac-sha256",
                          secret="s3cret")
    assert made["url"] == "/webhooks/github"
    assert "secret" not in _webhook_admin(client, "GetWebhook", name="github")
    body = b'{"ref": "main"}'
    signature = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    status, answer = _post(endpoint + "/webhooks/github", body, {"X-Hub-Signature-256": signature})
    assert status == 200 and answer["executionArn"].startswith(target.replace("stateMachine", "execution"))
    status, _ = _post(endpoint + "/webhooks/github", body, {"X-Hub-Signature-256": "sha256=00"})
    assert status == 403
    assert len(executions_of(client, target)) == 1
    status, _ = _post(endpoint + "/webhooks/nobody", b"{}", {})
    assert status == 404


def test_a_sync_webhook_answers_with_the_express_output(client: Callable[[str], Any], endpoint: str) -> None:
    target = machine(client, "echo", EXPRESS_ECHO, "EXPRESS")
    _webhook_admin(client, "PutWebhook", name="echo", stateMachineArn=target, mode="SYNC", auth="secret", secret="pw")
    status, answer = _post(endpoint + "/webhooks/echo", b'{"x": 1}', {"X-Webhook-Secret": "pw"})
    assert status == 200 and answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"got": {"x": 1}}
    status, _ = _post(endpoint + "/webhooks/echo", b'{"x": 1}', {"X-Webhook-Secret": "wrong"})
    assert status == 403


def test_the_cli_creates_lists_and_deletes_schedules_signed_with_the_environment_keys(
        client: Callable[[str], Any], endpoint: str) -> None:
    target = machine(client, "cli-target")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_ENDPOINT_URL": endpoint}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "stepforge.cli", "schedules", *args], check=False, env=env,
                              capture_output=True, text=True, timeout=60)

    created = cli("create", "from-cli", "--expression", "cron(0 12 ? * MON-FRI *)", "--target", target,
                  "--timezone", "Asia/Tokyo")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().endswith(":schedule/default/from-cli")
    assert client("scheduler").get_schedule(Name="from-cli")["ScheduleExpressionTimezone"] == "Asia/Tokyo"
    listed = cli("list")
    assert f"default/from-cli\tENABLED\t{target}" in listed.stdout.splitlines()
    refused = cli("create", "bad one", "--expression", "rate(1 minute)", "--target", target)
    assert refused.returncode == 1 and "ValidationException" in refused.stderr
    assert cli("delete", "from-cli").returncode == 0
    assert "from-cli" not in cli("list").stdout


def test_a_failed_execution_starts_a_handler_through_its_status_change_event(client: Callable[[str], Any]) -> None:
    failing = machine(client, "fails", json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops"}}}))
    handler = machine(client, "handles")
    events = client("events")
    events.put_rule(Name="on-failure", EventPattern=json.dumps({
        "source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["FAILED"], "stateMachineArn": [failing]}}))
    events.put_targets(Rule="on-failure", Targets=[{"Id": "h", "Arn": handler, "InputPath": "$.detail"}])
    failed = client("stepfunctions").start_execution(stateMachineArn=failing)["executionArn"]
    [handled] = wait_until(lambda: executions_of(client, handler))
    described = client("stepfunctions").describe_execution(executionArn=handled["executionArn"])
    detail = json.loads(described["input"])
    assert (detail["executionArn"], detail["status"], detail["error"]) == (failed, "FAILED", "Oops")


def test_schedule_groups_hold_schedules_and_take_them_when_deleted(client: Callable[[str], Any]) -> None:
    scheduler = client("scheduler")
    target = machine(client, "grouped")
    arn = scheduler.create_schedule_group(Name="team-a")["ScheduleGroupArn"]
    assert arn == "arn:aws:scheduler:us-east-1:000000000000:schedule-group/team-a"
    assert [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]] == ["default", "team-a"]
    assert scheduler.get_schedule_group(Name="team-a")["State"] == "ACTIVE"
    scheduler.create_schedule(Name="weekly", GroupName="team-a", ScheduleExpression="cron(0 9 ? * MON *)",
                              FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": target, "RoleArn": ROLE_ARN})
    assert scheduler.get_schedule(Name="weekly", GroupName="team-a")["GroupName"] == "team-a"
    assert [s["Name"] for s in scheduler.list_schedules(GroupName="team-a")["Schedules"]] == ["weekly"]
    with pytest.raises(ClientError) as unknown:
        scheduler.create_schedule(Name="x", GroupName="nobody", ScheduleExpression="rate(1 hour)",
                                  FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": target, "RoleArn": ROLE_ARN})
    assert unknown.value.response["Error"]["Code"] == "ResourceNotFoundException"
    scheduler.delete_schedule_group(Name="team-a")
    assert scheduler.list_schedules(GroupName="team-a")["Schedules"] == []
    with pytest.raises(ClientError) as default:
        scheduler.delete_schedule_group(Name="default")
    assert default.value.response["Error"]["Code"] == "ValidationException"
