"""Admins set SLA policies and office calendars on the web and through the API; others cannot."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from complaints.domain import CASE_KINDS, Kind, Severity
from complaints.extensions import db
from complaints.models import Holiday, OfficeHours, SlaPolicy
from complaints.sla import clocks
from complaints.sla.policies import DEFAULT_POLICIES, get_policy
from tests.conftest import MONDAY_9, complaint_body

GOOD = {"triage_minutes": 30, "resolve_minutes": 600, "follow_up_minutes": 300, "escalate_after_minutes": 60,
        "calendar": "24x7"}


def test_defaults_ship_for_every_kind_and_severity(world, api):
    body = api(world.admin).get("/sla-policies").get_json()
    # Commendations have no stage clocks, hence no policies.
    assert len(body["policies"]) == len(CASE_KINDS) * len(Severity) == len(DEFAULT_POLICIES)
    one = api(world.admin).get("/sla-policies/complaint/high").get_json()
    assert one["triage_minutes"] == DEFAULT_POLICIES[(Kind.COMPLAINT, Severity.HIGH)][0]
    assert one["customised"] is False


def test_admin_puts_a_policy_and_new_clocks_use_it(world, api, make_ticket):
    resp = api(world.admin).put("/sla-policies/complaint/medium", json=GOOD)
    assert resp.status_code == 200 and resp.get_json()["customised"] is True
    assert get_policy(Kind.COMPLAINT, Severity.MEDIUM).triage_minutes == 30
    ticket = make_ticket()
    d = clocks.open_deadline(ticket)
    assert d.target_seconds == 30 * 60 and d.always_open


@pytest.mark.parametrize(("body", "field"), [
    ({**GOOD, "triage_minutes": 0}, "triage_minutes"),
    ({**GOOD, "resolve_minutes": "many"}, "resolve_minutes"),
    ({**GOOD, "follow_up_minutes": True}, "follow_up_minutes"),
    ({**GOOD, "escalate_after_minutes": -1}, "escalate_after_minutes"),
    ({**GOOD, "calendar": "weekdays"}, "calendar"),
    ({**GOOD, "colour": "red"}, "colour"),
    ({k: v for k, v in GOOD.items() if k != "triage_minutes"}, "triage_minutes"),
    ({**GOOD, "resolve_minutes": 10**12}, "resolve_minutes"),
])
def test_bad_policies_are_refused_per_field_and_change_nothing(world, api, body, field):
    resp = api(world.admin).put("/sla-policies/error/low", json=body)
    assert resp.status_code == 422
    assert field in resp.get_json()["fields"]
    assert db.session.scalar(select(SlaPolicy)) is None


def test_unknown_policy_keys_and_non_admins(world, api):
    assert api(world.admin).put("/sla-policies/praise/low", json=GOOD).status_code == 422
    assert api(world.admin).get("/sla-policies/complaint/urgent").status_code == 422
    for user in (world.sup_a, world.clerk_a):
        assert api(user).put("/sla-policies/complaint/low", json=GOOD).status_code == 403
        assert api(user).get("/sla-policies").status_code == 403
    assert db.session.scalar(select(SlaPolicy)) is None


def test_policy_page_edits_with_messages_beside_fields(world, login):
    client = login(world.admin)
    page = client.get("/admin/sla")
    assert page.status_code == 200 and "/admin/sla/error/critical" in page.text
    bad = client.post("/admin/sla/error/critical", data={**GOOD, "triage_minutes": "0"})
    assert bad.status_code == 422 and 'id="triage_minutes-error"' in bad.text
    assert 'value="600"' in bad.text  # what was typed is kept
    ok = client.post("/admin/sla/error/critical", data=GOOD)
    assert ok.status_code == 302
    assert get_policy(Kind.ERROR, Severity.CRITICAL).resolve_minutes == 600
    assert client.get("/admin/sla/error/nonsense").status_code == 404


def _week_form(**over):
    data = {}
    for day in range(5):
        data |= {f"open{day}": "y", f"opens{day}": "09:00", f"closes{day}": "18:00"}
    data["holidays"] = "2026-12-25 圣诞\n2027-01-01 元旦"
    data.update(over)
    return data


def test_calendar_page_sets_hours_and_holidays_that_clocks_then_use(world, login):
    client = login(world.admin)
    page = client.get("/admin/offices/SH-0101/calendar")
    assert page.status_code == 200 and "08:30" in page.text  # the default week is shown
    resp = client.post("/admin/offices/SH-0101/calendar", data=_week_form())
    assert resp.status_code == 302
    hours = db.session.scalars(select(OfficeHours).where(OfficeHours.office_id == world.office_a.id)).all()
    assert sorted((h.weekday, h.opens, h.closes) for h in hours) == [(d, time(9), time(18)) for d in range(5)]
    days = db.session.scalars(select(Holiday.day).where(Holiday.office_id == world.office_a.id)).all()
    assert sorted(days) == [date(2026, 12, 25), date(2027, 1, 1)]
    # A ticket logged on Monday 08:00 local starts counting at 09:00 now.
    from complaints.tickets.operations import log_ticket

    t = log_ticket(world.clerk_a, complaint_body(occurred_at="2026-11-23T07:50:00+08:00"),
                   now=MONDAY_9.replace(hour=0))
    db.session.commit()
    assert clocks.open_deadline(t).due_at == MONDAY_9.replace(hour=5)  # 09:00 + 4 h = 13:00 local


@pytest.mark.parametrize(("over", "where"), [
    ({"opens1": "18:00", "closes1": "09:00"}, "opens1-error"),
    ({"opens2": "nine", "closes2": "18:00"}, "opens2-error"),
    ({"holidays": "2026-12-25\nChristmas"}, "holidays-error"),
])
def test_bad_calendars_are_refused_and_nothing_is_lost(world, login, over, where):
    client = login(world.admin)
    resp = client.post("/admin/offices/SH-0101/calendar", data=_week_form(**over))
    assert resp.status_code == 422 and f'id="{where}"' in resp.text
    assert "2027-01-01" in resp.text or "Christmas" in resp.text  # the typed list is still there
    assert db.session.scalar(select(OfficeHours)) is None and db.session.scalar(select(Holiday)) is None


def test_closing_every_day_is_refused(world, login):
    world.admin.locale = "en"
    db.session.commit()
    resp = login(world.admin).post("/admin/offices/SH-0101/calendar", data={"holidays": ""})
    assert resp.status_code == 422 and "at least one day" in resp.text


def test_holidays_import_adds_to_the_list(world, login):
    world.admin.locale = "en"
    db.session.commit()
    client = login(world.admin)
    client.post("/admin/offices/SH-0101/calendar", data=_week_form())
    resp = client.post("/admin/offices/SH-0101/holidays/import",
                       data={"import-text": "2027-02-16 春节\n2027-02-17 春节\n2027-01-01 元旦"})
    assert resp.status_code == 302
    days = db.session.scalars(select(Holiday.day).where(Holiday.office_id == world.office_a.id)).all()
    assert len(days) == 4
    bad = client.post("/admin/offices/SH-0101/holidays/import", data={"import-text": "2027-13-01"})
    assert bad.status_code == 422 and "Line 1 is not a date" in bad.text
    assert len(db.session.scalars(select(Holiday)).all()) == 4


def _checked(page: str, name: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    return tag is not None and "checked" in tag.group(0)


def test_a_failed_import_shows_the_calendar_as_stored_and_says_which_line(world, login):
    """Issue 15, item 2: the page looked wiped, saved to the import URL, and garbled the line."""
    client = login(world.admin)
    client.post("/admin/offices/SH-0101/calendar", data=_week_form())
    bad = client.post("/admin/offices/SH-0101/holidays/import",
                      data={"import-text": "2027-02-16 春节\n\n# note\nbad line\n2027-02-30"})
    assert bad.status_code == 422
    page = bad.text
    # The stored week and holidays are shown, not an empty form.
    assert all(_checked(page, f"open{d}") for d in range(5)) and not _checked(page, "open5")
    assert 'value="09:00"' in page and 'value="18:00"' in page
    assert "2026-12-25 圣诞" in page and "2027-01-01 元旦" in page
    # The week's form saves to the calendar, not to the import URL; the pasted text is kept.
    assert 'action="/admin/offices/SH-0101/calendar"' in page
    assert "bad line" in page and 'id="import-text-error"' in page
    # One sentence per bad line, the number in its place and the typed text quoted (zh).
    assert "第 4 行不是日期" in page or "Line 4 is not a date" in page
    assert "第 4: bad line" not in page and "line 4: bad line" not in page
    from complaints.sla.operations import bad_lines_message

    with force_locale("en"):
        assert bad_lines_message([(4, "bad line"), (5, "2027-02-30")]) == (
            "Line 4 is not a date (YYYY-MM-DD): “bad line”. "
            "Line 5 is not a date (YYYY-MM-DD): “2027-02-30”.")
    # Saving from that page keeps the calendar as it was.
    again = client.post("/admin/offices/SH-0101/calendar", data=_week_form())
    assert again.status_code == 302
    assert len(db.session.scalars(select(Holiday)).all()) == 2


def test_sla_pages_are_for_admins_only(world, login):
    for user in (world.sup_a, world.clerk_a):
        client = login(user)
        for url in ("/admin/sla", "/admin/sla/complaint/low", "/admin/offices/SH-0101/calendar", "/admin/outbox"):
            assert client.get(url).status_code == 403, (user.email, url)
        assert client.post("/admin/sla/complaint/low", data=GOOD).status_code == 403
        assert client.post("/admin/outbox/1/retry").status_code == 403
    assert db.session.scalar(select(SlaPolicy)) is None


def test_calendar_page_shows_the_national_year_and_keeps_office_open_days(world, login):
    from complaints.sla.national import import_year

    import_year(2026)
    db.session.commit()
    client = login(world.admin)
    page = client.get("/admin/offices/SH-0101/calendar?year=2026")
    assert page.status_code == 200
    assert "2026-10-01" in page.text and "2026-10-10" in page.text and "2026-09-20" in page.text
    assert page.text.count('class="national-work"') == 6
    empty = client.get("/admin/offices/SH-0101/calendar?year=2027")
    assert empty.status_code == 200 and "2027" in empty.text and 'class="national-' not in empty.text
    resp = client.post("/admin/offices/SH-0101/holidays/import",
                       data={"import-text": "2026-12-20 open 周日营业\n2026-12-24 装修"})
    assert resp.status_code == 302
    rows = db.session.scalars(select(Holiday).where(Holiday.office_id == world.office_a.id)
                              .order_by(Holiday.day)).all()
    assert [(h.day, h.is_open, h.name) for h in rows] == [(date(2026, 12, 20), True, "周日营业"),
                                                          (date(2026, 12, 24), False, "装修")]
    # The stored list is shown back with the open day marked, so that saving the page keeps it.
    assert "2026-12-20 open 周日营业" in client.get("/admin/offices/SH-0101/calendar").text
