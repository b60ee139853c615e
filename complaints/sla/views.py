"""Admin pages for SLA policies, reply policies, office calendars and the mail outbox."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import clock
from ..admin import operations as admin_ops
from ..admin.forms import ConfirmForm
from ..authz import is_admin
from ..domain import CASE_KINDS, Channel, Severity
from ..errors import InvalidInput
from ..extensions import db
from ..mail.delivery import error_kind, retry_now
from ..models import OutboxMessage
from ..textcheck import as_int
from . import operations as ops
from .forms import WEEKDAYS, ImportHolidaysForm, PolicyForm, ReplyPolicyForm, calendar_form_class, policy_form_data
from .messages import target
from .national import national_days
from .policies import all_policies, all_reply_policies, get_policy, get_reply_policy, office_holidays, office_week

bp = Blueprint("sla", __name__)
OUTBOX_PAGE = 50


@bp.before_request
@login_required
def _admins_only():
    if not is_admin(current_user):
        abort(403)


def _field_errors(form, exc: InvalidInput, mapping: dict[str, str] | None = None) -> None:  # noqa: ANN001
    db.session.rollback()
    for name, message in exc.fields.items():
        target = (mapping or {}).get(name, name)
        if target in form:
            form[target].errors = [*list(form[target].errors or []), message]
    flash(exc.message, "error")


@bp.get("/sla")
def policies():
    return render_template("sla/policies.html", policies=all_policies(), kinds=list(CASE_KINDS),
                           severities=list(Severity), target=target)


@bp.route("/sla/<kind>/<severity>", methods=["GET", "POST"])
def policy_edit(kind: str, severity: str):
    try:
        k, s = ops.parse_key(kind, severity)
    except InvalidInput:
        abort(404)
    policy = get_policy(k, s)
    form = PolicyForm(data=policy_form_data(policy)) if request.method == "GET" else PolicyForm()
    status = 200
    if form.validate_on_submit():
        raw = {name: form.target_minutes(name) for name in ops.MINUTE_FIELDS} | {"calendar": form.calendar.data}
    else:
        raw = None
    if raw is not None and None not in raw.values():
        try:
            ops.set_policy(k, s, raw, clock.now())
        except InvalidInput as exc:
            _field_errors(form, exc)
            status = 422
        else:
            db.session.commit()
            flash(_("Policy saved. It applies to clocks started from now on."), "success")
            return redirect(url_for("sla.policies"))
    elif form.errors:
        status = 422
    return render_template("sla/policy_form.html", form=form, policy=policy), status


@bp.get("/reply-policies")
def reply_policies():
    """The statutory reply targets, a row per kind and channel."""
    return render_template("sla/reply_policies.html", policies=all_reply_policies(), kinds=list(CASE_KINDS),
                           channels=list(Channel))


@bp.route("/reply-policies/<kind>/<channel>", methods=["GET", "POST"])
def reply_policy_edit(kind: str, channel: str):
    try:
        k, c = ops.parse_reply_key(kind, channel)
    except InvalidInput:
        abort(404)
    policy = get_reply_policy(k, c)
    form = ReplyPolicyForm(data=policy.to_dict()) if request.method == "GET" else ReplyPolicyForm()
    status = 200
    if form.validate_on_submit():
        try:
            ops.set_reply_policy(k, c, {"days": form.days.data,
                                        "escalate_after_days": form.escalate_after_days.data}, clock.now())
        except InvalidInput as exc:
            _field_errors(form, exc)
            status = 422
        else:
            db.session.commit()
            flash(_("Reply policy saved. It applies to tickets logged from now on."), "success")
            return redirect(url_for("sla.reply_policies"))
    elif form.errors:
        status = 422
    return render_template("sla/reply_policy_form.html", form=form, policy=policy), status


@bp.route("/offices/<code>/calendar", methods=["GET", "POST"])
def calendar(code: str):
    office = admin_ops.office_by_code(code)
    form_cls = calendar_form_class()
    holidays = office_holidays(office)
    form = form_cls(data=_stored_calendar(office, holidays)) if request.method == "GET" else form_cls()
    import_form = ImportHolidaysForm(prefix="import")
    status = 200
    if form.validate_on_submit():
        wanted = {
            day: (form[f"opens{day}"].data or "", form[f"closes{day}"].data or "")
            for day in range(7) if form[f"open{day}"].data
        }
        try:
            ops.set_week(office, wanted)
            ops.set_holidays(office, form.holidays.data or "", replace=True)
        except InvalidInput as exc:
            mapping = {f"day{d}": f"opens{d}" for d in range(7)} | {"week": "open0"}
            _field_errors(form, exc, mapping)
            status = 422
        else:
            db.session.commit()
            flash(_("Calendar of %(code)s saved. It applies to clocks started from now on.", code=office.code),
                  "success")
            return redirect(url_for("sla.calendar", code=office.code))
    elif form.errors:
        status = 422
    return render_template("sla/calendar.html", office=office, form=form, import_form=import_form,
                           weekdays=WEEKDAYS, holidays=holidays, **_national(office)), status


def _national(office) -> dict:  # noqa: ANN001
    """The national calendar of the year asked for (?year=, default this year at the office)."""
    year = request.args.get("year", type=int)
    if year is None or not 1900 <= year <= 9999:
        year = clock.now().astimezone(ZoneInfo(office.timezone)).year
    return {"year": year, "national": national_days(year)}


def _stored_calendar(office, holidays) -> dict:  # noqa: ANN001
    """The calendar form's data as stored: the weekly hours and the holiday list."""
    week = office_week(office)
    data: dict = {"holidays": ops.holidays_text(holidays)}
    for day, (opens, closes) in week.items():
        data[f"open{day}"] = True
        data[f"opens{day}"] = opens.strftime("%H:%M")
        data[f"closes{day}"] = closes.strftime("%H:%M")
    return data


