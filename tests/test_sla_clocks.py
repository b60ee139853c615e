"""SLA clocks follow the workflow: they start, pause, resume, end and move with the events."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from complaints.domain import Kind, Severity
from complaints.extensions import db
from complaints.models import Deadline, Holiday, OfficeHours
from complaints.sla import clocks
from complaints.sla.policies import default_policy
from complaints.tickets.operations import fire_event, log_ticket
from tests.conftest import MONDAY_9, complaint_body

SH_OFFSET = timedelta(hours=8)


def sh(day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall time in the week of Monday 2026-11-23, as a UTC instant."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - SH_OFFSET


def stage(ticket) -> list:
    """The stage clocks (triage, resolve, follow-up) of the ticket, oldest first: the reply clock that
    runs beside them is tested in test_reply_clock.py."""
    return [d for d in ticket.deadlines if d.clock != "reply"]


def fire(ticket, actor, event, now, **data):
    ev = fire_event(ticket, actor, event, data, version=ticket.version, now=now)
    db.session.commit()
    return ev


@pytest.fixture
def logged(world):
    ticket = log_ticket(world.clerk_a, complaint_body(occurred_at="2026-11-23T08:50:00+08:00"), now=MONDAY_9)
    db.session.commit()
    return ticket


def test_logging_starts_the_triage_clock_on_business_hours(logged):
    d = clocks.open_deadline(logged)
    # complaint at medium (the default before triage): 240 business minutes, 75 % warning.
    assert (d.clock, d.severity, d.target_seconds) == ("triage", Severity.MEDIUM, 240 * 60)
    assert d.warn_at == sh(23, 12) and d.due_at == sh(23, 13)
    # escalation 480 business minutes after the breach: 13:00-17:30 Monday, then 08:30-12:00.
    assert d.escalate_at == sh(24, 12)
    assert d.next_fire_at == d.warn_at and not d.paused


def test_triage_ends_its_clock_and_starts_resolve_with_the_new_severity(world, logged):
    fire(logged, world.sup_a, "triage", sh(23, 10), severity="high", category="counter",
         assignee=world.sup_a.email)
    triage, resolve = stage(logged)
    assert (triage.ended_at, triage.outcome, triage.next_fire_at) == (sh(23, 10), "met", None)
    assert resolve.clock == "resolve" and resolve.severity == Severity.HIGH
    assert resolve.target_seconds == default_policy(Kind.COMPLAINT, Severity.HIGH).resolve_minutes * 60
    # 960 business minutes (16 h) from Monday 10:00: 7.5 h Monday, then 8.5 h of Tuesday.
    assert resolve.due_at == sh(24, 17)


def test_a_late_triage_is_recorded_as_missed(world, logged):
    fire(logged, world.sup_a, "triage", sh(23, 14), severity="low", category="counter", assignee=world.sup_a.email)
    assert stage(logged)[0].outcome == "missed"


def test_waiting_for_the_customer_pauses_and_resumes_the_clock(world, logged):
    fire(logged, world.sup_a, "triage", sh(23, 9), severity="high", category="counter", assignee=world.sup_a.email)
    resolve = stage(logged)[1]
    due_before = resolve.due_at
    fire(logged, world.sup_a, "request_info", sh(23, 11), note="请提供收据")
    assert resolve.paused and resolve.next_fire_at is None and resolve.due_at is None
    assert resolve.consumed_seconds == 2 * 3600
    assert clocks.seconds_left(logged, resolve, sh(27, 12)) == 960 * 60 - 2 * 3600  # frozen while paused
    # The customer answers on Tuesday at 11:00: a business day of pause moves the deadline a business day.
    fire(logged, world.clerk_a, "info_received", sh(24, 11), note="收据已提供")
    assert not resolve.paused
    assert resolve.due_at == due_before + timedelta(days=1)
    assert clocks.seconds_left(logged, resolve, sh(24, 12)) == 960 * 60 - 3 * 3600


def test_resolve_starts_follow_up_and_not_satisfied_starts_a_new_resolve_clock(world, logged):
    fire(logged, world.sup_a, "triage", sh(23, 9), severity="medium", category="counter",
         assignee=world.sup_a.email)
    fire(logged, world.sup_a, "resolve", sh(23, 15), outcome="已处理，感谢您的反馈。", resolution="致歉",
         finding="substantiated", root_cause="attitude",
         attributed_clerk=world.clerk_a.email)
    follow = clocks.open_deadline(logged)
    assert follow.clock == "follow_up" and follow.started_at == sh(23, 15)
    fire(logged, world.clerk_a, "follow_up", sh(24, 10), contact="reached", expectation=4, perception=2,
         satisfied=False)
    assert follow.outcome == "met"
    again = clocks.open_deadline(logged)
    assert (again.clock, again.cycle) == ("resolve", 2)
    assert [d.clock for d in stage(logged)] == ["triage", "resolve", "follow_up", "resolve"]


def test_reopen_withdraws_the_follow_up_and_starts_a_new_resolve_clock(world, logged):
    fire(logged, world.sup_a, "triage", sh(23, 9), severity="low", category="counter", assignee=world.sup_a.email)
    fire(logged, world.sup_a, "resolve", sh(23, 10), outcome="已处理，感谢您的反馈。", resolution="已处理",
         finding="unfounded")
    fire(logged, world.sup_a, "reopen", sh(23, 11), reason="客户再次来电")
    assert stage(logged)[2].outcome == "cancelled"
    assert clocks.open_deadline(logged).clock == "resolve" and clocks.open_deadline(logged).cycle == 2


def test_closing_and_rejecting_leave_no_clock_running(world, logged, make_ticket):
    fire(logged, world.sup_a, "triage", sh(23, 9), severity="low", category="counter", assignee=world.sup_a.email)
    fire(logged, world.sup_a, "resolve", sh(23, 10), outcome="已处理，感谢您的反馈。", resolution="已处理",
         finding="unfounded")
    fire(logged, world.clerk_a, "follow_up", sh(23, 11), contact="unreachable")
    assert clocks.open_deadline(logged) is None
    other = make_ticket()
    fire(other, world.sup_a, "reject", datetime.now(UTC), reason="invalid")
    assert clocks.open_deadline(other) is None


def test_holidays_and_custom_hours_of_the_office_count(world):
    db.session.add(Holiday(office_id=world.office_a.id, day=date(2026, 11, 24), name="测试假日"))
    for day in range(7):
        db.session.add(OfficeHours(office_id=world.office_a.id, weekday=day, opens=time(9), closes=time(12)))
    db.session.commit()
    t = log_ticket(world.clerk_a, complaint_body(occurred_at="2026-11-23T08:50:00+08:00"), now=sh(23, 11))
    db.session.commit()
    # 240 minutes: 1 h Monday, Tuesday is a holiday, 3 h Wednesday -> Wednesday 12:00.
    assert clocks.open_deadline(t).due_at == sh(25, 12)


def test_a_refused_event_moves_no_clock(world, logged):
    from complaints.errors import Conflict

    before = [(d.id, d.due_at, d.ended_at) for d in logged.deadlines]
    with pytest.raises(Conflict):
        fire_event(logged, world.sup_a, "resolve",
                   {"outcome": "已处理，感谢您的反馈。", "resolution": "x", "finding": "unfounded"},
                   version=logged.version, now=sh(23, 10))
    db.session.rollback()
    db.session.expire_all()
    assert [(d.id, d.due_at, d.ended_at) for d in logged.deadlines] == before
    assert db.session.query(Deadline).filter(Deadline.clock != "reply").count() == 1


def test_the_api_returns_the_deadlines(world, api, logged):
    body = api(world.sup_a).get(f"/tickets/{logged.ref}").get_json()
    dl = body["deadlines"]
    assert dl["current"] == "triage"
    assert dl["triage"]["due_at"] == sh(23, 13).isoformat()
    assert dl["triage"]["state"] == "running" and dl["triage"]["calendar"] == "business"
    assert dl["triage"]["overdue"] is True  # the test runs long after November 2026's Monday
    assert isinstance(dl["triage"]["business_seconds_left"], int)


def test_queue_filters_overdue_and_due_soon_and_sorts_by_due(world, api, login, make_ticket):
    now = datetime.now(UTC)
    old = log_ticket(world.clerk_a, complaint_body(occurred_at="2026-01-05T09:00:00+08:00"),
                     now=now - timedelta(days=10))  # long overdue
    fresh = make_ticket()  # just logged: nothing due yet (or a weekend)
    crit = log_ticket(world.clerk_a, complaint_body(), now=now)
    db.session.commit()
    fire(crit, world.sup_a, "triage", now, severity="critical", category="counter", assignee=world.sup_a.email)
    resolve = clocks.open_deadline(crit)  # critical is 24x7: warn after 360 of 480 minutes
    resolve.warn_at = now - timedelta(minutes=1)  # as if the warning had come
    db.session.commit()

    client = api(world.sup_a)
    overdue = [t["ref"] for t in client.get("/tickets?overdue=1").get_json()["tickets"]]
    assert overdue == [old.ref]
    soon = [t["ref"] for t in client.get("/tickets?due=soon").get_json()["tickets"]]
    assert soon == [crit.ref]
    by_due = [t["ref"] for t in client.get("/tickets?sort=due").get_json()["tickets"]]
    assert by_due[0] == old.ref and set(by_due) == {old.ref, fresh.ref, crit.ref}
    assert client.get("/tickets?due=tomorrow").status_code == 422

    page = login(world.sup_a).get("/tickets?due=overdue")
    assert page.status_code == 200
    assert old.ref in page.text and crit.ref not in page.text and fresh.ref not in page.text


def test_ticket_page_shows_time_left_and_paused(world, login, make_ticket):
    t = make_ticket()
    world.sup_a.locale = "en"
    db.session.commit()
    client = login(world.sup_a)
    page = client.get(f"/tickets/{t.ref}").text
    assert "SLA" in page and "business time" in page
    fire(t, world.sup_a, "triage", datetime.now(UTC), severity="low", category="counter", assignee=world.sup_a.email)
    fire(t, world.sup_a, "request_info", datetime.now(UTC), note="等待客户")
    page = client.get(f"/tickets/{t.ref}").text
    assert "Clock paused" in page
