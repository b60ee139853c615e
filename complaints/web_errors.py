"""Error pages and JSON errors: every refusal is a 4xx with a message, never a trace."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from .errors import DomainError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(status: int, message: str, fields: dict | None = None, extra: dict | None = None):
    if _wants_json():
        body = {"error": message, "fields": fields or {}}
        body.update(extra or {})
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_in_url():
        # No page or lookup takes a NUL; PostgreSQL would refuse it deep inside a query.
        if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
            return _render(400, _("The address contains a character that is not allowed."))
        if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded",
                                                             "multipart/form-data"):
            # Browsers cannot type a NUL: a form holding one was forged.
            if any("\x00" in (k or "") or "\x00" in (v or "") for k, v in request.form.items(multi=True)):
                return _render(400, _("The form contains a character that is not allowed."))
        return None

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        from .extensions import db

        db.session.rollback()
        return _render(exc.status, exc.message, exc.fields, exc.extra)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return _render(400, _("The form expired or was not sent from this site. "
                              "Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        messages = {
            400: _("Bad request."),
            401: _("Sign in first."),
            403: _("You are not allowed to do this."),
            404: _("Not found."),
            405: _("Method not allowed."),
            413: _("The request is too large."),
            429: _("Too many requests. Wait a moment and try again."),
        }
        message = messages.get(exc.code or 500, exc.description or _("Error."))
        return _render(exc.code or 500, message)

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc: OperationalError):
        # The database is away (restart, network): say so with 503, keep the trace out of the
        # page and the log, and let the pool reconnect (pool_pre_ping) on a later request.
        from flask import g

        from .extensions import db

        g.database_down = True
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection is already gone
            db.session.remove()
        log.warning("database unavailable on %s %s: %s", request.method, request.path, type(exc.orig).__name__)
        message = _("The database is not available right now. Nothing was saved; try again in a moment.")
        if _wants_json():
            return jsonify({"error": message, "fields": {}}), 503, {"Retry-After": "5"}
        # A page of its own, rendered without context processors: the usual layout (and
        # Flask-Login's processor) would ask the database who is signed in.
        page = current_app.jinja_env.get_template("unavailable.html").render(message=message)
        return page, 503, {"Retry-After": "5"}

    @app.errorhandler(InternalServerError)
    def _internal(exc: InternalServerError):
        log.error("internal error on %s %s", request.method, request.path)
        return _render(500, _("Something went wrong on our side. Nothing was saved."))
