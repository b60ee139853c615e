"""The JSON API end to end: a client drives the whole workflow through /api/v1 only.

Every refusal has the documented shape and leaves the ticket exactly as it was.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests.conftest import PASSWORD, complaint_body

REF_C = re.compile(r"^C-\d{4}-\d{6}$")
REF_E = re.compile(r"^E-\d{4}-\d{6}$")
TICKET_FIELDS = {"ref", "kind", "state", "version", "office", "severity", "category", "assignee", "finding",
                 "attributed_clerk", "deadlines", "history", "channel", "description", "occurred_at",
                 "customer_name", "customer_phone", "clerk"}


def fire(client, ref: str, event: str, version, **fields):
    return client.post(f"/tickets/{ref}/events", json={"event": event, "version": version, **fields})


def snapshot(client, ref: str) -> tuple:
    body = client.get(f"/tickets/{ref}").get_json()
    return body["version"], body["state"], len(body["history"]), body["finding"], body["assignee"]


def assert_iso_with_offset(value: str) -> None:
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None, value


@pytest.fixture
def en(client):
    """Ask for English messages (the world's users have no locale of their own)."""
    client.set_cookie("locale", "en")
    return client


# -- logging ----------------------------------------------------------------------------------


def test_log_a_complaint_and_an_error(world, api):
    clerk = api(world.clerk_a)
    resp = clerk.post("/tickets", json=complaint_body(clerk="clerk.a2@example.com"))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert REF_C.match(body["ref"]), body["ref"]
    assert resp.headers["Location"].endswith(f"/api/v1/tickets/{body['ref']}")
    assert TICKET_FIELDS <= set(body)
    assert (body["kind"], body["state"], body["version"], body["office"]) == ("complaint", "new", 1, "SH-0101")
    assert body["channel"] == "counter" and body["clerk"] == "clerk.a2@example.com"
    assert body["description"] == complaint_body()["description"]
    assert body["customer_name"] == "王先生"
    assert_iso_with_offset(body["occurred_at"])
    assert datetime.fromisoformat(body["occurred_at"]) == datetime.fromisoformat("2026-11-20T09:30:00+08:00")
    assert body["severity"] is None and body["assignee"] is None and body["finding"] is None
    assert body["deadlines"]["current"] == "triage"
    assert body["deadlines"]["triage"]["state"] == "running"
    assert_iso_with_offset(body["deadlines"]["triage"]["due_at"])
    [log] = body["history"]
    assert (log["event"], log["from"], log["to"], log["actor"]) == ("log", None, "new", "clerk.a@example.com")
    assert_iso_with_offset(log["at"])
    assert "13812345678" not in str(log["payload"])  # no personal data in the history

    err = clerk.post("/tickets", json={"kind": "error", "channel": "counter", "office": "SH-0101",
                                       "description": "邮资收错", "occurred_at": "2026-11-21T10:00:00+08:00"})
    assert err.status_code == 201, err.get_json()
    eb = err.get_json()
    assert REF_E.match(eb["ref"]) and eb["kind"] == "error"
    assert eb["customer_name"] is None and eb["customer_phone"] is None
    # references are numbered per kind
    again = clerk.post("/tickets", json=complaint_body()).get_json()["ref"]
    assert int(again[-6:]) == int(body["ref"][-6:]) + 1


def test_a_complaint_needs_the_customer(world, api):
    resp = api(world.clerk_a).post("/tickets", json=complaint_body(customer_name=None, customer_phone=""))
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["error"] and set(body["fields"]) == {"customer_name", "customer_phone"}
    assert all(isinstance(m, str) and m for m in body["fields"].values())
    assert api(world.admin).get("/tickets").get_json()["total"] == 0


def test_missing_everything_is_refused_field_by_field(world, api):
    resp = api(world.clerk_a).post("/tickets", json={})
    assert resp.status_code == 422
    fields = resp.get_json()["fields"]
    assert {"kind", "channel", "office", "description", "occurred_at"} <= set(fields)
    assert all(isinstance(m, str) and m for m in fields.values())
    bad = api(world.clerk_a).post("/tickets", json=complaint_body(kind="praise", channel="fax",
                                                                 customer_phone="call me", bogus=1))
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"kind", "channel", "customer_phone", "bogus"}


