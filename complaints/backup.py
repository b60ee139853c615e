"""Backup and restore: every table to one gzip file of JSON lines, and back.

The file is independent of the backend (a SQLite backup restores into PostgreSQL and back),
read in one transaction (a consistent snapshot on PostgreSQL), and ends with a line counting
the rows of each table and the files, so that a truncated file is refused rather than half restored.

    {"format": "complaints-backup", "version": 2, "revision": "0004", "files": "included", ...}
    {"table": "offices", "columns": ["id", "code", ...]}
    [1, "SH-0101", ...]
    ...
    {"file": "t1/ab12....png"}
    "iVBORw0KGgo..."                                  (base64, one chunk a line)
    {"file_end": "t1/ab12....png", "size": 5120, "sha256": "..."}
    ...
    {"end": true, "rows": {"offices": 3, ...}, "files": 2}

Attachment files come along only from local storage: with S3 the header says
``"files": "not copied"`` and a line names the bucket, whose own versioning/replication keeps them.
Version 1 files (no attachment files) still restore.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import itertools
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, func, insert, select, text

from .extensions import db
from .files.storage import S3Storage, Storage, check_key, get_storage
from .progress import Progress

FORMAT = "complaints-backup"
VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1: tables only, written before attachments had files
BATCH = 2000
FILE_CHUNK = 48 * 1024  # a multiple of 3: base64 lines without padding in the middle of a file
INCLUDED = "included"
NOT_COPIED = "not copied"


class BackupError(Exception):
    """A backup that cannot be restored here; the message says why."""


@dataclass
class Summary:
    """What a backup wrote or a restore loaded."""

    rows: dict[str, int]
    files: int = 0
    file_bytes: int = 0
    missing: list[str] = field(default_factory=list)  # live attachment files absent from storage at backup
    external: str | None = None  # where attachment files are kept when they are not in the backup (S3)


def _encode(value: Any) -> Any:
    # datetime is a date subclass: test it first.
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, time):
        return {"$t": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return date.fromisoformat(value["$d"])
        if "$t" in value:
            return time.fromisoformat(value["$t"])
    return value


def _revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - no alembic_version table: an unmigrated database
        return None


def describe_external(storage: Storage) -> str | None:
    """``s3://bucket/prefix`` when attachment files live where a backup does not copy them, else None."""
    if isinstance(storage, S3Storage):
        return f"s3://{storage.bucket}/{storage.prefix}".rstrip("/")
    return None


def _live_keys(conn: Connection) -> list[str]:
    """Files the snapshot's attachment rows name (redacted ones have none), read in the same transaction."""
    table = db.metadata.tables["attachments"]
    keys: list[str] = []
    rows = conn.execute(select(table.c.storage_key, table.c.thumbnail_key)
                        .where(table.c.redacted_at.is_(None)).order_by(table.c.id))
    for key, thumb in rows:
        keys.append(key)
        if thumb:
            keys.append(thumb)
    return keys


def _write_file(out: Any, storage: Storage, key: str) -> int | None:
    """One file section, streamed chunk by chunk; None when the file is not in storage."""
    h, size = hashlib.sha256(), 0
    chunks = storage.iter_chunks(key, FILE_CHUNK)
    try:
        first = next(chunks, b"")  # opens the file: a missing one is known before anything is written
    except FileNotFoundError:
        return None
    out.write(json.dumps({"file": key}) + "\n")
    for chunk in itertools.chain([first] if first else [], chunks):
        h.update(chunk)
        size += len(chunk)
        out.write(json.dumps(base64.b64encode(chunk).decode("ascii")) + "\n")
    out.write(json.dumps({"file_end": key, "size": size, "sha256": h.hexdigest()}) + "\n")
    return size


