"""The vocabulary of the domain: enumerations and their translatable labels."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Kind(StrEnum):
    COMPLAINT = "complaint"
    ERROR = "error"
    COMMENDATION = "commendation"  # a customer's praise of a clerk (表扬)


class Channel(StrEnum):
    COUNTER = "counter"
    PHONE = "phone"
    LETTER = "letter"
    ONLINE = "online"
    HOTLINE = "hotline"
    REGULATOR = "regulator"  # an appeal the postal regulator forwards (申诉转办)


class State(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    REJECTED = "rejected"
    AWAITING_CUSTOMER = "awaiting_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


# The states of a ticket still being worked on: those that run a stage clock, counted as "open".
OPEN_STATES = (State.NEW, State.TRIAGED, State.AWAITING_CUSTOMER, State.RESOLVED)


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Factor(StrEnum):
    """The eight service-quality factors; a ticket's category is one of them."""

    ATTITUDE = "attitude"
    SKILL = "skill"
    RESPONSIBILITY = "responsibility"
    HARDWARE = "hardware"
    MANAGEMENT = "management"
    HIGHLIGHTS = "highlights"
    COMPLAINTS = "complaints"
    ERRORS = "errors"


class Category(StrEnum):
    """What went wrong, in the postal regulator's terms (not whose fault it was)."""

    DELAY = "delay"
    LOSS = "loss"
    DAMAGE = "damage"
    DELIVERY = "delivery"
    ACCEPTANCE = "acceptance"
    CHARGES = "charges"
    COD = "cod"
    COUNTER = "counter"
    OTHER = "other"


class ActionKind(StrEnum):
    """What a supervisor did to improve a clerk's factor."""

    TRAINING = "training"
    COACHING = "coaching"
    COUNTER_CHANGE = "counter_change"
    OTHER = "other"


class RootCause(StrEnum):
    """The factor that failed, for a substantiated ticket; hardware means no clerk is at fault."""

    ATTITUDE = "attitude"
    SKILL = "skill"
    RESPONSIBILITY = "responsibility"
    HARDWARE = "hardware"
    MANAGEMENT = "management"


class Product(StrEnum):
    """The postal product of an item named on a ticket."""

    LETTER = "letter"
    REGISTERED = "registered"
    PRINTED = "printed"
    PARCEL = "parcel"
    EMS = "ems"
    EXPRESS = "express"
    REMITTANCE = "remittance"
    OTHER = "other"