def test_logging_for_an_office_one_does_not_cover_is_refused(world, api):
    resp = api(world.clerk_a).post("/tickets", json=complaint_body("SH-0102"))
    assert resp.status_code in (403, 422)
    assert api(world.admin).get("/tickets").get_json()["total"] == 0


# -- the full workflow --------------------------------------------------------------------------


def test_full_workflow_through_the_api(world, api, en):
    clerk, sup = api(world.clerk_a), api(world.sup_a)
    ref = clerk.post("/tickets", json=complaint_body()).get_json()["ref"]

    r = fire(sup, ref, "triage", 1, severity="high", category="counter", assignee="sup.a@example.com")
    assert r.status_code == 200, r.get_json()
    t = r.get_json()
    assert (t["state"], t["version"], t["severity"], t["category"], t["assignee"]) == (
        "triaged", 2, "high", "counter", "sup.a@example.com")
    assert t["deadlines"]["current"] == "resolve" and t["deadlines"]["triage"]["state"] != "running"

    r = fire(sup, ref, "request_info", 2, note="请客户提供收据照片")
    assert r.status_code == 200 and r.get_json()["state"] == "awaiting_customer"
    assert r.get_json()["deadlines"]["resolve"]["state"] == "paused"
    # a clerk may record the customer's answer
    r = fire(clerk, ref, "info_received", 3, note="客户已提供")
    assert r.status_code == 200 and r.get_json()["state"] == "triaged", r.get_json()
    assert r.get_json()["deadlines"]["resolve"]["state"] == "running"

    r = fire(sup, ref, "resolve", 4, outcome="已处理，感谢您的反馈。",
             resolution="已当面致歉并培训", finding="substantiated",
             root_cause="attitude", attributed_clerk="clerk.a@example.com")
    t = r.get_json()
    assert r.status_code == 200, t
    assert (t["state"], t["finding"], t["attributed_clerk"], t["resolution"]) == (
        "resolved", "substantiated", "clerk.a@example.com", "已当面致歉并培训")
    assert t["resolved_at"]

    r = fire(clerk, ref, "follow_up", 5, contact="reached", expectation=5, perception=2, satisfied=False)
    t = r.get_json()
    assert r.status_code == 200, t
    assert t["state"] == "triaged"  # not satisfied: back to work, no longer counted against anyone
    assert t["finding"] is None and t["attributed_clerk"] is None and t["closed_at"] is None
    assert (t["expectation"], t["perception"], t["satisfied"]) == (5, 2, False)

    r = fire(sup, ref, "resolve", 6, outcome="已处理，感谢您的反馈。", resolution="退还差价", finding="unfounded")
    assert r.status_code == 200 and r.get_json()["finding"] == "unfounded"
    assert r.get_json()["attributed_clerk"] is None

    r = fire(clerk, ref, "follow_up", 7, contact="reached", expectation="4", perception=4, satisfied="yes")
    t = r.get_json()
    assert r.status_code == 200, t
    assert (t["state"], t["satisfied"], t["contact"]) == ("closed", True, "reached")
    assert t["closed_at"]
    assert t["allowed_events"] == ["add_note", "contact_customer"]  # what the clerk may do: notes and contacts
    assert "reopen" in sup.get(f"/tickets/{ref}").get_json()["allowed_events"]

    assert fire(clerk, ref, "reopen", 8, reason="客户再次来电").status_code == 403  # clerks may not
    r = fire(sup, ref, "reopen", 8, reason="客户再次来电")
    t = r.get_json()
    assert r.status_code == 200, t
    assert (t["state"], t["version"], t["finding"], t["closed_at"]) == ("triaged", 9, None, None)

    history = sup.get(f"/tickets/{ref}").get_json()["history"]
    assert [(h["event"], h["from"], h["to"]) for h in history] == [
        ("log", None, "new"), ("triage", "new", "triaged"),
        ("request_info", "triaged", "awaiting_customer"), ("info_received", "awaiting_customer", "triaged"),
        ("resolve", "triaged", "resolved"), ("follow_up", "resolved", "triaged"),
        ("resolve", "triaged", "resolved"), ("follow_up", "resolved", "closed"),
        ("reopen", "closed", "triaged"),
    ]
    assert [h["actor"] for h in history] == [
        "clerk.a@example.com", "sup.a@example.com", "sup.a@example.com", "clerk.a@example.com",
        "sup.a@example.com", "clerk.a@example.com", "sup.a@example.com", "clerk.a@example.com",
        "sup.a@example.com"]
    assert [h["seq"] for h in history] == list(range(1, 10))
    for h in history:
        assert_iso_with_offset(h["at"])
    ats = [datetime.fromisoformat(h["at"]) for h in history]
    assert ats == sorted(ats)
    assert history[1]["payload"] == {"severity": "high", "category": "counter", "assignee": "sup.a@example.com"}
    assert history[4]["payload"]["attributed_clerk"] == "clerk.a@example.com"


