"""The approval links' signing key: made once, atomically, owner-only; a short key file is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepforge.tasks.approval import KEY_BYTES, KEY_NAME, KeyFileError, load_secret


def test_a_new_key_is_made_once_owner_only_with_no_temporary_file_left(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = load_secret(data)
    assert len(key) == KEY_BYTES and load_secret(data) == key
    assert [p.name for p in data.iterdir()] == [KEY_NAME]
    assert (data / KEY_NAME).stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("content", [b"", b"short"])
def test_an_empty_or_short_key_file_is_refused_and_left_as_it_is(tmp_path: Path, content: bytes) -> None:
    (tmp_path / KEY_NAME).write_bytes(content)
    with pytest.raises(KeyFileError, match=f"holds {len(content)} bytes"):
        load_secret(tmp_path)
    assert (tmp_path / KEY_NAME).read_bytes() == content


def test_a_key_that_cannot_be_written_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("stepforge.tasks.approval.os.write", full)
    with pytest.raises(OSError, match="No space left"):
        load_secret(tmp_path)
    assert list(tmp_path.iterdir()) == []
