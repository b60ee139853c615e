"""Regulator appeals (申诉转办): the case number and deadline, the link to the complaint escalated,
the reply to the regulator at resolve, the verdict, and where appeals show (lists, CSV, dashboard, API).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from complaints.extensions import db
from complaints.models import Ticket
from tests.conftest import complaint_body

S10 = "EA123456785CN"  # a postal item number with the right check digit
OTHER_PHONE = "13987654321"


@pytest.fixture
def en(client):
    client.set_cookie("locale", "en")
    return client


def today() -> datetime:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))


def fire(client, ref: str, event: str, version, **fields):  # noqa: ANN001, ANN201
    return client.post(f"/tickets/{ref}/events", json={"event": event, "version": version, **fields})


def log_appeal(client, office: str = "SH-0101", **over):  # noqa: ANN001, ANN201
    body = complaint_body(office, channel="regulator", regulator_case="YZSS-2026-0417", **over)
    return client.post("/tickets", json=body)


def count_tickets() -> int:
    db.session.expire_all()
    return db.session.query(Ticket).count()


def triaged(sup, ref: str, category: str = "counter") -> int:  # noqa: ANN001
    r = fire(sup, ref, "triage", 1, severity="medium", category=category, assignee="sup.a@example.com")
    assert r.status_code == 200, r.get_json()
    return r.get_json()["version"]


REPLY = {"regulator_reply": "已于11月20日书面答复申诉中心：包裹已找到并投递。",
         "regulator_replied_on": "2026-11-20"}
RESOLVE = {"resolution": "已核实", "outcome": "您的包裹已找到并投递，感谢您的耐心。", "finding": "unfounded"}


# -- logging --------------------------------------------------------------------------------------


def test_an_appeal_needs_its_case_number_and_only_an_appeal_has_one(world, api, en):
    clerk = api(world.clerk_a)
    before = count_tickets()
    r = clerk.post("/tickets", json=complaint_body(channel="regulator"))
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"regulator_case"}
    r = clerk.post("/tickets", json=complaint_body(regulator_case="YZSS-1", regulator_due="2026-12-01"))
    assert r.status_code == 422
    assert set(r.get_json()["fields"]) == {"regulator_case", "regulator_due"}
    assert "Only allowed when" in r.get_json()["fields"]["regulator_case"]
    assert count_tickets() == before  # nothing written, no reference taken

    r = log_appeal(clerk)  # the deadline is optional (the reply policy's working days then apply)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["channel"], body["regulator_case"]) == ("regulator", "YZSS-2026-0417")
    assert body["verdict"] is None and body["appeal_of"] is None and body["appeals"] == []

    due = (today().date() + timedelta(days=10)).isoformat()
    r = log_appeal(clerk, regulator_due=due)
    assert r.status_code == 201 and r.get_json()["regulator_due"] == due
    r = log_appeal(clerk, regulator_due=(today().date() + timedelta(days=400)).isoformat())
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"regulator_due"}
    r = log_appeal(clerk, regulator_due="30/11/2026")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"regulator_due"}


def test_appeal_of_links_only_the_same_customers_case_and_reveals_nothing_else(world, api, en):
    # The original complaint is another office's: the appeal reached office A.
    original = api(world.clerk_b).post("/tickets", json=complaint_body(
        "SH-0102", customer_phone=OTHER_PHONE, items=[{"number": S10, "product": "parcel"}])).get_json()["ref"]
    clerk = api(world.clerk_a)
    before = count_tickets()

    no_match = log_appeal(clerk, appeal_of=original)  # the default phone is another customer's, no item
    unknown = log_appeal(clerk, appeal_of="C-2026-999999")
    assert no_match.status_code == unknown.status_code == 422
    # Word for word the same answer: the reference of another office's ticket tells nothing.
    assert no_match.get_json() == unknown.get_json()
    assert set(no_match.get_json()["fields"]) == {"appeal_of"}
    assert original not in no_match.get_data(as_text=True) and OTHER_PHONE not in no_match.get_data(as_text=True)
    assert count_tickets() == before

    by_phone = log_appeal(clerk, appeal_of=original.lower(), customer_phone=OTHER_PHONE)
    assert by_phone.status_code == 201, by_phone.get_json()
    assert by_phone.get_json()["appeal_of"] == original
    by_item = log_appeal(clerk, appeal_of=original, items=[{"number": S10, "product": "parcel"}])
    assert by_item.status_code == 201 and by_item.get_json()["appeal_of"] == original

    # The original's office sees the appeals that escalated it.
    seen = api(world.sup_b).get(f"/tickets/{original}").get_json()
    assert seen["appeals"] == [by_phone.get_json()["ref"], by_item.get_json()["ref"]]
    listed = api(world.sup_b).get("/tickets").get_json()["tickets"]
    assert next(t for t in listed if t["ref"] == original)["appeals"] == seen["appeals"]

    # An appeal does not escalate an appeal.
    r = log_appeal(clerk, appeal_of=by_phone.get_json()["ref"], customer_phone=OTHER_PHONE)
    assert r.status_code == 422 and "itself an appeal" in r.get_json()["fields"]["appeal_of"]


def test_link_appeal_afterwards(world, api, en, make_ticket):
    original = make_ticket(customer_phone=OTHER_PHONE)
    stranger = make_ticket()  # the default phone
    appeal = log_appeal(api(world.clerk_a), customer_phone=OTHER_PHONE).get_json()
    sup = api(world.sup_a)

    r = fire(api(world.clerk_a), appeal["ref"], "link_appeal", 1, original=original.ref)
    assert r.status_code == 403  # a clerk does not link
    r = fire(api(world.sup_b), appeal["ref"], "link_appeal", 1, original=original.ref)
    assert r.status_code == 403  # another office's supervisor neither
    r = fire(sup, appeal["ref"], "link_appeal", 1, original=stranger.ref)
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"original"}
    r = fire(sup, appeal["ref"], "link_appeal", 1)
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"original"}
    assert sup.get(f"/tickets/{appeal['ref']}").get_json()["version"] == 1  # nothing changed

    r = fire(sup, appeal["ref"], "link_appeal", 1, original=original.ref)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["appeal_of"] == original.ref and "link_appeal" not in body["allowed_events"]
    assert body["history"][-1]["event"] == "link_appeal" and body["history"][-1]["payload"] == {
        "original": original.ref}
    r = fire(sup, appeal["ref"], "link_appeal", body["version"], original=original.ref)
    assert r.status_code == 409 and "already linked" in r.get_json()["error"]

    r = fire(sup, stranger.ref, "link_appeal", 1, original=original.ref)  # not an appeal
    assert r.status_code == 409 and "Only for appeals" in r.get_json()["error"]


# -- resolve and verdict ------------------------------------------------------------------------


def test_the_reply_to_the_regulator_is_required_at_resolve_of_an_appeal_and_refused_elsewhere(
        world, api, en, make_ticket):
    sup = api(world.sup_a)
    appeal = log_appeal(api(world.clerk_a)).get_json()["ref"]
    v = triaged(sup, appeal)
    r = fire(sup, appeal, "resolve", v, **RESOLVE)
    assert r.status_code == 422
    assert set(r.get_json()["fields"]) == {"regulator_reply", "regulator_replied_on"}
    r = fire(sup, appeal, "resolve", v, **RESOLVE, regulator_reply="已答复",
             regulator_replied_on=(today().date() + timedelta(days=1)).isoformat())
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"regulator_replied_on"}  # not in the future
    r = fire(sup, appeal, "resolve", v, **RESOLVE, **REPLY)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["regulator_reply"], body["regulator_replied_on"]) == (REPLY["regulator_reply"], "2026-11-20")

    plain = make_ticket().ref
    v = triaged(sup, plain)
    r = fire(sup, plain, "resolve", v, **RESOLVE, **REPLY)
    assert r.status_code == 422
    assert r.get_json()["fields"] == {"regulator_reply": "Does not apply to this ticket.",
                                      "regulator_replied_on": "Does not apply to this ticket."}
    assert fire(sup, plain, "resolve", v, **RESOLVE).status_code == 200


def test_the_verdict_only_on_a_resolved_or_closed_appeal_and_only_once(world, api, en, make_ticket):
    sup = api(world.sup_a)
    appeal = log_appeal(api(world.clerk_a)).get_json()["ref"]
    r = fire(sup, appeal, "record_verdict", 1, verdict="valid")
    assert r.status_code == 409  # logged, not yet resolved
    v = triaged(sup, appeal)
    assert fire(sup, appeal, "record_verdict", v, verdict="valid").status_code == 409
    v = fire(sup, appeal, "resolve", v, **RESOLVE, **REPLY).get_json()["version"]

    assert fire(api(world.clerk_a), appeal, "record_verdict", v, verdict="valid").status_code == 403
    assert fire(api(world.sup_b), appeal, "record_verdict", v, verdict="valid").status_code == 403
    r = fire(sup, appeal, "record_verdict", v, verdict="maybe")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"verdict"}
    r = fire(sup, appeal, "record_verdict", v, verdict="valid", note="申诉中心认定有效申诉")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["verdict"] == "valid" and body["verdict_at"] and body["state"] == "resolved"
    assert "record_verdict" not in body["allowed_events"]
    r = fire(sup, appeal, "record_verdict", body["version"], verdict="not_valid")
    assert r.status_code == 409 and "already recorded" in r.get_json()["error"]
    closed = fire(sup, appeal, "follow_up", body["version"], contact="unreachable").get_json()
    assert closed["state"] == "closed" and closed["verdict"] == "valid"

    # A ticket that is not an appeal never takes a verdict.
    plain = make_ticket().ref
    v = triaged(sup, plain)
    v = fire(sup, plain, "resolve", v, **RESOLVE).get_json()["version"]
    r = fire(sup, plain, "record_verdict", v, verdict="valid")
    assert r.status_code == 409 and "Only for appeals" in r.get_json()["error"]

    # A closed appeal still takes its verdict (it often arrives weeks later).
    other = log_appeal(api(world.clerk_a)).get_json()["ref"]
    v = triaged(sup, other)
    v = fire(sup, other, "resolve", v, **RESOLVE, **REPLY).get_json()["version"]
    v = fire(sup, other, "follow_up", v, contact="unreachable").get_json()["version"]
    r = fire(sup, other, "record_verdict", v, verdict="not_valid")
    assert r.status_code == 200 and r.get_json()["verdict"] == "not_valid"


# -- pages and lists -----------------------------------------------------------------------------


def test_the_ticket_page_shows_the_case_the_deadline_and_the_link(world, api, login, en, make_ticket):
    original = make_ticket(customer_phone=OTHER_PHONE, items=[{"number": S10, "product": "parcel"}])
    make_ticket(actor=world.clerk_b, office="SH-0102", customer_phone=OTHER_PHONE)  # not in office A's scope
    late = (today().date() - timedelta(days=3))
    appeal = log_appeal(api(world.clerk_a), customer_phone=OTHER_PHONE,
                        regulator_due=late.isoformat()).get_json()["ref"]
    web = login(world.sup_a)
    page = web.get(f"/tickets/{appeal}").get_data(as_text=True)
    assert "YZSS-2026-0417" in page and "overdue: no reply sent" in page
    # The only candidate in the supervisor's offices, with the link action.
    assert page.count(f'value="{original.ref}"') == 1 and "Link as the original" in page
    r = web.post(f"/tickets/{appeal}/events/link_appeal",
                 data={"link_appeal-version": "1", "link_appeal-original": original.ref})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    page = web.get(f"/tickets/{appeal}").get_data(as_text=True)
    assert f'href="/tickets/{original.ref}"' in page and "Link as the original" not in page
    # The original's page names the appeal that escalated it.
    page = web.get(f"/tickets/{original.ref}").get_data(as_text=True)
    assert "Escalated to the regulator:" in page and f'href="/tickets/{appeal}"' in page

    # A clerk of the office sees the candidates but has no link action.
    other = log_appeal(api(world.clerk_a), customer_phone=OTHER_PHONE).get_json()["ref"]
    page = login(world.clerk_a).get(f"/tickets/{other}").get_data(as_text=True)
    assert original.ref in page and "Link as the original" not in page
    # Another office's supervisor sees nothing of it.
    assert login(world.sup_b).get(f"/tickets/{other}").status_code == 403


def test_appeals_are_marked_on_every_list_and_filtered(world, api, login, en, make_ticket):
    plain = make_ticket().ref
    appeal = log_appeal(api(world.clerk_a)).get_json()["ref"]
    web = login(world.sup_a)
    queue = web.get("/tickets").get_data(as_text=True)
    assert queue.count('class="badge appeal"') == 1 and "Appeals only" in queue
    only = web.get("/tickets?appeal=1").get_data(as_text=True)
    assert appeal in only and plain not in only
    assert web.get("/tickets?appeal=maybe").status_code == 422

    sup = api(world.sup_a)
    assert [t["ref"] for t in sup.get("/tickets?appeal=1").get_json()["tickets"]] == [appeal]
    assert len(sup.get("/tickets?appeal=0").get_json()["tickets"]) == 2
    r = sup.get("/tickets?verdict=perhaps")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"verdict"}
    v = triaged(sup, appeal)
    v = fire(sup, appeal, "resolve", v, **RESOLVE, **REPLY).get_json()["version"]
    assert sup.get("/tickets?verdict=valid").get_json()["tickets"] == []
    fire(sup, appeal, "record_verdict", v, verdict="valid")
    assert [t["ref"] for t in sup.get("/tickets?verdict=valid").get_json()["tickets"]] == [appeal]

    found = web.post("/search", data={"q": "态度"}).get_data(as_text=True)  # words of both descriptions
    assert plain in found and found.count('class="badge appeal"') == 1

    rows = list(csv.reader(io.StringIO(web.get("/tickets/export.csv").data.decode("utf-8-sig"))))
    header = rows[0]
    col = {name: header.index(name) for name in ("Regulator appeal", "Regulator's case number", "Verdict")}
    by_ref = {r[0]: r for r in rows[1:]}
    assert by_ref[appeal][col["Regulator appeal"]] == "Yes" and by_ref[plain][col["Regulator appeal"]] == ""
    assert by_ref[appeal][col["Regulator's case number"]] == "YZSS-2026-0417"
    assert by_ref[appeal][col["Verdict"]] == "Valid appeal"
    assert header[-1] == "Description"


def test_appeal_counts_per_office_and_month(world, api, login, en, make_ticket):
    sup = api(world.sup_a)
    refs = [log_appeal(api(world.clerk_a)).get_json()["ref"] for _ in range(3)]
    log_appeal(api(world.clerk_b), office="SH-0102")
    make_ticket()  # not an appeal
    for ref, verdict in zip(refs[:2], ("valid", "not_valid"), strict=True):
        v = triaged(sup, ref)
        v = fire(sup, ref, "resolve", v, **RESOLVE, **REPLY).get_json()["version"]
        assert fire(sup, ref, "record_verdict", v, verdict=verdict).status_code == 200
    month = today().strftime("%Y-%m")

    body = sup.get(f"/appeals?month={month}").get_json()
    assert body == {"month": month, "offices": [
        {"office": "SH-0101", "appeals": 3, "valid": 1, "not_valid": 1, "pending": 1}]}
    everyone = api(world.admin).get(f"/appeals?month={month}").get_json()["offices"]
    assert everyone[1] == {"office": "SH-0102", "appeals": 1, "valid": 0, "not_valid": 0, "pending": 1}
    last_month = (today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert sup.get(f"/appeals?month={last_month}").get_json()["offices"][0]["appeals"] == 0

    assert api(world.sup_b).get("/appeals?office=SH-0101").status_code == 403
    assert api(world.clerk_b).get("/appeals?office=SH-0101").status_code == 403
    assert api(world.clerk_a).get("/appeals?office=SH-0101").status_code == 200
    assert sup.get("/appeals?office=NOPE-1").status_code == 404
    r = sup.get("/appeals?month=2026-13")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"month"}

    # The dashboard: open appeals, past the regulator's deadline, valid this month.
    log_appeal(api(world.clerk_a), regulator_due=(today().date() - timedelta(days=2)).isoformat())
    page = login(world.sup_a).get("/").get_data(as_text=True)
    assert "Regulator appeals and compensation" in page
    from complaints.dashboard.casework import casework

    c = casework(world.sup_a, datetime.now(UTC), "Asia/Shanghai")
    assert (c.open_appeals, c.past_due, c.valid_this_month) == (4, 1, 1)  # 2 resolved, 2 new
    assert casework(world.sup_b, datetime.now(UTC), "Asia/Shanghai").open_appeals == 1
    # The tile of the late ones links to the queue that lists exactly them, in the web and the API.
    assert "/tickets?appeal_late=1" in page
    listed = login(world.sup_a).get("/tickets?appeal_late=1").get_data(as_text=True)
    assert listed.count('href="/tickets/C-') == c.past_due == 1
    assert sup.get("/tickets?appeal_late=1").get_json()["total"] == 1
    assert api(world.sup_b).get("/tickets?appeal_late=1").get_json()["total"] == 0  # another office's supervisor
    assert sup.get("/tickets?appeal_late=yes").status_code == 422


def test_the_candidates_link_form_carries_its_csrf_token(database_url, app, world, api, make_ticket):
    """With CSRF protection on, as in production, the one-click link form posts what it needs."""
    import re

    from complaints import create_app
    from tests.conftest import PASSWORD

    original = make_ticket(customer_phone=OTHER_PHONE)
    appeal = log_appeal(api(world.clerk_a), customer_phone=OTHER_PHONE).get_json()["ref"]
    other = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    try:
        client = other.test_client()
        login_page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', login_page).group(1)
        assert client.post("/login", data={"email": world.sup_a.email, "password": PASSWORD,
                                           "csrf_token": token}).status_code == 302
        page = client.get(f"/tickets/{appeal}").get_data(as_text=True)
        form = re.search(r'<form method="post" action="/tickets/[^"]+/events/link_appeal" class="inline">(.*?)</form>',
                         page, re.S).group(1)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
        assert set(fields) == {"link_appeal-csrf_token", "link_appeal-version", "link_appeal-original"}
        assert client.post(f"/tickets/{appeal}/events/link_appeal",
                           data={k: v for k, v in fields.items() if "csrf" not in k}).status_code == 400
        assert client.post(f"/tickets/{appeal}/events/link_appeal", data=fields).status_code == 302
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
    db.session.expire_all()
    assert db.session.query(Ticket).filter_by(ref=appeal).one().appeal_of.ref == original.ref


def test_the_customers_email_is_masked_like_the_phone(world, api):
    body = api(world.clerk_a).post("/tickets", json=complaint_body(
        customer_email="Wang.XianSheng@Example.COM", customer_consent=True)).get_json()
    ref = body["ref"]
    assert (body["customer_email"], body["customer_consent"]) == ("Wang.XianSheng@example.com", True)  # who logged it
    assert api(world.sup_a).get(f"/tickets/{ref}").get_json()["customer_email"] == "Wang.XianSheng@example.com"
    other_clerk = api(world.clerk_a2).get(f"/tickets/{ref}").get_json()
    assert (other_clerk["customer_email"], other_clerk["customer_phone"]) == ("W***@example.com", "138****5678")
    listed = api(world.clerk_a2).get("/tickets").get_json()["tickets"][0]
    assert listed["customer_email"] == "W***@example.com" and "XianSheng" not in str(listed)
    plain = api(world.clerk_a).post("/tickets", json=complaint_body()).get_json()
    assert (plain["customer_email"], plain["customer_consent"], plain["outcome"]) == (None, False, None)
