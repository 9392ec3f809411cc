"""The e2e server fixtures (a real ``stepforge serve`` over HTTP, boto3 clients), and deploying to it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stepforge.deploy import parameters, plan
from stepforge.deploy.clients import Api
from stepforge.deploy.stack import Stack
from stepforge.deploy.template import load
from tests.e2e.conftest import (  # noqa: F401 - fixtures shared with tests/e2e
    endpoint,
    sfn,
    unique_name,
    wait_for_execution,
)

REGION = "us-east-1"


class Deployer:
    """Deploys template text as one stack to the session's server, counting API writes per call."""

    def __init__(self, url: str, folder: Path, stack: str) -> None:
        self.url, self.folder, self.stack = url, folder, stack
        self.writes = 0

    def write(self, text: str, name: str = "template.yaml") -> Path:
        path = self.folder / name
        path.write_text(text)
        return path

    def preview(self, text: str, ignore: tuple[str, ...] = (), **overrides: str) -> plan.Outcome:
        return self._run(text, overrides, ignore, plan.preview)

    def apply(self, text: str, ignore: tuple[str, ...] = (), **overrides: str) -> plan.Outcome:
        """As ``stepforge deploy`` does: the whole change set planned first, then applied."""

        def both(deployment: plan.Deployment, api: Api) -> plan.Outcome:
            plan.preview(deployment, api)
            return plan.apply(deployment, api)

        return self._run(text, overrides, ignore, both)

    def _run(self, text: str, overrides: dict[str, str], ignore: tuple[str, ...],
             step: Callable[..., plan.Outcome]) -> plan.Outcome:
        template = load(self.write(text))
        api = Api(self.url, REGION)
        try:
            stack = Stack(self.stack, REGION, plan.discover_account(api))
            values = parameters.resolve(template.parameters, overrides)
            return step(plan.Deployment(template, stack, values, frozenset(ignore)), api)
        finally:
            self.writes = api.writes


@pytest.fixture
def deployer(endpoint: str, tmp_path: Path, unique_name: Callable[[str], str]) -> Deployer:  # noqa: F811
    return Deployer(endpoint, tmp_path, unique_name("stack"))

