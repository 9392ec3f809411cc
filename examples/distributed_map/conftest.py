"""The invoices' fixtures: the buckets of stepforge.toml as scratch directories, and an in-process
engine (``stepforge.testing.Harness``, on a manual clock) that maps them as ``[s3.buckets]`` does."""

from __future__ import annotations

import shutil
from pathlib import Path

import invoice_functions
import pytest

from stepforge.tasks.config import TaskConfig
from stepforge.testing import Harness


@pytest.fixture
def buckets(tmp_path: Path) -> Path:
    """A copy of ``buckets/`` (the orders, an empty invoices bucket), so that runs leave this folder alone."""
    shutil.copytree(Path(__file__).parent / "buckets", tmp_path / "buckets")
    return tmp_path / "buckets"


@pytest.fixture
def harness(buckets: Path) -> Harness:
    """The invoice function registered, the two buckets mapped to their directories."""
    tasks = TaskConfig(inline=True, buckets={"orders": str(buckets / "orders"), "invoices": str(buckets / "invoices")})
    return Harness(tasks=tasks, functions={"invoice": invoice_functions.invoice})
