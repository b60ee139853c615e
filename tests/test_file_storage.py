"""complaints.files.storage: one test body for local disk and for S3 (a real S3-protocol server).

The S3 backend talks HTTP to moto's server on 127.0.0.1, so boto3's real request path
(signing, multipart, pagination, streaming bodies) is exercised, not a mock of the client.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from complaints.files.storage import LocalStorage, S3Storage, Storage, get_storage, storage_for

BUCKET = "attachments"
@pytest.fixture(scope="module")
def s3_bucket(s3_endpoint: str) -> Iterator[str]:
    S3Storage(BUCKET, endpoint_url=s3_endpoint).client.create_bucket(Bucket=BUCKET)
    yield s3_endpoint


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    endpoint = request.getfixturevalue("s3_bucket")
    # A prefix per test: tests share the bucket, never each other's keys.
    return S3Storage(BUCKET, f"run/{request.node.name}", endpoint_url=endpoint)


class BrokenSource(io.RawIOBase):
    """A stream that fails after `good` bytes, like a client that disconnects mid-upload."""

    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        n = min(len(buffer), self.left, 4096)
        buffer[:n] = b"x" * n
        self.left -= n
        return n


def test_put_open_chunks_size_exists_keys_delete(storage: Storage) -> None:
    data = bytes(range(256)) * 1000  # 256 000 bytes: several 64 KiB chunks, the last one short
    assert not storage.exists("ab/cdef")
    storage.put("ab/cdef", io.BytesIO(data))
    storage.put("ab/other", io.BytesIO(b"second"))
    storage.put("cd/third", io.BytesIO(b""))

    assert storage.exists("ab/cdef") and storage.size("ab/cdef") == len(data)
    stream = storage.open("ab/cdef")
    try:
        assert stream.read(10) == data[:10]
        assert stream.read() == data[10:]
    finally:
        stream.close()
    chunks = list(storage.iter_chunks("ab/cdef"))
    assert b"".join(chunks) == data and len(chunks) == 4 and all(len(c) == 64 * 1024 for c in chunks[:-1])
    assert b"".join(storage.iter_chunks("ab/other", size=4)) == b"second"
    assert storage.size("cd/third") == 0 and list(storage.iter_chunks("cd/third")) == []

    assert sorted(storage.keys()) == ["ab/cdef", "ab/other", "cd/third"]
    assert sorted(storage.keys("ab/")) == ["ab/cdef", "ab/other"]
    assert list(storage.keys("zz")) == []

    storage.put("ab/other", io.BytesIO(b"replaced"))
    assert b"".join(storage.iter_chunks("ab/other")) == b"replaced"

    storage.delete("ab/cdef")
    storage.delete("ab/cdef")  # already gone: fine
    storage.delete("never/was")
    assert not storage.exists("ab/cdef")
    assert sorted(storage.keys()) == ["ab/other", "cd/third"]
    with pytest.raises(FileNotFoundError):
        storage.open("ab/cdef")
    with pytest.raises(FileNotFoundError):
        storage.size("ab/cdef")
    with pytest.raises(FileNotFoundError):
        list(storage.iter_chunks("ab/cdef"))


def test_put_streams_five_megabytes(storage: Storage, tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    block = os.urandom(64 * 1024)
    with src.open("wb") as f:
        for _ in range(80):  # 5 MiB
            f.write(block)
    with src.open("rb") as f:
        storage.put("bi/g", f)
    assert storage.size("bi/g") == 80 * len(block)
    total, position = 0, 0
    for chunk in storage.iter_chunks("bi/g"):
        # Compare as we go instead of joining: the check itself stays streaming.
        offset = position % len(block)
        assert chunk == (block[offset:] + block * 3)[: len(chunk)]
        position += len(chunk)
        total += len(chunk)
    assert total == 80 * len(block)


@pytest.mark.parametrize(
    "key",
    ["", "../etc/passwd", "ab/../../x", "/etc/passwd", "ab\\cd", "C:/x", "ab//cd", "ab/./cd", "ab/", ".hidden"],
)
def test_unsafe_keys_are_refused(storage: Storage, key: str) -> None:
    with pytest.raises(ValueError):
        storage.put(key, io.BytesIO(b"x"))
    with pytest.raises(ValueError):
        storage.open(key)
    with pytest.raises(ValueError):
        storage.exists(key)
    with pytest.raises(ValueError):
        storage.delete(key)


def test_local_keys_stay_inside_the_root(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "store")
    with pytest.raises(ValueError):
        store.put("../outside", io.BytesIO(b"x"))
    assert not (tmp_path / "outside").exists()
    store.put("a/b/c/deep", io.BytesIO(b"x"))  # directories are made as needed
    assert (tmp_path / "store" / "a" / "b" / "c" / "deep").read_bytes() == b"x"


def test_local_failed_put_leaves_nothing_behind(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "store")
    with pytest.raises(ConnectionResetError):
        store.put("ab/cdef", io.BufferedReader(BrokenSource(good=200_000)))
    assert not store.exists("ab/cdef") and list(store.keys()) == []
    assert [p for p in (tmp_path / "store").rglob("*") if p.is_file()] == []  # no temp file either


def test_local_failed_put_keeps_the_previous_version(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "store")
    store.put("ab/cdef", io.BytesIO(b"first"))
    with pytest.raises(ConnectionResetError):
        store.put("ab/cdef", io.BufferedReader(BrokenSource(good=10_000)))
    assert b"".join(store.iter_chunks("ab/cdef")) == b"first"
    assert list(store.keys()) == ["ab/cdef"]


def test_local_keys_skip_temp_files_and_empty_root(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "never-made")
    assert list(store.keys()) == []
    store.put("ab/cdef", io.BytesIO(b"x"))
    (tmp_path / "never-made" / "ab" / ".put-abandoned").write_bytes(b"half")
    assert list(store.keys()) == ["ab/cdef"]


# --- storage_for / get_storage ------------------------------------------------------------


def test_storage_for_empty_url_is_attachments_dir(tmp_path: Path) -> None:
    for url in (None, "", "  "):
        config = {"ATTACHMENTS_DIR": str(tmp_path / "att")} | ({} if url is None else {"STORAGE_URL": url})
        store = storage_for(config)
        assert isinstance(store, LocalStorage) and store.root == tmp_path / "att"


def test_storage_for_file_url(tmp_path: Path) -> None:
    store = storage_for({"STORAGE_URL": f"file://{tmp_path}/with%20space", "ATTACHMENTS_DIR": "/ignored"})
    assert isinstance(store, LocalStorage) and store.root == tmp_path / "with space"


def test_storage_for_s3_url(s3_endpoint: str) -> None:
    store = storage_for({"STORAGE_URL": "s3://my-bucket/tickets/files/", "S3_ENDPOINT_URL": s3_endpoint})
    assert isinstance(store, S3Storage)
    assert (store.bucket, store.prefix, store.endpoint_url) == ("my-bucket", "tickets/files", s3_endpoint)
    store = storage_for({"STORAGE_URL": "s3://my-bucket", "S3_ENDPOINT_URL": ""})
    assert (store.prefix, store.endpoint_url) == ("", None)


@pytest.mark.parametrize(
    "config",
    [
        {"STORAGE_URL": "ftp://host/path"},
        {"STORAGE_URL": "/var/lib/attachments"},  # a bare path: must be written file:///...
        {"STORAGE_URL": "file://relative/path"},
        {"STORAGE_URL": "s3:///no-bucket"},
        {"STORAGE_URL": "s3://bucket/prefix?region=x"},
        {},  # neither STORAGE_URL nor ATTACHMENTS_DIR
    ],
)
def test_storage_for_refuses_what_it_does_not_understand(config: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="STORAGE_URL"):
        storage_for(config)


def test_get_storage_is_built_once_per_app(tmp_path: Path) -> None:
    first, second = Flask("a"), Flask("b")
    first.config["ATTACHMENTS_DIR"] = str(tmp_path / "a")
    second.config["ATTACHMENTS_DIR"] = str(tmp_path / "b")
    with first.app_context():
        store = get_storage()
        assert get_storage() is store and first.extensions["complaints_storage"] is store
    with second.app_context():
        assert get_storage() is not store and get_storage().root == tmp_path / "b"
