"""Ticket pages: the queue, logging at the counter, a ticket with its history and events."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import clock
from ..authz import in_scope, is_admin, sees_customer_names, user_timezone
from ..domain import CASE_KINDS, OPEN_STATES, Category, Channel, Kind, Role, State
from ..errors import Conflict, Forbidden, InvalidInput
from ..extensions import db
from ..models import Office
from ..sla import status as sla_status
from ..textcheck import as_int
from ..workflow import BY_EVENT, RECORDS, allowed_events
from . import operations, queries
from .filter_chips import chips
from .forms import form_for, put_errors, raw_values

bp = Blueprint("tickets", __name__)


def _user_offices() -> list[Office]:
    if is_admin(current_user):
        return list(db.session.scalars(
            select(Office).where(Office.active.is_(True)).order_by(Office.code)))
    return list(db.session.scalars(select(Office).where(Office.active.is_(True), in_scope(Office.id, current_user))
                                   .order_by(Office.code)))


@bp.get("/")
@login_required
def home():
    """The dashboard: a clerk's day, or a supervisor's offices at a glance."""
    from ..dashboard import queries as dash

    now = clock.now()
    zone = user_timezone(current_user)
    logged, waiting = dash.clerk_today(current_user, now, zone)
    from ..regions.dashboard import regions_of

    regions = regions_of(current_user) if current_user.role != Role.CLERK else []
    # An admin of a network with regions starts from its top regions, not a line per office of thousands.
    side_by_side = current_user.role == Role.ADMIN and not regions
    overview = None if current_user.role == Role.CLERK else dash.overview(current_user, now, zone,
                                                                           by_office=side_by_side)
    offices = dash.offices_side_by_side(current_user, now, zone, overview) if side_by_side else []
    weeks = overview.weeks if overview else []
    top = max([1, *[c + e for _w, c, e in weeks]])
    from ..dashboard.casework import casework

    work = casework(current_user, now, zone) if overview else None
    replies = dash.replies(current_user, now, zone) if overview else None
    return render_template("dashboard.html", logged=logged, waiting=waiting, overview=overview, casework=work,
                           replies=replies, open_states=OPEN_STATES, weeks=weeks, top=top, offices=offices,
                           regions=regions)


@bp.get("/tickets")
@login_required
def queue():
    try:
        f = queries.parse_filters(request.args)
        errors = {}
    except InvalidInput as exc:
        f, errors = queries.QueueFilters(), exc.fields
    now = clock.now()
    rows, total, more = queries.queue(current_user, f, now)
    pages = max(1, -(-total // f.per_page))
    offices = _user_offices()
    if f.office is not None and len(offices) > 1 and f.office not in offices:
        offices.append(f.office)  # filtered by one the select would not list (inactive): selected in it
    return render_template(
        "tickets/queue.html", tickets=rows, total=total, more=more, filters=f, pages=pages,
        filter_errors=errors, states=list(State), kinds=list(Kind), offices=offices, chips=chips(f, offices),
        categories=list(Category), channels=list(Channel),
        show_customer=sees_customer_names(current_user),
        clocks={t.id: sla_status.current(t, now) for t in rows},  # one query for all (selectin)
        replies={t.id: sla_status.reply(t, now) for t in rows},  # the reply clocks, from the same rows
    ), (422 if errors else 200)


@bp.route("/search", methods=["GET", "POST"])
@login_required
def search():
    """Search within one's offices. POSTed, so that names and phone digits stay out of URLs and logs."""
    from ..admin.forms import ConfirmForm
    from ..search.query import search as run_search

    form = ConfirmForm()
    query, results, status = "", None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        query = (request.form.get("q") or "")[:100]
        results = run_search(current_user, query)
        if results.kind == "ref" and len(results.tickets) == 1:
            return redirect(url_for("tickets.detail", ref=results.tickets[0].ref))
        if results.kind == "too_short":
            status = 422
    return render_template("tickets/search.html", query=query, results=results, form=form), status


