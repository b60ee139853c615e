"""The periodic jobs, declared once with stable ids, and the APScheduler that runs them.

The scheduler keeps nothing of its own: every job reads what is due from the database
and writes its decisions there, so a restarted scheduler carries on, a late pass still
runs once (coalesce, a grace time on purpose), and several schedulers at once are safe
because the database arbitrates (row locks with SKIP LOCKED, unique keys).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from . import clock

log = logging.getLogger(__name__)

# A pass that starts up to this late still runs (once, thanks to coalescing).
MISFIRE_GRACE_SECONDS = 600


def scan_job() -> None:
    from .sla.scan import decide

    report = decide(clock.now())
    if report.reminders:
        log.info("sla scan: %s reminders, %s emails queued", report.reminders, report.emails)


def deliver_job() -> None:
    from flask import current_app

    from .mail.delivery import deliver_all

    sent = deliver_all(current_app.config, clock.now())  # each channel (email, SMS) on its own
    if sent:
        log.info("outbox: %s sent", sent)


def digest_job() -> None:
    from .sla.scan import digest

    digest(clock.now())


def housekeeping_job() -> None:
    from .extensions import db
    from .tickets.operations import sweep_idempotency_keys

    swept = sweep_idempotency_keys(clock.now())
    db.session.commit()
    if swept:
        log.info("housekeeping: %s idempotency keys past their day forgotten", swept)


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[], None]
    trigger: str
    args: dict[str, Any] = field(default_factory=dict)


JOBS: tuple[Job, ...] = (
    Job("sla-scan", scan_job, "interval", {"seconds": 60}),
    Job("mail-deliver", deliver_job, "interval", {"seconds": 20}),
    Job("sla-digest", digest_job, "interval", {"minutes": 15}),
    Job("housekeeping", housekeeping_job, "interval", {"hours": 1}),
)


def run_pass(app: Flask) -> dict[str, Any]:
    """One pass of everything, for cron (`flask sla scan`): decide, digest, deliver, housekeeping."""
    from .extensions import db
    from .mail.delivery import deliver_all
    from .sla.scan import decide, digest
    from .tickets.operations import sweep_idempotency_keys

    now = clock.now()
    scan = decide(now)
    digests = digest(now)
    sent = deliver_all(app.config, now)
    swept = sweep_idempotency_keys(now)
    db.session.commit()
    return {"reminders": scan.reminders, "queued": scan.emails + digests, "sent": sent, "keys_swept": swept}


def _in_app(app: Flask, job: Job) -> Callable[[], None]:
    def run() -> None:
        from .extensions import db

        with app.app_context():
            try:
                job.func()
            except Exception:
                db.session.rollback()
                log.exception("job %s failed; it runs again at its next time", job.id)
            finally:
                db.session.remove()

    return run


def build(app: Flask, background: bool):  # noqa: ANN201 - an APScheduler scheduler
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    cls = BackgroundScheduler if background else BlockingScheduler
    scheduler = cls(
        timezone=app.config["TIMEZONE"],
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    every = float(app.config.get("SCHEDULER_EVERY") or 0)  # one interval for all jobs (tests, drills)
    for job in JOBS:
        args = {"seconds": every} if every > 0 else job.args
        scheduler.add_job(_in_app(app, job), job.trigger, id=job.id, name=job.id,
                          replace_existing=True, **args)
    return scheduler
