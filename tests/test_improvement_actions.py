"""Improvement actions (issue 14 item 5): recorded on a clerk's card by a supervisor of the office,
reviewed at a later month against the factor before and the tickets with that root cause."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, literal, select

from complaints import clock, create_app
from complaints.errors import Conflict, Forbidden, InvalidInput
from complaints.extensions import db
from complaints.improvement import operations as ops
from complaints.improvement import results
from complaints.models import ImprovementAction, Office
from complaints.scorecards import operations as scoring
from complaints.tickets.operations import fire_event, log_ticket
from tests.conftest import PASSWORD, complaint_body, statements

NOV = datetime(2026, 11, 24, 4, tzinfo=UTC)  # Tuesday noon in Shanghai: this month is 2026-11
DEC = datetime(2026, 12, 10, 4, tzinfo=UTC)
JAN = datetime(2027, 1, 20, 4, tzinfo=UTC)
FEB = datetime(2027, 2, 5, 4, tzinfo=UTC)


def at(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: when)


def judged(world, occurred: str, cause: str, kind: str = "complaint", severity: str = "medium", clerk=None,
           now: datetime = NOV):
    """A substantiated ticket against the clerk (clerk_a by default), through the real operations."""
    t = log_ticket(world.clerk_a, complaint_body(kind=kind, occurred_at=occurred), now=now)
    fire_event(t, world.sup_a, "triage", {"severity": severity, "category": "counter", "assignee": world.sup_a.email},
               version=t.version, now=now)
    fire_event(t, world.sup_a, "resolve", {"outcome": "已处理，感谢您的反馈。", "resolution": "处理完毕",
                                           "finding": "substantiated", "root_cause": cause,
                                           "attributed_clerk": (clerk or world.clerk_a).email},
               version=t.version, now=now)
    db.session.commit()
    return t


def form(**over) -> dict[str, str]:
    data = {"action-factor": "attitude", "action-action": "coaching",
            "action-description": "一对一辅导：首问负责、微笑服务", "action-review_month": "2027-01"}
    data.update(over)
    return data


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(ImprovementAction))


@pytest.fixture
def csrf_app(database_url: str, app: Flask):
    """The same database, with CSRF protection on as in production."""
    other = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page)
    assert match, f"no {name} on the page"
    return match.group(1)


@pytest.fixture(autouse=True)
def english(world) -> None:
    """The pages in English, for the messages checked below."""
    for user in world.users().values():
        user.locale = "en"
    db.session.commit()


# -- the web form ---------------------------------------------------------------------------------

def test_a_supervisor_records_an_action_through_the_form_with_its_csrf_token(csrf_app, world, monkeypatch):
    at(monkeypatch, NOV)
    client = csrf_app.test_client()
    token = _hidden(client.get("/login").text, "csrf_token")
    assert client.post("/login", data={"email": world.sup_a.email, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    card = client.get(f"/scorecards/clerk/{world.clerk_a.id}").text
    assert "Record an improvement action" in card
    # Without the token: refused, nothing saved.
    assert client.post(f"/scorecards/clerk/{world.clerk_a.id}/actions", data=form()).status_code == 400
    resp = client.post(f"/scorecards/clerk/{world.clerk_a.id}/actions",
                       data=form(**{"action-csrf_token": _hidden(card, "action-csrf_token")}))
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/scorecards/clerk/{world.clerk_a.id}#actions")
    with csrf_app.app_context():
        row = db.session.scalars(select(ImprovementAction)).one()
        assert (row.clerk_id, row.office_id, row.factor, row.action, row.start_month, row.review_month,
                row.created_by_id) == (world.clerk_a.id, world.office_a.id, "attitude", "coaching", "2026-11",
                                       "2027-01", world.sup_a.id)
        assert row.description == "一对一辅导：首问负责、微笑服务"
    page = client.get(f"/scorecards/clerk/{world.clerk_a.id}").text
    assert "Improvement action recorded: review in 2027-01." in page
    assert "一对一辅导" in page and "Coaching" in page and "Open until the review month" in page


def test_clerks_and_supervisors_of_another_office_are_refused(world, login, monkeypatch):
    at(monkeypatch, NOV)
    for user in (world.clerk_a, world.sup_b, world.clerk_b):
        resp = login(user).post(f"/scorecards/clerk/{world.clerk_a.id}/actions", data=form())
        assert resp.status_code == 403, user.email
    assert count() == 0
    # The clerk sees their card, with no form.
    page = login(world.clerk_a).get(f"/scorecards/clerk/{world.clerk_a.id}").text
    assert "Improvement actions" in page and "Record an improvement action" not in page
    # The domain operation says the same.
    for user in (world.clerk_a, world.sup_b):
        with pytest.raises(Forbidden):
            ops.record_action(user, world.clerk_a, "attitude", "training", "x", "2027-01", NOV)
    # A supervisor cannot record for someone who is not a clerk.
    assert login(world.sup_a).post(f"/scorecards/clerk/{world.sup_a.id}/actions", data=form()).status_code == 404
    assert count() == 0


@pytest.mark.parametrize(("over", "field", "message"), [
    ({"action-review_month": "2026-11"}, "review_month", "Must be after this month (2026-11)."),
    ({"action-review_month": "2026-10"}, "review_month", "Must be after this month (2026-11)."),
    ({"action-review_month": "2027-12"}, "review_month", "At most 12 months ahead."),
    ({"action-review_month": "2027-13"}, "review_month", "Must be a month such as 2026-11."),
    ({"action-review_month": ""}, "review_month", "Must be a month such as 2026-11."),
    ({"action-factor": "hardware"}, "factor", "Hardware is scored per office"),
    ({"action-factor": "charm"}, "factor", "Choose one of the factors."),
    ({"action-action": "shouting"}, "action", "Choose one of the kinds of action."),
    ({"action-description": "  "}, "description", "Say what was done."),
    ({"action-description": "x" * 501}, "description", "At most 500 characters of text."),
])
def test_bad_input_gives_a_message_and_saves_nothing(world, login, monkeypatch, over, field, message):
    at(monkeypatch, NOV)
    resp = login(world.sup_a).post(f"/scorecards/clerk/{world.clerk_a.id}/actions", data=form(**over))
    assert resp.status_code == 422
    page = resp.text
    assert "nothing was saved" in page
    assert f'id="action-{field}-error"' in page and message.replace("'", "&#39;") in page
    assert count() == 0


def test_twelve_months_ahead_is_the_limit(world):
    row = ops.record_action(world.sup_a, world.clerk_a, "skill", "training", "岗位练兵", "2027-11", NOV)
    assert (row.start_month, row.review_month) == ("2026-11", "2027-11")


# -- results ------------------------------------------------------------------------------------

def _history(world) -> None:
    """October (the month before the actions): attitude 4; three complaints and one error with the root
    cause attitude, one complaint with skill. January (the review month): attitude 8; one complaint with
    attitude. A complaint of another clerk and an unfounded-free month in between show nothing."""
    scoring.save(world.office_a, "2026-10", world.sup_a, {world.clerk_a.id: {"attitude": 4, "skill": 6}}, None, NOV)
    scoring.save(world.office_a, "2027-01", world.sup_a, {world.clerk_a.id: {"attitude": 8, "skill": 6}}, None, FEB)
    db.session.commit()
    for day in ("03", "12", "28"):
        judged(world, f"2026-10-{day}T10:00:00+08:00", "attitude")  # medium: 2 points each
    judged(world, "2026-10-15T10:00:00+08:00", "attitude", kind="error")
    judged(world, "2026-10-16T10:00:00+08:00", "skill", severity="high")  # 3 points
    judged(world, "2026-10-17T10:00:00+08:00", "attitude", clerk=world.clerk_a2)  # someone else's
    judged(world, "2026-12-05T10:00:00+08:00", "attitude", now=DEC)  # between: neither before nor at review
    judged(world, "2027-01-09T10:00:00+08:00", "attitude", now=FEB)


def test_the_result_at_the_review_month_compares_the_month_before_with_the_review_month(world, monkeypatch):
    attitude = ops.record_action(world.sup_a, world.clerk_a, "attitude", "coaching", "辅导", "2027-01", NOV)
    complaints = ops.record_action(world.sup_a, world.clerk_a, "complaints", "training", "服务规范培训", "2027-01", NOV)
    highlights = ops.record_action(world.sup_a, world.clerk_a, "highlights", "other", "争创服务明星", "2027-01", NOV)
    db.session.commit()
    _history(world)

    r = results.result_of(attitude, FEB)
    assert (r.status, r.before_month, r.before, r.after) == ("reviewed", "2026-10", 4, 8)
    assert (r.tickets_before, r.tickets_after) == (4, 1)  # 3 complaints + 1 error with attitude; then 1
    assert r.improved is True and r.fell is True

    c = results.result_of(complaints, FEB)
    # The factor itself: October 3 medium + 1 high complaint = 9 points x 5; January 1 medium = 2 x 5.
    assert (c.before, c.after) == (-45, -10)
    assert (c.tickets_before, c.tickets_after) == (4, 1)  # every complaint of the clerk, the error not
    assert c.improved is True and c.fell is True

    h = results.result_of(highlights, FEB)
    assert (h.before, h.after, h.tickets_before, h.fell, h.improved) == (0, 0, None, None, False)

    # Before the review month: open, only the baseline; during it: due, the result so far.
    assert (results.result_of(attitude, DEC).status, results.result_of(attitude, DEC).after) == ("open", None)
    assert results.result_of(attitude, DEC).improved is None
    due = results.result_of(attitude, JAN)
    assert (due.status, due.after, due.tickets_after) == ("due", 8, 1)


def test_a_month_not_assessed_shows_as_such_not_as_zero(world):
    row = ops.record_action(world.sup_a, world.clerk_a, "skill", "training", "业务培训", "2027-01", NOV)
    db.session.commit()
    r = results.result_of(row, FEB)
    assert (r.before, r.after, r.improved) == (None, None, None)
    assert (r.tickets_before, r.tickets_after, r.fell) == (0, 0, False)


def test_the_card_at_the_review_month_shows_before_after_and_whether_they_fell(world, login, monkeypatch):
    at(monkeypatch, NOV)
    assert login(world.sup_a).post(f"/scorecards/clerk/{world.clerk_a.id}/actions",
                                   data=form()).status_code == 302
    _history(world)
    at(monkeypatch, FEB)
    page = login(world.clerk_a).get(f"/scorecards/clerk/{world.clerk_a.id}?month=2027-01").text
    block = page[page.index('id="actions"'):]
    row = block[block.index('<tr id="action-'):block.index("</tr>", block.index('<tr id="action-'))]
    assert "review-now" in row and "Reviewed" in row
    assert re.search(r"2026-10: 4\s*→\s*8\s*<strong class=\"better\">improved", row)
    assert re.search(r"4 →\s*1\s*<strong class=\"better\">fell", row)
    # The office page lists it while recently reviewed, with the same result.
    office = login(world.sup_a).get("/scorecards?office=SH-0101").text
    listed = office[office.index('id="actions"'):]
    assert world.clerk_a.name in listed and "2026-10: 4" in listed and "fell" in listed


def test_the_office_page_lists_open_actions_and_not_other_offices(world, login, monkeypatch):
    ops.record_action(world.sup_a, world.clerk_a, "skill", "training", "岗位练兵", "2027-02", NOV)
    ops.record_action(world.sup_b, world.clerk_b, "attitude", "coaching", "静安的辅导", "2027-02", NOV)
    db.session.commit()
    at(monkeypatch, DEC)
    page = login(world.sup_a).get("/scorecards?office=SH-0101").text
    listed = page[page.index('id="actions"'):]
    assert "岗位练兵" in listed and "Open until the review month" in listed and "not yet" in listed
    assert "静安的辅导" not in page


def test_actions_for_offices_takes_a_select_of_office_ids_and_a_fixed_number_of_queries(world):
    for clerk, sup in ((world.clerk_a, world.sup_a), (world.clerk_a2, world.sup_a), (world.clerk_b, world.sup_b)):
        for factor in ("attitude", "skill", "errors"):
            ops.record_action(sup, clerk, factor, "training", "培训", "2027-01", NOV)
    db.session.commit()
    b_id = world.office_b.id
    db.session.expire_all()
    with statements() as few:
        assert len(results.actions_for_offices(select(literal(b_id)), FEB)) == 3
    db.session.expire_all()
    with statements() as seen:
        both = results.actions_for_offices(select(Office.id), FEB)
    assert len(both) == 9 and {r.status for r in both} == {"reviewed"}
    assert len(seen) == len(few), seen  # per distinct month and time zone, not per action or clerk
    only_a = results.actions_for_offices(select(literal(world.office_a.id)), FEB)
    assert {r.clerk.id for r in only_a} == {world.clerk_a.id, world.clerk_a2.id}
    # Long reviewed actions drop off the pages (the API still lists them).
    assert results.actions_for_offices(select(Office.id), datetime(2027, 6, 1, tzinfo=UTC)) == []


def test_withdrawing_a_mistaken_entry(world, login, monkeypatch):
    row = ops.record_action(world.sup_a, world.clerk_a, "skill", "training", "录错了", "2027-01", NOV)
    db.session.commit()
    at(monkeypatch, DEC)
    assert login(world.sup_b).post(f"/scorecards/actions/{row.id}/withdraw").status_code == 403
    assert login(world.clerk_a).post(f"/scorecards/actions/{row.id}/withdraw").status_code == 403
    assert count() == 1
    resp = login(world.sup_a).post(f"/scorecards/actions/{row.id}/withdraw")
    assert resp.status_code == 302 and count() == 0
    # Once reviewed, a result stays.
    kept = ops.record_action(world.sup_a, world.clerk_a, "skill", "training", "保留", "2027-01", NOV)
    db.session.commit()
    with pytest.raises(Conflict):
        ops.withdraw_action(world.sup_a, kept.id, FEB)
    at(monkeypatch, FEB)
    assert login(world.sup_a).post(f"/scorecards/actions/{kept.id}/withdraw").status_code == 409
    assert count() == 1


# -- the API ------------------------------------------------------------------------------------

def body(**over) -> dict:
    data = {"clerk": "clerk.a@example.com", "factor": "skill", "action": "training",
            "description": "汇兑业务培训", "review_month": "2027-01"}
    data.update(over)
    return data


def test_api_create_and_list(world, api, monkeypatch):
    at(monkeypatch, NOV)
    resp = api(world.sup_a).post("/improvement-actions", json=body())
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    assert {k: created[k] for k in ("clerk", "office", "factor", "action", "start_month", "review_month",
                                    "created_by", "status")} == {
        "clerk": "clerk.a@example.com", "office": "SH-0101", "factor": "skill", "action": "training",
        "start_month": "2026-11", "review_month": "2027-01", "created_by": "sup.a@example.com", "status": "open"}
    assert created["before"] == {"month": "2026-10", "value": None, "tickets": 0} and created["after"] is None
    assert api(world.admin).post("/improvement-actions",
                                 json=body(clerk="clerk.a2@example.com", factor="errors")).status_code == 201

    listed = api(world.sup_a).get("/improvement-actions?office=SH-0101").get_json()
    assert listed["office"] == "SH-0101" and len(listed["actions"]) == 2
    one = api(world.sup_a).get("/improvement-actions?office=SH-0101&clerk=clerk.a2@example.com").get_json()
    assert [a["factor"] for a in one["actions"]] == ["errors"]
    # A clerk sees their own actions only.
    mine = api(world.clerk_a).get("/improvement-actions?office=SH-0101").get_json()
    assert [a["clerk"] for a in mine["actions"]] == ["clerk.a@example.com"]
    assert api(world.clerk_a).get("/improvement-actions?office=SH-0101&clerk=clerk.a2@example.com").status_code == 403

    at(monkeypatch, FEB)  # (the tokens, issued today, last 90 days)
    scoring.save(world.office_a, "2026-10", world.sup_a, {world.clerk_a.id: {"skill": 5}}, None, NOV)
    scoring.save(world.office_a, "2027-01", world.sup_a, {world.clerk_a.id: {"skill": 7}}, None, FEB)
    db.session.commit()
    reviewed = api(world.sup_a).get("/improvement-actions?office=SH-0101&clerk=clerk.a@example.com").get_json()
    got = reviewed["actions"][0]
    assert (got["status"], got["before"]["value"], got["after"], got["improved"], got["fell"]) == (
        "reviewed", 5, {"month": "2027-01", "value": 7, "tickets": 0}, True, False)


def test_api_scope_and_errors(world, api, monkeypatch):
    at(monkeypatch, NOV)
    for user in (world.clerk_a, world.sup_b, world.clerk_b):
        resp = api(user).post("/improvement-actions", json=body())
        assert resp.status_code == 403 and resp.get_json()["error"], user.email
    for user in (world.sup_b, world.clerk_b):
        assert api(user).get("/improvement-actions?office=SH-0101").status_code == 403
    sup = api(world.sup_a)
    assert sup.get("/improvement-actions").status_code == 422
    assert sup.get("/improvement-actions?office=NOPE").status_code == 404
    assert sup.get("/improvement-actions?office=SH-0101&clerk=clerk.b@example.com").status_code == 404
    bad = sup.post("/improvement-actions", json=body(review_month="2026-11", factor="hardware", extra=1))
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"extra"}
    bad = sup.post("/improvement-actions", json=body(review_month="2026-11", factor="hardware", description=""))
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"review_month", "factor", "description"}
    assert sup.post("/improvement-actions", json=body(clerk="sup.a@example.com")).get_json()["fields"] == {
        "clerk": "Unknown clerk."}
    assert sup.post("/improvement-actions", json=["x"]).status_code == 422
    assert count() == 0


def test_invalid_input_is_refused_whole(world):
    with pytest.raises(InvalidInput) as exc:
        ops.record_action(world.sup_a, world.clerk_a, "attitude", "training", "x\x07", "2027-01", NOV)
    assert set(exc.value.fields) == {"description"}
    db.session.rollback()
    assert count() == 0
