"""The audit trail's file: CloudTrail-shaped lines, payloads hidden, rotation, filters, ``stepforge audit``."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stepforge.cli import main
from stepforge.http_protocol import CoalescingTransport
from stepforge.observe import audit
from stepforge.observe.audit import AuditLog, Call, event, files, read
from stepforge.observe.cli import parse_since
from tests.async_kit import run_alone

MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:orders"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def call(operation: str = "StartExecution", *, key: str | None = "AKIDALICE", at: datetime = NOW,
         error: str | None = None, **params: object) -> Call:
    return Call(operation=operation, params={"stateMachineArn": MACHINE, **params},
                access_key=key, source_ip="10.0.0.7", user_agent="aws-cli/2", region="eu-west-1",
                account="000000000000", error_code=error,
                response={"message": "no such machine"} if error else
                         {"executionArn": MACHINE.replace("stateMachine", "execution") + ":e1"},
                at=at.timestamp())


def test_an_accepted_call_in_cloudtrails_shape() -> None:
    shaped = event(call(input='{"card": "4111"}', name="e1"))
    assert shaped["eventSource"] == "states.amazonaws.com" and shaped["eventName"] == "StartExecution"
    assert shaped["eventTime"] == "2026-03-01T12:00:00.000000Z"
    assert shaped["userIdentity"] == {"type": "IAMUser", "accountId": "000000000000", "accessKeyId": "AKIDALICE",
                                      "userName": "AKIDALICE"}
    assert shaped["sourceIPAddress"] == "10.0.0.7" and shaped["awsRegion"] == "eu-west-1"
    assert shaped["requestParameters"] == {"stateMachineArn": MACHINE, "input": "HIDDEN_DUE_TO_SECURITY_REASONS",
                                           "name": "e1"}
    assert [r["type"] for r in shaped["resources"]] == ["AWS::StepFunctions::StateMachine",
                                                         "AWS::StepFunctions::Execution"]
    assert "errorCode" not in shaped


def test_a_refused_call_carries_the_error_code_and_message() -> None:
    shaped = event(call(error="StateMachineDoesNotExist", key=None))
    assert (shaped["errorCode"], shaped["errorMessage"]) == ("StateMachineDoesNotExist", "no such machine")
    assert shaped["userIdentity"]["type"] == "Anonymous" and "responseElements" not in shaped


def test_long_and_nested_parameters_are_trimmed() -> None:
    shaped = event(call(name="n" * 1000, tags=[{"key": "k", "value": "v" * 1000}]))
    assert len(shaped["requestParameters"]["name"]) == 256
    assert isinstance(shaped["requestParameters"]["tags"], str) and len(shaped["requestParameters"]["tags"]) == 256


def test_the_log_appends_lines_and_rotates_past_its_size(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, max_bytes=2000, keep=2)
    for _ in range(12):
        log.record(call())
    log.close()
    kept = files(path)
    assert [p.name for p in kept] == ["audit.jsonl.2", "audit.jsonl.1", "audit.jsonl"]
    assert all(len(json.loads(line)) > 5 for p in kept for line in p.read_text().splitlines())


def test_a_recorded_call_is_in_the_file_before_record_returns(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record(call(name="e1"))
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()  # not closed: what a killed process leaves
    assert [json.loads(text)["requestParameters"]["name"] for text in lines] == ["e1"]
    log.close()


def names(path: Path) -> list[str]:
    """The ``name`` parameters of the trail's lines, in order (none: no trail yet)."""
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(text)["requestParameters"]["name"] for text in lines]


def test_calls_recorded_on_a_bound_loop_are_written_together_at_the_end_of_their_turn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, writes = tmp_path / "audit.jsonl", []
    monkeypatch.setattr("stepforge.observe.held_write.write", lambda fd, data: writes.append(data) or len(data))

    async def main() -> None:
        log = AuditLog(path)
        log.batch_on(asyncio.get_running_loop())
        log.record(call(name="e1"))
        log.record(call(name="e2"))
        assert writes == []  # kept for the turn's flush
        await asyncio.sleep(0)
        assert [[json.loads(text)["requestParameters"]["name"] for text in data.splitlines()] for data in writes] \
            == [["e1", "e2"]]
        log.close()
    run_alone(main())


