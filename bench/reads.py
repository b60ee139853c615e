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

The fill writes the case file too (sla_scan.case_file_rows): a category per ticket, one or two
S10 item numbers on half of them, findings and root causes on closed ones. The "case file"
rows time an item-number lookup (API ``?item=`` with a bearer token, and the search box) as a
supervisor and as an admin, for a number on a ticket and for a valid one on none; and a ticket
page with 5 photos attached through the real upload operation (local storage in a temp
dir), and the thumbnail of one of them.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from datetime import UTC, datetime

from _common import analyze, empty_database, fresh_app, print_rows, row, timed
from sla_scan import fill
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from complaints.extensions import db
from complaints.models import Attachment, Ticket, TicketItem, User
from complaints.tickets.items import s10_check_digit

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


def _jpeg(k: int, size: tuple[int, int] = (800, 600)) -> bytes:
    """A small photo-like JPEG (a gradient with some noise), different for each k."""
    from PIL import Image

    noise = Image.effect_noise(size, 40 + k).convert("RGB")
    grad = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    Image.blend(noise, grad, 0.5).save(out, "JPEG", quality=80)
    return out.getvalue()


def attach_photos(ticket: Ticket, actor: User, n: int = 5) -> list[int]:
    """``n`` JPEGs attached through the real operation (re-encode, thumbnail, storage, history);
    an earlier run's rows on the ticket are removed first (their bytes were in another temp dir)."""
    from complaints.files.operations import attach

    db.session.execute(delete(Attachment).where(Attachment.ticket_id == ticket.id))
    db.session.commit()
    ids = []
    for k in range(n):
        att = attach(ticket, actor, io.BytesIO(_jpeg(k)), f"IMG_{k:04d}.jpg", now=datetime.now(UTC))
        db.session.commit()
        ids.append(att.id)
    return ids


def _filled(tickets: int) -> bool:
    try:
        return db.session.scalar(select(func.count()).select_from(Ticket)) == tickets
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        return False


