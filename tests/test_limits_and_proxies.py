"""Rate limits that survive their store, a cap per reference on the status page, trusted proxies, HSTS.

The Redis tests run against the Redis on 127.0.0.1:6379 in a database number of their own
(REDIS_TEST_DB, never the 0 of the README's production example) with a key prefix per test,
and against a port where nothing listens.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Iterator

import pytest
from flask import Flask, jsonify, request

from complaints import create_app
from complaints.extensions import db, limiter
from tests.conftest import PASSWORD, free_port

REDIS_TEST_DB = 12
PHONE_DIGITS = "5678"  # make_ticket's phone is 13812345678


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


needs_redis = pytest.mark.skipif(not _redis_answers(), reason="no Redis at 127.0.0.1:6379")


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Apps of their own (a worker each) on the test database; the world comes from the `app` fixture."""
    made: list[Flask] = []

    def _make(config: str = "testing", **overrides) -> Flask:  # noqa: ANN003
        made.append(create_app(config, {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}))
        return made[-1]

    yield _make
    for each in made:
        with each.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    limiter.reset()
    yield
    # The last app made may point the shared limiter at Redis or at nothing: clear memory only.
    if type(limiter.storage).__name__ == "MemoryStorage":
        limiter.reset()


def _dead_store() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # a port where nothing listens


# Finding 4: the rate-limit store is down -----------------------------------------------------------

