"""Where attachment bytes live: a directory on local disk or an S3-compatible bucket.

Both backends stream (nothing is read whole into memory) and share one key syntax:
relative, `/`-separated, e.g. `ab/cdef0123...`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

CHUNK_SIZE = 64 * 1024
_EXTENSION_KEY = "complaints_storage"
_TMP_PREFIX = ".put-"
_build_lock = threading.Lock()


def check_key(key: str) -> str:
    """Return `key` if it is a safe relative key, else raise ValueError.

    Besides `..`, absolute paths and backslashes, empty and dot-leading segments are refused:
    they would not round-trip through keys(), and `.`-names are reserved for temp files.
    """
    if not isinstance(key, str) or not key:
        raise ValueError("Storage key must be a non-empty string.")
    if "\\" in key or "\x00" in key:
        raise ValueError(f"Storage key {key!r} contains a backslash or NUL.")
    if key.startswith("/") or (len(key) > 1 and key[1] == ":"):
        raise ValueError(f"Storage key {key!r} is absolute.")
    for part in key.split("/"):
        if part in ("", ".", ".."):
            raise ValueError(f"Storage key {key!r} has an empty, '.' or '..' segment.")
        if part.startswith("."):
            raise ValueError(f"Storage key {key!r} has a segment starting with '.'.")
    return key


class Storage(ABC):
    """A flat key -> bytes store."""

    @abstractmethod
    def put(self, key: str, src: BinaryIO) -> None:
        """Store the rest of `src` under `key`, replacing any previous value."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable stream of the stored bytes; FileNotFoundError when missing. Close it."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove `key`; a missing key is not an error."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key starting with `prefix` (for orphan checks)."""

    @abstractmethod
    def size(self, key: str) -> int:
        """Size in bytes; FileNotFoundError when missing."""

    @abstractmethod
    def modified(self, key: str) -> datetime:
        """When the key was last written (aware, UTC); FileNotFoundError when missing."""

    def iter_chunks(self, key: str, size: int = CHUNK_SIZE) -> Iterator[bytes]:
        with contextlib.closing(self.open(key)) as stream:
            while chunk := stream.read(size):
                yield chunk


class LocalStorage(Storage):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, src: BinaryIO) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Same directory as the target, so os.replace is an atomic rename: readers see the old
        # bytes or the new ones, never half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK_SIZE)
                out.flush()
                os.fsync(out.fileno())  # evidence: survive a power cut once put() has returned
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def modified(self, key: str) -> datetime:
        return datetime.fromtimestamp(self._path(key).stat().st_mtime, UTC)

    def keys(self, prefix: str = "") -> Iterator[str]:
        if not self.root.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root)
            for name in filenames:
                if name.startswith("."):  # temp files of a put in progress
                    continue
                key = (rel / name).as_posix()
                if key.startswith(prefix):
                    yield key


class S3Storage(Storage):
    """An S3 bucket (AWS, or MinIO/Ceph/moto through `endpoint_url`), keys under `prefix/`.

    Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID... or an instance role).
    """

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        import boto3  # imported here: local-disk deployments never pay for it
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        # Path-style addressing: MinIO/Ceph behind one hostname have no per-bucket DNS names.
        config = Config(s3={"addressing_style": "path"}) if endpoint_url else None
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url, config=config)

    def __repr__(self) -> str:
        return f"S3Storage({self.bucket!r}, {self.prefix!r}, endpoint_url={self.endpoint_url!r})"

    def _object_key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    @staticmethod
    def _is_missing(exc: Exception) -> bool:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def put(self, key: str, src: BinaryIO) -> None:
        # Multipart above boto3's threshold; the object only appears once the upload completes.
        self.client.upload_fileobj(src, self.bucket, self._object_key(key))

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._object_key(key))["Body"]
        except ClientError as exc:
            if self._is_missing(exc):
                raise FileNotFoundError(key) from exc
            raise

    def iter_chunks(self, key: str, size: int = CHUNK_SIZE) -> Iterator[bytes]:
        with contextlib.closing(self.open(key)) as body:
            yield from body.iter_chunks(size)  # type: ignore[attr-defined]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._object_key(key))  # idempotent in S3

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as exc:
            if self._is_missing(exc):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(key)
        return int(head["ContentLength"])

    def modified(self, key: str) -> datetime:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(key)
        return head["LastModified"].astimezone(UTC)

    def keys(self, prefix: str = "") -> Iterator[str]:
        base = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base + prefix)
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][len(base) :]


def storage_for(config: Mapping[str, Any]) -> Storage:
    """The storage named by config["STORAGE_URL"].

    Empty or absent: local disk at ATTACHMENTS_DIR; `file:///abs/path`: local disk there;
    `s3://bucket/prefix`: that bucket, through S3_ENDPOINT_URL when set (MinIO, Ceph...).
    """
    url = (config.get("STORAGE_URL") or "").strip()
    if not url:
        directory = config.get("ATTACHMENTS_DIR")
        if not directory:
            raise ValueError("STORAGE_URL is empty and ATTACHMENTS_DIR is not set: nowhere to keep attachments.")
        return LocalStorage(Path(directory))
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise ValueError(f"STORAGE_URL {url!r}: no query or fragment allowed.")
    if parts.scheme == "file":
        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or not path.startswith("/"):
            raise ValueError(f"STORAGE_URL {url!r}: a local directory is written file:///absolute/path.")
        return LocalStorage(Path(path))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"STORAGE_URL {url!r}: an S3 bucket is written s3://bucket/optional/prefix.")
        return S3Storage(parts.netloc, unquote(parts.path), config.get("S3_ENDPOINT_URL") or None)
    raise ValueError(
        f"STORAGE_URL {url!r} is not understood: use file:///absolute/path or s3://bucket/prefix (or leave it empty)."
    )


def get_storage() -> Storage:
    """The current app's storage, built on first use and kept in app.extensions."""
    from flask import current_app

    extensions = current_app.extensions
    storage = extensions.get(_EXTENSION_KEY)
    if storage is None:
        with _build_lock:  # threaded servers: build one client, not one per racing request
            storage = extensions.get(_EXTENSION_KEY)
            if storage is None:
                storage = extensions[_EXTENSION_KEY] = storage_for(current_app.config)
    return storage
