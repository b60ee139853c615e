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
        "9999-12-31T23:59:59-12:00", "2999-01-01T00:00:00+08:00", "0001-01-01T00:00:00", "<b>x</b>", "abc", "3", "-3"]


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
                # From new only triage, reject and the events that keep the state (a note may hold odd text).
                assert resp.status_code != 200 or event in ("triage", "reject") or BY_EVENT[event].keeps_state, (
                    event, field, value)
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


# -- more hostile input -------------------------------------------------------------------------

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;'


def _fire(client, ref, event, version, **fields):
    return client.post(f"/tickets/{ref}/events", json={"event": event, "version": version, **fields})


def _state(client, ref) -> tuple:
    body = client.get(f"/tickets/{ref}").get_json()
    return body["version"], body["state"], len(body["history"])


def test_a_megabyte_of_text_under_the_body_limit_is_a_422_not_a_413(world, api, app):
    client = api(world.sup_a)
    limit = app.config["MAX_CONTENT_LENGTH"]
    description = "x" * (limit - 2000)
    resp = client.post("/tickets", json=complaint_body(description=description))
    assert resp.status_code == 422 and set(resp.get_json()["fields"]) == {"description"}
    resp = client.post("/tickets", json=complaint_body(customer_name="名" * 101))
    assert resp.status_code == 422 and set(resp.get_json()["fields"]) == {"customer_name"}
    assert client.post("/tickets", json=complaint_body(customer_name="名" * 100)).status_code == 201
    assert client.post("/tickets", json=complaint_body(description="x" * 5000)).status_code == 201
    resp = client.post("/tickets", data=b'{"description": "' + b"x" * (limit + 1) + b'"}',
                       content_type="application/json")
    assert resp.status_code == 413 and resp.get_json()["error"]
    assert _counts()[0] == 2


@pytest.mark.parametrize("char", ["\x01", "\x07", "\x1b", "\x7f", "\x85", "\x9b"])
def test_control_characters_are_refused_in_every_text_field(world, api, make_ticket, char):
    client = api(world.sup_a)
    for field in ("description", "customer_name"):
        resp = client.post("/tickets", json=complaint_body(**{field: f"a{char}b"}))
        assert resp.status_code == 422 and set(resp.get_json()["fields"]) == {field}, (field, repr(char))
    ticket = make_ticket()
    ref = ticket.ref
    assert _fire(client, ref, "triage", 1, severity="low", category="counter",
                 assignee="sup.a@example.com").status_code == 200
    for event, field, extra in [("request_info", "note", {}),
                                ("resolve", "resolution", {"finding": "unfounded", "outcome": "已处理"}),
                                ("resolve", "outcome", {"finding": "unfounded", "resolution": "ok"})]:
        before = _state(client, ref)
        resp = _fire(client, ref, event, 2, **{field: f"a{char}b"}, **extra)
        assert resp.status_code == 422 and set(resp.get_json()["fields"]) == {field}, (event, repr(char))
        assert _state(client, ref) == before
    _fire(client, ref, "resolve", 2, outcome="已处理，感谢您的反馈。", resolution="ok", finding="unfounded")
    resp = _fire(client, ref, "reopen", 3, reason=f"a{char}b")
    assert resp.status_code == 422 and set(resp.get_json()["fields"]) == {"reason"}


def test_newlines_and_tabs_are_text_in_multiline_fields_only(world, api):
    client = api(world.sup_a)
    resp = client.post("/tickets", json=complaint_body(description="第一行\r\n第二行\r第三行\n\t缩进"))
    assert resp.status_code == 201
    assert resp.get_json()["description"] == "第一行\n第二行\n第三行\n\t缩进"
    for value in ("王\n先生", "王\t先生", "王\r先生"):
        resp = client.post("/tickets", json=complaint_body(customer_name=value))
        assert resp.status_code == 422 and set(resp.get_json()["fields"]) == {"customer_name"}, repr(value)


