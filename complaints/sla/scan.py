"""The reminder scan: find the clocks whose next level is due and decide their emails.

One indexed query finds the due clocks (``next_fire_at <= now``). Each is handled in its
own short transaction: on PostgreSQL the row is locked with SKIP LOCKED so that several
scanners share the work; everywhere the unique (deadline, level) reminder row is the
final word, so a level is decided at most once, ever, and its emails are queued in the
same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from ..authz import home_office, office_scope, office_supervisors_clause
from ..domain import Role
from ..extensions import db
from ..mail import outbox
from ..models import Deadline, Office, OutboxMessage, Reminder, Ticket, User
from ..models.sla import LEVELS
from . import messages

log = logging.getLogger(__name__)

BATCH = 200


@dataclass
class ScanReport:
    deadlines: int = 0
    reminders: int = 0
    emails: int = 0


def due_deadline_ids(now: datetime, limit: int = BATCH) -> list[int]:
    stmt = (
        select(Deadline.id)
        .where(Deadline.next_fire_at.is_not(None), Deadline.next_fire_at <= now)
        .order_by(Deadline.next_fire_at)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def decide(now: datetime, limit: int = BATCH) -> ScanReport:
    """Decide every due level (in batches of ``limit``); commits per clock."""
    report = ScanReport()
    seen: set[int] = set()
    while True:
        ids = [i for i in due_deadline_ids(now, limit) if i not in seen]
        db.session.commit()  # end the read: each clock gets its own transaction
        if not ids:
            return report
        for deadline_id in ids:
            seen.add(deadline_id)
            try:
                _decide_one(deadline_id, now, report)
                db.session.commit()
            except OperationalError:
                # Busy (SQLite) or a lost connection: the row stays due for the next pass.
                db.session.rollback()
                log.warning("deadline %s: scan skipped it this time", deadline_id, exc_info=True)


def _decide_one(deadline_id: int, now: datetime, report: ScanReport) -> None:
    d = db.session.scalar(
        select(Deadline).where(Deadline.id == deadline_id).with_for_update(skip_locked=True, of=Deadline)
    )
    if d is None or d.next_fire_at is None or d.next_fire_at > now:
        return  # locked by another scanner, or handled meanwhile
    report.deadlines += 1
    due = [lvl for lvl in range(d.next_level, 3) if (d.level_at(lvl) or now) <= now]
    top = max(due)
    for level in due:
        # After downtime several levels may be due at once. A warning that the deadline is
        # near is noise once it has passed, so it is recorded but not mailed; breach and
        # escalation reach different people and both go out.
        mailed = not (LEVELS[level] == "warning" and top > level)
        reminder_id = _record(d, level, now, mailed=mailed)
        if reminder_id is None:
            continue  # another scanner decided it already
        report.reminders += 1
        if mailed:
            report.emails += _queue_emails(d, level, reminder_id, now)
    d.next_level = top + 1
    d.next_fire_at = d.level_at(d.next_level)


def _record(d: Deadline, level: int, now: datetime, mailed: bool) -> int | None:
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(Reminder)
        .values(deadline_id=d.id, level=LEVELS[level], mailed=mailed, decided_at=now)
        .on_conflict_do_nothing(index_elements=["deadline_id", "level"])
        .returning(Reminder.id)
    )
    return db.session.scalar(stmt)


def _queue_emails(d: Deadline, level: int, reminder_id: int, now: datetime) -> int:
    ticket: Ticket = d.ticket
    queued = 0
    for user in recipients(ticket, LEVELS[level]):
        subject, body = messages.reminder(ticket, d, LEVELS[level], user, now, current_app.config)
        if outbox.queue(f"r{reminder_id}:u{user.id}", user, subject, body, now, reminder_id=reminder_id):
            queued += 1
    return queued


def office_supervisors(office_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).where(office_supervisors_clause(office_id), User.active.is_(True)).order_by(User.id)
    ))


def admins() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
    ))


def recipients(ticket: Ticket, level: str) -> list[User]:
    """Warning: the assignee (the office's supervisors before there is one); breach: the
    assignee and the supervisors; escalation: the admins."""
    assignee = ticket.assignee if ticket.assignee and ticket.assignee.active else None
    if level == "escalation":
        people = admins()
    elif level == "warning":
        people = [assignee] if assignee else office_supervisors(ticket.office_id)
    else:
        people = ([assignee] if assignee else []) + office_supervisors(ticket.office_id)
    unique: dict[int, User] = {}
    for user in people:
        unique.setdefault(user.id, user)
    return list(unique.values())


def _overdue(office_ids: Select, now: datetime):  # noqa: ANN202 - a Select
    return (select(Ticket, Deadline)
            .join(Deadline, Deadline.ticket_id == Ticket.id)
            .where(Deadline.ended_at.is_(None), Deadline.due_at <= now, Ticket.office_id.in_(office_ids)))


def overdue_for(office_ids: Select, now: datetime, limit: int | None = None) -> list[tuple[Ticket, Deadline]]:
    """The overdue clocks of the offices, oldest first, stage and reply clocks alike (the digest names each)."""
    rows = db.session.execute(_overdue(office_ids, now).order_by(Deadline.due_at).limit(limit)).all()
    return [(t, d) for t, d in rows]


def overdue_count(office_ids: Select, now: datetime) -> int:
    """Overdue tickets (a complaint late on its stage and its reply clock counts once)."""
    late = _overdue(office_ids, now).with_only_columns(Ticket.id).distinct().subquery()
    return db.session.scalar(select(func.count()).select_from(late)) or 0


def digest(now: datetime) -> int:
    """Queue today's digest of overdue tickets for each supervisor who has any.

    Safe to run as often as wanted: the key names the supervisor and the local date, so
    each supervisor gets at most one digest a day. Sent from DIGEST_HOUR local time on.
    """
    cfg = current_app.config
    queued = 0
    supervisors = db.session.scalars(
        select(User).where(User.role == Role.SUPERVISOR, User.active.is_(True)).order_by(User.id)
    ).all()
    for sup in supervisors:
        office_ids = office_scope(sup)
        home = home_office(sup)
        if home is None:
            continue  # covers no office
        zone = home.timezone
        local = messages.local(now, zone)
        if local.hour < int(cfg.get("DIGEST_HOUR", 8)):
            continue
        key = f"digest:u{sup.id}:{local.date().isoformat()}"
        # Today's digest is queued once: later passes of the day stop here, before reading the list.
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
            continue
        total = overdue_count(office_ids, now)
        if not total:
            continue
        items = overdue_for(office_ids, now, limit=messages.DIGEST_LINES)
        subject, body = messages.digest(sup, items, now, cfg, total=total)
        if outbox.queue(key, sup, subject, body, now):
            queued += 1
    db.session.commit()
    return queued


def offices_by_id() -> dict[int, Office]:
    return {o.id: o for o in db.session.scalars(select(Office))}
