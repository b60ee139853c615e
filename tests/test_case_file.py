"""The case file, driven as clients and users drive it: postal items, category (what went
wrong), root cause, the events that keep the state, the queue filters, search and export.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from complaints.extensions import db
from complaints.models import Ticket, TicketItem
from tests.conftest import complaint_body

S10 = "EA123456785CN"
S10_OTHER = "RR123456785CN"


def fire(client, ref: str, event: str, version, **fields):
    return client.post(f"/tickets/{ref}/events", json={"event": event, "version": version, **fields})


def still(deadlines: dict) -> dict:
    """The clocks without what moves by itself as time passes (the seconds left)."""
    return {k: ({kk: vv for kk, vv in v.items() if kk not in {"business_seconds_left", "overdue"}}
                if isinstance(v, dict) else v) for k, v in deadlines.items()}


def ticket_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Ticket))


@pytest.fixture
def en(client):
    client.set_cookie("locale", "en")
    return client


@pytest.fixture
def triaged(world, api):
    """A complaint logged by clerk A, triaged by supervisor A to clerk A: (ref, ticket json)."""
    clerk, sup = api(world.clerk_a), api(world.sup_a)
    ref = clerk.post("/tickets", json=complaint_body()).get_json()["ref"]
    r = fire(sup, ref, "triage", 1, severity="medium", category="counter", assignee="clerk.a@example.com")
    assert r.status_code == 200, r.get_json()
    return ref, r.get_json()


# -- postal items on the log event ------------------------------------------------------------


def test_log_with_items_normalised_kept_in_order_and_in_the_history(world, api):
    clerk = api(world.clerk_a)
    items = [{"number": "ea 1234 5678 5cn", "product": "ems"}, {"number": "sf-1234-5678-90", "product": "express"},
             {"number": S10_OTHER}]
    r = clerk.post("/tickets", json=complaint_body(items=items))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    expected = [{"number": S10, "product": "ems"}, {"number": "SF1234567890", "product": "express"},
                {"number": S10_OTHER, "product": "other"}]
    assert body["items"] == expected
    assert body["history"][0]["payload"]["items"] == expected
    again = clerk.get(f"/tickets/{body['ref']}").get_json()
    assert again["items"] == expected
    rows = db.session.execute(select(TicketItem.position, TicketItem.number)
                              .order_by(TicketItem.position)).all()
    assert rows == [(1, S10), (2, "SF1234567890"), (3, S10_OTHER)]


def test_a_wrong_check_digit_is_refused_naming_the_digit_and_nothing_is_logged(world, api, en):
    clerk = api(world.clerk_a)
    r = clerk.post("/tickets", json=complaint_body(items=[{"number": "EA123456784CN", "product": "ems"}]))
    assert r.status_code == 422, r.get_json()
    message = r.get_json()["fields"]["items"]
    assert "EA123456784CN" in message and "should be 5" in message
    assert ticket_count() == 0


def test_the_same_number_twice_in_one_ticket_is_refused(world, api, en):
    clerk = api(world.clerk_a)
    items = [{"number": S10, "product": "ems"}, {"number": "ea 123456785 cn", "product": "parcel"}]
    r = clerk.post("/tickets", json=complaint_body(items=items))
    assert r.status_code == 422, r.get_json()
    assert S10 in r.get_json()["fields"]["items"] and "twice" in r.get_json()["fields"]["items"]
    assert ticket_count() == 0


@pytest.mark.parametrize("items", [
    "EA123456785CN",  # not a list
    [S10],  # not objects
    [{"number": S10, "product": "pigeon"}],
    [{"number": S10, "weight": 3}],
    [{"product": "ems"}],
    [{"number": 12345678}],
    [{"number": "1234567"}],  # too short
    [{"number": "EA1234/5678"}],
    [{"number": "EA١٢٣٤٥٦٧٨٥CN"}],  # Arabic-Indic digits: refused, not a server error
    [{"number": f"{n:08d}X"} for n in range(21)],  # more than 20
])
def test_bad_items_are_refused_on_the_items_field(world, api, items):
    r = api(world.clerk_a).post("/tickets", json=complaint_body(items=items))
    assert r.status_code == 422, r.get_json()
    assert set(r.get_json()["fields"]) == {"items"}
    assert ticket_count() == 0


def test_a_blank_product_is_other(world, api):
    r = api(world.clerk_a).post("/tickets", json=complaint_body(items=[{"number": S10, "product": None},
                                                                       {"number": S10_OTHER, "product": ""}]))
    assert r.status_code == 201, r.get_json()
    assert [i["product"] for i in r.get_json()["items"]] == ["other", "other"]


def test_the_web_form_logs_items_and_requires_the_category(world, login, en):
    client = login(world.clerk_a)
    form = {"kind": "complaint", "channel": "counter", "office": "SH-0101",
            "description": "包裹丢失", "occurred_at": "2026-11-20T09:30",
            "customer_name": "王先生", "customer_phone": "13812345678",
            "items-0-number": "ea 1234 5678 5cn", "items-0-product": "ems",
            "items-1-number": "", "items-1-product": "", "items-2-number": "", "items-2-product": ""}
    missing = client.post("/tickets/new", data=form)
    assert missing.status_code == 422
    assert ticket_count() == 0
    wrong = client.post("/tickets/new", data={**form, "category": "loss", "items-0-number": "EA123456784CN"})
    assert wrong.status_code == 422 and "should be 5" in wrong.text
    assert ticket_count() == 0
    done = client.post("/tickets/new", data={**form, "category": "loss"})
    assert done.status_code == 302, done.text[:2000]
    [ticket] = db.session.scalars(select(Ticket)).all()
    assert ticket.category.value == "loss"
    assert [(i.number, i.product.value) for i in ticket.items] == [(S10, "ems")]


# -- category --------------------------------------------------------------------------------


def test_category_defaults_to_other_through_the_api_and_is_checked(world, api):
    clerk = api(world.clerk_a)
    r = clerk.post("/tickets", json=complaint_body())
    assert r.status_code == 201 and r.get_json()["category"] == "other"
    r = clerk.post("/tickets", json=complaint_body(category="loss"))
    assert r.status_code == 201 and r.get_json()["category"] == "loss"
    bad = clerk.post("/tickets", json=complaint_body(category="attitude"))  # an old factor, not a category
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"category"}
    assert ticket_count() == 2


# -- triage, resolve ---------------------------------------------------------------------------


def test_triage_may_assign_a_clerk_of_the_office_but_not_of_another(world, api):
    clerk, sup = api(world.clerk_a), api(world.sup_a)
    ref = clerk.post("/tickets", json=complaint_body()).get_json()["ref"]
    other = fire(sup, ref, "triage", 1, severity="low", category="delay", assignee="clerk.b@example.com")
    assert other.status_code == 422 and set(other.get_json()["fields"]) == {"assignee"}
    r = fire(sup, ref, "triage", 1, severity="low", category="delay", assignee="clerk.a2@example.com")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["state"], body["assignee"], body["category"]) == ("triaged", "clerk.a2@example.com", "delay")


def test_resolve_needs_a_root_cause_when_substantiated_and_no_clerk_with_hardware(world, api, triaged):
    ref, t = triaged
    sup = api(world.sup_a)
    v = t["version"]
    r = fire(sup, ref, "resolve", v, outcome="已处理，感谢您的反馈。",
             resolution="查实", finding="substantiated", attributed_clerk="clerk.a@example.com")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"root_cause"}
    r = fire(sup, ref, "resolve", v, outcome="已处理，感谢您的反馈。",
             resolution="查实", finding="substantiated", root_cause="hardware",
             attributed_clerk="clerk.a@example.com")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"attributed_clerk"}
    r = fire(sup, ref, "resolve", v, outcome="已处理，感谢您的反馈。",
             resolution="不实", finding="unfounded", root_cause="skill")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"root_cause"}
    unchanged = sup.get(f"/tickets/{ref}").get_json()
    assert (unchanged["version"], unchanged["state"], unchanged["root_cause"]) == (v, "triaged", None)
    r = fire(sup, ref, "resolve", v, outcome="已处理，感谢您的反馈。",
             resolution="设备故障", finding="substantiated", root_cause="hardware")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["state"], body["finding"], body["root_cause"], body["attributed_clerk"]) == (
        "resolved", "substantiated", "hardware", None)


def test_resolve_with_a_root_cause_and_the_clerk_at_fault(world, api, triaged):
    ref, t = triaged
    r = fire(api(world.sup_a), ref, "resolve", t["version"], outcome="已处理，感谢您的反馈。",
             resolution="查实", finding="substantiated",
             root_cause="attitude", attributed_clerk="clerk.a@example.com")
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["root_cause"], r.get_json()["attributed_clerk"]) == ("attitude", "clerk.a@example.com")


# -- events that keep the state ----------------------------------------------------------------


@pytest.mark.parametrize(("actor", "event", "fields"), [
    ("clerk_a", "add_note", {"note": "客户来电催办"}),
    ("sup_a", "contact_customer", {"how": "phone", "outcome": "reached", "summary": "已告知处理进度"}),
    ("sup_a", "reassign", {"assignee": "clerk.a2@example.com", "reason": "王芳休假"}),
])
def test_events_that_keep_the_state(world, api, triaged, actor, event, fields):
    ref, before = triaged
    client = api(getattr(world, actor))
    r = fire(client, ref, event, before["version"], **fields)
    assert r.status_code == 200, r.get_json()
    after = r.get_json()
    assert after["state"] == before["state"] == "triaged"
    assert after["version"] == before["version"] + 1
    assert len(after["history"]) == len(before["history"]) + 1
    last = after["history"][-1]
    assert (last["event"], last["from"], last["to"], last["actor"]) == (
        event, "triaged", "triaged", getattr(world, actor).email)
    assert last["payload"] == fields
    assert still(after["deadlines"]) == still(before["deadlines"])  # the SLA clock does not move
    assert after["deadlines"]["current"] == "resolve"
    expected_assignee = fields.get("assignee", before["assignee"])
    assert after["assignee"] == expected_assignee
    assert client.get(f"/tickets/{ref}").get_json()["version"] == before["version"] + 1


def test_a_note_and_a_contact_are_allowed_before_triage(world, api):
    clerk = api(world.clerk_a)
    body = clerk.post("/tickets", json=complaint_body()).get_json()
    r = fire(clerk, body["ref"], "add_note", 1, note="客户补充了收据")
    assert r.status_code == 200, r.get_json()
    r = fire(clerk, body["ref"], "contact_customer", 2, how="sms", outcome="no_answer", summary="短信未回")
    assert r.status_code == 200, r.get_json()
    after = r.get_json()
    assert (after["state"], after["version"]) == ("new", 3)
    assert still(after["deadlines"]) == still(body["deadlines"])
    bad = fire(clerk, body["ref"], "contact_customer", 3, how="pigeon", outcome="reached", summary="x")
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"how"}


def test_reassign_is_refused_when_new_by_a_clerk_and_to_the_same_assignee(world, api, triaged):
    clerk, sup = api(world.clerk_a), api(world.sup_a)
    new_ref = clerk.post("/tickets", json=complaint_body()).get_json()["ref"]
    r = fire(sup, new_ref, "reassign", 1, assignee="clerk.a2@example.com", reason="x")
    assert r.status_code == 409, r.get_json()
    ref, t = triaged
    r = fire(clerk, ref, "reassign", t["version"], assignee="clerk.a2@example.com", reason="x")
    assert r.status_code == 403, r.get_json()
    r = fire(sup, ref, "reassign", t["version"], assignee="clerk.a@example.com", reason="x")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"assignee"}, r.get_json()
    r = fire(sup, ref, "reassign", t["version"], assignee="clerk.b@example.com", reason="x")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"assignee"}, r.get_json()
    after = sup.get(f"/tickets/{ref}").get_json()
    assert (after["version"], after["assignee"], len(after["history"])) == (
        t["version"], "clerk.a@example.com", len(t["history"]))


def test_the_history_on_the_ticket_page_names_people_not_emails(world, api, login):
    clerk, admin = api(world.clerk_a), api(world.admin)
    ref = clerk.post("/tickets", json=complaint_body()).get_json()["ref"]
    # The admin fires: the supervisor's name can only come from the payload's assignee.
    assert fire(admin, ref, "triage", 1, severity="low", category="counter",
                assignee="sup.a@example.com").status_code == 200
    assert fire(admin, ref, "reassign", 2, assignee="clerk.a2@example.com", reason="换人").status_code == 200
    page = login(world.sup_a).get(f"/tickets/{ref}")
    assert page.status_code == 200
    history = page.text.split('class="history"', 1)[1]
    assert "孙建国" in history and "李娜" in history
    assert "sup.a@example.com" not in history and "clerk.a2@example.com" not in history


# -- the queue ---------------------------------------------------------------------------------


@pytest.fixture
def spread(world, api):
    """Tickets differing by channel, category, item and assignee, in both offices."""
    a, b, sup = api(world.clerk_a), api(world.clerk_b), api(world.sup_a)
    refs = {
        "a_item": a.post("/tickets", json=complaint_body(items=[{"number": S10, "product": "ems"}],
                                                         category="loss")).get_json()["ref"],
        "a_phone": a.post("/tickets", json=complaint_body(channel="phone", category="delay",
                                                          items=[{"number": S10_OTHER}])).get_json()["ref"],
        "a_mine": a.post("/tickets", json=complaint_body()).get_json()["ref"],
        "b_item": b.post("/tickets", json=complaint_body("SH-0102", items=[{"number": S10}],
                                                         category="loss")).get_json()["ref"],
    }
    r = fire(sup, refs["a_mine"], "triage", 1, severity="low", category="other", assignee="clerk.a@example.com")
    assert r.status_code == 200, r.get_json()
    return refs


def listed(client, query: str) -> set[str]:
    r = client.get(f"/tickets?{query}")
    assert r.status_code == 200, r.get_json()
    return {t["ref"] for t in r.get_json()["tickets"]}


def test_the_item_filter_finds_the_ticket_within_the_office_scope(world, api, spread):
    assert listed(api(world.sup_a), f"item={S10}") == {spread["a_item"]}
    assert listed(api(world.sup_a), "item=ea+1234+5678+5cn") == {spread["a_item"]}  # typed as on the label
    assert listed(api(world.sup_b), f"item={S10}") == {spread["b_item"]}  # not office A's
    assert listed(api(world.clerk_b), f"item={S10_OTHER}") == set()
    assert listed(api(world.admin), f"item={S10}") == {spread["a_item"], spread["b_item"]}
    assert listed(api(world.sup_a), "item=EA123456785") == set()  # exact, not a prefix


def test_channel_category_and_mine_filters(world, api, spread):
    sup, clerk = api(world.sup_a), api(world.clerk_a)
    assert listed(sup, "channel=phone") == {spread["a_phone"]}
    assert listed(sup, "channel=counter") == {spread["a_item"], spread["a_mine"]}
    assert listed(sup, "category=loss") == {spread["a_item"]}
    assert listed(sup, "category=delay&channel=phone") == {spread["a_phone"]}
    assert listed(clerk, "mine=1") == {spread["a_mine"]}
    assert listed(api(world.clerk_a2), "mine=1") == set()
    assert listed(sup, "mine=1") == set()
    assert listed(sup, "mine=0") == {spread["a_item"], spread["a_phone"], spread["a_mine"]}


@pytest.mark.parametrize(("query", "field"), [
    ("channel=pigeon", "channel"), ("category=attitude", "category"), ("mine=2", "mine"),
    ("item=EA1234%2F5678", "item"), ("item=" + "A" * 31, "item"),
])
def test_bad_queue_filters_are_refused_by_name(world, api, login, query, field):
    r = api(world.sup_a).get(f"/tickets?{query}")
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["fields"]
    assert login(world.sup_a).get(f"/tickets?{query}").status_code == 422
    assert login(world.sup_a).get(f"/tickets/export.csv?{query}").status_code == 422


def test_the_web_queue_filters_too(world, login, spread):
    page = login(world.sup_a).get(f"/tickets?item={S10}")
    assert page.status_code == 200
    assert spread["a_item"] in page.text and spread["a_mine"] not in page.text
    assert spread["b_item"] not in page.text
    page = login(world.clerk_a).get("/tickets?mine=1")
    assert spread["a_mine"] in page.text and spread["a_item"] not in page.text


def test_the_queue_page_shows_the_customer_to_a_supervisor_only(world, api, login):
    api(world.clerk_a).post("/tickets", json=complaint_body(customer_name="欧阳先生"))
    assert "欧阳先生" in login(world.sup_a).get("/tickets").text
    assert "欧阳先生" not in login(world.clerk_a).get("/tickets").text


# -- search and export ---------------------------------------------------------------------------


def test_the_search_box_finds_a_ticket_by_item_number(world, login, spread):
    from complaints.search.query import search

    client = login(world.sup_a)
    page = client.post("/search", data={"q": "ea 1234 5678 5cn"})
    assert page.status_code == 200
    assert spread["a_item"] in page.text
    assert spread["b_item"] not in page.text and spread["a_phone"] not in page.text
    found = search(world.sup_a, S10.lower())
    assert found.kind == "item" and [t.ref for t in found.tickets] == [spread["a_item"]]
    assert [t.ref for t in search(world.sup_b, S10).tickets] == [spread["b_item"]]
    # Eleven digits look like a waybill too: unknown as an item, they are a phone number.
    phone = search(world.sup_a, "13812345678")
    assert phone.kind == "phone" and len(phone.tickets) == 3


def test_the_csv_has_the_category_label_the_items_and_the_root_cause(world, api, login, en, spread):
    sup = api(world.sup_a)
    r = fire(sup, spread["a_mine"], "resolve", 2, outcome="已处理，感谢您的反馈。",
             resolution="查实", finding="substantiated",
             root_cause="skill", attributed_clerk="clerk.a@example.com")
    assert r.status_code == 200, r.get_json()
    resp = login(world.sup_a).get("/tickets/export.csv")
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    header, body = rows[0], {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert {"What went wrong", "Postal items", "Root cause"} <= set(header)
    assert set(body) == {spread["a_item"], spread["a_phone"], spread["a_mine"]}
    assert body[spread["a_item"]]["What went wrong"] == "Loss or shortage"
    assert S10 in body[spread["a_item"]]["Postal items"]
    assert body[spread["a_phone"]]["What went wrong"] == "Delay"
    assert body[spread["a_mine"]]["Root cause"] == "Skill" or body[spread["a_mine"]]["Root cause"] == "Skill"
    assert body[spread["a_item"]]["Root cause"] == ""
    only = login(world.sup_a).get(f"/tickets/export.csv?item={S10}").data.decode("utf-8-sig")
    assert re.findall(r"C-\d{4}-\d{6}", only) == [spread["a_item"]]


def test_the_workflow_description_lists_the_events_that_keep_the_state(world, api):
    r = api(world.clerk_a).get("/workflow")
    assert r.status_code == 200
    by_event = {t["event"]: t for t in r.get_json()["transitions"]}
    assert by_event["add_note"]["to"] is None and by_event["reassign"]["from"] == ["triaged", "awaiting_customer"]


def test_the_ticket_page_shows_items_and_the_kept_state_events_in_words(world, api, login, en):
    clerk, sup = api(world.clerk_a), api(world.sup_a)
    ref = clerk.post("/tickets", json=complaint_body(items=[{"number": S10, "product": "ems"}])).get_json()["ref"]
    assert fire(sup, ref, "contact_customer", 1, how="phone", outcome="wrong_number",
                summary="号码错误").status_code == 200
    page = login(world.sup_a).get(f"/tickets/{ref}")
    assert page.status_code == 200
    assert S10 in page.text
    history = page.text.split('class="history"', 1)[1]
    assert "By phone" in history and "Wrong number" in history and "号码错误" in history
    assert "wrong_number" not in history


def test_when_it_happened_starts_at_now_on_the_offices_clock(world, login):
    """A counter complaint needs no time typed: the field holds the office's local time now."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    before = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    page = login(world.clerk_a).get("/tickets/new").get_data(as_text=True)
    after = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    shown = re.search(r'id="occurred_at" name="occurred_at"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*id="occurred_at"', page)
    assert shown, page[:2000]
    assert shown.group(1) in {before.strftime("%Y-%m-%dT%H:%M"), after.strftime("%Y-%m-%dT%H:%M")}
