"""The statutory reply clock: working days of the national calendar, how it ends, its reminders,
its policies (page and API), the queue's filter and the dashboard's figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from complaints.dashboard.queries import replies
from complaints.extensions import db
from complaints.mail.delivery import deliver
from complaints.models import Deadline, Holiday, OutboxMessage, Reminder, ReplyPolicy
from complaints.sla import clocks
from complaints.sla.national import import_year
from complaints.sla.reply import customer_told
from complaints.sla.scan import decide
from complaints.tickets.operations import fire_event, log_ticket
from tests.conftest import MONDAY_9, complaint_body

DAY = 24 * 3600
OUTCOME = "已处理，感谢您的反馈。"


def sh(year: int, month: int, day: int, hour: int = 0) -> datetime:
    """A Shanghai wall time as a UTC instant."""
    return datetime(year, month, day, hour, tzinfo=UTC) - timedelta(hours=8)


def reply_of(ticket) -> Deadline | None:  # noqa: ANN001
    return next((d for d in ticket.deadlines if d.clock == "reply"), None)


def fire(ticket, actor, event, now, **data):  # noqa: ANN001, ANN201
    ev = fire_event(ticket, actor, event, data, version=ticket.version, now=now)
    db.session.commit()
    return ev


def log(world, now, **over):  # noqa: ANN001, ANN201
    t = log_ticket(over.pop("actor", world.clerk_a), complaint_body(**over), now=now)
    db.session.commit()
    return t


def resolve(ticket, world, now, **extra) -> None:  # noqa: ANN001
    fire(ticket, world.sup_a, "triage", now - timedelta(minutes=30), severity="low", category="counter",
         assignee=world.sup_a.email)
    fire(ticket, world.sup_a, "resolve", now, outcome=OUTCOME, resolution="已致歉", finding="unfounded", **extra)


# -- working days ------------------------------------------------------------------------------------------


def test_due_date_is_counted_over_national_day_and_the_make_up_working_days(world, api, login):
    """2026: 25-27 September (Mid-Autumn) and 1-7 October are days off; Sunday 20 September and
    Saturday 10 October are worked. The office's own exceptions do not shorten the statutory
    deadline."""
    import_year(2026)
    db.session.add(Holiday(office_id=world.office_a.id, day=date(2026, 10, 9), name="装修"))
    db.session.add(Holiday(office_id=world.office_a.id, day=date(2026, 10, 3), name="国庆值班", is_open=True))
    db.session.commit()
    # Logged on Friday 25 September (itself a day off) at 10:00: counting starts on Monday 28 at
    # midnight; 28, 29, 30 September, 8, 9, 10 (Saturday, worked) and 12 October are the seven days.
    friday = log(world, sh(2026, 9, 25, 10), occurred_at="2026-09-25T09:00:00+08:00")
    d = reply_of(friday)
    assert d.target_seconds == 7 * DAY
    assert d.due_at == sh(2026, 10, 13)  # the end of Monday 12 October
    assert d.warn_at == sh(2026, 10, 10, 6)  # 126 h: three September days, 8 and 9 October, 6 h of the 10th
    assert d.escalate_at == sh(2026, 10, 14)  # one working day later
    assert d.next_fire_at == d.warn_at and d.severity.value == "medium"
    # Logged on Wednesday 30 September at 10:00: 14 h that day, then 8, 9, 10, 12, 13, 14 October
    # and 10 h of the 15th.
    wednesday = log(world, sh(2026, 9, 30, 10), occurred_at="2026-09-30T09:00:00+08:00")
    assert reply_of(wednesday).due_at == sh(2026, 10, 15, 10)
    # The stage clock beside it is unchanged by the reply clock, and is what `current` names.
    assert clocks.open_deadline(friday).clock == "triage"
    body = api(world.sup_a).get(f"/tickets/{friday.ref}").get_json()
    assert body["deadlines"]["current"] == "triage"
    reply = body["deadlines"]["reply"]
    assert reply["state"] == "running" and reply["calendar"] == "working_days"
    assert reply["target_working_days"] == 7
    assert datetime.fromisoformat(reply["due_at"]) == sh(2026, 10, 13)
    world.sup_a.locale = "en"
    db.session.commit()
    page = login(world.sup_a).get(f"/tickets/{friday.ref}").get_data(as_text=True)
    assert 'class="clock reply-clock clock-overdue"' in page and "Reply to the customer" in page  # long past
    assert "by 10/13/26, 12:00\u202fAM" in page  # the due instant, in the office's zone


def test_service_errors_get_no_reply_clock_by_default_and_a_policy_of_zero_days_none(world):
    error = log(world, MONDAY_9, kind="error", occurred_at="2026-11-23T08:00:00+08:00")
    assert reply_of(error) is None and [d.clock for d in error.deadlines] == ["triage"]
    db.session.add(ReplyPolicy(kind="complaint", channel="phone", days=0, escalate_after_days=1))
    db.session.commit()
    by_phone = log(world, MONDAY_9, channel="phone", occurred_at="2026-11-23T08:00:00+08:00")
    assert reply_of(by_phone) is None
    at_counter = log(world, MONDAY_9, occurred_at="2026-11-23T08:00:00+08:00")
    assert reply_of(at_counter).due_at == sh(2026, 12, 2, 9)  # no national days imported: weekends only


# -- how it ends -------------------------------------------------------------------------------------------


def test_met_when_the_customer_is_reached_after_resolution_and_reopening_does_not_restart_it(world, login):
    t = log(world, MONDAY_9, occurred_at="2026-11-23T08:00:00+08:00")
    d = reply_of(t)
    # Reached before resolution: the customer cannot have been given the outcome yet.
    fire(t, world.clerk_a, "contact_customer", MONDAY_9 + timedelta(minutes=10), how="phone", outcome="reached",
         summary="告知正在处理")
    assert d.ended_at is None
    resolve(t, world, MONDAY_9 + timedelta(hours=2))
    follow = clocks.open_deadline(t)
    planned = (follow.clock, follow.due_at, follow.next_fire_at)
    fire(t, world.clerk_a, "contact_customer", MONDAY_9 + timedelta(hours=3), how="phone", outcome="no_answer",
         summary="无人接听")
    assert d.ended_at is None
    told = MONDAY_9 + timedelta(days=1)
    fire(t, world.clerk_a, "contact_customer", told, how="phone", outcome="reached", summary="已告知处理结果")
    assert (d.ended_at, d.outcome, d.next_fire_at) == (told, "met", None)
    # An event that keeps the state does not move the stage clock.
    assert (follow.clock, follow.due_at, follow.next_fire_at) == planned and follow.ended_at is None
    fire(t, world.clerk_a, "follow_up", told + timedelta(hours=1), contact="reached", expectation=4,
         perception=2, satisfied=False)  # not satisfied: reopened
    fire(t, world.sup_a, "resolve", told + timedelta(hours=2), outcome=OUTCOME, resolution="再次处理",
         finding="unfounded")
    assert [x.clock for x in t.deadlines].count("reply") == 1 and d.outcome == "met"
    world.sup_a.locale = "en"
    db.session.commit()
    page = login(world.sup_a).get(f"/tickets/{t.ref}").get_data(as_text=True)
    assert 'class="clock reply-clock "' in page and "<strong>Met:</strong>" in page


def test_missed_when_the_customer_is_told_after_the_due_instant(world, login):
    t = log(world, MONDAY_9, occurred_at="2026-11-23T08:00:00+08:00")
    resolve(t, world, MONDAY_9 + timedelta(days=2))
    late = sh(2026, 12, 2, 9) + timedelta(minutes=1)  # a minute after 7 working days
    fire(t, world.sup_a, "contact_customer", late, how="visit", outcome="reached", summary="上门告知")
    assert reply_of(t).outcome == "missed"
    page = login(world.sup_a).get(f"/tickets/{t.ref}").get_data(as_text=True)
    assert 'class="clock reply-clock clock-overdue"' in page


def test_a_sent_outcome_message_ends_the_clock_as_of_its_sending(world):
    t = log(world, MONDAY_9, occurred_at="2026-11-23T08:00:00+08:00")
    sent = MONDAY_9 + timedelta(days=3)
    customer_told(t, sent)
    db.session.commit()
    d = reply_of(t)
    assert (d.ended_at, d.outcome, d.next_fire_at) == (sent, "met", None)
    customer_told(t, sent + timedelta(days=30))  # none open: nothing happens
    assert (d.ended_at, d.outcome) == (sent, "met")
    error = log(world, MONDAY_9, kind="error", occurred_at="2026-11-23T08:00:00+08:00")
    customer_told(error, sent)
    assert reply_of(error) is None


def test_rejecting_cancels_the_reply_clock(world):
    t = log(world, MONDAY_9, occurred_at="2026-11-23T08:00:00+08:00")
    fire(t, world.sup_a, "reject", MONDAY_9 + timedelta(hours=1), reason="invalid")
    d = reply_of(t)
    assert (d.outcome, d.ended_at, d.next_fire_at) == ("cancelled", MONDAY_9 + timedelta(hours=1), None)
    assert decide(MONDAY_9 + timedelta(days=60)).reminders == 0


APPEAL = {"channel": "regulator", "regulator_case": "SH2026-12305-000042"}


def test_an_appeal_is_due_at_the_end_of_the_regulators_date_and_ends_at_resolve(world):
    t = log(world, MONDAY_9, occurred_at="2026-11-20T08:00:00+08:00", regulator_due="2026-12-04", **APPEAL)
    d = reply_of(t)
    assert t.regulator_due == date(2026, 12, 4) and d.due_at == sh(2026, 12, 5)
    resolve(t, world, MONDAY_9 + timedelta(days=2), regulator_reply="已书面答复申诉中心",
            regulator_replied_on="2026-11-25")
    assert (d.outcome, d.ended_at) == ("met", MONDAY_9 + timedelta(days=2))


def test_an_appeal_without_a_date_gets_one_from_the_regulator_channels_policy(world, api):
    t = log(world, MONDAY_9, occurred_at="2026-11-20T08:00:00+08:00", **APPEAL)
    # The shipped 7 working days from Monday 23 November 09:00 run out on Wednesday 2 December.
    assert t.regulator_due == date(2026, 12, 2) and reply_of(t).due_at == sh(2026, 12, 3)
    resp = api(world.admin).put("/reply-policies/complaint/regulator", json={"days": 3, "escalate_after_days": 0})
    assert resp.status_code == 200, resp.get_json()
    t = log(world, MONDAY_9, occurred_at="2026-11-20T08:00:00+08:00", **{**APPEAL, "regulator_case": "SH-2"})
    d = reply_of(t)
    assert t.regulator_due == date(2026, 11, 26) and d.due_at == sh(2026, 11, 27) == d.escalate_at
    # A late reply to the regulator is missed.
    resolve(t, world, sh(2026, 11, 27, 1), regulator_reply="迟复", regulator_replied_on="2026-11-27")
    assert d.outcome == "missed"


# -- reminders -------------------------------------------------------------------------------------------

REPLY_WARN = sh(2026, 11, 30, 15)  # 126 of 168 working hours after Monday 23 November 09:00
REPLY_DUE = sh(2026, 12, 2, 9)
REPLY_ESCALATE = sh(2026, 12, 3, 9)  # one working day later


def reply_mail() -> list[tuple[str, str, str]]:
    """(level, recipient, subject) of the reply clock's emails, in order."""
    return [tuple(r) for r in db.session.execute(
        select(Reminder.level, OutboxMessage.to_addr, OutboxMessage.subject)
        .join(OutboxMessage, OutboxMessage.reminder_id == Reminder.id)
        .join(Deadline, Deadline.id == Reminder.deadline_id)
        .where(Deadline.clock == "reply").order_by(OutboxMessage.id))]


