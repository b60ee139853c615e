"""Scorecards up the region tree: the SQL roll-up agrees with the office scorecards, hand-counted
negatives by root cause, best and weakest clerks, scope, the page, the CSV and the API."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from complaints.admin.operations import create_office, create_user
from complaints.extensions import db
from complaints.models import Region
from complaints.regions.tree import add_region, find_unit
from complaints.scorecards import compute, operations, regions
from complaints.scorecards.settings import get_weights, set_weights
from complaints.tickets.operations import fire_event, log_ticket
from tests.conftest import PASSWORD, complaint_body, statements

NOW = datetime(2026, 11, 24, 4, tzinfo=UTC)
OCT = "2026-10"


@dataclass
class Tree:
    """SH (上海市) > SH-XH (SH-0101, SH-0102) and SH-PD (SH-0103, on Urumqi time); BJ > BJ-0201."""

    w: object  # the conftest world: SH-0101 (clerk_a, clerk_a2, sup_a), SH-0102 (clerk_b, sup_b), admin
    office_c: object
    clerk_c: object
    clerk_c2: object
    sup_c: object
    sup_sh: object  # assigned to the region SH: covers every office below it
    sup_both: object  # assigned SH-0101 and SH-0102 one by one: covers SH-XH, not SH
    sup_bj: object  # another region's supervisor

    def sup_of(self, office: str) -> object:
        return {"SH-0101": self.w.sup_a, "SH-0102": self.w.sup_b, "SH-0103": self.sup_c}[office]


@pytest.fixture
def tree(world) -> Tree:
    sh = add_region("SH", "上海市", None)
    xh = add_region("SH-XH", "徐汇片区", sh)
    pd = add_region("SH-PD", "浦东片区", sh)
    bj = add_region("BJ", "北京市", None)
    office_c = create_office("SH-0103", "上海浦东营业部", "Asia/Urumqi")  # another zone: other month bounds
    office_bj = create_office("BJ-0201", "北京朝阳营业部")
    world.office_a.region_id = world.office_b.region_id = xh.id
    office_c.region_id, office_bj.region_id = pd.id, bj.id
    t = Tree(
        w=world, office_c=office_c,
        clerk_c=create_user("clerk.c@example.com", "陈静", "clerk", ["SH-0103"], PASSWORD),
        clerk_c2=create_user("clerk.c2@example.com", "赵磊", "clerk", ["SH-0103"], PASSWORD),
        sup_c=create_user("sup.c@example.com", "周敏", "supervisor", ["SH-0103"], PASSWORD),
        sup_sh=create_user("sup.sh@example.com", "钱伟", "supervisor", [], PASSWORD, locale="en", regions=["SH"]),
        sup_both=create_user("sup.both@example.com", "郑洁", "supervisor", ["SH-0101", "SH-0102"], PASSWORD),
        sup_bj=create_user("sup.bj@example.com", "冯刚", "supervisor", [], PASSWORD, regions=["BJ"]),
    )
    create_user("clerk.bj@example.com", "何静", "clerk", ["BJ-0201"], PASSWORD)
    db.session.commit()
    return t


def judged(t: Tree, office: str, kind: str = "complaint", severity: str = "high", clerk=None,  # noqa: ANN001
           cause: str = "attitude", finding: str = "substantiated", occurred: str = "2026-10-15T10:00:00+08:00",
           follow: dict | None = None):
    """A ticket logged, triaged and resolved (optionally followed up) through the real operations."""
    sup = t.sup_of(office)
    ticket = log_ticket(t.w.admin, complaint_body(office, kind=kind, occurred_at=occurred), now=NOW)
    fire_event(ticket, sup, "triage", {"severity": severity, "category": "counter", "assignee": sup.email},
               version=ticket.version, now=NOW)
    data = {"outcome": "已处理，感谢您的反馈。", "resolution": "处理完毕", "finding": finding}
    if finding == "substantiated":
        data["root_cause"] = cause
        if clerk is not None:
            data["attributed_clerk"] = clerk.email
    fire_event(ticket, sup, "resolve", data, version=ticket.version, now=NOW)
    if follow:
        fire_event(ticket, sup, "follow_up", {"contact": "reached", "satisfied": True, **follow},
                   version=ticket.version, now=NOW)
    db.session.commit()
    return ticket


def commended(t: Tree, office: str, clerk) -> None:  # noqa: ANN001
    ticket = log_ticket(t.w.admin, {"kind": "commendation", "channel": "letter", "office": office,
                                    "description": "客户来信表扬营业员耐心细致。",
                                    "occurred_at": "2026-10-20T10:00:00+08:00"}, now=NOW)
    fire_event(ticket, t.sup_of(office), "verify_commendation", {"clerk": clerk.email}, version=ticket.version,
               now=NOW)
    db.session.commit()


def month_of_data(t: Tree) -> None:
    """Assessments, hardware, and tickets that count, that do not, and that count only in one zone."""
    w = t.w
    operations.save(w.office_a, OCT, w.admin, {
        w.clerk_a.id: {"attitude": 8, "skill": 7, "responsibility": 9, "management": 6, "highlights": 2},
        w.clerk_a2.id: {"attitude": 10},
    }, {"score": 6}, NOW)
    operations.save(w.office_b, OCT, w.admin, {w.clerk_b.id: {f: 5 for f in ("attitude", "skill", "responsibility",
                                                                               "management", "highlights")}},
                    None, NOW)
    operations.save(t.office_c, OCT, w.admin, {t.clerk_c.id: {"skill": 4, "highlights": 9}}, {"score": 3}, NOW)
    operations.save(w.office_a, "2026-09", w.admin, {w.clerk_a.id: {"attitude": 1}}, None, NOW)  # another month
    db.session.commit()
    judged(t, "SH-0101", "complaint", "high", w.clerk_a, "attitude", follow={"expectation": 4, "perception": 5})
    judged(t, "SH-0101", "error", "low", w.clerk_a, "skill", follow={"expectation": 5, "perception": 3})
    judged(t, "SH-0101", "complaint", "critical", w.clerk_a2, "responsibility")
    judged(t, "SH-0101", "error", "medium", None, "hardware")  # nobody's fault: the office's, on no card
    judged(t, "SH-0101", "complaint", "critical", w.clerk_a, occurred="2026-09-30T23:30:00+08:00")  # September
    judged(t, "SH-0102", "complaint", "medium", finding="unfounded", follow={"expectation": 3, "perception": 3})
    reopened = judged(t, "SH-0102", "error", "medium", w.clerk_b, "management")
    fire_event(reopened, w.sup_b, "reopen", {"reason": "复查"}, version=reopened.version, now=NOW)
    db.session.commit()
    judged(t, "SH-0102", "complaint", "high", w.clerk_b, "attitude", follow={"expectation": 5, "perception": 2})
    # 00:30 on 1 November in Shanghai is still 31 October in Urumqi: October for SH-0103.
    judged(t, "SH-0103", "complaint", "low", t.clerk_c, "skill", occurred="2026-11-01T00:30:00+08:00")
    # 01:30 on 1 October in Shanghai is still 30 September in Urumqi: not October for SH-0103.
    judged(t, "SH-0103", "error", "high", t.clerk_c, "attitude", occurred="2026-10-01T01:30:00+08:00")
    judged(t, "SH-0103", "error", "medium", t.clerk_c2, "management")
    commended(t, "SH-0103", t.clerk_c)


def offices_of(t: Tree) -> list:
    return [t.w.office_a, t.w.office_b, t.office_c]


@pytest.mark.parametrize("commendation_points", [0, 3])
def test_the_region_rollup_gives_what_the_office_scorecards_give(tree, commendation_points):
    month_of_data(tree)
    set_weights({**get_weights().to_dict(), "commendation_points": commendation_points}, NOW)
    t_clerk = tree.clerk_c2
    t_clerk.active = False  # a deactivated clerk stays on the office's card, and so in the region's
    db.session.commit()
    card = regions.region_card(find_unit("SH"), OCT, top=100)
    assert [o.code for o in card.offices] == ["SH-0101", "SH-0102", "SH-0103"]
    region_totals = {(c.id, c.office_code): c.total for c in card.best}
    assert len(card.best) == len(card.weakest) == 5 and sorted(region_totals.values(), reverse=True) == [
        c.total for c in card.best]
    office_totals = {}
    for office, row in zip(offices_of(tree), card.offices, strict=True):
        cards = compute.office_cards(office, OCT)
        office_totals.update({(c.clerk.id, office.code): c.total for c in cards})
        assert row.clerks == len(cards)
        assert row.average_total == pytest.approx(sum(c.total for c in cards) / len(cards), abs=0.005)
        causes = {(r.root_cause.value if r.root_cause else regions.UNRECORDED): (r.tickets, r.points)
                  for r in compute.by_root_cause(office, OCT)}
        assert {c: (row.negatives[c], row.points[c]) for c in card.causes} == causes
    assert region_totals == office_totals
    # Not trivially equal: the data reaches every rule (hardware, penalties, zones, commendations).
    assert office_totals[(tree.w.clerk_a.id, "SH-0101")] == 8 + 7 + 9 + 6 + 2 + 6 - 3 * 5 - 1 * 3
    assert office_totals[(tree.clerk_c.id, "SH-0103")] == 4 + min(10, 9 + commendation_points) + 3 - 1 * 5
    assert office_totals[(tree.clerk_c2.id, "SH-0103")] == 3 - 2 * 3


def test_negatives_by_root_cause_and_customer_gap_hand_counted(tree):
    month_of_data(tree)
    card = regions.region_card(find_unit("SH"), OCT)
    a, b, c = card.offices
    assert a.negatives == {"attitude": 1, "skill": 1, "responsibility": 1, "hardware": 1, "management": 0}
    assert a.points == {"attitude": 3, "skill": 1, "responsibility": 5, "hardware": 2, "management": 0}
    assert b.negatives == {"attitude": 1, "skill": 0, "responsibility": 0, "hardware": 0, "management": 0}
    assert c.negatives == {"attitude": 0, "skill": 1, "responsibility": 0, "hardware": 0, "management": 1}
    assert card.causes == ["attitude", "skill", "responsibility", "hardware", "management"]
    # Perception minus expectation of the month's followed-up tickets, as on the clerks' cards.
    assert (a.customer_gap, a.follow_ups) == (-0.5, 2)  # (+1 - 2) / 2
    assert (b.customer_gap, b.follow_ups) == (-1.5, 2)  # (0 - 3) / 2, the unfounded one included
    assert (c.customer_gap, c.follow_ups) == (None, 0)
    # A sub-region holds only its own offices.
    assert [o.code for o in regions.region_card(find_unit("SH-XH"), OCT).offices] == ["SH-0101", "SH-0102"]


def test_best_and_weakest_clerks_in_order_with_their_office(tree):
    w = tree.w
    operations.save(w.office_a, OCT, w.admin, {w.clerk_a.id: {"attitude": 9}, w.clerk_a2.id: {"attitude": 4}},
                    None, NOW)
    operations.save(w.office_b, OCT, w.admin, {w.clerk_b.id: {"attitude": 7}}, None, NOW)
    operations.save(tree.office_c, OCT, w.admin, {tree.clerk_c.id: {"attitude": 10}}, {"score": 2}, NOW)
    db.session.commit()
    judged(tree, "SH-0101", "complaint", "low", w.clerk_a2, "attitude")  # 4 - 5 = -1
    card = regions.region_card(find_unit("SH"), OCT, top=2)
    assert [(c.name, c.office_code, c.total) for c in card.best] == [("陈静", "SH-0103", 12), ("王芳", "SH-0101", 9)]
    assert [(c.name, c.office_code, c.total) for c in card.weakest] == [("李娜", "SH-0101", -1),
                                                                         ("赵磊", "SH-0103", 2)]
    # Equal totals go by name.
    for name in ("Bob", "Amy"):
        create_user(f"{name.lower()}@example.com", name, "clerk", ["SH-0102"], PASSWORD)
    db.session.commit()
    weakest = regions.region_card(find_unit("SH-XH"), OCT, top=3).weakest
    assert [(c.name, c.total) for c in weakest] == [("李娜", -1), ("Amy", 0), ("Bob", 0)]


def test_the_rollup_costs_the_same_few_queries_for_2_or_5_offices(tree):
    def queries() -> int:
        db.session.expire_all()
        with statements() as seen:
            regions.region_card(find_unit("SH"), OCT)
        return len(seen)

    month_of_data(tree)
    few = queries()
    pd = find_unit("SH-PD")
    for i in range(3):
        office = create_office(f"SH-02{i}", f"新网点{i}")
        office.region_id = pd.id
        for j in range(4):
            create_user(f"more{i}{j}@example.com", f"员工{i}{j}", "clerk", [office.code], PASSWORD)
    db.session.commit()
    assert queries() == few <= 8  # unit offices' zones, weights, offices, causes, gaps, best and weakest


def _page(client, code: str, month: str = OCT):  # noqa: ANN001, ANN202
    return client.get(f"/scorecards/region/{code}?month={month}")


def test_who_may_see_a_region(tree, login, client):
    assert _page(client, "SH-XH").status_code == 302  # not signed in
    allowed = {tree.w.admin: ("SH", "SH-XH", "SH-PD", "BJ", "SH-0101"),
               tree.sup_sh: ("SH", "SH-XH", "SH-PD", "SH-0101"),
               tree.sup_both: ("SH-XH", "SH-0101"), tree.sup_bj: ("BJ",), tree.w.sup_a: ("SH-0101",)}
    for user, codes in allowed.items():
        web = login(user)
        for code in ("SH", "SH-XH", "SH-PD", "BJ", "SH-0101"):
            assert _page(web, code).status_code == (200 if code in codes else 403), (user.email, code)
    for clerk in (tree.w.clerk_a, tree.clerk_c):
        assert _page(login(clerk), "SH-PD").status_code == 403
    web = login(tree.sup_sh)
    assert _page(web, "NOPE").status_code == 404
    for month in ("2099-01", "2026-13", "abc"):
        assert _page(web, "SH", month).status_code == 422
        assert web.get(f"/scorecards/region/SH.csv?month={month}").status_code == 422
    # An empty region: for whoever is assigned to it or above it.
    add_region("SH-NEW", "新区", db.session.scalar(select(Region).where(Region.code == "SH")))
    db.session.commit()
    assert _page(web, "SH-NEW").status_code == 200
    assert _page(login(tree.sup_both), "SH-NEW").status_code == 403


def test_the_page_links_each_office_and_the_office_page_links_up(tree, login):
    month_of_data(tree)
    web = login(tree.sup_sh)
    page = _page(web, "SH")
    assert page.status_code == 200 and "上海市" in page.text and "Best clerks" in page.text
    for code in ("SH-0101", "SH-0102", "SH-0103"):
        assert re.search(rf'href="/scorecards\?(office={code}&amp;month={OCT}|month={OCT}&amp;office={code})"',
                         page.text), code
    row = re.search(r'<tr id="office-SH-0101">(.*?)</tr>', page.text, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    average = sum(c.total for c in compute.office_cards(tree.w.office_a, OCT)) / 2
    assert cells[:2] == ["2", f"{average:.2f}"] and cells[-1] == "-0.50"
    assert "data-label=" in row  # the table folds into labelled lines on a phone
    office_page = web.get(f"/scorecards?office=SH-0101&month={OCT}").text
    assert f'href="/scorecards/region/SH-XH?month={OCT}"' in office_page
    # Not to whoever may not open the region.
    assert "/scorecards/region/" not in login(tree.w.sup_a).get(f"/scorecards?office=SH-0101&month={OCT}").text


def test_region_csv(tree, login):
    month_of_data(tree)
    resp = login(tree.sup_sh).get(f"/scorecards/region/SH.csv?month={OCT}")
    raw = resp.get_data()
    assert resp.status_code == 200 and raw.startswith("\ufeff".encode()) and "text/csv" in resp.content_type
    assert 'filename="scorecard-SH-2026-10.csv"' in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:6] == ["Region", "Month", "Office", "Office name", "Clerks", "Average total"]
    assert [r[2] for r in rows[1:]] == ["SH-0101", "SH-0102", "SH-0103"]
    a = rows[1]
    assert a[6:11] == ["1", "1", "1", "1", "0"] and a[11:] == ["-0.5", "2"]
    assert login(tree.w.sup_a).get(f"/scorecards/region/SH.csv?month={OCT}").status_code == 403
    assert login(tree.w.clerk_a).get(f"/scorecards/region/SH-XH.csv?month={OCT}").status_code == 403


def test_region_clerks_csv_lists_the_pages_best_and_weakest(tree, login):
    month_of_data(tree)
    card = regions.region_card(find_unit("SH"), OCT)
    page = login(tree.sup_sh).get(f"/scorecards/region/SH?month={OCT}").text
    assert f'href="/scorecards/region/SH/clerks.csv?month={OCT}"' in page
    resp = login(tree.sup_sh).get(f"/scorecards/region/SH/clerks.csv?month={OCT}")
    assert resp.status_code == 200
    assert 'filename="scorecard-SH-2026-10-clerks.csv"' in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Region", "Month", "List", "Rank", "Clerk", "Email", "Office", "Office name", "Total"]
    want = [["SH", OCT, title, str(rank), c.name, c.email, c.office_code, c.office_name, str(c.total)]
            for title, listed in (("Best clerks", card.best), ("Weakest clerks", card.weakest))
            for rank, c in enumerate(listed, start=1)]
    assert rows[1:] == want and len(want) == len(card.best) + len(card.weakest) > 0
    assert login(tree.w.sup_a).get(f"/scorecards/region/SH/clerks.csv?month={OCT}").status_code == 403
    assert login(tree.w.clerk_a).get(f"/scorecards/region/SH-XH/clerks.csv?month={OCT}").status_code == 403


def test_region_api(tree, api):
    month_of_data(tree)
    resp = api(tree.sup_sh).get(f"/scorecards?region=SH-XH&month={OCT}")
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert (body["region"], body["kind"], body["month"]) == ("SH-XH", "region", OCT)
    assert [o["office"] for o in body["offices"]] == ["SH-0101", "SH-0102"]
    a = body["offices"][0]
    cards = compute.office_cards(tree.w.office_a, OCT)
    assert a["clerks"] == 2 and a["average_total"] == pytest.approx(sum(c.total for c in cards) / 2, abs=0.005)
    assert a["negatives_by_root_cause"]["hardware"] == {"tickets": 1, "points": 2}
    assert a["customer_gap"] == -0.5 and a["follow_ups"] == 2
    assert [c["clerk"] for c in body["best"]][0] == max(cards, key=lambda c: c.total).clerk.email
    assert set(body["best"][0]) == {"clerk", "name", "office", "total"}
    assert body["weakest"][0]["total"] == min(c["total"] for c in body["best"])
    # The office form goes on as before; scope, unknown codes, bad months and both at once are refused.
    assert api(tree.sup_sh).get(f"/scorecards?office=SH-0101&month={OCT}").status_code == 200
    assert api(tree.w.sup_a).get(f"/scorecards?region=SH-XH&month={OCT}").status_code == 403
    assert api(tree.sup_bj).get(f"/scorecards?region=SH&month={OCT}").status_code == 403
    assert api(tree.w.clerk_a).get(f"/scorecards?region=SH-XH&month={OCT}").status_code == 403
    assert api(tree.sup_sh).get(f"/scorecards?region=NOPE&month={OCT}").status_code == 404
    bad = api(tree.sup_sh).get("/scorecards?region=SH&month=2026-13")
    assert bad.status_code == 422 and "month" in bad.get_json()["fields"]
    both = api(tree.sup_sh).get(f"/scorecards?region=SH&office=SH-0101&month={OCT}")
    assert both.status_code == 422 and both.get_json()["error"]
    assert api(tree.sup_sh).get("/scorecards?region=&month=2026-10").status_code == 422
