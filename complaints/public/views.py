"""The public status page: reference + last four digits of the phone -> state and next deadline.

Rate-limited per address (STATUS_LOOKUP_LIMIT) and per reference: after a few wrong
digits on one reference (STATUS_LOOKUP_LIMIT_PER_REFERENCE, counted in the rate-limit
store whatever the address) even the right digits get the wrong-guess answer until the
window passes, so many addresses together cannot walk the 10,000 endings of one
reference. Answers the same for an unknown reference and wrong digits (so it never tells
whether a reference exists), shows nothing personal, and keeps the reference and digits
out of the URL (they are POSTed).

The answer names the office to ask (name, phone, address); once resolved, what the customer is
told (the outcome) and when; once closed, or when the statutory reply is late, where to appeal
(the postal regulator's 12305 line). A language switch (a POST setting the ``locale`` cookie that
``i18n.select_locale`` reads; the browser's language until then) keeps the answer on the page:
the reference of the last successful lookup stays a few minutes in the signed session, the
digits nowhere.
"""

from __future__ import annotations

import hmac
import logging
import re
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from limits import parse_many
from sqlalchemy import select
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Regexp

from .. import clock, counters
from ..authz import phone_last_four
from ..domain import CASE_KINDS, State
from ..extensions import db, limiter
from ..models import Ticket
from ..sla import reply as reply_clock
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


class LanguageForm(FlaskForm):
    """The language switch: a POST, so that nothing the customer typed ends up in a URL."""

    locale = HiddenField(validators=[AnyOf(["zh_CN", "en"])])


LANGUAGES = {"zh_CN": "中文", "en": "English"}
REMEMBER_LOOKUP = timedelta(minutes=10)  # the answer survives a language switch, not a day at a shared PC
LOCALE_COOKIE_DAYS = 365


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


def answer(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """What the customer may see: state, next step, the office to ask, the outcome, where to appeal."""
    done = ticket.state in (State.RESOLVED, State.CLOSED)
    late = ticket.state != State.REJECTED and reply_clock.is_late(ticket, now)
    return {
        "ref": ticket.ref, "state": ticket.state, "clock": sla_status.current(ticket, now),
        "due_at": getattr(sla_status.clocks.open_deadline(ticket), "due_at", None),
        "timezone": ticket.office.timezone,
        "office": {"name": ticket.office.name, "phone": ticket.office.phone, "address": ticket.office.address},
        "outcome": ticket.outcome if done else None,
        # The day, in the office's zone: the customer reads a date, not an instant.
        "resolved_on": ticket.resolved_at.astimezone(ZoneInfo(ticket.office.timezone)).date()
        if done and ticket.resolved_at else None,
        "reply_late": late,
        # Praise (a commendation) is nothing to appeal against.
        "appeal": ticket.kind in CASE_KINDS and (ticket.state == State.CLOSED or late),
    }


def _remembered(now: datetime) -> Ticket | None:
    """The ticket of this browser's last successful lookup, while it is fresh."""
    kept = session.get("status_lookup")
    if not isinstance(kept, dict) or not isinstance(kept.get("ref"), str) \
            or not isinstance(kept.get("at"), int | float):
        return None
    if not 0 <= now.timestamp() - kept["at"] <= REMEMBER_LOOKUP.total_seconds():
        session.pop("status_lookup", None)
        return None
    return db.session.scalar(select(Ticket).where(Ticket.ref == kept["ref"]))


def _render(form: StatusForm, result: dict[str, Any] | None, not_found: bool, state: int):  # noqa: ANN202
    form.digits.data = ""  # part of a phone number: never echoed back into the page
    return render_template("public/status.html", form=form, result=result, not_found=not_found,
                           language_form=LanguageForm(), languages=LANGUAGES), state


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def status():
    form = StatusForm()
    result, not_found, state = None, False, 200
    now = clock.now()
    if form.validate_on_submit():
        closed = reference_closed(form.ref.data)  # decided before this guess counts
        ticket = lookup(form.ref.data, form.digits.data)
        if ticket is None:
            count_wrong_guess(form.ref.data)  # unknown references too: the same path for both
        if ticket is None or closed:
            not_found = True  # a closed reference answers exactly as a wrong guess does
            session.pop("status_lookup", None)
        else:
            result = answer(ticket, now)
            session["status_lookup"] = {"ref": ticket.ref, "at": now.timestamp()}
    elif form.errors:
        state = 422
    elif (ticket := _remembered(now)) is not None:
        result = answer(ticket, now)  # back from the language switch: the same answer, in the other language
        form.ref.data = ticket.ref
    elif request.method == "GET" and _LINK_REF.fullmatch(request.args.get("ref", "")):
        form.ref.data = request.args["ref"].upper()  # from the link in a customer message: the digits are still asked
    return _render(form, result, not_found, state)


_LINK_REF = re.compile(r"[A-Za-z]-\d{4}-\d{1,10}")


@bp.post("/status/language")
def language():
    """Switch the public pages' language and go back to the status page (POST, then GET: nothing in the URL)."""
    form = LanguageForm()
    response = redirect(url_for("public.status"), code=303)
    if form.validate_on_submit():
        response.set_cookie("locale", form.locale.data, max_age=LOCALE_COOKIE_DAYS * 24 * 3600,
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                            httponly=True, samesite="Lax")
    return response
