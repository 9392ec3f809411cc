"""A bucket to read items from and write results to: a local directory bucket, or one on moto's S3."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stepforge.tasks.config import TaskConfig
from stepforge.testing import Harness


@dataclass
class Place:
    """A bucket and the deployment that reaches it; ``put``/``get``/``keys`` reach it as a user would."""

    kind: str
    bucket: str
    tasks: TaskConfig
    put: Callable[[str, bytes], None]
    get: Callable[[str], bytes]
    keys: Callable[[], list[str]]

    def harness(self, **kwargs: Any) -> Harness:
        return Harness(tasks=self.tasks, **kwargs)


def local_place(root: Path) -> Place:
    root.mkdir(exist_ok=True)

    def put(key: str, body: bytes) -> None:
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)

    return Place("local", "media", TaskConfig(inline=True, buckets={"media": str(root)}), put,
                 lambda key: (root / key).read_bytes(),
                 lambda: sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()))


def s3_place(moto_url: str, s3: Any) -> Place:
    bucket = f"items-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)

    def keys() -> list[str]:
        return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))

    return Place("s3", bucket, TaskConfig(inline=True, endpoint_url=moto_url),
                 lambda key, body: s3.put_object(Bucket=bucket, Key=key, Body=body),
                 lambda key: s3.get_object(Bucket=bucket, Key=key)["Body"].read(), keys)


@pytest.fixture(params=["local", "s3"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Place:
    """The same test against a ``[s3.buckets]`` directory and against a real S3-compatible server."""
    if request.param == "local":
        return local_place(tmp_path / "media")
    aws = request.getfixturevalue("aws")
    return s3_place(request.getfixturevalue("moto_url"), aws("s3"))