@bp.post("/offices/<code>/holidays/import")
def import_holidays(code: str):
    office = admin_ops.office_by_code(code)
    form = ImportHolidaysForm(prefix="import")
    if not form.validate_on_submit():
        flash(_("Paste at least one date."), "error")
        return redirect(url_for("sla.calendar", code=office.code))
    try:
        added = ops.set_holidays(office, form.text.data or "", replace=False)
    except InvalidInput as exc:
        # The stored calendar is shown as it is (nothing was changed), the pasted list kept
        # with what is wrong beside it.
        _field_errors(form, exc, {"holidays": "text"})
        holidays = office_holidays(office)
        calendar_form = calendar_form_class()(formdata=None, data=_stored_calendar(office, holidays))
        return render_template(
            "sla/calendar.html", office=office, form=calendar_form, import_form=form,
            weekdays=WEEKDAYS, holidays=holidays, **_national(office),
        ), 422
    db.session.commit()
    flash(_("%(n)d holidays imported.", n=added), "success")
    return redirect(url_for("sla.calendar", code=office.code))


@bp.get("/outbox")
def outbox():
    status = request.args.get("status") or "pending"
    if status not in ("pending", "failed", "sent"):
        status = "pending"
    page = request.args.get("page", "1")
    page = as_int(page) or 1
    page = page if 0 < page < 100_000 else 1
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all())
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == status).order_by(OutboxMessage.id.desc())
        .offset((page - 1) * OUTBOX_PAGE).limit(OUTBOX_PAGE)
    ).all()
    pages = max(1, -(-int(counts.get(status, 0)) // OUTBOX_PAGE))
    return render_template("sla/outbox.html", rows=rows, status=status, counts=counts, page=page,
                           pages=pages, form=ConfirmForm(), explain=explain_error)


def explain_error(error: str | None, channel: str = "email") -> str:
    """A recorded delivery error explained in the reader's language; the raw text stays for details."""
    kind = error_kind(error)
    if kind is None:
        return ""
    if channel == "sms":
        return {
            "not_configured": _("No SMS gateway is set (SMS_GATEWAY_URL): the message waits until one is."),
            "unreachable": _("The SMS gateway could not be reached or answered with an error (5xx). Check that "
                             "SMS_GATEWAY_URL is right; the message is tried again."),
            "timeout": _("The SMS gateway did not answer in time (SMS_GATEWAY_TIMEOUT); the message is tried again."),
            "tls": _("The secure connection (TLS) to the SMS gateway failed. Check its certificate."),
            "auth": _("The SMS gateway refused the credentials. Check SMS_GATEWAY_USER and SMS_GATEWAY_PASSWORD, "
                      "or SMS_GATEWAY_TOKEN."),
            "refused": _("The SMS gateway refused this message (4xx), for example because of the number or the "
                         "body template (SMS_GATEWAY_BODY)."),
            "other": _("Sending failed for another reason; see the technical details."),
        }[kind]
    return {
        "not_configured": _("No mail server is set (SMTP_HOST): the email waits until one is."),
        "unreachable": _("The mail server could not be reached. Check that it is running and that "
                         "SMTP_HOST and SMTP_PORT are right; the email is tried again."),
        "timeout": _("The mail server did not answer in time; the email is tried again."),
        "tls": _("The secure connection (TLS) to the mail server failed. Check its certificate and "
                 "SMTP_CAFILE."),
        "auth": _("The mail server refused the sign-in. Check SMTP_USER and SMTP_PASSWORD."),
        "refused": _("The mail server refused this email, usually because of the recipient's address."),
        "other": _("Sending failed for another reason; see the technical details."),
    }[kind]


@bp.post("/outbox/<int:row_id>/retry")
def outbox_retry(row_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if retry_now(row_id, clock.now()):
        db.session.commit()
        flash(_("The email will be sent at the next delivery."), "success")
    else:
        flash(_("This email cannot be sent again."), "error")
    return redirect(url_for("sla.outbox", status="pending"))
