"""The command line: offices create, users create, users token, seed-demo.

Commands run through Flask's CLI runner against the test app, and their effects are
checked the way people would meet them: signing in, calling the API, reading tickets.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from complaints.domain import Kind, Role, State
from complaints.extensions import db
from complaints.models import ApiToken, Office, Ticket, User
from tests.conftest import PASSWORD


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _signs_in(client, email: str, password: str) -> bool:
    client.post("/logout")
    return client.post("/login", data={"email": email, "password": password}).status_code == 302


# offices create

def test_offices_create(runner):
    result = runner.invoke(args=["offices", "create", "sh-0301", "上海浦东营业部"])
    assert result.exit_code == 0, result.output
    assert "SH-0301" in result.output
    office = db.session.scalar(select(Office).where(Office.code == "SH-0301"))
    assert office.name == "上海浦东营业部" and office.timezone == "Asia/Shanghai" and office.active

    result = runner.invoke(args=["offices", "create", "BJ-0201", "北京朝阳营业部", "--timezone", "Asia/Urumqi"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Office.timezone).where(Office.code == "BJ-0201")) == "Asia/Urumqi"


@pytest.mark.parametrize(("args", "field"), [
    (["SH-0301", "重复"], "code"),                       # the code exists already
    (["x", "太短的代码"], "code"),
    (["SH 0302", "有空格"], "code"),
    (["SH-0303", "   "], "name"),
    (["SH-0304", "时区错误", "--timezone", "Mars/Olympus"], "timezone"),
])
def test_offices_create_refuses_bad_input(runner, args, field):
    assert runner.invoke(args=["offices", "create", "SH-0301", "上海浦东营业部"]).exit_code == 0
    result = runner.invoke(args=["offices", "create", *args])
    assert result.exit_code != 0
    assert "Error:" in result.output and f"{field}:" in result.output, result.output
    assert _count(Office) == 1  # nothing written


# users create

def test_users_create_each_role_and_sign_in(runner, client):
    for code in ("SH-0101", "SH-0102"):
        assert runner.invoke(args=["offices", "create", code, f"营业部 {code}"]).exit_code == 0
    cases = [
        (["clerk.new@example.com", "--role", "clerk", "--office", "SH-0101", "--name", "王芳"],
         Role.CLERK, {"SH-0101"}),
        (["Sup.New@Example.com", "--role", "supervisor", "--office", "SH-0101", "--office", "sh-0102"],
         Role.SUPERVISOR, {"SH-0101", "SH-0102"}),
        (["root@example.com", "--role", "admin"], Role.ADMIN, set()),
    ]
    for args, role, offices in cases:
        result = runner.invoke(args=["users", "create", *args, "--password", PASSWORD])
        assert result.exit_code == 0, result.output
        email = args[0].lower()
        assert f"created {role.value} {email}" in result.output
        user = _user(email)
        assert user.role == role and user.active
        assert {o.code for o in user.offices} == offices
        assert user.password_hash != PASSWORD  # hashed, never stored as typed
        assert _signs_in(client, email, PASSWORD)
        assert not _signs_in(client, email, "wrong-password-1")
    assert _user("clerk.new@example.com").name == "王芳"
    assert _user("root@example.com").name == "root"  # default: the part before @


def test_users_create_prompts_for_the_password_twice(runner, client):
    result = runner.invoke(args=["users", "create", "boss@example.com", "--role", "admin"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert _signs_in(client, "boss@example.com", PASSWORD)


@pytest.mark.parametrize(("args", "message"), [
    (["c1@example.com", "--role", "clerk", "--password", PASSWORD], "offices:"),
    (["c2@example.com", "--role", "clerk", "--office", "SH-0101", "--office", "SH-0102",
      "--password", PASSWORD], "offices:"),
    (["c3@example.com", "--role", "clerk", "--office", "XX-9999", "--password", PASSWORD], "XX-9999"),
    (["s1@example.com", "--role", "supervisor", "--password", PASSWORD], "offices:"),
    (["c4@example.com", "--role", "clerk", "--office", "SH-0101", "--password", "short"], "password:"),
    (["not-an-email", "--role", "clerk", "--office", "SH-0101", "--password", PASSWORD], "email:"),
    (["taken@example.com", "--role", "admin", "--password", PASSWORD], "email:"),
    (["c5@example.com", "--role", "janitor", "--office", "SH-0101", "--password", PASSWORD], "--role"),
    (["c6@example.com", "--office", "SH-0101", "--password", PASSWORD], "--role"),
])
def test_users_create_refuses_bad_input(runner, args, message):
    for code in ("SH-0101", "SH-0102"):
        assert runner.invoke(args=["offices", "create", code, f"营业部 {code}"]).exit_code == 0
    assert runner.invoke(args=["users", "create", "taken@example.com", "--role", "clerk",
                               "--office", "SH-0101", "--password", PASSWORD]).exit_code == 0
    before = _count(User)
    result = runner.invoke(args=["users", "create", *args])
    assert result.exit_code != 0
    assert "Error" in result.output and message in result.output, result.output
    assert _count(User) == before  # nothing written
    if "@" in args[0] and args[0] != "taken@example.com":
        assert _user(args[0]) is None
    assert _user("taken@example.com").role == Role.CLERK  # the existing user is untouched


# users token

def test_users_token_authenticates_the_api(runner, client, world):
    result = runner.invoke(args=["users", "token", world.sup_a.email])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert len(token) >= 32 and " " not in token
    # Only the hash is kept.
    assert db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token)) is None

    resp = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.json
    resp = client.post("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}, json={
        "kind": "error", "channel": "counter", "office": "SH-0101", "description": "邮资计算错误。",
        "occurred_at": "2026-11-20T09:30:00+08:00"})
    assert resp.status_code == 201, resp.json
    assert resp.json["history"][0]["actor"] in (world.sup_a.email, world.sup_a.name)

    # A second token is a new one; both work. A made-up one does not.
    second = runner.invoke(args=["users", "token", world.sup_a.email]).output.strip()
    assert second != token
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}x"}).status_code == 401


def test_users_token_for_unknown_email_fails(runner, world):
    before = _count(ApiToken)
    result = runner.invoke(args=["users", "token", "nobody@example.com"])
    assert result.exit_code != 0
    assert "Error" in result.output
    assert _count(ApiToken) == before


# seed-demo

@pytest.fixture
def demo(runner):
    started = datetime.now(UTC)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return started, result.output


def test_seed_demo_people_and_offices(demo, client):
    _started, output = demo
    offices = db.session.scalars(select(Office)).all()
    assert len(offices) == 3
    users = db.session.scalars(select(User)).all()
    admins = [u for u in users if u.role == Role.ADMIN]
    assert len(admins) == 1
    for office in offices:
        staff = [u for u in users if office in u.offices]
        assert sum(u.role == Role.CLERK for u in staff) >= 2, office.code
        assert sum(u.role == Role.SUPERVISOR for u in staff) >= 1, office.code
    # The demo accounts sign in with the password the command prints.
    password = output.rsplit(" ", 1)[-1].strip()
    supervisor = next(u for u in users if u.role == Role.SUPERVISOR)
    assert _signs_in(client, admins[0].email, password)
    assert _signs_in(client, supervisor.email, password)


def test_seed_demo_tickets_cover_the_workflow_over_three_months(demo):
    started, _output = demo
    tickets = db.session.scalars(
        select(Ticket).options(selectinload(Ticket.events), selectinload(Ticket.logged_by))
    ).all()
    assert 150 <= len(tickets) <= 250
    assert {t.state for t in tickets} == set(State)  # every state of the workflow
    assert len({t.ref for t in tickets}) == len(tickets)

    done = datetime.now(UTC)
    created = [t.created_at for t in tickets]
    assert min(created) >= started - timedelta(days=92)
    assert max(created) <= done
    # Spread over the three months, not bunched up.
    for month in range(3):
        lo, hi = started - timedelta(days=30 * (month + 1)), started - timedelta(days=30 * month)
        assert sum(lo <= c < hi for c in created) >= 20, month

    for t in tickets:
        # The history chains: log from nothing to new, each event starts where the last ended.
        events = t.events
        assert [e.seq for e in events] == list(range(1, len(events) + 1)), t.ref
        assert events[0].event == "log" and events[0].from_state is None and events[0].to_state == State.NEW
        for prev, nxt in zip(events, events[1:], strict=False):
            assert nxt.from_state == prev.to_state, t.ref
            assert nxt.at >= prev.at, t.ref
        assert events[-1].to_state == t.state, t.ref
        assert t.version == len(events), t.ref
        assert t.occurred_at <= t.created_at + timedelta(minutes=1), t.ref
        assert t.office in t.logged_by.offices or t.logged_by.role == Role.ADMIN, t.ref


def test_seed_demo_is_a_realistic_case_file(demo):
    import re

    from complaints.domain import COMPENSABLE, Channel, CompensationStatus, Finding, Verdict
    from complaints.models import Compensation
    from complaints.tickets.compensation import cap

    offices = db.session.scalars(select(Office)).all()
    assert all(o.phone and re.fullmatch(r"0\d{2,3}-\d{7,8}", o.phone) and o.address for o in offices)
    tickets = db.session.scalars(select(Ticket).options(selectinload(Ticket.compensation))).all()
    done = [t for t in tickets if t.state in (State.RESOLVED, State.CLOSED) and t.kind != Kind.COMMENDATION]
    assert done and all(t.outcome and t.outcome != t.resolution for t in done)
    # Substantiated delay, loss and damage carry their compensation, in its several stages.
    owed = [t for t in done if t.finding == Finding.SUBSTANTIATED and t.category in COMPENSABLE]
    assert owed and all(t.compensation is not None for t in owed)
    comps = db.session.scalars(select(Compensation)).all()
    statuses = {c.status for c in comps}
    assert {CompensationStatus.APPROVED, CompensationStatus.PAID} <= statuses
    assert all(c.paid_on and c.payment_ref for c in comps if c.status == CompensationStatus.PAID)
    above = [c for c in comps if c.offered > cap()]
    assert len(above) == 1 and above[0].approved_by.role == Role.ADMIN
    # Appeals the regulator forwarded: case numbers, deadlines, a reply when resolved, one linked, one verdict.
    appeals = [t for t in tickets if t.channel == Channel.REGULATOR]
    assert 2 <= len(appeals) <= 3
    assert all(re.fullmatch(r"[A-Z]{2}\d{4}-12305-\d{6}", t.regulator_case) and t.regulator_due for t in appeals)
    assert all(t.regulator_reply and t.regulator_replied_on for t in appeals if t.resolved_at)
    linked = [t for t in appeals if t.appeal_of is not None]
    assert len(linked) == 1 and linked[0].appeal_of.customer_phone == linked[0].customer_phone
    assert linked[0].appeal_of.created_at < linked[0].created_at
    assert [t.verdict for t in appeals if t.verdict] == [Verdict.VALID]
    # Customers who agreed to messages, some with an email; nobody gets one without consent.
    with_phone = [t for t in tickets if t.customer_phone]
    assert 0.4 * len(with_phone) < sum(t.customer_consent for t in with_phone) < len(with_phone)
    assert any(t.customer_email for t in tickets)
    assert all(t.customer_consent for t in tickets if t.customer_email)
    # Customers' commendations of clerks (表扬): mostly verified, naming the clerk praised.
    praised = [t for t in tickets if t.kind == Kind.COMMENDATION]
    assert praised and all(t.ref.startswith("P-") for t in praised)
    assert {t.state for t in praised} == {State.NEW, State.CLOSED, State.REJECTED}
    assert all(t.attributed_clerk.role == Role.CLERK for t in praised if t.state == State.CLOSED)


def test_seed_demo_refuses_to_load_twice(demo, runner):
    counts = (_count(Office), _count(User), _count(Ticket))
    result = runner.invoke(args=["seed-demo"])
    assert "not loaded" in result.output, result.output
    assert (_count(Office), _count(User), _count(Ticket)) == counts


# files check

def _attach_photo(ticket, clerk):
    import io

    from PIL import Image

    from complaints.files.operations import attach

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    buf.seek(0)
    att = attach(ticket, clerk, buf, "photo.png", now=datetime.now(UTC))
    db.session.commit()
    return att


def test_files_check_clean(runner, world, make_ticket):
    _attach_photo(make_ticket(), world.clerk_a)
    result = runner.invoke(args=["files", "check"])
    assert result.exit_code == 0, result.output
    assert "LocalStorage(" in result.output
    assert "0 orphan files" in result.output and "0 missing files" in result.output
    assert "orphan t" not in result.output and "missing t" not in result.output


def test_files_check_reports_and_deletes_orphans_but_never_a_live_file(runner, world, make_ticket):
    import io
    import os
    import time

    from complaints.files.storage import get_storage

    att = _attach_photo(make_ticket(), world.clerk_a)
    storage = get_storage()
    stray, fresh = "t999/" + "a" * 32 + ".png", "t999/" + "b" * 32 + ".png"
    storage.put(stray, io.BytesIO(b"left behind by a failed commit"))
    storage.put(fresh, io.BytesIO(b"an upload still on its way to its commit"))
    storage.put("someone-elses/notes.txt", io.BytesIO(b"not a key this application writes"))
    hour_ago = time.time() - 2 * 3600
    os.utime(storage.root / stray, (hour_ago, hour_ago))

    result = runner.invoke(args=["files", "check"])
    assert result.exit_code == 1, result.output
    assert "2 orphan files" in result.output
    assert f"orphan {stray}" in result.output.splitlines()
    assert "someone-elses" not in result.output  # not ours: never reported, never deleted
    assert storage.exists(stray)  # only reported

    result = runner.invoke(args=["files", "check", "--delete-orphans"])
    assert "deleted 1 orphan files" in result.output
    assert f"kept {fresh} (written in the last 60 minutes, or named since)" in result.output.splitlines()
    assert result.exit_code == 1, result.output  # the recent one is still an orphan
    assert not storage.exists(stray) and storage.exists(fresh) and storage.exists("someone-elses/notes.txt")
    assert storage.exists(att.storage_key) and storage.exists(att.thumbnail_key)
    result = runner.invoke(args=["files", "check", "--delete-orphans", "--min-age", "0"])
    assert "deleted 1 orphan files" in result.output and result.exit_code == 0, result.output
    assert runner.invoke(args=["files", "check"]).exit_code == 0


def test_files_check_reports_a_missing_file(runner, world, make_ticket):
    from complaints.files.storage import get_storage

    att = _attach_photo(make_ticket(), world.clerk_a)
    get_storage().delete(att.storage_key)
    for args in (["files", "check"], ["files", "check", "--delete-orphans"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, result.output
        assert f"missing {att.storage_key}" in result.output.splitlines()
        assert "1 missing files" in result.output
    assert get_storage().exists(att.thumbnail_key)  # the thumbnail is live: not an orphan, not deleted


# calendar import-cn


def test_calendar_import_cn_fills_the_national_calendar_that_every_office_uses(runner, world):
    from datetime import date

    from complaints.models import NationalDay
    from complaints.sla import operations as sla_ops
    from complaints.sla.policies import calendar_for

    result = runner.invoke(args=["calendar", "import-cn", "2026"])
    assert result.exit_code == 0, result.output
    assert "2026: 33 days off, 6 make-up working days" in result.output  # chinese-calendar 1.11.0
    rows = {r.day: r.kind for r in db.session.scalars(select(NationalDay))}
    assert rows[date(2026, 10, 1)] == "off" and rows[date(2026, 10, 10)] == "work"
    # Twice is the same as once (the year is replaced, not added to).
    assert runner.invoke(args=["calendar", "import-cn", "2026"]).exit_code == 0
    assert _count(NationalDay) == len(rows)
    db.session.expire_all()
    shared = calendar_for(world.office_a)
    assert date(2026, 10, 5) in shared.holidays and date(2026, 10, 10) in shared.workdays
    assert calendar_for(world.office_b).holidays == shared.holidays
    # Office exceptions beat the national calendar: open on Oct 5, closed on the make-up Saturday.
    sla_ops.set_holidays(world.office_a, "2026-10-05 open 国庆值班\n2026-10-10 装修\n2026-11-29 open 周日营业")
    db.session.commit()
    own = calendar_for(world.office_a)
    assert date(2026, 10, 5) in own.workdays and date(2026, 10, 5) not in own.holidays
    assert date(2026, 10, 10) in own.holidays and date(2026, 11, 29) in own.workdays
    assert date(2026, 10, 5) in calendar_for(world.office_b).holidays  # the other office is unchanged


@pytest.mark.parametrize("year", ["2099", "1999"])
def test_calendar_import_cn_refuses_a_year_the_package_does_not_know(runner, world, year):
    from complaints.models import NationalDay

    result = runner.invoke(args=["calendar", "import-cn", year])
    assert result.exit_code != 0
    assert year in result.output and "1.11" in result.output  # the year and the package's version
    assert _count(NationalDay) == 0