def test_sign_in_and_status_work_per_process_when_the_store_is_down(make_app, world, make_ticket, caplog):
    t = make_ticket()
    app = make_app(RATELIMIT_STORAGE_URI=_dead_store(), LOGIN_LIMIT_PER_ADDRESS="3 per minute",
                   STATUS_LOOKUP_LIMIT="2 per minute")
    client = app.test_client()
    wrong = {"email": world.clerk_a.email, "password": "not-the-password"}
    with caplog.at_level(logging.WARNING):
        codes = [client.post("/login", data=wrong).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]  # no 500, and the per-address limit still holds (in this process)
    assert any("rate-limit store" in r.getMessage() and "per process" in r.getMessage() for r in caplog.records)
    other = app.test_client()
    ok = other.post("/login", data={"email": world.sup_a.email, "password": PASSWORD},
                    environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert ok.status_code == 302
    env = {"REMOTE_ADDR": "10.0.0.8"}
    codes = [app.test_client().post("/status", data={"ref": t.ref, "digits": PHONE_DIGITS},
                                    environ_base=env).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    health = app.test_client().get("/healthz")
    assert health.status_code == 200
    assert health.json == {"status": "ok", "database": "up", "ratelimit_store": "down (per-process fallback)"}


@needs_redis
def test_healthz_reports_a_live_redis_store(make_app, world):
    app = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:6379/{REDIS_TEST_DB}",
                   RATELIMIT_KEY_PREFIX=f"complaints-test-{uuid.uuid4().hex}")
    assert type(limiter.storage).__name__ == "RedisStorage"
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200 and resp.json["ratelimit_store"] == "up"


def test_healthz_reports_the_memory_store(client):
    assert client.get("/healthz").json == {"status": "ok", "database": "up", "ratelimit_store": "up"}


# Finding 6: a cap per reference on the status page -------------------------------------------------

def _guess(client, ref: str, digits: str, n: int):  # noqa: ANN001, ANN202
    # A new address each time: the per-address limit is not what stops these.
    return client.post("/status", data={"ref": ref, "digits": digits}, environ_base={"REMOTE_ADDR": f"10.1.0.{n}"})


def test_a_reference_takes_only_a_few_wrong_digits_then_answers_as_for_a_wrong_guess(app, client, world,
                                                                                    make_ticket):
    app.config["STATUS_LOOKUP_LIMIT_PER_REFERENCE"] = "3 per hour"
    t, other = make_ticket(), make_ticket()
    # Right digits do not count against the reference.
    assert all(t.ref in _guess(client, t.ref, PHONE_DIGITS, n).text for n in range(1, 6))
    wrong = [_guess(client, t.ref, f"{n:04d}", 10 + n) for n in range(3)]
    assert all(r.status_code == 200 for r in wrong)
    # Now the right digits, from a fresh address, get exactly the wrong-guess answer.
    right = _guess(client, t.ref, PHONE_DIGITS, 20)
    assert right.status_code == 200
    assert right.text == wrong[0].text and "没有与该编号和电话后四位相符的投诉" in right.text
    # Another reference is not affected, and lowercase or padded spellings share the count.
    padded = f" {t.ref.lower()} "
    assert _guess(client, padded, PHONE_DIGITS, 22).text.replace(padded, t.ref) == wrong[0].text
    found = _guess(client, other.ref, PHONE_DIGITS, 23)
    assert found.status_code == 200 and other.ref in found.text
    assert "没有与该编号和电话后四位相符的投诉" not in found.text
    db.session.remove()


def test_the_per_address_limit_still_holds(app, client, world, make_ticket):
    app.config.update(STATUS_LOOKUP_LIMIT="2 per minute", STATUS_LOOKUP_LIMIT_PER_REFERENCE="100 per hour")
    t = make_ticket()
    codes = [client.post("/status", data={"ref": t.ref, "digits": PHONE_DIGITS}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    db.session.remove()


@needs_redis
def test_the_per_reference_count_is_shared_between_workers_through_redis(make_app, world, make_ticket):
    t = make_ticket()
    config = {"RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{REDIS_TEST_DB}",
              "RATELIMIT_KEY_PREFIX": f"complaints-test-{uuid.uuid4().hex}",
              "STATUS_LOOKUP_LIMIT_PER_REFERENCE": "2 per hour"}
    first = make_app(**config).test_client()
    wrong = [_guess(first, t.ref, f"{n:04d}", n) for n in range(2)]
    second = make_app(**config).test_client()  # another worker: nothing counted in its process
    assert _guess(second, t.ref, PHONE_DIGITS, 9).text == wrong[0].text


# Finding 7: TRUSTED_PROXIES ------------------------------------------------------------------------

def _with_probe(app: Flask) -> Flask:
    @app.get("/_probe")
    def _probe():
        return jsonify(addr=request.remote_addr, scheme=request.scheme, host=request.host)

    return app


def test_without_trusted_proxies_forwarded_headers_change_nothing(make_app, world, make_ticket):
    t = make_ticket()
    app = _with_probe(make_app(STATUS_LOOKUP_LIMIT="2 per minute"))
    client = app.test_client()
    forged = {"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    probe = client.get("/_probe", headers=forged, environ_base={"REMOTE_ADDR": "192.0.2.10"}).json
    assert probe == {"addr": "192.0.2.10", "scheme": "http", "host": "localhost"}
    codes = [client.post("/status", data={"ref": t.ref, "digits": PHONE_DIGITS},
                         headers={"X-Forwarded-For": f"198.51.100.{n}"},
                         environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code for n in range(3)]
    assert codes == [200, 200, 429]  # one address, whatever it claims to forward for


def test_with_one_trusted_proxy_each_client_is_counted_on_its_own(make_app, world, make_ticket):
    t = make_ticket()
    app = _with_probe(make_app(TRUSTED_PROXIES=1, STATUS_LOOKUP_LIMIT="2 per minute"))
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.9.9.9"}
    headers = {"X-Forwarded-For": "1.2.3.4, 203.0.113.5", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "complaints.example"}
    probe = client.get("/_probe", headers=headers, environ_base=proxy).json
    # Only the hop the proxy appended is believed, not what the client wrote before it.
    assert probe == {"addr": "203.0.113.5", "scheme": "https", "host": "complaints.example"}

    def post(addr: str) -> int:
        return client.post("/status", data={"ref": t.ref, "digits": PHONE_DIGITS},
                           headers={"X-Forwarded-For": addr}, environ_base=proxy).status_code

    assert [post("203.0.113.5") for _ in range(3)] == [200, 200, 429]
    assert post("203.0.113.6") == 200  # another customer behind the same proxy has a bucket of its own


def _sign_in(client, user, **kw) -> None:  # noqa: ANN001, ANN003
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD}, **kw)
    assert resp.status_code == 302, resp.text[:300]


def test_session_protection_reads_the_address_not_a_forged_header(make_app, world):
    client = make_app().test_client()
    _sign_in(client, world.clerk_a, environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert client.get("/tickets", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 200
    # A header the client writes itself changes nothing...
    assert client.get("/tickets", headers={"X-Forwarded-For": "198.51.100.1"},
                      environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 200
    # ...and cannot make a cookie replayed from elsewhere pass for the owner's address.
    resp = client.get("/tickets", headers={"X-Forwarded-For": "192.0.2.10"},
                      environ_base={"REMOTE_ADDR": "203.0.113.66"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_session_protection_behind_a_trusted_proxy(make_app, world):
    client = make_app(TRUSTED_PROXIES=1).test_client()
    proxy = {"REMOTE_ADDR": "10.9.9.9"}
    _sign_in(client, world.clerk_a, headers={"X-Forwarded-For": "203.0.113.5"}, environ_base=proxy)
    forged_prefix = {"X-Forwarded-For": "192.0.2.99, 203.0.113.5"}  # the client wrote the first one
    assert client.get("/tickets", headers=forged_prefix, environ_base=proxy).status_code == 200
    resp = client.get("/tickets", headers={"X-Forwarded-For": "203.0.113.66"}, environ_base=proxy)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


# Finding 10a: HSTS in production -------------------------------------------------------------------

HSTS = "max-age=31536000; includeSubDomains"


def test_production_answers_carry_hsts(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    monkeypatch.setenv("LOG_FORMAT", "text")
    prod = create_app("production")
    try:
        assert prod.config["SESSION_COOKIE_SECURE"] is True
        assert prod.test_client().get("/healthz").headers.get("Strict-Transport-Security") == HSTS
    finally:
        with prod.app_context():
            db.engine.dispose()


def test_development_and_tests_send_no_hsts(make_app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    dev = make_app("development")
    assert "Strict-Transport-Security" not in dev.test_client().get("/login").headers
