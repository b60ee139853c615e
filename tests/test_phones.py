"""Customer phone numbers: checked and normalised at logging, masked for those who will not call,
whole (with a tel: link) for whoever has the call to make, never in the logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from complaints.authz import full_phone_visible, mask_phone, phone_last_four, sees_full_phone, tel_uri
from complaints.dashboard.queries import clerk_today
from complaints.extensions import db, limiter
from complaints.models import Ticket
from complaints.tickets.operations import fire_event
from tests.conftest import complaint_body

ACCEPTED = [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("+86 138 1234 5678", "13812345678"),
    ("0086 13812345678", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),  # full-width digits from a Chinese keyboard
    ("021-6432 1234", "021-64321234"),
    ("02164321234", "021-64321234"),
    ("(021) 6432 1234", "021-64321234"),
    ("（021）6432-1234", "021-64321234"),
    ("+86 21 6432 1234", "021-64321234"),
    ("0755-12345678", "0755-12345678"),
    ("0913-1234567", "0913-1234567"),  # a seven-digit number behind a four-digit area code
    ("021-6432 1234 转 8021", "021-64321234 ext. 8021"),
    ("021-64321234转8021", "021-64321234 ext. 8021"),
    ("021 6432 1234 分机 8021", "021-64321234 ext. 8021"),
    ("02164321234 ext 8021", "021-64321234 ext. 8021"),
    ("021-64321234 x8021", "021-64321234 ext. 8021"),
    ("021-64321234-8021", "021-64321234 ext. 8021"),  # the last dash group, as on business cards
    ("021-64321234 ext. 8021", "021-64321234 ext. 8021"),  # the stored form reads back the same
    ("+852 2123 4567", "+85221234567"),  # a visitor's number with its country code
]

REFUSED = ["12345", "10086", "64321234", "1381234567", "138123456789", "call me", "021-6432", "+86",
           "13812345678-1234", "021-64321234 ext. 1234567", "1" * 70, "138\t1234 5678"]


@pytest.mark.parametrize(("typed", "stored"), ACCEPTED)
def test_what_customers_give_is_accepted_and_stored_normalised(world, api, typed, stored):
    resp = api(world.sup_a).post("/tickets", json=complaint_body(customer_phone=typed))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["customer_phone"] == stored
    assert db.session.scalar(select(Ticket.customer_phone).where(Ticket.ref == resp.get_json()["ref"])) == stored


@pytest.mark.parametrize("typed", REFUSED)
def test_clearly_invalid_numbers_are_refused_saying_what_is_expected(world, api, typed):
    resp = api(world.sup_a).post("/tickets", json=complaint_body(customer_phone=typed))
    assert resp.status_code == 422
    message = resp.get_json()["fields"]["customer_phone"]
    assert "021-64321234" in message, message  # an example of what is expected


def test_the_web_form_refuses_a_short_number_with_the_message(world, login):
    client = login(world.clerk_a)
    page = client.post("/tickets/new", data={
        "kind": "complaint", "channel": "counter", "office": "SH-0101", "category": "counter",
        "description": "柜台态度差", "occurred_at": "2026-11-20T09:00", "customer_name": "王先生",
        "customer_phone": "12345"})
    assert page.status_code == 422 and 'id="customer_phone-error"' in page.text and "021-64321234" in page.text


def test_masking_keeps_the_first_three_or_the_area_code_and_the_last_four():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("021-64321234") == "021-****1234"
    assert mask_phone("0755-12345678") == "0755-****5678"
    assert mask_phone("0913-1234567") == "0913-***4567"
    assert mask_phone("021-64321234 ext. 8021") == "021-****1234"  # the extension is left out
    assert mask_phone("+85221234567") == "+85*****4567"
    assert mask_phone("12345") == "***45" and mask_phone(None) is None  # numbers stored before the check
    assert phone_last_four("021-64321234 ext. 8021") == "1234" and phone_last_four("13812345678") == "5678"


def test_tel_links_dial_the_number_and_its_extension():
    assert tel_uri("13812345678") == "tel:+8613812345678"
    assert tel_uri("021-64321234") == "tel:+862164321234"
    assert tel_uri("021-64321234 ext. 8021") == "tel:+862164321234;ext=8021"
    assert tel_uri("+85221234567") == "tel:+85221234567"
    assert tel_uri(None) is None


# -- who sees the whole number ------------------------------------------------------------------


def _resolve(ticket, sup, assignee, now):
    fire_event(ticket, sup, "triage", {"severity": "low", "category": "counter", "assignee": assignee.email},
               version=ticket.version, now=now)
    fire_event(ticket, sup, "resolve", {"outcome": "已处理，感谢您的反馈。",
                                        "resolution": "已处理", "finding": "unfounded"},
               version=ticket.version, now=now)
    db.session.commit()


def test_the_clerk_who_logged_it_or_is_assigned_sees_the_number_while_a_call_is_theirs(world, make_ticket):
    now = datetime.now(UTC)
    t = make_ticket()  # logged by clerk_a
    assert sees_full_phone(world.clerk_a, t)
    assert not sees_full_phone(world.clerk_a2, t)  # same office, no part in it
    assert not sees_full_phone(world.clerk_b, t)  # another office
    assert sees_full_phone(world.sup_a, t) and sees_full_phone(world.admin, t)
    assert not sees_full_phone(world.sup_b, t)
    _resolve(t, world.sup_a, world.clerk_a2, now)  # clerk_a2 is now its assignee
    assert sees_full_phone(world.clerk_a2, t) and sees_full_phone(world.clerk_a, t)
    fire_event(t, world.sup_a, "follow_up", {"contact": "unreachable"}, version=t.version, now=now)
    db.session.commit()
    assert t.state.value == "closed"
    assert not sees_full_phone(world.clerk_a, t) and not sees_full_phone(world.clerk_a2, t)  # no call left
    assert sees_full_phone(world.sup_a, t)


def test_a_clerk_moved_to_another_office_no_longer_sees_the_number(world, make_ticket):
    from complaints.models import Office

    t = make_ticket()
    world.clerk_a.offices = [db.session.get(Office, world.office_b.id)]
    db.session.commit()
    assert not sees_full_phone(world.clerk_a, t)


def test_the_sql_form_agrees_with_the_rule(world, make_ticket):
    now = datetime.now(UTC)
    mine, assigned, closed = make_ticket(), make_ticket(actor=world.clerk_a2), make_ticket()
    _resolve(assigned, world.sup_a, world.clerk_a, now)
    _resolve(closed, world.sup_a, world.sup_a, now)
    fire_event(closed, world.sup_a, "follow_up", {"contact": "unreachable"}, version=closed.version, now=now)
    make_ticket(actor=world.clerk_b, office="SH-0102")
    db.session.commit()
    tickets = db.session.scalars(select(Ticket)).all()
    for user in (world.clerk_a, world.clerk_a2, world.clerk_b, world.sup_a, world.sup_b, world.admin):
        visible = set(db.session.scalars(select(Ticket.id).where(full_phone_visible(user))))
        assert visible == {t.id for t in tickets if sees_full_phone(user, t)}, user.email
    assert mine.id in visible


# -- the dashboard's follow-up calls ------------------------------------------------------------


def test_the_dashboard_gives_the_caller_the_number_with_a_tel_link(world, make_ticket, login):
    now = datetime.now(UTC)
    mine = make_ticket(customer_phone="021-6432 1234 转 8021")  # logged by clerk_a
    theirs = make_ticket(actor=world.clerk_a2, customer_phone="13900001111")
    _resolve(mine, world.sup_a, world.sup_a, now)
    _resolve(theirs, world.sup_a, world.sup_a, now)
    _logged, waiting = clerk_today(world.clerk_a, now, "Asia/Shanghai")
    assert [w.ref for w in waiting] == [mine.ref]  # a clerk is asked to make only their own calls
    assert waiting[0].phone == "021-64321234 ext. 8021" and waiting[0].tel == "tel:+862164321234;ext=8021"
    page = login(world.clerk_a).get("/").text
    assert 'href="tel:+862164321234;ext=8021"' in page and mine.ref in page
    assert theirs.ref not in page and "13900001111" not in page
    # Their supervisor sees every call waiting in the office, with the numbers.
    sup = login(world.sup_a).get("/").text
    assert 'href="tel:+8613900001111"' in sup and 'href="tel:+862164321234;ext=8021"' in sup
    # Another office's clerk is asked for nothing and sees no number.
    other = login(world.clerk_b).get("/").text
    assert mine.ref not in other and "6432" not in other and "tel:" not in other


def test_a_follow_up_someone_else_may_see_stays_masked(world, make_ticket):
    """A clerk of the office who is not asked to call gets the masked number and no link."""
    from complaints.dashboard.queries import FollowUp

    now = datetime.now(UTC)
    t = make_ticket()
    _resolve(t, world.sup_a, world.sup_a, now)
    row = FollowUp(t, mask_phone(t.customer_phone), None)
    assert row.ref == t.ref and row.phone == "138****5678" and row.tel is None
    _logged, waiting = clerk_today(world.clerk_a2, now, "Asia/Shanghai")
    assert waiting == []


def test_numbers_stay_out_of_the_logs(app, world, make_ticket, login, api, caplog):
    caplog.set_level(logging.DEBUG)
    now = datetime.now(UTC)
    t = make_ticket(customer_phone="021-6432 1234 转 8021")
    _resolve(t, world.sup_a, world.sup_a, now)
    login(world.clerk_a).get("/")
    api(world.sup_a).post("/tickets", json=complaint_body(customer_phone="12345"))
    api(world.sup_a).post("/tickets", json=complaint_body(customer_phone="0755-12345678"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for digits in ("64321234", "2164321234", "12345678", "8021"):
        assert digits not in logged, digits


# -- the public status page ---------------------------------------------------------------------

NOT_FOUND = "没有与该编号和电话后四位相符的投诉"


@pytest.fixture
def _fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


@pytest.mark.usefixtures("_fresh_limits")
def test_status_lookup_by_the_last_four_digits_of_a_landline(world, client, make_ticket):
    t = make_ticket(customer_phone="021-6432 1234")
    resp = client.post("/status", data={"ref": t.ref, "digits": "1234"})
    assert resp.status_code == 200 and NOT_FOUND not in resp.text


@pytest.mark.usefixtures("_fresh_limits")
def test_status_lookup_by_the_last_four_digits_of_a_landline_with_an_extension(world, client, make_ticket):
    t = make_ticket(customer_phone="021-6432 1234 转 8021")
    resp = client.post("/status", data={"ref": t.ref, "digits": "1234"})
    assert resp.status_code == 200 and NOT_FOUND not in resp.text


def test_the_search_index_keeps_the_numbers_last_four_not_the_extensions(world, make_ticket):
    from sqlalchemy import select

    from complaints.extensions import db
    from complaints.models import SearchTerm

    t = make_ticket(customer_phone="021-6432 1234 转 8021")
    terms = set(db.session.scalars(select(SearchTerm.term).where(SearchTerm.ticket_id == t.id)))
    assert "tel:1234" in terms and "tel:8021" not in terms