def test_html_is_kept_verbatim_in_json_and_escaped_on_the_ticket_page(world, api, login):
    client = api(world.sup_a)
    name = SCRIPT[:100]
    resp = client.post("/tickets", json=complaint_body(description=SCRIPT, customer_name=name))
    assert resp.status_code == 201
    ref = resp.get_json()["ref"]
    assert (resp.get_json()["description"], resp.get_json()["customer_name"]) == (SCRIPT, name)
    steps = [("triage", {"severity": "low", "category": "counter", "assignee": "sup.a@example.com"}),
             ("request_info", {"note": "ask " + SCRIPT}), ("info_received", {"note": "got " + SCRIPT}),
             ("resolve", {"outcome": "已处理，感谢您的反馈。",
                          "resolution": "fixed " + SCRIPT, "finding": "unfounded"}),
             ("reopen", {"reason": "again " + SCRIPT})]
    for version, (event, fields) in enumerate(steps, start=1):
        r = _fire(client, ref, event, version, **fields)
        assert r.status_code == 200, (event, r.get_json())
    body = client.get(f"/tickets/{ref}").get_json()
    assert body["description"] == SCRIPT and body["customer_name"] == name
    payloads = [h["payload"] for h in body["history"]]
    assert payloads[2]["note"] == "ask " + SCRIPT and payloads[3]["note"] == "got " + SCRIPT
    assert payloads[4]["resolution"] == "fixed " + SCRIPT and payloads[5]["reason"] == "again " + SCRIPT
    # JSON, never HTML: the raw text is only ever inside a JSON string
    r = client.get(f"/tickets/{ref}")
    assert r.mimetype == "application/json"

    page = login(world.sup_a).get(f"/tickets/{ref}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html  # shown, escaped
    assert "ask &lt;script&gt;" in html and "fixed &lt;script&gt;" in html  # the history's notes too
    assert html.count("&lt;script&gt;") >= 2  # the description and the customer's name at least


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59-12:00", "9999-12-31",
                                   "0001-01-01T00:00:00+14:00", "0001-01-01", "1970-01-01T00:00:00Z",
                                   "1999-12-31T23:59:59+00:00", "2999-01-01T00:00:00+08:00", "2026-02-30T10:00",
                                   "2026-13-01T10:00", "2026-11-20T25:00", "tomorrow", "", "T", "+002026-11-20",
                                   "2026-11-20T09:30:00+99:00", "２０２６-11-20", "2026-11-20\x00", 20261120,
                                   1.7e9, "9" * 41, ["2026-11-20"], {"date": "2026-11-20"}, True])
def test_odd_dates_are_a_422_on_occurred_at(world, api, value):
    resp = api(world.sup_a).post("/tickets", json=complaint_body(occurred_at=value))
    assert resp.status_code == 422, (value, resp.status_code)
    assert set(resp.get_json()["fields"]) == {"occurred_at"}, resp.get_json()
    assert _counts() == (0, 0)


def test_dates_that_are_fine(world, api):
    client = api(world.sup_a)
    for value in ("2026-11-20", "2026-11-20T09:30", "2026-11-20T01:30:00Z", "2026-11-20 09:30:00+08:00",
                  "2000-01-01T08:00:00+08:00"):
        resp = client.post("/tickets", json=complaint_body(occurred_at=value))
        assert resp.status_code == 201, (value, resp.get_json())


@pytest.mark.parametrize("value", ["--5", "²",
                                   "³", "٣", "3.5", "1e0", " 4 ", "+4", "-0", "0x3",
                                   "4" * 9, 10**400,
                                   -(10**400), 4.0, 4.5, float("1e308"), True, False, [], {}, "四"])
def test_odd_numbers_for_the_follow_up_scores(world, api, make_ticket, value):
    client = api(world.sup_a)
    ref = make_ticket().ref
    _fire(client, ref, "triage", 1, severity="low", category="counter", assignee="sup.a@example.com")
    _fire(client, ref, "resolve", 2, outcome="已处理，感谢您的反馈。", resolution="ok", finding="unfounded")
    before = _state(client, ref)
    resp = _fire(client, ref, "follow_up", 3, contact="reached", expectation=value, perception=3, satisfied=True)
    assert resp.status_code in (200, 422), (value, resp.status_code)
    if resp.status_code == 200:
        assert resp.get_json()["expectation"] in range(1, 6)
        assert isinstance(value, str) and value.strip().isdecimal(), value  # only plain digits are read as numbers
    else:
        assert set(resp.get_json()["fields"]) == {"expectation"}
        assert _state(client, ref) == before


