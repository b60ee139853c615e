"""References: the year's first ticket makes its counter, numbers run on, and go past six digits."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from complaints.extensions import db
from complaints.models import RefCounter, Ticket
from complaints.tickets.operations import log_ticket
from tests.conftest import complaint_body


def test_numbers_run_on_per_kind_and_year_and_past_six_digits(world):
    now = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    first = log_ticket(world.clerk_a, complaint_body(), now=now)
    second = log_ticket(world.clerk_a, complaint_body(), now=now)
    error = log_ticket(world.clerk_a, complaint_body(kind="error"), now=now)
    assert (first.ref, second.ref, error.ref) == ("C-2026-000001", "C-2026-000002", "E-2026-000001")
    db.session.execute(update(RefCounter).where(RefCounter.prefix == "C").values(last=999_999))
    db.session.commit()  # on PostgreSQL the number is taken outside the logging transaction
    big = log_ticket(world.clerk_a, complaint_body(), now=now)
    assert big.ref == "C-2026-1000000"
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Ticket, big.id).ref == "C-2026-1000000" and big.version == 1
