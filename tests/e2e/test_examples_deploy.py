"""Every example project's template deploys, as its README says, with ``stepforge deploy`` against a
real server, and deploying it again changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TEMPLATES = sorted(path.parent.name for path in EXAMPLES.glob("*/template.yaml"))


def test_every_example_project_has_a_template() -> None:
    assert TEMPLATES == sorted(path.parent.name for path in EXAMPLES.glob("*/pytest.ini"))


@pytest.mark.parametrize("project", TEMPLATES)
def test_the_example_template_deploys_and_redeploys_unchanged(endpoint: str, sfn: Any, project: str) -> None:
    def deploy() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "stepforge.cli", "deploy", "template.yaml", "--endpoint", endpoint],
                              cwd=EXAMPLES / project, capture_output=True, text=True, timeout=120, check=False)

    first = deploy()
    assert first.returncode == 0, first.stdout + first.stderr
    names = {machine["name"] for machine in sfn.list_state_machines()["stateMachines"]}
    assert project.replace("_", "-") in names
    again = deploy()
    assert again.returncode == 0 and "nothing to deploy" in (again.stdout + again.stderr).lower(), again.stdout
