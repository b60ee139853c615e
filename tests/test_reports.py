"""The monthly and quarterly report (/reports, its XLSX and print layout, GET /api/v1/reports).

The hand-counted test builds October 2026 ticket by ticket (rows as the workflow leaves them: the
report reads records, whichever way they were written) and checks every figure against a number
written out below, worked out by hand from the list of tickets.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from complaints.extensions import db
from complaints.models import Compensation, Deadline, OfficeVolume, Ticket
from complaints.regions.tree import add_region, find_unit
from complaints.reports import figures, periods
from complaints.reports.periods import Period

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
OCT = Period(2026, month=10)
_refs = count(1)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH).astimezone(UTC)


def add_ticket(office, by, created: datetime, kind: str = "complaint", category: str = "other",
               channel: str = "counter", phone: str | None = "13800000000", **fields) -> Ticket:
    n = next(_refs)
    t = Ticket(ref=f"T-2026-{n:06d}", kind=kind, channel=channel, category=category, office_id=office.id,
               description=f"ticket {n}", occurred_at=created, logged_by_id=by.id, created_at=created,
               updated_at=created, customer_phone=phone if kind == "complaint" else None,
               regulator_case=f"R{n}" if channel == "regulator" else None, **fields)
    db.session.add(t)
    db.session.flush()
    return t


def add_clock(t: Ticket, clock: str, outcome: str | None, due: datetime, ended: datetime | None = None) -> None:
    db.session.add(Deadline(ticket_id=t.id, office_id=t.office_id, clock=clock, cycle=1, severity="medium",
                            target_seconds=3600, escalate_seconds=0, started_at=t.created_at, due_at=due,
                            ended_at=ended, running_since=None if ended else t.created_at, outcome=outcome))


def add_compensation(t: Ticket, offered: str, status: str, paid_on: date | None = None) -> None:
    db.session.add(Compensation(ticket_id=t.id, claimed=Decimal(offered), offered=Decimal(offered), basis="goodwill",
                                status=status, paid_on=paid_on, payment_ref="P1" if paid_on else None,
                                created_at=t.created_at, updated_at=t.created_at))


@pytest.fixture
def east(world):
    """Region EAST (under CN) holding offices A (SH-0101) and B (SH-0102); BJ-0201 sits outside it.
    sup_a covers A only; sup_east covers the region."""
    from complaints.admin.operations import create_office, create_user
    from tests.conftest import PASSWORD

    cn = add_region("CN", "全国", None)
    region = add_region("EAST", "华东", cn)
    world.office_a.region_id = region.id
    world.office_b.region_id = region.id
    c = create_office("BJ-0201", "北京朝阳营业部")
    sup_east = create_user("sup.east@example.com", "赵敏", "supervisor", [], PASSWORD, regions=["EAST"])
    db.session.commit()
    world.office_c, world.sup_east = c, sup_east
    return world


@pytest.fixture
def october(east):
    """October 2026 in region EAST, ticket by ticket (numbers as in the comments of the test below)."""
    w = east
    a, b, c = w.office_a, w.office_b, w.office_c
    p1, p2, p3, p4, p5, p6 = (f"1380000000{i}" for i in range(1, 7))
    t = {}
    # 1: A, complaint, counter, delay, the first instant of October; replied in time, triage and resolve met
    t[1] = add_ticket(a, w.clerk_a, local(2026, 10, 1), category="delay", phone=p1, finding="substantiated",
                      root_cause="attitude", expectation=3, perception=4)
    add_clock(t[1], "reply", "met", local(2026, 10, 12), local(2026, 10, 8))
    add_clock(t[1], "triage", "met", local(2026, 10, 1, 4), local(2026, 10, 1, 2))
    add_clock(t[1], "resolve", "met", local(2026, 10, 3), local(2026, 10, 2))
    # 2: A, complaint, phone, loss; replied late, triage missed; compensation paid 100.50
    t[2] = add_ticket(a, w.clerk_a, local(2026, 10, 5, 10), category="loss", channel="phone", phone=p1,
                      finding="substantiated", root_cause="skill")
    add_clock(t[2], "reply", "missed", local(2026, 10, 14), local(2026, 10, 20))
    add_clock(t[2], "triage", "missed", local(2026, 10, 5, 12), local(2026, 10, 6))
    add_compensation(t[2], "100.50", "paid", date(2026, 11, 2))
    # 3: A, service error, counter, charges; triage met; hardware
    t[3] = add_ticket(a, w.clerk_a, local(2026, 10, 10, 9), kind="error", category="charges",
                      finding="substantiated", root_cause="hardware")
    add_clock(t[3], "triage", "met", local(2026, 10, 10, 12), local(2026, 10, 10, 10))
    # 4: B, appeal (damage), valid; reply open and past due; compensation 2,500 waiting (above the cap)
    t[4] = add_ticket(b, w.clerk_b, local(2026, 10, 12, 9), category="damage", channel="regulator", phone=p2,
                      verdict="valid")
    add_clock(t[4], "reply", None, local(2026, 10, 30))
    add_compensation(t[4], "2500", "offered")
    # 5: B, appeal (delay), not valid; replied in time
    t[5] = add_ticket(b, w.clerk_b, local(2026, 10, 20, 9), category="delay", channel="regulator", phone=p3,
                      verdict="not_valid")
    add_clock(t[5], "reply", "met", local(2026, 11, 5), local(2026, 10, 28))
    # 6: B, appeal (other), no verdict yet; reply open, not yet due; an open triage clock
    t[6] = add_ticket(b, w.clerk_b, local(2026, 10, 25, 9), channel="regulator", phone=p4)
    add_clock(t[6], "reply", None, local(2026, 12, 1))
    add_clock(t[6], "triage", None, local(2026, 10, 25, 12))
    # 7: B, complaint, online, delay, the last second of October; rejected (its reply clock cancelled)
    t[7] = add_ticket(b, w.clerk_b, local(2026, 10, 31, 23, 59, 59), category="delay", channel="online", phone=p2,
                      state="rejected")
    add_clock(t[7], "reply", "cancelled", local(2026, 11, 10), local(2026, 11, 1))
    # 8: B, commendation, counter, other
    t[8] = add_ticket(b, w.clerk_b, local(2026, 10, 15, 9), kind="commendation")
    # 9: A, complaint, hotline, counter service; unfounded; scores 4 -> 2; replied in time; compensation refused
    t[9] = add_ticket(a, w.clerk_a, local(2026, 10, 18, 9), category="counter", channel="hotline", phone=p5,
                      finding="unfounded", expectation=4, perception=2)
    add_clock(t[9], "reply", "met", local(2026, 10, 28), local(2026, 10, 20))
    add_compensation(t[9], "50", "refused")
    # 10: A, complaint, letter, delay; attitude; scores 5 -> 5; replied in time; resolve missed, follow-up met;
    # compensation 30 approved
    t[10] = add_ticket(a, w.clerk_a, local(2026, 10, 22, 9), category="delay", channel="letter", phone="13800000007",
                       finding="substantiated", root_cause="attitude", expectation=5, perception=5)
    add_clock(t[10], "reply", "met", local(2026, 11, 2), local(2026, 10, 30))
    add_clock(t[10], "resolve", "missed", local(2026, 10, 23), local(2026, 10, 24))
    add_clock(t[10], "follow_up", "met", local(2026, 10, 26), local(2026, 10, 25))
    add_compensation(t[10], "30", "approved")
    # Not in EAST's October:
    add_ticket(c, w.clerk_b, local(2026, 10, 10), phone=p1)  # another region (p1 again: not a repeat there)
    add_ticket(a, w.clerk_a, local(2026, 9, 30, 23, 59, 59), phone=p6)  # September: the previous period
    add_ticket(a, w.clerk_a, local(2026, 11, 1), phone=p6)  # November
    add_ticket(a, w.clerk_a, local(2026, 8, 1, 9), phone=p5)  # August: 78 days before October, p5 repeats
    add_ticket(a, w.clerk_a, local(2025, 10, 15), kind="error", category="delay")  # last year
    db.session.add(OfficeVolume(office_id=a.id, month=date(2026, 10, 1), items=600_000))  # B's is missing
    db.session.add(OfficeVolume(office_id=c.id, month=date(2026, 10, 1), items=999_999))  # not EAST's
    db.session.commit()
    return t


def test_every_figure_of_a_month_counted_by_hand(october):
    f = figures.compute(find_unit("EAST"), OCT, "Asia/Shanghai", NOW)
    assert f.by_kind == {"complaint": 8, "error": 1, "commendation": 1}  # 1 2 4 5 6 7 9 10 | 3 | 8
    assert f.total == 10
    # 8 is a commendation: stored as "other", but nothing went wrong, so no category counts it
    assert f.by_category == {"delay": 4, "loss": 1, "charges": 1, "damage": 1, "other": 1, "counter": 1}
    assert f.by_channel == {"counter": 3, "phone": 1, "regulator": 3, "online": 1, "hotline": 1, "letter": 1}
    assert f.by_root_cause == {"attitude": 2, "skill": 1, "hardware": 1}  # 9 is unfounded: none
    assert (f.appeals, f.valid_appeals, f.not_valid_appeals, f.pending_appeals) == (3, 1, 1, 1)
    assert (f.items, f.office_months, f.volumes_missing) == (600_000, 2, 1)
    assert f.valid_per_million == 1.67  # 1 / 600,000 * 1e6
    # Replies: met 1 5 9 10; missed 2; overdue 4; pending 6; 7 cancelled (left out)
    assert f.reply == {"met": 4, "missed": 1, "overdue": 1, "pending": 1}
    assert f.reply_in_time_pct == 66.7  # 4 of 6
    assert f.stages == {"triage": {"met": 2, "missed": 1}, "resolve": {"met": 1, "missed": 1},
                        "follow_up": {"met": 1}}
    assert (f.stage_met_pct(), f.stage_met_pct("triage"), f.stage_met_pct("resolve"),
            f.stage_met_pct("follow_up")) == (66.7, 66.7, 50.0, 100.0)
    # Compensation: 2 paid 100.50, 4 above the cap 2,500, 9 refused 50, 10 approved 30
    assert f.compensation == {"paid": (1, 10050), "over_cap": (1, 250000), "refused": (1, 5000),
                              "approved": (1, 3000)}
    assert (f.offered_count, f.offered_yuan) == (3, Decimal("2630.50"))
    assert f.compensation_yuan("paid") == Decimal("100.50")
    # Scores: 1 (3, 4), 9 (4, 2), 10 (5, 5)
    assert (f.voice_count, f.mean_expectation, f.mean_perception, f.gap) == (3, 4.0, 3.67, -0.33)
    assert f.repeat_complainants == 3  # p1 (1, 2), p2 (4, 7), p5 (9 and August)


def test_previous_period_last_year_and_offices(october):
    r = figures.report(find_unit("EAST"), OCT, "Asia/Shanghai", NOW)
    assert (r.previous.period.code, r.last_year.period.code) == ("2026-09", "2025-10")
    assert r.previous.by_kind == {"complaint": 1} and r.last_year.by_kind == {"error": 1}
    assert r.previous.reply_in_time_pct is None and r.previous.valid_per_million is None
    assert r.previous.repeat_complainants == 0  # p6's September complaint has no company in September
    a = figures.compute(find_unit("SH-0101"), OCT, "Asia/Shanghai", NOW)
    b = figures.compute(find_unit("SH-0102"), OCT, "Asia/Shanghai", NOW)
    assert (a.total, b.total) == (5, 5)
    assert (a.valid_per_million, b.valid_per_million, b.volumes_missing) == (0.0, None, 1)  # B: no items
    assert (a.repeat_complainants, b.repeat_complainants) == (2, 1)  # A: p1, p5; B: p2
    listed = [(rc.phone, rc.complaints, rc.refs) for rc in r.repeaters]
    t = october
    assert listed == [("138****0001", 2, [t[1].ref, t[2].ref]), ("138****0002", 2, [t[4].ref, t[7].ref]),
                      ("138****0005", 2, [t[9].ref, _august_ref()])]  # by reference (here not time) order
    assert (r.repeaters[2].first, r.repeaters[2].last) == (local(2026, 8, 1, 9), t[9].created_at)


def _august_ref() -> str:
    from sqlalchemy import select

    return db.session.scalar(select(Ticket.ref).where(Ticket.created_at == local(2026, 8, 1, 9)))


def test_a_quarter_and_its_neighbours(october):
    q = periods.parse("2026-q4", NOW, "Asia/Shanghai")
    assert (q.code, q.previous().code, q.last_year().code) == ("2026-Q4", "2026-Q3", "2025-Q4")
    assert [m.month for m in q.months] == [10, 11, 12] and q.last_day == date(2026, 12, 31)
    assert Period(2026, quarter=1).previous().code == "2025-Q4" and Period(2026, month=1).previous().code == "2025-12"
    f = figures.compute(find_unit("EAST"), q, "Asia/Shanghai", NOW)
    assert f.total == 11 and f.office_months == 6 and f.volumes_missing == 5  # October's 10 and November's 1


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "1999-12", "2026-Q5", "26-10", "2026/10", "２０２６-10",
                                 "2027-01", "2026-10-01", " "])
def test_bad_periods_are_refused(bad):
    from complaints.errors import InvalidInput

    with pytest.raises(InvalidInput):
        periods.parse(bad, NOW, "Asia/Shanghai")


def test_links_list_the_tickets_behind_each_figure(october, login, monkeypatch):
    """Follow the links of the page: each lists as many tickets as the figure says."""
    from complaints import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)
    web = login(october_world(october))
    page = web.get("/reports?region=EAST&period=2026-10")
    assert page.status_code == 200 and "<svg" in page.text
    checks = {"kinds-complaint": 8, "categories-delay": 4, "channels-regulator": 3, "root_causes-attitude": 2,
              "appeals-valid": 1, "replies-met": 4, "replies-missed": 1, "replies-overdue": 1, "sla-triage_met": 2,
              "sla-resolve_missed": 1, "compensation-offered_count": 3, "compensation-paid_count": 1,
              "voice-followed_up": 3, "kinds-total": 10, "categories-other": 1}  # not the commendation
    for row_id, n in checks.items():
        row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page.text, re.S).group(1)
        href = re.search(r'href="([^"]+)"', row).group(1).replace("&amp;", "&")
        listed = web.get(href + "&per_page=100")
        assert listed.status_code == 200, (row_id, href)
        assert listed.text.count('href="/tickets/T-') == n, (row_id, href)


def _submit_filters(html: str) -> dict[str, str]:
    """What pressing the queue's Filter button sends: the form's named fields as a browser reads them."""
    from html.parser import HTMLParser

    form = re.search(r'<form method="get" class="filters".*?</form>', html, re.S).group(0)
    fields: dict[str, str] = {}

    class Form(HTMLParser):
        select: str | None = None

        def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN202
            a = dict(attrs)
            if tag == "select":
                self.select = a["name"]
                fields.setdefault(self.select, "")
            elif tag == "option" and self.select and "selected" in a:
                fields[self.select] = a["value"]
            elif tag == "input" and a.get("name") and (a.get("type") != "checkbox" or "checked" in a):
                fields[a["name"]] = a.get("value") or ""

        def handle_endtag(self, tag):  # noqa: ANN001, ANN202
            if tag == "select":
                self.select = None

    Form().feed(form)
    return {k: v for k, v in fields.items() if v}


def test_report_filters_show_on_the_queue_and_survive_its_form(october, login, monkeypatch):
    """A figure's link sets filters the queue has no control for (region, dates, stage): the queue names
    each as a chip, the Filter button sends them again, and a chip's link takes just that one off."""
    from complaints import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)
    web = login(october_world(october))
    page = web.get("/reports?region=EAST&period=2026-10").text
    row = re.search(r'<tr id="sla-resolve_missed">(.*?)</tr>', page, re.S).group(1)
    href = re.search(r'href="([^"]+)"', row).group(1).replace("&amp;", "&")
    queue = web.get(href).text
    assert queue.count('href="/tickets/T-') == 1
    chips = re.findall(r'<span class="chip">(.*?)</span>', queue, re.S)
    assert any("EAST" in c for c in chips) and any("2026-10-01 – 2026-10-31" in c for c in chips)
    sent = _submit_filters(queue)
    assert {("region", "EAST"), ("created_from", "2026-10-01"), ("created_to", "2026-10-31"), ("due", "missed"),
            ("stage", "resolve")} <= set(sent.items())
    again = web.get("/tickets", query_string=sent).text
    assert again.count('href="/tickets/T-') == 1
    # Take the stage off: every stage clock missed by October's tickets of the region.
    stage_chip = next(c for c in chips if 'name="stage"' in c)
    without = re.search(r'href="([^"]+)"', stage_chip).group(1).replace("&amp;", "&")
    assert "stage=" not in without and "region=EAST" in without
    assert web.get(without).status_code == 200


