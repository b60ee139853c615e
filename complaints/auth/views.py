"""Sign in and out, own password, language and API tokens.

A signed-in session carries the user's session generation (``_gen``); the user loader refuses
a session whose generation is not the user's current one. A password change, an admin reset,
a deactivation and a sign-out bump the generation, so a saved cookie stops working at once
(sign-out therefore ends every browser of that user, not only this one: the server keeps no
per-browser record, and "sign out" means "sign out everywhere").
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..extensions import db, limiter, login_manager
from ..models import User
from ..textcheck import as_int
from . import lockout
from .forms import LanguageForm, LoginForm, PasswordForm, RevokeTokenForm
from .passwords import dummy_hash, verify
from .passwords import refusal as password_refusal
from .passwords import refuse as refuse_password
from .tokens import end_credentials, expires_at, live_tokens, revoke_token

bp = Blueprint("auth", __name__)

GENERATION = "_gen"  # the user's session generation when this session signed in
MUST_CHANGE = "_must_change"  # an admin reset the password: /account before anything else
# While the password must change, only these are served (the public pages need no account).
_ALLOWED_BEFORE_CHANGE = {"auth.account", "auth.logout", "auth.login", "static"}
_PUBLIC_BLUEPRINTS = {"public", "health", "api"}  # the API answers for itself (403)


@bp.record_once
def _warm_dummy_hash(state) -> None:  # noqa: ANN001
    # Made at start-up, not at the first unknown email: that first sign-in would be slower.
    dummy_hash(state.app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def _forget_session() -> None:
    for key in ("_user_id", "_fresh", "_id", GENERATION, MUST_CHANGE):
        session.pop(key, None)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    if as_int(user_id) is None:
        return None
    user = db.session.get(User, as_int(user_id))
    if user is None or session.get(GENERATION) != user.session_generation:
        # Ended by a password change, a reset, a deactivation or a sign-out (or from before
        # generations existed): this cookie signs nobody in any more.
        _forget_session()
        return None
    return user


def _sign_in(user: User) -> None:
    login_user(user)
    session[GENERATION] = user.session_generation
    if user.must_change_password:
        session[MUST_CHANGE] = True
    else:
        session.pop(MUST_CHANGE, None)


@bp.before_app_request
def _password_first():  # noqa: ANN202
    # Read from the session, set at sign-in: a reset ends every session, so the flag is current.
    if not session.get(MUST_CHANGE) or request.endpoint in _ALLOWED_BEFORE_CHANGE:
        return None
    if request.blueprint in _PUBLIC_BLUEPRINTS or request.endpoint is None:
        return None
    return redirect(url_for("auth.account"))  # the page says why


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never send a user to another host after sign-in.
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("tickets.home")


def _failed(response) -> bool:  # noqa: ANN001
    return response.status_code != 302  # only failed attempts count against the limits


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("tickets.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        address = request.remote_addr or ""
        # Per account, but only against addresses that have been failing on it (lockout.py).
        if lockout.blocked(email, address):
            abort(429)
        user = db.session.scalar(select(User).where(User.email == email))
        # One hash check whether or not the account exists or is active: same time on every path.
        if verify(user, form.password.data):
            if refuse_password(form.password.data):
                # Right password, but a published one: nobody may rely on it in production.
                form.password.errors.append(_("This account still has a published password. "
                                              "Ask an administrator to reset it."))
            else:
                _sign_in(user)
                if user.must_change_password:
                    return redirect(url_for("auth.account"))
                return redirect(_safe_next(request.args.get("next")))
        else:
            form.password.errors.append(_("Wrong email or password, or the account is disabled."))
        lockout.record_failure(email, address)
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    # Server-side: the generation moves on, so this cookie (or a saved copy) signs nobody in.
    current_user.session_generation = (current_user.session_generation or 0) + 1
    db.session.commit()
    logout_user()
    _forget_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    pw_form = PasswordForm(prefix="pw")
    lang_form = LanguageForm(prefix="lang", locale=current_user.locale or "zh_CN")
    if "pw-submit" in request.form and pw_form.validate_on_submit():
        if not current_user.check_password(pw_form.current.data):
            pw_form.current.errors.append(_("Wrong password."))
        elif refused := password_refusal(pw_form.new.data):
            pw_form.new.errors.append(refused)
        elif pw_form.new.data == pw_form.current.data:
            pw_form.new.errors.append(_("Choose a password different from the current one."))
        else:
            current_user.set_password(pw_form.new.data)
            current_user.must_change_password = False
            end_credentials(current_user)  # every other session and every token of this user
            db.session.commit()
            session[GENERATION] = current_user.session_generation  # this session goes on
            session.pop(MUST_CHANGE, None)
            flash(_("Your password was changed."), "success")
            return redirect(url_for("auth.account"))
    elif "lang-submit" in request.form and lang_form.validate_on_submit():
        current_user.locale = lang_form.locale.data
        db.session.commit()
        flash(_("Language saved."), "success")
        return redirect(url_for("auth.account"))
    status = 422 if (pw_form.errors or lang_form.errors) else 200
    return render_template("auth/account.html", pw_form=pw_form, lang_form=lang_form,
                           tokens=live_tokens(current_user), expires_at=expires_at,
                           revoke_form=RevokeTokenForm(), must_change=bool(session.get(MUST_CHANGE))), status


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_own_token(token_id: int):
    if not RevokeTokenForm().validate_on_submit():
        abort(400)
    if not revoke_token(current_user, token_id):
        abort(404)  # not theirs, or no such token: the same answer
    db.session.commit()
    flash(_("The token was revoked."), "success")
    return redirect(url_for("auth.account"))
