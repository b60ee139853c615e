"""Configuration refusals, and the README kept in step with the code."""

from pathlib import Path

import pytest

from complaints import create_app
from complaints.workflow import markdown_table

ROOT = Path(__file__).resolve().parent.parent


def test_readme_workflow_table_is_the_code_table():
    assert markdown_table() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_the_readme():
    import re

    source = (ROOT / "config.py").read_text(encoding="utf-8")
    names = set(re.findall(r'(?:environ\.get|_bool)\(\s*"([A-Z][A-Z0-9_]+)"', source))
    assert {"SMS_GATEWAY_URL", "SMS_GATEWAY_BODY", "CUSTOMER_LOCALE", "SMTP_HOST"} <= names  # the scan finds them
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing, f"config.py reads these, the README's configuration table does not name them: {missing}"


def test_readme_starts_with_the_two_commands():
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:1200]
    assert "./scripts/dev" in head and "./scripts/test" in head
    assert (ROOT / "scripts" / "dev").exists() and (ROOT / "scripts" / "test").exists()
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_refuses_to_start_without_database_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app("production")


def test_unknown_environment_is_refused():
    with pytest.raises(RuntimeError, match="unknown COMPLAINTS_ENV"):
        create_app("staging")


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_pages_carry_security_headers(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