@pytest.mark.parametrize("value", ["²", "٣", "--1", "1" * 30, "１"])
def test_odd_numbers_in_the_queue_paging(world, api, value):
    resp = api(world.sup_a).get(f"/tickets?page={value}&per_page=5")
    assert resp.status_code in (200, 422), (value, resp.status_code)
    resp = api(world.sup_a).get(f"/tickets?per_page={value}")
    assert resp.status_code in (200, 422), (value, resp.status_code)


def test_huge_json_numbers_and_deep_nesting(world, api, make_ticket):
    client = api(world.sup_a)
    ref = make_ticket().ref
    for raw in (b'{"event": "triage", "version": 1' + b"0" * 5000 + b"}",
                b'{"event": "triage", "version": 1e999}', b'{"event": "triage", "version": NaN}',
                b'{"event": "triage", "version": -Infinity}'):
        resp = client.post(f"/tickets/{ref}/events", data=raw, content_type="application/json")
        assert resp.status_code in (400, 409, 413, 422), (raw[:60], resp.status_code)
        assert resp.get_json()["error"]
    assert _counts()[1] == 1


@pytest.mark.parametrize("text", ["\ud800",
                                  "a\udfffb",
                                  "\ud83d", "\U0001f600\u200d\u2764\ufe0f",
                                  "\u202eevil\u202c",
                                  "\u200f\u200e", "\ufeff", "\uffff", "e\u0301" * 50, "𠀀" * 100])
def test_unicode_edge_cases_in_text_fields(world, api, text):
    client = api(world.sup_a)
    raw = json.dumps(complaint_body(description=text, customer_name=text[:100]), ensure_ascii=True)
    resp = client.post("/tickets", data=raw, content_type="application/json")
    assert resp.status_code in (201, 422), (repr(text), resp.status_code)
    if resp.status_code == 201:
        assert resp.get_json()["description"] == text
        got = client.get(f"/tickets/{resp.get_json()['ref']}").get_json()
        assert got["description"] == text and got["customer_name"] == text[:100]
    else:
        assert {"description", "customer_name"} & set(resp.get_json()["fields"]), resp.get_json()
        assert _counts() == (0, 0)


def test_deeply_nested_json_is_refused(world, api, make_ticket):
    ref = make_ticket().ref
    raw = b'{"event": "triage", "version": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    resp = api(world.sup_a).post(f"/tickets/{ref}/events", data=raw, content_type="application/json")
    assert resp.status_code in (400, 413, 422)


@pytest.mark.parametrize("path,body", [
    ("/offices", {"code": "BJ-0001", "name": "\ud800"}),
    ("/users", {"email": "x@example.com", "name": "\udfff", "role": "admin",
                "password": "long-enough-pw"}),
    ("/users", {"email": "x@example.com", "name": "x", "role": "admin",
                "password": "pw\ud800-long-enough"}),
    ("/users", {"email": "\ud800@example.com", "name": "x", "role": "admin",
                "password": "long-enough-pw"}),
    ("/offices", {"code": "BJ-\ud800", "name": "x"}),
])
def test_lone_surrogates_in_the_admin_api(world, api, path, body):
    resp = api(world.admin).post(path, data=json.dumps(body), content_type="application/json")
    assert resp.status_code == 422, resp.status_code
    assert resp.get_json()["error"] and resp.get_json()["fields"]
    assert len(api(world.admin).get("/users").get_json()["users"]) == 6
    assert len(api(world.admin).get("/offices").get_json()["offices"]) == 2


@pytest.mark.parametrize("raw", [b'{"description": "\xff\xfe"}', b'\xef\xbb\xbf{"kind": "complaint"}',
                                 b'{"kind": "compl\xc3"}', "{\"kind\": \"é\"}".encode("latin-1"),
                                 "{}".encode("utf-16"), b'{"a": 1, "a": 2}', b"{'kind': 'complaint'}",
                                 b"", b" ", b"true", b"[{}]", b'{"\\u0000": 1}'])
