"""Human-readable, unique ticket references: C-2026-000123, E-2026-000045."""

from __future__ import annotations

from sqlalchemy import Connection, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..domain import REF_PREFIX, Kind
from ..extensions import db
from ..models import RefCounter


def next_ref(kind: Kind, year: int) -> str:
    """Take the next number for (kind, year) atomically.

    On PostgreSQL the number is taken by one statement in a transaction of its own (its own
    connection, autocommit): the counter row is locked only while the server runs that
    statement, not across the logging transaction's round trips, so concurrent loggers do
    not queue behind each other's commit. The price: a ticket whose transaction fails after
    taking its number (the database lost at commit, a killed worker) leaves a gap in the
    numbers. References stay unique, which is what they promise.

    SQLite has one writer at a time anyway: there the UPDATE ... RETURNING runs in the
    logging transaction itself and numbers have no gaps.
    """
    prefix = REF_PREFIX[kind]
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        with bind.connect() as conn:
            number = _bump(conn.execution_options(isolation_level="AUTOCOMMIT"), prefix, year, pg_insert)
    else:
        number = _bump(db.session.connection(), prefix, year, sqlite_insert)
    return f"{prefix}-{year}-{number:06d}"


def _bump(conn: Connection, prefix: str, year: int, insert) -> int:  # noqa: ANN001 - a dialect's insert
    bump = (
        update(RefCounter)
        .where(RefCounter.prefix == prefix, RefCounter.year == year)
        .values(last=RefCounter.last + 1)
        .returning(RefCounter.last)
    )
    number = conn.execute(bump).scalar()
    if number is None:  # the year's first ticket of this kind
        conn.execute(insert(RefCounter).values(prefix=prefix, year=year, last=0).on_conflict_do_nothing())
        number = conn.execute(bump).scalar_one()
    return number

