"""``held_write.write``: ``write(2)`` keeping the GIL, with ``os.write``'s results and errors."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from stepforge.observe import held_write


def test_it_appends_the_bytes_and_says_how_many(tmp_path: Path) -> None:
    descriptor = os.open(tmp_path / "trail", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        assert held_write.write(descriptor, b"first\n") == 6
        assert held_write.write(descriptor, "é\n".encode()) == 3
    finally:
        os.close(descriptor)
    assert (tmp_path / "trail").read_bytes() == "first\né\n".encode()


def test_a_failed_write_raises_oserror_with_its_errno(tmp_path: Path) -> None:
    descriptor = os.open(tmp_path / "read-only", os.O_RDONLY | os.O_CREAT, 0o600)  # open: its number stays ours
    try:
        with pytest.raises(OSError) as raised:
            held_write.write(descriptor, b"line\n")
    finally:
        os.close(descriptor)
    assert raised.value.errno == errno.EBADF


@pytest.mark.skipif(os.name != "posix", reason="elsewhere it is os.write")
def test_the_c_librarys_write_is_called_as_the_python_api_is_with_the_gil_held() -> None:
    import ctypes

    assert held_write._WRITE is not None
    assert held_write._WRITE._flags_ & ctypes._FUNCFLAG_PYTHONAPI  # type: ignore[attr-defined]  # what PyDLL sets
