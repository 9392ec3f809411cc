"""Throttling as AWS does it: a token bucket per operation and region, ThrottlingException in AWS's
shape over the rate, and botocore retrying it as it retries AWS."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import create_parser
from botocore.retries.standard import RetryContext, StandardRetryConditions, ThrottledRetryableChecker
from starlette.testclient import TestClient

from stepforge.api.throttle import AWS_QUOTAS, MAX_REGIONS, OTHER_REGIONS, Throttle, TokenBucket
from stepforge.api.throttle_config import (
    Quota,
    ThrottleConfig,
    ThrottleConfigError,
    load_throttle,
    parse_throttle,
)
from stepforge.server import build
from tests.e2e.conftest import configured_server
from tests.server_kit import free_port


class FakeClock:
    """Monotonic seconds that move only when the test says."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def tight(operation: str = "ListStateMachines", bucket: float = 2, refill: float = 1) -> ThrottleConfig:
    return ThrottleConfig(enabled=True, operations={operation: Quota(bucket, refill)})


# -- the bucket ---------------------------------------------------------------------------------------------------

def test_a_bucket_starts_full_empties_one_token_a_call_and_refills_at_its_rate() -> None:
    bucket = TokenBucket(Quota(bucket=3, refill=2), now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(0.4)  # 0.8 of a token
    assert bucket.take(0.5)  # one whole token after half a second at 2/s
    assert not bucket.take(0.5)


def test_a_bucket_never_holds_more_than_its_size() -> None:
    bucket = TokenBucket(Quota(bucket=2, refill=100), now=0.0)
    assert bucket.take(0.0) and bucket.take(0.0)
    assert [bucket.take(3600.0) for _ in range(3)] == [True, True, False]


def test_a_refused_call_takes_no_token() -> None:
    bucket = TokenBucket(Quota(bucket=1, refill=1), now=0.0)
    assert bucket.take(0.0)
    assert not any(bucket.take(0.1 * i) for i in range(1, 10))  # 0.9 s of refusals
    assert bucket.take(1.0)


# -- the buckets of a deployment ----------------------------------------------------------------------------------

def test_disabled_throttling_admits_every_call() -> None:
    throttle = Throttle(ThrottleConfig(enabled=False, operations={"StartExecution": Quota(1, 1)}), FakeClock())
    assert all(throttle.admit("StartExecution", "us-east-1") for _ in range(5000))


def test_the_defaults_are_aws_quotas_with_the_larger_ones_in_the_three_large_regions() -> None:
    throttle = Throttle(ThrottleConfig(enabled=True), FakeClock())
    assert throttle.quota("StartExecution", "us-east-1") == Quota(1300, 300)
    assert throttle.quota("StartExecution", "eu-west-1") == Quota(1300, 300)
    assert throttle.quota("StartExecution", "ap-southeast-2") == Quota(800, 150)
    assert throttle.quota("StopExecution", "eu-central-1") == Quota(500, 25)
    assert throttle.quota("GetExecutionHistory", "us-west-2") == Quota(400, 20)
    assert throttle.quota("StartSyncExecution", "us-east-1") is None  # AWS scales it on demand


def test_every_operation_but_start_sync_execution_has_a_default_quota() -> None:
    from stepforge.api.credentials import OPERATIONS

    assert set(AWS_QUOTAS) == set(OTHER_REGIONS) == OPERATIONS - {"StartSyncExecution"}


def test_a_burst_of_default_start_executions_is_cut_at_the_bucket_size_then_flows_at_the_refill_rate() -> None:
    clock = FakeClock()
    throttle = Throttle(ThrottleConfig(enabled=True), clock)
    burst = [throttle.admit("StartExecution", "us-east-1") for _ in range(1400)]
    assert burst.count(True) == 1300
    clock.now += 1.0
    second = [throttle.admit("StartExecution", "us-east-1") for _ in range(400)]
    assert second.count(True) == 300


def test_each_region_and_each_operation_has_a_bucket_of_its_own() -> None:
    throttle = Throttle(tight("DescribeExecution", bucket=1), FakeClock())
    assert throttle.admit("DescribeExecution", "us-east-1")
    assert not throttle.admit("DescribeExecution", "us-east-1")
    assert throttle.admit("DescribeExecution", "eu-west-1")
    assert throttle.admit("ListExecutions", "us-east-1")


def test_a_configured_quota_replaces_aws_default_in_every_region() -> None:
    throttle = Throttle(tight("StartExecution", bucket=5, refill=1), FakeClock())
    assert throttle.quota("StartExecution", "us-east-1") == Quota(5, 1)
    assert throttle.quota("StartExecution", "sa-east-1") == Quota(5, 1)
    assert throttle.quota("StopExecution", "us-east-1") == Quota(1000, 200)


def test_region_names_past_the_limit_share_one_set_of_buckets() -> None:
    throttle = Throttle(tight("ListActivities", bucket=1), FakeClock())
    for i in range(MAX_REGIONS):
        assert throttle.admit("ListActivities", f"r-{i}")
    assert throttle.admit("ListActivities", "one-too-many")
    assert not throttle.admit("ListActivities", "and-another")
    assert len(throttle._buckets) == MAX_REGIONS + 1


# -- configuration ------------------------------------------------------------------------------------------------

def test_without_a_throttle_section_throttling_is_off() -> None:
    assert load_throttle(None) == ThrottleConfig(enabled=False)
    assert parse_throttle({}) == ThrottleConfig(enabled=False)


def test_a_config_file_enables_throttling_and_overrides_operations(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[throttle]\nenabled = true\n\n[throttle.operations]\n'
                    'StartExecution = { bucket = 1300, refill = 300 }\nTestState = { bucket = 2, refill = 0.5 }\n')
    assert load_throttle(path) == ThrottleConfig(True, {"StartExecution": Quota(1300, 300),
                                                        "TestState": Quota(2, 0.5)})


@pytest.mark.parametrize(("section", "complaint"), [
    ({"enabled": "yes"}, "enabled must be true or false"),
    ({"enable": True}, "unknown settings: enable"),
    ({"operations": {"StartExecutions": {"bucket": 1, "refill": 1}}}, "unknown operations: StartExecutions"),
    ({"operations": {"StartExecution": {"bucket": 0, "refill": 1}}}, "bucket must be a number of at least 1"),
    ({"operations": {"StartExecution": {"bucket": 10, "refill": 0}}}, "refill must be a positive number"),
    ({"operations": {"StartExecution": {"bucket": True, "refill": 1}}}, "bucket must be a number"),
    ({"operations": {"StartExecution": {"bucket": 10}}}, "must be { bucket = <size>, refill"),
    ({"operations": {"StartExecution": 10}}, "must be { bucket = <size>, refill"),
])
def test_an_unusable_throttle_section_is_refused_saying_why(section: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ThrottleConfigError, match="config: ") as raised:
        parse_throttle(section)
    assert complaint in str(raised.value)


# -- the API ------------------------------------------------------------------------------------------------------

def call(client: TestClient, operation: str, region: str = "us-east-1") -> Any:
    authorization = f"AWS4-HMAC-SHA256 Credential=AKID/20260101/{region}/states/aws4_request, SignedHeaders=host"
    return client.post("/", headers={"X-Amz-Target": f"AWSStepFunctions.{operation}",
                                     "Authorization": authorization}, content="{}")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock) -> Iterator[TestClient]:
    """The API with ListStateMachines limited to a burst of 2 and 1 call a second."""
    app, engine = build(throttle=Throttle(tight("ListStateMachines", bucket=2, refill=1), clock))
    try:
        with TestClient(app) as client:
            yield client
    finally:
        engine.dispatcher.close()


