"""Console users: passwords kept only as scrypt hashes, roles that bound what each may call."""

from __future__ import annotations

import pytest

from stepforge.api.credentials import AuthConfigError, parse_auth
from stepforge.api.users import Role, check_password, hash_password, role_allows


def test_a_hash_checks_its_own_password_and_no_other() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$16384$8$1$")
    assert check_password(stored, "correct horse")
    assert not check_password(stored, "correct horsf")
    assert hash_password("correct horse") != stored  # a new salt each time


@pytest.mark.parametrize("stored", ["", "plain", "scrypt$1$2$3", "md5$16384$8$1$AAAA$AAAA", "scrypt$x$8$1$AA$AA"])
def test_a_malformed_hash_matches_nothing(stored: str) -> None:
    assert not check_password(stored, "anything")


def test_roles_grow_from_reading_to_running_to_changing() -> None:
    assert role_allows(Role.VIEWER, "DescribeExecution") and not role_allows(Role.VIEWER, "StartExecution")
    assert not role_allows(Role.VIEWER, "TestState")  # TestState may run an HTTP Task
    assert role_allows(Role.OPERATOR, "StartExecution") and role_allows(Role.OPERATOR, "SendTaskSuccess")
    assert not role_allows(Role.OPERATOR, "CreateStateMachine")
    assert not role_allows(Role.OPERATOR, "DeleteStateMachine")
    assert role_allows(Role.ADMIN, "DeleteStateMachine")
    assert not role_allows(Role.ADMIN, "NoSuchOperation")


def test_users_are_read_from_the_auth_section() -> None:
    stored = hash_password("a long password")
    auth = parse_auth({"users": {"alice": {"password": stored, "role": "operator"}}, "session_hours": 2})
    assert auth.users["alice"].role is Role.OPERATOR
    assert auth.session_seconds == 7200


@pytest.mark.parametrize(("users", "says"), [
    ({"alice": {"password": "hunter22", "role": "admin"}}, "never the password itself"),
    ({"alice": {"password": None}}, "never the password itself"),
    ({"alice": {"password": hash_password("a long password"), "role": "root"}}, "role must be one of"),
    ({"alice": "secret"}, "must be a table with password and role"),
])
def test_a_user_that_cannot_be_used_is_refused_with_where_and_why(users: object, says: str) -> None:
    with pytest.raises(AuthConfigError, match=says):
        parse_auth({"users": users})
