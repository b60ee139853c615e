"""Intake: tickets logged per second through the API by concurrent clients, against gunicorn.

    .venv/bin/python bench/intake.py [--database-url postgresql://postgres@127.0.0.1:5432/complaints_bench]
                                     [--clients 16] [--seconds 30] [--workers 4]

Empties the database, migrates it, creates an office, a clerk and an API token, then runs the
same load three times, one after the other, each against its own gunicorn on loopback:
  1. the application: POST /api/v1/tickets (authentication, validation, reference counter,
     the ticket, its history entry, its SLA clock, its search terms; production configuration
     with its JSON request log);
  2. the floor: a minimal Flask endpoint doing one INSERT of the same row with the same
     driver (bench/floor_app.py);
  3. the application's stack around that one INSERT: create_app() in production
     configuration, the API's token check, request log and headers (bench/stack_floor.py),
     to split the gap into what the stack costs and what logging a ticket costs.
Each client posts one ticket after another on a new connection for the given time. Prints
tickets per second, p50/p95/p99 latency and errors of each, and the ratios. Figures only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import fresh_app, print_rows, row

from complaints.extensions import db

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BODY = {"kind": "complaint", "channel": "counter", "office": "BN-0001",
        "occurred_at": "2026-11-20T09:30:00+08:00", "customer_name": "王先生", "customer_phone": "13812345678"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str) -> tuple[str, int, int]:
    """Migrated empty database with one office, one clerk and a token; returns (token, office id, user id)."""
    from flask_migrate import upgrade

    from complaints.admin.operations import create_office, create_user
    from complaints.auth.tokens import issue_token

    app = fresh_app(url)
    with app.app_context():
        upgrade()
        office = create_office("BN-0001", "Bench office")
        clerk = create_user("bench.clerk@example.com", "bench", "clerk", ["BN-0001"], "bench-password-1")
        token = issue_token(clerk, datetime.now(UTC))
        db.session.commit()
        ids = (office.id, clerk.id)
        db.session.remove()
        db.engine.dispose()
    return token, *ids


def serve(app_spec: str, workers: int, env: dict[str, str], chdir: Path) -> tuple[subprocess.Popen, int]:
    port = _port()
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--backlog", "2048",
         "--chdir", str(chdir), app_spec],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                time.sleep(1.0)  # every worker booted
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"gunicorn for {app_spec} did not start")


def load(port: int, path: str, headers: dict[str, str], clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(n: int) -> None:
        i = 0
        mine, bad = [], []
        while time.monotonic() < stop_at:
            i += 1
            body = json.dumps({**BODY, "description": f"营业员态度生硬，客户等候过久 {n}-{i}"})
            t0 = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("POST", path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status != 201:
                    bad.append(str(resp.status))
                    continue
            except (OSError, http.client.HTTPException) as exc:
                bad.append(exc.__class__.__name__)
                continue
            mine.append((time.perf_counter() - t0) * 1000)
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    return {"ok": len(latencies), "errors": len(errors), "rps": len(latencies) / elapsed,
            "p50": q[49], "p95": q[94], "p99": q[98], "error_kinds": sorted(set(errors))[:5]}


def run(url: str, clients: int, seconds: float, workers: int) -> list[dict]:
    from config import normalise_db_url

    token, office_id, user_id = prepare(url)
    base_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    app_env = {**base_env, "COMPLAINTS_ENV": "production", "DATABASE_URL": url,
               "SECRET_KEY": "bench-" + "x" * 32, "RATELIMIT_STORAGE_URI": "memory://"}
    floor_env = {**base_env, "FLOOR_DATABASE_URL": normalise_db_url(url), "FLOOR_OFFICE": str(office_id),
                 "FLOOR_USER": str(user_id)}
    rows = []
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for name, spec, env, chdir, path, headers in (
        ("application", "complaints:create_app()", app_env, ROOT, "/api/v1/tickets", auth),
        ("floor (one INSERT)", "floor_app:app", floor_env, BENCH, "/floor", {"Content-Type": "application/json"}),
        ("app stack, one INSERT", "stack_floor:app", app_env, BENCH, "/bench/stack-floor", auth),
    ):
        proc, port = serve(spec, workers, env, chdir)
        try:
            result = load(port, path, headers, clients, seconds)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        rows.append({"name": name, **result})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/complaints_bench"))
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    args = ap.parse_args()
    print_rows(table(args.database_url, args.clients, args.seconds, args.workers))


def table(url: str, clients: int, seconds: float, workers: int) -> list[dict]:
    """The intake figures as rows of the bench table (median = p50)."""
    results = run(url, clients, seconds, workers)
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    print(f"intake: backend={backend} cores={os.cpu_count()} gunicorn workers={workers} clients={clients} "
          f"seconds={seconds:g}")
    size = f"{clients} clients x {seconds:g} s"
    out = []
    for r in results:
        errors = f"errors {r['errors']} {' '.join(r['error_kinds'])}".strip()
        out.append(row("intake", r["name"], backend, size, r["p50"], r["p95"],
                       f"{r['rps']:.1f} tickets/s, p99 {r['p99']:.1f} ms, {r['ok']} ok, {errors}"))
    floor = results[1]["rps"] or float("nan")
    out.append(row("intake", "ratio application / floor", backend, size, float("nan"), float("nan"),
                   f"{results[0]['rps'] / floor:.2f} (target >= 0.5, zero errors)"))
    out.append(row("intake", "ratio app stack, one INSERT / floor", backend, size, float("nan"), float("nan"),
                   f"{results[2]['rps'] / floor:.2f} (the most any API call of this stack could reach)"))
    return out


if __name__ == "__main__":
    main()
