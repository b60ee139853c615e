"""CSRF on every form, cookie flags, hashed secrets, masked phones, nothing personal in logs, escaping."""

from __future__ import annotations

import io
import logging
import re

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from complaints import create_app
from complaints.extensions import db
from complaints.models import ApiToken, Ticket, User
from tests.conftest import PASSWORD

PHONE = "13812345678"


@pytest.fixture
def csrf_app(database_url: str, app: Flask):
    """The same database, with CSRF protection on as in production."""
    other = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    yield other
    with other.app_context():  # close its pool, or its connections linger into later tests
        db.session.remove()
        db.engine.dispose()


def _token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _login(client, user, token: str | None = None) -> None:
    data = {"email": user.email, "password": PASSWORD}
    data["csrf_token"] = token or _token(client, "/login")
    assert client.post("/login", data=data).status_code == 302


def test_every_web_form_refuses_a_post_without_its_csrf_token(csrf_app, world, make_ticket):
    ticket = make_ticket()
    client = csrf_app.test_client()
    # Even signing in needs the token.
    assert client.post("/login", data={"email": world.admin.email, "password": PASSWORD}).status_code == 400
    _login(client, world.admin)
    posts = {
        "/logout": {},
        "/account": {"locale": "en"},
        "/tickets/new": {"kind": "complaint", "channel": "counter", "office": "SH-0101", "description": "x",
                         "occurred_at": "2026-11-20T09:00", "customer_name": "王", "customer_phone": PHONE},
        f"/tickets/{ticket.ref}/events/triage": {"version": "1", "triage-severity": "low"},
        f"/tickets/{ticket.ref}/attachments": {"files": (io.BytesIO(b"%PDF-1.4\n%%EOF"), "scan.pdf")},
        f"/tickets/{ticket.ref}/attachments/1/redact": {"reason": "x"},
        "/admin/offices/new": {"code": "GZ-1", "name": "广州", "timezone": "Asia/Shanghai"},
        "/admin/offices/SH-0101": {"name": "改名", "timezone": "Asia/Shanghai"},
        "/admin/users/new": {"email": "x@example.com", "name": "x", "role": "clerk", "offices": "SH-0101",
                             "password": "long-enough-1"},
        f"/admin/users/{world.clerk_a.id}": {"name": "改名"},
        f"/admin/users/{world.clerk_a.id}/active": {},
        f"/admin/users/{world.clerk_a.id}/password": {"password": "new-password-1"},
        f"/admin/users/{world.clerk_a.id}/tokens/revoke": {},
        "/account/tokens/1/revoke": {},
        "/admin/sla/complaint/low": {"triage_minutes": "1", "resolve_minutes": "1", "follow_up_minutes": "1",
                                     "escalate_after_minutes": "0", "calendar": "24x7"},
        "/admin/reply-policies/complaint/counter": {"days": "1", "escalate_after_days": "0"},
        "/admin/offices/SH-0101/calendar": {"open0": "y", "opens0": "09:00", "closes0": "17:00"},
        "/admin/offices/SH-0101/holidays/import": {"import-text": "2027-01-01"},
        "/admin/outbox/1/retry": {},
        "/scorecards/assess?office=SH-0101&month=2026-10": {f"c{world.clerk_a.id}-attitude": "5"},
        "/admin/scoring": {"weight_low": "9"},
        "/volumes?year=2026": {f"v-{world.office_a.id}-01": "1000"},
        "/volumes/import": {"import-file": (io.BytesIO(b"office,month,items\nSH-0101,2026-01,5\n"), "v.csv")},
        "/status": {"ref": ticket.ref, "digits": "5678"},
        "/status/language": {"locale": "en"},
        "/search": {"q": "态度"},
        f"/scorecards/clerk/{world.clerk_a.id}/actions": {"action-factor": "skill", "action-action": "training",
                                                          "action-description": "x", "action-review_month": "2099-01"},
        "/scorecards/actions/1/withdraw": {},
        "/admin/regions": {"new-code": "SH-X", "new-name": "x"},
        "/admin/regions/import": {"import-file": (io.BytesIO(b"code,name,parent_code\nSH-X,x,\n"), "r.csv")},
        "/admin/regions/SH-R": {"name": "改名"},
        "/admin/regions/SH-R/delete": {},
    }
    with csrf_app.app_context():
        before = _snapshot()
    for path, data in posts.items():
        resp = client.post(path, data=data)
        assert resp.status_code == 400, (path, resp.status_code)
    with csrf_app.app_context():
        assert _snapshot() == before
    # Every POST route of the web app is covered above.
    web_posts = {r.rule for r in csrf_app.url_map.iter_rules() if "POST" in r.methods and not r.rule.startswith("/api")}
    assert len(web_posts) == len(posts) + 1, web_posts  # + /login, checked first


