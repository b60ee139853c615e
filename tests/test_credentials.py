"""Credentials that end (issue 16): sessions and tokens end with a password change, a reset, a
deactivation and a sign-out; tokens expire and can be revoked; sign-in costs the same on every
path; a stranger cannot lock the owner out; a reset password must be changed first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from complaints.auth.tokens import issue_token
from complaints.extensions import db
from complaints.models import ApiToken, User
from tests.conftest import PASSWORD

NEW_PASSWORD = "a-new-password-7"


def _signed_in(app, user, address: str = "127.0.0.1", password: str = PASSWORD):  # noqa: ANN001,ANN202
    client = app.test_client()
    resp = client.post("/login", data={"email": user.email, "password": password},
                       environ_base={"REMOTE_ADDR": address})
    assert resp.status_code == 302, resp.text[:300]
    return client


def _alive(client) -> bool:  # noqa: ANN001
    resp = client.get("/tickets")
    assert resp.status_code in (200, 302)
    return resp.status_code == 200


def _token_works(client, headers) -> bool:  # noqa: ANN001
    return client.get("/api/v1/tickets", headers=headers).status_code == 200


def _change_password(client, current: str = PASSWORD, new: str = NEW_PASSWORD):  # noqa: ANN001,ANN202
    return client.post("/account", data={"pw-current": current, "pw-new": new, "pw-confirm": new,
                                         "pw-submit": "1"})


# -- 1. Nothing ends a credential -----------------------------------------------------------------


def test_a_password_change_ends_every_other_session_and_token_but_not_this_session(app, world, token_for):
    here, elsewhere = _signed_in(app, world.clerk_a), _signed_in(app, world.clerk_a)
    headers = token_for(world.clerk_a)
    api = app.test_client()
    assert _alive(here) and _alive(elsewhere) and _token_works(api, headers)
    assert _change_password(here).status_code == 302
    assert _alive(here)  # the session that changed it goes on
    assert not _alive(elsewhere)
    assert not _token_works(api, headers)
    assert _alive(_signed_in(app, world.clerk_a, password=NEW_PASSWORD))


@pytest.mark.parametrize("via", ["web", "api"])
def test_an_admin_reset_ends_every_session_and_token(app, world, token_for, login, api, via):
    victim = _signed_in(app, world.clerk_a)
    headers = token_for(world.clerk_a)
    other = app.test_client()
    assert _alive(victim) and _token_works(other, headers)
    if via == "web":
        assert login(world.admin).post(f"/admin/users/{world.clerk_a.id}/password").status_code == 200
    else:
        assert api(world.admin).post("/users/clerk.a@example.com/password", json={}).status_code == 200
    assert not _alive(victim)
    assert not _token_works(other, headers)


def test_deactivation_ends_sessions_and_tokens_and_reactivation_revives_no_token(app, world, token_for, api):
    victim = _signed_in(app, world.clerk_a)
    headers = token_for(world.clerk_a)
    other = app.test_client()
    admin = api(world.admin)
    assert admin.patch("/users/clerk.a@example.com", json={"active": False}).status_code == 200
    assert admin.patch("/users/clerk.a@example.com", json={"active": True}).status_code == 200
    assert not _alive(victim)
    assert not _token_works(other, headers)
    assert _alive(_signed_in(app, world.clerk_a))  # the account itself works again


def test_a_session_cookie_saved_before_sign_out_does_not_work_after_it(app, world):
    client = _signed_in(app, world.clerk_a)
    saved = client.get_cookie("session").value
    assert _alive(client)
    assert client.post("/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", saved)
    assert not _alive(replay)
    assert replay.post("/account", data={"lang-locale": "en", "lang-submit": "1"}).status_code == 302
    assert db.session.get(User, world.clerk_a.id).locale != "en"


def test_tokens_expire_after_the_configured_days(app, world, monkeypatch):
    from complaints import clock

    now = datetime.now(UTC)
    app.config["API_TOKEN_DAYS"] = 30
    default = {"Authorization": f"Bearer {issue_token(world.clerk_a, now)}"}
    short = {"Authorization": f"Bearer {issue_token(world.clerk_a, now, days=2)}"}
    # A token of before expiry existed: it counts API_TOKEN_DAYS from its creation.
    old = issue_token(world.clerk_a, now - timedelta(days=20))
    db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(old))).expires_at = None
    db.session.commit()
    old = {"Authorization": f"Bearer {old}"}
    client = app.test_client()
    assert all(_token_works(client, h) for h in (default, short, old))
    monkeypatch.setattr(clock, "now", lambda: now + timedelta(days=3))
    assert _token_works(client, default) and _token_works(client, old) and not _token_works(client, short)
    monkeypatch.setattr(clock, "now", lambda: now + timedelta(days=11))
    assert _token_works(client, default) and not _token_works(client, old)
    monkeypatch.setattr(clock, "now", lambda: now + timedelta(days=31))
    assert not _token_works(client, default)


def test_the_cli_issues_tokens_for_some_days_and_revokes_them(app, world, runner):
    result = runner.invoke(args=["users", "token", world.clerk_a.email, "--days", "5"])
    assert result.exit_code == 0, result.output
    headers = {"Authorization": f"Bearer {result.output.strip()}"}
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(result.output.strip())))
    assert timedelta(days=4, hours=23) < row.expires_at - datetime.now(UTC) <= timedelta(days=5)
    default = runner.invoke(args=["users", "token", world.clerk_a.email]).output.strip()
    db.session.expire_all()
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(default)))
    assert row.expires_at - datetime.now(UTC) > timedelta(days=89)
    assert runner.invoke(args=["users", "token", world.clerk_a.email, "--days", "0"]).exit_code != 0
    client = app.test_client()
    assert _token_works(client, headers)
    result = runner.invoke(args=["users", "revoke-tokens", world.clerk_a.email])
    assert result.exit_code == 0 and "revoked 2" in result.output, result.output
    assert not _token_works(client, headers)
    assert runner.invoke(args=["users", "revoke-tokens", "nobody@example.com"]).exit_code != 0


def test_users_list_and_revoke_their_own_tokens_on_the_account_page(app, world, token_for, login):
    mine, kept = token_for(world.clerk_a), token_for(world.clerk_a)
    theirs = token_for(world.clerk_a2)
    ids = sorted(db.session.scalars(select(ApiToken.id).where(ApiToken.user_id == world.clerk_a.id)))
    their_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == world.clerk_a2.id))
    client = login(world.clerk_a)
    page = client.get("/account").text
    assert all(f"/account/tokens/{i}/revoke" in page for i in ids)
    assert f"/account/tokens/{their_id}/revoke" not in page
    assert client.post(f"/account/tokens/{their_id}/revoke").status_code == 404  # not theirs
    mine_id = db.session.scalar(select(ApiToken.id).where(
        ApiToken.token_hash == ApiToken.hash(mine["Authorization"].split()[1])))
    assert client.post(f"/account/tokens/{mine_id}/revoke").status_code == 302
    api = app.test_client()
    assert not _token_works(api, mine) and _token_works(api, kept) and _token_works(api, theirs)
    assert f"/account/tokens/{mine_id}/revoke" not in client.get("/account").text


def test_admins_revoke_a_users_tokens_on_the_page_and_through_the_api(app, world, token_for, login, api):
    headers = token_for(world.clerk_a)
    other = app.test_client()
    admin_web = login(world.admin)
    assert "/tokens/revoke" in admin_web.get(f"/admin/users/{world.clerk_a.id}").text
    assert admin_web.post(f"/admin/users/{world.clerk_a.id}/tokens/revoke").status_code == 302
    assert not _token_works(other, headers)
    headers = token_for(world.clerk_a)
    r = api(world.admin).post("/users/clerk.a@example.com/tokens/revoke")
    assert r.status_code == 200 and r.get_json() == {"email": "clerk.a@example.com", "revoked": 1}
    assert not _token_works(other, headers)
    assert api(world.clerk_a2).post("/users/clerk.a@example.com/tokens/revoke").status_code == 403
    assert api(world.admin).post("/users/nobody@example.com/tokens/revoke").status_code == 404


# -- 3. Login time tells which accounts exist ----------------------------------------------------


def test_sign_in_checks_one_password_hash_on_every_path(app, world, monkeypatch):
    from werkzeug.security import check_password_hash

    import complaints.auth.passwords as passwords_module
    import complaints.models.user as user_module

    calls: list[str] = []

    def counting(pwhash: str, password: str) -> bool:
        calls.append(pwhash.split("$")[0])
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(user_module, "check_password_hash", counting)
    monkeypatch.setattr(passwords_module, "check_password_hash", counting, raising=False)
    world.clerk_a2.active = False
    db.session.commit()
    method = app.config["PASSWORD_HASH_METHOD"]
    cases = {
        "right password": (world.clerk_a.email, PASSWORD, 302),
        "wrong password": (world.sup_a.email, "not-the-password", 422),
        "unknown account": ("nobody@example.com", PASSWORD, 422),
        "deactivated, right password": (world.clerk_a2.email, PASSWORD, 422),
        "deactivated, wrong password": (world.clerk_a2.email, "not-the-password", 422),
    }
    for name, (email, password, status) in cases.items():
        calls.clear()
        resp = app.test_client().post("/login", data={"email": email, "password": password})
        assert resp.status_code == status, name
        assert calls == [method], (name, calls)  # one check, with the configured method


# -- 5. Anyone can lock an account out -----------------------------------------------------------


def test_the_brake_stops_the_guesser_but_not_the_owner_from_elsewhere(app, world):
    app.config.update(LOGIN_LIMIT_PER_ACCOUNT="3 per minute", LOGIN_LIMIT_PER_ADDRESS="30 per minute")
    attacker, owner = {"REMOTE_ADDR": "203.0.113.9"}, {"REMOTE_ADDR": "198.51.100.4"}
    wrong = {"email": world.clerk_a.email, "password": "guess-number-x"}
    right = {"email": world.clerk_a.email, "password": PASSWORD}
    guesser = app.test_client()
    codes = [guesser.post("/login", data=wrong, environ_base=attacker).status_code for _ in range(5)]
    assert codes == [422, 422, 422, 429, 429]
    # The brake holds: from the failing address even the right password waits.
    assert guesser.post("/login", data=right, environ_base=attacker).status_code == 429
    # The owner, from an address that has not been failing, gets in while the attacker goes on.
    assert app.test_client().post("/login", data=right, environ_base=owner).status_code == 302
    assert guesser.post("/login", data=wrong, environ_base=attacker).status_code == 429
    assert app.test_client().post("/login", data=right, environ_base=owner).status_code == 302
    # A fresh address gets one guess while the account is braked, then waits too.
    third = {"REMOTE_ADDR": "192.0.2.77"}
    codes = [app.test_client().post("/login", data=wrong, environ_base=third).status_code for _ in range(3)]
    assert codes == [422, 429, 429]
    # The brake counts every email alike, existing or not: it tells nothing about accounts.
    ghost = {"email": "nobody@example.com", "password": "guess-number-x"}
    codes = [guesser.post("/login", data=ghost, environ_base=attacker).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]


def test_sign_in_works_when_the_rate_limit_store_fails_for_the_counters(app, world, monkeypatch):
    from complaints import counters

    class Broken:
        def __getattr__(self, name: str):  # noqa: ANN204
            raise ConnectionError("store away")

    monkeypatch.setattr(counters, "shared", lambda: Broken())
    app.config.update(LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
    wrong = {"email": world.sup_b.email, "password": "guess-number-y"}
    client = app.test_client()
    assert [client.post("/login", data=wrong).status_code for _ in range(3)] == [422, 422, 429]
    assert _signed_in(app, world.clerk_b)  # counted in this process; the rest works


# -- 10b. An admin-reset password must be changed at the next sign-in ----------------------------


def test_a_reset_password_must_be_changed_before_anything_else(app, world, login, token_for):
    page = login(world.admin).post(f"/admin/users/{world.clerk_a.id}/password").text
    given = page.split("<code>")[1].split("</code>")[0]
    client = app.test_client()
    resp = client.post("/login", data={"email": world.clerk_a.email, "password": given})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account")
    for path in ("/", "/tickets", "/tickets/new", "/search"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/account"), path
    assert client.get("/account").status_code == 200
    assert client.get("/status").status_code == 200  # public pages stay public
    headers = token_for(world.clerk_a)  # a token made after the reset waits too
    resp = app.test_client().get("/api/v1/tickets", headers=headers)
    assert resp.status_code == 403 and resp.get_json()["error"]  # says to change it first (in the user's language)
    # The same password again is not a change.
    assert _change_password(client, given, given).status_code == 422
    assert _change_password(client, given, NEW_PASSWORD).status_code == 302
    assert client.get("/tickets").status_code == 200
    assert not db.session.get(User, world.clerk_a.id).must_change_password
    assert app.test_client().get("/api/v1/tickets", headers=token_for(world.clerk_a)).status_code == 200