def test_a_resolved_ticket_may_be_reopened_and_unreached_follow_up_closes(world, api):
    sup = api(world.sup_a)
    ref = sup.post("/tickets", json=complaint_body()).get_json()["ref"]
    fire(sup, ref, "triage", 1, severity="low", category="counter", assignee="sup.a@example.com")
    fire(sup, ref, "resolve", 2, outcome="已处理，感谢您的反馈。", resolution="ok", finding="unfounded")
    r = fire(sup, ref, "reopen", 3, reason="补充证据")
    assert r.status_code == 200 and r.get_json()["state"] == "triaged"
    fire(sup, ref, "resolve", 4, outcome="已处理，感谢您的反馈。", resolution="ok", finding="unfounded")
    r = fire(sup, ref, "follow_up", 5, contact="unreachable")
    assert r.status_code == 200 and r.get_json()["state"] == "closed", r.get_json()
    assert r.get_json()["satisfied"] is None
    # answers are only for a reached customer
    ref2 = sup.post("/tickets", json=complaint_body()).get_json()["ref"]
    fire(sup, ref2, "triage", 1, severity="low", category="counter", assignee="sup.a@example.com")
    fire(sup, ref2, "resolve", 2, outcome="已处理，感谢您的反馈。", resolution="ok", finding="unfounded")
    before = snapshot(sup, ref2)
    r = fire(sup, ref2, "follow_up", 3, contact="unreachable", satisfied=True)
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"satisfied"}
    r = fire(sup, ref2, "follow_up", 3, contact="reached")
    assert r.status_code == 422
    assert set(r.get_json()["fields"]) == {"expectation", "perception", "satisfied"}
    r = fire(sup, ref2, "follow_up", 3, contact="reached", expectation=0, perception=6, satisfied=True)
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"expectation", "perception"}
    assert snapshot(sup, ref2) == before


def test_reopen_of_a_closed_ticket_only_within_30_days(world, api, monkeypatch):
    from complaints import clock

    sup = api(world.sup_a)
    ref = sup.post("/tickets", json=complaint_body()).get_json()["ref"]
    fire(sup, ref, "triage", 1, severity="low", category="counter", assignee="sup.a@example.com")
    fire(sup, ref, "resolve", 2, outcome="已处理，感谢您的反馈。", resolution="ok", finding="unfounded")
    assert fire(sup, ref, "follow_up", 3, contact="unreachable").get_json()["state"] == "closed"
    real_now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: real_now + timedelta(days=31))
    before = snapshot(sup, ref)
    assert "reopen" not in sup.get(f"/tickets/{ref}").get_json()["allowed_events"]
    r = fire(sup, ref, "reopen", 4, reason="太晚了")
    assert r.status_code == 409, r.get_json()
    assert r.get_json()["error"] and "reopen" not in r.get_json()["allowed_events"]
    assert snapshot(sup, ref) == before
    monkeypatch.setattr(clock, "now", lambda: real_now + timedelta(days=29))
    assert fire(sup, ref, "reopen", 4, reason="还来得及").status_code == 200


