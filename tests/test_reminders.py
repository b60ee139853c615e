"""Reminders: levels decided once, emails queued in the same transaction, delivered over real SMTP."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from complaints.extensions import db
from complaints.mail.delivery import backoff, deliver
from complaints.models import Deadline, OutboxMessage, Reminder
from complaints.sla import clocks
from complaints.sla.scan import decide, digest
from complaints.tickets.operations import fire_event, log_ticket
from tests.conftest import MONDAY_9, RecordingHandler, complaint_body, free_port

WARN = MONDAY_9 + timedelta(hours=3)  # 12:00: 75 % of the 240-minute triage target
BREACH = MONDAY_9 + timedelta(hours=4)  # 13:00
ESCALATE = MONDAY_9 + timedelta(hours=27)  # Tuesday 12:00: 480 business minutes after the breach


@pytest.fixture
def logged(world):
    ticket = log_ticket(world.clerk_a, complaint_body(occurred_at="2026-11-23T08:50:00+08:00"), now=MONDAY_9)
    db.session.commit()
    return ticket


def outbox_rows() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_nothing_is_decided_before_the_warning(logged):
    report = decide(WARN - timedelta(seconds=1))
    assert report.reminders == 0 and outbox_rows() == []


def test_each_level_goes_to_its_people_once(world, logged):
    db.session.commit()
    assert decide(WARN).emails == 1  # before triage: the office's supervisor
    assert [r.to_addr for r in outbox_rows()] == [world.sup_a.email]
    assert decide(WARN).reminders == 0  # asked again: nothing new
    assert decide(BREACH).emails == 1  # no assignee yet: the supervisors
    assert decide(ESCALATE).emails == 1  # the admins
    assert [r.to_addr for r in outbox_rows()][-1] == world.admin.email
    # Nothing more for the triage clock; the reply clock (7 working days) has reached its three levels.
    assert decide(ESCALATE + timedelta(days=30)).reminders == 3
    levels = db.session.execute(select(Deadline.clock, Reminder.level).join(
        Reminder, Reminder.deadline_id == Deadline.id).order_by(Reminder.id)).all()
    assert [lvl for c, lvl in levels if c == "triage"] == ["warning", "breach", "escalation"]
    assert [lvl for c, lvl in levels if c == "reply"] == ["warning", "breach", "escalation"]
    assert clocks.open_deadline(logged).next_fire_at is None


def test_breach_goes_to_the_assignee_and_the_supervisors(world, logged):
    fire_event(logged, world.sup_a, "triage", {"severity": "high", "category": "counter",
                                               "assignee": world.admin.email},
               version=logged.version, now=MONDAY_9)
    db.session.commit()
    d = clocks.open_deadline(logged)
    decide(d.due_at)
    rows = outbox_rows()
    assert sorted(r.to_addr for r in rows) == sorted([world.admin.email, world.sup_a.email])
    assert all("超时" in r.subject and logged.ref in r.subject for r in rows)  # DEFAULT_LOCALE zh_CN


def test_after_downtime_a_passed_warning_is_not_mailed_but_breach_and_escalation_are(world, logged):
    report = decide(ESCALATE + timedelta(hours=1))
    assert report.reminders == 3 and report.emails == 2
    assert [r.to_addr for r in outbox_rows()] == [world.sup_a.email, world.admin.email]
    mailed = dict(db.session.execute(select(Reminder.level, Reminder.mailed)).all())
    assert mailed == {"warning": False, "breach": True, "escalation": True}


def test_no_escalation_delay_still_sends_the_breach(world, api, make_ticket):
    api(world.admin).put("/sla-policies/complaint/medium", json={
        "triage_minutes": 60, "resolve_minutes": 60, "follow_up_minutes": 60, "escalate_after_minutes": 0,
        "calendar": "24x7"})
    t = log_ticket(world.clerk_a, complaint_body(occurred_at="2026-11-23T08:50:00+08:00"), now=MONDAY_9)
    db.session.commit()
    assert clocks.open_deadline(t).due_at == clocks.open_deadline(t).escalate_at
    decide(MONDAY_9 + timedelta(hours=1))
    assert sorted(r.to_addr for r in outbox_rows()) == sorted([world.sup_a.email, world.admin.email])


def test_a_clock_that_ended_or_paused_sends_nothing(world, logged):
    fire_event(logged, world.sup_a, "triage", {"severity": "low", "category": "counter",
                                               "assignee": world.sup_a.email},
               version=logged.version, now=MONDAY_9 + timedelta(minutes=5))
    fire_event(logged, world.sup_a, "request_info", {"note": "请补充"}, version=logged.version,
               now=MONDAY_9 + timedelta(minutes=10))
    db.session.commit()
    decide(MONDAY_9 + timedelta(days=60))
    # Only the reply clock, which a wait for the customer does not pause, reached its levels.
    decided = db.session.scalars(select(Deadline.clock).join(Reminder, Reminder.deadline_id == Deadline.id)).all()
    assert decided == ["reply"] * 3


def test_a_rolled_back_decision_queues_nothing(world, logged):
    from complaints.sla.scan import ScanReport, _decide_one

    d = clocks.open_deadline(logged)
    _decide_one(d.id, WARN, ScanReport())
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0
    assert decide(WARN).emails == 1  # decided again, once


def test_emails_arrive_over_smtp_with_reference_due_time_and_link(app, world, logged, smtp_server):
    decide(BREACH)
    report = deliver(app.config, BREACH)
    assert report.sent == 1
    (mail,) = smtp_server.messages
    assert mail.rcpt == [world.sup_a.email]
    assert mail.subject.startswith(f"[{logged.ref}]") and "2026-11-23 13:00" in mail.subject
    assert f"https://complaints.example/tickets/{logged.ref}" in mail.body
    assert "Asia/Shanghai" in mail.body
    assert mail.msg["Message-ID"] and mail.msg["X-Complaints-Key"].startswith("r")
    assert outbox_rows()[0].status == "sent"
    assert deliver(app.config, BREACH + timedelta(hours=1)).sent == 0  # nothing sent twice


def test_emails_are_in_the_recipients_language(app, world, logged, smtp_server):
    world.sup_a.locale = "en"
    db.session.commit()
    decide(WARN)
    deliver(app.config, WARN)
    assert "Triage due at" in smtp_server.messages[0].subject
    world.sup_a.locale = None  # back to DEFAULT_LOCALE, zh_CN
    db.session.commit()
    decide(BREACH)
    deliver(app.config, BREACH)
    mail = smtp_server.messages[1]
    assert mail.subject == f"[{logged.ref}] 分派自 2026-11-23 13:00 起已超时"
    assert "打开工单" in mail.body and ("工作时间" in mail.body or "营业时间" in mail.body)  # a business-hours rule


def test_smtp_down_keeps_rows_pending_with_backoff_then_everything_goes_out(app, world, logged, smtp_server):
    decide(BREACH)
    decide(ESCALATE)
    real_port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()  # nobody listens there
    report = deliver(app.config, ESCALATE)
    assert report.retried == 2 and report.sent == 0
    rows = outbox_rows()
    assert {r.status for r in rows} == {"pending"}
    assert all(r.attempts == 1 and "cannot reach the mail server" in r.last_error for r in rows)
    assert rows[0].next_attempt_at == ESCALATE + backoff(1)
    assert deliver(app.config, ESCALATE + timedelta(seconds=30)).retried == 0  # backing off
    deliver(app.config, ESCALATE + timedelta(minutes=1))
    assert {r.attempts for r in outbox_rows()} == {2}
    app.config["SMTP_PORT"] = real_port  # the server is back
    assert deliver(app.config, ESCALATE + timedelta(minutes=10)).sent == 2
    assert len(smtp_server.messages) == 2 and {r.status for r in outbox_rows()} == {"sent"}


def test_a_rejected_address_fails_after_n_tries_and_shows_in_the_outbox(app, world, logged, smtp_server, login):
    app.config["MAIL_MAX_REJECTIONS"] = 3
    smtp_server.handler.refuse.add(world.sup_a.email)
    decide(WARN)
    at = WARN
    for _ in range(3):
        deliver(app.config, at)
        at += timedelta(hours=2)
    (row,) = outbox_rows()
    assert row.status == "failed" and row.rejections == 3 and "550" in row.last_error
    assert deliver(app.config, at + timedelta(days=1)).retried == 0  # not retried for ever
    page = login(world.admin).get("/admin/outbox?status=failed")
    assert page.status_code == 200 and "550" in page.text and logged.ref in page.text
    # An admin fixes the address problem and sends it again.
    smtp_server.handler.refuse.clear()
    assert login(world.admin).post(f"/admin/outbox/{row.id}/retry").status_code == 302
    assert deliver(app.config, datetime.now(UTC) + timedelta(seconds=1)).sent == 1  # the page used the real clock
    assert len(smtp_server.messages) == 1


def test_daily_digest_once_per_supervisor_and_day(app, world, logged, smtp_server):
    app.config["DIGEST_HOUR"] = 8
    early = BREACH.replace(hour=23, minute=0)  # 07:00 Tuesday in Shanghai: too early
    assert digest(early) == 0
    tuesday_9 = early + timedelta(hours=2)
    assert digest(tuesday_9) == 1
    assert digest(tuesday_9 + timedelta(hours=3)) == 0  # once a day
    deliver(app.config, tuesday_9)
    (mail,) = smtp_server.messages
    assert mail.rcpt == [world.sup_a.email] and logged.ref in mail.body
    assert digest(tuesday_9 + timedelta(days=1)) == 1  # the next day, again
    assert world.sup_b.email not in [r.to_addr for r in outbox_rows()]  # nothing overdue in B


@pytest.fixture
def tls_files(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def test_starttls_and_login_are_used_when_configured(app, world, logged, tls_files):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    seen: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        seen.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret-pass")

    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_required=True, auth_require_tls=True)
    controller.start()
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=True, SMTP_CAFILE=str(cert),
                          SMTP_USER="mailer", SMTP_PASSWORD="wrong", SMTP_TIMEOUT=1)  # aiosmtpd stalls a bad login
        decide(WARN)
        report = deliver(app.config, WARN)
        assert report.sent == 0 and report.retried == 1  # a bad password is retried, not lost
        app.config["SMTP_PASSWORD"] = "s3cret-pass"
        assert deliver(app.config, WARN + timedelta(hours=1)).sent == 1
        assert seen[-1] == ("mailer", "s3cret-pass") and len(handler.messages) == 1
    finally:
        controller.stop()