def test_an_office_the_select_does_not_list_stays_selected(world, login, make_ticket):
    """A line of a region's dashboard may name an inactive office: the queue's office select lists it,
    selected, so that the Filter button keeps it (the select would otherwise send "All")."""
    from complaints.admin.operations import create_office

    make_ticket(actor=world.clerk_b, office="SH-0102")
    create_office("SH-0109", "徐汇第九营业部")  # two active offices besides: the select is shown
    world.office_b.active = False
    db.session.commit()
    page = login(world.admin).get("/tickets?office=SH-0102").text
    assert '<select name="office">' in page
    assert '<option value="SH-0102" selected>' in page
    assert _submit_filters(page)["office"] == "SH-0102"
    assert not re.search(r'<span class="chip">[^<]*SH-0102', page)  # the select says it: no chip


def october_world(october):  # noqa: ANN001, ANN201
    from complaints.models import User

    return db.session.scalar(db.select(User).where(User.email == "sup.east@example.com"))


def test_scope_page_and_api(october, login, api, monkeypatch):
    from complaints import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)
    w = october_world(october)
    from complaints.models import User

    sup_a = db.session.scalar(db.select(User).where(User.email == "sup.a@example.com"))
    clerk = db.session.scalar(db.select(User).where(User.email == "clerk.a@example.com"))
    admin = db.session.scalar(db.select(User).where(User.email == "admin@example.com"))
    assert login(w).get("/reports?region=EAST&period=2026-10").status_code == 200
    assert login(sup_a).get("/reports?region=EAST&period=2026-10").status_code == 403  # B is not theirs
    assert login(sup_a).get("/reports?region=SH-0101&period=2026-10").status_code == 200
    assert login(w).get("/reports?region=BJ-0201&period=2026-10").status_code == 403
    assert login(clerk).get("/reports?region=SH-0101").status_code == 403
    assert login(admin).get("/reports?region=NOWHERE&period=2026-10").status_code == 404
    bad = login(admin).get("/reports?region=EAST&period=2026-13")
    assert bad.status_code == 422 and 'id="period-error"' in bad.text
    assert login(admin).get("/reports/export.xlsx?region=EAST&period=2026-13").status_code == 422
    assert api(sup_a).get("/reports?region=EAST&period=2026-10").status_code == 403
    assert api(clerk).get("/reports?region=SH-0101&period=2026-10").status_code == 403
    assert api(clerk).get("/reports?region=NOWHERE&period=2026-10").status_code == 403  # no oracle of codes
    assert api(admin).get("/reports?region=NOWHERE&period=2026-10").status_code == 404
    for period in ("2026-13", "2027-01", "x"):
        resp = api(admin).get(f"/reports?region=EAST&period={period}")
        assert resp.status_code == 422 and "period" in resp.get_json()["fields"]
    assert api(admin).get("/reports?period=2026-10").status_code == 422  # no region


