"""The --config file is read one way for every section."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepforge.api.credentials import AuthConfigError, load_auth
from stepforge.api.throttle_config import ThrottleConfigError, load_throttle
from stepforge.config_file import ConfigFileError, read_config
from stepforge.tasks.config import ConfigError, load


def test_toml_and_json_read_alike(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[auth.keys]\nAKID = "s"\n')
    (tmp_path / "a.json").write_text('{"auth": {"keys": {"AKID": "s"}}}')
    assert read_config(tmp_path / "a.toml") == read_config(tmp_path / "a.json")


def test_every_section_names_the_unreadable_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[auth\n")
    for loader, error in ((load_auth, AuthConfigError), (load_throttle, ThrottleConfigError), (load, ConfigError)):
        with pytest.raises(error, match="broken.toml"):
            loader(broken)


def test_a_file_that_is_no_table_is_refused_clearly(tmp_path: Path) -> None:
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    with pytest.raises(ConfigFileError, match="top level must be a table"):
        read_config(listed)
