"""The admin page that shows every message text a customer may get, rendered with example values."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import Blueprint, abort, current_app, render_template
from flask_babel import get_locale
from flask_login import current_user, login_required

from ..authz import is_admin
from . import texts
from .operations import email_configured, sms_configured

bp = Blueprint("customers", __name__)


@bp.before_request
@login_required
def _admins_only():
    if not is_admin(current_user):
        abort(403)


@bp.get("/customer-messages")
def templates():
    config = current_app.config
    lang = texts.locale(config)
    try:
        lang = Locale.parse(lang).get_display_name(get_locale()) or lang  # "Chinese", "中文"
    except (ValueError, UnknownLocaleError):
        pass
    return render_template("customers/templates.html", samples=texts.samples(config),
                           locale=lang, sms_on=sms_configured(config),
                           email_on=email_configured(config))
