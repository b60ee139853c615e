"""Time a month's scorecards for 1,000 clerks over 1,000,000 tickets.

    .venv/bin/python bench/scorecards.py [--tickets 1000000] [--clerks 1000] [--database-url postgresql://...]

Fills a fresh database in bulk (50 offices, 20 clerks each; a fifth of the tickets
substantiated and attributed, spread over 24 months; every clerk assessed for the month),
then prints the median and p95 of: all 1,000 clerks' cards for one month (the same code
the pages use, office by office and all at once), one office's page, and one clerk's
12-month trend. Figures only: no assertion.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta

from _common import analyze, fresh_app, print_rows, row, timed
from sqlalchemy import insert, select

from complaints.domain import Channel, Finding, Kind, Severity, State
from complaints.extensions import db
from complaints.models import Assessment, HardwareScore, Office, Ticket, User, user_offices
from complaints.scorecards import compute

BATCH = 20_000
MONTH = "2026-10"


def fill(n: int, clerks: int, offices: int = 50, seed: int = 1) -> None:
    from flask_migrate import upgrade

    upgrade()
    rng = random.Random(seed)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    db.session.execute(insert(Office), [
        {"code": f"BN-{i:04d}", "name": f"Office {i}", "timezone": "Asia/Shanghai", "active": True,
         "created_at": now} for i in range(offices)])
    db.session.execute(insert(User), [{"email": "admin@example.com", "name": "admin", "role": "admin",
                                       "password_hash": "x", "active": True, "created_at": now}] + [{
        "email": f"clerk{i}@example.com", "name": f"clerk{i}", "role": "clerk", "password_hash": "x",
        "active": True, "created_at": now} for i in range(clerks)])
    office_of = {i + 2: 1 + i % offices for i in range(clerks)}
    db.session.execute(insert(user_offices), [{"user_id": u, "office_id": o} for u, o in office_of.items()])
    db.session.execute(insert(Assessment), [{
        "clerk_id": u, "office_id": o, "month": MONTH, "attitude": rng.randint(5, 10), "skill": rng.randint(5, 10),
        "responsibility": 8, "management": 7, "highlights": 2, "updated_by_id": 1, "updated_at": now}
        for u, o in office_of.items()])
    db.session.execute(insert(HardwareScore), [{"office_id": o, "month": MONTH, "score": 7, "updated_by_id": 1,
                                                "updated_at": now} for o in range(1, offices + 1)])
    db.session.commit()
    clerk_ids = list(office_of)
    for start in range(0, n, BATCH):
        rows = []
        for i in range(start, min(n, start + BATCH)):
            at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 730))
            clerk = rng.choice(clerk_ids)
            judged = i % 5 == 0
            rows.append({
                "id": i + 1, "ref": f"C-2026-{i:07d}", "kind": Kind.COMPLAINT if i % 3 else Kind.ERROR,
                "channel": Channel.COUNTER, "state": State.CLOSED if judged else State.NEW, "version": 1,
                "office_id": office_of[clerk], "description": "营业员态度生硬", "occurred_at": at,
                "logged_by_id": 1, "created_at": at, "updated_at": at,
                "severity": rng.choice(list(Severity)) if judged else None,
                "finding": Finding.SUBSTANTIATED if judged else None,
                "attributed_clerk_id": clerk if judged else None,
                "expectation": 4 if judged else None, "perception": rng.randint(1, 5) if judged else None,
            })
        db.session.execute(insert(Ticket), rows)
        db.session.commit()




def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--clerks", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = ap.parse_args()
    print_rows(run(args.tickets, args.clerks, args.runs, args.database_url))


def run(tickets: int, clerks_n: int, runs: int, url: str | None) -> list[dict]:
    rows = []
    app = fresh_app(url)
    with app.app_context():
        t0 = time.perf_counter()
        fill(tickets, clerks_n)
        analyze()
        fill_s = time.perf_counter() - t0
        offices = {o.id: o for o in db.session.scalars(select(Office))}
        clerks = list(db.session.scalars(select(User).where(User.role == "clerk")))
        office_of = dict(db.session.execute(select(user_offices.c.user_id, user_offices.c.office_id)).all())

        def all_at_once() -> None:
            # As a page would: read the clerks and their offices, then compute.
            everyone = list(db.session.scalars(select(User).where(User.role == "clerk")))
            where = dict(db.session.execute(select(user_offices.c.user_id, user_offices.c.office_id)).all())
            cards = compute.cards_for(everyone, offices, MONTH, where)
            assert len(cards) == clerks_n  # noqa: S101

        def office_by_office() -> None:
            for office in offices.values():
                compute.office_cards(office, MONTH)

        one = offices[1]
        first = clerks[0].id
        backend = db.engine.dialect.name
        print(f"scorecards: backend={backend} tickets={tickets} clerks={clerks_n} offices={len(offices)} "
              f"cores={os.cpu_count()} runs={runs} fill={fill_s:.0f}s")
        for name, fn in (("all clerks' cards, one pass", all_at_once),
                         ("all clerks' cards, office by office", office_by_office),
                         ("one office page (20 clerks)", lambda: compute.office_cards(one, MONTH)),
                         ("one clerk's 12-month trend",
                          lambda: compute.history(db.session.get(User, first), offices[office_of[first]], MONTH, 12))):
            med, p95 = timed(fn, runs)
            rows.append(row("scorecards", name, backend, f"{tickets} tickets, {clerks_n} clerks", med, p95))
    return rows


if __name__ == "__main__":
    main()
