"""The report pages: /reports (a unit and a period), its print layout (?print=1) and its XLSX.

Supervisors and administrators (see authz.covers_unit); clerks are refused. A bad period is a message
on the page (422); an unknown unit a 404, one outside the user's scope a 403.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import clock
from ..authz import in_scope, is_admin, regions_covered
from ..domain import Role
from ..errors import InvalidInput
from ..extensions import db
from ..models import Office, Region
from ..regions.tree import Unit, find_unit
from . import figures, periods, xlsx
from .sections import sections as layout
from .sections import ticket_args

bp = Blueprint("reports", __name__)
UNITS_LISTED = 500  # the picker's suggestions; any code can be typed


@bp.before_request
def _supervisors_and_admins():  # noqa: ANN202
    if request.endpoint == "reports.stylesheet":
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role == Role.CLERK:
        abort(403)
    return None


def _zone() -> str:
    return current_app.config["TIMEZONE"]


def _suggestions() -> list[tuple[str, str]]:
    """Codes and names for the unit picker: the regions and offices the user covers (admins: all)."""
    regions = select(Region.code, Region.name).order_by(Region.code).limit(UNITS_LISTED)
    offices = select(Office.code, Office.name).where(Office.active.is_(True)).order_by(Office.code)
    if not is_admin(current_user):
        regions = regions.where(Region.id.in_(regions_covered(current_user)))
        offices = offices.where(in_scope(Office.id, current_user))
    return [*db.session.execute(regions).all(), *db.session.execute(offices.limit(UNITS_LISTED)).all()]


def _default_code() -> str | None:
    if current_user.regions:
        return current_user.regions[0].code
    if current_user.offices:
        return current_user.offices[0].code
    return None


def _unit_and_period() -> tuple[Unit | None, periods.Period | None, str, dict[str, str]]:
    """The unit (404/403 raised) and the period asked for; a bad period comes back as field errors."""
    code = (request.args.get("region") or _default_code() or "").strip()
    unit = None
    if code:
        unit = find_unit(code)
        figures.require_reader(current_user, unit)
    try:
        period = periods.parse(request.args.get("period"), clock.now(), _zone())
    except InvalidInput as exc:
        return unit, None, code, {**exc.fields, "_": exc.message}
    return unit, period, code, {}


@bp.get("/reports")
@login_required
def report():
    unit, period, code, errors = _unit_and_period()
    shown = None
    if unit is not None and period is not None:
        shown = figures.report(unit, period, _zone(), clock.now())
    template = "reports/print.html" if request.args.get("print") == "1" and shown else "reports/report.html"
    return render_template(template, report=shown, sections=layout(shown) if shown else [], code=code,
                           period_text=request.args.get("period") or (period.code if period else ""),
                           errors=errors, suggestions=_suggestions(), ticket_args=ticket_args,
                           last_whole_month=periods.default(clock.now(), _zone()).code), (422 if errors else 200)


@bp.get("/reports/export.xlsx")
@login_required
def export_xlsx():
    unit, period, _code, errors = _unit_and_period()
    if errors:
        raise InvalidInput(errors.pop("_"), errors)
    if unit is None:
        unit = find_unit("")  # no code at all: the 422 that names the field
    data = xlsx.workbook(figures.report(unit, period, _zone(), clock.now()))
    name = f"report-{unit.code}-{period.code}.xlsx"
    return Response(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/reports/report.css")
def stylesheet():
    """The report's print rules: a file, since the pages' CSP allows no inline style."""
    return Response(render_template("reports/report.css"), content_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})
