"""Backup and restore: every table to one gzip file of JSON lines, and back.

The file is independent of the backend (a SQLite backup restores into PostgreSQL and back),
read in one transaction (a consistent snapshot on PostgreSQL), and ends with a line counting
the rows of each table, so that a truncated file is refused rather than half restored.

    {"format": "complaints-backup", "version": 1, "revision": "0004", "created_at": "..."}
    {"table": "offices", "columns": ["id", "code", ...]}
    [1, "SH-0101", ...]
    ...
    {"end": true, "rows": {"offices": 3, ...}}
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from .extensions import db

FORMAT = "complaints-backup"
VERSION = 1
BATCH = 2000


class BackupError(Exception):
    """A backup that cannot be restored here; the message says why."""


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


def dump(path: Path, now: datetime) -> dict[str, int]:
    """Write every table to ``path``; returns the row count per table."""
    counts: dict[str, int] = {}
    tmp = path.with_name(path.name + ".part")
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin(), gzip.open(tmp, "wt", encoding="utf-8") as out:
            header = {"format": FORMAT, "version": VERSION, "revision": _revision(conn),
                      "backend": conn.dialect.name, "created_at": now.isoformat()}
            out.write(json.dumps(header) + "\n")
            for table in db.metadata.sorted_tables:
                columns = [c.name for c in table.columns]
                out.write(json.dumps({"table": table.name, "columns": columns}) + "\n")
                n = 0
                order = list(table.primary_key.columns) or list(table.columns)
                result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
                for row in result:
                    out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
                    n += 1
                counts[table.name] = n
            out.write(json.dumps({"end": True, "rows": counts}) + "\n")
    tmp.replace(path)  # a file under the final name is always complete
    return counts


def _lines(path: Path) -> Iterator[Any]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as src:
            for line in src:
                yield json.loads(line)
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} is not a readable backup ({exc.__class__.__name__})") from None


def restore(path: Path) -> dict[str, int]:
    """Load ``path`` into this (migrated, empty) database in one transaction; returns row counts."""
    tables = {t.name: t for t in db.metadata.sorted_tables}
    lines = _lines(path)
    header = next(lines, None)
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("version") != VERSION:
        raise BackupError(f"{path} is not a complaints backup of version {VERSION}")
    counts: dict[str, int] = {}
    with db.engine.begin() as conn:
        revision = _revision(conn)
        if revision is None:
            raise BackupError("the database is not migrated: run `flask --app complaints db upgrade` first")
        if header.get("revision") != revision:
            raise BackupError(f"the backup is of schema revision {header.get('revision')}, the database is at "
                              f"{revision}: upgrade to the same revision first")
        for table in tables.values():
            if conn.execute(select(func.count()).select_from(table)).scalar():
                raise BackupError(f"the database is not empty (table {table.name} has rows): restore into a new one")
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
            if table is not None and batch:
                conn.execute(insert(table), batch)
                batch = []
            if item.get("end"):
                ended = item
                break
            if item.get("table") not in tables:
                raise BackupError(f"unknown table {item.get('table')!r} in the backup")
            table, columns = tables[item["table"]], item["columns"]
            if set(columns) != {c.name for c in table.columns}:
                raise BackupError(f"the columns of {table.name} differ from this schema")
            counts[table.name] = 0
        if ended is None or ended.get("rows") != counts:
            raise BackupError(f"{path} is incomplete (it does not end with the row counts it should): nothing restored")
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
    return counts


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
