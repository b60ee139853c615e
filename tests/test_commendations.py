"""Commendations (表扬, issue 14 item 4): a customer's praise of a clerk, logged like the other kinds
(P- references), verified or rejected by a supervisor through rows of the workflow table, listed
beside the clerk's highlights and, when the admin's setting says so, adding points to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from complaints.domain import Kind, State
from complaints.errors import Conflict, Forbidden, InvalidInput
from complaints.extensions import db
from complaints.models import OutboxMessage, Ticket
from complaints.scorecards import compute, operations
from complaints.scorecards.settings import get_weights, set_weights
from complaints.tickets.operations import fire_event, log_ticket
from complaints.workflow import allowed_events

NOW = datetime(2026, 11, 24, 4, tzinfo=UTC)
OCT = "2026-10"


def praise(**over) -> dict:
    body = {"kind": "commendation", "channel": "letter", "office": "SH-0101",
            "description": "客户来信表扬营业员耐心细致，帮助老人填写汇款单。",
            "occurred_at": "2026-10-15T10:00:00+08:00"}
    body.update(over)
    return body


def logged(world, **over) -> Ticket:
    t = log_ticket(world.clerk_a, praise(**over), now=NOW)
    db.session.commit()
    return t


def verified(world, clerk=None, **over) -> Ticket:
    t = logged(world, **over)
    fire_event(t, world.sup_a, "verify_commendation", {"clerk": (clerk or world.clerk_a).email},
               version=t.version, now=NOW)
    db.session.commit()
    return t


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("locale", "en")  # the pages' words, as asserted below


def card_of(month: str, world, user):
    return next(c for c in compute.office_cards(world.office_a, month) if c.clerk.id == user.id)


def test_logged_through_the_web_form_with_a_p_reference_and_no_clocks(world, login):
    web = login(world.clerk_a)
    page = web.get("/tickets/new?kind=commendation").get_data(as_text=True)
    assert 'selected value="commendation"' in page
    # No category (what went wrong) and no customer: neither is asked of praise.
    r = web.post("/tickets/new", data={"kind": "commendation", "channel": "letter", "office": "SH-0101",
                                       "description": "锦旗：服务热情周到", "occurred_at": "2026-11-20T09:30",
                                       "clerk": world.clerk_a.email})
    assert r.status_code == 302, r.get_data(as_text=True)[:1000]
    t = db.session.scalar(select(Ticket).where(Ticket.kind == Kind.COMMENDATION))
    assert t.ref.startswith("P-2026-") and t.state == State.NEW and t.involved_clerk_id == world.clerk_a.id
    assert t.deadlines == []  # no stage clock, no statutory reply clock
    page = web.get(f"/tickets/{t.ref}").get_data(as_text=True)
    assert "Commendation" in page and "What went wrong" not in page
    assert "Record of your commendation" in web.get(f"/tickets/{t.ref}/slip").get_data(as_text=True)


def test_logged_through_the_api(world, api):
    client = api(world.clerk_a)
    r = client.post("/tickets", json=praise(clerk=world.clerk_a.email))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["ref"].startswith("P-") and body["kind"] == "commendation" and body["state"] == "new"
    assert body["deadlines"] == {"current": None}  # no stage clock, no reply clock
    # Nothing went wrong: no category but "other" (the stored default), which reports leave out; the
    # regulator forwards appeals, not praise.
    r = client.post("/tickets", json=praise(category="counter"))
    assert r.status_code == 422 and "category" in r.get_json()["fields"]
    assert client.post("/tickets", json=praise(category="other")).status_code == 201
    r = client.post("/tickets", json=praise(channel="regulator", regulator_case="SS-1"))
    assert r.status_code == 422 and "channel" in r.get_json()["fields"]
    # The kind filter knows the third kind.
    listed = client.get("/tickets?kind=commendation").get_json()
    assert {t["kind"] for t in listed["tickets"]} == {"commendation"} and listed["total"] == 2


def test_supervisors_verify_or_reject_clerks_cannot(world, api):
    t = logged(world)
    now = NOW
    assert [e.event for e in allowed_events(t, world.sup_a, now)] == ["reject", "verify_commendation", "add_note",
                                                                      "contact_customer"]
    assert [e.event for e in allowed_events(t, world.clerk_a, now)] == ["add_note", "contact_customer"]
    with pytest.raises(Forbidden):
        fire_event(t, world.clerk_a, "verify_commendation", {"clerk": world.clerk_a.email}, version=t.version, now=now)
    db.session.rollback()
    # The case rows do not apply to praise, nor the commendation's row to a case.
    with pytest.raises(Conflict) as exc:
        fire_event(t, world.sup_a, "triage", {"severity": "low", "category": "counter",
                                              "assignee": world.sup_a.email}, version=t.version, now=now)
    assert "verify_commendation" in exc.value.extra["allowed_events"]
    db.session.rollback()
    complaint = log_ticket(world.clerk_a, {**praise(kind="complaint"), "customer_name": "王先生",
                                           "customer_phone": "13812345678"}, now=NOW)
    db.session.commit()
    with pytest.raises(Conflict):
        fire_event(complaint, world.sup_a, "verify_commendation", {"clerk": world.clerk_a.email},
                   version=complaint.version, now=now)
    db.session.rollback()
    # The praised clerk must be a clerk of the office.
    with pytest.raises(InvalidInput) as bad:
        fire_event(t, world.sup_a, "verify_commendation", {"clerk": world.clerk_b.email}, version=t.version, now=now)
    assert "clerk" in bad.value.fields
    db.session.rollback()

    r = api(world.sup_a).post(f"/tickets/{t.ref}/events", json={"event": "verify_commendation", "version": t.version,
                                                                  "clerk": world.clerk_a2.email, "note": "已核实"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["state"] == "closed" and body["attributed_clerk"] == world.clerk_a2.email
    db.session.expire_all()
    # No reopen (a case's row); the commendation's own way back instead.
    assert [e.event for e in allowed_events(t, world.sup_a, now)] == ["withdraw_commendation", "add_note",
                                                                      "contact_customer"]

    other = logged(world)
    r = api(world.sup_a).post(f"/tickets/{other.ref}/events", json={"event": "reject", "version": other.version,
                                                                      "reason": "duplicate",
                                                                      "duplicate_of": t.ref})
    assert r.status_code == 200 and r.get_json()["state"] == "rejected"
    r = api(world.clerk_a).post(f"/tickets/{logged(world).ref}/events",
                                json={"event": "verify_commendation", "version": 1, "clerk": world.clerk_a.email})
    assert r.status_code == 403


def test_verify_and_reject_through_the_ticket_page(world, login):
    t = logged(world, clerk=world.clerk_a.email)
    web = login(world.sup_a)
    page = web.get(f"/tickets/{t.ref}").get_data(as_text=True)
    assert "Verify the commendation" in page and "Triage" not in page
    assert f'selected value="{world.clerk_a.email}"' in page  # the clerk the customer named, to confirm
    r = web.post(f"/tickets/{t.ref}/events/verify_commendation",
                 data={"verify_commendation-version": "1", "verify_commendation-clerk": world.clerk_a.email})
    assert r.status_code == 302, r.get_data(as_text=True)[:1000]
    db.session.expire_all()
    assert t.state == State.CLOSED and t.attributed_clerk_id == world.clerk_a.id
    assert "Clerk praised" in web.get(f"/tickets/{t.ref}").get_data(as_text=True)
    u = logged(world)
    r = web.post(f"/tickets/{u.ref}/events/reject", data={"reject-version": "1", "reject-reason": "invalid"})
    assert r.status_code == 302
    db.session.expire_all()
    assert u.state == State.REJECTED


def test_the_card_and_the_office_page_list_verified_commendations_only(world, login, api):
    good = verified(world, clerk=world.clerk_a)
    rejected = logged(world, description="另一封表扬信")
    fire_event(rejected, world.sup_a, "reject", {"reason": "invalid"}, version=rejected.version, now=NOW)
    waiting = logged(world, description="尚待核实的表扬")
    db.session.commit()
    card = card_of(OCT, world, world.clerk_a)
    assert card.commendations == 1 and card.commendation_points == 0
    # Praise is never a negative.
    assert card.factors["complaints"] == 0 and card.factors["errors"] == 0 and card.total == 0

    page = login(world.clerk_a).get(f"/scorecards/clerk/{world.clerk_a.id}?month={OCT}").get_data(as_text=True)
    assert f'href="/tickets/{good.ref}"' in page and "1 verified commendations" in page
    assert rejected.ref not in page and waiting.ref not in page
    page = login(world.sup_a).get(f"/scorecards?office=SH-0101&month={OCT}").get_data(as_text=True)
    assert f'href="/tickets/{good.ref}"' in page and rejected.ref not in page and "王芳" in page
    body = api(world.sup_a).get(f"/scorecards?office=SH-0101&month={OCT}").get_json()
    mine = next(c for c in body["clerks"] if c["clerk"] == world.clerk_a.email)
    assert mine["commendations"] == [good.ref]


def test_a_verification_made_by_mistake_is_withdrawn_and_made_again(world, api, login, monkeypatch):
    """Verified for the wrong clerk: a supervisor withdraws it (with a reason, within 30 days), the clerk's
    card loses it, and it is verified again for the right clerk; clerks may not withdraw."""
    from complaints import clock

    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(days=1))  # the pages' and API's time
    t = verified(world, clerk=world.clerk_a2)
    assert card_of(OCT, world, world.clerk_a2).commendations == 1
    sup, clerk = api(world.sup_a), api(world.clerk_a)
    assert clerk.post(f"/tickets/{t.ref}/events", json={"event": "withdraw_commendation", "version": t.version,
                                                        "reason": "x"}).status_code == 403
    no_reason = sup.post(f"/tickets/{t.ref}/events", json={"event": "withdraw_commendation", "version": t.version})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["fields"]
    r = sup.post(f"/tickets/{t.ref}/events", json={"event": "withdraw_commendation", "version": t.version,
                                                    "reason": "表扬的是李娜的同事王芳"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["state"], body["attributed_clerk"]) == ("new", None)
    assert body["history"][-1]["event"] == "withdraw_commendation"
    db.session.expire_all()
    assert card_of(OCT, world, world.clerk_a2).commendations == 0
    # Verified again, on the ticket page, for the right clerk.
    web = login(world.sup_a)
    assert "Verify the commendation" in web.get(f"/tickets/{t.ref}").get_data(as_text=True)
    r = web.post(f"/tickets/{t.ref}/events/verify_commendation",
                 data={"verify_commendation-version": str(body["version"]),
                       "verify_commendation-clerk": world.clerk_a.email})
    assert r.status_code == 302
    db.session.expire_all()
    assert card_of(OCT, world, world.clerk_a).commendations == 1
    assert card_of(OCT, world, world.clerk_a2).commendations == 0
    # Past 30 days the verification stands.
    later = NOW + timedelta(days=32)
    assert "withdraw_commendation" not in [e.event for e in allowed_events(t, world.sup_a, later)]
    with pytest.raises(Conflict):
        fire_event(t, world.sup_a, "withdraw_commendation", {"reason": "太晚了"}, version=t.version, now=later)
    db.session.rollback()


def test_points_are_added_to_highlights_only_when_the_setting_is_on(world, login):
    operations.save(world.office_a, OCT, world.sup_a, {world.clerk_a.id: {"highlights": 6}}, None, NOW)
    db.session.commit()
    verified(world)
    verified(world)
    assert get_weights().commendation_points == 0  # off by default
    assert card_of(OCT, world, world.clerk_a).factors["highlights"] == 6

    web = login(world.admin)
    form = {**get_weights().to_dict(), "commendation_points": "1"}
    assert 'name="commendation_points"' in web.get("/admin/scoring").get_data(as_text=True)
    assert web.post("/admin/scoring", data=form).status_code == 302
    card = card_of(OCT, world, world.clerk_a)
    assert card.factors["highlights"] == 8 and card.commendation_points == 2 and card.total == 8
    # Never above the factor's maximum of 10, and never beyond 10 per commendation.
    set_weights({**get_weights().to_dict(), "commendation_points": 3}, NOW)
    db.session.commit()
    assert card_of(OCT, world, world.clerk_a).factors["highlights"] == 10
    assert card_of(OCT, world, world.clerk_a).commendation_points == 4
    assert web.post("/admin/scoring", data={**form, "commendation_points": "11"}).status_code == 422
    # A client that predates the setting leaves it as it is.
    old = {k: v for k, v in get_weights().to_dict().items() if k != "commendation_points"}
    set_weights(old, NOW)
    db.session.commit()
    assert get_weights().commendation_points == 3
    # The history (the trend) agrees with the month's card.
    trend = compute.history(world.clerk_a, world.office_a, OCT, 2)
    assert trend[-1].factors["highlights"] == 10


def test_no_customer_messages_and_the_ref_is_searchable(world, login):
    t = logged(world, customer_name="李女士", customer_phone="13812345678", customer_consent=True)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.ticket_id == t.id)) == 0
    web = login(world.sup_a)
    r = web.post("/search", data={"q": t.ref.lower()})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/tickets/{t.ref}")
    assert web.get("/").status_code == 200  # the dashboard's weekly chart counts cases only
    assert "Log a commendation" in web.get("/").get_data(as_text=True)


def test_commendations_have_no_sla_or_reply_policies(world, api):
    client = api(world.admin)
    assert client.get("/sla-policies/commendation/medium").status_code == 422
    assert client.get("/reply-policies/commendation/letter").status_code == 422
    kinds = {p["kind"] for p in client.get("/sla-policies").get_json()["policies"]}
    assert kinds == {"complaint", "error"}


def test_the_status_page_offers_no_appeal_against_praise(world, client):
    t = verified(world, customer_phone="13812345678")
    resp = client.post("/status", data={"ref": t.ref, "digits": "5678"})
    assert resp.status_code == 200 and t.ref in resp.text
    assert "12305" not in resp.text.split('class="status-result"')[1].split("</section>")[0]


def test_an_appeal_cannot_escalate_a_commendation(world, api):
    """Praise is nothing to appeal against: naming it answers as an unknown reference does, and it is never
    offered as a candidate original."""
    from complaints.tickets.appeals import candidates
    from tests.conftest import complaint_body

    p = logged(world, customer_name="王先生", customer_phone="13900001111")
    sup = api(world.sup_a)
    appeal = complaint_body(channel="regulator", regulator_case="YZSS-2026-0417", customer_phone="13900001111")
    r = sup.post("/tickets", json={**appeal, "appeal_of": p.ref})
    assert r.status_code == 422 and "appeal_of" in r.get_json()["fields"]
    unlinked = sup.post("/tickets", json=appeal).get_json()
    r = sup.post(f"/tickets/{unlinked['ref']}/events",
                 json={"event": "link_appeal", "version": unlinked["version"], "original": p.ref})
    assert r.status_code == 422
    ticket = db.session.scalar(db.select(Ticket).where(Ticket.ref == unlinked["ref"]))
    assert p.id not in {t.id for t in candidates(ticket, world.sup_a)}
