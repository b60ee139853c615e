"""The public status page: reference + last four digits of the phone -> state and next deadline.

Rate-limited per address (STATUS_LOOKUP_LIMIT) and per reference: after a few wrong
digits on one reference (STATUS_LOOKUP_LIMIT_PER_REFERENCE, counted in the rate-limit
store whatever the address) even the right digits get the wrong-guess answer until the
window passes, so many addresses together cannot walk the 10,000 endings of one
reference. Answers the same for an unknown reference and wrong digits (so it never tells
whether a reference exists), shows nothing personal, and keeps the reference and digits
out of the URL (they are POSTed).
"""

from __future__ import annotations

import hmac
import logging
from typing import TypeVar

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from limits import parse_many
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from .. import clock, counters
from ..authz import phone_last_four
from ..extensions import db, limiter
from ..models import Ticket
from ..sla import status as sla_status

bp = Blueprint("public", __name__)
log = logging.getLogger(__name__)
T = TypeVar("T")


class StatusForm(FlaskForm):
    ref = StringField(_l("Reference"), validators=[DataRequired(), Length(max=20)],
                      description=_l("As printed on your slip, e.g. C-2026-000123."))
    digits = StringField(_l("Last four digits of your phone number"),
                         validators=[DataRequired(), Regexp(r"^\d{4}$", message=_l("Four digits."))],
                         render_kw={"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"})


def _limit() -> str:
    return current_app.config["STATUS_LOOKUP_LIMIT"]


def _normalise(ref: str) -> str:
    return ref.strip().upper()[:20]


def _reference_key(ref: str) -> tuple[str, ...]:
    return counters.key("status-ref", _normalise(ref))


def _per_reference():  # noqa: ANN202 - limits' RateLimitItem list
    return parse_many(current_app.config["STATUS_LOOKUP_LIMIT_PER_REFERENCE"])


def reference_closed(ref: str) -> bool:
    """True when this reference has had its wrong digits for the window: no lookup may succeed."""
    key = _reference_key(ref)
    return counters.counting(lambda s: any(not s.test(item, *key) for item in _per_reference()),
                             "status lookups")


def count_wrong_guess(ref: str) -> None:
    key = _reference_key(ref)
    counters.counting(lambda s: [s.hit(item, *key) for item in _per_reference()], "status lookups")


def lookup(ref: str, digits: str) -> Ticket | None:
    """The ticket when the reference exists and its phone ends with the digits, else None."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.ref == _normalise(ref)))
    # The number's own last four digits (a landline's extension is not part of them).
    last_four = phone_last_four(ticket.customer_phone) if ticket else ""
    # Compare even when there is no ticket, so both refusals take the same path.
    matches = hmac.compare_digest(last_four.encode(), digits.encode()) and len(last_four) == 4
    return ticket if ticket is not None and matches else None


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def status():
    form = StatusForm()
    result, not_found, state = None, False, 200
    if form.validate_on_submit():
        closed = reference_closed(form.ref.data)  # decided before this guess counts
        ticket = lookup(form.ref.data, form.digits.data)
        if ticket is None:
            count_wrong_guess(form.ref.data)  # unknown references too: the same path for both
        if ticket is None or closed:
            not_found = True  # a closed reference answers exactly as a wrong guess does
        else:
            result = {"ref": ticket.ref, "state": ticket.state, "clock": sla_status.current(ticket, clock.now()),
                      "due_at": getattr(sla_status.clocks.open_deadline(ticket), "due_at", None),
                      "timezone": ticket.office.timezone}
    elif form.errors:
        state = 422
    form.digits.data = ""  # part of a phone number: never echoed back into the page
    return render_template("public/status.html", form=form, result=result, not_found=not_found), state
