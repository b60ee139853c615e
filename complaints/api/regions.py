"""The region tree through the API: read by supervisors (what they cover) and admins, changed by admins."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import clock
from ..authz import home_office, is_admin
from ..domain import Role
from ..errors import Forbidden, InvalidInput
from ..extensions import db
from ..models import Office, Region, RegionLink, user_regions
from ..regions import dashboard
from ..regions import operations as ops
from . import api_user, bp, json_body, require_admin


def _region_dict(r: Region, parents: dict[int, str], offices: dict[int, int]) -> dict:
    return {"code": r.code, "name": r.name, "parent": parents.get(r.parent_id) if r.parent_id else None,
            "offices": offices.get(r.id, 0)}


@bp.get("/regions")
def list_regions():
    """Every region for an admin; for a supervisor the regions assigned and those below them."""
    user = api_user()
    if user.role == Role.CLERK:
        raise Forbidden(_("Only supervisors and administrators read the region tree."))
    stmt = select(Region).order_by(Region.code)
    if not is_admin(user):
        stmt = stmt.where(Region.id.in_(
            select(RegionLink.descendant_id).join(user_regions, user_regions.c.region_id == RegionLink.ancestor_id)
            .where(user_regions.c.user_id == user.id)))
    regions = list(db.session.scalars(stmt))
    ids = [r.id for r in regions]
    codes = dict(db.session.execute(select(Region.id, Region.code)).all())
    below = dict(db.session.execute(
        select(RegionLink.ancestor_id, func.count(Office.id))
        .join(Office, Office.region_id == RegionLink.descendant_id)
        .where(RegionLink.ancestor_id.in_(ids)).group_by(RegionLink.ancestor_id)).all()) if ids else {}
    return jsonify({"regions": [_region_dict(r, codes, below) for r in regions]})


@bp.post("/regions")
def create_region():
    require_admin()
    body = json_body()
    unknown = set(body) - {"code", "name", "parent"}
    if unknown:
        raise InvalidInput(_("Unknown fields."), {k[:64]: _("Unknown field.") for k in unknown})
    region = ops.create_region(body.get("code"), body.get("name"), body.get("parent"))
    db.session.commit()
    return jsonify({"code": region.code, "name": region.name, "parent": body.get("parent") or None,
                    "offices": 0}), 201


@bp.patch("/regions/<code>")
def patch_region(code: str):
    """Rename a region or move it (with everything below it) under another parent."""
    require_admin()
    region = ops.region_by_code(code)
    body = json_body()
    unknown = set(body) - {"name", "parent"}
    if unknown:
        raise InvalidInput(_("Unknown fields."), {k[:64]: _("Unknown field.") for k in unknown})
    parent = db.session.get(Region, region.parent_id) if region.parent_id else None
    ops.update_region(region, body.get("name", region.name), body.get("parent", parent.code if parent else None))
    db.session.commit()
    return get_region(region.code)


@bp.get("/regions/<code>")
def get_region(code: str):
    """The region's dashboard: totals and one line per region or office one level down."""
    user = api_user()
    if user.role == Role.CLERK:
        raise Forbidden(_("Only supervisors and administrators read the region tree."))
    region = ops.region_by_code(code)
    if not dashboard.may_see_region(user, region.id):
        raise Forbidden(_("You do not cover this region."))
    home = home_office(user)
    zone = home.timezone if home else current_app.config["TIMEZONE"]
    r = dashboard.rollup(region, clock.now(), zone)

    def row(x: dashboard.Row) -> dict:
        return {"kind": x.kind, "code": x.code, "name": x.name, "offices": x.offices, "open": x.open,
                "overdue": x.overdue, "logged_this_month": x.logged, "complaints_this_month": x.complaints,
                "valid_appeals_this_month": x.valid_appeals}

    return jsonify({"code": region.code, "name": region.name, "path": [p.code for p in r.path],
                    "total": row(r.total), "below": [row(x) for x in r.rows]})