def test_api_gives_the_same_figures(october, api, monkeypatch):
    from complaints import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)
    body = api(october_world(october)).get("/reports?region=EAST&period=2026-10").get_json()
    assert (body["region"], body["kind"], body["period"], body["from"], body["to"]) == (
        "EAST", "region", "2026-10", "2026-10-01", "2026-10-31")
    s = body["sections"]
    assert s["kinds"]["complaint"] == {"current": 8, "previous": 1, "last_year": 0}
    assert s["kinds"]["total"]["current"] == 10 and s["channels"]["regulator"]["current"] == 3
    assert s["appeals"]["valid_per_million"]["current"] == 1.67
    assert s["replies"]["in_time_pct"] == {"current": 66.7, "previous": None, "last_year": None}
    assert s["compensation"]["offered"]["current"] == "2630.50" and s["compensation"]["paid"]["current"] == "100.50"
    assert s["voice"]["gap"]["current"] == -0.33 and s["repeat"]["repeat_complainants"]["current"] == 3
    assert [rc["phone"] for rc in body["repeat_complainants"]] == ["138****0001", "138****0002", "138****0005"]
    assert "13800000001" not in str(body)  # phones only masked


def test_xlsx_has_real_cells_chinese_headers_and_frozen_rows(october, login, monkeypatch):
    from openpyxl import load_workbook

    from complaints import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)
    w = october_world(october)
    w.locale = "zh_CN"
    db.session.commit()
    resp = login(w).get("/reports/export.xlsx?region=EAST&period=2026-10")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(resp.data))
    assert len(book.sheetnames) == 12  # about, ten sections, the repeat complainants' list
    about = book.worksheets[0]
    assert about["B4"].value == datetime(2026, 10, 1) and about["B4"].is_date  # a date cell
    kinds = book.worksheets[1]
    assert kinds.freeze_panes == "A2"
    # Headers and labels are the user's language's (strings not yet in the catalogue stay English until then)
    assert kinds["A2"].value == "投诉" and book.worksheets[-1]["A1"].value == "客户电话"
    values = {row[0].value: row[1].value for row in kinds.iter_rows(min_row=2)}
    assert max(values.values()) == 10 and values["投诉"] == 8
    assert all(isinstance(v, int | float) for v in values.values())
    compensation = next(s for s in book.worksheets if s.max_row > 1 and any(
        c.value == 2630.5 for row in s.iter_rows() for c in row))
    assert compensation.freeze_panes == "A2"
    replies = book.worksheets[6]
    pct = [row[1] for row in replies.iter_rows(min_row=2) if row[1].number_format == "0.0%"]
    assert pct and abs(pct[0].value - 0.667) < 1e-9