def test_reply_reminders_are_decided_once_and_mailed_through_the_outbox(app, world, smtp_server):
    world.sup_a.locale = world.admin.locale = "en"
    t = log(world, MONDAY_9, occurred_at="2026-11-23T08:00:00+08:00")
    decide(REPLY_WARN - timedelta(seconds=1))  # the triage clock's levels, none of the reply clock's
    assert reply_mail() == []
    decide(REPLY_WARN)
    decide(REPLY_WARN)  # asked again: nothing new
    assert [(lvl, to) for lvl, to, _s in reply_mail()] == [("warning", world.sup_a.email)]  # no assignee yet
    decide(REPLY_DUE)
    decide(REPLY_ESCALATE)
    decide(REPLY_ESCALATE + timedelta(days=30))
    mails = reply_mail()
    assert [(lvl, to) for lvl, to, _s in mails] == [
        ("warning", world.sup_a.email), ("breach", world.sup_a.email), ("escalation", world.admin.email)]
    assert all(s.startswith(f"[{t.ref}] ") and "Reply to the customer" in s for _l, _t, s in mails)
    assert "2026-12-02 09:00" in mails[1][2]
    assert reply_of(t).next_fire_at is None and reply_of(t).next_level == 3
    deliver(app.config, REPLY_ESCALATE + timedelta(days=30))
    got = [m for m in smtp_server.messages if "Reply to the customer" in m.subject]
    assert len(got) == 3 and all("working days" in m.body for m in got)


