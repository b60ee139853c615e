"""Real races on PostgreSQL: two writers on one ticket, many loggers taking references.

Each worker thread drives the app through its own Flask test client with its own bearer
token; every request pushes its own app context, so each thread has its own database
session and connection. A threading.Barrier releases the workers together.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from complaints.extensions import db
from complaints.models import Ticket
from tests.conftest import complaint_body

pytestmark = pytest.mark.postgres

ROUNDS = 10
TIMEOUT = 20  # seconds a worker may wait at a barrier before the test fails


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers; the races are for PostgreSQL")


def _triage(world) -> dict:
    return {"event": "triage", "severity": "high", "category": "counter", "assignee": world.sup_a.email}


def _reject(world) -> dict:
    return {"event": "reject", "reason": "invalid"}


def _request_info(world) -> dict:
    return {"event": "request_info", "note": "请补充回执照片。"}


def _resolve(world) -> dict:
    return {"event": "resolve", "outcome": "已处理，感谢您的反馈。",
            "resolution": "已核实并致歉。", "finding": "unfounded"}


def _race(app, headers: list[dict], path: str, bodies: list[dict]) -> list:
    """POST bodies[i] with headers[i] from thread i, all released by one barrier."""
    barrier = threading.Barrier(len(bodies), timeout=TIMEOUT)

    def work(i: int):
        client = app.test_client()  # one client (and one app context per request) per thread
        barrier.wait()
        return client.post(path, json=bodies[i], headers=headers[i])

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return [f.result(timeout=TIMEOUT * 2) for f in [pool.submit(work, i) for i in range(len(bodies))]]


@contextmanager
def _writes_meet(parties: int):
    """Hold every writer at its first flush until all have read the ticket and passed the
    version check: this forces the interleaving where only the database can tell who won."""
    barrier = threading.Barrier(parties, timeout=TIMEOUT)
    waited: set[int] = set()

    def before_flush(session, _ctx, _instances) -> None:
        me = threading.get_ident()
        writes_ticket = any(isinstance(obj, Ticket) for obj in session.dirty)
        if me != main and writes_ticket and me not in waited:
            waited.add(me)
            barrier.wait()

    main = threading.get_ident()
    event.listen(db.session, "before_flush", before_flush)
    try:
        yield
    finally:
        event.remove(db.session, "before_flush", before_flush)


def _fresh(client, headers: dict, ref: str) -> dict:
    resp = client.get(f"/api/v1/tickets/{ref}", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def _ticket_at(api, world, state: str) -> str:
    """A new ticket driven (sequentially) to `state`; returns its reference."""
    clerk, sup = api(world.clerk_a), api(world.sup_a)
    resp = clerk.post("/tickets", json=complaint_body())
    assert resp.status_code == 201, resp.json
    ref = resp.json["ref"]
    steps = {"new": [], "triaged": [_triage], "resolved": [_triage, _resolve]}[state]
    for version, step in enumerate(steps, start=1):
        resp = sup.post(f"/tickets/{ref}/events", json={**step(world), "version": version})
        assert resp.status_code == 200, resp.json
    return ref


PAIRS = [
    ("new", _triage, _triage),
    ("new", _triage, _reject),
    ("new", _reject, _reject),
    ("triaged", _request_info, _resolve),
]


@pytest.mark.parametrize("forced", [False, True], ids=["released-together", "meet-at-write"])
@pytest.mark.parametrize(("state", "first", "second"), PAIRS,
                         ids=[f"{s}:{a.__name__[1:]}-vs-{b.__name__[1:]}" for s, a, b in PAIRS])
def test_same_version_twice_one_wins(app, api, world, state, first, second, forced):
    # Two supervisors of the office (one is the admin) answer the same ticket at once.
    sup_h, admin_h = api(world.sup_a).headers, api(world.admin).headers
    for _round in range(ROUNDS):
        ref = _ticket_at(api, world, state)
        before = _fresh(app.test_client(), sup_h, ref)
        db.session.rollback()  # the main thread holds no transaction while the workers race
        bodies = [{**first(world), "version": before["version"]},
                  {**second(world), "version": before["version"]}]
        ctx = _writes_meet(2) if forced else _nullcontext()
        with ctx:
            responses = _race(app, [sup_h, admin_h], f"/api/v1/tickets/{ref}/events", bodies)

        codes = sorted(r.status_code for r in responses)
        assert codes == [200, 409], [(r.status_code, r.json) for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json
        loser = next(r for r in responses if r.status_code == 409).json
        assert loser["error"]
        if forced:
            # Both had passed the version and state checks: only the database's
            # WHERE version = ... can have refused the loser.
            assert "current_version" not in loser and "allowed_events" not in loser, loser

        after = _fresh(app.test_client(), sup_h, ref)
        # Exactly one new event, written by the winner, and nothing of the loser's.
        assert len(after["history"]) == len(before["history"]) + 1
        assert after["version"] == before["version"] + 1 == len(after["history"])
        assert after["history"][-1]["event"] == winner["history"][-1]["event"]
        assert after["state"] == winner["state"]
        db.session.rollback()


@contextmanager
def _nullcontext():
    yield


@pytest.mark.parametrize("kind", ["complaint", "error"])
def test_concurrent_logging_gives_distinct_sequential_refs(app, api, world, kind):
    # N clerks (each with a token of their own) log at once, the very first tickets of
    # the year, so the counter row is created under contention too.
    n = 8
    clerks = [world.clerk_a, world.clerk_a2, world.sup_a, world.admin] * 2
    headers = [api(u).headers for u in clerks]
    db.session.rollback()
    body = complaint_body(kind=kind)
    responses = _race(app, headers, "/api/v1/tickets", [body] * n)

    assert [r.status_code for r in responses] == [201] * n, [r.json for r in responses]
    refs = [r.json["ref"] for r in responses]
    parsed = [re.fullmatch(r"([CE])-(\d{4})-(\d{6})", ref) for ref in refs]
    assert all(parsed), refs
    assert {m.group(1) for m in parsed} == {"C" if kind == "complaint" else "E"}
    assert len({m.group(2) for m in parsed}) == 1
    assert sorted(int(m.group(3)) for m in parsed) == list(range(1, n + 1))  # no duplicate, no gap

    # And the next round continues the sequence from the existing counter row.
    responses = _race(app, headers, "/api/v1/tickets", [body] * n)
    assert [r.status_code for r in responses] == [201] * n, [r.json for r in responses]
    numbers = sorted(int(r.json["ref"][-6:]) for r in responses)
    assert numbers == list(range(n + 1, 2 * n + 1))


def test_a_logging_transaction_does_not_hold_the_reference_counter(app, api, world):
    """While one logger's transaction is still open, another logs and commits at once: the
    number is taken in a statement of its own, not under a lock held until the first commits.
    (With the number taken in the logging transaction, the second logger waits for the
    first, and the lock timeout below turns that wait into a failure.)"""
    from datetime import UTC, datetime

    from complaints.tickets.operations import log_ticket

    headers = api(world.clerk_a2).headers
    db.session.rollback()
    slow = log_ticket(world.clerk_a, complaint_body(), now=datetime.now(UTC))  # flushed, not committed

    engine = db.engine

    def short_lock_wait(dbapi_conn, _record, _proxy) -> None:  # noqa: ANN001
        with dbapi_conn.cursor() as cur:
            cur.execute("SET lock_timeout = '2s'")
        dbapi_conn.commit()  # a session setting; the connection starts clean

    def other() -> object:
        event.listen(engine, "checkout", short_lock_wait)  # every connection the request takes
        try:
            return app.test_client().post("/api/v1/tickets", json=complaint_body(), headers=headers)
        finally:
            event.remove(engine, "checkout", short_lock_wait)

    with ThreadPoolExecutor(max_workers=1) as pool:
        fast = pool.submit(other).result(timeout=TIMEOUT)
    assert fast.status_code == 201, fast.json
    db.session.commit()
    assert {slow.ref, fast.json["ref"]} == {"C-2026-000001", "C-2026-000002"}
    db.session.remove()
    engine.dispose()  # no pooled connection keeps the short lock wait


def test_a_request_waiting_on_its_own_lock_gives_up_after_the_lock_timeout(database_url, world):
    """Should a transaction ever hold the counter row while logging, the number (taken on a
    second connection) waits for it: the lock timeout turns that wait into an error, not a
    worker hung until gunicorn kills it."""
    from datetime import UTC, datetime

    from sqlalchemy import update
    from sqlalchemy.exc import OperationalError

    from complaints import create_app
    from complaints.models import RefCounter
    from complaints.tickets.operations import log_ticket

    now = datetime.now(UTC)
    db.session.rollback()
    log_ticket(world.clerk_a, complaint_body(), now=now)  # the year's counter row exists
    db.session.commit()
    clerk_id, user_type = world.clerk_a.id, type(world.clerk_a)  # read here, in the test's own session
    strict = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "LOCK_TIMEOUT_SECONDS": 0.5})
    with strict.app_context():
        clerk = db.session.get(user_type, clerk_id)
        db.session.execute(update(RefCounter).values(last=RefCounter.last))  # holds the row lock
        with pytest.raises(OperationalError, match="lock timeout"):
            log_ticket(clerk, complaint_body(), now=now)
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
