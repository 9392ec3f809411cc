"""The console in real headless Chromium: edit, validate, create, run, watch, inspect, stop."""

from __future__ import annotations

import json
import re
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

XSS = "<img src=x onerror=alert(1)>"
ROLE = "arn:aws:iam::000000000000:role/stepforge-console-test"
BROKEN = {
    "StartAt": "Greet",
    "States": {
        "Greet": {"Type": "Pass", "Result": {"hello": "world"}, "ResultPath": "$.greeting", "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 3, "Next": "Nowhere"},  # long enough to be seen running under load
        "Done": {"Type": "Succeed"},
    },
}


def execution_url(server: str, arn: str) -> str:
    return f"{server}/console/execution?arn={urllib.parse.quote(arn)}"


def node(page: Any, state: str) -> Any:
    return page.locator(f"svg.graph g.node-state[data-state='{state}']")


def test_create_in_editor_fix_error_run_and_watch_it_turn_green(
        page: Any, server: str, screenshot: Callable[[str], Path]) -> None:
    page.goto(f"{server}/console/editor")
    page.fill("#machine-name", "console-editor-demo")
    page.fill("#definition", json.dumps(BROKEN, indent=2))
    diagnostic = page.locator("#diagnostics .diagnostic.error").first
    expect(diagnostic).to_contain_text("Nowhere")
    expect(diagnostic.locator(".where")).to_have_text(re.compile(r"line \d+:\d+"))
    expect(diagnostic.locator(".path")).to_have_text("/States/Pause/Next")
    line = int(diagnostic.get_attribute("data-line"))
    expect(page.locator(f".gutter div:nth-child({line})")).to_have_class("error")
    screenshot("editor-error")

    page.fill("#definition", json.dumps(BROKEN, indent=2).replace('"Nowhere"', '"Done"'))
    expect(page.locator("#diag-summary")).to_have_text("Valid definition")
    expect(page.locator("#editor-graph g.node-state")).to_have_count(3)
    page.click("#save-machine")
    expect(page.locator(".notice.ok")).to_have_text("State machine created.")

    page.fill("#execution-input", '{"who": "console"}')
    page.click("#start-execution")
    page.wait_for_url(re.compile(r"/console/execution\?arn="))
    page.evaluate("window.__notReloaded = true")
    expect(node(page, "Pause")).to_have_attribute("data-status", "running")
    screenshot("execution-running")
    for state in ("Greet", "Pause", "Done"):
        expect(node(page, state)).to_have_attribute("data-status", "succeeded", timeout=20_000)
    expect(page.locator("#execution-status")).to_have_text("SUCCEEDED")
    assert page.evaluate("window.__notReloaded") is True
    node(page, "Greet").click()
    expect(page.locator(".state-details")).to_contain_text('"hello": "world"')
    screenshot("execution-succeeded")


def test_a_failed_state_shows_its_error(page: Any, server: str, machine: Callable[[dict[str, Any]], str],
                                        aws: Callable[..., dict[str, Any]],
                                        screenshot: Callable[[str], Path]) -> None:
    arn = machine({"StartAt": "Check", "States": {
        "Check": {"Type": "Pass", "Next": "Explode"},
        "Explode": {"Type": "Fail", "Error": "Payment.Declined", "Cause": "card expired"}}})
    started = aws("StartExecution", stateMachineArn=arn, input="{}")
    page.goto(execution_url(server, started["executionArn"]))
    expect(node(page, "Explode")).to_have_attribute("data-status", "failed")
    node(page, "Explode").click()
    error = page.locator(".state-details .state-error")
    expect(error.locator(".error-name")).to_have_text("Payment.Declined")
    expect(error.locator(".cause")).to_have_text("card expired")
    page.locator("table.history tr.event-row", has_text="ExecutionFailed").click()
    expect(page.locator("tr.event-details")).to_contain_text("card expired")
    screenshot("execution-failed")


def test_stop_a_running_execution(page: Any, server: str, machine: Callable[[dict[str, Any]], str],
                                  aws: Callable[..., dict[str, Any]], screenshot: Callable[[str], Path]) -> None:
    arn = machine({"StartAt": "Forever", "States": {"Forever": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    started = aws("StartExecution", stateMachineArn=arn, input="{}")
    page.goto(execution_url(server, started["executionArn"]))
    expect(node(page, "Forever")).to_have_attribute("data-status", "running")
    page.click("#stop-execution")
    expect(page.locator("#execution-status")).to_have_text("ABORTED")
    expect(node(page, "Forever")).to_have_attribute("data-status", "aborted")
    expect(page.locator("#stop-execution")).to_have_count(0)
    assert aws("DescribeExecution", executionArn=started["executionArn"])["status"] == "ABORTED"
    screenshot("execution-stopped")


def test_stored_markup_renders_as_text(page: Any, server: str, machine: Callable[[dict[str, Any]], str],
                                       aws: Callable[..., dict[str, Any]],
                                       screenshot: Callable[[str], Path]) -> None:
    arn = machine({"Comment": XSS, "StartAt": XSS, "States": {
        XSS: {"Type": "Pass", "Next": "Boom"},
        "Boom": {"Type": "Fail", "Error": XSS, "Cause": XSS}}})
    started = aws("StartExecution", stateMachineArn=arn, input=json.dumps({XSS: XSS}))
    page.goto(execution_url(server, started["executionArn"]))
    expect(node(page, "Boom")).to_have_attribute("data-status", "failed")
    expect(page.locator("svg.graph .node-name", has_text=XSS)).to_have_count(1)
    expect(page.locator(".exec-error strong")).to_have_text(XSS)
    page.locator("[data-tab='Input & output']").click()
    expect(page.locator(".io-pane pre").first).to_contain_text(XSS)
    page.goto(f"{server}/console/machine?arn={urllib.parse.quote(arn)}")
    expect(page.locator(".definition-json")).to_contain_text(XSS)
    assert page.locator("img").count() == 0
    screenshot("xss-as-text")


def test_execution_list_filters_and_redrive(page: Any, server: str, machine: Callable[[dict[str, Any]], str],
                                            aws: Callable[..., dict[str, Any]]) -> None:
    arn = machine({"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "E"}}})
    for name in ("alpha-run", "beta-run"):
        aws("StartExecution", stateMachineArn=arn, name=name, input="{}")
    page.goto(f"{server}/console/executions?machine={urllib.parse.quote(arn)}")
    expect(page.locator("tr.execution-row")).to_have_count(2)
    page.fill("#name-filter", "beta")
    expect(page.locator("tr.execution-row")).to_have_count(1)
    expect(page.locator("tr.execution-row .execution-link")).to_have_text("beta-run")
    page.select_option("#status-filter", "SUCCEEDED")
    expect(page.locator("tr.execution-row")).to_have_count(0)
    page.select_option("#status-filter", "FAILED")
    expect(page.locator("tr.execution-row")).to_have_count(1)
    page.locator("tr.execution-row button", has_text="Redrive").click()
    expect(page.locator("tr.execution-row .badge")).to_have_text("FAILED")
    page.fill("#from-filter", "2999-01-01T00:00")
    expect(page.locator("tr.execution-row")).to_have_count(0)
    page.fill("#from-filter", "2000-01-01T00:00")
    page.fill("#to-filter", "2999-01-01T00:00")
    expect(page.locator("tr.execution-row")).to_have_count(1)


def test_execution_list_pages_older_and_newer_and_comes_back_to_its_page(
        page: Any, server: str, machine: Callable[[dict[str, Any]], str], aws: Callable[..., dict[str, Any]],
        screenshot: Callable[[str], Path]) -> None:
    arn = machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    for index in range(30):
        aws("StartExecution", stateMachineArn=arn, name=f"paged-{index:02d}", input="{}")
    page.goto(f"{server}/console/executions?machine={urllib.parse.quote(arn)}")
    rows, older, newer = page.locator("tr.execution-row"), page.locator(".pager .page-forward"), \
        page.locator(".pager .page-back")
    expect(rows).to_have_count(25)
    expect(rows.first.locator(".execution-link")).to_have_text("paged-29")
    expect(page.locator(".pager .page-number")).to_have_text("page 1")
    expect(newer).to_be_disabled()
    older.click()
    expect(page.locator(".pager .page-number")).to_have_text("page 2")
    expect(rows).to_have_count(5)
    expect(rows.last.locator(".execution-link")).to_have_text("paged-00")
    expect(older).to_be_disabled()
    screenshot("executions-page-2")
    rows.first.locator(".execution-link").click()
    expect(page.locator("#execution-status")).to_have_text("SUCCEEDED")
    page.go_back()
    expect(page.locator(".pager .page-number")).to_have_text("page 2")
    expect(rows.first.locator(".execution-link")).to_have_text("paged-04")
    newer.click()
    expect(page.locator(".pager .page-number")).to_have_text("page 1")
    expect(rows.first.locator(".execution-link")).to_have_text("paged-29")
    page.fill("#name-filter", "paged-0")
    expect(rows).to_have_count(10)
    expect(older).to_be_disabled()
    assert page.locator(".pager").inner_text().count("of") == 0


def test_machine_search_pages_in_store_order(page: Any, server: str, aws: Callable[..., dict[str, Any]]) -> None:
    marker = f"srch{uuid.uuid4().hex[:8]}"
    for index in range(3):
        aws("CreateStateMachine", name=f"{marker}-{index}", roleArn=ROLE,
            definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    page.goto(f"{server}/console/machines?q={marker.upper()}")
    expect(page.locator("tr.machine-row .machine-link")).to_have_text([f"{marker}-{i}" for i in range(3)])
    expect(page.locator(".pager .page-number")).to_have_text("page 1")
    page.fill("#machine-search", f"{marker}-2")
    expect(page.locator("tr.machine-row")).to_have_count(1)


def test_approve_a_waiting_activity_task_and_see_the_timeline(
        page: Any, server: str, machine: Callable[[dict[str, Any]], str], aws: Callable[..., dict[str, Any]],
        screenshot: Callable[[str], Path]) -> None:
    activity = aws("CreateActivity", name="console-approval")["activityArn"]
    arn = machine({"StartAt": "Approve", "States": {"Approve": {"Type": "Task", "Resource": activity, "End": True}}})
    started = aws("StartExecution", stateMachineArn=arn, name="needs-approval", input='{"amount": 42}')
    page.goto(f"{server}/console/activities")
    expect(page.locator("tr.activity-row", has_text="console-approval")).to_have_count(1)
    row = page.locator("tr.task-row", has_text="needs-approval")
    expect(row).to_contain_text("waiting for a worker")
    screenshot("activities")
    row.locator("textarea").fill('{"approved": "yes"}')
    row.locator("button.approve").click()
    expect(page.locator(".notice.ok")).to_have_text("Task approved.")
    page.goto(execution_url(server, started["executionArn"]))
    expect(page.locator("#execution-status")).to_have_text("SUCCEEDED")
    page.locator("[data-tab='Timeline']").click()
    expect(page.locator(".tl-row.tl-state")).to_have_count(1)
    expect(page.locator(".tl-row.tl-task")).to_have_count(1)
    assert json.loads(aws("DescribeExecution", executionArn=started["executionArn"])["output"]) == {"approved": "yes"}