def run(tickets: int, runs: int, url: str | None, reuse: bool = False) -> list[dict]:
    files = tempfile.mkdtemp(prefix="bench-attachments-")
    # testing config: fast password hashing for the bench users; attachments on local disk in a temp dir
    app = fresh_app(url, keep=True, STORAGE_URL="", ATTACHMENTS_DIR=files)
    rows = []
    with app.app_context():
        t0 = time.perf_counter()
        if reuse and _filled(tickets):
            from flask_migrate import upgrade

            upgrade()  # indexes added since the fill
        else:
            empty_database()
            fill(tickets, max(1, tickets // 10), describe=describe, case_file=True)
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
        mid_ref, sup_email = mid.ref, sup.email  # the commits below expire the objects
        admin = db.session.scalar(select(User).where(User.email == "bench@example.com"))
        # An item on a ticket of the supervisor's office (the mid ticket's when it has one), and a valid
        # S10 number on no ticket (serials go up to 10 x tickets).
        item, item_ref = db.session.execute(
            select(TicketItem.number, Ticket.ref).join(Ticket, Ticket.id == TicketItem.ticket_id)
            .where(Ticket.office_id == mid.office_id, Ticket.id >= mid.id)
            .order_by(Ticket.id, TicketItem.position).limit(1)).one()
        missing = f"ZZ99999999{s10_check_digit('99999999')}CN"
        assert item and not db.session.scalar(select(TicketItem.id).where(TicketItem.number == missing))  # noqa: S101
        # 5 photos on the next ticket of the same office (so the plain ticket page above stays as it was).
        evidence = db.session.scalar(select(Ticket).where(Ticket.office_id == mid.office_id, Ticket.id > mid.id)
                                     .order_by(Ticket.id).limit(1))
        t_attach = time.perf_counter()
        att_ids = attach_photos(evidence, sup)
        attach_s = time.perf_counter() - t_attach
        evidence_ref = evidence.ref
        from complaints.auth.tokens import issue_token

        tokens = {"sup": issue_token(sup, datetime.now(UTC)), "admin": issue_token(admin, datetime.now(UTC))}
        db.session.commit()
        print(f"case file: item={item} missing={missing} ticket with 5 photos={evidence_ref} "
              f"(attached in {attach_s:.2f}s, storage {files})")
        db.session.remove()

    admin_client, sup_client = app.test_client(), app.test_client()
    for client, email in ((admin_client, "bench@example.com"), (sup_client, sup_email)):
        resp = client.post("/login", data={"email": email, "password": PASSWORD})
        assert resp.status_code == 302, resp.status_code  # noqa: S101 - the bench needs a session
    api_client = app.test_client()  # no session: the bearer token only
    sup_api = {"Authorization": f"Bearer {tokens['sup']}"}
    admin_api = {"Authorization": f"Bearer {tokens['admin']}"}
    # The lookups must find the ticket (and nothing for the missing number) before they are timed.
    for headers in (sup_api, admin_api):
        found = api_client.get(f"/api/v1/tickets?item={item}", headers=headers)
        assert found.status_code == 200 and item_refs(found.get_json()), found.get_data(as_text=True)[:300]  # noqa: S101
        none = api_client.get(f"/api/v1/tickets?item={missing}", headers=headers)
        assert none.status_code == 200 and not item_refs(none.get_json()), none.get_data(as_text=True)[:300]  # noqa: S101
    for client in (sup_client, admin_client):
        page = client.post("/search", data={"q": item})
        assert page.status_code == 200 and item_ref in page.get_data(as_text=True), page.status_code  # noqa: S101
        page = client.post("/search", data={"q": missing})
        assert page.status_code == 200 and item_ref not in page.get_data(as_text=True), page.status_code  # noqa: S101

    cases = [
        ("queue page 1, admin, no filter", admin_client, "GET", "/tickets", None),
        ("queue page 1, supervisor, state=triaged", sup_client, "GET", "/tickets?state=triaged", None),
        ("queue page 1, admin, office+kind", admin_client, "GET", f"/tickets?office={office}&kind=complaint", None),
        ("queue page 500, admin, no filter", admin_client, "GET", "/tickets?page=500", None),
        ("queue page 500, supervisor, kind=complaint", sup_client, "GET", "/tickets?kind=complaint&page=500", None),
        ("queue overdue by due, supervisor", sup_client, "GET", "/tickets?due=overdue&sort=due", None),
        ("ticket page, supervisor", sup_client, "GET", f"/tickets/{mid_ref}", None),
        ("dashboard, supervisor (one office)", sup_client, "GET", "/", None),
        ("dashboard, admin (50 offices)", admin_client, "GET", "/", None),
        ("search one word (1 in 10 match), sup", sup_client, "POST", "/search", {"q": "包裹丢失"}),
        ("search one word (1 in 10 match), admin", admin_client, "POST", "/search", {"q": "包裹丢失"}),
        ("search two words (1 in 200), admin", admin_client, "POST", "/search", {"q": "柜员 回执遗失 赔偿"}),
        ("search two words (1 in 200), sup", sup_client, "POST", "/search", {"q": "柜员 回执遗失 赔偿"}),
        ("search phone number, admin", admin_client, "POST", "/search", {"q": phone}),
        ("search reference, supervisor", sup_client, "POST", "/search", {"q": mid_ref}),
    ]
    cases = [(*c, None, "reads") for c in cases] + [(*c, "case file") for c in [
        ("API ?item= found, supervisor", api_client, "GET", f"/api/v1/tickets?item={item}", None, sup_api),
        ("API ?item= found, admin", api_client, "GET", f"/api/v1/tickets?item={item}", None, admin_api),
        ("API ?item= missing, supervisor", api_client, "GET", f"/api/v1/tickets?item={missing}", None, sup_api),
        ("API ?item= missing, admin", api_client, "GET", f"/api/v1/tickets?item={missing}", None, admin_api),
        ("search item found, supervisor", sup_client, "POST", "/search", {"q": item}, None),
        ("search item found, admin", admin_client, "POST", "/search", {"q": item}, None),
        ("search item missing, supervisor", sup_client, "POST", "/search", {"q": missing}, None),
        ("search item missing, admin", admin_client, "POST", "/search", {"q": missing}, None),
        ("ticket page with 5 photos, supervisor", sup_client, "GET", f"/tickets/{evidence_ref}", None, None),
        ("thumbnail of one photo, supervisor", sup_client, "GET",
         f"/tickets/{evidence_ref}/attachments/{att_ids[2]}/thumbnail", None, None),
    ]]
    for name, client, method, path, data, headers, bench in cases:
        def call(client=client, method=method, path=path, data=data, headers=headers, name=name) -> None:
            resp = client.open(path, method=method, data=data, headers=headers)
            resp.get_data()  # a streamed body (thumbnail) is read whole, as a browser would
            resp.close()
            if resp.status_code not in (200, 302):  # a reference found redirects to its ticket
                raise SystemExit(f"{name}: {path} answered {resp.status_code}")
        call()  # warm
        med, p95 = timed(call, runs)
        rows.append(row(bench, name, backend, f"{tickets} tickets", med, p95))
    return rows


def item_refs(body: dict | list) -> list:
    """The tickets of an API list answer (a list, or an object holding one)."""
    if isinstance(body, list):
        return body
    for key in ("tickets", "items", "data", "results"):
        if isinstance(body.get(key), list):
            return body[key]
    raise SystemExit(f"API list answer not understood: {str(body)[:200]}")


if __name__ == "__main__":
    main()
