"""GET /api/v1/compensation and GET /api/v1/appeals: a month's figures per office, in the user's scope.

Scope as the scorecards API: administrators every office, supervisors and clerks their own; an office
named with ``office=CODE`` that is not theirs is a 403, an unknown one a 404.
"""

from __future__ import annotations

from flask import current_app, jsonify, request

from .. import clock
from ..dashboard import casework
from ..scorecards import months
from . import api_user, bp


def _scope_and_month() -> tuple[list, str]:
    offices = casework.offices_in_scope(api_user(), request.args.get("office") or None)
    zone = offices[0].timezone if len(offices) == 1 else current_app.config["TIMEZONE"]
    return offices, months.parse(request.args.get("month"), clock.now(), zone)


@bp.get("/compensation")
def compensation_totals():
    offices, month = _scope_and_month()
    rows = casework.compensation_by_office(offices, month)
    return jsonify({"month": month, "offices": [r.as_json() for r in rows]})


@bp.get("/appeals")
def appeal_counts():
    offices, month = _scope_and_month()
    rows = casework.appeals_by_office(offices, month)
    return jsonify({"month": month, "offices": [r.as_json() for r in rows]})
