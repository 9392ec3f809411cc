"""Terraform's AWS provider, unchanged, against a server with access keys: it creates a state machine
(published, with an alias) and an activity, plans no changes on a second run, destroys them; a wrong
secret is refused with AWS's signature error.

Needs ``terraform`` and the hashicorp/aws provider in a local mirror (``TF_PROVIDER_MIRROR``, default
``/opt/tf-plugins``): neither is a Debian package, so without them the test is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import configured_server

KEY, SECRET = "AKIDTERRAFORM", "terraform-secret"
PROVIDER = "5.100.0"
MIRROR = Path(os.environ.get("TF_PROVIDER_MIRROR", "/opt/tf-plugins"))
TERRAFORM = shutil.which("terraform")

pytestmark = pytest.mark.skipif(
    TERRAFORM is None or not (MIRROR / "registry.terraform.io/hashicorp/aws" / PROVIDER).is_dir(),
    reason=f"terraform and the hashicorp/aws {PROVIDER} provider in {MIRROR} are needed")

MAIN_TF = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "%(provider)s" }
  }
}
provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "%(key)s"
  secret_key                  = "%(secret)s"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints { sfn = "%(endpoint)s" }
}
resource "aws_sfn_activity" "review" { name = "tf-review" }
resource "aws_sfn_state_machine" "hello" {
  name       = "tf-hello"
  role_arn   = "arn:aws:iam::000000000000:role/tf"
  publish    = true
  definition = jsonencode({ StartAt = "P", States = { P = { Type = "Pass", End = true } } })
  tags       = { team = "payments" }
}
resource "aws_sfn_alias" "live" {
  name = "live"
  routing_configuration {
    state_machine_version_arn = aws_sfn_state_machine.hello.state_machine_version_arn
    weight                    = 100
  }
}
output "machine" { value = aws_sfn_state_machine.hello.arn }
"""


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = f'[auth.keys]\n{KEY} = "{SECRET}"\n'
    with configured_server(tmp_path_factory.mktemp("terraform-server"), config, "server for Terraform") as url:
        yield url


def project(folder: Path, endpoint: str, secret: str = SECRET) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.tf").write_text(MAIN_TF % {"provider": PROVIDER, "key": KEY, "secret": secret,
                                               "endpoint": endpoint})
    terraform(folder, "init", f"-plugin-dir={MIRROR}")
    return folder


def terraform(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0",
           "TF_CLI_CONFIG_FILE": os.devnull}
    done = subprocess.run([str(TERRAFORM), *args, "-no-color"], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"terraform {args[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def test_terraform_applies_plans_nothing_more_and_destroys(endpoint: str, tmp_path: Path) -> None:
    folder = project(tmp_path / "stack", endpoint)
    terraform(folder, "apply", "-auto-approve")
    machine = terraform(folder, "output", "-raw", "machine").stdout.strip()
    assert machine == "arn:aws:states:eu-west-1:000000000000:stateMachine:tf-hello"
    assert terraform(folder, "plan", "-detailed-exitcode", check=False).returncode == 0  # 2 would mean drift
    terraform(folder, "destroy", "-auto-approve")
    assert "tf-hello" not in terraform(folder, "show").stdout


def test_terraform_with_a_wrong_secret_is_refused(endpoint: str, tmp_path: Path) -> None:
    folder = project(tmp_path / "wrong", endpoint, secret="not-the-secret")
    refused = terraform(folder, "apply", "-auto-approve", check=False)
    assert refused.returncode != 0
    assert "InvalidSignatureException" in refused.stderr or "SignatureDoesNotMatch" in refused.stderr, refused.stderr
