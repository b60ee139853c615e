"""What the customer sees: the public status page (office, outcome, where to appeal, language) and the
slip (how to ask without a phone, a reprint after resolve); the office's phone and address behind them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from complaints import clock
from complaints.admin.operations import update_office
from complaints.extensions import db, limiter
from complaints.models import Deadline, Office
from complaints.tickets.operations import fire_event

PHONE = "13812345678"
DIGITS = "5678"
OFFICE_PHONE = "021-64381234"
ADDRESS = "上海市徐汇区漕溪北路 88 号"
OUTCOME = "经核查，柜台确有差错，多收的邮费已退还给您。"
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def office(world):
    update_office(world.office_a, {"phone": OFFICE_PHONE, "address": ADDRESS})
    db.session.commit()
    return world.office_a


def _resolve(ticket, world, outcome: str = OUTCOME) -> None:
    now = datetime.now(UTC)
    fire_event(ticket, world.sup_a, "triage", {"severity": "low", "category": "counter",
                                               "assignee": world.sup_a.email}, version=ticket.version, now=now)
    fire_event(ticket, world.sup_a, "resolve", {"resolution": "内部记录：已批评教育。", "outcome": outcome,
                                                "finding": "unfounded"}, version=ticket.version, now=now)
    db.session.commit()


def _close(ticket, world) -> None:
    fire_event(ticket, world.clerk_a, "follow_up", {"contact": "unreachable"}, version=ticket.version,
               now=datetime.now(UTC))
    db.session.commit()


def _look_up(client, ticket, headers=EN):  # noqa: ANN001
    resp = client.post("/status", data={"ref": ticket.ref, "digits": DIGITS}, headers=headers)
    assert resp.status_code == 200 and ticket.ref in resp.text, resp.text[:400]
    return resp


def _urls(html: str) -> list[str]:
    return re.findall(r'(?:href|action|src|formaction)="([^"]*)"', html)


def test_status_names_the_office_always_and_the_outcome_only_once_resolved(world, client, office, make_ticket):
    t = make_ticket()
    page = _look_up(client, t).text
    assert office.name in page and OFFICE_PHONE in page and ADDRESS in page
    assert 'href="tel:021-64381234"' in page
    assert "Outcome" not in page and "Resolved on" not in page and "12305" not in page

    _resolve(t, world)
    page = _look_up(client, t).text
    assert OUTCOME in page and "Resolved on" in page
    assert "内部记录" not in page  # the internal resolution is never shown
    assert OFFICE_PHONE in page and ADDRESS in page
    assert "12305" not in page  # resolved, not closed, reply given: no appeal yet

    # Reopened: the old outcome is no longer the answer.
    fire_event(t, world.sup_a, "reopen", {"reason": "客户来电"}, version=t.version, now=datetime.now(UTC))
    db.session.commit()
    page = _look_up(client, t).text
    assert OUTCOME not in page and "Resolved on" not in page and OFFICE_PHONE in page


def test_status_tells_where_to_appeal_once_closed(world, client, office, make_ticket):
    t = make_ticket()
    _resolve(t, world)
    assert "12305" not in _look_up(client, t).text
    _close(t, world)
    page = _look_up(client, t).text
    assert "12305" in page and "postal regulator" in page and 'href="tel:12305"' in page
    assert OUTCOME in page


def test_status_tells_where_to_appeal_when_the_reply_is_late(world, client, office, make_ticket, monkeypatch):
    t = make_ticket()
    assert "12305" not in _look_up(client, t).text
    reply = db.session.scalar(select(Deadline).where(Deadline.ticket_id == t.id, Deadline.clock == "reply"))
    if reply is None:  # no reply clock started by logging: the row as the clock would write it
        started = datetime.now(UTC) - timedelta(days=12)
        db.session.add(Deadline(ticket_id=t.id, office_id=t.office_id, clock="reply", cycle=1, severity="medium",
                                target_seconds=7 * 86400, escalate_seconds=86400, started_at=started,
                                running_since=started, due_at=datetime.now(UTC) - timedelta(hours=1)))
        db.session.commit()
        later = datetime.now(UTC)
    else:
        assert reply.due_at is not None and reply.ended_at is None
        later = reply.due_at + timedelta(minutes=1)
        monkeypatch.setattr(clock, "now", lambda: later)
    page = _look_up(client, t).text
    assert "12305" in page and "We have not given you our answer" in page
    assert t.state.value == "new"
    # Resolved late, the outcome not yet told: the page now gives the outcome, and still the regulator.
    _resolve(t, world)
    page = _look_up(client, t).text
    assert OUTCOME in page and "12305" in page and "We have not given you our answer" not in page

    # Once the reply clock has ended (the customer has the outcome), it is not late any more.
    db.session.execute(Deadline.__table__.update().where(Deadline.ticket_id == t.id, Deadline.clock == "reply")
                       .values(ended_at=later - timedelta(minutes=30), outcome="met"))
    db.session.commit()
    assert "12305" not in _look_up(client, t).text


def test_the_language_switch_keeps_the_answer_and_puts_no_digits_in_any_url(world, app, office, make_ticket):
    t = make_ticket()
    _resolve(t, world)
    client = app.test_client()
    # The browser's language first.
    english = client.get("/status", headers=EN).text
    assert "Check the status of your complaint" in english and ">中文<" in english and ">English<" not in english
    chinese = client.get("/status", headers=ZH).text
    assert ">English<" in chinese and ">中文<" not in chinese

    looked_up = client.post("/status", data={"ref": t.ref, "digits": DIGITS}, headers=ZH)
    assert OUTCOME in looked_up.text
    switched = client.post("/status/language", data={"locale": "en"}, headers=ZH)
    assert switched.status_code == 303 and switched.headers["Location"].endswith("/status")
    page = client.get(switched.headers["Location"], headers=ZH)  # the cookie beats the browser now
    assert "Check the status of your complaint" in page.text and ">中文<" in page.text
    assert t.ref in page.text and OUTCOME in page.text and OFFICE_PHONE in page.text
    back = client.post("/status/language", data={"locale": "zh_CN"}, headers=EN)
    page_zh = client.get(back.headers["Location"], headers=EN)
    assert ">English<" in page_zh.text and "Check the status of your complaint" not in page_zh.text
    assert t.ref in page_zh.text and OUTCOME in page_zh.text

    for resp in (looked_up, switched, page, back, page_zh):
        for url in [*_urls(resp.text), resp.headers.get("Location", "")]:
            assert DIGITS not in url and PHONE not in url and t.ref not in url, url
        assert f'value="{DIGITS}"' not in resp.text

    # Another browser sees no answer it has not asked for; a made-up language changes nothing.
    other = app.test_client()
    assert t.ref not in other.get("/status", headers=EN).text
    other.post("/status/language", data={"locale": "fr"}, headers=EN)
    assert "Check the status of your complaint" in other.get("/status", headers=EN).text


def test_the_answer_is_not_kept_after_a_wrong_guess_or_for_long(world, app, office, make_ticket, monkeypatch):
    t = make_ticket()
    client = app.test_client()
    _look_up(client, t)
    assert t.ref in client.get("/status", headers=EN).text
    later = datetime.now(UTC) + timedelta(minutes=11)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert t.ref not in client.get("/status", headers=EN).text
    monkeypatch.undo()
    _look_up(client, t)
    client.post("/status", data={"ref": t.ref, "digits": "0000"}, headers=EN)
    assert t.ref not in client.get("/status", headers=EN).text.replace(f'value="{t.ref}"', "")


# -- the slip ---------------------------------------------------------------------------------


def test_slip_of_an_error_without_a_phone_says_how_to_ask_instead(world, login, office, make_ticket):
    error = make_ticket(kind="error", customer_phone=None, customer_name=None)
    page = login(world.clerk_a).get(f"/tickets/{error.ref}/slip", headers=EN).text
    assert error.ref in page
    assert "last four digits" not in page
    assert f"Call this office on {OFFICE_PHONE}" in page and "quote the reference" in page
    assert ADDRESS in page

    with_phone = make_ticket()
    page = login(world.clerk_a).get(f"/tickets/{with_phone.ref}/slip", headers=EN).text
    assert "last four digits" in page and OFFICE_PHONE in page and ADDRESS in page


def test_slip_of_an_error_without_a_phone_at_an_office_without_one(world, login, make_ticket):
    error = make_ticket(kind="error", customer_phone=None, customer_name=None)
    page = login(world.clerk_a).get(f"/tickets/{error.ref}/slip", headers=EN).text
    assert "last four digits" not in page and "Ask at the counter of this office" in page


def test_reprinted_slip_shows_the_state_and_the_outcome(world, login, office, make_ticket):
    t = make_ticket()
    page = login(world.clerk_a).get(f"/tickets/{t.ref}/slip", headers=EN).text
    assert "What happens next" in page and OUTCOME not in page
    _resolve(t, world)
    page = login(world.clerk_a).get(f"/tickets/{t.ref}/slip", headers=EN).text
    assert OUTCOME in page and "Resolved on" in page and "What happens next" not in page
    assert "内部记录" not in page
    assert re.search(r'class="state">Resolved', page), page


def test_slip_notes_consent_to_messages(world, login, office, make_ticket):
    agreed = make_ticket(customer_consent=True, customer_email="wang.li@example.com")
    page = login(world.clerk_a).get(f"/tickets/{agreed.ref}/slip", headers=EN).text
    assert "You agreed to receive messages about this case by text message and email." in page
    assert "wang.li@example.com" not in page
    sms_only = make_ticket(customer_consent=True)
    assert "You agreed to receive text messages" in login(world.clerk_a).get(
        f"/tickets/{sms_only.ref}/slip", headers=EN).text
    silent = make_ticket()
    assert "You agreed" not in login(world.clerk_a).get(f"/tickets/{silent.ref}/slip", headers=EN).text


# -- the office's phone and address -----------------------------------------------------------


def _offices() -> int:
    return db.session.scalar(select(func.count()).select_from(Office))


def test_office_form_refuses_a_bad_phone_and_a_long_address(world, login):
    client = login(world.admin)
    before = _offices()
    resp = client.post("/admin/offices/new", headers=EN, data={
        "code": "SH-0199", "name": "上海测试营业部", "timezone": "Asia/Shanghai", "phone": "12345", "address": "x"})
    assert resp.status_code == 422
    assert "Enter a mobile number (11 digits) or a landline with its area code" in resp.text
    assert _offices() == before
    resp = client.post("/admin/offices/new", headers=EN, data={
        "code": "SH-0199", "name": "上海测试营业部", "timezone": "Asia/Shanghai", "address": "路" * 301})
    assert resp.status_code == 422 and _offices() == before

    resp = client.post(f"/admin/offices/{world.office_a.code}", headers=EN, data={
        "code": world.office_a.code, "name": world.office_a.name, "timezone": "Asia/Shanghai",
        "phone": "021-6438", "address": ADDRESS, "active": "y"})
    assert resp.status_code == 422 and "Enter a mobile number" in resp.text
    db.session.expire_all()
    assert world.office_a.phone is None and world.office_a.address is None  # nothing saved, not even the address


def test_office_form_saves_the_phone_normalised_and_lists_it(world, login):
    client = login(world.admin)
    resp = client.post("/admin/offices/new", data={
        "code": "SH-0199", "name": "上海测试营业部", "timezone": "Asia/Shanghai",
        "phone": "（021）6438 1234", "address": "  上海市徐汇区\n漕溪北路 88 号 "})
    assert resp.status_code == 302, resp.text[:500]
    office = db.session.scalar(select(Office).where(Office.code == "SH-0199"))
    assert office.phone == OFFICE_PHONE and office.address == "上海市徐汇区 漕溪北路 88 号"
    listing = client.get("/admin/offices").text
    assert OFFICE_PHONE in listing and "上海市徐汇区 漕溪北路 88 号" in listing
    # Emptied on the edit form: no phone.
    resp = client.post("/admin/offices/SH-0199", data={"code": "SH-0199", "name": "上海测试营业部",
                                                      "timezone": "Asia/Shanghai", "phone": "", "address": "",
                                                      "active": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert office.phone is None and office.address is None


def test_offices_cli_and_api_take_phone_and_address(world, runner, api):
    result = runner.invoke(args=["offices", "create", "BJ-0201", "北京朝阳营业部", "--phone", "010 6507 1234",
                                 "--address", "北京市朝阳区建国路 93 号"])
    assert result.exit_code == 0, result.output
    office = db.session.scalar(select(Office).where(Office.code == "BJ-0201"))
    assert office.phone == "010-65071234" and office.address == "北京市朝阳区建国路 93 号"
    before = _offices()
    bad = runner.invoke(args=["offices", "create", "BJ-0202", "北京东城营业部", "--phone", "010-123"])
    assert bad.exit_code != 0 and "phone" in bad.output and _offices() == before

    admin = api(world.admin)
    resp = admin.post("/offices", json={"code": "GZ-0301", "name": "广州天河营业部", "phone": "020-38881234",
                                        "address": "广州市天河区天河路 1 号"})
    assert resp.status_code == 201 and resp.json["phone"] == "020-38881234", resp.json
    resp = admin.patch("/offices/GZ-0301", json={"phone": "not a phone"})
    assert resp.status_code == 422 and "phone" in resp.json["fields"]
    assert admin.get("/offices/GZ-0301").json["phone"] == "020-38881234"
    resp = admin.patch("/offices/GZ-0301", json={"address": "a" * 301})
    assert resp.status_code == 422 and "address" in resp.json["fields"]
    resp = admin.patch("/offices/GZ-0301", json={"phone": None, "address": "广州市天河区天河路 2 号"})
    assert resp.status_code == 200 and resp.json["phone"] is None and resp.json["address"].endswith("2 号")


def test_the_link_in_a_customer_message_fills_in_the_reference_but_not_the_digits(world, client, make_ticket):
    ticket = make_ticket()
    page = client.get(f"/status?ref={ticket.ref.lower()}").get_data(as_text=True)
    assert f'value="{ticket.ref}"' in page
    assert ticket.customer_phone[-4:] not in page
    odd = client.get('/status?ref="><script>x</script>').get_data(as_text=True)
    assert "<script>x" not in odd