def test_print_layout_and_nav(october, login, monkeypatch):
    from complaints import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)
    w = october_world(october)
    page = login(w).get("/reports?region=EAST&period=2026-10&print=1")
    assert page.status_code == 200 and "data-print" in page.text and "report.css" in page.text
    assert 'class="top"' not in page.text  # no site navigation on paper
    css = login(w).get("/reports/report.css")
    assert css.status_code == 200 and "@media print" in css.text
    assert 'href="/reports"' in login(w).get("/").text
    from complaints.models import User

    clerk = db.session.scalar(db.select(User).where(User.email == "clerk.a@example.com"))
    assert 'href="/reports"' not in login(clerk).get("/").text


def test_the_figures_come_from_a_few_aggregate_queries(october):
    from tests.conftest import statements

    unit = find_unit("EAST")
    with statements() as seen:
        figures.report(unit, OCT, "Asia/Shanghai", NOW)
    seen = [s for s in seen if not s.startswith("SET ")]  # PostgreSQL: JIT off for the transaction
    assert len(seen) <= 5, seen  # one UNION ALL per family of figures over the three periods; repeat complainants
    on_tickets = [s for s in seen if "FROM TICKETS" in s or "JOIN TICKETS" in s]
    assert all("CREATED_AT >=" in s and "OFFICE_ID IN" in s for s in on_tickets), on_tickets


