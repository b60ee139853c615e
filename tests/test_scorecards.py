"""Scorecards: negatives computed from the tickets, assessments with history, pages, CSV, API, scope."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from complaints.extensions import db
from complaints.models import Assessment, ScoreChange
from complaints.scorecards import compute, operations
from complaints.tickets.operations import fire_event, log_ticket
from tests.conftest import complaint_body, statements

NOW = datetime(2026, 11, 24, 4, tzinfo=UTC)
OCT = "2026-10"


def judged(world, kind="complaint", severity="high", finding="substantiated", clerk=None,
           occurred="2026-10-15T10:00:00+08:00", office="SH-0101", follow=None, cause="attitude"):
    """A ticket logged, triaged and resolved (optionally followed up), through the real operations."""
    sup = world.sup_a if office == "SH-0101" else world.sup_b
    logger = world.clerk_a if office == "SH-0101" else world.clerk_b
    t = log_ticket(logger, complaint_body(office, kind=kind, occurred_at=occurred), now=NOW)
    fire_event(t, sup, "triage", {"severity": severity, "category": "counter", "assignee": sup.email},
               version=t.version, now=NOW)
    data = {"outcome": "已处理，感谢您的反馈。", "resolution": "处理完毕", "finding": finding}
    if finding == "substantiated":
        data["root_cause"] = cause
    if finding == "substantiated" and clerk is not None:
        data["attributed_clerk"] = clerk.email
    fire_event(t, sup, "resolve", data, version=t.version, now=NOW)
    if follow:
        fire_event(t, logger, "follow_up", follow, version=t.version, now=NOW)
    db.session.commit()
    return t


def card_of(cards, user):
    return next(c for c in cards if c.clerk.id == user.id)


def test_negative_factors_come_from_substantiated_attributed_tickets(world):
    judged(world, "complaint", "high", clerk=world.clerk_a)  # 3 x 5
    judged(world, "complaint", "low", clerk=world.clerk_a)  # 1 x 5
    judged(world, "error", "medium", clerk=world.clerk_a)  # 2 x 3
    judged(world, "complaint", "critical", finding="unfounded")  # does not count
    judged(world, "complaint", "critical", clerk=world.clerk_a, occurred="2026-09-30T23:30:00+08:00")  # September
    judged(world, "complaint", "critical", clerk=world.clerk_a2)
    cards = compute.office_cards(world.office_a, OCT)
    a = card_of(cards, world.clerk_a)
    assert a.factors["complaints"] == -20 and a.factors["errors"] == -6
    assert (a.complaint_points, a.error_points) == (4, 2)
    assert card_of(cards, world.clerk_a2).factors["complaints"] == -25
    assert card_of(compute.office_cards(world.office_a, "2026-09"), world.clerk_a).factors["complaints"] == -25


def test_a_reopened_or_rejudged_ticket_stops_counting_at_once(world):
    t = judged(world, "complaint", "high", clerk=world.clerk_a)
    u = judged(world, "complaint", "medium", clerk=world.clerk_a)
    assert card_of(compute.office_cards(world.office_a, OCT), world.clerk_a).complaint_points == 5
    fire_event(t, world.sup_a, "reopen", {"reason": "复查"}, version=t.version, now=NOW)
    db.session.commit()
    assert card_of(compute.office_cards(world.office_a, OCT), world.clerk_a).complaint_points == 2
    fire_event(t, world.sup_a, "resolve", {"outcome": "已处理，感谢您的反馈。",
                                           "resolution": "复查后不成立", "finding": "unfounded"},
               version=t.version, now=NOW)
    fire_event(u, world.clerk_a, "follow_up", {"contact": "reached", "expectation": 4, "perception": 2,
                                               "satisfied": False}, version=u.version, now=NOW)
    db.session.commit()
    assert card_of(compute.office_cards(world.office_a, OCT), world.clerk_a).complaint_points == 0


def test_weights_and_penalties_are_the_admins(world, api):
    judged(world, "complaint", "high", clerk=world.clerk_a)
    body = {"weight_low": 1, "weight_medium": 2, "weight_high": 10, "weight_critical": 20,
            "complaint_penalty": 2, "error_penalty": 1}
    from complaints.scorecards.settings import set_weights

    set_weights(body, NOW)
    db.session.commit()
    assert card_of(compute.office_cards(world.office_a, OCT), world.clerk_a).factors["complaints"] == -20


def test_assessments_total_rank_change_and_history(world):
    operations.save(world.office_a, "2026-09", world.sup_a, {world.clerk_a.id: {"attitude": 5}}, None, NOW)
    operations.save(world.office_a, OCT, world.sup_a, {
        world.clerk_a.id: {"attitude": 8, "skill": 7, "responsibility": "9", "management": 6, "highlights": 2,
                           "attitude_comment": "热情"},
        world.clerk_a2.id: {"attitude": 10, "skill": 10, "responsibility": 10, "management": 10, "highlights": 10},
    }, {"score": 6, "comment": "叫号机故障"}, NOW)
    db.session.commit()
    judged(world, "complaint", "medium", clerk=world.clerk_a2)  # -10
    cards = compute.office_cards(world.office_a, OCT)
    a, a2 = card_of(cards, world.clerk_a), card_of(cards, world.clerk_a2)
    assert a.factors == {"attitude": 8, "skill": 7, "responsibility": 9, "hardware": 6, "management": 6,
                         "highlights": 2, "complaints": 0, "errors": 0}
    assert a.total == 38 and a2.total == 46
    assert (a2.rank, a.rank) == (1, 2)
    assert a.change == 38 - 5 and a2.change is None
    assert a.comments == {"attitude": "热情"}
    # A change keeps who, when, old and new.
    operations.save(world.office_a, OCT, world.admin, {world.clerk_a.id: {"attitude": 3}},
                    None, NOW.replace(hour=5))
    db.session.commit()
    last = db.session.scalars(select(ScoreChange).order_by(ScoreChange.id.desc())).first()
    assert (last.factor, last.old_value, last.new_value, last.changed_by_id) == ("attitude", 8, 3, world.admin.id)
    assert last.old_comment == "热情" and last.new_comment == "热情"  # the comment was not sent: it stays


@pytest.mark.parametrize(("rows", "hardware", "key"), [
    ({"attitude": 11}, None, "-attitude"),
    ({"skill": -1}, None, "-skill"),
    ({"skill": "x"}, None, "-skill"),
    ({"highlights": True}, None, "-highlights"),
    ({"attitude_comment": "x" * 501}, None, "-attitude_comment"),
    ({"charm": 5}, None, "-charm"),
    ({}, {"score": 12}, "hardware"),
])
def test_bad_scores_are_refused_and_nothing_is_saved(world, rows, hardware, key):
    from complaints.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        operations.save(world.office_a, OCT, world.sup_a, {world.clerk_a.id: {"attitude": 5, **rows}}, hardware, NOW)
    assert any(k.endswith(key) for k in exc.value.fields)
    db.session.rollback()
    assert db.session.scalar(select(Assessment)) is None


def test_only_a_supervisor_of_the_office_assesses_its_own_clerks(world):
    from complaints.errors import Forbidden, InvalidInput

    for user in (world.clerk_a, world.sup_b):
        with pytest.raises(Forbidden):
            operations.save(world.office_a, OCT, user, {world.clerk_a.id: {"attitude": 5}}, None, NOW)
    with pytest.raises(InvalidInput) as exc:
        operations.save(world.office_a, OCT, world.sup_a, {world.clerk_b.id: {"attitude": 5}}, None, NOW)
    assert f"clerk-{world.clerk_b.id}" in exc.value.fields


def test_one_page_costs_the_same_few_queries_for_3_or_15_clerks(world, app):
    from complaints.admin.operations import create_user

    def queries_for_page() -> int:
        db.session.expire_all()
        with statements() as seen:
            compute.office_cards(world.office_a, OCT)
        return len(seen)

    judged(world, "complaint", "high", clerk=world.clerk_a)
    small = queries_for_page()
    for i in range(13):
        clerk = create_user(f"more{i}@example.com", f"员工{i}", "clerk", ["SH-0101"], "long-enough-1")
        db.session.flush()
        judged(world, "error", "low", clerk=clerk)
    assert queries_for_page() == small <= 10  # clerks, assessments, hardware, negatives, voice, ...


def test_supervisor_pages_assess_grid_and_csv(world, login):
    judged(world, "complaint", "high", clerk=world.clerk_a)
    world.sup_a.locale = "en"  # English headers in the CSV
    db.session.commit()
    client = login(world.sup_a)
    page = client.get(f"/scorecards?office=SH-0101&month={OCT}")
    assert page.status_code == 200 and world.clerk_a.name in page.text and "-15" in page.text
    assert "not under the clerk" in page.text
    grid = client.get(f"/scorecards/assess?office=SH-0101&month={OCT}")
    assert grid.status_code == 200
    bad = client.post(f"/scorecards/assess?office=SH-0101&month={OCT}",
                      data={f"c{world.clerk_a.id}-attitude": "12", f"c{world.clerk_a.id}-skill": "7", "hw-score": "5"})
    assert bad.status_code == 422 and f'id="c{world.clerk_a.id}-attitude-error"' in bad.text
    assert 'value="12"' in bad.text and 'value="7"' in bad.text  # what was typed is kept
    ok = client.post(f"/scorecards/assess?office=SH-0101&month={OCT}",
                     data={f"c{world.clerk_a.id}-attitude": "9", f"c{world.clerk_a.id}-skill": "7", "hw-score": "5"})
    assert ok.status_code == 302
    history = client.get(f"/scorecards/assess?office=SH-0101&month={OCT}").text
    assert world.sup_a.name in history and "<td>9</td>" in history  # who changed what, shown
    resp = client.get(f"/scorecards/export.csv?office=SH-0101&month={OCT}")
    raw = resp.get_data()
    assert resp.status_code == 200 and raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "Office" and len(rows) == 3
    mine = next(r for r in rows if r[3] == world.clerk_a.email)
    assert mine[4:6] == ["9", "7"] and "-15" in mine


def test_csv_cells_that_look_like_formulas_are_neutralised(world, login):
    from complaints.admin.operations import create_user

    create_user("formula@example.com", "=HYPERLINK(\"x\")", "clerk", ["SH-0101"], "long-enough-1")
    db.session.commit()
    raw = login(world.sup_a).get(f"/scorecards/export.csv?office=SH-0101&month={OCT}").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in raw and ",=HYPERLINK" not in raw


def test_clerks_see_their_own_card_only(world, login):
    judged(world, "complaint", "high", clerk=world.clerk_a,
           follow={"contact": "reached", "expectation": 5, "perception": 2, "satisfied": True})
    client = login(world.clerk_a)
    assert client.get("/scorecards").headers["Location"].endswith(f"/scorecards/clerk/{world.clerk_a.id}")
    own = client.get(f"/scorecards/clerk/{world.clerk_a.id}?month={OCT}")
    assert own.status_code == 200 and "<svg" in own.text and "-3" in own.text  # the customer gap
    assert "C-2026-" in own.text  # the ticket behind the negative point
    assert client.get(f"/scorecards/clerk/{world.clerk_a2.id}?month={OCT}").status_code == 403
    assert client.get(f"/scorecards/assess?office=SH-0101&month={OCT}").status_code == 403
    assert client.get(f"/scorecards/export.csv?office=SH-0101&month={OCT}").status_code == 403
    other = login(world.sup_b)
    assert other.get(f"/scorecards?office=SH-0101&month={OCT}").status_code == 403
    assert other.get(f"/scorecards/clerk/{world.clerk_a.id}").status_code == 403


@pytest.mark.parametrize("month", ["2099-01", "2026-13", "26-10", "abc", "1999-12"])
def test_bad_months_are_refused_with_a_message(world, login, api, month):
    assert login(world.sup_a).get(f"/scorecards?office=SH-0101&month={month}").status_code == 422
    resp = api(world.sup_a).get(f"/scorecards?office=SH-0101&month={month}")
    assert resp.status_code == 422 and "month" in resp.get_json()["fields"]


def test_api_scorecards(world, api):
    judged(world, "complaint", "high", clerk=world.clerk_a)
    body = api(world.sup_a).get(f"/scorecards?month={OCT}&office=SH-0101").get_json()
    assert body["month"] == OCT and {c["clerk"] for c in body["clerks"]} == {world.clerk_a.email,
                                                                             world.clerk_a2.email}
    mine = next(c for c in body["clerks"] if c["clerk"] == world.clerk_a.email)
    assert set(mine["factors"]) == set(compute.FACTORS) and mine["factors"]["complaints"] == -15
    assert mine["total"] == -15 and mine["rank"] == 2
    assert [c["clerk"] for c in api(world.clerk_a).get(f"/scorecards?month={OCT}&office=SH-0101").get_json()[
        "clerks"]] == [world.clerk_a.email]
    assert api(world.sup_b).get(f"/scorecards?month={OCT}&office=SH-0101").status_code == 403
    assert api(world.sup_a).get(f"/scorecards?month={OCT}").status_code == 422
    assert api(world.sup_a).get(f"/scorecards?month={OCT}&office=XX").status_code == 404


def test_weights_page_is_for_admins(world, login):
    assert login(world.sup_a).get("/admin/scoring").status_code == 403
    client = login(world.admin)
    bad = client.post("/admin/scoring", data={"weight_low": "-1", "weight_medium": "2", "weight_high": "3",
                                              "weight_critical": "5", "complaint_penalty": "5", "error_penalty": "3"})
    assert bad.status_code == 422 and 'id="weight_low-error"' in bad.text
    ok = client.post("/admin/scoring", data={"weight_low": "2", "weight_medium": "2", "weight_high": "3",
                                             "weight_critical": "5", "complaint_penalty": "5", "error_penalty": "3"})
    assert ok.status_code == 302


# -- Root causes: on each negative point, and the office's month by root cause ---------------

def _row(html: str, cause: str) -> str:
    """The office page's summary row of one root cause."""
    import re

    match = re.search(rf'<tr id="cause-{cause}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {cause}"
    return match.group(1)


def _cells(row: str) -> list[str]:
    import re

    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_each_negative_point_on_the_clerks_card_shows_its_root_cause(world, login):
    rude = judged(world, "complaint", "high", clerk=world.clerk_a, cause="attitude")
    slip = judged(world, "error", "low", clerk=world.clerk_a, cause="skill")
    late = judged(world, "complaint", "medium", clerk=world.clerk_a, cause="responsibility")
    world.clerk_a.locale = "en"
    db.session.commit()
    page = login(world.clerk_a).get(f"/scorecards/clerk/{world.clerk_a.id}?month={OCT}")
    assert page.status_code == 200
    items = {t.ref: next(li for li in page.text.split("<li>") if f">{t.ref}</a>" in li) for t in (rude, slip, late)}
    assert "Root cause: Attitude" in items[rude.ref]
    assert "Root cause: Skill" in items[slip.ref]
    assert "Root cause: Responsibility" in items[late.ref]
    # The points themselves are as before: 3 x 5 + 2 x 5 for complaints, 1 x 3 for errors.
    card = card_of(compute.office_cards(world.office_a, OCT), world.clerk_a)
    assert (card.factors["complaints"], card.factors["errors"]) == (-25, -3)


def test_office_page_shows_the_months_negatives_by_root_cause_hardware_included(world, login, api):
    a1 = judged(world, "complaint", "high", clerk=world.clerk_a, cause="attitude")  # 3
    a2 = judged(world, "error", "low", clerk=world.clerk_a2, cause="attitude")  # 1
    sk = judged(world, "complaint", "medium", clerk=world.clerk_a, cause="skill")  # 2
    hw = judged(world, "complaint", "critical", cause="hardware")  # 5, nobody's fault
    mg = judged(world, "error", "medium", cause="management", occurred="2026-10-31T23:30:00+08:00")  # 2, unattributed
    not_counted = [
        judged(world, "complaint", "critical", finding="unfounded"),
        judged(world, "complaint", "critical", clerk=world.clerk_b, office="SH-0102"),  # another office
        judged(world, "complaint", "critical", cause="hardware", office="SH-0102"),
        judged(world, "complaint", "critical", clerk=world.clerk_a, occurred="2026-09-30T23:30:00+08:00"),
        judged(world, "complaint", "critical", cause="hardware", occurred="2026-11-01T00:10:00+08:00"),
    ]
    world.sup_a.locale = "en"
    db.session.commit()
    page = login(world.sup_a).get(f"/scorecards?office=SH-0101&month={OCT}")
    assert page.status_code == 200 and "Negatives by root cause" in page.text
    assert "whether attributed to a clerk or not" in page.text
    attitude, skill, hardware = _row(page.text, "attitude"), _row(page.text, "skill"), _row(page.text, "hardware")
    assert "Attitude" in attitude and _cells(attitude)[:2] == ["2", "4"]
    assert _cells(skill)[:2] == ["1", "2"]
    assert _cells(hardware)[:2] == ["1", "5"]
    assert _cells(_row(page.text, "management"))[:2] == ["1", "2"]
    assert _cells(_row(page.text, "responsibility"))[:2] == ["0", "0"]
    assert "cause-unrecorded" not in page.text  # every ticket here was judged with a root cause
    # Each row links to the tickets behind it, with the clerk at fault or none.
    for row, tickets in ((attitude, (a1, a2)), (skill, (sk,)), (hardware, (hw,))):
        assert "<details>" in row
        for t in tickets:
            assert f'href="/tickets/{t.ref}"' in row
    assert world.clerk_a.name in attitude and world.clerk_a2.name in attitude
    assert "no clerk at fault" in hardware and world.clerk_a.name not in hardware
    assert mg.ref in _row(page.text, "management")
    for t in not_counted:
        assert t.ref not in page.text
    # Hardware is on the office's summary, on no clerk's card.
    cards = compute.office_cards(world.office_a, OCT)
    assert sum(c.complaint_points + c.error_points for c in cards) == 3 + 1 + 2
    # The API gives the same summary to the office's supervisors, not to clerks.
    body = api(world.sup_a).get(f"/scorecards?month={OCT}&office=SH-0101").get_json()
    assert body["negatives_by_root_cause"] == {
        "attitude": {"tickets": 2, "points": 4}, "skill": {"tickets": 1, "points": 2},
        "responsibility": {"tickets": 0, "points": 0}, "hardware": {"tickets": 1, "points": 5},
        "management": {"tickets": 1, "points": 2}}
    assert "negatives_by_root_cause" not in api(world.clerk_a).get(
        f"/scorecards?month={OCT}&office=SH-0101").get_json()


def test_a_reopened_ticket_leaves_the_root_cause_summary_at_once(world, login):
    t = judged(world, "complaint", "critical", cause="hardware")
    u = judged(world, "complaint", "high", clerk=world.clerk_a, cause="attitude")
    world.sup_a.locale = "en"
    db.session.commit()
    client = login(world.sup_a)
    page = client.get(f"/scorecards?office=SH-0101&month={OCT}").text
    assert _cells(_row(page, "hardware"))[:2] == ["1", "5"] and t.ref in page
    for ticket in (t, u):
        fire_event(ticket, world.sup_a, "reopen", {"reason": "复查"}, version=ticket.version, now=NOW)
    db.session.commit()
    page = client.get(f"/scorecards?office=SH-0101&month={OCT}").text
    assert _cells(_row(page, "hardware"))[:2] == ["0", "0"]
    assert _cells(_row(page, "attitude"))[:2] == ["0", "0"]
    assert t.ref not in page and u.ref not in page
    # Judged again with another root cause, it counts under that one.
    fire_event(t, world.sup_a, "resolve",
               {"outcome": "已处理，感谢您的反馈。",
                "resolution": "复查", "finding": "substantiated", "root_cause": "management"},
               version=t.version, now=NOW)
    db.session.commit()
    page = client.get(f"/scorecards?office=SH-0101&month={OCT}").text
    assert _cells(_row(page, "management"))[:2] == ["1", "5"] and _cells(_row(page, "hardware"))[:2] == ["0", "0"]


def test_the_root_cause_summary_costs_the_same_queries_for_1_or_12_tickets(world):
    def queries() -> int:
        db.session.expire_all()
        with statements() as seen:
            compute.by_root_cause(world.office_a, OCT, with_tickets=True)
        return len(seen)

    judged(world, "complaint", "high", clerk=world.clerk_a)
    few = queries()
    for cause in ("skill", "responsibility", "hardware", "management") * 3:
        judged(world, "error", "low", clerk=None if cause == "hardware" else world.clerk_a2, cause=cause)
    assert queries() == few <= 4  # the expired office, the weights, the grouped summary, the references


def test_tickets_judged_before_root_causes_show_as_not_recorded(world, login, api):
    t = judged(world, "complaint", "high", clerk=world.clerk_a)
    t.root_cause = None  # as the migration leaves a ticket whose old category was no root cause
    world.sup_a.locale = "en"
    db.session.commit()
    page = login(world.sup_a).get(f"/scorecards?office=SH-0101&month={OCT}").text
    row = _row(page, "unrecorded")
    assert "Not recorded" in row and _cells(row)[:2] == ["1", "3"] and t.ref in row
    body = api(world.sup_a).get(f"/scorecards?month={OCT}&office=SH-0101").get_json()
    assert body["negatives_by_root_cause"]["unrecorded"] == {"tickets": 1, "points": 3}
