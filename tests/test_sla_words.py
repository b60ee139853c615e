"""How SLA times and mail errors read (issue 15): days rather than hundreds of hours, working
days for business-hours rules, the words of the policy's own calendar, and delivery errors
explained in the reader's language with the raw text kept aside."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from complaints.domain import Kind, Severity
from complaints.extensions import db
from complaints.mail.delivery import deliver, error_kind
from complaints.models import OutboxMessage
from complaints.sla import messages
from complaints.sla.operations import set_policy
from complaints.sla.policies import get_policy
from complaints.sla.scan import decide
from complaints.tickets.operations import log_ticket
from tests.conftest import MONDAY_9, complaint_body, free_port

H = 3600
ROUND_THE_CLOCK = {"triage_minutes": 60, "resolve_minutes": 2880, "follow_up_minutes": 1440,
                   "escalate_after_minutes": 120, "calendar": "24x7"}
HOURS_OVER_48 = re.compile(r"(\d+)\s*(h\b|小时)")


def _no_long_hours(text: str) -> None:
    for match in HOURS_OVER_48.finditer(text):
        assert int(match.group(1)) < 48, text


# -- item 5: durations ---------------------------------------------------------------------

@pytest.mark.parametrize(("seconds", "calendar", "words"), [
    (-(416 * H + 8 * 60), "business", "52 working days"),  # was "416 h 08 min"
    (-(603 * H + 38 * 60), "24x7", "25 days 3 h"),  # was "603 h 38 min"
    (9 * H, "business", "1 working day 1 h"),
    (8 * H, "business", "1 working day"),
    (26 * H, "24x7", "1 day 2 h"),
    (2 * H + 5 * 60, "business", "2 h 05 min"),
    (3 * H, "24x7", "3 h"),
    (59, "business", "0 min"),
    (-45 * 60, "24x7", "45 min"),
])
def test_durations_say_days_and_working_days(app, seconds, calendar, words):
    with app.test_request_context(), force_locale("en"):
        assert messages.duration(seconds, calendar) == words
        # A clock's dict stands for its seconds and calendar (templates: clock|business_duration).
        assert messages.duration({"business_seconds_left": seconds, "calendar": calendar}) == words


def test_no_duration_over_48_hours_is_written_in_hours(app):
    with app.test_request_context(), force_locale("en"):
        for calendar in ("business", "24x7"):
            for hours in range(0, 2000, 7):
                _no_long_hours(messages.duration(hours * H + 1234, calendar))


def test_policies_are_shown_in_working_days_and_hours(world, login):
    world.admin.locale = "en"
    db.session.commit()
    page = login(world.admin).get("/admin/sla").text
    assert "6 working days" in page and "4 working days" in page  # 2880 and 1920 minutes
    assert ">2880<" not in page and ">1920<" not in page
    assert "8 h" in page  # a 24x7 policy's 480 minutes


def test_policy_form_takes_a_number_and_a_unit_and_stores_minutes(world, login, api):
    client = login(world.admin)
    form = client.get("/admin/sla/error/medium").text
    # 1920 minutes of business time show as 4 working days.
    assert re.search(r'name="resolve_minutes"[^>]*value="4"', form)
    assert re.search(r'<option selected value="working_days">|<option value="working_days" selected', form)
    ok = client.post("/admin/sla/error/medium", data={
        "triage_minutes": "1.5", "triage_minutes_unit": "hours",
        "resolve_minutes": "3", "resolve_minutes_unit": "working_days",
        "follow_up_minutes": "2", "follow_up_minutes_unit": "working_days",
        "escalate_after_minutes": "30", "escalate_after_minutes_unit": "minutes",
        "calendar": "business"})
    assert ok.status_code == 302
    policy = get_policy(Kind.ERROR, Severity.MEDIUM)
    assert (policy.triage_minutes, policy.resolve_minutes, policy.follow_up_minutes,
            policy.escalate_after_minutes) == (90, 1440, 960, 30)
    # The API keeps minutes.
    assert api(world.admin).get("/sla-policies/error/medium").get_json()["resolve_minutes"] == 1440
    # A post without units means minutes, as before.
    assert client.post("/admin/sla/error/low", data={**ROUND_THE_CLOCK}).status_code == 302
    assert get_policy(Kind.ERROR, Severity.LOW).resolve_minutes == 2880
    # Days of 24 hours for a round-the-clock policy; working days there are refused beside the field.
    shown = client.get("/admin/sla/error/low").text
    assert re.search(r'name="resolve_minutes"[^>]*value="2"', shown)
    bad = client.post("/admin/sla/error/low", data={**ROUND_THE_CLOCK, "resolve_minutes": "2",
                                                   "resolve_minutes_unit": "working_days"})
    assert bad.status_code == 422 and 'id="resolve_minutes-error"' in bad.text
    for junk in ("NaN", "Infinity", "-1", "lots"):
        assert client.post("/admin/sla/error/low", data={**ROUND_THE_CLOCK, "triage_minutes": junk}
                           ).status_code == 422
    assert get_policy(Kind.ERROR, Severity.LOW).resolve_minutes == 2880


# -- item 15: the reminder's words follow the policy's calendar -----------------------------

def _round_the_clock_ticket(world):
    set_policy(Kind.COMPLAINT, Severity.MEDIUM, ROUND_THE_CLOCK, MONDAY_9)
    ticket = log_ticket(world.clerk_a, complaint_body(occurred_at="2026-11-23T08:50:00+08:00"), now=MONDAY_9)
    db.session.commit()
    return ticket


def test_a_round_the_clock_reminder_does_not_speak_of_business_time(app, world, smtp_server):
    _round_the_clock_ticket(world)
    world.sup_a.locale = "en"
    db.session.commit()
    decide(MONDAY_9 + timedelta(hours=30))  # warning, breach and escalation are all due
    deliver(app.config, MONDAY_9 + timedelta(hours=30))
    bodies = [m.body for m in smtp_server.messages]
    assert bodies and all("business time" not in b for b in bodies)
    assert any("Overdue by 1 day 5 h." in b for b in bodies)
    world.sup_a.locale = "zh_CN"
    db.session.commit()
    with force_locale("zh_CN"):
        text = messages.standing(-30 * H, "24x7")
    assert "工作时间" not in text and "营业时间" not in text


def test_a_business_hours_reminder_counts_working_days(app, world):
    ticket = log_ticket(world.clerk_a, complaint_body(occurred_at="2026-11-23T08:50:00+08:00"), now=MONDAY_9)
    db.session.commit()
    world.sup_a.locale = "en"
    db.session.commit()
    late = MONDAY_9 + timedelta(days=60)
    decide(late)
    bodies = [r.body for r in db.session.scalars(select(OutboxMessage)) if r.key.startswith("r")]
    assert bodies and ticket.ref in bodies[-1]
    assert any(re.search(r"Overdue by \d+ working days( \d+ h)? of business time", b) for b in bodies)
    for b in bodies:
        _no_long_hours(b)


def test_the_ticket_page_of_a_round_the_clock_clock(world, login):
    set_policy(Kind.COMPLAINT, Severity.MEDIUM, ROUND_THE_CLOCK, MONDAY_9)
    ticket = log_ticket(world.clerk_a, complaint_body(), now=datetime.now(UTC) - timedelta(days=3, hours=2))
    db.session.commit()
    world.sup_a.locale = "en"
    db.session.commit()
    page = login(world.sup_a).get(f"/tickets/{ticket.ref}").text
    section = page[page.index('id="clock-title"'):page.index("</section>", page.index('id="clock-title"'))]
    assert "Overdue by 3 days" in section and "business time" not in section
    _no_long_hours(section)


# -- item 3: mail errors explained --------------------------------------------------------

@pytest.mark.parametrize(("error", "kind"), [
    ("cannot reach the mail server: ConnectionRefusedError: [Errno 111] Connection refused", "unreachable"),
    ("cannot reach the mail server: gaierror: [Errno -2] Name or service not known", "unreachable"),
    ("cannot reach the mail server: OSError: SMTP_HOST is not set", "not_configured"),
    ("cannot reach the mail server: TimeoutError: timed out", "timeout"),
    ("cannot reach the mail server: SMTPServerDisconnected: Connection unexpectedly closed: timed out",
     "timeout"),
    ("cannot reach the mail server: SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED]", "tls"),
    ("cannot reach the mail server: SMTPNotSupportedError: STARTTLS extension not supported by server.", "tls"),
    ("cannot reach the mail server: SMTPAuthenticationError: (535, b'5.7.8 Authentication credentials invalid')",
     "auth"),
    ("rejected: 535 5.7.8 Authentication credentials invalid", "auth"),
    ("rejected: 550 5.1.1 mailbox unavailable", "refused"),
    ("rejected: 550 5.1.1 <bottles.shop@example.com> unknown", "refused"),
    ("sending failed: SMTPServerDisconnected: Connection unexpectedly closed", "unreachable"),
    ("sending failed: SMTPDataError: something odd", "other"),
    (None, None),
])
def test_delivery_errors_are_classified(error, kind):
    assert error_kind(error) == kind


def test_the_outbox_explains_the_error_in_the_readers_language(app, world, login):
    ticket = log_ticket(world.clerk_a, complaint_body(occurred_at="2026-11-23T08:50:00+08:00"), now=MONDAY_9)
    db.session.commit()
    decide(MONDAY_9 + timedelta(hours=4))
    app.config["SMTP_PORT"] = free_port()  # nobody listens there
    deliver(app.config, MONDAY_9 + timedelta(hours=4))
    row = db.session.scalars(select(OutboxMessage)).first()
    assert row.last_error.startswith("cannot reach the mail server") and ticket.ref in row.subject
    world.admin.locale = "en"
    db.session.commit()
    page = login(world.admin).get("/admin/outbox").text
    assert "The mail server could not be reached" in page
    # The raw error is there for the admin, folded away in a <details>.
    details = page[page.index("<details>"):page.index("</details>")]
    assert "cannot reach the mail server" in details
    assert page.count("cannot reach the mail server") == 1