def test_periods_bounds_are_local_midnights():
    start, end = OCT.bounds("Asia/Shanghai")
    assert start == datetime(2026, 9, 30, 16, tzinfo=UTC) and end == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert periods.parse("", NOW, "Asia/Shanghai").code == "2026-10"  # the last whole month
    assert periods.parse("2026-11", NOW, "Asia/Shanghai").code == "2026-11"  # this month, so far
    assert OCT.bounds("UTC")[1] - OCT.bounds("UTC")[0] == timedelta(days=31)


def test_tickets_written_by_the_workflow_are_counted(east):
    """The rows above are as the workflow leaves them: the same figures from tickets logged and judged
    through it (a complaint's reply clock, a triage clock met, a substantiated finding)."""
    from complaints.tickets.operations import fire_event, log_ticket
    from tests.conftest import complaint_body

    w = east
    at = local(2026, 10, 20, 10)
    t = log_ticket(w.clerk_a, complaint_body(occurred_at="2026-10-20T09:00:00+08:00", category="counter"), now=at)
    log_ticket(w.clerk_b, complaint_body("SH-0102", kind="error", occurred_at="2026-10-20T09:00:00+08:00"), now=at)
    fire_event(t, w.sup_a, "triage", {"severity": "low", "category": "counter", "assignee": w.sup_a.email},
               version=t.version, now=at + timedelta(minutes=30))
    fire_event(t, w.sup_a, "resolve", {"resolution": "查明延误", "outcome": "已致歉", "finding": "substantiated",
                                       "root_cause": "responsibility"}, version=t.version, now=at + timedelta(hours=2))
    # Reopened and resolved again: a second resolve clock met, and still one ticket behind the figure.
    fire_event(t, w.sup_a, "reopen", {"reason": "客户不满意"}, version=t.version, now=at + timedelta(hours=3))
    fire_event(t, w.sup_a, "resolve", {"resolution": "再次核实", "outcome": "已致歉", "finding": "substantiated",
                                       "root_cause": "responsibility"}, version=t.version, now=at + timedelta(hours=4))
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(Deadline).where(
        Deadline.ticket_id == t.id, Deadline.clock == "resolve", Deadline.outcome == "met")) == 2
    f = figures.compute(find_unit("EAST"), OCT, "Asia/Shanghai", NOW)
    assert f.by_kind == {"complaint": 1, "error": 1} and f.by_root_cause == {"responsibility": 1}
    assert f.stages["triage"]["met"] == 1 and f.stages["resolve"]["met"] == 1
    assert f.reply == {"overdue": 1}  # logged 20 October, never told the outcome: late by 26 November
    assert f.reply_in_time_pct == 0.0
