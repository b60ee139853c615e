"""Time one SLA scan pass over a large database: 1,000,000 tickets, 100,000 of them open.

    .venv/bin/python bench/sla_scan.py [--tickets 1000000] [--open 100000] [--database-url postgresql://...]

Fills a fresh database in bulk: every open ticket has a running clock whose next level
lies ahead (so the pass finds nothing to send), every closed one an ended clock, and the
outbox holds sent mail. Then it prints the median and p95 of several passes (decide due
levels + deliver the outbox), and of the digest query, with the data size and core count.
Figures only: no assertion.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from _common import analyze, fresh_app, print_rows, row, timed
from sqlalchemy import insert, text

from complaints.domain import Category, Channel, Finding, Kind, Product, RootCause, Severity, State
from complaints.extensions import db
from complaints.mail.delivery import deliver
from complaints.models import Deadline, Office, OutboxMessage, Ticket, TicketItem, User, user_offices
from complaints.sla.scan import decide, digest
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


def fill(n: int, n_open: int, offices: int = 50, seed: int = 1,
         describe: Callable[[int], str] = lambda _i: "营业员态度生硬", case_file: bool = False) -> None:
    """``n`` tickets (one in n/n_open open, the rest closed) over the last n minutes, each with a clock
    (``case_file``: with categories, postal items, findings and root causes, see case_file_rows)."""
    from flask_migrate import upgrade

    upgrade()
    rng = random.Random(seed)
    now = datetime.now(UTC)
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
    open_every = max(1, n // n_open)
    for start in range(0, n, BATCH):
        tickets, deadlines, mail, items = [], [], [], []
        for i in range(start, min(n, start + BATCH)):
            at = now - timedelta(minutes=n - i)
            is_open = i % open_every == 0
            tickets.append({
                "id": i + 1, "ref": f"C-2026-{i:07d}", "kind": Kind.COMPLAINT, "channel": Channel.COUNTER,
                "state": State.TRIAGED if is_open else State.CLOSED, "version": 1,
                "office_id": rng.randint(1, offices), "description": describe(i + 1), "occurred_at": at,
                "customer_name": "王先生", "customer_phone": f"138{(i * 7919) % 10**8:08d}",
                "logged_by_id": 1, "created_at": at, "updated_at": at,
            })
            if case_file:
                case_file_rows(tickets[-1], is_open, items)
            ahead = now + timedelta(minutes=rng.randint(60, 60 * 24 * 30))
            deadlines.append({
                "ticket_id": i + 1, "clock": "resolve" if is_open else "follow_up", "cycle": 1,
                "severity": Severity.MEDIUM, "target_seconds": 86400, "escalate_seconds": 28800,
                "always_open": False, "started_at": at, "running_since": at if is_open else None,
                "consumed_seconds": 0, "warn_at": ahead, "due_at": ahead + timedelta(hours=2),
                "escalate_at": ahead + timedelta(hours=10), "next_level": 0 if is_open else 3,
                "next_fire_at": ahead if is_open else None, "ended_at": None if is_open else at,
                "outcome": None if is_open else "met",
            })
            if i % 10 == 0:
                mail.append({"key": f"bench:{i}", "to_addr": "sup@example.com", "subject": "s", "body": "b",
                             "status": "sent", "attempts": 1, "rejections": 0, "next_attempt_at": at,
                             "created_at": at, "sent_at": at})
        # A None dropped from a row changes its key set, and the ORM bulk insert cuts a batch at each
        # change: the case file's nullable columns (finding, root cause) vary row to row, so NULLs are sent.
        db.session.execute(insert(Ticket).execution_options(render_nulls=case_file), tickets)
        db.session.execute(insert(Deadline), deadlines)
        db.session.execute(insert(OutboxMessage), mail)
        if items:
            db.session.execute(insert(TicketItem.__table__), items)  # Core: no ORM bookkeeping per row
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval('tickets_id_seq', (SELECT max(id) FROM tickets))"))
        db.session.commit()




def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--open", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = ap.parse_args()
    print_rows(run(args.tickets, args.open, args.runs, args.database_url))


def run(tickets: int, n_open: int, runs: int, url: str | None) -> list[dict]:
    app = fresh_app(url, SMTP_HOST="")
    with app.app_context():
        t0 = time.perf_counter()
        fill(tickets, n_open)
        analyze()
        fill_s = time.perf_counter() - t0
        now = datetime.now(UTC)

        def one_pass() -> None:
            report = decide(now)
            sent = deliver(app.config, now)
            assert report.reminders == 0 and sent.sent == 0  # noqa: S101 - the pass must find nothing

        backend = db.engine.dialect.name
        print(f"sla scan: backend={backend} tickets={tickets} open={n_open} cores={os.cpu_count()} "
              f"runs={runs} fill={fill_s:.0f}s")
        size = f"{tickets} tickets, {n_open} open"
        med, p95 = timed(one_pass, runs)
        rows = [row("sla", "scan pass, nothing due (decide+deliver)", backend, size, med, p95)]
        med, p95 = timed(lambda: digest(now - timedelta(days=400)), max(3, runs // 4))
        rows.append(row("sla", "digest pass, 50 supervisors", backend, size, med, p95))
    return rows


if __name__ == "__main__":
    main()
