"""The ``[logs]`` section of ``serve --config``: where execution logs go, refused with a reason when unusable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stepforge.engine.logs import STDOUT, ExecutionLogs, LogSettings
from stepforge.engine.logs_config import LogsConfigError, load_logs, parse_logs


def test_without_a_logs_section_groups_go_to_files_under_the_data_dir(tmp_path: Path) -> None:
    settings = load_logs(None, tmp_path)
    assert settings == LogSettings(tmp_path / "logs", False, {})
    assert ExecutionLogs(settings).path("/aws/vendedlogs/states/orders") == tmp_path / "logs/aws/vendedlogs/states/orders.log"


def test_a_config_file_names_the_dir_stdout_and_groups_of_their_own(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[logs]\ndir = "{tmp_path / "elsewhere"}"\n\n[logs.groups]\n"orders" = "-"\n'
                    f'"billing" = "{tmp_path / "billing.jsonl"}"\n')
    logs = ExecutionLogs(load_logs(path, tmp_path))
    assert logs.path("orders") == STDOUT
    assert logs.path("billing") == tmp_path / "billing.jsonl"
    assert logs.path("../../etc/x") == tmp_path / "elsewhere" / "etc" / "x.log"  # never above the dir
    assert ExecutionLogs(parse_logs({"stdout": True}, tmp_path)).path("any") == STDOUT


@pytest.mark.parametrize(("section", "complaint"), [
    ({"stdout": "yes"}, "stdout must be true or false"),
    ({"directory": "/x"}, "unknown settings: directory"),
    ({"dir": 3}, "dir must be a directory path"),
    ({"groups": {"orders": 1}}, "[logs.groups] must map log group names"),
    ([], "[logs] must be a table"),
])
def test_an_unusable_logs_section_is_refused_saying_why(tmp_path: Path, section: Any, complaint: str) -> None:
    with pytest.raises(LogsConfigError, match="config: ") as raised:
        parse_logs(section, tmp_path)
    assert complaint in str(raised.value)


def test_serve_refuses_to_start_with_an_unusable_logs_section(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[logs]\nstdout = 1\n")
    result = subprocess.run([sys.executable, "-m", "stepforge.cli", "serve", "--port", "0", "--data-dir",
                             str(tmp_path / "data"), "--config", str(tmp_path / "config.toml")],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "[logs] stdout must be true or false" in result.stderr
    assert not (tmp_path / "data").exists()  # refused before anything touched the data directory