def test_a_reply_clock_ended_before_its_levels_sends_nothing(world):
    t = log(world, MONDAY_9, occurred_at="2026-11-23T08:00:00+08:00")
    customer_told(t, MONDAY_9 + timedelta(days=1))
    db.session.commit()
    decide(MONDAY_9 + timedelta(days=60))
    assert reply_mail() == []


# -- policies: page and API ------------------------------------------------------------------------------


def test_reply_policy_api_for_admins_only_with_checked_values(world, api):
    admin = api(world.admin)
    assert admin.get("/reply-policies/complaint/letter").get_json() == {
        "kind": "complaint", "channel": "letter", "days": 7, "escalate_after_days": 1, "customised": False}
    assert admin.get("/reply-policies/error/letter").get_json()["days"] == 0
    resp = admin.put("/reply-policies/complaint/letter", json={"days": 10, "escalate_after_days": 2})
    assert resp.status_code == 200 and resp.get_json()["customised"] is True
    assert admin.get("/reply-policies/complaint/letter").get_json()["days"] == 10
    for bad, field in (({"days": 61, "escalate_after_days": 1}, "days"),
                       ({"days": -1, "escalate_after_days": 1}, "days"),
                       ({"days": "seven", "escalate_after_days": 1}, "days"),
                       ({"days": True, "escalate_after_days": 1}, "days"),
                       ({"days": 5}, "escalate_after_days"),
                       ({"days": 5, "escalate_after_days": 31}, "escalate_after_days"),
                       ({"days": 5, "escalate_after_days": 1, "calendar": "24x7"}, "calendar")):
        resp = admin.put("/reply-policies/complaint/letter", json=bad)
        assert resp.status_code == 422 and field in resp.get_json()["fields"], (bad, resp.get_json())
    assert admin.get("/reply-policies/complaint/letter").get_json()["days"] == 10  # unchanged
    assert admin.get("/reply-policies/complaint/fax").status_code == 422
    assert admin.get("/reply-policies/appeal/letter").status_code == 422
    sup = api(world.sup_a)
    assert sup.get("/reply-policies/complaint/letter").status_code == 403
    assert sup.put("/reply-policies/complaint/letter", json={"days": 1, "escalate_after_days": 0}).status_code == 403
    assert db.session.get(ReplyPolicy, ("complaint", "letter")).days == 10
    # Tickets logged afterwards follow the new policy.
    t = log(world, MONDAY_9, channel="letter", occurred_at="2026-11-23T08:00:00+08:00")
    assert reply_of(t).target_seconds == 10 * DAY and reply_of(t).escalate_seconds == 2 * DAY