def _snapshot() -> tuple:
    return (
        db.session.scalar(select(func.count()).select_from(Ticket)),
        db.session.scalar(select(func.max(Ticket.version))),
        db.session.scalar(select(func.count()).select_from(User)),
        tuple(db.session.execute(text("SELECT name, active, password_hash, locale FROM users ORDER BY id")).all()),
        tuple(db.session.execute(text("SELECT code, name FROM offices ORDER BY id")).all()),
        db.session.scalar(text("SELECT count(*) FROM sla_policies")),
        db.session.scalar(text("SELECT count(*) FROM reply_policies")),
        db.session.scalar(text("SELECT count(*) FROM office_hours")),
        db.session.scalar(text("SELECT count(*) FROM holidays")),
        db.session.scalar(text("SELECT count(*) FROM assessments")),
        db.session.scalar(text("SELECT count(*) FROM score_settings")),
        db.session.scalar(text("SELECT count(*) FROM office_volumes")),
        db.session.scalar(text("SELECT count(*) FROM improvement_actions")),
        tuple(db.session.execute(text("SELECT code, name, parent_id FROM regions ORDER BY id")).all()),
    )


def test_a_form_with_its_token_goes_through(csrf_app, world):
    client = csrf_app.test_client()
    _login(client, world.clerk_a)
    token = _token(client, "/account")
    resp = client.post("/account", data={"lang-csrf_token": token, "lang-locale": "en", "lang-submit": "1"})
    assert resp.status_code in (200, 302)
    with csrf_app.app_context():
        assert db.session.get(User, world.clerk_a.id).locale == "en"


def test_session_cookie_is_httponly_and_samesite(client, world):
    resp = client.post("/login", data={"email": world.clerk_a.email, "password": PASSWORD})
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    from config import ProductionConfig

    prod = create_app(ProductionConfig)
    assert prod.config["SESSION_COOKIE_SECURE"] and prod.config["SESSION_COOKIE_HTTPONLY"]
    assert prod.config["PASSWORD_HASH_METHOD"] == "scrypt"
    with prod.app_context():
        user = User(email="x@example.com", name="x", role="clerk")
        user.set_password(PASSWORD)
        assert user.password_hash.startswith("scrypt:") and user.check_password(PASSWORD)


def test_passwords_and_tokens_are_stored_hashed(world, token_for, client):
    user = db.session.get(User, world.clerk_a.id)
    assert PASSWORD not in user.password_hash and user.check_password(PASSWORD)
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    header = token_for(world.clerk_a)["Authorization"]
    token = header.split()[1]
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and ApiToken.hash(token) in stored
    assert client.get("/api/v1/tickets", headers={"Authorization": header}).status_code == 200
    assert client.get("/api/v1/tickets", headers={"Authorization": header[:-1] + "x"}).status_code == 401
    user.active = False
    db.session.commit()
    assert client.get("/api/v1/tickets", headers={"Authorization": header}).status_code == 401


