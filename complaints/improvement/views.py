"""Improvement actions on the web: the form on a clerk's card, withdrawing a mistaken entry, and the
panels that the clerk card and the office scorecard page include (template globals, so that those
pages' views need not change)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import literal, select

from .. import clock
from ..admin.forms import ConfirmForm
from ..errors import Forbidden, InvalidInput
from ..extensions import db
from ..formkit import show_errors
from ..models import Office, User
from . import operations as ops
from . import results
from .forms import ActionForm

bp = Blueprint("improvement", __name__)

STATUS_LABELS = {results.OPEN: _l("Open until the review month"), results.DUE: _l("Due: the review month so far"),
                 results.REVIEWED: _l("Reviewed")}


def _card_url(clerk_id: int) -> str:
    return url_for("scorecards.clerk_card", clerk_id=clerk_id) + "#actions"


@bp.post("/scorecards/clerk/<int:clerk_id>/actions")
@login_required
def record(clerk_id: int):
    clerk, office = ops.clerk_and_office(clerk_id)
    if not ops.may_record(current_user, office):
        raise Forbidden(_("Only a supervisor of this office may record improvement actions."))
    form = ActionForm(prefix="action")
    if not form.validate_on_submit():
        abort(400)
    try:
        action = ops.record_action(current_user, clerk, form.factor.data, form.action.data, form.description.data,
                                   form.review_month.data, clock.now())
    except InvalidInput as exc:
        show_errors(form, exc)
        return render_template("improvement/form.html", form=form, clerk=clerk, office=office), 422
    db.session.commit()
    flash(_("Improvement action recorded: review in %(month)s.", month=action.review_month), "success")
    return redirect(_card_url(clerk.id))


@bp.post("/scorecards/actions/<int:action_id>/withdraw")
@login_required
def withdraw(action_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    row = ops.withdraw_action(current_user, action_id, clock.now())  # 403, 404, 409 change nothing
    db.session.commit()
    flash(_("Improvement action withdrawn."), "success")
    return redirect(_card_url(row.clerk_id))


def clerk_panel(clerk: User, office: Office) -> dict[str, Any]:
    """The clerk card's list of actions with their results, and the form for those who may record."""
    may = ops.may_record(current_user, office)
    return {"results": results.results_for(ops.clerk_actions(clerk), clock.now()), "may_record": may,
            "form": ActionForm(prefix="action") if may else None, "confirm": ConfirmForm() if may else None}


def office_panel(office: Office) -> dict[str, Any]:
    """The office scorecard page's open, due and recently reviewed actions."""
    return {"results": results.actions_for_offices(select(literal(office.id)), clock.now())}


@bp.app_template_global("improvement_status")
def status_label(status: str) -> str:
    return str(STATUS_LABELS[status])