def _open_private(path: Path) -> BinaryIO:
    """``path`` for writing, readable by its owner only (0600) from its first byte, whatever the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a leftover file of the same name keeps its old mode otherwise
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "wb")


def _holds_data(path: Path) -> bool:
    """Whether the file at ``path`` may hold something worth keeping: anything but an empty file or a
    readable backup without a single row or attachment file."""
    if path.stat().st_size == 0:
        return False
    try:
        with contextlib.closing(_lines(path)) as lines:
            header = next(lines, None)
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                return True
            for item in lines:
                if isinstance(item, list) or (isinstance(item, dict) and "file" in item):
                    return True
                if isinstance(item, dict) and item.get("end"):
                    return False
    except BackupError:
        return True
    return True  # cut short before its end line


def dump(path: Path, now: datetime, storage: Storage | None = None, *, force: bool = False) -> Summary:
    """Write every table, and the attachment files of local storage, to ``path`` (mode 0600).

    An existing file is replaced only with ``force``, and never by a backup of an empty database
    unless it holds nothing either: the backup of the wrong (new, empty) database must not replace a good one.
    """
    if path.exists() and not force:
        raise BackupError(f"{path} already exists: use --force to replace it")
    storage = storage or get_storage()
    external = describe_external(storage)
    summary = Summary(rows={}, external=external)
    counts = summary.rows
    tmp = path.with_name(path.name + ".part")
    try:
        _dump(tmp, now, storage, summary)
        if path.exists() and not any(counts.values()) and not summary.files and _holds_data(path):
            raise BackupError(f"the database is empty and {path} is not: refusing to replace it with an empty "
                              "backup (check the environment's DATABASE_URL, or remove the file yourself)")
        if force:
            tmp.replace(path)  # a file under the final name is always complete
        else:
            _place_new(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return summary


def _place_new(tmp: Path, path: Path) -> None:
    """Move ``tmp`` to ``path``, which must not exist: a file that appeared meanwhile is not replaced."""
    try:
        os.link(tmp, path)  # fails if path exists, atomically
    except FileExistsError:
        raise BackupError(f"{path} already exists: use --force to replace it") from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise BackupError(f"{path} already exists: use --force to replace it") from None
        tmp.replace(path)
        return
    tmp.unlink()


def _dump(tmp: Path, now: datetime, storage: Storage, summary: Summary) -> None:
    external = summary.external
    counts = summary.rows
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin(), _open_private(tmp) as raw, gzip.open(raw, "wt", encoding="utf-8") as out:
            header = {"format": FORMAT, "version": VERSION, "revision": _revision(conn),
                      "backend": conn.dialect.name, "created_at": now.isoformat(),
                      "files": NOT_COPIED if external else INCLUDED}
            out.write(json.dumps(header) + "\n")
            total = sum(conn.execute(select(func.count()).select_from(t)).scalar() or 0
                        for t in db.metadata.sorted_tables)
            progress = Progress("backup", total, unit="rows")
            for table in db.metadata.sorted_tables:
                columns = [c.name for c in table.columns]
                out.write(json.dumps({"table": table.name, "columns": columns}) + "\n")
                n = 0
                order = list(table.primary_key.columns) or list(table.columns)
                result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
                for row in result:
                    out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
                    n += 1
                    if n % 1000 == 0:
                        progress.advance(1000)
                progress.advance(n % 1000)
                counts[table.name] = n
            progress.finish()
            if external:
                # Copying a bucket through one process would be slow and doubles what S3 keeps already.
                out.write(json.dumps({"files": NOT_COPIED, "storage": external}) + "\n")
            else:
                for key in _live_keys(conn):
                    size = _write_file(out, storage, key)
                    if size is None:
                        summary.missing.append(key)
                        continue
                    summary.files += 1
                    summary.file_bytes += size
            out.write(json.dumps({"end": True, "rows": counts, "files": summary.files}) + "\n")


def _lines(path: Path, progress: Progress | None = None) -> Iterator[Any]:
    try:
        with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as src:
            for n, line in enumerate(src, start=1):
                if progress is not None and n % 1000 == 0:
                    progress.set(raw.tell())  # bytes of the compressed file read so far
                yield json.loads(line)
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} is not a readable backup ({exc.__class__.__name__})") from None


def _read_file(start: dict, lines: Iterator[Any], storage: Storage, put: list[str]) -> int:
    """Copy one file section into storage once it has checked out whole; returns its size."""
    try:
        key = check_key(start["file"])
    except (KeyError, ValueError):
        raise BackupError(f"a file in the backup has an unusable name: {start.get('file')!r}") from None
    h, size = hashlib.sha256(), 0
    # A spooled temp file: bounded memory, and nothing reaches storage before its checksum matches.
    with tempfile.SpooledTemporaryFile(max_size=4 * FILE_CHUNK) as buf:
        for item in lines:
            if isinstance(item, str):
                try:
                    chunk = base64.b64decode(item, validate=True)
                except ValueError:
                    raise BackupError(f"the data of file {key} is damaged") from None
                h.update(chunk)
                size += len(chunk)
                buf.write(chunk)
                continue
            if not isinstance(item, dict) or item.get("file_end") != key:
                break
            if item.get("size") != size or item.get("sha256") != h.hexdigest():
                raise BackupError(f"the data of file {key} does not match its checksum: nothing restored")
            buf.seek(0)
            put.append(key)  # before the call: a put that fails halfway is removed too
            storage.put(key, buf)  # type: ignore[arg-type]
            return size
    raise BackupError("the backup is incomplete (it stops in the middle of a file): nothing restored")


def restore(path: Path, storage: Storage | None = None) -> Summary:
    """Load ``path`` into this (migrated, empty) database in one transaction, and its files into this
    (empty) storage before the commit; returns what was loaded."""
    tables = {t.name: t for t in db.metadata.sorted_tables}
    progress = Progress("restore", path.stat().st_size, unit="bytes")
    lines = _lines(path, progress)
    header = next(lines, None)
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("version") not in READABLE_VERSIONS:
        raise BackupError(f"{path} is not a complaints backup of version {' or '.join(map(str, READABLE_VERSIONS))}")
    with_files = header.get("files") == INCLUDED
    storage = storage or get_storage()
    summary = Summary(rows={})
    counts = summary.rows
    put: list[str] = []
    try:
        with db.engine.begin() as conn:
            revision = _revision(conn)
            if revision is None:
                raise BackupError("the database is not migrated: run `flask --app complaints db upgrade` first")
            if header.get("revision") != revision:
                raise BackupError(f"the backup is of schema revision {header.get('revision')}, the database is at "
                                  f"{revision}: upgrade to the same revision first")
            for table in tables.values():
                if conn.execute(select(func.count()).select_from(table)).scalar():
                    raise BackupError(f"the database is not empty (table {table.name} has rows): "
                                      "restore into a new one")
            if with_files and next(iter(storage.keys()), None) is not None:
                raise BackupError(f"the attachment storage is not empty ({storage!r}): restore into an empty one")
            table, columns, batch, ended = None, [], [], None
            for item in lines:
                if isinstance(item, list):
                    if table is None or len(item) != len(columns):
                        raise BackupError("a row does not match its table's columns")
                    batch.append(dict(zip(columns, (_decode(v) for v in item), strict=True)))
                    counts[table.name] += 1
                    if len(batch) >= BATCH:
                        conn.execute(insert(table), batch)
                        batch = []
                    continue
                if not isinstance(item, dict):
                    raise BackupError("the backup has a line out of place")
                if table is not None and batch:
                    conn.execute(insert(table), batch)
                    batch = []
                if item.get("end"):
                    ended = item
                    break
                if item.get("files") == NOT_COPIED:
                    summary.external = item.get("storage")
                    continue
                if "file" in item:
                    if not with_files:
                        raise BackupError("the backup has a file its header does not announce")
                    summary.file_bytes += _read_file(item, lines, storage, put)
                    summary.files += 1
                    continue
                if item.get("table") not in tables:
                    raise BackupError(f"unknown table {item.get('table')!r} in the backup")
                table, columns = tables[item["table"]], item["columns"]
                if set(columns) != {c.name for c in table.columns}:
                    raise BackupError(f"the columns of {table.name} differ from this schema")
                counts[table.name] = 0
            if ended is None or ended.get("rows") != counts or ended.get("files", 0) != summary.files:
                raise BackupError(f"{path} is incomplete (it does not end with the counts it should): "
                                  "nothing restored")
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn)
    except BaseException:
        for key in put:  # the rows are rolled back: take their files out again
            with contextlib.suppress(Exception):
                storage.delete(key)
        raise
    progress.finish()
    return summary


def _reset_sequences(conn: Connection) -> None:
    """Rows came with their ids: move each serial counter past the highest one."""
    for table in db.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and len(table.primary_key.columns) == 1
                                                and column.type.python_type is int):
                seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                   {"t": table.name, "c": column.name}).scalar()
                if seq:
                    top = f"SELECT COALESCE(max({column.name}), 0) + 1 FROM {table.name}"  # noqa: S608 - model names
                    conn.execute(text(f"SELECT setval(CAST(:s AS regclass), ({top}), false)"), {"s": seq})