def test_phone_masked_for_clerks_full_for_supervisors(world, make_ticket, login, api):
    t = make_ticket(customer_phone=PHONE)  # logged by clerk_a; clerk_a2 has no part in it
    assert api(world.clerk_a2).get(f"/api/v1/tickets/{t.ref}".replace("/api/v1", "")).get_json()[
        "customer_phone"] == "138****5678"
    assert api(world.sup_a).get(f"/tickets/{t.ref}").get_json()["customer_phone"] == PHONE
    page = login(world.clerk_a2).get(f"/tickets/{t.ref}").get_data(as_text=True)
    assert "138****5678" in page and PHONE not in page
    assert PHONE in login(world.sup_a).get(f"/tickets/{t.ref}").get_data(as_text=True)


def test_no_phone_or_customer_name_in_logs(app, world, login, api, caplog, make_ticket):
    caplog.set_level(logging.DEBUG)
    app.logger.info("customer called from %s", PHONE)  # even a careless log line is redacted
    client = login(world.clerk_a)
    client.post("/tickets/new", data={"kind": "complaint", "channel": "counter", "office": "SH-0101",
                                      "description": "柜台态度差", "occurred_at": "2026-11-20T09:00",
                                      "customer_name": "欧阳娜娜", "customer_phone": PHONE})
    client.post("/login", data={"email": world.clerk_a.email, "password": "wrong-password"})
    t = make_ticket(customer_phone=PHONE, customer_name="欧阳娜娜")
    api(world.sup_a).post(f"/tickets/{t.ref}/events", json={"event": "triage", "version": 1, "severity": "x"})
    api(world.sup_a).post("/tickets", json={"customer_phone": PHONE, "customer_name": "欧阳娜娜"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records
    assert PHONE not in logged and "欧阳娜娜" not in logged


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_login_never_redirects_off_site(client, world, target):
    resp = client.post(f"/login?next={target}", data={"email": world.clerk_a.email, "password": PASSWORD})
    assert resp.status_code == 302
    from urllib.parse import urlsplit

    location = resp.headers["Location"]
    parts = urlsplit(location)
    assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), location
    assert parts.path.startswith("/") and not parts.path.startswith("//"), location


def test_login_failures_say_the_same_for_unknown_inactive_and_wrong(client, world):
    world.clerk_a2.active = False
    db.session.commit()
    answers = set()
    for email, password in ((world.clerk_a.email, "nope-nope-1"), ("nobody@example.com", PASSWORD),
                            (world.clerk_a2.email, PASSWORD)):
        resp = client.post("/login", data={"email": email, "password": password})
        assert resp.status_code in (200, 401, 422)
        answers.add(re.sub(r'value="[^"]*"', "", resp.get_data(as_text=True)))
    assert len(answers) == 1


SCRIPT = "<script>alert(1)</script>"


def test_html_in_every_text_field_is_shown_escaped(world, make_ticket, login, api):
    t = make_ticket(description=SCRIPT, customer_name=SCRIPT)
    sup = api(world.sup_a)
    sup.post(f"/tickets/{t.ref}/events", json={"event": "triage", "version": 1, "severity": "low",
                                               "category": "counter", "assignee": world.sup_a.email})
    sup.post(f"/tickets/{t.ref}/events", json={"event": "request_info", "version": 2, "note": SCRIPT})
    sup.post(f"/tickets/{t.ref}/events", json={"event": "info_received", "version": 3, "note": SCRIPT})
    resp = sup.post(f"/tickets/{t.ref}/events", json={
        "event": "resolve", "version": 4, "outcome": "已处理，感谢您的反馈。", "resolution": SCRIPT,
        "finding": "unfounded"})
    assert resp.status_code == 200 and resp.get_json()["resolution"] == SCRIPT  # JSON returns it verbatim
    sup.post(f"/tickets/{t.ref}/events", json={"event": "reopen", "version": 5, "reason": SCRIPT})
    client = login(world.sup_a)
    for path in (f"/tickets/{t.ref}", "/tickets"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_security_headers_on_pages(client):
    resp = client.get("/login")
    assert "default-src" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers.get("X-Frame-Options") in ("DENY", "SAMEORIGIN") or "frame-ancestors" in resp.headers[
        "Content-Security-Policy"]
