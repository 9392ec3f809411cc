"""The console's cross-machine reads: machines being deleted, and pages of filtered lists on either store."""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stepforge.service import console_queries, executions, statemachines
from stepforge.service.errors import InvalidToken, ValidationException
from stepforge.store.sqlite import SqliteStore
from stepforge.testing import Harness

WAITING = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}


@pytest.fixture(params=["memory", "sqlite"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    deployment = Harness() if request.param == "memory" else Harness(store=SqliteStore(tmp_path))
    yield deployment
    deployment.store.close()


def every_page(read: Callable[[dict[str, str]], dict[str, Any]], params: dict[str, str], key: str) -> list[list[str]]:
    """The names on each page of a console list, following its ``next`` tokens to the end."""
    pages: list[list[str]] = []
    while True:
        found = read(params)
        pages.append([item["name"] for item in found[key]])
        if found["next"] is None:
            return pages
        params = {**params, "next": found["next"]}


def started(harness: Harness, machine: str, *names: str) -> None:
    for name in names:
        harness.call(executions.start, stateMachineArn=machine, name=name)
        harness.clock.advance(1)


def test_a_machine_being_deleted_shows_while_it_runs_and_then_goes(harness: Harness) -> None:
    kept, deleted = harness.create(WAITING), harness.create(WAITING)
    run = harness.call(executions.start, stateMachineArn=deleted)["executionArn"]
    harness.call(statemachines.delete, stateMachineArn=deleted)
    shown = {m["stateMachineArn"]: m["status"] for m in console_queries.machines(harness.ctx, {})["stateMachines"]}
    assert shown == {kept: "ACTIVE", deleted: "DELETING"}
    harness.run_until_done(run)
    assert [m["stateMachineArn"] for m in console_queries.machines(harness.ctx, {})["stateMachines"]] == [kept]


def test_machines_are_searched_by_name_and_paged(harness: Harness) -> None:
    for _ in range(5):
        harness.create(WAITING)
        harness.clock.advance(1)
    read = functools.partial(console_queries.machines, harness.ctx)
    assert every_page(read, {"limit": "2"}, "stateMachines") == [["m1", "m2"], ["m3", "m4"], ["m5"]]
    assert every_page(read, {"q": "M3"}, "stateMachines") == [["m3"]]


def test_executions_across_machines_newest_first_a_page_at_a_time(harness: Harness) -> None:
    first, second = harness.create(WAITING), harness.create(WAITING)
    started(harness, first, "run-0")
    started(harness, second, "run-1")
    started(harness, first, "run-2")
    read = functools.partial(console_queries.executions, harness.ctx)
    assert every_page(read, {"limit": "2"}, "executions") == [["run-2", "run-1"], ["run-0"]]
    assert every_page(read, {"machine": first, "q": "RUN-0"}, "executions") == [["run-0"]]


def test_executions_filter_by_status_name_and_start_time_page_by_page(harness: Harness) -> None:
    machine = harness.create(WAITING)
    begin = harness.clock.now()
    started(harness, machine, *(f"{'order' if i % 2 else 'refund'}-{i}" for i in range(8)))
    read = functools.partial(console_queries.executions, harness.ctx)
    window = {"machine": machine, "status": "RUNNING", "q": "ORDER", "from": str(begin + 2), "to": str(begin + 7),
              "limit": "2"}
    assert every_page(read, window, "executions") == [["order-7", "order-5"], ["order-3"]]
    assert read({"status": "SUCCEEDED"}) == {"executions": [], "next": None}


def test_a_page_answers_no_total_and_no_offset(harness: Harness) -> None:
    started(harness, harness.create(WAITING), "only")
    page = console_queries.executions(harness.ctx, {})
    assert set(page) == {"executions", "next"} and page["next"] is None


def test_a_token_of_another_list_or_edited_by_hand_is_refused(harness: Harness) -> None:
    machine = harness.create(WAITING)
    started(harness, machine, "a", "b")
    token = console_queries.executions(harness.ctx, {"limit": "1"})["next"]
    assert console_queries.executions(harness.ctx, {"limit": "1", "next": token})["executions"][0]["name"] == "a"
    body = json.loads(base64.urlsafe_b64decode(token))
    forged = base64.urlsafe_b64encode(json.dumps({**body, "after": "[1e12,1]"}).encode()).decode()
    for bad in (forged, "not-a-token"):
        with pytest.raises(InvalidToken):
            console_queries.executions(harness.ctx, {"next": bad})
    with pytest.raises(InvalidToken):
        console_queries.machines(harness.ctx, {"next": token})


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "ten"}, {"from": "yesterday"}, {"to": "nan"}])
def test_bad_paging_or_time_parameters_are_a_validation_error(harness: Harness, params: dict[str, str]) -> None:
    with pytest.raises(ValidationException):
        console_queries.executions(harness.ctx, params)


def test_a_page_is_at_most_the_longest_page(harness: Harness) -> None:
    machine = harness.create(WAITING)
    started(harness, machine, *(f"e{i}" for i in range(console_queries.MAX_PAGE + 1)))
    page = console_queries.executions(harness.ctx, {"limit": "100000"})
    assert len(page["executions"]) == console_queries.MAX_PAGE and page["next"] is not None
