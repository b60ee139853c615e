"""The JSON API under /api/v1: bearer-token auth, errors as {"error", "fields"}."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request
from flask_babel import gettext as _

from ..auth.tokens import user_for_token
from ..domain import Role
from ..errors import DomainError, Forbidden, InvalidInput
from ..textcheck import contains_nul, encodable

bp = Blueprint("api", __name__)

PUBLIC_ENDPOINTS = {"api.openapi"}


class Unauthorized(DomainError):
    status = 401


@bp.before_request
def _authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise Unauthorized(_("A valid bearer token is required."))
    g.api_user = user
    # Read now, as a string: a message built after a failed flush must not touch the ORM.
    g.api_locale = user.locale
    if user.must_change_password:
        # An admin reset the password (which revoked every older token): nothing until it is changed.
        raise Forbidden(_("Your password was reset: change it at /account before using the API."))


@bp.after_request
def _no_store(response):  # noqa: ANN001
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def api_user():  # noqa: ANN201
    return g.api_user


def require_admin() -> None:
    if g.api_user.role != Role.ADMIN:
        raise Forbidden(_("Only administrators may do this."))


def json_body() -> dict[str, Any]:
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested too deep to be a real request
        data = None
    if not isinstance(data, dict):
        raise InvalidInput(_("The body must be a JSON object."), {"body": _("Invalid JSON.")})
    bad = {str(k).replace("\x00", "")[:64] or "body": _("Contains a NUL character.")
           for k, v in data.items() if contains_nul(k) or contains_nul(v)}
    bad.update({str(k).encode("utf-8", "replace").decode()[:64]: _("Contains characters that are not valid text.")
                for k, v in data.items() if not (encodable(k) and encodable(v))})
    if bad:
        raise InvalidInput(_("Some fields are missing or invalid."), bad)
    return data


from . import admin, attachments, casework, improvement, openapi, regions, reports, scorecards, sla, tickets, volumes  # noqa: E402,F401  (routes register on import)