def test_raw_bytes_that_are_not_good_json(world, api, raw):
    resp = api(world.sup_a).post("/tickets", data=raw, content_type="application/json")
    assert resp.status_code in (400, 422), (raw[:20], resp.status_code)
    assert resp.get_json()["error"]


@pytest.mark.parametrize("ctype", ["text/plain", "application/xml", "multipart/form-data", "application/json-patch",
                                   None])
def test_wrong_content_types(world, api, ctype):
    body = json.dumps(complaint_body())
    kw = {"content_type": ctype} if ctype else {}
    resp = api(world.sup_a).post("/tickets", data=body, **kw)
    assert resp.status_code in (400, 415, 422), (ctype, resp.status_code)
    assert resp.get_json()["error"]
    assert _counts() == (0, 0)


def test_unknown_fields_are_named_and_nothing_is_written(world, api, make_ticket):
    client = api(world.sup_a)
    resp = client.post("/tickets", json=complaint_body(priority="urgent", **{"<b>": 1, "x" * 500: 2}))
    assert resp.status_code == 422
    fields = resp.get_json()["fields"]
    assert {"priority", "<b>", "x" * 64} == set(fields)
    ref = make_ticket().ref
    resp = _fire(client, ref, "reject", 1, reason="invalid", note="hi")
    assert resp.status_code == 422 and set(resp.get_json()["fields"]) == {"note"}
    assert _state(client, ref) == (1, "new", 1)


@pytest.mark.parametrize("ref", ["C" * 5000, "C-2026-" + "9" * 3000, "%E2%80%AE", "C-2026-000001%20",
                                 "c-2026-000001'--", "C-2026-000001;DROP TABLE tickets"])
def test_long_and_odd_references_in_the_url(world, api, make_ticket, ref):
    make_ticket()
    client = api(world.sup_a)
    assert client.get(f"/tickets/{ref}").status_code in (400, 404)
    resp = client.post(f"/tickets/{ref}/events", json={"event": "reject", "version": 1, "reason": "invalid"})
    assert resp.status_code in (400, 404), resp.status_code
    assert _state(client, "C-2026-000001")[1] == "new"


def test_a_lowercase_reference_finds_the_ticket(world, api, make_ticket):
    ref = make_ticket().ref
    assert api(world.sup_a).get(f"/tickets/{ref.lower()}").get_json()["ref"] == ref


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=st.sampled_from(EVENTS), fields=st.dictionaries(field_names, json_values, max_size=5),
       version=json_values)
def test_random_values_for_a_known_event_never_give_a_500(world, api, make_ticket, event, fields, version):
    client = api(world.sup_a)
    ticket = db.session.scalar(select(Ticket).limit(1)) or make_ticket()
    db.session.expire_all()
    before = (ticket.version, ticket.state)
    resp = client.post(f"/tickets/{ticket.ref}/events", json={**fields, "event": event, "version": version})
    assert resp.status_code in OK - {404}, resp.status_code
    if resp.status_code != 200:
        db.session.expire_all()
        assert (ticket.version, ticket.state) == before
        assert resp.get_json()["error"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(sorted(complaint_body())), value=json_values)
def test_random_value_in_one_field_of_a_good_ticket(world, api, field, value):
    before = _counts()
    resp = api(world.sup_a).post("/tickets", json=complaint_body(**{field: value}))
    assert resp.status_code in (201, 403, 422), (field, value, resp.status_code)
    if resp.status_code == 422:
        assert set(resp.get_json()["fields"]) == {field}, (field, value, resp.get_json())
        assert _counts() == before


# -- web forms ----------------------------------------------------------------------------------


def _new_form(**over) -> dict:
    data = {"kind": "complaint", "channel": "counter", "office": "SH-0101", "category": "counter",
            "description": "态度差", "occurred_at": "2026-11-20T09:00", "customer_name": "王先生",
            "customer_phone": "13812345678"}
    data.update(over)
    return data


@pytest.mark.parametrize("field", ["kind", "channel", "office", "description", "occurred_at", "customer_name",
                                   "customer_phone", "clerk"])
