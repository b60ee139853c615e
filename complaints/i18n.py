"""Locale and time-zone selection for Flask-Babel."""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if g.get("api_locale"):
        return g.api_locale
    # With the database away (see web_errors), asking who is signed in would fail again.
    if not g.get("database_down") and current_user and getattr(current_user, "is_authenticated", False) \
            and current_user.locale:
        return current_user.locale
    chosen = request.cookies.get("locale") if request else None
    if chosen in languages:
        return chosen
    # A customer without an account: the browser's language, when it is one we have.
    if request:
        best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
        if best:
            return "en" if best == "en" else "zh_CN"
    return current_app.config["DEFAULT_LOCALE"]


def select_timezone() -> str:
    if not g.get("database_down") and current_user and getattr(current_user, "is_authenticated", False):
        from .authz import user_timezone

        return user_timezone(current_user)
    return current_app.config["TIMEZONE"]