@bp.get("/tickets/export.csv")
@login_required
def export_csv():
    """The current queue filter as CSV, streamed row by row (100,000 rows never sit in memory)."""
    from zoneinfo import ZoneInfo

    from flask import Response, stream_with_context
    from sqlalchemy.orm import joinedload, selectinload

    from ..authz import full_phone_visible, mask_phone
    from ..csvsafe import stream
    from ..domain import label
    from ..models import Ticket

    f = queries.parse_filters(request.args)  # bad filters: 422 with a message
    now = clock.now()
    user = current_user._get_current_object()
    # Whether each phone is shown whole is read with the row (authz.full_phone_visible, the SQL twin of
    # sees_full_phone): a region supervisor's export asks no scope question per office.
    stmt = (queries.queue_statement(user, f, now)
            .add_columns(full_phone_visible(user).label("whole_phone"))
            .options(joinedload(Ticket.assignee), joinedload(Ticket.office), selectinload(Ticket.items),
                     selectinload(Ticket.compensation)))
    yes = _("Yes")

    def yuan(value) -> str:  # noqa: ANN001 - exact decimals, as stored: 120.50
        return "" if value is None else f"{value:.2f}"

    def local(value, zone: str) -> str:  # noqa: ANN001
        return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") if value else ""

    def rows():  # noqa: ANN202
        for t, whole_phone in db.session.execute(stmt.execution_options(yield_per=1000)):
            zone = t.office.timezone
            yield (t.ref, label(t.kind), label(t.channel), label(t.state), t.office.code, label(t.category),
                   " ".join(f"{i.number}({label(i.product)})" for i in t.items),
                   label(t.severity) if t.severity else "", local(t.occurred_at, zone), local(t.created_at, zone),
                   t.customer_name or "", (t.customer_phone if whole_phone else mask_phone(t.customer_phone)) or "",
                   t.assignee.name if t.assignee else "",
                   label(t.finding) if t.finding else "", label(t.root_cause) if t.root_cause else "",
                   yes if t.is_appeal else "", t.regulator_case or "", label(t.verdict) if t.verdict else "",
                   *_compensation_cells(t.compensation, yuan),
                   t.description)

    header = [_("Reference"), _("Kind"), _("Channel"), _("State"), _("Office"), _("What went wrong"),
              _("Postal items"), _("Severity"), _("When it happened"), _("Logged at"), _("Customer name"),
              _("Customer phone"), _("Assignee"), _("Finding"), _("Root cause"), _("Regulator appeal"),
              _("Regulator's case number"), _("Verdict"), _("Compensation claimed (yuan)"),
              _("Compensation offered (yuan)"), _("Compensation status"), _("Compensation paid on"),
              _("Description")]
    name = "tickets-" + now.strftime("%Y%m%d-%H%M") + ".csv"
    return Response(stream_with_context(stream(header, rows())), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _compensation_cells(comp, yuan) -> tuple[str, ...]:  # noqa: ANN001
    from ..domain import label

    if comp is None:
        return ("", "", "", "")
    return (yuan(comp.claimed), yuan(comp.offered), label(comp.current_status),
            comp.paid_on.isoformat() if comp.paid_on else "")


@bp.route("/tickets/new", methods=["GET", "POST"])
@login_required
def new():
    import secrets

    from sqlalchemy.exc import IntegrityError

    from ..files.views import UploadForm, attach_all, uploaded_files

    t = BY_EVENT["log"]
    offices = _user_offices()
    if not offices:
        abort(403)
    # The form's idempotency key: a form sent twice (a double click, a resent POST) logs one ticket.
    token = request.form.get("idempotency_token") if request.method == "POST" else None
    if token is not None:
        try:
            operations.check_idempotency_key(token, "idempotency_token")
        except InvalidInput:
            abort(400)
    kind = request.values.get("kind") if request.values.get("kind") in list(Kind) else "complaint"
    # Most complaints are logged while the customer stands at the counter: "when it happened"
    # starts at now, on the office's clock, and the clerk corrects it when need be.
    from zoneinfo import ZoneInfo

    here = clock.now().astimezone(ZoneInfo(offices[0].timezone)).strftime("%Y-%m-%dT%H:%M")
    form = form_for(t, office=offices[0] if len(offices) == 1 else None, offices=offices,
                    kind=kind, channel="counter", occurred_at=here)
    upload = UploadForm(meta={"csrf": False})  # one form on the page: its CSRF token is the log form's
    status = 200
    if form.validate_on_submit():
        now = clock.now()
        done = operations.ticket_for_key(current_user, token, now) if token else None
        if done is not None:  # this form was sent before: its ticket, not a second one
            flash(_("Logged %(ref)s.", ref=done.ref), "success")
            return redirect(url_for("tickets.detail", ref=done.ref))
        try:
            ticket = operations.log_ticket(current_user, raw_values(t, form), now=now, defaults=False,
                                           idempotency_key=token)
            attach_all(ticket, uploaded_files(upload), now)
        except InvalidInput as exc:
            db.session.rollback()
            put_errors(form, exc.fields)
            upload.files.errors = [exc.fields["file"]] if "file" in exc.fields else []
            flash(exc.message, "error")
            status = 422
        except IntegrityError:
            db.session.rollback()  # the same form sent at the same moment: the other request logged it
            done = operations.ticket_for_key(current_user, token, now) if token else None
            if done is None:
                raise
            flash(_("Logged %(ref)s.", ref=done.ref), "success")
            return redirect(url_for("tickets.detail", ref=done.ref))
        else:
            db.session.commit()
            flash(_("Logged %(ref)s.", ref=ticket.ref), "success")
            return redirect(url_for("tickets.detail", ref=ticket.ref))
    elif form.errors:
        status = 422
    return render_template("tickets/new.html", form=form, transition=t, upload=upload,
                           idempotency_token=token or secrets.token_urlsafe(24)), status


@bp.get("/tickets/<ref>")
@login_required
def detail(ref: str):
    ticket = queries.get_ticket(ref, current_user)
    now = clock.now()
    events = allowed_events(ticket, current_user, now)
    # Triage starts from the clerk's choice of what went wrong: the supervisor corrects it if need be.
    current = {"category": ticket.category.value}
    if ticket.involved_clerk is not None:  # verifying a commendation starts from the clerk the customer named
        current["clerk"] = ticket.involved_clerk.email
    forms = {
        t.event: form_for(t, office=ticket.office, prefix=t.event, formdata=None, version=ticket.version, ticket=ticket,
                          **{k: v for k, v in current.items() if k in t.field_names()})
        for t in events
    }
    from ..files.operations import room_for_another
    from ..files.views import RedactForm, UploadForm
    from .appeals import page as appeal_page

    return render_template("tickets/detail.html", ticket=ticket, events=events, forms=forms,
                           appeal=appeal_page(ticket, current_user, now),
                           upload=UploadForm(), room_for_files=room_for_another(ticket),
                           redact=RedactForm() if current_user.role in RECORDS["redact_attachment"].roles else None,
                           clock_now=sla_status.current(ticket, now),
                           clock_due=getattr(sla_status.clocks.open_deadline(ticket), "due_at", None),
                           clock_history=ticket.deadlines,
                           reply_clock=sla_status.reply(ticket, now),
                           reply_row=next((d for d in ticket.deadlines if d.clock == "reply"), None))


@bp.get("/tickets/<ref>/slip")
@login_required
def slip(ref: str):
    """The acknowledgement slip for the customer: reference, date, next step and by when, how to ask.

    A reprint shows the ticket as it is now (its state and, once resolved, the outcome). The status
    page asks for the last four digits of the customer's phone: without one, the slip says to quote
    the reference to the office instead."""
    from ..authz import phone_last_four
    from ..sla.messages import target
    from ..sla.policies import get_policy

    ticket = queries.get_ticket(ref, current_user)
    d = sla_status.clocks.open_deadline(ticket)
    # A commendation has no stage clocks, hence no policy: its slip promises no resolution.
    policy = get_policy(ticket.kind, ticket.severity) if ticket.kind in CASE_KINDS else None
    done = ticket.state in (State.RESOLVED, State.CLOSED)
    return render_template("tickets/slip.html", ticket=ticket, due_at=d.due_at if d and d.clock == "triage" else None,
                           resolve_within=target(policy.resolve_minutes, policy.calendar) if policy else None,
                           status_url=current_app.config["BASE_URL"].rstrip("/") + url_for("public.status"),
                           can_look_up=len(phone_last_four(ticket.customer_phone or "")) == 4,
                           outcome=ticket.outcome if done else None, printed_at=clock.now())


@bp.route("/tickets/<ref>/events/<event>", methods=["GET", "POST"])
@login_required
def fire(ref: str, event: str):
    ticket = queries.get_ticket(ref, current_user)
    t = BY_EVENT.get(event)
    if t is None or t.event == "log":
        abort(404)
    form = form_for(t, office=ticket.office, prefix=t.event, version=ticket.version, ticket=ticket)
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 422 if form.errors else 400
        else:
            version = form.version.data
            version = as_int(str(version))
            try:
                operations.fire_event(ticket, current_user, t.event, raw_values(t, form),
                                      version=version, now=clock.now())
            except InvalidInput as exc:
                db.session.rollback()
                put_errors(form, exc.fields)
                flash(exc.message, "error")
                status = 422
            except (Conflict, Forbidden) as exc:
                db.session.rollback()
                flash(exc.message, "error")
                status = exc.status
            else:
                db.session.commit()
                flash(_("%(event)s: done. %(ref)s is now %(state)s.", event=str(t.label),
                        ref=ticket.ref, state=_state_label(ticket.state)), "success")
                return redirect(url_for("tickets.detail", ref=ticket.ref))
    elif t not in allowed_events(ticket, current_user, clock.now()):
        flash(_("This action is not available for this ticket now."), "error")
        return redirect(url_for("tickets.detail", ref=ticket.ref))
    return render_template("tickets/event.html", ticket=ticket, form=form, transition=t), status


def _state_label(state: State) -> str:
    from ..domain import label

    return label(state)