@pytest.mark.parametrize("value", ["\x07", "x" * 6000, "<script>alert(1)</script>", "\u202e", "9999-12-31T23:59",
                                   "0001-01-01T00:00", "²",
                                   "\ud800".encode("utf-8", "surrogatepass").decode("latin-1")])
def test_hostile_values_in_the_new_ticket_form(world, login, field, value):
    client = login(world.sup_a)
    resp = client.post("/tickets/new", data=_new_form(**{field: value}))
    assert resp.status_code in (302, 400, 422), (field, value[:20], resp.status_code)
    html = resp.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    if resp.status_code == 422:
        assert "<form" in html and 'name="description"' in html  # shown again
        assert 'class="error"' in html and "has-error" in html  # with its messages


@pytest.mark.parametrize("raw", [b"%ED%A0%80", b"%FF%FE", b"%C3", b"%E2%80%AE%3Cscript%3E", b"%00"])
def test_raw_bytes_in_the_new_ticket_form(world, login, raw):
    client = login(world.sup_a)
    good = "&".join(f"{k}={v}" for k, v in _new_form().items() if k not in ("description", "customer_name"))
    body = good.encode() + b"&description=" + raw + b"&customer_name=" + raw
    resp = client.post("/tickets/new", data=body, content_type="application/x-www-form-urlencoded")
    assert resp.status_code in (302, 400, 422), (raw, resp.status_code)
    assert "<script>" not in resp.get_data(as_text=True)


def test_the_new_ticket_form_keeps_the_good_values_and_names_the_bad_one(world, login):
    client = login(world.sup_a)
    resp = client.post("/tickets/new", data=_new_form(customer_phone="call me <b>now</b>"))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "态度差" in html and "<b>now</b>" not in html and "&lt;b&gt;now&lt;/b&gt;" in html
    assert html.count("has-error") == 1 and 'id="customer_phone-error"' in html
    assert _counts() == (0, 0)


@pytest.mark.parametrize("event,data", [
    ("triage", {"triage-severity": "<x>", "triage-category": "\x01", "triage-assignee": "nobody"}),
    ("triage", {"triage-severity": ["low", "high"], "triage-category": "delay", "triage-assignee": "x" * 6000}),
    ("reject", {"reject-reason": "duplicate", "reject-duplicate_of": "C" * 6000}),
    ("reject", {"reject-reason": "duplicate", "reject-duplicate_of": "<script>alert(1)</script>"}),
    ("resolve", {"resolve-resolution": "x", "resolve-outcome": "已处理", "resolve-finding": "unfounded"}),
    ("follow_up", {"follow_up-contact": "reached", "follow_up-expectation": "²"}),
    ("reopen", {"reopen-reason": "\x07"}),
])
@pytest.mark.parametrize("version", ["1", "", "abc", "²", "٣", "-1", "9" * 40, "1.0"])
def test_hostile_event_forms_are_shown_again(world, login, make_ticket, event, data, version):
    ticket = make_ticket()
    client = login(world.sup_a)
    resp = client.post(f"/tickets/{ticket.ref}/events/{event}", data={"version": version, **data})
    assert resp.status_code in (400, 409, 422), (event, version, resp.status_code)
    html = resp.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "<form" in html
    db.session.expire_all()
    assert (ticket.version, ticket.state) == (1, "new")
    assert _counts() == (1, 1)


def test_an_unknown_event_page_is_a_404(world, login, make_ticket):
    ref = make_ticket().ref
    client = login(world.sup_a)
    for event in ("log", "delete", "x" * 3000, "%00"):
        assert client.post(f"/tickets/{ref}/events/{event}", data={"version": "1"}).status_code in (400, 404)


admin_fields = st.sampled_from(["code", "name", "timezone", "active", "email", "role", "offices", "password",
                                "locale"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["POST /offices", "PATCH /offices/SH-0101", "POST /users",
                             "PATCH /users/clerk.a@example.com", "POST /users/clerk.a@example.com/password"]),
       body=st.dictionaries(admin_fields, json_values, max_size=6) | json_values)
