"""``stepforge db migrate`` and ``db check`` on both backends, through ``main`` as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from backends import BACKENDS

from stepforge.cli import main
from stepforge.store.schema import MIGRATIONS


def _store_arguments(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> list[str]:
    if backend == "postgresql":
        return ["--db", request.getfixturevalue("postgres_cluster").create_database("cli_db")]
    return ["--data-dir", str(tmp_path / "data")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrate_applies_every_migration_once_then_reports_up_to_date(
        request: pytest.FixtureRequest, backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = _store_arguments(request, backend, tmp_path)
    latest = len(MIGRATIONS)
    assert main(["db", "migrate", *arguments]) == 0
    assert f"schema version 0 -> {latest} (applied {latest} migrations)" in capsys.readouterr().out
    assert main(["db", "migrate", *arguments]) == 0
    assert f"schema version {latest}, up to date" in capsys.readouterr().out
    assert main(["db", "check", *arguments]) == 0
    assert capsys.readouterr().out.strip() == "0 executions, 0 events, 0 problems"


def test_a_database_url_of_another_kind_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["db", "migrate", "--db", "mysql://root@localhost/x", "--data-dir", str(tmp_path)]) == 2
    assert "expected a postgresql://" in capsys.readouterr().err
    assert not (tmp_path / "stepforge.sqlite3").exists()


def test_an_unreachable_database_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    unreachable = f"postgresql://postgres@/x?host={tmp_path}&port=1"  # no server has that socket
    assert main(["db", "check", "--db", unreachable]) == 2
    assert main(["db", "migrate", "--db", unreachable]) == 2
    errors = capsys.readouterr().err
    assert errors.count("stepforge: ") == 2 and "Traceback" not in errors
