"""Review of issue 13: regressions found in review."""

from __future__ import annotations

import pytest

from tests.test_compensation import COMP, RESOLVE, fire, triaged


@pytest.fixture
def en(client):
    client.set_cookie("locale", "en")
    return client


@pytest.mark.parametrize("given", [
    {"offered_amount": "10"}, {"claimed_amount": "10"}, {"compensation_basis": "goodwill"},
    {"offered_amount": "10", "claimed_amount": "10"},
])
def test_part_of_a_compensation_on_an_unfounded_resolve_is_refused_not_a_500(world, api, en, make_ticket, given):
    ref, v = triaged(world, api, make_ticket)
    sup = api(world.sup_a)
    unfounded = {**RESOLVE, "finding": "unfounded"}
    unfounded.pop("root_cause")
    r = fire(sup, ref, "resolve", v, **unfounded, **given)
    assert r.status_code == 422, r.status_code
    assert r.get_json()["fields"] == {name: "This field is required." for name in COMP if name not in given}
    assert sup.get(f"/tickets/{ref}").get_json()["state"] == "triaged"


@pytest.mark.parametrize("over", [
    {"channel": "counter"},  # appeal_of is only for an appeal
    {"channel": "regulator", "regulator_case": "YZSS-1", "description": ""},  # another field is wrong
    {"channel": "regulator", "regulator_case": "YZSS-1", "regulator_due": "tomorrow"},
])
def test_appeal_of_is_no_oracle_of_another_offices_references(world, api, en, over):
    from tests.conftest import complaint_body

    theirs = api(world.clerk_b).post("/tickets", json=complaint_body(
        "SH-0102", customer_phone="13987654321")).get_json()["ref"]
    clerk = api(world.clerk_a)
    known = clerk.post("/tickets", json=complaint_body(appeal_of=theirs, **over))
    unknown = clerk.post("/tickets", json=complaint_body(appeal_of="C-2026-999999", **over))
    assert known.status_code == unknown.status_code == 422
    assert known.get_json() == unknown.get_json()


HOSTILE = ["1e400", "9" * 29, "\x00", "¥", "１．２．３", "1,2", "0.001", "NaN", "-0", "+5", "٣", "1_000",
           "Infinity", "5.", ".5", "1" * 31, "\u202e5"]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_hostile_amounts_and_dates_in_the_resolve_form_are_a_422(world, api, login, make_ticket, value):
    ref, v = triaged(world, api, make_ticket, "loss")
    client = login(world.sup_a)
    data = {"resolve-version": str(v), "resolve-resolution": "ok", "resolve-outcome": "ok",
            "resolve-finding": "substantiated", "resolve-root_cause": "responsibility",
            "resolve-claimed_amount": value, "resolve-offered_amount": value,
            "resolve-compensation_basis": "goodwill"}
    r = client.post(f"/tickets/{ref}/events/resolve", data=data)
    assert r.status_code == (400 if "\x00" in value else 422), r.status_code  # 400: a NUL is a forged form


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "2026-02-30", "\x00", "x" * 50, "+12026-01-01",
                                   "2026-W01-1", "20261130"], ids=repr)
def test_hostile_dates_in_web_forms_are_a_422(world, api, login, value):
    client = login(world.clerk_a)
    r = client.post("/tickets/new", data={
        "kind": "complaint", "channel": "regulator", "office": "SH-0101", "description": "x",
        "occurred_at": "2026-11-20T09:00", "regulator_case": "YZSS-1", "regulator_due": value,
        "customer_consent": value, "customer_email": value})
    assert r.status_code in (400, 422), r.status_code  # 400: a NUL means a forged form


def test_resolve_form_of_a_plain_ticket_leaves_out_appeal_and_compensation(world, api, login, make_ticket):
    ref, _v = triaged(world, api, make_ticket, "counter")
    page = login(world.sup_a).get(f"/tickets/{ref}/events/resolve").get_data(as_text=True)
    for name in ("regulator_reply", "regulator_replied_on", "claimed_amount", "offered_amount",
                 "compensation_basis"):
        assert f"resolve-{name}" not in page


