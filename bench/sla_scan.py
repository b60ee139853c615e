"""Time the SLA scan over a large database: 1,000,000 tickets, 100,000 of them open, two clocks each.

    .venv/bin/python bench/sla_scan.py [--tickets 1000000] [--open 100000] [--runs 30]
                                       [--database-url postgresql://...] [--reuse]

Fills a fresh database in bulk, on the schema the migrations build (so with the real indexes).
Every ticket is a complaint with two clocks, as the application keeps them since migration 0010:

- its stage clock: on open tickets a running resolve clock, its next level ahead (most at the
  warning still; some past the warning or the breach, those levels decided, with their reminder
  rows; a few past the escalation, nothing left to fire); on closed ones an ended follow-up clock;
- its statutory reply clock: due 7 working days after logging on China's working days (the
  national calendar imported from chinese-calendar), warning at 75 %, escalation a working day
  after the due instant, planned with the application's own calendar. On open tickets it runs:
  the levels already reached are decided (reminder rows), the next one is its ``next_fire_at``
  (none once escalated: most open tickets are older than the 8 working days). On closed ones it
  ended when the reply was sent (up to 12 days after logging, met or missed by that).

The outbox holds sent mail. Then it times, over ``--runs`` runs each: a scan pass that finds
nothing due (``decide`` + ``deliver``, both the application's code); a pass that finds 100 clocks
due (50 stage, 50 reply clocks at their warning: ``decide`` records 100 reminders and queues their
emails; the clocks are put back due before each run); the digest, 400 days back and now (every
overdue clock of a supervisor's offices is listed). Prints the median and p95 of each with the
data size and core count, and the plan of the due query (nothing due, and 100 due). Figures
only: no assertion about the times. ``--reuse`` skips the fill when the database holds one of
this size; what the timed passes wrote is removed after them, so it is left as filled.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from _common import analyze, empty_database, fresh_app, print_rows, row, timed
from sqlalchemy import delete, event, func, insert, select, text, update
from sqlalchemy.exc import OperationalError, ProgrammingError

from complaints.domain import Category, Channel, Finding, Kind, Product, RootCause, Severity, State
from complaints.errors import InvalidInput
from complaints.extensions import db
from complaints.mail.delivery import deliver
from complaints.models import (
    Deadline,
    Office,
    OutboxMessage,
    Reminder,
    Ticket,
    TicketItem,
    User,
    user_offices,
)
from complaints.models.sla import LEVELS
from complaints.sla.calendar import BusinessCalendar
from complaints.sla.clocks import WARNING_SHARE
from complaints.sla.national import import_year
from complaints.sla.policies import DEFAULT_POLICIES, DEFAULT_REPLY, working_days_for
from complaints.sla.scan import decide, digest, due_deadline_ids
from complaints.tickets.items import s10_check_digit

BATCH = 20_000
CATEGORIES = list(Category)
ROOT_CAUSES = list(RootCause)
# S10 service indicators as seen on Chinese labels, with the product they stand for.
ITEM_PREFIXES = [("EA", Product.EMS), ("EE", Product.EMS), ("RR", Product.REGISTERED), ("CP", Product.PARCEL),
                 ("LK", Product.LETTER), ("KA", Product.EXPRESS)]


def item_number(ticket_id: int, position: int) -> tuple[str, Product]:
    """A valid S10 number (check digit right) for the ticket's item: serial from the ticket id, so unique."""
    prefix, product = ITEM_PREFIXES[(ticket_id + position) % len(ITEM_PREFIXES)]
    serial = f"{(ticket_id * 10 + position) % 10**8:08d}"
    return f"{prefix}{serial}{s10_check_digit(serial)}CN", product


