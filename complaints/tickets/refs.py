"""Human-readable, unique ticket references: C-2026-000123, E-2026-000045."""

from __future__ import annotations

from sqlalchemy import update
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



def assign_ref(ticket_id: int, kind: Kind, year: int) -> str:
    """Give the flushed ticket its reference; the counter stays locked until commit."""
    ref = next_ref(kind, year)
    db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(ref=ref))
    return ref
