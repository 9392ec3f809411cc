"""Spans per execution, state and task, nested as the execution ran; trace context in and out."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stepforge.observe.config import ObserveConfig
from stepforge.observe.observatory import Observatory
from stepforge.observe.tracing import Tracing
from stepforge.service import executions
from stepforge.tasks.config import HttpSettings, TaskConfig
from stepforge.testing import Harness

FN = "arn:aws:lambda:us-east-1:000000000000:function:"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.fixture
def exporter(harness: Harness) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    observatory = Observatory(ObserveConfig(metrics=False, audit=False),
                              tracing=Tracing(SimpleSpanProcessor(exporter)))
    observatory.attach(harness.engine)
    yield exporter
    observatory.close()


def by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in spans}


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def test_an_execution_gives_spans_execution_state_task(harness: Harness, exporter: InMemorySpanExporter) -> None:
    definition = {"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Next": "Call"},
        "Call": {"Type": "Task", "Resource": FN + "double", "End": True}}}
    result = harness.run(definition, {"n": 4})
    assert result.status == "SUCCEEDED"
    spans = by_name(exporter.get_finished_spans())
    execution, call, task = spans["m1"], spans["Call"], spans[f"LambdaFunction {FN}double"]
    assert parent_of(spans["Prepare"]) == parent_of(call) == execution.context.span_id
    assert parent_of(task) == call.context.span_id
    assert len({s.context.trace_id for s in spans.values()}) == 1
    assert execution.attributes is not None and execution.attributes["stepforge.execution_arn"] == result.arn
    assert execution.start_time is not None and call.start_time is not None and task.start_time is not None
    assert execution.start_time <= call.start_time <= task.start_time


def test_the_python_function_gets_its_task_spans_traceparent(harness: Harness,
                                                             exporter: InMemorySpanExporter) -> None:
    definition = {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": FN + "double", "End": True}}}
    result = harness.run(definition, {"n": 1})
    task = by_name(exporter.get_finished_spans())[f"LambdaFunction {FN}double"]
    sent = result.output["trace"]["traceparent"]
    assert sent == f"00-{task.context.trace_id:032x}-{task.context.span_id:016x}-{task.context.trace_flags:02x}"


def test_parallel_branches_nest_under_their_parallel_state(harness: Harness, exporter: InMemorySpanExporter) -> None:
    branch = lambda name: {"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}}
    definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "Branches": [branch("Left"), branch("Right")],
                                                         "End": True}}}
    assert harness.run(definition).status == "SUCCEEDED"
    spans = by_name(exporter.get_finished_spans())
    assert parent_of(spans["Left"]) == parent_of(spans["Right"]) == spans["Both"].context.span_id


def test_a_failed_task_and_execution_are_marked_as_errors(harness: Harness, exporter: InMemorySpanExporter) -> None:
    definition = {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": FN + "boom", "End": True}}}
    assert harness.run(definition, {"n": 1}).status == "FAILED"
    spans = by_name(exporter.get_finished_spans())
    assert not spans["m1"].status.is_ok and not spans[f"LambdaFunction {FN}boom"].status.is_ok


def test_an_incoming_traceparent_parents_the_execution(harness: Harness, exporter: InMemorySpanExporter) -> None:
    tracing = harness.engine.observer.tracing  # type: ignore[union-attr]
    machine = harness.create({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    started: dict[str, Any] = harness.call(executions.start, stateMachineArn=machine, input="{}")
    tracing.adopt(started["executionArn"], {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
    harness.run_until_done(started["executionArn"])
    execution = by_name(exporter.get_finished_spans())["m1"]
    assert f"{execution.context.trace_id:032x}" == TRACE_ID
    assert parent_of(execution) == int(PARENT_ID, 16)


def test_without_tracing_no_task_gets_trace_headers(harness: Harness) -> None:
    definition = {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": FN + "double", "End": True}}}
    assert harness.run(definition, {"n": 1}).output["trace"] == {}
    assert harness.engine.observer is None


class _Headers(BaseHTTPRequestHandler):
    seen: list[str | None]  # each subclass brings its own list

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("traceparent"))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[str | None]]]:
    seen: list[str | None] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Headers,), {"seen": seen}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_an_http_task_sends_its_spans_traceparent(endpoint: tuple[str, list[str | None]]) -> None:
    address, seen = endpoint
    connection = {"api_key": {"name": "x-api-key", "value": "k"}, "hosts": [address]}
    harness = Harness(tasks=TaskConfig(inline=True, http=HttpSettings(allow=[address], connections={"api": connection})))
    exporter = InMemorySpanExporter()
    observatory = Observatory(ObserveConfig(metrics=False, audit=False), tracing=Tracing(SimpleSpanProcessor(exporter)))
    observatory.attach(harness.engine)
    result = harness.run({"StartAt": "Fetch", "States": {"Fetch": {
        "Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": True, "Parameters": {
            "ApiEndpoint": f"http://{address}/orders", "Method": "GET",
            "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:000000000000:connection/api/x"}}}}})
    observatory.close()
    assert result.status == "SUCCEEDED", result.cause
    task = by_name(exporter.get_finished_spans())["ServiceIntegration arn:aws:states:::http:invoke"]
    assert seen == [f"00-{task.context.trace_id:032x}-{task.context.span_id:016x}-{task.context.trace_flags:02x}"]
