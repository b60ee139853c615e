"""GET /api/v1/reports?region=CODE&period=YYYY-MM|YYYY-Qn: the report's figures, as the page shows them.

``region`` takes a region's code or an office's. Supervisors and administrators (authz.covers_unit);
clerks 403. An unknown code is a 404, a bad period a 422.
"""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import gettext as _

from .. import clock
from ..domain import Role
from ..errors import Forbidden
from ..regions.tree import find_unit
from ..reports import figures, periods
from ..reports.sections import as_json_value, sections
from . import api_user, bp


@bp.get("/reports")
def report():
    user = api_user()
    if user.role == Role.CLERK:  # before any lookup: a clerk learns nothing of which codes exist
        raise Forbidden(_("Only supervisors and administrators may see reports."))
    unit = find_unit(request.args.get("region") or "")
    figures.require_reader(user, unit)
    zone = current_app.config["TIMEZONE"]
    now = clock.now()
    period = periods.parse(request.args.get("period"), now, zone)
    r = figures.report(unit, period, zone, now)
    return jsonify({
        "region": unit.code, "kind": unit.kind, "name": unit.name, "period": period.code,
        "from": period.first_day.isoformat(), "to": period.last_day.isoformat(), "timezone": zone,
        "previous_period": r.previous.period.code, "last_year_period": r.last_year.period.code,
        "sections": {s.key: {row.key: {col: as_json_value(row, v)
                                       for col, v in zip(("current", "previous", "last_year"), row.values,
                                                         strict=True)}
                             for row in s.rows} for s in sections(r)},
        "repeat_complainants": [{"phone": rc.phone, "complaints": rc.complaints,
                                 "tickets": rc.refs} for rc in r.repeaters],
    })
