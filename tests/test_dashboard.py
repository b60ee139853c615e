"""The landing page: a clerk's day; a supervisor's offices with overdue, compliance and weekly counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from complaints.dashboard.queries import clerk_today, overview
from complaints.domain import State
from complaints.extensions import db
from complaints.tickets.operations import fire_event, log_ticket
from tests.conftest import complaint_body


def test_supervisor_overview_counts_within_scope(world, make_ticket):
    now = datetime.now(UTC)
    old = log_ticket(world.clerk_a, complaint_body(occurred_at="2026-01-05T09:00:00+08:00"),
                     now=now - timedelta(days=9))  # its triage clock is long overdue
    fresh = make_ticket(kind="error")
    fire_event(fresh, world.sup_a, "triage", {"severity": "low", "category": "counter", "assignee": world.sup_a.email},
               version=fresh.version, now=now)  # triaged in time: one met clock this month
    make_ticket(actor=world.clerk_b, office="SH-0102")  # another office: not counted
    db.session.commit()
    o = overview(world.sup_a, now, "Asia/Shanghai")
    assert o.by_state == {State.NEW: 1, State.TRIAGED: 1}
    assert o.overdue == 1 and o.met >= 1 and o.compliance is not None
    assert len(o.weeks) == 12
    assert sum(c for _w, c, _e in o.weeks) == 1 and sum(e for _w, _c, e in o.weeks) == 1
    assert old.ref  # logged 9 days ago: inside the 12 weeks


def test_clerk_sees_today_and_follow_ups_waiting(world, make_ticket, login):
    mine = make_ticket()
    now = datetime.now(UTC)
    fire_event(mine, world.sup_a, "triage", {"severity": "low", "category": "counter", "assignee": world.sup_a.email},
               version=mine.version, now=now)
    fire_event(mine, world.sup_a, "resolve", {"outcome": "已处理，感谢您的反馈。",
                                              "resolution": "已处理", "finding": "unfounded"},
               version=mine.version, now=now)
    db.session.commit()
    logged, waiting = clerk_today(world.clerk_a, now, "Asia/Shanghai")
    assert [t.ref for t in logged] == [mine.ref] and [t.ref for t in waiting] == [mine.ref]
    page = login(world.clerk_a).get("/")
    assert page.status_code == 200 and mine.ref in page.text and "<svg" not in page.text
    sup = login(world.sup_a).get("/")
    assert sup.status_code == 200 and "<svg" in sup.text and "due=overdue" in sup.text


def test_categories_and_offices_side_by_side_link_to_the_queue(world, make_ticket, login):
    now = datetime.now(UTC)
    for _ in range(2):
        t = make_ticket()
        fire_event(t, world.sup_a, "triage", {"severity": "low", "category": "counter", "assignee": world.sup_a.email},
                   version=t.version, now=now)
    make_ticket(actor=world.clerk_b, office="SH-0102")
    db.session.commit()
    world.admin.locale = "en"
    db.session.commit()
    page = login(world.admin).get("/").text
    assert "category=counter" in page and "office=SH-0102" in page and "Offices side by side" in page
    # Each office's line: open tickets, overdue stage clocks (none yet), logged this month.
    for code, opened in (("SH-0101", 2), ("SH-0102", 1)):
        row = re.search(rf'<tr><th scope="row">{code} .*?</tr>', page, re.S).group(0)
        assert re.findall(r'>(\d+)</a>', row) == [str(opened), "0", str(opened)], (code, row)
    # Sixty days on every running stage clock is past due: the two resolve clocks, the one triage clock.
    from complaints import clock

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clock, "now", lambda: now + timedelta(days=60))
        later = login(world.admin).get("/").text
    for code, overdue in (("SH-0101", 2), ("SH-0102", 1)):
        row = re.search(rf'<tr><th scope="row">{code} .*?</tr>', later, re.S).group(0)
        assert re.findall(r'>(\d+)</a>', row)[:2] == [str(overdue), str(overdue)], (code, row)
    queue = login(world.admin).get("/tickets?category=counter")
    assert queue.status_code == 200 and queue.text.count('href="/tickets/C-') == 2
    assert login(world.admin).get("/tickets?category=charm").status_code == 422


def test_weeks_start_on_monday_midnight_local_time(world):
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 11, 25, 10, 0, tzinfo=shanghai)  # a Wednesday
    monday = datetime(2026, 11, 23, 0, 0, tzinfo=shanghai)
    for at, kind in ((monday - timedelta(seconds=1), "complaint"), (monday, "complaint"), (monday, "error"),
                     (monday - timedelta(weeks=11), "error"), (monday - timedelta(weeks=11, seconds=1), "error")):
        log_ticket(world.clerk_a, complaint_body(kind=kind, occurred_at=at.isoformat()), now=at.astimezone(UTC))
    log_ticket(world.clerk_b, complaint_body("SH-0102", occurred_at=monday.isoformat()), now=monday)  # not in scope
    db.session.commit()
    weeks = overview(world.sup_a, now.astimezone(UTC), "Asia/Shanghai").weeks
    assert len(weeks) == 12 and weeks[-1] == ("11-23", 1, 1) and weeks[-2] == ("11-16", 1, 0)
    assert weeks[0] == ("09-07", 0, 1)  # the 12th week back; one second before it is not counted
    assert sum(c + e for _w, c, e in weeks) == 4


def test_finished_weeks_are_remembered_until_a_ticket_is_written_into_one(world):
    """The chart counts only the current week again; a back-dated ticket makes it count all."""
    from sqlalchemy import event

    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    then = (now - timedelta(weeks=5)).isoformat()
    log_ticket(world.clerk_a, complaint_body(occurred_at=then), now=now - timedelta(weeks=3))
    db.session.commit()
    first = overview(world.sup_a, now, "Asia/Shanghai").weeks
    statements: list[str] = []

    def grab(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if "AS week" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        again = overview(world.sup_a, now, "Asia/Shanghai").weeks
        assert again == first and sum(c for _w, c, _e in again) == 1
        assert len(statements) == 1 and "UNION ALL" not in statements[0]  # the current week only
        back_dated = now - timedelta(weeks=5)
        log_ticket(world.clerk_a, complaint_body(kind="error", occurred_at=then), now=back_dated)
        db.session.commit()
        statements.clear()
        after = overview(world.sup_a, now, "Asia/Shanghai").weeks
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    assert statements[0].count("UNION ALL") == 11  # every week counted again
    assert sum(e for _w, _c, e in after) == 1 and sum(c for _w, c, _e in after) == 1


def test_a_week_that_ended_minutes_ago_is_not_remembered_yet(world):
    """A transaction begun before Monday midnight may still commit a ticket into last week:
    the week is counted again until it has been over for dashboard.SETTLED."""
    from zoneinfo import ZoneInfo

    from complaints.dashboard import queries

    monday = datetime(2026, 11, 23, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    just_after = (monday + queries.SETTLED / 2).astimezone(UTC)
    overview(world.sup_a, just_after, "Asia/Shanghai")
    late = monday - timedelta(seconds=1)  # committed after the first look, logged before midnight
    log_ticket(world.clerk_a, complaint_body(occurred_at=late.isoformat()), now=late.astimezone(UTC))
    db.session.commit()
    weeks = overview(world.sup_a, just_after, "Asia/Shanghai").weeks
    assert weeks[-2] == ("11-16", 1, 0)
