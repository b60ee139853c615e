"""What the bench scripts share: a fresh database to fill, and timing with median and p95."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy import MetaData, text

from complaints import create_app
from complaints.extensions import db


def fresh_app(url: str | None, keep: bool = False, **config: object) -> Flask:
    """An app on ``url`` (a temporary SQLite file by default), its database emptied first
    (unless ``keep``: a filled database is used again)."""
    url = url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, **config})
    if not keep:
        with app.app_context():
            empty_database()
    return app


def empty_database() -> None:
    """Drop every table (the migrations then start from nothing)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        existing = MetaData()
        existing.reflect(bind=db.engine)
        existing.drop_all(bind=db.engine)


def analyze() -> None:
    """Statistics, and on PostgreSQL the visibility map too (as autovacuum keeps it after a bulk load)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def timed(fn: Callable[[], object], runs: int, before: Callable[[], object] | None = None) -> tuple[float, float]:
    """Median and p95 in milliseconds of ``runs`` calls (``before`` runs untimed ahead of each)."""
    samples = []
    for _ in range(runs):
        if before:
            before()
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def row(bench: str, case: str, backend: str, size: str, median: float, p95: float, notes: str = "") -> dict:
    return {"bench": bench, "case": case, "backend": backend, "size": size, "median": median, "p95": p95,
            "notes": notes}


def print_rows(rows: list[dict]) -> None:
    """One table: bench, case, backend, data size, median and p95 in milliseconds."""
    widths = [max([len(r["bench"]) for r in rows] + [5]), max([len(r["case"]) for r in rows] + [4]),
              max([len(r["backend"]) for r in rows] + [7]), max([len(r["size"]) for r in rows] + [4])]
    print(f"{'bench':{widths[0]}}  {'case':{widths[1]}}  {'backend':{widths[2]}}  {'size':{widths[3]}}  "
          f"{'median ms':>9}  {'p95 ms':>9}  notes")
    for r in rows:
        print(f"{r['bench']:{widths[0]}}  {r['case']:{widths[1]}}  {r['backend']:{widths[2]}}  "
              f"{r['size']:{widths[3]}}  {r['median']:9.2f}  {r['p95']:9.2f}  {r.get('notes', '')}")