def test_a_call_over_the_rate_gets_aws_throttling_exception(api: TestClient) -> None:
    assert [call(api, "ListStateMachines").status_code for _ in range(2)] == [200, 200]
    refused = call(api, "ListStateMachines")
    assert refused.status_code == 400
    assert refused.json() == {"__type": "com.amazon.coral.availability#ThrottlingException",
                              "message": "Rate exceeded"}
    assert refused.headers["content-type"] == "application/x-amz-json-1.0"
    assert refused.headers["x-amzn-errortype"] == "ThrottlingException"
    assert refused.headers["x-amzn-requestid"]


def test_the_api_answers_again_once_the_bucket_has_refilled(api: TestClient, clock: FakeClock) -> None:
    for _ in range(2):
        call(api, "ListStateMachines")
    assert call(api, "ListStateMachines").status_code == 400
    clock.now += 1.0
    assert call(api, "ListStateMachines").status_code == 200
    assert call(api, "ListStateMachines").status_code == 400


def test_throttling_one_operation_or_region_leaves_the_others_alone(api: TestClient) -> None:
    for _ in range(3):
        call(api, "ListStateMachines")
    assert call(api, "ListStateMachines").status_code == 400
    assert call(api, "ListStateMachines", region="eu-central-1").status_code == 200
    assert call(api, "ListActivities").status_code == 200


