"""Console login against a real ``stepforge serve``: pages need a session, a session's role bounds what
it may call, its writes need the CSRF token, and nothing about a cookie can be forged or outlive
logging out. The AWS API keeps answering SigV4 requests beside it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import httpx
import pytest

from stepforge.api.users import hash_password
from tests.e2e.conftest import ROLE_ARN, configured_server

KEY, SECRET = "AKIDLOGINTEST", "login-test-secret"
PASSWORDS = {"vera": "viewer password", "otto": "operator password", "ada": "admin password",
             "lou": "locked-out password"}
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def config() -> str:
    roles = {"vera": "viewer", "otto": "operator", "ada": "admin", "lou": "viewer"}
    users = "".join(f'[auth.users.{name}]\npassword = "{hash_password(PASSWORDS[name])}"\nrole = "{roles[name]}"\n'
                    for name in PASSWORDS)
    return f'[auth.keys]\n{KEY} = "{SECRET}"\n\n{users}'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with configured_server(tmp_path_factory.mktemp("login"), config(), "server with console users") as url:
        yield url


@pytest.fixture(scope="module")
def sfn(server: str) -> object:
    return boto3.client("stepfunctions", endpoint_url=server, region_name="us-east-1",
                        aws_access_key_id=KEY, aws_secret_access_key=SECRET)


@pytest.fixture(scope="module")
def machine(sfn: object) -> str:
    return str(sfn.create_state_machine(name="login-test", definition=PASS, roleArn=ROLE_ARN)  # type: ignore[attr-defined]
               ["stateMachineArn"])


def log_in(server: str, name: str, password: str | None = None, **fields: str) -> httpx.Response:
    form = {"username": name, "password": PASSWORDS.get(name, "x") if password is None else password, **fields}
    return httpx.post(f"{server}/console/login", data=form, headers={"Origin": server})


def session_of(server: str, name: str) -> tuple[httpx.Client, str]:
    """A client carrying ``name``'s session cookie, and the session's CSRF token."""
    response = log_in(server, name)
    assert response.status_code == 303
    client = httpx.Client(base_url=server, cookies=response.cookies)
    csrf = client.get("/console/api/session").json()["csrf"]
    return client, csrf


def call(client: httpx.Client, operation: str, params: dict[str, object], csrf: str | None) -> httpx.Response:
    headers = {"X-Amz-Target": f"AWSStepFunctions.{operation}", "Content-Type": "application/x-amz-json-1.0"}
    if csrf is not None:
        headers["X-Stepforge-Csrf"] = csrf
    return client.post("/", content=json.dumps(params), headers=headers)


def test_console_pages_send_a_stranger_to_the_login_page(server: str) -> None:
    response = httpx.get(f"{server}/console/executions?status=FAILED")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=%2Fconsole%2Fexecutions%3Fstatus%3DFAILED"
    page = httpx.get(f"{server}/console/login")
    assert page.status_code == 200 and 'name="password"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{server}/console/api/machines").json()["__type"].endswith("MissingAuthenticationTokenException")


def test_logging_in_sets_a_strict_http_only_cookie_and_goes_where_it_was_asked(server: str) -> None:
    response = log_in(server, "vera", next="/console/executions")
    assert response.status_code == 303 and response.headers["location"] == "/console/executions"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie  # plain HTTP here
    client = httpx.Client(base_url=server, cookies=response.cookies)
    assert client.get("/console/executions").status_code == 200
    who = client.get("/console/api/session").json()
    assert who["user"] == "vera" and who["role"] == "viewer" and who["csrf"]


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "console"])
def test_the_login_never_sends_anyone_to_another_site(server: str, target: str) -> None:
    assert log_in(server, "vera", next=target).headers["location"] == "/console"


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(server: str) -> None:
    wrong, unknown = log_in(server, "ada", "not it"), log_in(server, "nobody", "not it")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong user name or password." in wrong.text and "Wrong user name or password." in unknown.text
    assert "set-cookie" not in wrong.headers


def test_a_login_posted_from_another_site_or_without_origin_is_refused(server: str) -> None:
    form = {"username": "ada", "password": PASSWORDS["ada"]}
    assert httpx.post(f"{server}/console/login", data=form).status_code == 403
    assert httpx.post(f"{server}/console/login", data=form,
                      headers={"Origin": "http://evil.example"}).status_code == 403


def test_repeated_wrong_passwords_lock_the_user_name_for_a_while(server: str) -> None:
    for _ in range(5):
        assert log_in(server, "lou", "guess").status_code == 401
    assert log_in(server, "lou").status_code == 429  # even the right password, until the window passes
    assert log_in(server, "ada").status_code == 303  # other users are not affected


def test_a_viewer_reads_but_cannot_start_anything(server: str, machine: str) -> None:
    client, csrf = session_of(server, "vera")
    assert call(client, "DescribeStateMachine", {"stateMachineArn": machine}, csrf).status_code == 200
    refused = call(client, "StartExecution", {"stateMachineArn": machine}, csrf)
    assert refused.status_code == 400 and refused.json()["__type"].endswith("AccessDeniedException")
    assert "role viewer" in refused.json()["message"]
    assert client.get("/console/api/machines").status_code == 200


def test_an_operator_runs_executions_but_changes_no_definitions(server: str, machine: str) -> None:
    client, csrf = session_of(server, "otto")
    started = call(client, "StartExecution", {"stateMachineArn": machine}, csrf)
    assert started.status_code == 200 and "executionArn" in started.json()
    stopped = call(client, "StopExecution", {"executionArn": started.json()["executionArn"]}, csrf)
    assert stopped.status_code == 200
    refused = call(client, "DeleteStateMachine", {"stateMachineArn": machine}, csrf)
    assert refused.status_code == 400 and refused.json()["__type"].endswith("AccessDeniedException")


def test_an_admin_creates_state_machines(server: str) -> None:
    client, csrf = session_of(server, "ada")
    created = call(client, "CreateStateMachine", {"name": "made-in-console", "definition": PASS, "roleArn": ROLE_ARN},
                   csrf)
    assert created.status_code == 200, created.text


def test_a_write_without_the_csrf_token_is_refused(server: str, machine: str) -> None:
    client, csrf = session_of(server, "ada")
    for token in (None, "forged", csrf[:-2] + "xx"):
        refused = call(client, "StartExecution", {"stateMachineArn": machine}, token)
        assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    assert client.post("/console/api/validate", json={"definition": PASS}).status_code == 403


def test_a_tampered_cookie_is_no_session(server: str) -> None:
    response = log_in(server, "vera")
    value = response.cookies["stepforge_session"]
    payload, signature = value.rsplit(".", 1)
    forged = payload.replace(payload[5], "A" if payload[5] != "A" else "B") + "." + signature
    for cookie in (forged, payload + ".", "garbage", value + "x"):
        stranger = httpx.Client(base_url=server, cookies={"stepforge_session": cookie})
        assert stranger.get("/console/machines").status_code == 303
        assert stranger.get("/console/api/session").status_code == 403


def test_after_logging_out_the_cookie_opens_nothing(server: str) -> None:
    response = log_in(server, "vera")
    client = httpx.Client(base_url=server, cookies=response.cookies)
    csrf = client.get("/console/api/session").json()["csrf"]
    logout = client.post("/console/api/logout", headers={"X-Stepforge-Csrf": csrf})
    assert logout.status_code == 200 and "Max-Age=0" in logout.headers["set-cookie"]
    replay = httpx.Client(base_url=server, cookies=response.cookies)  # the old cookie, kept by an attacker
    assert replay.get("/console/machines").status_code == 303


def test_signed_api_requests_work_beside_console_sessions(sfn: object, machine: str) -> None:
    described = sfn.describe_state_machine(stateMachineArn=machine)  # type: ignore[attr-defined]
    assert described["name"] == "login-test"


def test_approval_pages_carry_the_console_security_headers(server: str) -> None:
    page = httpx.get(f"{server}/approval/approve?token=t&sig=s")
    assert page.status_code == 403
    assert page.headers["x-frame-options"] == "DENY" and "default-src 'none'" in page.headers["content-security-policy"]