def case_file_rows(ticket: dict, is_open: bool, items: list[dict]) -> None:
    """The case file of one bulk ticket: a category; for half of them one or two postal items (a
    third of those two); closed ones judged (one in three substantiated, with a root cause;
    no clerk is attributed, so hardware satisfies the CHECK; one in three unfounded)."""
    tid = ticket["id"]
    ticket["category"] = CATEGORIES[tid % len(CATEGORIES)]
    judged = None if is_open or tid % 3 == 2 else (Finding.SUBSTANTIATED if tid % 3 == 0 else Finding.UNFOUNDED)
    ticket["finding"] = judged
    ticket["root_cause"] = ROOT_CAUSES[(tid // 3) % len(ROOT_CAUSES)] if judged == Finding.SUBSTANTIATED else None
    ticket["attributed_clerk_id"] = None
    ticket["resolved_at"] = None if judged is None else ticket["created_at"]
    if tid % 2 == 0:
        for position in range(1, 3 if tid % 3 == 0 else 2):
            number, product = item_number(tid, position)
            items.append({"ticket_id": tid, "position": position, "number": number, "product": product})


# The reply clock of a complaint (the application's default reply policy) and the stage clock of
# an open one (resolve, medium severity): targets and level offsets as the clocks module plans them.
REPLY_DAYS, REPLY_ESCALATE_DAYS = DEFAULT_REPLY[Kind.COMPLAINT]
REPLY_TARGET = REPLY_DAYS * 86400
REPLY_OFFSETS = tuple(timedelta(seconds=s) for s in (
    math.ceil(REPLY_TARGET * WARNING_SHARE), REPLY_TARGET, REPLY_TARGET + REPLY_ESCALATE_DAYS * 86400))
_, RESOLVE_MINUTES, FOLLOW_UP_MINUTES, ESCALATE_MINUTES, _ = DEFAULT_POLICIES[(Kind.COMPLAINT, Severity.MEDIUM)]
WARN_BEFORE_DUE = timedelta(minutes=RESOLVE_MINUTES * (1 - WARNING_SHARE))  # business time, taken as wall time
ESCALATE_AFTER_DUE = timedelta(minutes=ESCALATE_MINUTES)


def national_calendar(first: datetime, last: datetime) -> BusinessCalendar:
    """Import China's national calendar for the years the tickets span (the years the installed
    chinese-calendar knows), and return the statutory working-day calendar of the offices."""
    for year in range(first.year, last.year + 2):
        try:
            import_year(year)
        except InvalidInput:
            pass  # a year not published yet: Monday to Friday
    db.session.commit()
    return working_days_for(db.session.get(Office, 1))  # every bench office is in Asia/Shanghai


def stage_clock(rng: random.Random, now: datetime) -> tuple[list[datetime], int]:
    """Level instants (warn, due, escalate) of an open ticket's running stage clock, and its next
    level: most still before the warning, some past the warning or the breach, a few escalated."""
    r = rng.random()
    if r < 0.65:
        warn = now + timedelta(minutes=rng.randint(60, 60 * 24 * 30))
        due = warn + WARN_BEFORE_DUE
        return [warn, due, due + ESCALATE_AFTER_DUE], 0
    if r < 0.85:
        due = now + timedelta(minutes=rng.randint(60, 60 * 24 * 3))
        return [min(due - WARN_BEFORE_DUE, now - timedelta(minutes=1)), due, due + ESCALATE_AFTER_DUE], 1
    if r < 0.95:
        escalate = now + timedelta(minutes=rng.randint(60, ESCALATE_MINUTES - 60))
        due = escalate - ESCALATE_AFTER_DUE
        return [due - WARN_BEFORE_DUE, due, escalate], 2
    escalate = now - timedelta(minutes=rng.randint(1, 60 * 24 * 30))
    due = escalate - ESCALATE_AFTER_DUE
    return [due - WARN_BEFORE_DUE, due, escalate], 3


def decided(ids: Iterator[int], deadline_id: int, instants: list[datetime], upto: int) -> list[dict]:
    """The reminder rows of the levels below ``upto``, decided when each was reached."""
    return [{"id": next(ids), "deadline_id": deadline_id, "level": LEVELS[level], "mailed": True,
             "decided_at": instants[level]} for level in range(upto)]


def fill(n: int, n_open: int, offices: int = 50, seed: int = 1,
         describe: Callable[[int], str] = lambda _i: "营业员态度生硬", case_file: bool = False) -> datetime:
    """``n`` complaints (one in n/n_open open, the rest closed) over the last n minutes, each with its
    stage clock and its reply clock (see the module's docstring; ``case_file``: with categories,
    postal items, findings and root causes, see case_file_rows). Returns the instant the data
    describes (the scan passes use it as their "now": the fill's own minutes do not count)."""
    from flask_migrate import upgrade

    upgrade()
    rng = random.Random(seed)
    clock_rng = random.Random(seed + 1)
    now = datetime.now(UTC).replace(microsecond=0)
    db.session.execute(insert(Office), [
        {"code": f"BN-{i:04d}", "name": f"Office {i}", "timezone": "Asia/Shanghai", "active": True,
         "created_at": now} for i in range(offices)])
    db.session.execute(insert(User), [{
        "email": "bench@example.com", "name": "bench", "role": "admin", "password_hash": "x",
        "active": True, "created_at": now}] + [{
        "email": f"sup{i}@example.com", "name": f"sup{i}", "role": "supervisor", "password_hash": "x",
        "active": True, "created_at": now} for i in range(offices)])
    db.session.execute(insert(user_offices), [{"user_id": i + 2, "office_id": i + 1} for i in range(offices)])
    db.session.commit()
    cal = national_calendar(now - timedelta(minutes=n), now)
    open_every = max(1, n // n_open)
    reminder_ids = itertools.count(1)
    deadlines_table, reminders_table = Deadline.__table__, Reminder.__table__
    for start in range(0, n, BATCH):
        tickets, deadlines, reminders, mail, items = [], [], [], [], []
        for i in range(start, min(n, start + BATCH)):
            at = now - timedelta(minutes=n - i)
            is_open = i % open_every == 0
            tid = i + 1
            tickets.append({
                "id": tid, "ref": f"C-2026-{i:07d}", "kind": Kind.COMPLAINT, "channel": Channel.COUNTER,
                "state": State.TRIAGED if is_open else State.CLOSED, "version": 1,
                "office_id": rng.randint(1, offices), "description": describe(tid), "occurred_at": at,
                "customer_name": "王先生", "customer_phone": f"138{(i * 7919) % 10**8:08d}",
                "logged_by_id": 1, "created_at": at, "updated_at": at,
            })
            if case_file:
                case_file_rows(tickets[-1], is_open, items)
            # The stage clock (id 2i+1).
            if is_open:
                stage, level = stage_clock(clock_rng, now)
                reminders += decided(reminder_ids, 2 * i + 1, stage, level)
            else:
                ahead = now + timedelta(minutes=clock_rng.randint(60, 60 * 24 * 30))
                stage, level = [ahead, ahead + timedelta(hours=2), ahead + timedelta(hours=10)], 3
            deadlines.append({
                "id": 2 * i + 1, "ticket_id": tid, "office_id": tickets[-1]["office_id"],
                "clock": "resolve" if is_open else "follow_up", "cycle": 1,
                "severity": Severity.MEDIUM,
                "target_seconds": (RESOLVE_MINUTES if is_open else FOLLOW_UP_MINUTES) * 60,
                "escalate_seconds": ESCALATE_MINUTES * 60,
                "always_open": False, "started_at": at, "running_since": at if is_open else None,
                "consumed_seconds": 0, "warn_at": stage[0], "due_at": stage[1], "escalate_at": stage[2],
                "next_level": level, "next_fire_at": stage[level] if is_open and level < 3 else None,
                "ended_at": None if is_open else at, "outcome": None if is_open else "met",
            })
            # The reply clock (id 2i+2): 7 working days from logging, on the statutory calendar.
            reply = [cal.add(at, offset) for offset in REPLY_OFFSETS]
            if is_open:
                ended, consumed = None, 0
                level = sum(instant <= now for instant in reply)
            else:
                ended = min(at + timedelta(minutes=clock_rng.randint(30, 60 * 24 * 12)), now)
                consumed = int(cal.between(at, ended).total_seconds())
                level = sum(instant <= ended for instant in reply)
            reminders += decided(reminder_ids, 2 * i + 2, reply, level)
            deadlines.append({
                "id": 2 * i + 2, "ticket_id": tid, "office_id": tickets[-1]["office_id"],
                "clock": "reply", "cycle": 1, "severity": Severity.MEDIUM,
                "target_seconds": REPLY_TARGET, "escalate_seconds": REPLY_ESCALATE_DAYS * 86400,
                "always_open": False, "started_at": at, "running_since": at if is_open else None,
                "consumed_seconds": consumed, "warn_at": reply[0], "due_at": reply[1], "escalate_at": reply[2],
                "next_level": level, "next_fire_at": reply[level] if is_open and level < 3 else None,
                "ended_at": ended,
                "outcome": None if is_open else ("met" if consumed <= REPLY_TARGET else "missed"),
            })
            if i % 10 == 0:
                mail.append({"key": f"bench:{i}", "to_addr": "sup@example.com", "subject": "s", "body": "b",
                             "status": "sent", "attempts": 1, "rejections": 0, "next_attempt_at": at,
                             "created_at": at, "sent_at": at})
        # A None dropped from a row changes its key set, and the ORM bulk insert cuts a batch at each
        # change: the case file's nullable columns (finding, root cause) vary row to row, so NULLs are sent.
        db.session.execute(insert(Ticket).execution_options(render_nulls=case_file), tickets)
        # Core inserts (one executemany each, no ORM bookkeeping per row): every row has every key.
        db.session.execute(insert(deadlines_table), deadlines)
        if reminders:
            db.session.execute(insert(reminders_table), reminders)
        db.session.execute(insert(OutboxMessage), mail)
        if items:
            db.session.execute(insert(TicketItem.__table__), items)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for table in ("tickets", "deadlines", "reminders"):
            db.session.execute(text(f"SELECT setval('{table}_id_seq', (SELECT coalesce(max(id), 1) FROM {table}))"))  # noqa: S608
        db.session.commit()
    return now


def data_now() -> datetime:
    """The instant a filled database describes: a minute after its last ticket."""
    return db.session.scalar(select(func.max(Ticket.created_at))) + timedelta(minutes=1)


def filled(tickets: int) -> bool:
    """Whether the database holds a fill of this size with its reply clocks."""
    try:
        return (db.session.scalar(select(func.count()).select_from(Ticket)) == tickets
                and db.session.scalar(select(func.count()).select_from(Deadline)) == 2 * tickets)
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        return False


def due_query_plan(now: datetime) -> list[str]:
    """The plan of the scan's due query, as the application sends it (captured, then explained):
    EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL."""
    captured: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        if "next_fire_at" in statement and not captured:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        due_deadline_ids(now)
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = captured[0]
    postgres = db.engine.dialect.name == "postgresql"
    explain = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    with db.engine.connect() as conn:
        result = conn.exec_driver_sql(explain + statement, parameters).all()
    lines = [" ".join(statement.split())]
    lines += [r[0] for r in result] if postgres else [r[-1] for r in result]
    return lines


class DuePass:
    """``count`` open clocks at next level 0 (half stage, half reply clocks) made due at their
    warning before each run; afterwards everything the runs wrote is removed and the clocks are
    put back as filled."""

    def __init__(self, now: datetime, count: int = 100) -> None:
        self.now = now
        self.at = now - timedelta(minutes=1)
        pick = []
        for clock in ("resolve", "reply"):
            pick += db.session.execute(
                select(Deadline.id, Deadline.warn_at, Deadline.next_fire_at)
                .where(Deadline.clock == clock, Deadline.ended_at.is_(None), Deadline.next_level == 0,
                       Deadline.next_fire_at.is_not(None))
                .order_by(Deadline.id.desc()).limit(count // 2)
            ).all()
        self.saved = pick
        self.ids = [r[0] for r in pick]
        self.last_reminder = db.session.scalar(select(func.coalesce(func.max(Reminder.id), 0)))
        db.session.commit()

    def clean(self) -> None:
        new = select(Reminder.id).where(Reminder.id > self.last_reminder).scalar_subquery()
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.reminder_id.in_(new)))
        db.session.execute(delete(Reminder).where(Reminder.id > self.last_reminder))

    def before(self) -> None:
        self.clean()
        db.session.execute(update(Deadline).where(Deadline.id.in_(self.ids))
                           .values(next_level=0, warn_at=self.at, next_fire_at=self.at))
        db.session.commit()

    def run(self) -> None:
        report = decide(self.now)
        assert report.deadlines == len(self.ids) and report.reminders == len(self.ids)  # noqa: S101

    def restore(self) -> None:
        self.clean()
        for deadline_id, warn_at, next_fire_at in self.saved:
            db.session.execute(update(Deadline).where(Deadline.id == deadline_id)
                               .values(next_level=0, warn_at=warn_at, next_fire_at=next_fire_at))
        db.session.commit()


def forget_queued() -> None:
    """Remove the emails the timed passes queued (the fill queues none pending): the database is
    left as filled, and a pass that finds nothing has nothing to deliver."""
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.status != "sent"))
    db.session.commit()


