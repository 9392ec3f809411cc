"""Python functions as Lambda, in-process: both resource forms, result and error shapes, events."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from stepforge.tasks.config import ConfigError, load
from stepforge.tasks.functions import FunctionRegistry
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.runner import Runner
from stepforge.testing import Harness

FN = "arn:aws:lambda:us-east-1:000000000000:function:"
INVOKE = "arn:aws:states:::lambda:invoke"


class EncoderBusy(Exception):
    pass


def double(event: Any, context: Any) -> Any:
    return {"n": event["n"] * 2, "fn": context.function_name, "left": context.get_remaining_time_in_millis() > 0}


def boom(event: Any, context: Any) -> Any:
    raise ValueError("bad n")


def not_json(event: Any, context: Any) -> Any:
    return {1, 2}


def machine(states: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states}


def task(resource: str, **fields: Any) -> dict[str, Any]:
    made = {"Type": "Task", "Resource": resource, "End": True, **fields}
    return {k: v for k, v in made.items() if v is not None}


@pytest.fixture
def harness() -> Harness:
    return Harness(functions={"double": double, "boom": boom, "not_json": not_json})


def test_a_function_arn_passes_the_handler_result_and_writes_lambda_events(harness: Harness) -> None:
    result = harness.run(machine({"T": task(FN + "double")}), {"n": 21})
    assert (result.status, result.output) == ("SUCCEEDED", {"n": 42, "fn": "double", "left": True})
    assert result.event_types == ["ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                                  "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
                                  "ExecutionSucceeded"]


def test_a_qualified_function_arn_reaches_the_same_function(harness: Harness) -> None:
    assert harness.run(machine({"T": task(FN + "double:prod")}), {"n": 1}).output["n"] == 2


def test_lambda_invoke_shapes_the_result_as_aws(harness: Harness) -> None:
    result = harness.run(machine({"T": task(INVOKE, Parameters={"FunctionName": FN + "double:live",
                                                                "Payload": {"n.$": "$.n"}})}), {"n": 2})
    out = result.output
    assert (out["StatusCode"], out["ExecutedVersion"], out["Payload"]["n"]) == (200, "live", 4)
    assert set(out) == {"ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"}
    assert result.details("TaskScheduled")[0]["resourceType"] == "lambda"


def test_an_exception_becomes_error_type_and_a_lambda_cause(harness: Harness) -> None:
    result = harness.run(machine({"T": task(FN + "boom")}), {})
    assert (result.status, result.error) == ("FAILED", "ValueError")
    cause = json.loads(result.cause or "")
    assert (cause["errorMessage"], cause["errorType"]) == ("bad n", "ValueError")
    assert "raise ValueError" in cause["stackTrace"][0]
    assert result.details("LambdaFunctionFailed")[0]["error"] == "ValueError"


def test_a_result_that_is_not_json_is_a_marshal_error(harness: Harness) -> None:
    assert harness.run(machine({"T": task(FN + "not_json")})).error == "Runtime.MarshalError"


def test_an_unknown_function_in_lambda_invoke_is_resource_not_found_and_catchable(harness: Harness) -> None:
    result = harness.run(machine({
        "T": task(INVOKE, Parameters={"FunctionName": "ghost"}, End=None, Next="Done",
                  Catch=[{"ErrorEquals": ["Lambda.ResourceNotFoundException"], "Next": "Done"}]),
        "Done": {"Type": "Pass", "End": True}}))
    assert result.status == "SUCCEEDED"
    assert "Function not found" in result.output["Cause"]


def test_an_unmapped_function_arn_is_an_ordinary_catchable_lambda_failure(harness: Harness) -> None:
    result = harness.run(machine({
        "T": task(FN + "ghost", End=None, Next="Done", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}]),
        "Done": {"Type": "Pass", "End": True}}))
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "Lambda.ResourceNotFoundException"
    assert result.output["Cause"].startswith(
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:ghost:$LATEST (Service: AWSLambda; "
        "Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ")
    assert result.event_types[2:5] == ["LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionFailed"]


def test_an_unmapped_function_is_retried_as_any_failure(harness: Harness) -> None:
    retry = [{"ErrorEquals": ["Lambda.ResourceNotFoundException"], "IntervalSeconds": 1, "MaxAttempts": 2}]
    result = harness.run(machine({"T": task(FN + "ghost", Retry=retry)}))
    assert (result.status, result.error) == ("FAILED", "Lambda.ResourceNotFoundException")
    assert result.event_types.count("LambdaFunctionFailed") == 3


def test_retry_on_a_custom_error_calls_the_function_again() -> None:
    calls: list[int] = []

    def flaky(event: Any, context: Any) -> Any:
        calls.append(1)
        if len(calls) < 3:
            raise EncoderBusy("try later")
        return {"encoded": True}

    retry = [{"ErrorEquals": ["EncoderBusy"], "IntervalSeconds": 5, "MaxAttempts": 3}]
    result = Harness(functions={"flaky": flaky}).run(machine({"T": task(FN + "flaky", Retry=retry)}))
    assert (result.status, len(calls)) == ("SUCCEEDED", 3)
    assert result.event_types.count("LambdaFunctionFailed") == 2


def test_a_task_timeout_fails_a_call_that_never_returns() -> None:
    harness = Harness(functions={"double": double})
    harness.engine.dispatcher.runner.run = lambda *a, **k: None  # type: ignore[method-assign]
    result = harness.run(machine({"T": task(FN + "double", TimeoutSeconds=3)}))
    assert (result.error, result.event_types[-2]) == ("States.Timeout", "LambdaFunctionTimedOut")


def test_a_handler_past_its_own_timeout_is_sandbox_timedout() -> None:
    runner = Runner(threads=1)
    release, delivered = threading.Event(), threading.Event()
    outcomes: list[Outcome] = []

    def deliver(outcome: Outcome) -> None:
        outcomes.append(outcome)
        delivered.set()

    runner.run(lambda: Outcome(output=release.wait(5)), deliver=deliver, timeout=0.05,
               expired=lambda: Outcome(error="Sandbox.Timedout"))
    assert delivered.wait(5)
    release.set()
    runner.close()
    assert [o.error for o in outcomes] == ["Sandbox.Timedout"]


def test_load_module_registers_decorated_and_public_functions() -> None:
    registry = FunctionRegistry()
    names = registry.load_module("fn_samples")
    assert sorted(names) == ["plain", "renamed"]
    renamed = registry.get("renamed")
    assert renamed is not None and renamed.timeout == 5 and renamed.target.endswith(":decorated")


def test_a_config_file_maps_names_to_handlers(tmp_path: Any) -> None:
    path = tmp_path / "stepforge.toml"
    path.write_text('[functions]\nisolation = "process"\necho = "fn_samples:plain"\n'
                    'slow = { handler = "fn_samples.plain", timeout = 9 }\n')
    config = load(path)
    assert (config.isolation, config.functions.get("slow").timeout) == ("process", 9.0)  # type: ignore[union-attr]
    path.write_text('[functions]\nbad = "no.such.module:x"\n')
    with pytest.raises(ConfigError):
        load(path)


def test_process_isolation_runs_the_handler_in_another_process() -> None:
    registry = FunctionRegistry()
    registry.load_module("fn_samples")
    from stepforge.tasks.config import TaskConfig

    config = TaskConfig(functions=registry, isolation="process", processes=1)
    harness = Harness(tasks=config)
    arn = harness.start(machine({"T": task(FN + "plain")}), {"pid": 1})
    done = threading.Event()
    for _ in range(600):
        harness.settle()
        if harness.result(arn).status != "RUNNING":
            break
        done.wait(0.05)
    assert harness.result(arn).output == {"pid": 1}
    harness.engine.dispatcher.close()
