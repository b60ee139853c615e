"""The volumes page: a grid of offices x months of a year, a CSV import, a CSV download.

Supervisors see and enter the offices they cover, administrators every office; clerks are refused.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..csvimport import ImportRefused, uploaded
from ..csvsafe import stream
from ..errors import InvalidInput
from ..extensions import db
from . import operations as ops
from .forms import GridForm, ImportForm

bp = Blueprint("volumes", __name__)


@bp.before_request
@login_required
def _supervisors_and_admins() -> None:
    if not ops.may_enter(current_user):
        abort(403)


def _year() -> int:
    """The year asked for (?year=), from 2000 up to this year; else this year."""
    this_year = ops.current_month(clock.now()).year
    year = request.args.get("year", type=int)
    return year if year is not None and 2000 <= year <= this_year else this_year


def _page(year: int, *, typed: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          import_form: ImportForm | None = None, bad: ImportRefused | None = None, status: int = 200):
    offices = ops.offices_in_scope(current_user)
    months = ops.year_months(year)
    found = ops.figures([o.id for o in offices], months[0], months[-1])
    this_year = ops.current_month(clock.now()).year
    return render_template(
        "volumes/grid.html", year=year, offices=offices, months=months, found=found, typed=typed or {},
        errors=errors or {}, form=GridForm(), import_form=import_form or ImportForm(prefix="import"), bad=bad,
        this_month=ops.current_month(clock.now()), cell_name=ops.cell_name, month_text=ops.month_text,
        prev_year=year - 1 if year > 2000 else None, next_year=year + 1 if year < this_year else None,
    ), status


@bp.route("/volumes", methods=["GET", "POST"])
def grid():
    year = _year()
    if request.method == "GET":
        return _page(year)
    form = GridForm()
    if not form.validate_on_submit():
        abort(400)
    typed = {k: v for k, v in request.form.items() if k.startswith("v-")}
    offices = ops.offices_in_scope(current_user)
    try:
        changed = ops.save_grid(current_user, offices, year, typed, clock.now())
    except InvalidInput as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _page(year, typed=typed, errors=exc.fields, status=422)
    db.session.commit()
    flash(_("Volumes of %(year)d saved: %(n)d figures changed.", year=year, n=changed), "success")
    return redirect(url_for("volumes.grid", year=year))


@bp.post("/volumes/import")
def import_csv():
    year = _year()
    form = ImportForm(prefix="import")
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = ops.import_csv(current_user, uploaded(form, ops.CSV_MAX_BYTES), clock.now())
    except ImportRefused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _page(year, import_form=form, bad=exc, status=422)
    db.session.commit()
    flash(_("Volumes imported: %(n)d figures changed.", n=changed), "success")
    return redirect(url_for("volumes.grid", year=year))


@bp.get("/volumes/export.csv")
def export_csv():
    year = _year()
    offices = ops.offices_in_scope(current_user)
    # The header stays in English: it is the import's format, read back by the import.
    rows = list(ops.export_rows(offices, year))  # read now, inside the request
    return Response(stream(list(ops.CSV_HEADER), rows), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="volumes-{year}.csv"'})
