"""The ticket workflow: one declarative table that the UI, API, OpenAPI, docs and tests read.

Each row says from which states an event may be fired, where it leads, which roles may
fire it and what input it takes. Behaviour that is not a plain state change (what each
event writes on the ticket) lives in ``tickets.operations``; nothing else decides
whether an event is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from .domain import (
    CASE_KINDS,
    Category,
    Channel,
    CompensationBasis,
    CompensationStatus,
    Contact,
    ContactMethod,
    ContactOutcome,
    Finding,
    Kind,
    RejectReason,
    Role,
    RootCause,
    Severity,
    State,
    Verdict,
)

if TYPE_CHECKING:
    from .models import Ticket, User

ALL_ROLES = frozenset(Role)
MANAGERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})

# Text limits, shared by the validation, the forms and the OpenAPI description.
SHORT_TEXT = 100
OUTCOME_TEXT = 500  # what the customer is told: it goes out by SMS, so it stays short
NOTE_TEXT = 2000
LONG_TEXT = 5000


@dataclass(frozen=True)
class Field:
    """One input of an event.

    ``type`` is one of: text, choice, int, bool, user, ticket, datetime, date, phone, email,
    money (yuan, exact, two decimals at most), office, items (a list of postal items,
    ``{number, product}``).
    ``required_when`` = (other field, value): required only when the other field has it.
    ``only_when`` = (other field, value): refused unless the other field has that value.
    ``not_when`` = (other field, value): refused when the other field has that value.
    ``optional_when`` = (other field, value): neither required nor defaulted when the other field has
    the value (what went wrong, for a commendation).
    ``default``: the value an API client gets when it sends none; web forms require the
    field instead (the clerk chooses).
    ``role``: for type "user", the role the named user must have (None: any staff member).
    ``applies_to`` = (ticket attribute, values): the field exists only for tickets whose attribute
    has one of the values (a regulator appeal, a compensable category); elsewhere it is refused
    and never required, and forms leave it out.
    ``future``: for type "date", a date after today is allowed (a deadline), up to a year ahead.
    ``any_office``: for type "ticket", the ticket named may belong to another office (the event
    then checks that it is the same customer's).
    """

    name: str
    type: str
    label: Any
    required: bool = True
    choices: type[StrEnum] | None = None
    max_length: int | None = None
    multiline: bool = False
    minimum: int | None = None
    maximum: int | None = None
    required_when: tuple[str, Any] | None = None
    only_when: tuple[str, Any] | None = None
    not_when: tuple[str, Any] | None = None
    optional_when: tuple[str, Any] | None = None
    default: Any = None
    role: Role | None = None
    help: Any = None
    applies_to: tuple[str, tuple[Any, ...]] | None = None
    future: bool = False
    any_office: bool = False

    def applies(self, ticket: Ticket | None) -> bool:
        return self.applies_to is None or ticket is None or _has(ticket, self.applies_to)


@dataclass(frozen=True)
class Branch:
    """When the input ``field`` equals ``value``, the event leads to ``target`` instead."""

    field: str
    value: Any
    target: State


@dataclass(frozen=True)
class Transition:
    """One row of the table. ``target`` None: the event keeps the ticket's state (a note, a
    contact, a reassignment) but is recorded in the history like every other."""

    event: str
    sources: tuple[State | None, ...]
    target: State | None
    roles: frozenset[Role]
    fields: tuple[Field, ...]
    label: Any
    branch: Branch | None = None
    # From these source states the event is allowed only within N days of entering them.
    windows: dict[State, int] = field(default_factory=dict)
    # Only for tickets whose attributes have one of these values: ((attribute, values), ...).
    ticket_when: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def keeps_state(self) -> bool:
        return self.target is None

    def applies(self, ticket: Ticket) -> bool:
        return all(_has(ticket, cond) for cond in self.ticket_when)

    def fields_for(self, ticket: Ticket | None) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.applies(ticket))

    def target_for(self, data: dict[str, Any], current: State) -> State:
        if self.branch and data.get(self.branch.field) == self.branch.value:
            return self.branch.target
        return current if self.target is None else self.target


def _has(ticket: Ticket, cond: tuple[str, tuple[Any, ...]]) -> bool:
    attribute, values = cond
    return getattr(ticket, attribute) in values


NOTE = Field("note", "text", _l("Note"), max_length=NOTE_TEXT, multiline=True)
APPEAL = ("is_appeal", (True,))
# Compensation may be stated at resolve for loss, damage and delay until it has been approved.
COMPENSATION_OPEN = ("compensation_open", (True,))
WHEN_SUBSTANTIATED = ("finding", Finding.SUBSTANTIATED)
# The rows of a case (something went wrong) and of a commendation: neither kind's rows apply to the other.
CASE = ("kind", CASE_KINDS)
COMMENDATION = ("kind", (Kind.COMMENDATION,))
NOT_REJECTED = tuple(s for s in State if s != State.REJECTED)
ANY_STATE: tuple[State, ...] = tuple(State)
MAX_ITEMS = 20

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "log", (None,), State.NEW, ALL_ROLES, label=_l("Log"),
        fields=(
            Field("kind", "choice", _l("Kind"), choices=Kind),
            Field("channel", "choice", _l("Channel"), choices=Channel),
            Field("office", "office", _l("Office")),
            Field("category", "choice", _l("What went wrong"), required=False, choices=Category,
                  default=Category.OTHER, optional_when=("kind", Kind.COMMENDATION)),
            Field("description", "text", _l("Description"), max_length=LONG_TEXT,
                  multiline=True),
            Field("occurred_at", "datetime", _l("When it happened")),
            Field("customer_name", "text", _l("Customer name"), required=False,
                  required_when=("kind", Kind.COMPLAINT), max_length=SHORT_TEXT),
            Field("customer_phone", "phone", _l("Customer phone"), required=False,
                  required_when=("kind", Kind.COMPLAINT)),
            Field("clerk", "user", _l("Clerk involved"), required=False, role=Role.CLERK),
            Field("items", "items", _l("Postal items"), required=False,
                  help=_l("Item or waybill numbers (S10 numbers such as EA123456785CN are checked)")),
            Field("customer_email", "email", _l("Customer email"), required=False),
            Field("customer_consent", "bool", _l("The customer agrees to receive messages about this case"),
                  required=False),
            Field("regulator_case", "text", _l("Regulator's case number"), required=False, max_length=64,
                  required_when=("channel", Channel.REGULATOR), only_when=("channel", Channel.REGULATOR)),
            Field("regulator_due", "date", _l("Regulator's reply deadline"), required=False, future=True,
                  only_when=("channel", Channel.REGULATOR),
                  help=_l("From the forwarding notice; when empty, the reply policy's working days apply")),
            Field("appeal_of", "ticket", _l("Original complaint (reference)"), required=False, any_office=True,
                  only_when=("channel", Channel.REGULATOR),
                  help=_l("The complaint this appeal escalates: same customer phone or postal item")),
        ),
    ),
    Transition(
        "triage", (State.NEW,), State.TRIAGED, MANAGERS, label=_l("Triage"), ticket_when=(CASE,),
        fields=(
            Field("severity", "choice", _l("Severity"), choices=Severity),
            Field("category", "choice", _l("What went wrong"), choices=Category),
            Field("assignee", "user", _l("Assignee")),
        ),
    ),
    Transition(
        "reject", (State.NEW,), State.REJECTED, MANAGERS, label=_l("Reject"),
        fields=(
            Field("reason", "choice", _l("Reason"), choices=RejectReason),
            Field("duplicate_of", "ticket", _l("Duplicate of (reference)"), required=False,
                  required_when=("reason", RejectReason.DUPLICATE),
                  only_when=("reason", RejectReason.DUPLICATE)),
        ),
    ),
    # A commendation is verified (closed, and evidence for the praised clerk's highlights) or rejected.
    Transition(
        "verify_commendation", (State.NEW,), State.CLOSED, MANAGERS, label=_l("Verify the commendation"),
        ticket_when=(COMMENDATION,),
        fields=(
            Field("clerk", "user", _l("Clerk praised"), role=Role.CLERK),
            Field("note", "text", _l("Note"), required=False, max_length=NOTE_TEXT, multiline=True),
        ),
    ),
    Transition(
        "request_info", (State.TRIAGED,), State.AWAITING_CUSTOMER, MANAGERS,
        label=_l("Request information"), fields=(NOTE,), ticket_when=(CASE,),
    ),
    Transition(
        "info_received", (State.AWAITING_CUSTOMER,), State.TRIAGED, ALL_ROLES,
        label=_l("Information received"), fields=(NOTE,), ticket_when=(CASE,),
    ),
    Transition(
        "resolve", (State.TRIAGED,), State.RESOLVED, MANAGERS, label=_l("Resolve"), ticket_when=(CASE,),
        fields=(
            Field("resolution", "text", _l("Resolution (internal)"), max_length=LONG_TEXT, multiline=True),
            Field("outcome", "text", _l("Outcome for the customer"), max_length=OUTCOME_TEXT, multiline=True,
                  help=_l("What the customer is told: shown on the status page and sent to them")),
            Field("finding", "choice", _l("Finding"), choices=Finding),
            Field("root_cause", "choice", _l("Root cause"), required=False, choices=RootCause,
                  required_when=("finding", Finding.SUBSTANTIATED),
                  only_when=("finding", Finding.SUBSTANTIATED)),
            Field("attributed_clerk", "user", _l("Clerk at fault"), required=False,
                  role=Role.CLERK, only_when=("finding", Finding.SUBSTANTIATED),
                  not_when=("root_cause", RootCause.HARDWARE),
                  help=_l("Leave empty when no clerk was at fault (always for hardware)")),
            Field("regulator_reply", "text", _l("Reply sent to the regulator"), max_length=LONG_TEXT,
                  multiline=True, applies_to=APPEAL),
            Field("regulator_replied_on", "date", _l("Date of the reply to the regulator"), applies_to=APPEAL),
            Field("claimed_amount", "money", _l("Compensation claimed (yuan)"), required=False,
                  required_when=WHEN_SUBSTANTIATED, applies_to=COMPENSATION_OPEN),
            Field("offered_amount", "money", _l("Compensation offered (yuan)"), required=False,
                  required_when=WHEN_SUBSTANTIATED, applies_to=COMPENSATION_OPEN),
            Field("compensation_basis", "choice", _l("Basis of the compensation"), required=False,
                  choices=CompensationBasis, required_when=WHEN_SUBSTANTIATED, applies_to=COMPENSATION_OPEN),
        ),
    ),
    Transition(
        "follow_up", (State.RESOLVED,), State.CLOSED, ALL_ROLES, label=_l("Follow up"),
        branch=Branch("satisfied", False, State.TRIAGED), ticket_when=(CASE,),
        fields=(
            Field("contact", "choice", _l("Contact outcome"), choices=Contact),
            Field("expectation", "int", _l("Expectation (1 to 5)"), required=False,
                  minimum=1, maximum=5, required_when=("contact", Contact.REACHED),
                  only_when=("contact", Contact.REACHED)),
            Field("perception", "int", _l("Perception (1 to 5)"), required=False,
                  minimum=1, maximum=5, required_when=("contact", Contact.REACHED),
                  only_when=("contact", Contact.REACHED)),
            Field("satisfied", "bool", _l("Satisfied"), required=False,
                  required_when=("contact", Contact.REACHED),
                  only_when=("contact", Contact.REACHED)),
        ),
    ),
    Transition(
        "reopen", (State.RESOLVED, State.CLOSED), State.TRIAGED, MANAGERS, label=_l("Reopen"),
        windows={State.CLOSED: 30}, ticket_when=(CASE,),
        fields=(Field("reason", "text", _l("Reason"), max_length=NOTE_TEXT, multiline=True),),
    ),
    # A commendation verified by mistake (the wrong clerk, praise that proved unfounded) goes back to be
    # judged again, verified with the right clerk or rejected; within the same 30 days as a reopen.
    Transition(
        "withdraw_commendation", (State.CLOSED,), State.NEW, MANAGERS, label=_l("Withdraw the verification"),
        windows={State.CLOSED: 30}, ticket_when=(COMMENDATION,),
        fields=(Field("reason", "text", _l("Reason"), max_length=NOTE_TEXT, multiline=True),),
    ),
    # Events that keep the state: recorded in the history like every other.
    Transition(
        "add_note", ANY_STATE, None, ALL_ROLES, label=_l("Add an internal note"), fields=(NOTE,),
    ),
    Transition(
        "contact_customer", ANY_STATE, None, ALL_ROLES, label=_l("Record a contact with the customer"),
        fields=(
            Field("how", "choice", _l("How"), choices=ContactMethod),
            Field("outcome", "choice", _l("Outcome"), choices=ContactOutcome),
            Field("summary", "text", _l("What was said"), max_length=NOTE_TEXT, multiline=True),
        ),
    ),
    Transition(
        "reassign", (State.TRIAGED, State.AWAITING_CUSTOMER), None, MANAGERS, label=_l("Reassign"),
        ticket_when=(CASE,),
        fields=(
            Field("assignee", "user", _l("New assignee")),
            Field("reason", "text", _l("Reason"), max_length=NOTE_TEXT, multiline=True),
        ),
    ),
    # Regulator appeals: the verdict when it arrives, and the complaint the appeal escalated.
    Transition(
        "record_verdict", (State.RESOLVED, State.CLOSED), None, MANAGERS, label=_l("Record the regulator's verdict"),
        ticket_when=(APPEAL, ("verdict", (None,))),
        fields=(
            Field("verdict", "choice", _l("Verdict"), choices=Verdict),
            Field("note", "text", _l("Note"), required=False, max_length=NOTE_TEXT, multiline=True),
        ),
    ),
    Transition(
        "link_appeal", NOT_REJECTED, None, MANAGERS, label=_l("Link the original complaint"),
        ticket_when=(APPEAL, ("appeal_of_id", (None,))),
        fields=(
            Field("original", "ticket", _l("Original complaint (reference)"), any_office=True,
                  help=_l("The complaint this appeal escalates: same customer phone or postal item")),
        ),
    ),
    # The course of a compensation stated at resolve. Above the cap only an administrator approves.
    Transition(
        "approve_compensation", NOT_REJECTED, None, MANAGERS, label=_l("Approve the compensation"),
        ticket_when=(("compensation_status", (CompensationStatus.OFFERED,)),), fields=(),
    ),
    Transition(
        "approve_compensation_over_cap", NOT_REJECTED, None, ADMINS,
        label=_l("Approve the compensation above the cap"),
        ticket_when=(("compensation_status", (CompensationStatus.OVER_CAP,)),), fields=(),
    ),
    Transition(
        "pay_compensation", NOT_REJECTED, None, MANAGERS, label=_l("Record the payment"),
        ticket_when=(("compensation_status", (CompensationStatus.APPROVED,)),),
        fields=(
            Field("paid_on", "date", _l("Paid on")),
            Field("payment_ref", "text", _l("Payment reference"), max_length=64),
        ),
    ),
    Transition(
        "refuse_compensation", NOT_REJECTED, None, MANAGERS, label=_l("Refuse the compensation"),
        ticket_when=(("compensation_status", (CompensationStatus.OFFERED, CompensationStatus.OVER_CAP,
                                              CompensationStatus.APPROVED)),),
        fields=(Field("reason", "text", _l("Reason"), max_length=NOTE_TEXT, multiline=True),),
    ),
)


@dataclass(frozen=True)
class Record:
    """A history entry that is not a workflow event: evidence added or redacted. It keeps the
    state, needs a file (so it has its own routes) and is listed here beside the table."""

    event: str
    roles: frozenset[Role]
    label: Any


RECORDS: dict[str, Record] = {
    "attach": Record("attach", ALL_ROLES, _l("Evidence attached")),
    "redact_attachment": Record("redact_attachment", frozenset({Role.ADMIN}), _l("Evidence redacted")),
}

BY_EVENT: dict[str, Transition] = {t.event: t for t in TRANSITIONS}
EVENTS: tuple[str, ...] = tuple(t.event for t in TRANSITIONS if t.event != "log")


def transition(event: str) -> Transition | None:
    return BY_EVENT.get(event)


def events_from(state: State) -> list[Transition]:
    return [t for t in TRANSITIONS if state in t.sources]


def window_open(t: Transition, ticket: Ticket, now: datetime) -> bool:
    days = t.windows.get(ticket.state)
    if days is None:
        return True
    since = ticket.closed_at or ticket.updated_at
    return now - since <= timedelta(days=days)


def role_may(t: Transition, user: User) -> bool:
    return user.role in t.roles


def allowed_events(ticket: Ticket, user: User, now: datetime) -> list[Transition]:
    """The events this user may fire on this ticket now (scope, role, state, windows)."""
    from .authz import can_access_office

    if not can_access_office(user, ticket.office_id):
        return []
    return [
        t for t in events_from(ticket.state)
        if role_may(t, user) and window_open(t, ticket, now) and t.applies(ticket)
    ]


def condition_text(t: Transition) -> str:
    """The ticket conditions of a row, as the README and the OpenAPI say them."""
    parts = []
    for attribute, values in t.ticket_when:
        shown = ", ".join("none" if v is None else str(getattr(v, "value", v)).lower() for v in values)
        parts.append(f"{attribute} = {shown}" if len(values) == 1 else f"{attribute} in ({shown})")
    return "; ".join(parts)


def markdown_table() -> str:
    """The table as the README shows it (a test keeps the two in step)."""
    lines = ["| from | event | to | who | only for |", "|---|---|---|---|---|"]
    for t in TRANSITIONS:
        sources = ", ".join(s.value for s in t.sources if s) or "(none)"
        if t.sources == ANY_STATE:
            sources = "any"
        target = "(unchanged)" if t.target is None else t.target.value
        if t.branch:
            target += f" ({t.branch.target.value} when not {t.branch.field})"
        for state, days in t.windows.items():
            target += f" ({state.value}: within {days} days)"
        roles = ", ".join(r.value for r in Role if r in t.roles)
        lines.append(f"| {sources} | {t.event} | {target} | {roles} | {condition_text(t)} |")
    return "\n".join(lines)