def test_re_resolve_after_an_approved_compensation_through_the_web(world, api, login, make_ticket):
    ref, v = triaged(world, api, make_ticket, "loss")
    sup = api(world.sup_a)
    r = fire(sup, ref, "resolve", v, **RESOLVE, **COMP)
    r = fire(sup, ref, "approve_compensation", r.get_json()["version"])
    assert r.status_code == 200, r.get_json()
    r = fire(sup, ref, "reopen", r.get_json()["version"], reason="客户不满意")
    assert r.status_code == 200, r.get_json()
    v = r.get_json()["version"]
    client = login(world.sup_a)
    page = client.get(f"/tickets/{ref}")
    assert page.status_code == 200
    form = client.get(f"/tickets/{ref}/events/resolve")
    assert form.status_code == 200 and "resolve-offered_amount" not in form.get_data(as_text=True)
    data = {"resolve-version": str(v), "resolve-resolution": "ok", "resolve-outcome": "ok",
            "resolve-finding": "substantiated", "resolve-root_cause": "responsibility"}
    r = client.post(f"/tickets/{ref}/events/resolve", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    body = sup.get(f"/tickets/{ref}").get_json()
    assert body["state"] == "resolved" and body["compensation"]["status"] == "approved"
    # restating the amounts through the API is refused
    r = fire(sup, ref, "reopen", body["version"], reason="again")
    r = fire(sup, ref, "resolve", r.get_json()["version"], **RESOLVE, **{**COMP, "offered_amount": "5000"})
    assert r.status_code == 422


def test_0010_upgrades_a_0009_database_with_tickets_events_and_outbox(backend, database_url, tmp_path):
    import uuid
    from datetime import UTC, datetime

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from complaints import create_app
    from complaints.extensions import db
    from tests.test_migrations import _drift, _fk_rows, _insert_ticket, _scratch_pg_database

    if backend == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'old.sqlite3'}", (lambda: None)
    else:
        url, drop = _scratch_pg_database(database_url)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade(revision="0009")
            now = datetime.now(UTC)
            with db.engine.begin() as conn:
                _fk_rows(conn)
                _insert_ticket(conn, id=1, ref="C-2026-000001", channel="hotline")
                _insert_ticket(conn, id=2, ref="C-2026-000002", state="resolved", category="loss",
                               finding="unfounded", resolution="ok", resolved_at=now)
                conn.execute(text("INSERT INTO ticket_events (ticket_id, seq, event, from_state, to_state, actor_id,"
                                  " payload, at) VALUES (1, 1, 'log', NULL, 'new', 1, '{}', :now)"), {"now": now})
                conn.execute(text(
                    "INSERT INTO outbox (key, to_addr, subject, body, status, attempts, rejections, next_attempt_at,"
                    " created_at) VALUES (:k, 'a@example.com', 's', 'b', 'pending', 0, 0, :now, :now)"),
                    {"k": uuid.uuid4().hex, "now": now})
            upgrade()
            assert _drift() == []
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT channel, ticket_id FROM outbox")).all() == [("email", None)]
                assert conn.execute(text("SELECT id, channel, customer_consent FROM tickets ORDER BY id")).all() \
                    == [(1, "hotline", False), (2, "counter", False)]
                assert conn.execute(text("SELECT count(*) FROM ticket_events")).scalar_one() == 1
            downgrade(revision="0009")
            upgrade()
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()



