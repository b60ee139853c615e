"""What the bench scripts share: a fresh database to fill, and timing with median and p95."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy import text

from complaints import create_app
from complaints.extensions import db


def fresh_app(url: str | None, **config: object) -> Flask:
    """An app on ``url`` (a temporary SQLite file by default) whose PostgreSQL schema is emptied first."""
    url = url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, **config})
    if url.startswith("postgresql"):
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    return app


def analyze() -> None:
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
