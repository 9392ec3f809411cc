"""Lambda results and errors as Step Functions reports them, for Python functions and the Lambda API."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest

from stepforge.tasks.config import TaskConfig, load
from stepforge.testing import Harness

FN = "arn:aws:lambda:us-east-1:123456789012:function:"
INVOKE = "arn:aws:states:::lambda:invoke"
METADATA = {"SdkHttpMetadata", "SdkResponseMetadata"}


class CustomException(Exception):
    pass


def echo(event: Any, context: Any) -> Any:
    return event


def fail(event: Any, context: Any) -> Any:
    raise CustomException("it broke")


def raw_bytes(event: Any, context: Any) -> Any:
    return b'"HelloWorld!"'


def too_big(event: Any, context: Any) -> Any:
    return ("a" * (257 * 1024)).encode()


FUNCTIONS = {"echo": echo, "fail": fail, "raw_bytes": raw_bytes, "too_big": too_big}


def invoke(parameters: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": INVOKE, "Parameters": parameters,
                                                   "End": True}}}


def arn_task(name: str, **fields: Any) -> dict[str, Any]:
    return {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": FN + name, "End": True, **fields}}}


def catching(machine: dict[str, Any], *errors: str) -> dict[str, Any]:
    call = machine["States"]["Call"]
    call.pop("End")
    call["Next"] = "Done"
    call["Catch"] = [{"ErrorEquals": list(errors or ["States.ALL"]), "Next": "Done"}]
    machine["States"]["Done"] = {"Type": "Pass", "End": True}
    return machine


@pytest.fixture
def here() -> Harness:
    return Harness(functions=FUNCTIONS)


@pytest.mark.parametrize(("payload", "parsed"), [('"HelloWorld"', "HelloWorld"), ("0", 0), ("true", True),
                                                 ("{}", {}), ("[]", []), (None, {}), ({"a": [1]}, {"a": [1]})])
def test_lambda_invoke_parses_the_payload_and_sends_a_string_payload_as_it_is(
        here: Harness, payload: Any, parsed: Any) -> None:
    result = here.run(invoke({"FunctionName": "echo", "Payload": payload}))
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["Payload"] == parsed
    assert {"ExecutedVersion", "StatusCode", *METADATA} <= set(result.output)


def test_log_type_tail_adds_the_log_result(here: Harness) -> None:
    result = here.run(invoke({"FunctionName": "echo", "LogType": "Tail"}))
    assert base64.b64decode(result.output["LogResult"]).decode().startswith("START RequestId: ")


def test_lambda_invoke_reports_the_error_document_as_compact_json(here: Harness) -> None:
    result = here.run(invoke({"FunctionName": "fail"}))
    assert result.error == "CustomException"
    assert (result.cause or "").startswith('{"errorMessage":"it broke","errorType":"CustomException","requestId":"')


def test_a_function_arn_reports_the_error_document_as_lambda_wrote_it_with_task_root_paths(here: Harness) -> None:
    result = here.run(arn_task("fail"))
    assert (result.cause or "").startswith('{"errorMessage": "it broke", "errorType": "CustomException", ')
    [frame] = json.loads(result.cause or "")["stackTrace"]
    assert frame.startswith('  File "/var/task/') and os.getcwd() not in frame
    assert 'raise CustomException("it broke")' in frame


def test_a_bytes_result_is_the_payload_as_it_is(here: Harness) -> None:
    assert here.run(arn_task("raw_bytes")).output == "HelloWorld!"


def test_a_result_over_256_kib_is_a_catchable_data_limit_error(here: Harness) -> None:
    result = here.run(catching(arn_task("too_big"), "States.DataLimitExceeded"))
    assert result.output["Error"] == "States.DataLimitExceeded"
    assert result.output["Cause"] == (f"The state/task '{FN}too_big' returned a result with a size exceeding the "
                                      "maximum number of bytes service limit.")
    wrapped = here.run(catching(invoke({"FunctionName": "too_big"}), "States.DataLimitExceeded"))
    assert wrapped.output["Cause"].startswith("The state/task 'lambda' returned a result")


# -- functions that are not registered here: the configured endpoint's Lambda API ---------------------


def remote(lambda_api: Any) -> Harness:
    return Harness(tasks=TaskConfig(inline=True, endpoint_url=lambda_api.url))


def test_an_unregistered_function_is_invoked_on_the_endpoint(lambda_api: Any) -> None:
    lambda_api.handlers["double"] = lambda event: {"n": event["n"] * 2}
    result = remote(lambda_api).run(invoke({"FunctionName": FN + "double", "Payload": {"n": 4},
                                            "LogType": "Tail"}))
    assert result.status == "SUCCEEDED", result.cause
    assert (result.output["Payload"], result.output["StatusCode"]) == ({"n": 8}, 200)
    assert METADATA <= set(result.output)
    assert base64.b64decode(result.output["LogResult"]).startswith(b"START RequestId: ")
    assert lambda_api.requests[0]["body"] == b'{"n":4}'
    assert remote(lambda_api).run(arn_task("double"), {"n": 5}).output == {"n": 10}


def test_a_registered_function_is_found_before_the_endpoint(lambda_api: Any) -> None:
    harness = remote(lambda_api)
    harness.tasks.functions.add("echo", echo)
    assert harness.run(arn_task("echo"), {"here": True}).output == {"here": True}
    assert lambda_api.requests == []


def test_an_endpoint_function_error_is_the_tasks_error(lambda_api: Any) -> None:
    def broken(event: Any) -> Any:
        raise CustomException("remote broke")

    lambda_api.handlers["broken"] = broken
    wrapped = remote(lambda_api).run(invoke({"FunctionName": "broken"}))
    assert wrapped.error == "CustomException"
    assert (wrapped.cause or "").startswith('{"errorMessage":"remote broke","errorType":"CustomException"')
    legacy = remote(lambda_api).run(arn_task("broken"))
    assert (legacy.error, json.loads(legacy.cause or "")["errorMessage"]) == ("CustomException", "remote broke")
    assert (legacy.cause or "").startswith('{"errorMessage": "remote broke"')


def test_a_function_the_endpoint_does_not_know_is_resource_not_found_naming_the_version(lambda_api: Any) -> None:
    result = remote(lambda_api).run(catching(invoke({"FunctionName": "ghost"})))
    assert result.output["Error"] == "Lambda.ResourceNotFoundException"
    assert result.output["Cause"].startswith("Function not found: arn:aws:lambda:us-east-1:123456789012:function:ghost:"
                                             "$LATEST (Service: AWSLambda; Status Code: 404; Error Code: "
                                             "ResourceNotFoundException; Request ID: ")
    assert result.output["Cause"].endswith("; Proxy: null)")
    qualified = remote(lambda_api).run(catching(invoke({"FunctionName": "ghost", "Qualifier": "live"})))
    assert qualified.output["Cause"].startswith(f"Function not found: {FN}ghost:live (Service: AWSLambda;")
    legacy = remote(lambda_api).run(catching(arn_task("ghost")))
    assert legacy.output["Cause"].startswith(f"Function not found: {FN}ghost:$LATEST (Service: AWSLambda;")


def test_a_per_service_endpoint_takes_the_lambda_calls(lambda_api: Any, tmp_path: Any) -> None:
    config_file = tmp_path / "stepforge.toml"
    config_file.write_text('[passthrough]\nendpoint_url = "http://127.0.0.1:9"\npoll_seconds = 2\n'
                           f'[passthrough.endpoints]\nlambda = "{lambda_api.url}"\n')
    config = load(config_file)
    config.inline = True
    assert (config.endpoint_for("lambda"), config.endpoint_for("sqs"), config.poll_seconds) == (
        lambda_api.url, "http://127.0.0.1:9", 2.0)
    lambda_api.handlers["echo"] = lambda event: event
    assert Harness(tasks=config).run(arn_task("echo"), {"via": "lambda endpoint"}).output == {"via": "lambda endpoint"}
