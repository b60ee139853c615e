"""A retried request makes no second ticket: `Idempotency-Key` on POST /api/v1/tickets, and the log
form's hidden token on the web. The same key from the same user within 24 hours returns the first ticket."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, update

from complaints.extensions import db
from complaints.models import IdempotencyKey, Ticket
from tests.conftest import complaint_body, log_form


def _count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Ticket))


def test_the_same_key_returns_the_first_ticket(world, api, client):
    clerk = api(world.clerk_a)
    key = {"Idempotency-Key": "order-7f3a9c"}
    first = client.post("/api/v1/tickets", json=complaint_body(), headers={**clerk.headers, **key})
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/tickets", json=complaint_body(), headers={**clerk.headers, **key})
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["ref"] == first.get_json()["ref"]
    assert again.get_json()["created_at"] == first.get_json()["created_at"]
    assert again.headers["Location"] == first.headers["Location"]
    assert _count() == 1
    # Another key, no key, or the same key from another user: a new ticket each time.
    assert client.post("/api/v1/tickets", json=complaint_body(),
                      headers={**clerk.headers, "Idempotency-Key": "order-7f3a9d"}).status_code == 201
    assert clerk.post("/tickets", json=complaint_body()).status_code == 201
    assert clerk.post("/tickets", json=complaint_body()).status_code == 201
    other = api(world.clerk_a2)
    mine = client.post("/api/v1/tickets", json=complaint_body(), headers={**other.headers, **key})
    assert mine.status_code == 201 and mine.get_json()["ref"] != first.get_json()["ref"]
    assert _count() == 5


def test_a_refused_request_takes_no_key(world, api, client):
    clerk = api(world.clerk_a)
    key = {**clerk.headers, "Idempotency-Key": "k-1"}
    assert client.post("/api/v1/tickets", json=complaint_body(description=""),
                       headers=key).status_code == 422
    assert client.post("/api/v1/tickets", json=complaint_body(), headers=key).status_code == 201  # still free
    assert _count() == 1


def test_a_key_older_than_a_day_is_forgotten(world, api, client):
    clerk = api(world.clerk_a)
    key = {**clerk.headers, "Idempotency-Key": "daily-batch-1"}
    first = client.post("/api/v1/tickets", json=complaint_body(), headers=key).get_json()["ref"]
    db.session.execute(update(IdempotencyKey).values(created_at=datetime.now(UTC) - timedelta(hours=24, minutes=1)))
    db.session.commit()
    later = client.post("/api/v1/tickets", json=complaint_body(), headers=key)
    assert later.status_code == 201 and later.get_json()["ref"] != first
    again = client.post("/api/v1/tickets", json=complaint_body(), headers=key)
    assert again.status_code == 200 and again.get_json()["ref"] == later.get_json()["ref"]
    assert _count() == 2
    db.session.execute(update(IdempotencyKey).values(created_at=datetime.now(UTC) - timedelta(hours=23)))
    db.session.commit()
    assert client.post("/api/v1/tickets", json=complaint_body(), headers=key).status_code == 200  # within the day
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1


@pytest.mark.parametrize("bad", ["k" * 101, "", "clé", "tab\there", "\x7f"])
def test_a_key_too_long_or_not_printable_ascii_is_refused(world, api, client, bad):
    clerk = api(world.clerk_a)
    resp = client.post("/api/v1/tickets", json=complaint_body(), headers={**clerk.headers, "Idempotency-Key": bad})
    assert resp.status_code == 422, resp.get_json()
    assert "Idempotency-Key" in resp.get_json()["fields"]
    assert _count() == 0


def test_a_key_of_100_printable_characters_is_accepted(world, api, client):
    clerk = api(world.clerk_a)
    key = {**clerk.headers, "Idempotency-Key": "a Z~!" * 20}
    assert client.post("/api/v1/tickets", json=complaint_body(), headers=key).status_code == 201
    assert client.post("/api/v1/tickets", json=complaint_body(), headers=key).status_code == 200


def test_a_duplicate_that_lost_the_race_returns_the_winners_ticket(world, api, client, monkeypatch):
    """Both requests looked the key up before either wrote it: the unique constraint turns the
    second away, which rolls back its ticket and answers with the first one."""
    from complaints.tickets import operations

    clerk = api(world.clerk_a)
    key = {**clerk.headers, "Idempotency-Key": "race-1"}
    first = client.post("/api/v1/tickets", json=complaint_body(), headers=key).get_json()
    real = operations.ticket_for_key
    calls = []

    def missed_once(actor, k, now):  # noqa: ANN001
        calls.append(k)
        return None if len(calls) == 1 else real(actor, k, now)

    monkeypatch.setattr(operations, "ticket_for_key", missed_once)
    loser = client.post("/api/v1/tickets", json=complaint_body(), headers=key)
    assert loser.status_code == 200, loser.get_json()
    assert loser.get_json()["ref"] == first["ref"] and len(calls) == 2
    assert _count() == 1


def test_two_requests_with_one_key_at_once_make_one_ticket(backend, app, world, token_for):
    """On PostgreSQL, two threads post with the same key, both past the lookup before either writes."""
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers; the race is for PostgreSQL")
    headers = {**token_for(world.clerk_a), "Idempotency-Key": "same-time"}
    db.session.remove()
    barrier = threading.Barrier(2, timeout=20)
    main = threading.get_ident()
    waited: set[int] = set()

    def before_flush(session, _ctx, _instances) -> None:  # noqa: ANN001
        me = threading.get_ident()
        if me != main and me not in waited and any(isinstance(o, Ticket) for o in session.new):
            waited.add(me)
            barrier.wait()  # both have looked the key up and found nothing

    def work(_i: int):
        client = app.test_client()
        return client.post("/api/v1/tickets", json=complaint_body(), headers=headers)

    event.listen(db.session, "before_flush", before_flush)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(work, range(2)))
    finally:
        event.remove(db.session, "before_flush", before_flush)
    assert sorted(a.status_code for a in answers) == [200, 201], [a.get_json() for a in answers]
    assert len(waited) == 2
    assert answers[0].get_json()["ref"] == answers[1].get_json()["ref"]
    assert _count() == 1


# The web: the log form carries a token of its own, so a double-submitted form makes one ticket.




def _token(page: str) -> str:
    return re.search(r'name="idempotency_token" value="([^"]+)"', page).group(1)


def test_a_double_submitted_log_form_makes_one_ticket(world, login):
    client = login(world.clerk_a)
    page = client.get("/tickets/new").get_data(as_text=True)
    token = _token(page)
    assert len(token) >= 20 and _token(client.get("/tickets/new").get_data(as_text=True)) != token
    first = client.post("/tickets/new", data={**log_form(), "idempotency_token": token})
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    second = client.post("/tickets/new", data={**log_form(), "idempotency_token": token})
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    assert _count() == 1
    # A new form (a new token) logs a new ticket; a form without one (an old page) still logs.
    assert client.post("/tickets/new", data={**log_form(), "idempotency_token": _token(
        client.get("/tickets/new").get_data(as_text=True))}).status_code == 302
    assert client.post("/tickets/new", data=log_form()).status_code == 302
    assert _count() == 3
    assert client.post("/tickets/new", data={**log_form(), "idempotency_token": "x" * 101}).status_code == 400
    assert _count() == 3


def test_a_refused_form_keeps_its_token(world, login):
    """A form sent back with errors keeps the same token: corrected and sent twice, one ticket."""
    client = login(world.clerk_a)
    token = _token(client.get("/tickets/new").get_data(as_text=True))
    bad = client.post("/tickets/new", data={**log_form(description=""), "idempotency_token": token})
    assert bad.status_code == 422 and _token(bad.get_data(as_text=True)) == token
    for _ in range(2):
        assert client.post("/tickets/new", data={**log_form(), "idempotency_token": token}).status_code == 302
    assert _count() == 1


def test_housekeeping_forgets_keys_past_their_day_and_keeps_the_others(world, api, client, runner):
    """The scheduler's hourly job (and the cron pass) deletes the keys no request reads any more."""
    from complaints.scheduler import JOBS

    clerk = api(world.clerk_a)
    for key in ("old-1", "old-2", "fresh"):
        assert client.post("/api/v1/tickets", json=complaint_body(),
                           headers={**clerk.headers, "Idempotency-Key": key}).status_code == 201
    db.session.execute(update(IdempotencyKey).where(IdempotencyKey.key.like("old-%"))
                       .values(created_at=datetime.now(UTC) - timedelta(hours=24, minutes=1)))
    db.session.commit()
    job = next(j for j in JOBS if j.id == "housekeeping")
    job.func()
    db.session.rollback()  # what the job committed, read afresh
    assert db.session.scalars(select(IdempotencyKey.key)).all() == ["fresh"]
    assert _count() == 3  # the tickets stay
    # The cron pass sweeps too, and says how many.
    db.session.execute(update(IdempotencyKey).values(created_at=datetime.now(UTC) - timedelta(days=2)))
    db.session.commit()
    result = runner.invoke(args=["sla", "scan"])
    assert result.exit_code == 0 and "keys_swept=1" in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
