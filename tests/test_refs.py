"""References: the year's first ticket makes its counter, numbers run on, and go past six digits."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from complaints.extensions import db
from complaints.models import RefCounter, Ticket
from complaints.tickets.operations import log_ticket
from tests.conftest import complaint_body, statements


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


def test_logging_through_the_api_reads_the_office_once_and_writes_last(world, api):
    """The statements of one POST /api/v1/tickets: the token (with its user and offices), the
    office once (scope check and input check share it), the number, the SLA policy and the
    office's hours and holidays, then the ticket, its clock and its event together, and its
    search terms. No UPDATE after an INSERT, no reload of anything just written."""
    client = api(world.clerk_a)
    client.post("/tickets", json=complaint_body())  # the year's counter row exists from here on
    db.session.remove()  # requests share the test's app context: start the measured one afresh
    with statements() as seen:
        resp = client.post("/tickets", json=complaint_body())
    assert resp.status_code == 201, resp.get_json()
    work = [s for s in seen if not s.startswith(("SELECT 1", "PRAGMA", "SET "))]
    assert sum(s.startswith("SELECT OFFICES.") for s in work) == 1, work
    assert [s.split()[0] for s in work].count("UPDATE") == 1, work  # the counter; the ticket is not updated
    first_insert = next(i for i, s in enumerate(work) if s.startswith("INSERT"))
    assert all(s.startswith("INSERT") for s in work[first_insert:]), work  # nothing read between the writes
    assert len(work) <= 11, work  # 11: the reply clock is one INSERT more


def test_a_ticket_with_one_item_costs_one_insert_more(world, api):
    """The case file's postal item is one INSERT among the ticket's writes, nothing else."""
    client = api(world.clerk_a)
    client.post("/tickets", json=complaint_body())
    db.session.remove()
    with statements() as seen:
        resp = client.post("/tickets", json=complaint_body(items=[{"number": "EA123456785CN", "product": "parcel"}]))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["items"] == [{"number": "EA123456785CN", "product": "parcel"}]
    work = [s for s in seen if not s.startswith(("SELECT 1", "PRAGMA", "SET "))]
    assert sum(s.startswith("INSERT INTO TICKET_ITEMS") for s in work) == 1, work
    first_insert = next(i for i, s in enumerate(work) if s.startswith("INSERT"))
    assert all(s.startswith("INSERT") for s in work[first_insert:]), work
    assert len(work) <= 12, work  # 12: the reply clock is one INSERT more
