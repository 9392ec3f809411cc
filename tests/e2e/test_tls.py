"""HTTPS: ``serve --tls-cert/--tls-key`` serves the API and the console over TLS only; boto3 verifies
the certificate; console cookies are marked Secure; bad options stop ``serve`` before it starts."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from stepforge.api.users import hash_password
from tests.e2e.conftest import configured_server

PASSWORD = "tls admin password"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with openssl."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def https(certificate: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cert, key = certificate
    config = f'[auth.users.ada]\npassword = "{hash_password(PASSWORD)}"\nrole = "admin"\n'
    with configured_server(tmp_path_factory.mktemp("https"), config, "HTTPS server",
                           args=("--tls-cert", str(cert), "--tls-key", str(key)), scheme="https") as url:
        yield url


def test_boto3_talks_to_the_server_over_verified_tls(https: str, certificate: tuple[Path, Path]) -> None:
    sfn = boto3.client("stepfunctions", endpoint_url=https, region_name="us-east-1", verify=str(certificate[0]),
                       aws_access_key_id="k", aws_secret_access_key="s")
    assert sfn.list_state_machines()["stateMachines"] == []


def test_plain_http_gets_no_answer_on_the_tls_port(https: str) -> None:
    with pytest.raises(httpx.HTTPError):
        httpx.get(https.replace("https://", "http://") + "/console/login", timeout=5)


def test_the_session_cookie_is_secure_over_https(https: str, certificate: tuple[Path, Path]) -> None:
    response = httpx.post(f"{https}/console/login", data={"username": "ada", "password": PASSWORD},
                          headers={"Origin": https}, verify=ssl.create_default_context(cafile=certificate[0]))
    assert response.status_code == 303
    assert "; Secure" in response.headers["set-cookie"] and "HttpOnly" in response.headers["set-cookie"]


@pytest.mark.parametrize(("options", "says"), [
    (["--tls-cert", "cert.pem"], "--tls-cert and --tls-key go together"),
    (["--tls-cert", "missing.pem", "--tls-key", "missing.pem"], "cannot use --tls-cert"),
])
def test_unusable_tls_options_stop_serve_with_a_reason(tmp_path: Path, options: list[str], says: str) -> None:
    done = subprocess.run([sys.executable, "-m", "stepforge.cli", "serve", "--port", "0", "--data-dir",
                           str(tmp_path / "data"), *[str(tmp_path / o) if o.endswith(".pem") else o for o in options]],
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and says in done.stderr
    assert not (tmp_path / "data").exists()  # refused before touching the data directory
