"""Production hardening: known passwords and demo data refused, JSON logs without personal data,
session protection, and login limits counted in a shared store (Redis) when one is configured."""

from __future__ import annotations

import io
import json
import logging
import socket
import uuid

import pytest
from flask import Flask
from flask.logging import default_handler

from complaints import create_app
from complaints.admin.operations import create_user
from complaints.auth.passwords import DEMO_PASSWORD
from complaints.errors import InvalidInput
from complaints.extensions import db, limiter
from complaints.models import Office, User
from tests.conftest import PASSWORD, complaint_body


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    monkeypatch.setenv("LOG_FORMAT", "text")  # the JSON log has a test of its own
    return tmp_path


def test_seed_demo_is_refused_under_the_production_configuration(production_env):
    from flask_migrate import upgrade

    from config import ProductionConfig

    prod = create_app(ProductionConfig)
    with prod.app_context():
        upgrade()
        result = prod.test_cli_runner().invoke(args=["seed-demo", "--tickets", "3"])
        assert result.exit_code != 0 and "refused in production" in result.output
        assert db.session.scalar(db.select(db.func.count()).select_from(Office)) == 0
        db.engine.dispose()


@pytest.mark.parametrize("password", [DEMO_PASSWORD, "Password123", "12345678", " admin123 "])
def test_known_passwords_cannot_be_set_in_production(app, world, password):
    assert create_user("ok@example.com", "ok", "clerk", ["SH-0101"], password)  # allowed in development
    db.session.rollback()
    app.config["REFUSE_KNOWN_PASSWORDS"] = True
    with pytest.raises(InvalidInput) as err:
        create_user("no@example.com", "no", "clerk", ["SH-0101"], password)
    assert "password" in err.value.fields
    assert create_user("fine@example.com", "fine", "clerk", ["SH-0101"], "奇怪的马-正确-电池")


def test_an_account_with_a_published_password_cannot_sign_in_in_production(app, world, client, login):
    user = db.session.get(User, world.clerk_a.id)
    user.locale = "en"
    user.set_password(DEMO_PASSWORD)  # e.g. demo data loaded before the switch to production
    db.session.commit()
    app.config["REFUSE_KNOWN_PASSWORDS"] = True
    resp = client.post("/login", data={"email": user.email, "password": DEMO_PASSWORD})
    assert resp.status_code == 422 and "已公开的密码" in resp.get_data(as_text=True)  # zh_CN: not signed in yet
    assert client.get("/tickets").status_code == 302  # not signed in
    # An admin resets it; then it works.
    from complaints.admin.operations import reset_password

    reset_password(user, "a-new-good-password")
    db.session.commit()
    assert client.post("/login", data={"email": user.email, "password": "a-new-good-password"}).status_code == 302
    # And the user cannot choose a published one on the account page either.
    resp = client.post("/account", data={"pw-current": "a-new-good-password", "pw-new": "password123",
                                         "pw-confirm": "password123", "pw-submit": "1"})
    assert resp.status_code in (200, 422) and "too common" in resp.get_data(as_text=True)
    assert db.session.get(User, user.id).check_password("a-new-good-password")


def test_session_protection_drops_a_session_replayed_from_another_browser(client, world, login):
    login(world.clerk_a)
    assert client.get("/tickets").status_code == 200
    # The same cookie from a different browser (another user agent): strong protection signs it out.
    resp = client.get("/tickets", headers={"User-Agent": "curl/8.0 (stolen cookie)"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.fixture
def json_app(database_url) -> Flask:
    """An app logging JSON lines into a buffer; the logging setup is put back afterwards."""
    root_handlers = list(logging.getLogger().handlers)
    logger = logging.getLogger("complaints")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "LOG_FORMAT": "json"})
    buffer = io.StringIO()
    for handler in logging.getLogger().handlers:
        if handler not in root_handlers:
            handler.setStream(buffer)
    app.config["_log_buffer"] = buffer
    yield app
    with app.app_context():
        db.engine.dispose()
    logging.getLogger().handlers[:] = root_handlers
    logger.handlers[:], logger.level, logger.propagate = saved
    if default_handler not in logger.handlers and default_handler in saved[0]:
        logger.addHandler(default_handler)


def test_production_logs_are_json_lines_without_personal_data(json_app, world, token_for):
    headers = token_for(world.clerk_a)
    client = json_app.test_client()
    body = complaint_body(description="快递丢失，电话 13912345678 多次无人接听", customer_name="赵敏",
                          customer_phone="13912345678")
    assert client.post("/api/v1/tickets", json=body, headers=headers).status_code == 201
    assert client.get("/tickets?q=13912345678").status_code in (200, 302)
    json_app.logger.error("lookup failed for 13912345678")
    lines = [json.loads(line) for line in json_app.config["_log_buffer"].getvalue().splitlines()]
    requests = [entry for entry in lines if entry["message"] == "request"]
    assert {(r["method"], r["path"], r["status"]) for r in requests} >= {("POST", "/api/v1/tickets", 201)}
    assert all({"ts", "level", "logger", "ms", "user_id"} <= r.keys() for r in requests)
    assert any(r["user_id"] == world.clerk_a.id for r in requests)
    assert any(entry["level"] == "error" for entry in lines)
    text = json_app.config["_log_buffer"].getvalue()
    assert "13912345678" not in text and "赵敏" not in text and world.clerk_a.email not in text


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis at 127.0.0.1:6379")
def test_login_limits_are_shared_between_workers_through_redis(database_url, world):
    """Two app instances stand for two workers: failures counted by one are seen by the other."""
    # Redis database 12 is the tests' own (tests/test_limits_and_proxies.py: REDIS_TEST_DB), never production's 0.
    config = {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/12",
              "RATELIMIT_KEY_PREFIX": f"complaints-test-{uuid.uuid4().hex}",
              "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute"}
    first, second = create_app("testing", config), None
    wrong = {"email": world.sup_a.email, "password": "wrong-password"}
    try:
        a = first.test_client()
        assert [a.post("/login", data=wrong).status_code for _ in range(3)] == [422, 422, 422]
        second = create_app("testing", config)  # a fresh limiter storage object: nothing in this process
        assert type(limiter.storage).__name__ == "RedisStorage"
        b = second.test_client()
        assert b.post("/login", data={**wrong, "password": PASSWORD}).status_code == 429
    finally:
        limiter.reset()
        for each in (first, second):
            if each is not None:
                with each.app_context():
                    db.engine.dispose()


def test_the_request_line_costs_no_query_after_a_commit(json_app, world, token_for):
    """A call that commits expires the signed-in user; the log line reads its id from the
    session's identity map instead of reloading the user (one round trip on every write)."""
    from sqlalchemy import event

    headers = token_for(world.admin)
    client = json_app.test_client()
    with json_app.app_context():
        engine = db.engine
    statements: list[str] = []

    def grab(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(engine, "after_cursor_execute", grab)
    try:
        resp = client.post("/api/v1/offices", json={"code": "SH-0199", "name": "徐汇新点"}, headers=headers)
    finally:
        event.remove(engine, "after_cursor_execute", grab)
    lines = [json.loads(line) for line in json_app.config["_log_buffer"].getvalue().splitlines()]
    posted = [r for r in lines if r["message"] == "request" and r["path"] == "/api/v1/offices"]
    assert resp.status_code == 201 and posted and posted[-1]["user_id"] == world.admin.id
    inserted = [i for i, s in enumerate(statements) if s.lstrip().upper().startswith("INSERT")][-1]
    assert not any("FROM users" in s for s in statements[inserted + 1:]), statements[inserted + 1:]
