"""The public status page: reference + last four digits of the phone -> state and next deadline.

Rate-limited per address, answers the same for an unknown reference and wrong digits (so
it never tells whether a reference exists), shows nothing personal, and keeps the
reference and digits out of the URL (they are POSTed).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from .. import clock
from ..extensions import db, limiter
from ..models import Ticket
from ..sla import status as sla_status

bp = Blueprint("public", __name__)


class StatusForm(FlaskForm):
    ref = StringField(_l("Reference"), validators=[DataRequired(), Length(max=20)],
                      description=_l("As printed on your slip, e.g. C-2026-000123."))
    digits = StringField(_l("Last four digits of your phone number"),
                         validators=[DataRequired(), Regexp(r"^\d{4}$", message=_l("Four digits."))],
                         render_kw={"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"})


def _limit() -> str:
    return current_app.config["STATUS_LOOKUP_LIMIT"]


def lookup(ref: str, digits: str) -> Ticket | None:
    """The ticket when the reference exists and its phone ends with the digits, else None."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.ref == ref.strip().upper()[:20]))
    phone = (ticket.customer_phone or "") if ticket else ""
    # Compare even when there is no ticket, so both refusals take the same path.
    matches = hmac.compare_digest(phone[-4:].encode(), digits.encode()) and len(phone) >= 4
    return ticket if ticket is not None and matches else None


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def status():
    form = StatusForm()
    result, not_found, state = None, False, 200
    if form.validate_on_submit():
        ticket = lookup(form.ref.data, form.digits.data)
        if ticket is None:
            not_found = True
        else:
            result = {"ref": ticket.ref, "state": ticket.state, "clock": sla_status.current(ticket, clock.now()),
                      "due_at": getattr(sla_status.clocks.open_deadline(ticket), "due_at", None),
                      "timezone": ticket.office.timezone}
    elif form.errors:
        state = 422
    form.digits.data = ""  # part of a phone number: never echoed back into the page
    return render_template("public/status.html", form=form, result=result, not_found=not_found), state
