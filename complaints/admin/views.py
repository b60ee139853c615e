"""Administration pages: offices and users (administrators only)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..auth.tokens import expires_at, live_tokens
from ..authz import is_admin
from ..domain import Role, choices
from ..errors import InvalidInput
from ..extensions import db
from ..formkit import as_choices, show_errors
from ..models import Office, Region, User
from . import operations as ops
from .forms import ConfirmForm, OfficeForm, UserForm

bp = Blueprint("admin", __name__)


@bp.before_request
@login_required
def _admins_only():
    if not is_admin(current_user):
        abort(403)


@bp.get("/offices")
def offices():
    rows = db.session.scalars(select(Office).order_by(Office.code)).all()
    regions = {r.id: r for r in db.session.scalars(select(Region))}
    return render_template("admin/offices.html", offices=rows, regions=regions)


def _office_form(**kwargs) -> OfficeForm:  # noqa: ANN003
    form = OfficeForm(**kwargs)
    form.region.choices = as_choices([("", "—"), *((r.code, f"{r.code} {r.name}")
                                                   for r in db.session.scalars(select(Region).order_by(Region.code)))])
    return form


@bp.route("/offices/new", methods=["GET", "POST"])
def office_new():
    form = _office_form()
    status = 200
    if form.validate_on_submit():
        try:
            office = ops.create_office(form.code.data, form.name.data, form.timezone.data,
                                       phone=form.phone.data, address=form.address.data,
                                       region=form.region.data)
        except InvalidInput as exc:
            show_errors(form, exc)
            status = 422
        else:
            db.session.commit()
            flash(_("Office %(code)s created.", code=office.code), "success")
            return redirect(url_for("admin.offices"))
    elif form.errors:
        status = 422
    return render_template("admin/office_form.html", form=form, office=None), status


@bp.route("/offices/<code>", methods=["GET", "POST"])
def office_edit(code: str):
    office = ops.office_by_code(code)
    region = db.session.get(Region, office.region_id) if office.region_id else None
    form = _office_form(obj=office, region=region.code if region else "")
    status = 200
    if form.validate_on_submit():
        try:
            ops.update_office(office, {"name": form.name.data, "timezone": form.timezone.data,
                                       "phone": form.phone.data, "address": form.address.data,
                                       "region": form.region.data, "active": bool(form.active.data)})
        except InvalidInput as exc:
            show_errors(form, exc)
            status = 422
        else:
            db.session.commit()
            flash(_("Office %(code)s saved.", code=office.code), "success")
            return redirect(url_for("admin.offices"))
    elif form.errors:
        status = 422
    return render_template("admin/office_form.html", form=form, office=office), status


def _user_form(**kwargs) -> UserForm:  # noqa: ANN003
    form = UserForm(**kwargs)
    form.role.choices = as_choices(choices(Role))
    form.offices.choices = as_choices(
        (o.code, f"{o.code} {o.name}")
        for o in db.session.scalars(select(Office).order_by(Office.code))
    )
    form.regions.choices = as_choices(
        (r.code, f"{r.code} {r.name}") for r in db.session.scalars(select(Region).order_by(Region.code)))
    return form


@bp.get("/users")
def users():
    rows = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("admin/users.html", users=rows, confirm=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = _user_form()
    status = 200
    if form.validate_on_submit():
        try:
            user = ops.create_user(form.email.data, form.name.data, form.role.data,
                                   form.offices.data, form.password.data or "",
                                   form.locale.data, regions=form.regions.data)
        except InvalidInput as exc:
            show_errors(form, exc)
            status = 422
        else:
            db.session.commit()
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    elif form.errors:
        status = 422
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = _user_form(obj=user) if request.method == "GET" else _user_form()
    if request.method == "GET":
        form.role.data = user.role.value
        form.offices.data = [o.code for o in user.offices]
        form.regions.data = [r.code for r in user.regions]
        form.locale.data = user.locale or "zh_CN"
    del form.email
    del form.password
    status = 200
    if form.validate_on_submit():
        try:
            ops.update_user(user, {"name": form.name.data, "role": form.role.data,
                                   "offices": form.offices.data, "regions": form.regions.data,
                                   "locale": form.locale.data},
                            actor=current_user)
        except InvalidInput as exc:
            show_errors(form, exc)
            status = 422
        else:
            db.session.commit()
            flash(_("User %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    elif form.errors:
        status = 422
    return render_template("admin/user_form.html", form=form, user=user,
                           confirm=ConfirmForm(), tokens=live_tokens(user), expires_at=expires_at), status


@bp.post("/users/<int:user_id>/active")
def user_toggle_active(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ops.update_user(user, {"active": not user.active}, actor=current_user)
    except InvalidInput as exc:
        db.session.rollback()
        flash(" ".join(exc.fields.values()) or exc.message, "error")
        return redirect(url_for("admin.users")), 303
    db.session.commit()
    flash(_("User %(email)s is now %(state)s.", email=user.email,
            state=_("active") if user.active else _("deactivated")), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/password")
def user_reset_password(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    password = ops.reset_password(user)
    db.session.commit()
    # Shown once, on the admin's screen only, to hand over to the user, who must replace it at the
    # next sign-in; the browser may not keep the page (no back button, no cache).
    return render_template("admin/password_reset.html", user=user, password=password), 200, {
        "Cache-Control": "no-store"}


@bp.post("/users/<int:user_id>/tokens/revoke")
def user_revoke_tokens(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = ops.revoke_user_tokens(user)
    db.session.commit()
    flash(_("API tokens of %(email)s revoked: %(n)d.", email=user.email, n=count), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))