def test_without_a_throttle_the_api_never_throttles() -> None:
    app, engine = build()
    try:
        with TestClient(app) as client:
            assert {call(client, "TestState").status_code for _ in range(60)} == {400}  # invalid input, not throttled
            assert all(call(client, "ListStateMachines").status_code == 200 for _ in range(150))
    finally:
        engine.dispatcher.close()


# -- a real server and botocore's retries -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def throttled_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``stepforge serve --config`` allowing ListStateMachines one call, then one every 2 seconds."""
    config = "[throttle]\nenabled = true\n\n[throttle.operations]\nListStateMachines = { bucket = 1, refill = 0.5 }\n"
    with configured_server(tmp_path_factory.mktemp("throttled"), config, "throttled server") as endpoint:
        yield endpoint


def sfn(endpoint: str, **retries: Any) -> Any:
    return boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries=retries))


def test_botocore_retries_throttling_until_the_bucket_refills(throttled_server: str) -> None:
    once = sfn(throttled_server, max_attempts=1)
    patient = sfn(throttled_server, mode="standard", max_attempts=10)
    once.list_state_machines()  # empties the bucket
    with pytest.raises(ClientError) as raised:
        once.list_state_machines()
    assert raised.value.response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    answer = patient.list_state_machines()  # throttled at first, retried with back-off, then served
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert answer["ResponseMetadata"]["RetryAttempts"] >= 1


def test_a_server_with_an_unusable_throttle_section_refuses_to_start(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[throttle]\nenabled = 1\n")
    done = subprocess.run([sys.executable, "-m", "stepforge.cli", "serve", "--port", str(free_port()),
                           "--data-dir", str(tmp_path / "data"), "--config", str(tmp_path / "config.toml")],
                          check=False, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "[throttle] enabled must be true or false" in done.stderr
    assert not (tmp_path / "data").exists()


def test_botocore_parses_the_refusal_as_a_throttling_error_its_standard_mode_retries(api: TestClient) -> None:
    for _ in range(2):
        call(api, "ListStateMachines")
    refused = call(api, "ListStateMachines")
    parsed = create_parser("json").parse({"status_code": refused.status_code, "headers": dict(refused.headers),
                                          "body": refused.content}, None)
    assert parsed["Error"]["Code"] == "ThrottlingException"
    context = RetryContext(attempt_number=1, parsed_response=parsed,
                           http_response=AWSResponse("http://x/", refused.status_code, dict(refused.headers), None))
    assert ThrottledRetryableChecker().is_retryable(context)
    assert StandardRetryConditions().is_retryable(context)