def overdue(at: datetime) -> int:
    """How many open clocks are overdue at ``at`` (what the digests list, all offices together)."""
    n = db.session.scalar(select(func.count()).select_from(Deadline)
                          .where(Deadline.ended_at.is_(None), Deadline.due_at <= at))
    db.session.commit()
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--open", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    ap.add_argument("--reuse", action="store_true", help="use the database as filled by an earlier run of this size")
    args = ap.parse_args()
    print_rows(run(args.tickets, args.open, args.runs, args.database_url, reuse=args.reuse))


def run(tickets: int, n_open: int, runs: int, url: str | None, reuse: bool = False) -> list[dict]:
    app = fresh_app(url, keep=True, SMTP_HOST="")
    with app.app_context():
        t0 = time.perf_counter()
        if reuse and filled(tickets):
            from flask_migrate import upgrade

            upgrade()  # indexes added since the fill
        else:
            empty_database()
            fill(tickets, n_open)
        forget_queued()  # what an earlier run on this database queued
        analyze()
        fill_s = time.perf_counter() - t0
        now = data_now()
        backend = db.engine.dialect.name
        counts = dict(db.session.execute(
            select(Deadline.clock, func.count()).where(Deadline.ended_at.is_(None)).group_by(Deadline.clock)).all())
        armed = dict(db.session.execute(
            select(Deadline.clock, func.count()).where(Deadline.next_fire_at.is_not(None))
            .group_by(Deadline.clock)).all())
        total = db.session.scalar(select(func.count()).select_from(Deadline))
        reminders = db.session.scalar(select(func.count()).select_from(Reminder))
        db.session.commit()
        print(f"sla scan: backend={backend} tickets={tickets} open={n_open} cores={os.cpu_count()} "
              f"runs={runs} fill={fill_s:.0f}s")
        print(f"  deadlines {total} (open: {counts}; with a next level to fire: {armed}), reminders {reminders}")
        print("  due query plan:")
        for line in due_query_plan(now):
            print(f"    {line}")

        def one_pass() -> None:
            report = decide(now)
            sent = deliver(app.config, now)
            assert report.reminders == 0 and sent.sent == 0  # noqa: S101 - the pass must find nothing

        size = f"{tickets} tickets, {n_open} open, 2 clocks each"
        med, p95 = timed(one_pass, runs)
        rows = [row("sla", "scan pass, nothing due (decide+deliver)", backend, size, med, p95)]
        due = DuePass(now)
        try:
            due.before()
            print(f"  due query plan with {len(due.ids)} clocks due:")
            for line in due_query_plan(now)[1:]:
                print(f"    {line}")
            med, p95 = timed(due.run, runs, before=due.before)
        finally:
            due.restore()
        rows.append(row("sla", f"scan pass, {len(due.ids)} clocks due (decide: reminders + emails)",
                        backend, size, med, p95))
        # Each run queues the 50 digests again (the rows of the run before are removed untimed).
        med, p95 = timed(lambda: digest(now - timedelta(days=400)), max(3, runs // 4), before=forget_queued)
        rows.append(row("sla", "digest pass 400 days back, 50 supervisors", backend, size, med, p95,
                        f"{overdue(now - timedelta(days=400))} overdue clocks listed"))
        med, p95 = timed(lambda: digest(now), 3, before=forget_queued)
        rows.append(row("sla", "digest pass now, 50 supervisors", backend, size, med, p95,
                        f"{overdue(now)} overdue clocks listed"))
        forget_queued()
    return rows


if __name__ == "__main__":
    main()
