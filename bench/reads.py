"""Reads at 1,000,000 tickets: the pages supervisors open all day, timed through the whole stack.

    .venv/bin/python bench/reads.py [--tickets 1000000] [--database-url postgresql://...] [--runs 30]

Fills a fresh database in bulk (SQLite file in a temp dir by default): 50 offices with a
supervisor each, an admin, the tickets over the last n minutes (one in ten open, with a
running clock; the rest closed), 200 different descriptions, phone numbers, and the search
terms of every ticket. Then it signs in through the login form and times GET and POST
requests through the Flask test client (routing, authorization, queries, template), each
run several times: the supervisor queue (first page and page 500, with filters), a ticket
page, the dashboard, search. Prints the median and p95 of each with the data size and core
count. Figures only: no assertion (a page that does not answer 200 stops the bench).
"""

from __future__ import annotations

import argparse
import os
import time

from _common import analyze, empty_database, fresh_app, print_rows, row, timed
from sla_scan import fill
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from complaints.extensions import db
from complaints.models import Ticket, User

SUBJECTS = ["营业员", "柜员", "投递员", "窗口人员"]
ISSUES = ["态度生硬", "服务不耐烦", "少找零钱", "包裹丢失", "邮件延误", "排队过久", "系统故障", "填单错误",
          "未按规定收费", "回执遗失"]
EXTRAS = ["客户等候过久", "客户多次投诉", "客户要求赔偿", "电话无人接听", "已向客户致歉"]
TEMPLATES = [f"{s}{i}，{e}。" for s in SUBJECTS for i in ISSUES for e in EXTRAS]  # 200 texts
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway bench database


def describe(ticket_id: int) -> str:
    return TEMPLATES[ticket_id % len(TEMPLATES)]


def index_all() -> None:
    """The search terms of every ticket, written by SQL from the 200 texts' terms (as logging would)."""
    from complaints.search.terms import index_terms

    db.session.execute(text("CREATE TEMP TABLE bench_terms (k INTEGER, term VARCHAR(40))"))
    db.session.execute(text("INSERT INTO bench_terms (k, term) VALUES (:k, :term)"),
                       [{"k": k, "term": term} for k, tpl in enumerate(TEMPLATES)
                        for term in index_terms(tpl, "王先生", None)])
    db.session.execute(text("INSERT INTO search_terms (ticket_id, office_id, term) SELECT t.id, t.office_id, "  # noqa: S608
                            f"b.term FROM tickets t JOIN bench_terms b ON b.k = t.id % {len(TEMPLATES)}"))  # a constant
    last4 = "right(customer_phone, 4)" if db.engine.dialect.name == "postgresql" else "substr(customer_phone, -4)"
    db.session.execute(text("INSERT INTO search_terms (ticket_id, office_id, term) "  # noqa: S608
                            f"SELECT id, office_id, 'tel:' || {last4} FROM tickets"))
    db.session.commit()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    ap.add_argument("--reuse", action="store_true", help="use the database as filled by an earlier run of this size")
    args = ap.parse_args()
    print_rows(run(args.tickets, args.runs, args.database_url, reuse=args.reuse))


def _filled(tickets: int) -> bool:
    try:
        return db.session.scalar(select(func.count()).select_from(Ticket)) == tickets
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        return False


def run(tickets: int, runs: int, url: str | None, reuse: bool = False) -> list[dict]:
    app = fresh_app(url, keep=True)  # testing config: fast password hashing for the bench users
    rows = []
    with app.app_context():
        t0 = time.perf_counter()
        if reuse and _filled(tickets):
            from flask_migrate import upgrade

            upgrade()  # indexes added since the fill
        else:
            empty_database()
            fill(tickets, max(1, tickets // 10), describe=describe)
            index_all()
            for user in db.session.scalars(select(User)):
                user.set_password(PASSWORD)
            db.session.commit()
        analyze()
        fill_s = time.perf_counter() - t0
        backend = db.engine.dialect.name
        print(f"reads: backend={backend} tickets={tickets} offices=50 cores={os.cpu_count()} runs={runs} "
              f"fill={fill_s:.0f}s")
        # A ticket of the supervisor's office, halfway through the history.
        mid = db.session.scalar(select(Ticket).where(Ticket.id == tickets // 2))
        sup = db.session.scalar(select(User).where(User.id == mid.office_id + 1))  # sup{i} covers office i+1
        office = mid.office.code
        phone = mid.customer_phone
        db.session.remove()

    admin_client, sup_client = app.test_client(), app.test_client()
    for client, email in ((admin_client, "bench@example.com"), (sup_client, sup.email)):
        resp = client.post("/login", data={"email": email, "password": PASSWORD})
        assert resp.status_code == 302, resp.status_code  # noqa: S101 - the bench needs a session

    cases = [
        ("queue page 1, admin, no filter", admin_client, "GET", "/tickets", None),
        ("queue page 1, supervisor, state=triaged", sup_client, "GET", "/tickets?state=triaged", None),
        ("queue page 1, admin, office+kind", admin_client, "GET", f"/tickets?office={office}&kind=complaint", None),
        ("queue page 500, admin, no filter", admin_client, "GET", "/tickets?page=500", None),
        ("queue page 500, supervisor, kind=complaint", sup_client, "GET", "/tickets?kind=complaint&page=500", None),
        ("queue overdue by due, supervisor", sup_client, "GET", "/tickets?due=overdue&sort=due", None),
        ("ticket page, supervisor", sup_client, "GET", f"/tickets/{mid.ref}", None),
        ("dashboard, supervisor (one office)", sup_client, "GET", "/", None),
        ("dashboard, admin (50 offices)", admin_client, "GET", "/", None),
        ("search one word (1 in 10 match), sup", sup_client, "POST", "/search", {"q": "包裹丢失"}),
        ("search one word (1 in 10 match), admin", admin_client, "POST", "/search", {"q": "包裹丢失"}),
        ("search two words (1 in 200), admin", admin_client, "POST", "/search", {"q": "柜员 回执遗失 赔偿"}),
        ("search two words (1 in 200), sup", sup_client, "POST", "/search", {"q": "柜员 回执遗失 赔偿"}),
        ("search phone number, admin", admin_client, "POST", "/search", {"q": phone}),
        ("search reference, supervisor", sup_client, "POST", "/search", {"q": mid.ref}),
    ]
    for name, client, method, path, data in cases:
        def call(client=client, method=method, path=path, data=data, name=name) -> None:
            resp = client.open(path, method=method, data=data)
            if resp.status_code not in (200, 302):  # a reference found redirects to its ticket
                raise SystemExit(f"{name}: {path} answered {resp.status_code}")
        call()  # warm
        med, p95 = timed(call, runs)
        rows.append(row("reads", name, backend, f"{tickets} tickets", med, p95))
    return rows


if __name__ == "__main__":
    main()
