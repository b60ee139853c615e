"""Error pages and JSON errors: every refusal is a 4xx with a message, never a trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
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
            if any("\x00" in k or "\x00" in v for k, v in request.form.items(multi=True)):
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

    @app.errorhandler(InternalServerError)
    def _internal(exc: InternalServerError):
        log.error("internal error on %s %s", request.method, request.path)
        return _render(500, _("Something went wrong on our side. Nothing was saved."))