def test_a_supervisor_does_not_approve_an_offer_above_a_cap_lowered_since(world, api, en, make_ticket, app):
    from decimal import Decimal

    ref, v = triaged(world, api, make_ticket, "loss")
    sup = api(world.sup_a)
    r = fire(sup, ref, "resolve", v, **RESOLVE, **{**COMP, "offered_amount": "1500"})
    assert r.status_code == 200 and r.get_json()["compensation"]["status"] == "offered"
    app.config["COMPENSATION_CAP"] = Decimal("1000")
    r = fire(sup, ref, "approve_compensation", r.get_json()["version"])
    assert r.status_code == 409, r.get_json()
    assert "only an administrator" in r.get_json()["error"]
    body = sup.get(f"/tickets/{ref}").get_json()
    assert body["compensation"]["status"] == "over_cap"  # read with the cap in force now
    assert "approve_compensation_over_cap" not in body["allowed_events"]  # not the supervisor's
    r = fire(api(world.admin), ref, "approve_compensation_over_cap", body["version"])
    assert r.status_code == 200 and r.get_json()["compensation"]["status"] == "approved"


def test_an_offer_above_the_cap_is_within_it_once_the_cap_is_raised(world, api, en, make_ticket, app):
    from decimal import Decimal

    ref, v = triaged(world, api, make_ticket, "loss")
    sup = api(world.sup_a)
    r = fire(sup, ref, "resolve", v, **RESOLVE, **{**COMP, "offered_amount": "2500"})
    assert r.get_json()["compensation"]["status"] == "over_cap"
    over = sup.get("/tickets?compensation=over_cap").get_json()["tickets"]
    assert [t["ref"] for t in over] == [ref]
    app.config["COMPENSATION_CAP"] = Decimal("3000")
    assert sup.get("/tickets?compensation=over_cap").get_json()["tickets"] == []
    assert [t["ref"] for t in sup.get("/tickets?compensation=offered").get_json()["tickets"]] == [ref]
    r = fire(sup, ref, "approve_compensation", r.get_json()["version"])
    assert r.status_code == 200 and r.get_json()["compensation"]["status"] == "approved"


def test_an_offer_not_yet_approved_is_withdrawn_when_the_ticket_is_judged_again_without_one(world, api):
    from tests.conftest import complaint_body

    sup = api(world.sup_a)
    ref = sup.post("/tickets", json=complaint_body()).get_json()["ref"]

    def fire(event, version, **fields):
        return sup.post(f"/tickets/{ref}/events", json={"event": event, "version": version, **fields})

    fire("triage", 1, severity="low", category="loss", assignee="sup.a@example.com")
    r = fire("resolve", 2, outcome="已赔偿", resolution="查实", finding="substantiated", root_cause="responsibility",
             claimed_amount="300", offered_amount="200", compensation_basis="uninsured")
    assert r.get_json()["compensation"]["status"] == "offered"
    fire("reopen", 3, reason="复查")
    r = fire("resolve", 4, outcome="经复查不属实", resolution="复查不实", finding="unfounded")
    assert r.status_code == 200 and r.get_json()["compensation"] is None
    assert "approve_compensation" not in r.get_json()["allowed_events"]


def test_one_event_moves_the_version_by_one_even_when_its_effect_reads_a_relationship(world, api):
    # The resolve of a counter complaint reads the (not yet loaded) compensation after it has set
    # the resolution: that read must not flush the half-made change as a write of its own.
    from complaints.extensions import db as _db
    from tests.conftest import complaint_body

    sup = api(world.sup_a)
    ref = sup.post("/tickets", json=complaint_body()).get_json()["ref"]
    assert sup.post(f"/tickets/{ref}/events", json={"event": "triage", "version": 1, "severity": "low",
                                                    "category": "counter", "assignee": "sup.a@example.com"}
                    ).status_code == 200
    _db.session.expunge_all()  # nothing of the ticket left in the identity map: every relationship is read anew
    r = sup.post(f"/tickets/{ref}/events", json={"event": "resolve", "version": 2, "outcome": "已处理",
                                                 "resolution": "ok", "finding": "unfounded"})
    assert r.status_code == 200 and r.get_json()["version"] == 3