def test_reply_policy_page_lists_every_kind_and_channel_and_saves(world, login):
    client = login(world.admin)
    page = client.get("/admin/reply-policies").get_data(as_text=True)
    assert page.count("/admin/reply-policies/complaint/") == 6 and page.count("/admin/reply-policies/error/") == 6
    assert "/admin/reply-policies" in client.get("/admin/sla").get_data(as_text=True)
    assert client.get("/admin/reply-policies/complaint/hotline").status_code == 200
    resp = client.post("/admin/reply-policies/complaint/hotline", data={"days": "5", "escalate_after_days": "2"})
    assert resp.status_code == 302
    row = db.session.get(ReplyPolicy, ("complaint", "hotline"))
    assert (row.days, row.escalate_after_days) == (5, 2)
    resp = client.post("/admin/reply-policies/complaint/hotline", data={"days": "61", "escalate_after_days": "2"})
    assert resp.status_code == 422 and 'aria-invalid="true"' in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ReplyPolicy, ("complaint", "hotline")).days == 5
    assert client.get("/admin/reply-policies/complaint/fax").status_code == 404
    sup = login(world.sup_a)
    assert sup.get("/admin/reply-policies").status_code == 403
    assert sup.post("/admin/reply-policies/complaint/hotline", data={"days": "1", "escalate_after_days": "0"}
                    ).status_code == 403


# -- the queue and the dashboard ---------------------------------------------------------------------------


