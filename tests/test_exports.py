"""The queue as CSV: streamed, scoped, filtered, Excel-friendly, and never a formula."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import insert

from complaints.csvsafe import safe_cell
from complaints.extensions import db
from complaints.models import Ticket


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-5", "-5"), ("3.5", "3.5"), ("态度差", "态度差"), (None, ""), (7, "7"),
])
def test_cells_that_start_like_formulas_are_neutralised(value, expected):
    assert safe_cell(value) == expected


def _rows(resp) -> list[list[str]]:
    raw = resp.get_data()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_export_follows_the_filters_and_the_scope(world, login, make_ticket):
    a1 = make_ticket(description="=HYPERLINK(\"http://evil\")", customer_name="@王")
    a2 = make_ticket(kind="error")
    make_ticket(actor=world.clerk_b, office="SH-0102")
    resp = login(world.sup_a).get("/tickets/export.csv")
    assert resp.status_code == 200 and resp.is_streamed
    assert resp.headers["Content-Type"].startswith("text/csv")
    rows = _rows(resp)
    assert [r[0] for r in rows[1:]] == [a2.ref, a1.ref]  # newest first, office A only
    mine = rows[2]
    assert mine[-1].startswith("'=HYPERLINK") and mine[10] == "'@王"  # the customer's name
    assert mine[11] == "13812345678"  # supervisors see the phone
    only_errors = _rows(login(world.sup_a).get("/tickets/export.csv?kind=error"))
    assert [r[0] for r in only_errors[1:]] == [a2.ref]


def test_clerks_get_masked_phones_and_bad_filters_a_message(world, login, make_ticket):
    make_ticket()  # logged by clerk_a: another clerk of the office has no call to make
    rows = _rows(login(world.clerk_a2).get("/tickets/export.csv"))
    assert rows[1][11] == "138****5678"
    assert login(world.clerk_a).get("/tickets/export.csv?state=lost").status_code == 422


def test_a_large_export_streams_in_chunks(world, login):
    rows = [{"ref": f"C-2026-{i:06d}", "kind": "complaint", "channel": "counter", "state": "new", "version": 1,
             "office_id": world.office_a.id, "description": "排队时间过长", "occurred_at": world.office_a.created_at,
             "logged_by_id": world.clerk_a.id, "created_at": world.office_a.created_at,
             "updated_at": world.office_a.created_at} for i in range(1, 3001)]
    db.session.execute(insert(Ticket), rows)
    db.session.commit()
    resp = login(world.sup_a).get("/tickets/export.csv")
    chunks = [c if isinstance(c, bytes) else c.encode() for c in resp.response]
    assert len(chunks) > 3  # sent piece by piece, not built whole
    text = b"".join(chunks).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) == 3001


@pytest.mark.parametrize("url", ["/tickets/export.csv", "/scorecards/export.csv?office=SH-0101&month=2026-10"])
def test_csv_answers_name_their_charset_once(world, login, url):
    resp = login(world.sup_a).get(url)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
