"""The customer's slip and the public status page: nothing personal, no oracle, rate-limited."""

from __future__ import annotations

import pytest

from complaints.extensions import db, limiter

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


def test_slip_has_reference_next_step_and_how_to_ask(world, login, make_ticket):
    t = make_ticket()
    page = login(world.clerk_a).get(f"/tickets/{t.ref}/slip")
    assert page.status_code == 200
    assert t.ref in page.text and "/status" in page.text
    assert PHONE not in page.text and "@page" not in page.text  # print CSS lives in slip.css
    assert login(world.clerk_b).get(f"/tickets/{t.ref}/slip").status_code == 403


def test_status_shows_state_and_next_step_and_nothing_personal(world, client, make_ticket):
    t = make_ticket(customer_name="欧阳娜娜", description="柜台态度生硬")
    resp = client.post("/status", data={"ref": t.ref.lower(), "digits": "5678"})
    assert resp.status_code == 200
    assert t.ref in resp.text and "欧阳娜娜" not in resp.text and PHONE not in resp.text
    assert "柜台态度生硬" not in resp.text and "5678" not in resp.text


def test_wrong_digits_and_unknown_reference_answer_the_same(world, client, make_ticket):
    t = make_ticket()
    wrong = client.post("/status", data={"ref": t.ref, "digits": "0000"})
    unknown = client.post("/status", data={"ref": "C-2026-999999", "digits": "5678"})
    assert wrong.status_code == unknown.status_code == 200
    strip = lambda r, ref: r.text.replace(ref, "REF")  # noqa: E731 - the typed reference is echoed back
    assert strip(wrong, t.ref) == strip(unknown, "C-2026-999999")
    error = make_ticket(kind="error", customer_phone=None, customer_name=None)  # no phone: never matches
    answer = client.post("/status", data={"ref": error.ref, "digits": "5678"}).text
    assert "没有与该编号和电话后四位相符的投诉" in answer


def test_bad_input_is_refused_with_a_message(client, world):
    resp = client.post("/status", data={"ref": "", "digits": "12a"})
    assert resp.status_code == 422 and 'id="digits-error"' in resp.text and 'id="ref-error"' in resp.text


def test_lookups_are_rate_limited_per_address(app, client, world, make_ticket):
    app.config["STATUS_LOOKUP_LIMIT"] = "3 per minute"
    t = make_ticket()
    codes = [client.post("/status", data={"ref": t.ref, "digits": f"{i:04d}"}).status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    other = app.test_client()
    assert other.post("/status", data={"ref": t.ref, "digits": "5678"},
                      environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200
    assert client.get("/status").status_code == 200  # reading the form is not limited
    db.session.remove()


def test_failed_logins_are_limited_per_account_and_per_address(app, world):
    app.config.update(LOGIN_LIMIT_PER_ACCOUNT="3 per minute", LOGIN_LIMIT_PER_ADDRESS="5 per minute")
    client = app.test_client()
    wrong = {"email": world.clerk_a.email, "password": "not-the-password"}
    codes = [client.post("/login", data=wrong).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]
    # The right password of that account waits too; another account from elsewhere does not.
    assert client.post("/login", data={**wrong, "password": "correct-horse-1"}).status_code == 429
    other = app.test_client()
    ok = other.post("/login", data={"email": world.sup_a.email, "password": "correct-horse-1"},
                    environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert ok.status_code == 302
    # Per address: many accounts tried from one address.
    third = app.test_client()
    env = {"REMOTE_ADDR": "10.0.0.8"}
    codes = [third.post("/login", data={"email": f"u{i}@example.com", "password": "x"}, environ_base=env).status_code
             for i in range(6)]
    assert codes[-1] == 429 and codes[:5] == [422] * 5, codes


def test_successful_logins_do_not_count(app, world, login):
    app.config.update(LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
    for _ in range(5):
        login(world.clerk_a)  # asserts a 302 each time
