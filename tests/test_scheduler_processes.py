"""Several scheduler processes at once, and processes killed mid-way: no email lost, none twice.

Real processes (`flask sla scan`, the command cron runs) against the test database and a
real SMTP server on loopback. Runs on every backend; the issue asks for PostgreSQL, where
row locks with SKIP LOCKED share the work, and SQLite shows the unique keys alone hold.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from complaints.extensions import db
from complaints.mail.delivery import LEASE, deliver
from complaints.models import OutboxMessage, Reminder
from tests.conftest import RecordingHandler, StallingHandler, free_port, log_overdue

TICKETS = 12


def _env(app, database_url: str, port: int, tmp_path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_STARTTLS="0",
               SMTP_USER="", COMPLAINTS_ENV="development", INSTANCE_PATH=str(tmp_path), DIGEST_HOUR="0",
               BASE_URL="https://complaints.example")
    return env


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "complaints", *args]


@pytest.fixture
def overdue_tickets(world) -> list[str]:
    """Tickets logged days ago: every level of their triage clocks is due now."""
    return log_overdue(world, TICKETS)


@pytest.fixture
def smtp(app):
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_USER="")
    yield handler, port
    controller.stop()


def expected_keys() -> set[str]:
    return set(db.session.scalars(select(OutboxMessage.key)))


def test_three_scheduler_processes_at_once_send_each_email_exactly_once(
        app, database_url, world, overdue_tickets, smtp, tmp_path):
    handler, port = smtp
    env = _env(app, database_url, port, tmp_path)
    # Each process runs three passes back to back; all start together.
    script = "for i in 1 2 3; do " + " ".join(_flask("sla", "scan")) + " || exit 1; done"
    procs = [subprocess.Popen(["bash", "-c", script], env=env, stdout=subprocess.PIPE,  # noqa: S603,S607
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
    db.session.remove()
    keys = expected_keys()
    # Per ticket a breach to its office's supervisor and an escalation to the admin (the passed
    # warning is recorded, not mailed); one digest per supervisor with overdue tickets.
    assert len(keys) == 2 * TICKETS + 2
    received = Counter(m.msg["X-Complaints-Key"] for m in handler.messages)
    assert set(received) == keys
    assert max(received.values()) == 1, [k for k, n in received.items() if n > 1]
    assert db.session.scalar(select(db.func.count()).select_from(Reminder)) == TICKETS * 3
    assert set(db.session.scalars(select(OutboxMessage.status))) == {"sent"}


def test_a_process_killed_between_deciding_and_sending_loses_nothing(
        app, database_url, world, overdue_tickets, smtp, tmp_path):
    handler, port = smtp
    env = _env(app, database_url, port, tmp_path)
    code = (
        "import os, signal\n"
        "from complaints import create_app, clock\n"
        "from complaints.sla.scan import decide\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    decide(clock.now())\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=120)  # noqa: S603
    assert p.returncode == -signal.SIGKILL
    db.session.remove()
    keys = expected_keys()
    assert len(keys) == 2 * TICKETS  # decided and queued before the kill
    assert handler.messages == []
    p = subprocess.run(_flask("sla", "scan"), env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert p.returncode == 0, p.stderr[-2000:]
    received = Counter(m.msg["X-Complaints-Key"] for m in handler.messages)
    assert keys <= set(received) and max(received.values()) == 1


def test_a_sender_killed_mid_delivery_leaves_its_rows_to_the_next_one(
        app, database_url, world, overdue_tickets, tmp_path):
    from aiosmtpd.controller import Controller

    from complaints.sla.scan import decide

    decide(datetime.now(UTC))
    db.session.remove()
    handler = StallingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = _env(app, database_url, port, tmp_path)
        p = subprocess.Popen(_flask("sla", "scan"), env=env, stdout=subprocess.DEVNULL,  # noqa: S603
                             stderr=subprocess.DEVNULL)
        assert handler.data_started.wait(60), "the sender never reached DATA"
        p.send_signal(signal.SIGKILL)
        p.wait(30)
        handler.released.set()
        time.sleep(0.2)  # let the server notice the dropped connection (not a deadline)
        leased = db.session.scalars(select(OutboxMessage).where(OutboxMessage.lease_until.is_not(None))).all()
        assert leased and all(m.status == "pending" for m in leased)
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_USER="")
        later = datetime.now(UTC) + LEASE + timedelta(seconds=1)  # the dead sender's lease has run out
        sent = 0
        while (report := deliver(app.config, later)).sent:
            sent += report.sent
        keys = expected_keys()  # breaches, escalations, and the digests the killed pass queued
        assert sent == len(keys) == 2 * TICKETS + 2
        received = Counter(m.msg["X-Complaints-Key"] for m in handler.messages)
        assert set(received) == keys and max(received.values()) == 1
    finally:
        controller.stop()
