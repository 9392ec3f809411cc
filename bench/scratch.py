"""Scratch directories for benchmarks' servers and stores, removed when the benchmark exits.

A benchmark's store can grow by gigabytes (a payload run writes megabytes per execution); left behind
in ``/tmp`` run after run, such stores fill the disk. What a benchmark killed by a signal leaves is
not removed (``atexit`` does not run then): ``rm -rf /tmp/stepforge-*`` clears it.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path


def scratch_dir(prefix: str) -> Path:
    """A new empty directory under the system's temporary directory, removed (whole) at exit."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(functools.partial(shutil.rmtree, path, ignore_errors=True))
    return path
