"""Sign in and out, own password and language."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..extensions import db, limiter, login_manager
from ..models import User
from ..textcheck import as_int
from .forms import LanguageForm, LoginForm, PasswordForm
from .passwords import refusal as password_refusal
from .passwords import refuse as refuse_password

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    if as_int(user_id) is None:
        return None
    return db.session.get(User, as_int(user_id))


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never send a user to another host after sign-in.
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("tickets.home")


def _account_key() -> str:
    # Counted per account as well as per address; the store keeps a hash, not the address.
    email = (request.form.get("email") or "").strip().lower()
    return "login:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _failed(response) -> bool:  # noqa: ANN001
    return response.status_code != 302  # only failed attempts count against the limits


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_account_key, methods=["POST"],
               deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("tickets.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        if user is not None and user.active and user.check_password(form.password.data):
            if refuse_password(form.password.data):
                # Right password, but a published one: nobody may rely on it in production.
                form.password.errors.append(_("This account still has a published password. "
                                              "Ask an administrator to reset it."))
            else:
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
        else:
            form.password.errors.append(_("Wrong email or password, or the account is disabled."))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
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
        else:
            current_user.set_password(pw_form.new.data)
            db.session.commit()
            flash(_("Your password was changed."), "success")
            return redirect(url_for("auth.account"))
    elif "lang-submit" in request.form and lang_form.validate_on_submit():
        current_user.locale = lang_form.locale.data
        db.session.commit()
        flash(_("Language saved."), "success")
        return redirect(url_for("auth.account"))
    status = 422 if (pw_form.errors or lang_form.errors) else 200
    return render_template("auth/account.html", pw_form=pw_form, lang_form=lang_form), status
