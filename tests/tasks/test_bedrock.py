"""``bedrock:invokeModel`` against a local Bedrock Runtime (InvokeModel's route) and moto's S3: the body
sent as AWS sends it, the answer parsed, ``Input``/``Output`` S3 URIs, errors named ``Bedrock.*``."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from local_http import Handler, serving

from stepforge.tasks.config import TaskConfig
from stepforge.testing import Harness, Result

Aws = Callable[[str], Any]
INVOKE = "arn:aws:states:::bedrock:invokeModel"
MODEL = "amazon.titan-text-express-v1"


class Runtime(Handler):
    """``POST /model/{modelId}/invoke``: a model that answers what it was asked, as Titan's shape."""

    seen: list[dict[str, Any]]

    def answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
        model = urllib.parse.unquote(self.path.split("/")[2])
        self.seen.append({"model": model, "body": body, "content-type": self.headers.get("content-type")})
        if model != MODEL:
            return self._send(404, {"message": f"Model {model} not found"},
                              {"x-amzn-ErrorType": "ResourceNotFoundException:http://internal.amazon.com/"})
        self._send(200, {"inputTextTokenCount": 3, "results": [{"outputText": f"you said: {body}"}]}, {})

    def _send(self, status: int, answer: dict[str, Any], headers: dict[str, str]) -> None:
        sent = {"Content-Type": "application/json", "x-amzn-RequestId": "r-1", **headers}
        self.reply(status, json.dumps(answer).encode(), list(sent.items()))


@pytest.fixture
def seen() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def runtime(seen: list[dict[str, Any]]) -> Iterator[str]:
    with serving(Runtime, seen=seen) as address:
        yield f"http://{address}"


@pytest.fixture
def bucket(aws: Aws, request: pytest.FixtureRequest) -> str:
    name = f"prompts-{abs(hash(request.node.name)) % 10**8}"
    aws("s3").create_bucket(Bucket=name)
    return name


def invoke(moto_url: str, runtime: str, params: dict[str, Any], resource: str = INVOKE) -> Result:
    config = TaskConfig(inline=True, endpoint_url=moto_url, endpoints={"bedrock-runtime": runtime})
    return Harness(tasks=config).run({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": resource, "Parameters": params, "End": True}}})


def test_a_json_body_is_sent_as_json_and_the_answer_parsed(moto_url: str, runtime: str, seen: list[Any]) -> None:
    result = invoke(moto_url, runtime, {"ModelId": MODEL, "Body": {"inputText": "hi"}})
    assert result.status == "SUCCEEDED", result.cause
    assert (seen[0]["model"], json.loads(seen[0]["body"])) == (MODEL, {"inputText": "hi"})
    assert result.output["Body"]["results"][0]["outputText"] == 'you said: {"inputText":"hi"}'
    assert result.output["ContentType"] == "application/json"


def test_a_string_body_is_sent_as_written(moto_url: str, runtime: str, seen: list[Any]) -> None:
    result = invoke(moto_url, runtime, {"ModelId": MODEL, "Body": "just words", "ContentType": "text/plain"})
    assert result.status == "SUCCEEDED", result.cause
    assert (seen[0]["body"], seen[0]["content-type"]) == ("just words", "text/plain")


def test_input_reads_the_body_from_s3_and_output_writes_the_answer_there(moto_url: str, runtime: str, aws: Aws,
                                                                          bucket: str, seen: list[Any]) -> None:
    aws("s3").put_object(Bucket=bucket, Key="in.json", Body=b'{"inputText":"from s3"}', ContentType="application/json")
    result = invoke(moto_url, runtime, {"ModelId": MODEL, "Input": {"S3Uri": f"s3://{bucket}/in.json"},
                                        "Output": {"S3Uri": f"s3://{bucket}/out.json"}})
    assert result.status == "SUCCEEDED", result.cause
    assert json.loads(seen[0]["body"]) == {"inputText": "from s3"}
    assert result.output["Body"] == {"S3Uri": f"s3://{bucket}/out.json"}
    written = json.loads(aws("s3").get_object(Bucket=bucket, Key="out.json")["Body"].read())
    assert written["results"][0]["outputText"] == 'you said: {"inputText":"from s3"}'


@pytest.mark.parametrize("params", [{}, {"Body": {}, "Input": {"S3Uri": "s3://b/k"}}])
def test_exactly_one_of_body_and_input_is_required(moto_url: str, runtime: str, seen: list[Any],
                                                   params: dict[str, Any]) -> None:
    result = invoke(moto_url, runtime, {"ModelId": MODEL, **params})
    assert result.error == "States.Runtime" and "exactly one of 'Body' and 'Input'" in result.cause
    assert seen == []


def test_a_missing_input_object_fails_the_task(moto_url: str, runtime: str, bucket: str) -> None:
    result = invoke(moto_url, runtime, {"ModelId": MODEL, "Input": {"S3Uri": f"s3://{bucket}/nothing.json"}})
    assert result.error == "Bedrock.S3Exception" and "nothing.json" in result.cause


def test_a_model_error_is_named_bedrock(moto_url: str, runtime: str) -> None:
    result = invoke(moto_url, runtime, {"ModelId": "no.such-model", "Body": {"inputText": "hi"}})
    assert result.error == "Bedrock.ResourceNotFoundException"
    assert result.cause.startswith("Model no.such-model not found (Service: AmazonBedrockRuntime; Status Code: 404;")


def test_wait_for_task_token_sends_the_token_in_the_body(moto_url: str, runtime: str, seen: list[Any]) -> None:
    config = TaskConfig(inline=True, endpoint_url=moto_url, endpoints={"bedrock-runtime": runtime})
    harness = Harness(tasks=config)
    execution = harness.start({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": INVOKE + ".waitForTaskToken", "End": True,
        "Parameters": {"ModelId": MODEL, "Body": {"inputText.$": "$$.Task.Token"}}}}})
    harness.settle()
    assert harness.result(execution).status == "RUNNING"
    harness.succeed(json.loads(seen[0]["body"])["inputText"], {"answer": 42})
    assert harness.result(execution).output == {"answer": 42}