class ContactMethod(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    VISIT = "visit"
    LETTER = "letter"


class ContactOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"


class Finding(StrEnum):
    SUBSTANTIATED = "substantiated"
    UNFOUNDED = "unfounded"


class RejectReason(StrEnum):
    DUPLICATE = "duplicate"
    INVALID = "invalid"
    OUT_OF_SCOPE = "out_of_scope"


class Verdict(StrEnum):
    """The regulator's judgement of an appeal: valid (有效申诉, the enterprise is responsible) or not."""

    VALID = "valid"
    NOT_VALID = "not_valid"


class CompensationBasis(StrEnum):
    INSURED = "insured"  # the declared (insured) value
    UNINSURED = "uninsured"  # the rule for uninsured items
    GOODWILL = "goodwill"


class CompensationStatus(StrEnum):
    """The course of a compensation after resolve: offered (or above the cap, waiting for an
    administrator), approved, then paid or refused."""

    OFFERED = "offered"
    OVER_CAP = "over_cap"
    APPROVED = "approved"
    PAID = "paid"
    REFUSED = "refused"


# What went wrong that may be compensated (loss covers shortage).
COMPENSABLE = frozenset({"delay", "loss", "damage"})


class Contact(StrEnum):
    REACHED = "reached"
    UNREACHABLE = "unreachable"


REF_PREFIX = {Kind.COMPLAINT: "C", Kind.ERROR: "E", Kind.COMMENDATION: "P"}
# The kinds that say something went wrong: they have stage clocks and SLA policies, a category,
# compensation, and count against the clerk. A commendation (表扬) is the customer's praise instead.
CASE_KINDS: tuple[Kind, ...] = (Kind.COMPLAINT, Kind.ERROR)

LABELS = {
    Role.CLERK: _l("Clerk"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.ADMIN: _l("Administrator"),
    Kind.COMPLAINT: _l("Complaint"),
    Kind.ERROR: _l("Service error"),
    Kind.COMMENDATION: _l("Commendation"),
    Channel.COUNTER: _l("Counter"),
    Channel.PHONE: _l("Phone"),
    Channel.LETTER: _l("Letter"),
    Channel.ONLINE: _l("Online"),
    Channel.HOTLINE: _l("Hotline"),
    Channel.REGULATOR: _l("Regulator appeal"),
    State.NEW: _l("Logged"),
    State.TRIAGED: _l("Triaged"),
    State.REJECTED: _l("Rejected"),
    State.AWAITING_CUSTOMER: _l("Awaiting customer"),
    State.RESOLVED: _l("Resolved"),
    State.CLOSED: _l("Closed"),
    Severity.LOW: _l("Low"),
    Severity.MEDIUM: _l("Medium"),
    Severity.HIGH: _l("High"),
    Severity.CRITICAL: _l("Critical"),
    Factor.ATTITUDE: _l("Attitude"),
    Factor.SKILL: _l("Skill"),
    Factor.RESPONSIBILITY: _l("Responsibility"),
    Factor.HARDWARE: _l("Hardware"),
    Factor.MANAGEMENT: _l("Management"),
    Factor.HIGHLIGHTS: _l("Highlights"),
    Factor.COMPLAINTS: _l("Complaints"),
    Factor.ERRORS: _l("Errors"),
    Finding.SUBSTANTIATED: _l("Substantiated"),
    Finding.UNFOUNDED: _l("Unfounded"),
    RejectReason.DUPLICATE: _l("Duplicate"),
    RejectReason.INVALID: _l("Invalid"),
    RejectReason.OUT_OF_SCOPE: _l("Out of scope"),
    Verdict.VALID: _l("Valid appeal"),
    Verdict.NOT_VALID: _l("Not a valid appeal"),
    CompensationBasis.INSURED: _l("Insured value"),
    CompensationBasis.UNINSURED: _l("Uninsured item rule"),
    CompensationBasis.GOODWILL: _l("Goodwill"),
    CompensationStatus.OFFERED: _l("Offered"),
    CompensationStatus.OVER_CAP: _l("Above the cap: waiting for an administrator"),
    CompensationStatus.APPROVED: _l("Approved"),
    CompensationStatus.PAID: _l("Paid"),
    CompensationStatus.REFUSED: _l("Refused"),
    Contact.REACHED: _l("Customer reached"),
    Contact.UNREACHABLE: _l("Customer unreachable"),
    ActionKind.TRAINING: _l("Training"),
    ActionKind.COACHING: _l("Coaching"),
    ActionKind.COUNTER_CHANGE: _l("A change at the counter"),
}

# Labels of values that other enumerations share (a product "letter" is not the channel
# "letter"; StrEnum members compare equal to their values, so they need their own keys).
TYPED_LABELS = {
    (Category, "delay"): _l("Delay"),
    (Category, "loss"): _l("Loss or shortage"),
    (Category, "damage"): _l("Damage"),
    (Category, "delivery"): _l("Delivery service"),
    (Category, "acceptance"): _l("Acceptance service"),
    (Category, "charges"): _l("Improper charges"),
    (Category, "cod"): _l("Cash on delivery"),
    (Category, "counter"): _l("Counter service"),
    (Category, "other"): _l("Other"),
    (Product, "letter"): _l("Ordinary letter"),
    (Product, "registered"): _l("Registered letter"),
    (Product, "printed"): _l("Printed matter"),
    (Product, "parcel"): _l("Parcel"),
    (Product, "ems"): _l("EMS"),
    (Product, "express"): _l("Express"),
    (Product, "remittance"): _l("Remittance"),
    (Product, "other"): _l("Other product"),
    (ContactMethod, "phone"): _l("By phone"),
    (ContactMethod, "sms"): _l("By SMS"),
    (ContactMethod, "visit"): _l("Visit"),
    (ContactMethod, "letter"): _l("By letter"),
    (ContactOutcome, "reached"): _l("Reached"),
    (ContactOutcome, "no_answer"): _l("No answer"),
    (ContactOutcome, "wrong_number"): _l("Wrong number"),
    (ActionKind, "other"): _l("Other action"),  # "other" is a category and a product too
}


def label(value: StrEnum | str | None) -> str:
    """The translated label of an enumeration value (the raw value when unknown)."""
    if value is None:
        return ""
    if isinstance(value, StrEnum):
        typed = TYPED_LABELS.get((type(value), value.value))
        if typed is not None:
            return str(typed)
    return str(LABELS.get(value, value))  # StrEnum members hash like their values


def choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(m.value, label(m)) for m in enum]
