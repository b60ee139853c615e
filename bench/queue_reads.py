"""Time the supervisor queue (first page and a deep page, with filters) at a given size.

    .venv/bin/python bench/queue_reads.py --tickets 200000 [--database-url postgresql://...]

Fills a fresh database (SQLite file in a temp dir by default) with synthetic tickets in
bulk, then prints the median and p95 of several runs of each query, with the data size and
the machine's core count. Figures only: no assertion.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta

from _common import analyze, fresh_app, timed
from sqlalchemy import insert

from complaints.domain import Channel, Kind, State
from complaints.extensions import db
from complaints.models import Office, Ticket, User
from complaints.tickets import queries

STATES = list(State)


def fill(n: int, offices: int = 20, seed: int = 1) -> None:
    from flask_migrate import upgrade

    upgrade()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    db.session.execute(insert(Office), [
        {"code": f"BN-{i:04d}", "name": f"Office {i}", "timezone": "Asia/Shanghai", "active": True,
         "created_at": now} for i in range(offices)])
    db.session.execute(insert(User), [{
        "email": "bench@example.com", "name": "bench", "role": "admin", "password_hash": "x",
        "active": True, "created_at": now}])
    db.session.commit()
    batch = 20_000
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            kind = Kind.COMPLAINT if i % 5 < 3 else Kind.ERROR
            at = now - timedelta(minutes=n - i)
            rows.append({
                "ref": f"{'C' if kind == Kind.COMPLAINT else 'E'}-2026-{i:07d}",
                "kind": kind, "channel": Channel.COUNTER, "state": rng.choice(STATES), "version": 1,
                "office_id": rng.randint(1, offices), "description": "营业员态度生硬",
                "occurred_at": at, "logged_by_id": 1, "created_at": at, "updated_at": at,
            })
        db.session.execute(insert(Ticket), rows)
        db.session.commit()




def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = ap.parse_args()
    app = fresh_app(args.database_url)
    with app.app_context():
        t0 = time.perf_counter()
        fill(args.tickets)
        analyze()
        fill_s = time.perf_counter() - t0
        admin = db.session.get(User, 1)
        now = datetime.now(UTC)
        office = db.session.get(Office, 3)
        cases = {
            "queue page 1, no filter": queries.QueueFilters(),
            "queue page 1, office+state": queries.QueueFilters(office=office, state=State.NEW),
            "queue page 500, no filter": queries.QueueFilters(page=500),
            "queue page 50, office+state": queries.QueueFilters(office=office, state=State.NEW, page=50),
            "queue overdue, by due": queries.QueueFilters(due="overdue", sort="due"),
        }
        print(f"backend={db.engine.dialect.name} tickets={args.tickets} cores={os.cpu_count()} "
              f"runs={args.runs} fill={fill_s:.1f}s")
        for name, f in cases.items():
            med, p95 = timed(lambda f=f: queries.queue(admin, f, now), args.runs)
            print(f"{name:32s} median {med:7.2f} ms   p95 {p95:7.2f} ms")


if __name__ == "__main__":
    main()
