"""Human-readable, unique ticket references: C-2026-000123, E-2026-000045."""

from __future__ import annotations

from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..domain import REF_PREFIX, Kind
from ..extensions import db
from ..models import RefCounter, Ticket


def next_ref(kind: Kind, year: int) -> str:
    """Take the next number for (kind, year) atomically.

    The UPDATE ... RETURNING holds the counter row's lock until commit, so concurrent
    loggers queue behind each other instead of reading the same number.
    """
    prefix = REF_PREFIX[kind]
    bump = (
        update(RefCounter)
        .where(RefCounter.prefix == prefix, RefCounter.year == year)
        .values(last=RefCounter.last + 1)
        .returning(RefCounter.last)
    )
    number = db.session.execute(bump).scalar()
    if number is None:
        dialect = db.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        db.session.execute(
            insert(RefCounter).values(prefix=prefix, year=year, last=0).on_conflict_do_nothing()
        )
        number = db.session.execute(bump).scalar_one()
    return f"{prefix}-{year}-{number:06d}"


_ASSIGN_PG = text(
    "WITH n AS (UPDATE ref_counters SET last = last + 1 WHERE prefix = :prefix AND year = :year RETURNING last) "
    "UPDATE tickets SET ref = :prefix || '-' || CAST(:year AS TEXT) || '-' || "
    "CASE WHEN n.last < 1000000 THEN lpad(CAST(n.last AS TEXT), 6, '0') ELSE CAST(n.last AS TEXT) END "
    "FROM n WHERE tickets.id = :id RETURNING tickets.ref"
)


def assign_ref(ticket_id: int, kind: Kind, year: int) -> str:
    """Give the flushed ticket its reference; the counter stays locked until commit.

    On PostgreSQL the counter and the ticket change in one statement, so the lock is held
    for one round trip and the commit only.
    """
    prefix = REF_PREFIX[kind]
    if db.session.get_bind().dialect.name == "postgresql":
        ref = db.session.execute(_ASSIGN_PG, {"prefix": prefix, "year": year, "id": ticket_id}).scalar()
        if ref is not None:
            return ref
    ref = next_ref(kind, year)  # SQLite, or the year's first ticket (its counter row is made there)
    db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(ref=ref))
    return ref
