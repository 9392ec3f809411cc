"""``write(2)`` that keeps the GIL, for the short appends made on an event loop's thread.

``os.write`` lets go of the GIL for its system call. On the thread of ``serve``'s event loop, beside the
engine's thread busy running Python, getting the GIL back after the call means waiting until the
engine's thread hands it over: up to the interpreter's switch interval (5 ms), while the loop, and
every answer it holds, waits. Measured in ``serve`` (the benchmark kit's parallel scenario, 1,800
audited calls): the audit trail's appends took a median of 54 us, a mean of 964 us and a 99th
percentile of 5.9 ms, where the write itself takes 2-4 us (it copies a few hundred bytes into the page
cache). Called through :class:`ctypes.PyDLL`, which keeps the GIL, ``write(2)`` takes just that.

The price: while such a write blocks (the disk is under heavy writeback), every Python thread of the
process waits too. For lines of a few kilobytes into the page cache that is microseconds, and the
engine's own thread does the same to the loop on every batch it runs. Where the C library cannot be
loaded this way (Windows), :func:`os.write`.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Callable


def _libc_write() -> Callable[[int, bytes, int], int] | None:
    try:
        libc = ctypes.PyDLL(None, use_errno=True)  # PyDLL: the GIL is kept for the call
        write = libc.write
    except (OSError, AttributeError):
        return None
    write.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t)
    write.restype = ctypes.c_ssize_t
    return write


_WRITE = _libc_write()


def write(descriptor: int, data: bytes) -> int:
    """``os.write(descriptor, data)`` (bytes written; :class:`OSError` on failure), keeping the GIL."""
    if _WRITE is None:
        return os.write(descriptor, data)
    while True:
        written = _WRITE(descriptor, data, len(data))
        if written >= 0:
            return written
        code = ctypes.get_errno()
        if code != errno.EINTR:
            raise OSError(code, os.strerror(code))
