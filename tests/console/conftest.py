"""A ``stepforge serve`` process and a headless Chromium (Debian's, driven by Playwright) per session.

Screenshots go to ``artifacts/screenshots/`` (CI keeps that folder as an artifact).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from stepforge.server import build
from tests.server_kit import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ROLE_ARN = "arn:aws:iam::000000000000:role/stepforge-console-test"


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The app in-process (API, console, engine thread) behind Starlette's test client."""
    app, engine = build()
    engine.start()
    try:
        with TestClient(app) as client:
            yield client
    finally:
        engine.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a ``stepforge serve`` subprocess."""
    workdir = tmp_path_factory.mktemp("console-server")
    with serve(["--host", "127.0.0.1", "--data-dir", str(workdir / "data")], log=workdir / "stderr.log") as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def aws(server: str) -> Callable[..., dict[str, Any]]:
    """``aws("StartExecution", stateMachineArn=...)`` -> the API's JSON answer (raises on an error)."""

    def call(operation: str, **params: Any) -> dict[str, Any]:
        request = urllib.request.Request(server + "/", data=json.dumps(params).encode(), headers={
            "X-Amz-Target": f"AWSStepFunctions.{operation}", "Content-Type": "application/x-amz-json-1.0"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answer: dict[str, Any] = json.loads(response.read())
                return answer
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{operation} failed: {exc.read().decode()}") from None

    return call


@pytest.fixture
def machine(aws: Callable[..., dict[str, Any]]) -> Callable[[dict[str, Any]], str]:
    """``machine(definition)`` -> the ARN of a new state machine with a unique name."""

    def create(definition: dict[str, Any]) -> str:
        name = f"console-{uuid.uuid4().hex[:12]}"
        return str(aws("CreateStateMachine", name=name, definition=json.dumps(definition),
                       roleArn=ROLE_ARN)["stateMachineArn"])

    return create


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page; any JavaScript error, dialog (``alert``) or CSP violation fails the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if message.type == "error" else None)
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert not problems, problems


@pytest.fixture
def screenshot(page: Any) -> Callable[[str], Path]:
    """``screenshot("name")`` saves the whole page as ``artifacts/screenshots/name.png``."""

    def save(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
