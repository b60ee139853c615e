"""Region pages: the dashboard of a region (supervisors who cover it, admins) and the admin's tree."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import clock
from ..authz import is_admin
from ..csvimport import ImportRefused, uploaded
from ..csvsafe import stream
from ..domain import Role
from ..errors import DomainError, Forbidden, InvalidInput
from ..extensions import db
from ..formkit import show_errors
from ..models import Office, Region
from . import dashboard, tree
from . import operations as ops
from .forms import DeleteForm, ImportForm, RegionEditForm, RegionForm

bp = Blueprint("regions", __name__)


@bp.get("/regions")
@login_required
def index():
    if current_user.role == Role.CLERK:
        abort(403)
    return render_template("regions/index.html", regions=dashboard.regions_of(current_user))


@bp.get("/regions/<code>")
@login_required
def show(code: str):
    if current_user.role == Role.CLERK:
        abort(403)
    region = ops.region_by_code(code)
    if not dashboard.may_see_region(current_user, region):
        raise Forbidden(_("You do not cover this region."))
    from ..improvement.results import actions_for_offices

    now = clock.now()
    rolled = dashboard.rollup(region, now, dashboard.region_zone())
    return render_template("regions/show.html", r=rolled, links=_links(region),
                           actions=actions_for_offices(tree.offices_below(region.id), now))


def _links(region: Region) -> list[tuple[str, str]]:
    """The region's report and scorecard pages, where those areas are installed."""
    wanted = [(_("Monthly report"), "reports.report", {"region": region.code}),
              (_("Scorecards"), "scorecards.region_card", {"code": region.code})]
    return [(text, url_for(endpoint, **args)) for text, endpoint, args in wanted
            if endpoint in current_app.view_functions]


# -- the admin's tree -------------------------------------------------------------------------

admin_bp = Blueprint("regions_admin", __name__)


@admin_bp.before_request
@login_required
def _admins_only() -> None:
    if not is_admin(current_user):
        abort(403)


def _tree_page(form: RegionForm | None = None, import_form: ImportForm | None = None,
               bad: ImportRefused | None = None, status: int = 200):
    depth = dict(db.session.execute(tree.depths()).all())
    regions = list(db.session.scalars(select(Region)))
    children: dict[int | None, list[Region]] = {}
    for r in sorted(regions, key=lambda r: r.code):
        children.setdefault(r.parent_id, []).append(r)
    ordered: list[Region] = []

    def walk(parent_id: int | None) -> None:
        for r in children.get(parent_id, []):
            ordered.append(r)
            walk(r.id)

    walk(None)
    direct = dict(db.session.execute(select(Office.region_id, func.count()).where(Office.region_id.is_not(None))
                                     .group_by(Office.region_id)).all())
    unplaced = db.session.scalar(select(func.count()).select_from(Office).where(Office.region_id.is_(None)))
    return render_template("regions/admin.html", regions=ordered, depth=depth, direct=direct, unplaced=unplaced,
                           form=form or RegionForm(prefix="new"),
                           import_form=import_form or ImportForm(prefix="import"), bad=bad), status


@admin_bp.route("/regions", methods=["GET", "POST"])
def admin_tree():
    form = RegionForm(prefix="new")
    if request.method == "GET":
        return _tree_page(form)
    if not form.validate_on_submit():
        return _tree_page(form, status=422 if form.errors else 400)
    try:
        region = ops.create_region(form.code.data, form.name.data, form.parent.data)
    except InvalidInput as exc:
        show_errors(form, exc)
        return _tree_page(form, status=422)
    db.session.commit()
    flash(_("Region %(code)s created.", code=region.code), "success")
    return redirect(url_for("regions_admin.admin_tree"))


@admin_bp.post("/regions/import")
def admin_import():
    form = ImportForm(prefix="import")
    if not form.validate_on_submit():
        abort(400)
    try:
        result = ops.import_csv(uploaded(form, ops.CSV_MAX_BYTES))
    except ImportRefused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _tree_page(import_form=form, bad=exc, status=422)
    db.session.commit()
    flash(_("Regions imported: %(created)d created, %(changed)d changed, %(placed)d offices placed.",
            created=result.created, changed=result.changed, placed=result.offices_placed), "success")
    return redirect(url_for("regions_admin.admin_tree"))


@admin_bp.get("/regions/export.csv")
def admin_export():
    rows = ops.export_rows()
    return Response(stream(list(ops.CSV_HEADER), rows), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="regions.csv"'})


@admin_bp.route("/regions/<code>", methods=["GET", "POST"])
def admin_edit(code: str):
    region = ops.region_by_code(code)
    parent = db.session.get(Region, region.parent_id) if region.parent_id else None
    form = RegionEditForm(obj=region, parent=parent.code if parent else "")
    status = 200
    if form.validate_on_submit():
        try:
            ops.update_region(region, form.name.data, form.parent.data)
        except InvalidInput as exc:
            show_errors(form, exc)
            status = 422
        else:
            db.session.commit()
            flash(_("Region %(code)s saved.", code=region.code), "success")
            return redirect(url_for("regions_admin.admin_tree"))
    elif form.errors:
        status = 422
    return render_template("regions/edit.html", form=form, region=region, delete=DeleteForm()), status


@admin_bp.post("/regions/<code>/delete")
def admin_delete(code: str):
    region = ops.region_by_code(code)
    if not DeleteForm().validate_on_submit():
        abort(400)
    try:
        tree.delete_region(region)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("regions_admin.admin_edit", code=region.code))
    db.session.commit()
    flash(_("Region %(code)s deleted.", code=code.upper()), "success")
    return redirect(url_for("regions_admin.admin_tree"))
