"""Hostile input never gives a 500, never half-writes, and is never rendered unescaped."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from complaints.extensions import db
from complaints.models import Ticket, TicketEvent
from complaints.workflow import BY_EVENT, EVENTS
from tests.conftest import complaint_body

OK = {200, 201, 400, 403, 404, 409, 413, 422}
JUNK = [None, True, 0, -1, 10**30, 1.5, "", " ", "\x00", "\u202e", "x" * 6000, [], [1], {}, {"a": 1},
        "9999-12-31T23:59:59-12:00", "2999-01-01T00:00:00+08:00", "0001-01-01T00:00:00", "<b>x</b>"]


def _counts() -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(Ticket)),
            db.session.scalar(select(func.count()).select_from(TicketEvent)))


def test_junk_in_each_field_of_a_new_ticket_is_refused_per_field(world, api):
    client = api(world.clerk_a)
    for field in [*complaint_body(), "clerk"]:
        for value in JUNK:
            before = _counts()
            resp = client.post("/tickets", json=complaint_body(**{field: value}))
            assert resp.status_code in OK, (field, value)
            if resp.status_code != 201:
                body = resp.get_json()
                assert resp.status_code == 422 and body["error"] and field in body["fields"], (field, value, body)
                assert _counts() == before


def test_junk_in_every_field_of_every_event_is_refused_and_changes_nothing(world, api, make_ticket):
    client = api(world.admin)
    for event in EVENTS:
        for field in BY_EVENT[event].field_names():
            for value in JUNK:
                ticket = make_ticket()
                before = (ticket.version, ticket.state, _counts())
                resp = client.post(f"/tickets/{ticket.ref}/events",
                                   json={"event": event, "version": ticket.version, field: value})
                assert resp.status_code in OK, (event, field, value, resp.status_code)
                assert resp.status_code != 200 or event in ("triage", "reject"), (event, field, value)
                db.session.expire_all()
                if resp.status_code != 200:
                    assert (ticket.version, ticket.state, _counts()) == before


@pytest.mark.parametrize("raw", [b"{", b"[]", b'"text"', b"null", b"1", b"\xff\xfe", b'{"kind": "complaint",}',
                                 b'{"description": "\\ud800"}', b"{" * 10000])
def test_malformed_json_bodies(world, api, make_ticket, raw):
    client = api(world.sup_a)
    ticket = make_ticket()
    for path in ("/tickets", f"/tickets/{ticket.ref}/events"):
        resp = client.post(path, data=raw, content_type="application/json")
        assert resp.status_code in (400, 422), (path, raw[:20], resp.status_code)
        assert "error" in resp.get_json()


def test_wrong_content_type_and_oversize_bodies(world, api, make_ticket):
    client = api(world.sup_a)
    assert client.post("/tickets", data="kind=complaint", content_type="application/x-www-form-urlencoded"
                       ).status_code in (400, 422)
    huge = json.dumps(complaint_body(description="投" * 600_000))
    resp = client.post("/tickets", data=huge, content_type="application/json")
    assert resp.status_code == 413
    over = client.post("/tickets", json=complaint_body(description="x" * 5001))
    assert over.status_code == 422 and "description" in over.get_json()["fields"]


@pytest.mark.parametrize("path", ["/tickets/" + "C" * 5000, "/tickets/%00", "/tickets/C-2026-000001%0d%0aX: y",
                                  "/tickets/../../etc/passwd", "/tickets?page=99999999999999999999",
                                  "/tickets?per_page=-1", "/tickets?state=<script>", "/offices/" + "Z" * 3000])
def test_odd_urls(world, api, path):
    resp = api(world.sup_a).get(path)
    assert resp.status_code in (400, 403, 404, 422), (path, resp.status_code)


def test_unknown_events_and_versions(world, api, make_ticket):
    ticket = make_ticket()
    client = api(world.sup_a)
    for event in ("log", "delete", "", None, 5, ["triage"], "TRIAGE"):
        resp = client.post(f"/tickets/{ticket.ref}/events", json={"event": event, "version": 1})
        assert resp.status_code == 422, (event, resp.status_code)
    for version in (None, "1", 1.0, True, -1, 10**20, [1]):
        resp = client.post(f"/tickets/{ticket.ref}/events", json={"event": "reject", "version": version,
                                                                   "reason": "invalid"})
        assert resp.status_code in (409, 422), (version, resp.status_code)
    assert _counts()[1] == 1


def test_hostile_web_forms_are_shown_again_with_messages(world, login, make_ticket):
    client = login(world.sup_a)
    for value in ("\x00\x01", "x" * 6000, "<script>alert(1)</script>", "\u202e"):
        resp = client.post("/tickets/new", data={"kind": "complaint", "channel": "counter", "office": "SH-0101",
                                                 "description": value, "occurred_at": "2026-11-20T09:00",
                                                 "customer_name": value, "customer_phone": value})
        assert resp.status_code in (302, 400, 422), resp.status_code  # 400: a NUL means a forged form
        assert "<script>alert(1)" not in resp.get_data(as_text=True)
    ticket = make_ticket()
    for value in ("", "abc", "99999999999", "-5"):
        resp = client.post(f"/tickets/{ticket.ref}/events/triage",
                           data={"version": value, "triage-severity": "<x>", "triage-category": "\x01"})
        assert resp.status_code in (409, 422), (value, resp.status_code)
    assert client.post("/tickets/new", data={"occurred_at": "9999-99-99"}).status_code == 422


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(sorted({f for t in BY_EVENT.values() for f in t.field_names()} | {"event", "version"}))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(field_names | st.text(max_size=10), json_values, max_size=8) | json_values,
       event_body=st.dictionaries(field_names, json_values, max_size=6))
def test_random_json_never_gives_a_500(world, api, make_ticket, body, event_body):
    client = api(world.sup_a)
    assert client.post("/tickets", json=body).status_code in OK
    ticket = db.session.scalar(select(Ticket).limit(1)) or make_ticket()
    resp = client.post(f"/tickets/{ticket.ref}/events", json=event_body)
    assert resp.status_code in OK


def test_nul_characters_are_refused_before_any_query(world, api, login):
    client = api(world.sup_a)
    resp = client.post("/tickets", json=complaint_body(office="SH-0101\x00", clerk="a\x00b"))
    assert resp.status_code == 422 and set(resp.get_json()["fields"]) == {"office", "clerk"}
    assert client.get("/tickets/C-2026-000001%00").status_code == 400
    assert client.get("/tickets?office=%00").status_code == 400
    web = login(world.sup_a)
    assert web.post("/tickets/new", data={"office": "\x00"}).status_code == 400
