"""Scorecard pages: an office's month, the assessment grid, one clerk's card and trend, CSV export."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import clock
from ..admin.forms import ConfirmForm
from ..authz import can_access_office, in_scope, is_admin
from ..csvsafe import stream
from ..domain import Kind, Role
from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..improvement import views as improvement_views
from ..models import Office, ScoreChange, User
from ..models.scorecard import CLERK_FACTORS
from ..textcheck import as_int
from . import compute, months, operations
from .settings import FIELDS as WEIGHT_FIELDS
from .settings import get_weights, set_weights

bp = Blueprint("scorecards", __name__)


def factor_label(name: str) -> str:
    from ..domain import Factor, label

    return label(Factor(name))


def _offices_for(user: User) -> list[Office]:
    stmt = select(Office).where(Office.active.is_(True)).order_by(Office.code)
    if not is_admin(user):
        stmt = stmt.where(in_scope(Office.id, user))
    return list(db.session.scalars(stmt))


def _office_and_month(user: User) -> tuple[Office, str]:
    offices = _offices_for(user)
    code = request.args.get("office") or (offices[0].code if offices else None)
    office = next((o for o in offices if o.code == code), None)
    if office is None:
        if code and db.session.scalar(select(Office).where(Office.code == str(code)[:32])):
            raise Forbidden(_("You do not cover this office."))
        raise NotFound(_("No office with this code."))
    return office, months.parse(request.args.get("month"), clock.now(), office.timezone)


@bp.get("/scorecards")
@login_required
def office_month():
    if current_user.role == Role.CLERK:
        return redirect(url_for("scorecards.clerk_card", clerk_id=current_user.id))
    office, month = _office_and_month(current_user)
    cards = compute.office_cards(office, month)
    return render_template("scorecards/office.html", office=office, month=month, cards=cards,
                           commendations=compute.commendations([c.clerk.id for c in cards], office, month),
                           improvement=improvement_views.office_panel(office),
                           causes=compute.by_root_cause(office, month, with_tickets=True),
                           offices=_offices_for(current_user), factors=compute.FACTORS,
                           may_assess=operations.may_assess(current_user, office),
                           prev_month=months.shift(month, -1),
                           next_month=months.shift(month, 1) if month < months.current(clock.now(), office.timezone)
                           else None)


@bp.route("/scorecards/assess", methods=["GET", "POST"])
@login_required
def assess():
    office, month = _office_and_month(current_user)
    if not operations.may_assess(current_user, office):
        raise Forbidden(_("Only a supervisor of this office may enter its assessments."))
    form = ConfirmForm()
    cards = compute.office_cards(office, month)
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        typed = {k: v for k, v in request.form.items() if k != "csrf_token"}
        rows: dict[int, dict[str, str]] = {}
        for key, value in typed.items():
            head, _sep, name = key.partition("-")
            if head.startswith("c") and as_int(head[1:]) is not None:
                rows.setdefault(as_int(head[1:]), {})[name] = value
        hardware = {"score": typed.get("hw-score", ""), "comment": typed.get("hw-comment", "")}
        try:
            changed = operations.save(office, month, current_user, rows, hardware, clock.now())
        except InvalidInput as exc:
            db.session.rollback()
            errors, status = exc.fields, 422
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Saved: %(n)d values changed.", n=changed), "success")
            return redirect(url_for("scorecards.office_month", office=office.code, month=month))
    changes = db.session.execute(
        select(ScoreChange, User.name).join(User, User.id == ScoreChange.changed_by_id)
        .where(ScoreChange.office_id == office.id, ScoreChange.month == month)
        .order_by(ScoreChange.id.desc()).limit(100)
    ).all()
    names = {c.clerk.id: c.clerk.name for c in cards}
    return render_template("scorecards/assess.html", office=office, month=month, cards=cards, form=form,
                           errors=errors, typed=typed, clerk_factors=CLERK_FACTORS, changes=changes,
                           names=names), status


@bp.get("/scorecards/clerk/<int:clerk_id>")
@login_required
def clerk_card(clerk_id: int):
    clerk = db.session.get(User, clerk_id)
    if clerk is None or clerk.role != Role.CLERK or not clerk.offices:
        raise NotFound(_("No such clerk."))
    office = clerk.offices[0]
    own = clerk.id == current_user.id
    if not own and (current_user.role == Role.CLERK or not can_access_office(current_user, office.id)):
        raise Forbidden(_("You may only see your own scorecard."))
    month = months.parse(request.args.get("month"), clock.now(), office.timezone)
    cards = compute.office_cards(office, month)
    card = next((c for c in cards if c.clerk.id == clerk.id), None)
    trend = compute.history(clerk, office, month, 12)
    return render_template(
        "scorecards/clerk.html", clerk=clerk, office=office, month=month, card=card, factors=compute.FACTORS,
        complaints=compute.tickets_behind(clerk, office, month, Kind.COMPLAINT),
        errors_=compute.tickets_behind(clerk, office, month, Kind.ERROR),
        commendations=compute.commendations([clerk.id], office, month),
        improvement=improvement_views.clerk_panel(clerk, office),
        follow_ups=compute.follow_ups(clerk, office, month), trend=trend, chart=_chart(trend),
        weights=get_weights(), prev_month=months.shift(month, -1),
        next_month=months.shift(month, 1) if month < months.current(clock.now(), office.timezone) else None,
    )


def _chart(cards: list[compute.Card]) -> dict:
    """Coordinates for a small server-drawn SVG line of the monthly totals (works without JavaScript)."""
    width, height, pad = 600, 200, 30
    totals = [c.total for c in cards]
    lo, hi = min([*totals, 0]), max([*totals, 10])
    span = (hi - lo) or 1
    step = (width - 2 * pad) / max(1, len(cards) - 1)
    points = [(pad + i * step, height - pad - (t - lo) / span * (height - 2 * pad)) for i, t in enumerate(totals)]
    zero = height - pad - (0 - lo) / span * (height - 2 * pad)
    return {"width": width, "height": height, "points": points, "zero": zero, "lo": lo, "hi": hi,
            "labels": [(x, c.month[5:], c.total) for (x, _y), c in zip(points, cards, strict=True)],
            "polyline": " ".join(f"{x:.1f},{y:.1f}" for x, y in points)}


@bp.get("/scorecards/export.csv")
@login_required
def export_csv():
    if current_user.role == Role.CLERK:
        raise Forbidden(_("You may only see your own scorecard."))
    office, month = _office_and_month(current_user)
    cards = compute.office_cards(office, month)

    header = [_("Office"), _("Month"), _("Clerk"), _("Email"), *[factor_label(f) for f in compute.FACTORS],
              _("Total"), _("Rank"), _("Change"), _("Customer gap")]
    rows = ((office.code, month, c.clerk.name, c.clerk.email, *c.factors.values(), c.total, c.rank,
             "" if c.change is None else c.change, "" if c.voice_gap is None else c.voice_gap) for c in cards)

    filename = f"scorecard-{office.code}-{month}.csv"
    return Response(stream(header, rows), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/admin/scoring", methods=["GET", "POST"])
@login_required
def weights():
    if not is_admin(current_user):
        abort(403)
    form = ConfirmForm()
    errors: dict[str, str] = {}
    values = get_weights().to_dict()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        # A field the form did not send is absent (an optional one then keeps its value), not blank.
        values = {f: request.form[f] for f in WEIGHT_FIELDS if f in request.form}
        try:
            set_weights(values, clock.now())
        except InvalidInput as exc:
            db.session.rollback()
            errors, status = exc.fields, 422
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Weights saved. Every scorecard is computed with them from now on."), "success")
            return redirect(url_for("scorecards.weights"))
    return render_template("scorecards/weights.html", form=form, values=values, errors=errors,
                           fields=WEIGHT_FIELDS), status


from . import region_views  # noqa: E402,F401  (the region pages are routes of this blueprint)