def test_reject_as_a_duplicate(world, api):
    sup = api(world.sup_a)
    original = sup.post("/tickets", json=complaint_body()).get_json()["ref"]
    dup = sup.post("/tickets", json=complaint_body()).get_json()["ref"]
    other_office = api(world.sup_b).post("/tickets", json=complaint_body("SH-0102")).get_json()["ref"]
    before = snapshot(sup, dup)
    cases = [
        ({"reason": "duplicate"}, {"duplicate_of"}),
        ({"reason": "invalid", "duplicate_of": original}, {"duplicate_of"}),
        ({"reason": "duplicate", "duplicate_of": dup}, {"duplicate_of"}),  # itself
        ({"reason": "duplicate", "duplicate_of": other_office}, {"duplicate_of"}),  # not visible here
        ({"reason": "duplicate", "duplicate_of": "C-1999-000001"}, {"duplicate_of"}),
        ({"reason": "because"}, {"reason"}),
        ({}, {"reason"}),
    ]
    for fields, expected in cases:
        r = fire(sup, dup, "reject", 1, **fields)
        assert r.status_code == 422, (fields, r.get_json())
        assert set(r.get_json()["fields"]) == expected, (fields, r.get_json())
        assert snapshot(sup, dup) == before
    r = fire(sup, dup, "reject", 1, reason="duplicate", duplicate_of=original.lower())
    t = r.get_json()
    assert r.status_code == 200, t
    assert (t["state"], t["reject_reason"], t["duplicate_of"]) == ("rejected", "duplicate", original)
    assert t["allowed_events"] == ["add_note", "contact_customer"] and t["deadlines"]["current"] is None
    assert t["history"][-1]["payload"] == {"reason": "duplicate", "duplicate_of": original}
    r = fire(sup, original, "reject", 1, reason="out_of_scope")
    assert r.status_code == 200 and r.get_json()["duplicate_of"] is None


# -- listing ------------------------------------------------------------------------------------


def test_list_filters_and_pagination(world, api):
    sup_a, sup_b, admin = api(world.sup_a), api(world.sup_b), api(world.admin)
    refs = [sup_a.post("/tickets", json=complaint_body()).get_json()["ref"] for _ in range(3)]
    err = sup_a.post("/tickets", json=complaint_body(kind="error", customer_name=None,
                                                     customer_phone=None)).get_json()["ref"]
    b_ref = sup_b.post("/tickets", json=complaint_body("SH-0102")).get_json()["ref"]
    fire(sup_a, refs[0], "triage", 1, severity="low", category="counter", assignee="sup.a@example.com")

    body = sup_a.get("/tickets").get_json()
    assert set(body) == {"tickets", "page", "per_page", "total", "total_is_lower_bound"}
    assert (body["page"], body["per_page"], body["total"]) == (1, 25, 4)
    listed = [t["ref"] for t in body["tickets"]]
    assert listed == [err, *reversed(refs)]  # newest first, only the supervisor's office
    assert b_ref not in listed
    assert "history" not in body["tickets"][0]
    assert {"ref", "kind", "state", "version", "office", "deadlines"} <= set(body["tickets"][0])

    def refs_of(client, query: str) -> list[str]:
        resp = client.get(f"/tickets?{query}")
        assert resp.status_code == 200, (query, resp.get_json())
        return [t["ref"] for t in resp.get_json()["tickets"]]

    assert refs_of(sup_a, "state=triaged") == [refs[0]]
    assert set(refs_of(sup_a, "state=new")) == {err, refs[1], refs[2]}
    assert refs_of(sup_a, "kind=error") == [err]
    assert refs_of(sup_a, "kind=complaint&state=new") == [refs[2], refs[1]]
    assert refs_of(admin, "office=SH-0102") == [b_ref]
    assert len(refs_of(admin, "")) == 5
    assert refs_of(sup_a, "office=SH-0102") == []  # another office's filter shows nothing, leaks nothing
    assert refs_of(sup_a, "overdue=1") == []

    page1 = sup_a.get("/tickets?per_page=3").get_json()
    page2 = sup_a.get("/tickets?per_page=3&page=2").get_json()
    assert (page1["total"], page2["total"], page2["page"], page2["per_page"]) == (4, 4, 2, 3)
    assert len(page1["tickets"]) == 3 and len(page2["tickets"]) == 1
    assert {t["ref"] for t in page1["tickets"] + page2["tickets"]} == {err, *refs}
    assert sup_a.get("/tickets?page=9").get_json()["tickets"] == []

    for query, field in [("state=open", "state"), ("kind=x", "kind"), ("office=NOPE", "office"),
                         ("per_page=0", "per_page"), ("per_page=101", "per_page"), ("page=0", "page"),
                         ("page=abc", "page")]:
        resp = sup_a.get(f"/tickets?{query}")
        assert resp.status_code == 422, query
        assert field in resp.get_json()["fields"], query