def test_random_json_to_the_admin_api_never_gives_a_500(world, api, path, body):
    method, url = path.split(" ")
    resp = getattr(api(world.admin), method.lower())(url, json=body)
    assert resp.status_code in {200, 201, 409, 422}, (path, body, resp.status_code)
    if resp.status_code >= 400:
        assert resp.get_json()["error"]


MONEY_JUNK = ["NaN", "Infinity", "1e3", "-0.01", "12.345", "1,2,3", "１２３.4５6", "¥-5", float("nan"), 0.1 + 0.2]


def test_junk_in_the_customer_and_regulator_fields_of_a_new_ticket_is_refused_per_field(world, api):
    client = api(world.sup_a)
    appeal = {"channel": "regulator", "regulator_case": "SH2026-12305-000001"}
    for field in ("customer_email", "customer_consent", "regulator_case", "regulator_due", "appeal_of"):
        for value in JUNK:
            before = _counts()
            resp = client.post("/tickets", json=complaint_body(**{**appeal, field: value}))
            assert resp.status_code in OK, (field, value)
            if resp.status_code != 201:
                body = resp.get_json()
                assert resp.status_code == 422 and field in body["fields"], (field, value, body)
                assert _counts() == before


def _ref_in_state(client, *, appeal: bool = False, compensation: str | None = None) -> str:
    """A ticket where the issue-13 events apply: a resolved appeal, or a resolved loss with compensation."""
    body = complaint_body(**({"channel": "regulator", "regulator_case": "SH2026-12305-000002"} if appeal else {}))
    ref = client.post("/tickets", json=body).get_json()["ref"]
    _fire(client, ref, "triage", 1, severity="low", category="loss", assignee="sup.a@example.com")
    resolve = {"outcome": "已赔偿", "resolution": "查实", "finding": "substantiated", "root_cause": "responsibility",
               "claimed_amount": "300", "offered_amount": "250.50", "compensation_basis": "uninsured"}
    if appeal:
        resolve |= {"regulator_reply": "已回复管理局", "regulator_replied_on": "2026-11-20"}
    assert _fire(client, ref, "resolve", 2, **resolve).status_code == 200
    if compensation == "approved":
        assert _fire(client, ref, "approve_compensation", 3).status_code == 200
    return ref


@pytest.mark.parametrize("event, setup", [
    ("record_verdict", {"appeal": True}), ("link_appeal", {"appeal": True}),
    ("refuse_compensation", {}), ("pay_compensation", {"compensation": "approved"}),
])
def test_junk_in_every_field_of_the_appeal_and_compensation_events_changes_nothing(world, api, event, setup):
    client = api(world.sup_a)
    ref = _ref_in_state(client, **setup)
    for field in BY_EVENT[event].field_names():
        for value in [*JUNK, *MONEY_JUNK]:
            before = _state(client, ref)
            resp = _fire(client, ref, event, before[0], **{field: value})
            assert resp.status_code in OK, (event, field, value, resp.status_code)
            assert resp.status_code != 500
            if resp.status_code != 200:
                assert _state(client, ref) == before, (event, field, value)


def test_junk_amounts_at_resolve_are_refused_per_field(world, api):
    client = api(world.sup_a)
    ref = client.post("/tickets", json=complaint_body()).get_json()["ref"]
    _fire(client, ref, "triage", 1, severity="low", category="damage", assignee="sup.a@example.com")
    good = {"outcome": "已赔偿", "resolution": "查实", "finding": "substantiated", "root_cause": "responsibility",
            "claimed_amount": "300", "offered_amount": "250.50", "compensation_basis": "insured"}
    for field in ("claimed_amount", "offered_amount"):
        for value in [*JUNK, *MONEY_JUNK, "10000000.01", -1, "-1"]:
            if value is not True and value in ("3", 0, 1.5):
                continue  # amounts a person could mean: they would resolve the ticket
            before = _state(client, ref)
            resp = _fire(client, ref, "resolve", 2, **{**good, field: value})
            assert resp.status_code == 422 and field in resp.get_json()["fields"], (field, value, resp.get_json())
            assert _state(client, ref) == before
