"""Engine settings per backend: SQLite in WAL mode with FKs enforced; on both, a statement
waits at most LOCK_TIMEOUT_SECONDS for a lock (SQLite's busy timeout, PostgreSQL's lock_timeout)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _sqlite_pragmas(engine, app.config["LOCK_TIMEOUT_SECONDS"])
        elif engine.dialect.name == "postgresql":
            _pg_lock_timeout(engine, app.config["LOCK_TIMEOUT_SECONDS"])


def _pg_lock_timeout(engine: Engine, seconds: float) -> None:
    """No statement waits longer than this for a lock: a request stuck behind another
    transaction (or, through a second connection, behind its own) fails with a 503 instead of
    holding its worker until gunicorn kills it, and a migration blocked by a running worker
    fails instead of queueing every other query behind its own lock request."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {int(seconds * 1000)}")  # milliseconds; an int from config
            # Reports and roll-ups read tens of thousands of rows, never millions: compiling their plans
            # (JIT, on by default above a cost their UNION ALLs pass) took longer than running them
            # (a province's month: 3 s with it, 1.3 s without, on 1M tickets).
            cur.execute("SET jit = off")
        dbapi_conn.commit()  # a session setting: the connection starts without a transaction


def _sqlite_pragmas(engine: Engine, seconds: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(seconds * 1000)}")  # milliseconds; an int from config
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


def commit_keep_loaded() -> None:
    """Commit without expiring what the session holds, for an answer built from it just after.

    The answer then needs no reloading, and is built after the commit, so that the locks the
    transaction holds (on SQLite, the write lock) are released as soon as possible.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