# -- refusals -----------------------------------------------------------------------------------


@pytest.fixture
def new_ticket(world, api):
    return api(world.clerk_a).post("/tickets", json=complaint_body()).get_json()["ref"]


def test_wrong_state_is_a_409_naming_the_state_and_what_is_allowed(world, api, en, new_ticket):
    sup = api(world.sup_a)
    before = snapshot(sup, new_ticket)
    for event, fields in [("resolve", {"outcome": "已处理，感谢您的反馈。", "resolution": "x", "finding": "unfounded"}),
                          ("follow_up", {"contact": "unreachable"}), ("reopen", {"reason": "x"}),
                          ("request_info", {"note": "x"}), ("info_received", {"note": "x"})]:
        r = fire(sup, new_ticket, event, 1, **fields)
        body = r.get_json()
        assert r.status_code == 409, (event, body)
        assert body["state"] == "new"
        assert sorted(body["allowed_events"]) == ["add_note", "contact_customer", "reject", "triage"]
        assert "new" in body["error"].lower() or "logged" in body["error"].lower(), body["error"]
        assert "triage" in body["error"]
        assert snapshot(sup, new_ticket) == before
    # the clerk's list of allowed events is its own
    r = fire(api(world.clerk_a), new_ticket, "info_received", 1, note="x")
    assert r.status_code == 409 and r.get_json()["allowed_events"] == ["add_note", "contact_customer"]


def test_role_refusals_are_403(world, api, new_ticket):
    clerk, sup = api(world.clerk_a), api(world.sup_a)
    before = snapshot(sup, new_ticket)
    for event, fields in [("triage", {"severity": "low", "category": "counter", "assignee": "sup.a@example.com"}),
                          ("reject", {"reason": "invalid"})]:
        r = fire(clerk, new_ticket, event, 1, **fields)
        assert r.status_code == 403, r.get_json()
        assert r.get_json()["error"] and r.get_json()["fields"] == {}
        assert snapshot(sup, new_ticket) == before


def test_another_office_is_refused_without_leaking(world, api, new_ticket):
    sup_a = api(world.sup_a)
    before = snapshot(sup_a, new_ticket)
    for user in (world.sup_b, world.clerk_b):
        other = api(user)
        r = other.get(f"/tickets/{new_ticket}")
        assert r.status_code in (403, 404)
        text = r.get_data(as_text=True)
        for secret in ("营业员态度生硬", "王先生", "13812345678", "138****5678", "clerk.a@example.com"):
            assert secret not in text
        assert set(r.get_json()) <= {"error", "fields"}
        r = fire(other, new_ticket, "triage", 1, severity="low", category="counter", assignee="sup.b@example.com")
        assert r.status_code in (403, 404)
        assert "triage" not in r.get_json().get("allowed_events", [])
        assert new_ticket not in [t["ref"] for t in other.get("/tickets").get_json()["tickets"]]
        assert other.get("/tickets").get_json()["total"] == 0
    assert snapshot(sup_a, new_ticket) == before
    # a missing ticket answers like any other: no probing
    assert api(world.sup_b).get("/tickets/C-2026-999999").status_code == 404


def test_stale_version_is_a_409_and_changes_nothing(world, api, new_ticket):
    sup = api(world.sup_a)
    triage = {"severity": "low", "category": "counter", "assignee": "sup.a@example.com"}
    assert fire(sup, new_ticket, "triage", 1, **triage).status_code == 200
    before = snapshot(sup, new_ticket)
    for version in (1, 3, 99):
        r = fire(sup, new_ticket, "resolve", version, outcome="已处理，感谢您的反馈。",
                 resolution="x", finding="unfounded")
        assert r.status_code == 409, r.get_json()
        assert r.get_json()["error"] and r.get_json()["current_version"] == 2
        assert snapshot(sup, new_ticket) == before
    r = fire(sup, new_ticket, "resolve", None, outcome="已处理，感谢您的反馈。", resolution="x", finding="unfounded")
    assert r.status_code == 422 and "version" in r.get_json()["fields"]
    r = sup.post(f"/tickets/{new_ticket}/events", json={"event": "resolve", "outcome": "已处理，感谢您的反馈。",
                                                        "resolution": "x",
                                                        "finding": "unfounded"})
    assert r.status_code == 422 and "version" in r.get_json()["fields"]
    assert snapshot(sup, new_ticket) == before


