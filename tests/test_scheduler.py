"""The scheduler's jobs: stable ids, coalescing and a grace time on purpose, state kept in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from complaints.extensions import db
from complaints.models import OutboxMessage
from complaints.scheduler import JOBS, MISFIRE_GRACE_SECONDS, build
from complaints.tickets.operations import log_ticket
from tests.conftest import complaint_body, no_reply_clock


def test_jobs_have_stable_ids_and_late_passes_run_once(app):
    scheduler = build(app, background=True)
    scheduler.start(paused=True)  # jobs get their defaults when the scheduler starts
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"sla-scan", "mail-deliver", "sla-digest", "housekeeping"} == {j.id for j in JOBS}
        for job in jobs.values():
            assert job.coalesce is True and job.max_instances == 1
            assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
        # Adding a job again under its id replaces it instead of doubling it.
        job = JOBS[0]
        scheduler.add_job(job.func, job.trigger, id=job.id, replace_existing=True, **job.args)
        assert len(scheduler.get_jobs()) == len(JOBS)
    finally:
        scheduler.shutdown(wait=False)


def test_a_started_scheduler_runs_its_jobs_in_the_app(app, world, smtp_server):
    log_ticket(world.clerk_a, complaint_body(occurred_at="2026-01-05T09:00:00+08:00"),
               now=datetime.now(UTC) - timedelta(days=10))
    db.session.commit()
    admin_email = world.admin.email
    scheduler = build(app, background=True)
    scheduler.start()
    try:
        # Run the jobs now instead of waiting for their intervals, one after the other.
        scheduler.get_job("sla-scan").modify(next_run_time=datetime.now(UTC))
        assert _wait_for(lambda: db.session.scalar(select(OutboxMessage)))
        scheduler.get_job("mail-deliver").modify(next_run_time=datetime.now(UTC))
        assert _wait_for(lambda: db.session.scalar(select(OutboxMessage).where(OutboxMessage.status == "sent")))
    finally:
        scheduler.shutdown(wait=True)
    db.session.remove()
    sent = db.session.scalars(select(OutboxMessage.to_addr).where(OutboxMessage.status == "sent")).all()
    assert admin_email in sent  # the escalation of a ticket overdue for days
    assert smtp_server.messages


def _wait_for(predicate) -> bool:
    """Poll the database while the scheduler's thread works (up to 10 s; no deadline is waited for)."""
    import time

    for _ in range(200):
        db.session.remove()
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_sla_scan_command_runs_one_pass(runner, world, smtp_server):
    no_reply_clock()  # the three levels of the triage clock alone (ten days ago: 6 to 8 working days)
    log_ticket(world.clerk_a, complaint_body(occurred_at="2026-01-05T09:00:00+08:00"),
               now=datetime.now(UTC) - timedelta(days=10))
    db.session.commit()
    result = runner.invoke(args=["sla", "scan"])
    assert result.exit_code == 0, result.output
    assert "reminders=3" in result.output and "sent=" in result.output
    again = runner.invoke(args=["sla", "scan"])
    assert "reminders=0" in again.output


def test_scheduler_and_serve_commands_exist(runner):
    assert runner.invoke(args=["scheduler", "--help"]).exit_code == 0
    assert "SCHEDULER_EMBEDDED" in runner.invoke(args=["serve", "--help"]).output
