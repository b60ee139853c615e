"""Run every bench and print one table (called by bench/run).

    bench/run                        # 1,000,000 tickets, PostgreSQL and SQLite, intake 16 clients x 30 s
    bench/run --quick                # 100,000 tickets and intake 10 s: a few minutes
    bench/run --backends sqlite      # only SQLite (intake needs PostgreSQL and is skipped)

Each bench fills its own fresh database (PostgreSQL: its public schema is dropped first, so
point BENCH_DATABASE_URL at a database of its own). Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time

import intake
import reads
import scorecards
import sla_scan
from _common import print_rows

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/complaints_bench"


def _ensure_pg_database(url: str) -> bool:
    """Create the bench database when the server answers and it is missing; False when no server."""
    import psycopg

    from config import normalise_db_url

    plain = normalise_db_url(url).replace("postgresql+psycopg://", "postgresql://")
    name = plain.rsplit("/", 1)[1]
    try:
        with psycopg.connect(plain.rsplit("/", 1)[0] + "/postgres", autocommit=True, connect_timeout=3) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL at {url} does not answer ({exc.__class__.__name__}): its rows are skipped")
        return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=None)
    ap.add_argument("--backends", default="postgresql,sqlite")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=None)
    args = ap.parse_args()
    tickets = args.tickets or (100_000 if args.quick else 1_000_000)
    runs = args.runs or (10 if args.quick else 30)
    seconds = 10 if args.quick else 30
    pg = os.environ.get("BENCH_DATABASE_URL", PG_DEFAULT)
    urls = {}
    for backend in args.backends.split(","):
        if backend == "postgresql" and _ensure_pg_database(pg):
            urls["postgresql"] = pg
        elif backend == "sqlite":
            urls["sqlite"] = None  # each bench makes a temporary file
    cpu = subprocess.run(["uname", "-m"], capture_output=True, text=True).stdout.strip()  # noqa: S607
    print(f"bench/run: tickets={tickets} cores={os.cpu_count()} machine={cpu} "
          f"memory={os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB tmp={tempfile.gettempdir()}")
    rows: list[dict] = []
    started = time.perf_counter()
    for url in urls.values():
        rows += reads.run(tickets, runs, url)
        rows += sla_scan.run(tickets, tickets // 10, runs, url)
        rows += scorecards.run(tickets, 1000, max(3, runs // 3), url)
    if "postgresql" in urls:
        rows += intake.table(urls["postgresql"], 16, seconds, 2 * (os.cpu_count() or 1))
    print()
    print_rows(rows)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
