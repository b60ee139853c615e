"""Fixtures shared by every test: app, client, CLI runner, people, login and API helpers.

The suite runs on SQLite always and, when TEST_DATABASE_URL is set, on PostgreSQL too:
every test that uses `app` runs once per backend. The schema is built by the Alembic
migrations (so they are tested from an empty database on each backend).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from complaints import create_app
from complaints.extensions import db

PASSWORD = "correct-horse-1"
PG_URL = os.environ.get("TEST_DATABASE_URL")


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def _pg_url() -> str:
    from config import normalise_db_url

    return normalise_db_url(PG_URL or "")


def _reset_pg_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", params=_backends())
def database_url(request, tmp_path_factory) -> str:
    """One migrated database per backend for the whole run."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        url = f"sqlite:///{path}"
    else:
        url = _pg_url()
        _reset_pg_schema(url)
    _migrate(url)
    return url


@pytest.fixture
def backend(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


def _wipe(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - table names
        db.engine.dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url,
                                 "ATTACHMENTS_DIR": str(tmp_path / "attachments")})
    _wipe(app)

    @app.before_request
    def _forget_cached_user() -> None:
        # Requests made inside the test's app context share its `g`; Flask-Login caches the
        # user there. Forget it so each request signs in from its own cookie, as in production.
        from flask import g
        from flask_babel import refresh

        g.pop("_login_user", None)
        refresh()  # and Flask-Babel's cached locale and time zone

    with app.app_context():
        yield app
        db.session.remove()
    _wipe(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class World:
    """Two offices with a clerk and a supervisor each, a second clerk in A, and an admin."""

    office_a: object
    office_b: object
    clerk_a: object
    clerk_a2: object
    sup_a: object
    clerk_b: object
    sup_b: object
    admin: object

    def users(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if not k.startswith("office")}


@pytest.fixture
def world(app: Flask) -> World:
    from complaints.admin.operations import create_office, create_user

    a = create_office("SH-0101", "上海徐汇营业部")
    b = create_office("SH-0102", "上海静安营业部")
    w = World(
        office_a=a, office_b=b,
        clerk_a=create_user("clerk.a@example.com", "王芳", "clerk", ["SH-0101"], PASSWORD),
        clerk_a2=create_user("clerk.a2@example.com", "李娜", "clerk", ["SH-0101"], PASSWORD),
        sup_a=create_user("sup.a@example.com", "孙建国", "supervisor", ["SH-0101"], PASSWORD),
        clerk_b=create_user("clerk.b@example.com", "张伟", "clerk", ["SH-0102"], PASSWORD),
        sup_b=create_user("sup.b@example.com", "吴丽华", "supervisor", ["SH-0102"], PASSWORD),
        admin=create_user("admin@example.com", "管理员", "admin", [], PASSWORD),
    )
    db.session.commit()
    return w


@pytest.fixture
def login(client: FlaskClient):
    """Sign a user in through the real login form; returns the client."""

    def _login(user, password: str = PASSWORD) -> FlaskClient:
        client.post("/logout")
        resp = client.post("/login", data={"email": user.email, "password": password})
        assert resp.status_code == 302, resp.data[:500]
        return client

    return _login


@pytest.fixture
def token_for(app: Flask):
    from complaints.auth.tokens import issue_token

    def _token(user) -> dict[str, str]:
        token = issue_token(user, datetime.now(UTC))
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return _token


@pytest.fixture
def api(client: FlaskClient, token_for):
    """api(user).get/post/patch(path, json=...) with the user's bearer token."""

    def _api(user) -> SimpleNamespace:
        headers = token_for(user)

        def call(method: str):
            def _do(path: str, **kw):
                return client.open(f"/api/v1{path}", method=method, headers=headers, **kw)
            return _do

        return SimpleNamespace(get=call("GET"), post=call("POST"), patch=call("PATCH"),
                               put=call("PUT"), delete=call("DELETE"), headers=headers)

    return _api


def complaint_body(office: str = "SH-0101", **over) -> dict:
    body = {
        "kind": "complaint", "channel": "counter", "office": office,
        "description": "营业员态度生硬，客户等候过久。",
        "occurred_at": "2026-11-20T09:30:00+08:00",
        "customer_name": "王先生", "customer_phone": "13812345678",
    }
    body.update(over)
    return body


@pytest.fixture
def make_ticket(app: Flask, world: World):
    """Log a ticket through the domain operation and commit; returns it."""
    from complaints.tickets.operations import log_ticket

    def _make(actor=None, office: str = "SH-0101", **over):
        ticket = log_ticket(actor or world.clerk_a, complaint_body(office, **over),
                            now=datetime.now(UTC))
        db.session.commit()
        return ticket

    return _make


# -- SLA and email ------------------------------------------------------------------------

MONDAY_9 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: object

    @property
    def messages(self) -> list:
        return self.handler.messages


class RecordingHandler:
    """An aiosmtpd handler that keeps what it receives; addresses in `refuse` get a 550."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001,N802
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001,N802
        from email import message_from_bytes
        from email.policy import default

        msg = message_from_bytes(envelope.content, policy=default)
        self.messages.append(SimpleNamespace(rcpt=list(envelope.rcpt_tos), msg=msg,
                                             subject=str(msg["Subject"]), body=msg.get_content()))
        return "250 Message accepted"


class StallingHandler(RecordingHandler):
    """Accepts RCPT, then holds the first DATA until released and answers it 451: the sender
    can be killed mid-send. Later messages are received normally."""

    def __init__(self) -> None:
        super().__init__()
        self.data_started = threading.Event()
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001,N802
        if not self.released.is_set():
            self.data_started.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            return "451 try again later"
        return await super().handle_DATA(server, session, envelope)


def log_overdue(world: World, n: int) -> list[str]:
    """``n`` tickets logged ten days ago in both offices, committed: every level of their
    triage clocks is due now. Returns their references.

    Their reply clocks are switched off (reply policy of counter complaints: 0 days): ten days ago
    is 6 to 8 working days ago, so whether the reply levels are due would depend on the weekday.
    The reply clock's reminders are tested in test_reply_clock.py."""
    from complaints.tickets.operations import log_ticket

    no_reply_clock()
    now = datetime.now(UTC)
    refs = [
        log_ticket(world.clerk_a if i % 2 else world.clerk_b,
                   complaint_body("SH-0101" if i % 2 else "SH-0102", occurred_at="2026-01-05T09:00:00+08:00"),
                   now=now - timedelta(days=10, minutes=i)).ref
        for i in range(n)
    ]
    db.session.commit()
    db.session.remove()
    return refs


def no_reply_clock() -> None:
    """Switch off the reply clock of counter complaints (committed), for tests that count the
    stage clocks' reminders at a time relative to today."""
    from complaints.domain import Channel, Kind
    from complaints.models import ReplyPolicy

    db.session.merge(ReplyPolicy(kind=Kind.COMPLAINT, channel=Channel.COUNTER, days=0, escalate_after_days=1,
                                 updated_at=datetime.now(UTC)))
    db.session.commit()


def log_form(**over) -> dict:
    """The web logging form of a damaged-parcel complaint, as a browser posts it."""
    form = {"kind": "complaint", "channel": "counter", "office": "SH-0101", "category": "damage",
            "description": "包裹外包装破损", "occurred_at": "2026-11-20T09:30",
            "customer_name": "王先生", "customer_phone": "13812345678"}
    form.update(over)
    return form


S3_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-protocol server on loopback (moto's), with dummy credentials: boto3 must never
    find real ones here. Each test module makes the buckets it needs."""
    from moto.server import ThreadedMotoServer

    saved = {name: os.environ.get(name) for name in S3_ENV}
    os.environ.update(S3_ENV)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run inside the block, upper-cased on one line each, for tests that count
    the round trips of a page or an operation."""
    from sqlalchemy import event

    seen: list[str] = []

    def grab(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        seen.append(" ".join(statement.split()).upper())

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback (aiosmtpd); the app is pointed at it."""
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_USER="",
                      SMTP_TIMEOUT=5, BASE_URL="https://complaints.example")
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    """Say where the browser tests left their screenshots."""
    shots = Path(__file__).resolve().parent / "screenshots"
    if shots.exists() and any(shots.rglob("*.png")):
        terminalreporter.write_line(f"browser screenshots: {shots} ({len(list(shots.rglob('*.png')))} files)")