def test_invalid_input_is_refused_one_message_per_field(world, api, new_ticket):
    sup = api(world.sup_a)
    before = snapshot(sup, new_ticket)
    r = fire(sup, new_ticket, "triage", 1)
    body = r.get_json()
    assert r.status_code == 422
    assert isinstance(body["error"], str) and body["error"]
    assert set(body["fields"]) == {"severity", "category", "assignee"}
    assert all(isinstance(m, str) and m for m in body["fields"].values())
    r = fire(sup, new_ticket, "triage", 1, severity="urgent", category="mood", assignee="nobody@example.com")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"severity", "category", "assignee"}
    # an assignee must be active staff of the office (a clerk may investigate); another office's is not
    for who in ("clerk.b@example.com", "sup.b@example.com"):
        r = fire(sup, new_ticket, "triage", 1, severity="low", category="counter", assignee=who)
        assert r.status_code == 422 and set(r.get_json()["fields"]) == {"assignee"}, who
    r = fire(sup, new_ticket, "triage", 1, severity="low", category="counter", assignee="sup.a@example.com",
             surprise="x")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"surprise"}
    assert snapshot(sup, new_ticket) == before
    fire(sup, new_ticket, "triage", 1, severity="low", category="counter", assignee="sup.a@example.com")
    before = snapshot(sup, new_ticket)
    r = fire(sup, new_ticket, "resolve", 2, outcome="已处理，感谢您的反馈。", resolution="x", finding="unfounded",
             attributed_clerk="clerk.a@example.com")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"attributed_clerk"}
    r = fire(sup, new_ticket, "resolve", 2, outcome="已处理，感谢您的反馈。", resolution="x", finding="substantiated",
             root_cause="skill", attributed_clerk="clerk.b@example.com")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"attributed_clerk"}
    r = fire(sup, new_ticket, "resolve", 2, finding="substantiated")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"resolution", "outcome", "root_cause"}
    assert snapshot(sup, new_ticket) == before
    r = sup.post(f"/tickets/{new_ticket}/events", json={"event": "fly", "version": 2})
    assert r.status_code == 422 and "event" in r.get_json()["fields"]
    assert snapshot(sup, new_ticket) == before


# -- personal data ------------------------------------------------------------------------------


def test_clerks_get_masked_phones_supervisors_and_admins_full(world, api):
    created = api(world.clerk_a).post("/tickets", json=complaint_body())
    ref = created.get_json()["ref"]
    assert created.get_json()["customer_phone"] == "13812345678"  # logged it: a call may be theirs to make
    for user, phone in ((world.clerk_a, "13812345678"), (world.clerk_a2, "138****5678"),
                        (world.sup_a, "13812345678"), (world.admin, "13812345678")):
        client = api(user)
        assert client.get(f"/tickets/{ref}").get_json()["customer_phone"] == phone, user.email
        [listed] = client.get("/tickets").get_json()["tickets"]
        assert listed["customer_phone"] == phone, user.email
    resp = api(world.clerk_a2).get(f"/tickets/{ref}")
    assert "13812345678" not in resp.get_data(as_text=True)


# -- authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer ", "Bearer not-a-token", "Basic dXNlcjpwYXNz",
                                    "Bearer " + "x" * 500, "Token abc"])