@pytest.fixture
def spread(world):
    """Complaints of office A logged 30 days ago (reply overdue), 5 days ago (due within 7 days: 2 to
    4 working days left) and now (7 working days left: 9 or more calendar days), a service error of
    30 days ago (no reply clock), and an overdue complaint of office B. No national days imported:
    weekends only, whatever today is."""
    now = datetime.now(UTC)

    def at(days: int, **over):  # noqa: ANN202
        return log(world, now - timedelta(days=days), occurred_at="2026-01-05T09:00:00+08:00", **over)

    return {"now": now, "old": at(30), "soon": at(5), "fresh": at(0), "error": at(30, kind="error"),
            "other": at(30, office="SH-0102", actor=world.clerk_b)}


def test_queue_filters_replies_due_soon_and_overdue_and_sorts_by_reply_due(world, api, login, spread):
    sup = api(world.sup_a)

    def refs(query: str) -> list[str]:
        resp = sup.get(f"/tickets?{query}")
        assert resp.status_code == 200, resp.get_json()
        return [t["ref"] for t in resp.get_json()["tickets"]]

    assert refs("reply=overdue") == [spread["old"].ref]
    assert refs("reply=soon") == [spread["soon"].ref]
    assert refs("sort=reply") == [spread[k].ref for k in ("old", "soon", "fresh", "error")]  # none: last
    # The stage filter is about stage clocks: every triage clock here but the fresh one is overdue.
    assert sorted(refs("due=overdue")) == sorted(spread[k].ref for k in ("old", "soon", "error"))
    bad = sup.get("/tickets?reply=later")
    assert bad.status_code == 422 and "reply" in bad.get_json()["fields"]
    page = login(world.sup_a).get("/tickets?reply=soon&sort=reply").get_data(as_text=True)
    assert spread["soon"].ref in page and spread["old"].ref not in page and spread["fresh"].ref not in page
    assert 'class="reply-due"' in page


def test_dashboard_counts_replies_due_soon_and_replies_in_time_this_month_in_scope(world, login, spread):
    now = spread["now"]
    for key in ("old", "fresh", "other"):
        customer_told(spread[key], now)  # old and other: missed; fresh: met
    db.session.commit()
    mine = replies(world.sup_a, now, "Asia/Shanghai")
    assert (mine.due_soon, mine.met, mine.missed, mine.in_time) == (1, 1, 1, 50.0)
    everyone = replies(world.admin, now, "Asia/Shanghai")
    assert (everyone.due_soon, everyone.met, everyone.missed) == (1, 1, 2)
    assert replies(world.sup_b, now, "Asia/Shanghai").due_soon == 0
    page = login(world.sup_a).get("/").get_data(as_text=True)
    assert "reply=soon" in page and "50.0 %" in page
    assert "reply=soon" not in login(world.clerk_a).get("/").get_data(as_text=True)  # clerks see no figures


@pytest.mark.parametrize("satisfied", [True, False])
def test_a_follow_up_that_reached_the_customer_ends_the_reply_clock(world, satisfied):
    """The follow-up is a contact after resolution: reached, the customer has the outcome (a closed ticket
    kept its reply clock running and mailed its breach and escalation before)."""
    t = log(world, MONDAY_9, occurred_at="2026-11-23T08:00:00+08:00")
    resolve(t, world, MONDAY_9 + timedelta(hours=2))
    reached = MONDAY_9 + timedelta(hours=3)
    fire(t, world.clerk_a, "follow_up", reached, contact="reached", expectation=4, perception=4, satisfied=satisfied)
    d = reply_of(t)
    assert (d.ended_at, d.outcome, d.next_fire_at) == (reached, "met", None)
    assert db.session.scalar(select(Reminder.id).where(Reminder.deadline_id == d.id)) is None
    decide(MONDAY_9 + timedelta(days=60))
    assert db.session.scalar(select(Reminder.id).where(Reminder.deadline_id == d.id)) is None


def test_a_follow_up_that_did_not_reach_the_customer_leaves_the_reply_clock_running(world):
    t = log(world, MONDAY_9, occurred_at="2026-11-23T08:00:00+08:00")
    resolve(t, world, MONDAY_9 + timedelta(hours=2))
    fire(t, world.clerk_a, "follow_up", MONDAY_9 + timedelta(hours=3), contact="unreachable")
    assert t.state.value == "closed" and reply_of(t).ended_at is None
