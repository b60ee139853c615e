"""The demo set-up: its mail catcher, the BASE_URL that follows the port served, demo times in
opening hours."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from complaints.extensions import db
from complaints.mail import catcher
from complaints.models import Ticket
from tests.conftest import free_port


def test_the_catcher_keeps_what_the_outbox_sends_as_eml_files(app, world, tmp_path):
    from complaints.mail.delivery import deliver
    from complaints.mail.outbox import queue

    port = free_port()
    controller = catcher.start(tmp_path / "mail", "127.0.0.1", port)
    try:
        now = datetime.now(UTC)
        queue("k1", world.sup_a, "超时提醒 C-2026-000001", "请尽快处理。", now)
        queue("k2", world.clerk_a, "Second", "body two", now)
        db.session.commit()
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_USER="", SMTP_TIMEOUT=5)
        report = deliver(app.config, now)
    finally:
        controller.stop()
    assert report.sent == 2 and report.retried == 0
    files = catcher.messages(tmp_path / "mail")
    assert len(files) == 2 and not list((tmp_path / "mail").glob("*.part"))
    caught = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert {m["Subject"] for m in caught} == {"超时提醒 C-2026-000001", "Second"}
    first = next(m for m in caught if m["To"] == world.sup_a.email)
    assert first.get_content().strip() == "请尽快处理。"


def test_the_mailcatcher_command_is_there(runner):
    result = runner.invoke(args=["mailcatcher", "--help"])
    assert result.exit_code == 0 and "--port" in result.output and ".eml" in result.output


def test_the_catcher_says_clearly_when_its_port_is_taken(runner, tmp_path):
    port = free_port()
    controller = catcher.start(tmp_path / "a", "127.0.0.1", port)
    try:
        result = runner.invoke(args=["mailcatcher", "--port", str(port), "--folder", str(tmp_path / "b")])
    finally:
        controller.stop()
    assert result.exit_code != 0 and "Error" in result.output


# -- BASE_URL follows the port --------------------------------------------------------------------


@pytest.fixture
def served(app, monkeypatch):
    """Run `serve` without serving: what run_simple was given."""
    calls = []
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda *a, **k: calls.append(a))
    app.config["SCHEDULER_EMBEDDED"] = False
    return calls


def test_serve_points_links_at_the_port_it_serves(app, runner, served, monkeypatch):
    monkeypatch.delenv("BASE_URL", raising=False)
    result = runner.invoke(args=["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert served[0][:2] == ("127.0.0.1", 8123)
    assert app.config["BASE_URL"] == "http://127.0.0.1:8123" and "BASE_URL=http://127.0.0.1:8123" in result.output


def test_serve_keeps_a_base_url_that_was_set(app, runner, served, monkeypatch):
    monkeypatch.setenv("BASE_URL", "https://complaints.example")
    app.config["BASE_URL"] = "https://complaints.example"
    assert runner.invoke(args=["serve", "--port", "8123"]).exit_code == 0
    assert app.config["BASE_URL"] == "https://complaints.example"


def test_the_slip_links_to_the_port_served(app, runner, served, monkeypatch, world, login, make_ticket):
    monkeypatch.delenv("BASE_URL", raising=False)
    runner.invoke(args=["serve", "--port", "8123"])
    t = make_ticket()
    assert "http://127.0.0.1:8123/status" in login(world.clerk_a).get(f"/tickets/{t.ref}/slip").text


def test_scripts_dev_derives_base_url_and_runs_the_catcher():
    from pathlib import Path

    script = (Path(__file__).resolve().parent.parent / "scripts" / "dev").read_text()
    assert "BASE_URL=${BASE_URL:-http://127.0.0.1:$PORT}" in script
    assert "mailcatcher" in script and "SMTP_PORT=$MAIL_PORT" in script


# -- demo times ---------------------------------------------------------------------------------


def test_demo_tickets_are_logged_and_handled_while_the_office_is_open(runner):
    from complaints.sla.calendar import WORKDAY_HOURS_FROM
    from complaints.sla.policies import calendar_for, office_week

    result = runner.invoke(args=["seed-demo", "--tickets", "90"])
    assert result.exit_code == 0, result.output
    tickets = db.session.scalars(select(Ticket).options(selectinload(Ticket.events))).all()
    assert len(tickets) == 90
    calendars = {}
    for t in tickets:
        if t.office_id not in calendars:
            cal = calendar_for(t.office)  # the national calendar the demo imported, and the office's own
            calendars[t.office_id] = (office_week(t.office), cal.holidays, cal.workdays, ZoneInfo(t.office.timezone))
        week, holidays, workdays, zone = calendars[t.office_id]
        # The clock may be read while the office is closed: a step "now" may fall outside hours.
        moments = [t.occurred_at, t.created_at] + [e.at for e in t.events]
        for moment in moments:
            if datetime.now(UTC) - moment < timedelta(minutes=5):
                continue
            local = moment.astimezone(zone)
            hours = week.get(WORKDAY_HOURS_FROM if local.date() in workdays else local.weekday())
            assert local.date() not in holidays, (t.ref, local)
            assert hours and hours[0] <= local.time() <= hours[1], (t.ref, local)