def test_401_without_or_with_a_bad_token(world, client, header):
    headers = {"Authorization": header} if header is not None else {}
    for method, path in (("GET", "/api/v1/tickets"), ("POST", "/api/v1/tickets"), ("GET", "/api/v1/users"),
                         ("GET", "/api/v1/offices")):
        resp = client.open(path, method=method, headers=headers, json=complaint_body())
        assert resp.status_code == 401, (header, path)
        assert resp.get_json()["error"]
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_a_deactivated_users_token_stops_working(world, api, token_for, client):
    headers = token_for(world.clerk_a)
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    r = api(world.admin).patch("/users/clerk.a@example.com", json={"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401


# -- admin API ----------------------------------------------------------------------------------


def test_offices_list_create_patch(world, api):
    admin = api(world.admin)
    codes = [o["code"] for o in admin.get("/offices").get_json()["offices"]]
    assert codes == ["SH-0101", "SH-0102"]
    assert [o["code"] for o in api(world.clerk_a).get("/offices").get_json()["offices"]] == ["SH-0101"]

    r = admin.post("/offices", json={"code": "bj-0001", "name": "北京东城营业部"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"code": "BJ-0001", "name": "北京东城营业部", "timezone": "Asia/Shanghai",
                            "active": True, "phone": None, "address": None, "region": None}
    for body, field in [({"code": "BJ-0001", "name": "again"}, "code"), ({"code": "bj-0001", "name": "x"}, "code"),
                        ({"code": "!", "name": "x"}, "code"), ({"code": "BJ-0002"}, "name"),
                        ({"code": "BJ-0003", "name": "x", "timezone": "Mars/Base"}, "timezone"),
                        ({"code": "BJ-0004", "name": "x", "extra": 1}, "extra")]:
        r = admin.post("/offices", json=body)
        assert r.status_code in (409, 422), body
        assert r.get_json()["error"] and field in r.get_json()["fields"], (body, r.get_json())
    assert len(admin.get("/offices").get_json()["offices"]) == 3

    r = admin.patch("/offices/BJ-0001", json={"name": "北京东城支局", "timezone": "Asia/Urumqi"})
    assert r.status_code == 200 and r.get_json()["name"] == "北京东城支局"
    assert r.get_json()["timezone"] == "Asia/Urumqi"
    r = admin.patch("/offices/BJ-0001", json={"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    r = admin.patch("/offices/BJ-0001", json={"name": "", "active": "no"})
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"name", "active"}
    assert admin.get("/offices/BJ-0001").get_json()["name"] == "北京东城支局"  # nothing half-written
    assert admin.patch("/offices/NOPE-1", json={"name": "x"}).status_code == 404
    # a deactivated office takes no new tickets
    r = admin.post("/tickets", json=complaint_body("BJ-0001"))
    assert r.status_code == 422 and "office" in r.get_json()["fields"]

    for user in (world.clerk_a, world.sup_a):
        client = api(user)
        assert client.post("/offices", json={"code": "XX-01", "name": "x"}).status_code == 403
        assert client.patch("/offices/SH-0101", json={"name": "x"}).status_code == 403
    assert api(world.sup_b).get("/offices/SH-0101").status_code == 403
    assert admin.get("/offices/SH-0101").get_json()["name"] == "上海徐汇营业部"


def test_users_list_create_patch_and_password_reset(world, api, login):
    admin = api(world.admin)
    emails = [u["email"] for u in admin.get("/users").get_json()["users"]]
    assert emails == sorted(u.email for u in world.users().values())

    new = {"email": "New.Clerk@Example.com", "name": "赵敏", "role": "clerk", "offices": ["SH-0101"],
           "password": "long-enough-pw"}
    r = admin.post("/users", json=new)
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"email": "new.clerk@example.com", "name": "赵敏", "role": "clerk", "active": True,
                            "offices": ["SH-0101"], "regions": [], "locale": None}
    assert "password" not in r.get_data(as_text=True)
    for body, field in [(new, "email"), ({**new, "email": "NEW.CLERK@example.com"}, "email"),
                        ({**new, "email": "not-an-email"}, "email"),
                        ({**new, "email": "x@example.com", "role": "boss"}, "role"),
                        ({**new, "email": "x@example.com", "offices": ["SH-0101", "SH-0102"]}, "offices"),
                        ({**new, "email": "x@example.com", "offices": ["NOPE"]}, "offices"),
                        ({**new, "email": "x@example.com", "password": "short"}, "password"),
                        ({**new, "email": "x@example.com", "name": "a\x07b"}, "name"),
                        ({**new, "email": "x@example.com", "locale": "fr"}, "locale"),
                        ({**new, "email": "x@example.com", "is_admin": True}, "is_admin")]:
        r = admin.post("/users", json=body)
        assert r.status_code in (409, 422), body
        assert r.get_json()["error"] and field in r.get_json()["fields"], (body, r.get_json())
    assert len(admin.get("/users").get_json()["users"]) == 7

    # promote to supervisor of both offices
    r = admin.patch("/users/new.clerk@example.com", json={"role": "supervisor", "offices": ["SH-0101", "SH-0102"]})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["role"], r.get_json()["offices"]) == ("supervisor", ["SH-0101", "SH-0102"])
    r = admin.patch("/users/new.clerk@example.com", json={"role": "clerk"})  # a clerk needs one office
    assert r.status_code == 422 and "offices" in r.get_json()["fields"]
    assert admin.get("/users/new.clerk@example.com").get_json()["role"] == "supervisor"
    r = admin.patch("/users/admin@example.com", json={"active": False})
    assert r.status_code == 422 and "active" in r.get_json()["fields"]
    r = admin.patch("/users/admin@example.com", json={"role": "clerk", "offices": ["SH-0101"]})
    assert r.status_code == 422 and "role" in r.get_json()["fields"]
    assert admin.patch("/users/nobody@example.com", json={"active": False}).status_code == 404
    r = admin.patch("/users/new.clerk@example.com", json={"active": False, "password": "x"})
    assert r.status_code == 422 and "password" in r.get_json()["fields"]
    assert admin.get("/users/new.clerk@example.com").get_json()["active"] is True
    r = admin.patch("/users/new.clerk@example.com", json={"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False

    # password reset: a given one, or a generated one returned once
    r = admin.post("/users/clerk.a2@example.com/password", json={"password": "a-brand-new-pw"})
    assert r.status_code == 200 and r.get_json() == {"email": "clerk.a2@example.com", "password": "a-brand-new-pw"}
    login(world.clerk_a2, "a-brand-new-pw")
    r = admin.post("/users/clerk.a2@example.com/password", json={})
    generated = r.get_json()["password"]
    assert r.status_code == 200 and len(generated) >= 8
    login(world.clerk_a2, generated)
    r = admin.post("/users/clerk.a2@example.com/password", json={"password": "short"})
    assert r.status_code == 422 and "password" in r.get_json()["fields"]
    login(world.clerk_a2, generated)  # still the last good one

    for user in (world.clerk_a, world.sup_a):
        client = api(user)
        assert client.get("/users").status_code == 403
        assert client.post("/users", json={**new, "email": "y@example.com"}).status_code == 403
        assert client.patch("/users/clerk.a2@example.com", json={"active": False}).status_code == 403
        assert client.post("/users/clerk.a2@example.com/password", json={}).status_code == 403
        assert client.post("/users/admin@example.com/password", json={"password": "hijacked-pw"}).status_code == 403
        assert client.get("/users/admin@example.com").status_code == 403
        assert client.get(f"/users/{user.email}").get_json()["email"] == user.email
    login(world.admin, PASSWORD)
    assert admin.get("/users/clerk.a2@example.com").get_json()["active"] is True


def test_non_admins_cannot_tell_which_emails_exist(world, api):
    client = api(world.clerk_a)
    assert client.get(f"/users/{world.sup_a.email}").status_code == 403
    assert client.get("/users/nobody@example.com").status_code == 403
    assert client.get(f"/users/{world.clerk_a.email.upper()}").status_code == 200


def test_the_queue_count_stops_past_its_cap_and_says_so(world, api, make_ticket, login, monkeypatch):
    from complaints.tickets import queries

    for _ in range(14):
        make_ticket()
    sup = api(world.sup_a)
    exact = sup.get("/tickets?per_page=1").get_json()
    assert (exact["total"], exact["total_is_lower_bound"]) == (14, False)
    monkeypatch.setattr(queries, "COUNT_CAP", 5)  # the cap is then (page + 10) pages of 1: 11
    page = sup.get("/tickets?per_page=1").get_json()
    assert (page["total"], page["total_is_lower_bound"]) == (11, True) and len(page["tickets"]) == 1
    far = sup.get("/tickets?per_page=1&page=4").get_json()
    assert (far["total"], far["total_is_lower_bound"]) == (14, False)  # (4 + 10) pages reach every ticket
    html = login(world.sup_a).get("/tickets?per_page=1").get_data(as_text=True)
    assert "rel=\"next\"" in html and "超过 11 张工单" in html  # "more than 11 tickets"
