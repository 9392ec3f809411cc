"""Console login in a real browser: a stranger lands on the login page, comes back where they were
going once logged in, sees who they are, and is sent back to the login page after logging out."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from stepforge.api.users import hash_password
from tests.e2e.conftest import configured_server

expect = pytest.importorskip("playwright.sync_api").expect

PASSWORD = "console admin password"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = f'[auth.users.ada]\npassword = "{hash_password(PASSWORD)}"\nrole = "admin"\n'
    with configured_server(tmp_path_factory.mktemp("console-login"), config, "server with console login") as url:
        yield url


def log_in(page: Any, user: str, password: str) -> None:
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_log_in_work_and_log_out(page: Any, guarded: str) -> None:
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    page.goto(f"{guarded}/console/editor")
    expect(page).to_have_url(f"{guarded}/console/login?next=%2Fconsole%2Feditor")
    log_in(page, "ada", PASSWORD)
    expect(page).to_have_url(f"{guarded}/console/editor")
    expect(page.locator("header .who")).to_have_text("ada (admin)")
    # A write from the page (validation is a POST) carries the session's CSRF token and succeeds.
    answer = page.evaluate("""async (definition) => {
        const { post } = await import('/console/static/js/api.js');
        return post('validate', { definition });
    }""", definition)
    assert answer["result"] == "OK" and answer["diagnostics"] == []
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{guarded}/console/login")
    page.goto(f"{guarded}/console/machines")
    expect(page).to_have_url(f"{guarded}/console/login?next=%2Fconsole%2Fmachines")


def test_an_open_console_shows_no_login(page: Any, server: str) -> None:
    with urllib.request.urlopen(f"{server}/console/api/session") as response:
        assert json.loads(response.read()) == {"login": False, "user": None, "role": "admin", "csrf": None}
    page.goto(f"{server}/console/machines")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("header .who")).to_have_count(0)