def test_a_turns_answers_go_out_after_its_calls_are_in_the_trail(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    seen_when_sent: list[list[str]] = []

    class Socket(asyncio.Transport):
        def write(self, data: bytes | bytearray | memoryview) -> None:
            seen_when_sent.append(names(path))

        def is_closing(self) -> bool:
            return False

    async def main() -> None:
        log = AuditLog(path)
        log.batch_on(asyncio.get_running_loop())
        transport = CoalescingTransport(Socket(), asyncio.get_running_loop(), log.flush)
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")  # an answer's head: its sending is due before the trail's flush
        log.record(call(name="e1"))
        transport.write(b"{}")
        await asyncio.sleep(0)
        log.close()
    run_alone(main())
    assert seen_when_sent == [["e1"]]


def test_calls_recorded_off_the_bound_loops_thread_are_written_at_once(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"

    async def main() -> list[str]:
        log = AuditLog(path)
        log.batch_on(asyncio.get_running_loop())
        worker = threading.Thread(target=log.record, args=(call(name="e1"),))
        worker.start()
        worker.join()
        found = names(path)
        log.close()
        return found
    assert run_alone(main()) == ["e1"]


def test_closing_writes_what_the_turn_kept(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"

    async def main() -> None:
        log = AuditLog(path)
        log.batch_on(asyncio.get_running_loop())
        log.record(call(name="e1"))
        log.close()  # the loop ends before its next turn (a server stopping)
    run_alone(main())
    assert names(path) == ["e1"]


def test_values_orjson_refuses_are_written_as_json_writes_them(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record(call(name="\ud800x", count=2**70))  # a lone surrogate (JSON can escape one), an integer past 64 bits
    log.close()
    [shaped] = [json.loads(text) for text in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert shaped["requestParameters"]["name"] == "\ud800x" and shaped["requestParameters"]["count"] == 2**70


def test_read_filters_by_time_actor_and_resource_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.record(call(at=NOW - timedelta(hours=3)))
    log.record(call("CreateActivity", key="AKIDBOB", at=NOW - timedelta(hours=1)))
    log.record(call(at=NOW))
    log.close()
    assert [e["eventName"] for e in read(path)] == ["StartExecution", "CreateActivity", "StartExecution"]
    assert len(list(read(path, since=NOW - timedelta(hours=2)))) == 2
    assert [e["eventName"] for e in read(path, actor_id="AKIDBOB")] == ["CreateActivity"]
    assert len(list(read(path, resource="execution:orders"))) == 3
    assert list(read(path, resource="stateMachine:other")) == []


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.record(call())
    log.close()
    with path.open("a") as stream:
        stream.write('{"eventName": "Cut sh')
    assert len(list(read(path))) == 1


def test_since_takes_a_time_or_a_duration_ago() -> None:
    assert parse_since("90m", NOW) == NOW - timedelta(minutes=90)
    assert parse_since("7d", NOW) == NOW - timedelta(days=7)
    assert parse_since("2026-02-01T10:00", NOW) == datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="--since"):
        parse_since("yesterday", NOW)


def test_the_audit_command_prints_the_matching_calls(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record(call())
    log.record(call("DeleteStateMachine", key="AKIDBOB", error="AccessDeniedException"))
    log.close()
    assert main(["audit", "--data-dir", str(tmp_path), "--actor", "AKIDBOB"]) == 0
    out = capsys.readouterr().out
    assert "DeleteStateMachine" in out and "AccessDeniedException" in out and "StartExecution" not in out
    assert main(["audit", "--data-dir", str(tmp_path), "--json"]) == 0
    assert [json.loads(line)["eventName"] for line in capsys.readouterr().out.splitlines()] \
        == ["StartExecution", "DeleteStateMachine"]


def test_the_audit_command_refuses_a_missing_trail_and_a_bad_since(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--data-dir", str(tmp_path)]) == 2
    assert "no audit trail" in capsys.readouterr().err
    (tmp_path / "audit.jsonl").write_text("")
    assert main(["audit", "--data-dir", str(tmp_path), "--since", "soon"]) == 2
    assert "--since" in capsys.readouterr().err


def test_the_trail_is_its_owners_only(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "trail" / "audit.jsonl", max_bytes=100, keep=2)
    for _ in range(3):
        log.record(call())
    log.record(call())
    log.close()
    kept = files(tmp_path / "trail" / "audit.jsonl")
    assert len(kept) == 3 and {p.stat().st_mode & 0o777 for p in kept} == {0o600}
    assert (tmp_path / "trail").stat().st_mode & 0o777 == 0o700


def test_a_trail_that_cannot_be_written_says_so_once_and_keeps_going(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "not-a-directory").write_text("")
    log = AuditLog(tmp_path / "not-a-directory" / "audit.jsonl")
    for _ in range(3):
        log.record(call())
    log.close()
    errors = [r for r in caplog.records if r.name == "stepforge.observe.audit"]
    assert len(errors) == 1 and "cannot write the audit trail" in errors[0].getMessage()
    assert errors[0].exc_info is None


def test_a_call_that_cannot_be_shaped_costs_only_its_own_line(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "audit.jsonl"
    shape = audit.encoded
    monkeypatch.setattr(audit, "encoded", lambda c: shape(c) if c.params.get("name") != "bad" else 1 / 0)

    async def main() -> None:
        log = AuditLog(path)
        log.batch_on(asyncio.get_running_loop())
        for name in ("e1", "bad", "e2"):
            log.record(call(name=name))
        log.flush()  # what the transport calls before the turn's answers: it must not raise
        log.close()
    run_alone(main())
    assert names(path) == ["e1", "e2"]
