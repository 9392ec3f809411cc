"""Buckets a Map Run reads items from and writes results to: S3 (any S3-compatible endpoint, through
the pass-through's boto3 clients) or directories mapped as buckets in the config file::

    [s3.buckets]
    media = "/srv/media"      # bucket "media": key "a/b.csv" is /srv/media/a/b.csv

Both give the same semantics and errors: a missing object is ``NoSuchKey``, a missing bucket
``NoSuchBucket``, a refused read ``AccessDenied`` (as :class:`~stepforge.tasks.items.errors.ItemsError`
with S3's code in the cause). Objects are streamed, never read whole.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from stepforge.tasks.items.errors import ItemsError

#: Objects one listObjectsV2 page returns.
PAGE = 1000


class Buckets(Protocol):
    """Read, list and write objects of named buckets."""

    def open(self, bucket: str, key: str, version: str | None = None) -> BinaryIO:
        """A stream of the object's bytes (of ``version``, if given; the caller closes it)."""
        ...

    def list(self, bucket: str, prefix: str = "") -> Iterator[dict[str, Any]]:
        """Every object under ``prefix`` in key order, as listObjectsV2 shows it (Key, Etag, Size...)."""
        ...

    def put(self, bucket: str, key: str, body: BinaryIO) -> int:
        """Write an object from a stream; returns its size in bytes."""
        ...


def _s3_error(code: str, bucket: str, key: str, message: str = "") -> ItemsError:
    texts = {"NoSuchKey": "The specified key does not exist.", "NoSuchBucket": "The specified bucket does not exist.",
             "AccessDenied": "Access Denied"}
    text = message or texts.get(code, code)
    return ItemsError(f"S3.{code}: {text} (Bucket: {bucket}, Key: {key}; Service: Amazon S3; Error Code: {code})")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class LocalBuckets:
    """Buckets that are directories on this machine (``[s3.buckets]``)."""

    def __init__(self, roots: dict[str, str]) -> None:
        self.roots = {name: Path(root) for name, root in roots.items()}

    def __contains__(self, bucket: str) -> bool:
        return bucket in self.roots

    def _path(self, bucket: str, key: str) -> Path:
        root = self.roots.get(bucket)
        if root is None or not root.is_dir():
            raise _s3_error("NoSuchBucket", bucket, key)
        path = (root / key).resolve()
        if not key or not path.is_relative_to(root.resolve()):
            raise _s3_error("AccessDenied", bucket, key)
        return path

    def open(self, bucket: str, key: str, version: str | None = None) -> BinaryIO:
        """A directory keeps no versions: a VersionId other than ``null`` names no object here."""
        if version not in (None, "null"):
            raise _s3_error("NoSuchVersion", bucket, key, "The specified version does not exist.")
        path = self._path(bucket, key)
        try:
            return path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise _s3_error("NoSuchKey", bucket, key) from None
        except PermissionError:
            raise _s3_error("AccessDenied", bucket, key) from None

    def list(self, bucket: str, prefix: str = "") -> Iterator[dict[str, Any]]:
        root = self.roots.get(bucket)
        if root is None or not root.is_dir():
            raise _s3_error("NoSuchBucket", bucket, prefix)
        keys = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        for key in keys:
            if key.startswith(prefix):
                stat = (root / key).stat()
                yield {"Etag": f'"{stat.st_ino:x}-{stat.st_mtime_ns:x}-{stat.st_size:x}"',
                       "LastModified": _iso(datetime.fromtimestamp(stat.st_mtime, UTC)), "Key": key,
                       "Size": stat.st_size, "StorageClass": "STANDARD"}

    def put(self, bucket: str, key: str, body: BinaryIO) -> int:
        path = self._path(bucket, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        try:
            with partial.open("wb") as out:
                size = _copy(body, out)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(path)
        except PermissionError:
            raise _s3_error("AccessDenied", bucket, key) from None
        return size


def _copy(source: BinaryIO, target: BinaryIO) -> int:
    size = 0
    while chunk := source.read(1 << 20):
        target.write(chunk)
        size += len(chunk)
    return size


class _Body(io.RawIOBase):
    """boto3's StreamingBody as a file object (for TextIOWrapper, csv, gzip)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._body.close()
        super().close()


class S3Buckets:
    """Buckets of an S3-compatible endpoint, called with boto3 (``[passthrough] endpoint_url``)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def _failed(self, exc: Exception, bucket: str, key: str) -> ItemsError:
        response = getattr(exc, "response", None) or {}
        error = response.get("Error", {})
        code = str(error.get("Code") or type(exc).__name__)
        code = {"404": "NoSuchKey", "403": "AccessDenied", "NotFound": "NoSuchKey"}.get(code, code)
        return _s3_error(code, bucket, key, str(error.get("Message") or ""))

    def open(self, bucket: str, key: str, version: str | None = None) -> BinaryIO:
        try:
            extra = {"VersionId": version} if version else {}
            response = self.client.get_object(Bucket=bucket, Key=key, **extra)
        except Exception as exc:  # noqa: BLE001 - botocore's errors: every one is the reader's failure
            raise self._failed(exc, bucket, key) from None
        return io.BufferedReader(_Body(response["Body"]), 1 << 16)

    def list(self, bucket: str, prefix: str = "") -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": PAGE}
            if token:
                params["ContinuationToken"] = token
            try:
                page = self.client.list_objects_v2(**params)
            except Exception as exc:  # noqa: BLE001
                raise self._failed(exc, bucket, prefix) from None
            for entry in page.get("Contents", []):
                yield {"Etag": entry.get("ETag"), "LastModified": _iso(entry["LastModified"]), "Key": entry["Key"],
                       "Size": entry.get("Size"), "StorageClass": entry.get("StorageClass", "STANDARD")}
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return

    def put(self, bucket: str, key: str, body: BinaryIO) -> int:
        body.seek(0, io.SEEK_END)
        size = body.tell()
        body.seek(0)
        try:
            self.client.upload_fileobj(body, bucket, key)
        except Exception as exc:  # noqa: BLE001
            raise self._failed(exc, bucket, key) from None
        return size


class Router:
    """Local directory buckets by name, every other bucket at the S3 endpoint (if one is configured)."""

    def __init__(self, local: LocalBuckets, s3: Callable[[], S3Buckets] | None) -> None:
        self.local, self._s3_factory = local, s3
        self._s3: S3Buckets | None = None

    def _at(self, bucket: str) -> Buckets:
        if bucket in self.local:
            return self.local
        if self._s3_factory is None:
            raise _s3_error("NoSuchBucket", bucket, "", "The bucket is neither in [s3.buckets] nor reachable: "
                            "no [passthrough] endpoint_url is configured.")
        if self._s3 is None:
            self._s3 = self._s3_factory()  # boto3 is imported only when a bucket is at the endpoint
        return self._s3

    def open(self, bucket: str, key: str, version: str | None = None) -> BinaryIO:
        return self._at(bucket).open(bucket, key, version)

    def list(self, bucket: str, prefix: str = "") -> Iterator[dict[str, Any]]:
        return self._at(bucket).list(bucket, prefix)

    def put(self, bucket: str, key: str, body: BinaryIO) -> int:
        return self._at(bucket).put(bucket, key, body)
