"""Validate and clean the input of a workflow event against its Field specs.

Used by the API (JSON values) and the web forms (strings) alike: both end up here, so
a rule is written once. Returns the cleaned values (users and tickets resolved to
objects) or raises InvalidInput with one message per field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from ..admin.operations import find_office
from ..authz import can_access_office
from ..domain import Role, label
from ..errors import InvalidInput
from ..extensions import db
from ..models import Office, Ticket, User
from ..textcheck import as_int, encodable, has_control_chars, normalise_newlines
from ..workflow import Field, Transition

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=5)
TRUE_WORDS = {"true", "1", "yes", "y", "on"}
FALSE_WORDS = {"false", "0", "no", "n", "off"}


class _Invalid(Exception):
    pass


def clean(
    t: Transition,
    raw: Mapping[str, Any],
    *,
    office: Office | None,
    now: datetime,
    ticket: Ticket | None = None,
    allowed_offices: Callable[[int], bool] | None = None,
    defaults: bool = True,
) -> dict[str, Any]:
    """Clean ``raw`` for transition ``t``; unknown fields are refused.

    ``defaults``: a field with a default gets it when absent (API clients); without, such a
    field is required (web forms, where the person chooses).
    """
    errors: dict[str, str] = {}
    fields = t.fields_for(ticket)
    names = {f.name for f in fields}
    for key in raw:
        if key in names:
            continue
        if key in t.field_names():
            if not _blank(raw[key]):
                errors[str(key)] = _("Does not apply to this ticket.")
        else:
            errors[str(key)[:64]] = _("Unknown field.")
    values: dict[str, Any] = {}
    # A reference of any office is refused only once all else is right, as the same-case check that
    # follows is: whether another office's reference exists must not change the other answers.
    deferred: dict[str, str] = {}
    for f in fields:
        value = raw.get(f.name)
        if _blank(value):
            continue
        try:
            values[f.name] = _clean_one(f, value, office=office, now=now, ticket=ticket,
                                        allowed_offices=allowed_offices)
        except _Invalid as exc:
            if f.type == "ticket" and f.any_office:
                deferred[f.name] = str(exc)
                values[f.name] = None  # present, for the conditions on it
            else:
                errors[f.name] = str(exc)
        if f.type == "office" and f.name in values:
            office = values[f.name]
    for f in fields:
        if f.name in errors:
            continue
        present = f.name in values
        if f.only_when and present and not _matches(values, raw, f.only_when):
            other, wanted = f.only_when
            errors[f.name] = _("Only allowed when %(field)s is %(value)s.",
                               field=_field_label(t, other), value=label(wanted))
        elif f.not_when and present and _matches(values, raw, f.not_when):
            other, wanted = f.not_when
            errors[f.name] = _("Not allowed when %(field)s is %(value)s.",
                               field=_field_label(t, other), value=label(wanted))
        elif not present and f.optional_when and _matches(values, raw, f.optional_when):
            continue  # not asked of this ticket (what went wrong, of a commendation): no default either
        elif not present and f.default is not None and defaults:
            values[f.name] = f.default
        elif not present and (f.required or f.default is not None
                              or (f.required_when and _matches(values, raw, f.required_when))):
            errors[f.name] = _("This field is required.")
    if not errors:
        errors = deferred
    if errors:
        raise InvalidInput(_("Some fields are missing or invalid."), errors)
    return values


def _field_label(t: Transition, name: str) -> str:
    return next((str(f.label) for f in t.fields if f.name == name), name)


def _matches(values: dict[str, Any], raw: Mapping[str, Any], cond: tuple[str, Any]) -> bool:
    other, wanted = cond
    return values.get(other) == wanted


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _clean_one(f: Field, value: Any, **ctx: Any) -> Any:
    cleaner = _CLEANERS[f.type]
    return cleaner(f, value, **ctx)


def _text(f: Field, value: Any, **_ctx: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(_("Must be text."))
    value = normalise_newlines(value).strip()
    if not encodable(value):
        raise _Invalid(_("Contains characters that are not valid text."))
    if has_control_chars(value, f.multiline):
        raise _Invalid(_("Contains control characters."))
    if f.max_length and len(value) > f.max_length:
        raise _Invalid(_("At most %(n)d characters.", n=f.max_length))
    return value


def _choice(f: Field, value: Any, **_ctx: Any) -> str:
    allowed = [m.value for m in f.choices]  # type: ignore[union-attr]
    if not isinstance(value, str) or value not in allowed:
        raise _Invalid(_("Must be one of: %(choices)s.", choices=", ".join(allowed)))
    return f.choices(value)  # type: ignore[misc]


def _int(f: Field, value: Any, **_ctx: Any) -> int:
    if isinstance(value, bool):
        raise _Invalid(_("Must be a whole number."))
    if isinstance(value, str) and as_int(value) is not None:
        value = as_int(value)
    if not isinstance(value, int):
        raise _Invalid(_("Must be a whole number."))
    if (f.minimum is not None and value < f.minimum) or (
        f.maximum is not None and value > f.maximum
    ):
        raise _Invalid(_("Must be between %(lo)d and %(hi)d.", lo=f.minimum, hi=f.maximum))
    return value


def _bool(f: Field, value: Any, **_ctx: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise _Invalid(_("Must be yes or no."))


def _phone(f: Field, value: Any, **_ctx: Any) -> str:
    """A Chinese mobile or landline number (or a foreign one with its country code), normalised.

    Accepted as customers give them: spaces, dashes, brackets, full-width digits, +86 or 0086, a
    landline's extension after 转, 分机, ext or x, or as a last dash group (021-64321234-8021).
    Stored readable: mobiles as 11 digits (13812345678), landlines as area code, dash, number
    (021-64321234) with " ext. 8021" after them, foreign numbers as +<country><number>.
    """
    import re

    import phonenumbers
    from phonenumbers import PhoneNumberFormat

    expected = _("Enter a mobile number (11 digits) or a landline with its area code, such as 021-64321234; "
                 "an extension may follow (ext. 8021 or 转 8021).")
    if not isinstance(value, str):
        raise _Invalid(_("Must be text."))
    if len(value) > 64 or has_control_chars(value, False):
        raise _Invalid(expected)
    text = re.sub(r"\s*(?:转分机|分机号?|转)\s*", " ext ", value.strip())

    def parse(candidate: str) -> phonenumbers.PhoneNumber | None:
        try:
            number = phonenumbers.parse(candidate, "CN")
        except phonenumbers.NumberParseException:
            return None
        return number if phonenumbers.is_valid_number(number) else None

    number = parse(text)
    if number is None and (m := re.fullmatch(r"(.*\d)\s*-\s*(\d{1,6})", text)):
        number = parse(f"{m[1]} ext {m[2]}")  # 021-64321234-8021: the last dash group is the extension
    if number is None or (number.extension and not (number.extension.isdigit() and len(number.extension) <= 6)):
        raise _Invalid(expected)
    if number.country_code != 86:
        main = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    elif phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
        if number.extension:  # 13812345678-1234: a mobile has no extension, so a digit is wrong somewhere
            raise _Invalid(expected)
        main = str(number.national_number)
    else:
        # National format is "021 6432 1234": the area code, a dash, the number in one piece.
        national = phonenumbers.format_number(
            phonenumbers.PhoneNumber(country_code=86, national_number=number.national_number),
            PhoneNumberFormat.NATIONAL)
        area, _sep, rest = national.partition(" ")
        main = f"{area}-{rest.replace(' ', '')}" if rest else area
    return f"{main} ext. {number.extension}" if number.extension else main


def normalise_phone(value: Any) -> str:
    """A phone number checked and normalised as a customer's (an office's too); ValueError with the message."""
    try:
        return _phone(None, value)  # type: ignore[arg-type] - the rule reads nothing of the field
    except _Invalid as exc:
        raise ValueError(str(exc)) from None


def _datetime(f: Field, value: Any, *, office: Office | None, now: datetime, **_ctx: Any):
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _Invalid(_("Must be a date and time (ISO 8601).")) from None
    else:
        raise _Invalid(_("Must be a date and time (ISO 8601)."))
    if parsed.tzinfo is None:
        # Web forms send local wall time: read it in the office's time zone.
        zone = ZoneInfo(office.timezone if office else "Asia/Shanghai")
        parsed = parsed.replace(tzinfo=zone)
    try:
        parsed = parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # e.g. year 9999 with a negative offset
        raise _Invalid(_("Cannot be in the future.")) from None
    if parsed > now + CLOCK_SKEW:
        raise _Invalid(_("Cannot be in the future."))
    if parsed < EARLIEST:
        raise _Invalid(_("Too far in the past."))
    return parsed


def _office(f: Field, value: Any, *, allowed_offices: Callable[[int], bool] | None, **_ctx: Any) -> Office:
    if not isinstance(value, str) or len(value) > 32 or "\x00" in value:
        raise _Invalid(_("Unknown office."))
    office = find_office(value.strip())
    if office is None or not office.active:
        raise _Invalid(_("Unknown office."))
    if allowed_offices is not None and not allowed_offices(office.id):
        raise _Invalid(_("You do not cover this office."))
    return office


def _user(f: Field, value: Any, *, office: Office | None, **_ctx: Any) -> User:
    if not isinstance(value, str) or len(value) > 254 or "\x00" in value:
        raise _Invalid(_("Unknown user."))
    user = db.session.scalar(select(User).where(User.email == value.strip().lower()))
    if user is None or not user.active:
        raise _Invalid(_("Unknown user."))
    if f.role == Role.CLERK:
        if user.role != Role.CLERK:
            raise _Invalid(_("Must be a clerk."))
    elif f.role == Role.SUPERVISOR and user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise _Invalid(_("Must be a supervisor or an administrator."))
    if office is not None and not can_access_office(user, office.id):
        raise _Invalid(_("Not a member of office %(code)s.", code=office.code))
    return user


def _ticket(f: Field, value: Any, *, ticket: Ticket | None, **_ctx: Any) -> Ticket:
    if not isinstance(value, str) or len(value) > 20 or "\x00" in value:
        raise _Invalid(_("Unknown reference."))
    other = db.session.scalar(select(Ticket).where(Ticket.ref == value.strip().upper()))
    if other is None and f.any_office:
        from .appeals import not_the_same_case

        raise _Invalid(not_the_same_case())  # as for another office's ticket of another customer
    if other is None or (ticket is not None and not f.any_office and other.office_id != ticket.office_id):
        raise _Invalid(_("Unknown reference."))
    if ticket is not None and other.id == ticket.id:
        raise _Invalid(_("A ticket cannot duplicate itself."))
    return other


def _date(f: Field, value: Any, *, office: Office | None, now: datetime, **_ctx: Any) -> date:
    """A calendar date (ISO, 2026-11-30), checked against the office's today."""
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and len(value) <= 20:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise _Invalid(_("Must be a date (YYYY-MM-DD).")) from None
    else:
        raise _Invalid(_("Must be a date (YYYY-MM-DD)."))
    today = now.astimezone(ZoneInfo(office.timezone if office else "Asia/Shanghai")).date()
    if day < EARLIEST.date():
        raise _Invalid(_("Too far in the past."))
    if f.future and day > today + timedelta(days=366):
        raise _Invalid(_("At most a year ahead."))
    if not f.future and day > today:
        raise _Invalid(_("Cannot be in the future."))
    return day


MONEY_LIMIT = Decimal("10000000")  # ten million yuan: far above any postal compensation
_MONEY = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,2})?")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]{1,2})?")


def _money(f: Field, value: Any, **_ctx: Any) -> Decimal:
    """Yuan as an exact decimal with at most two places (fen); never a float in the arithmetic."""
    if isinstance(value, bool):
        raise _Invalid(_("Must be an amount in yuan, such as 120.50."))
    if isinstance(value, int | float | Decimal):
        text = format(Decimal(str(value)), "f")
    elif isinstance(value, str) and len(value) <= 30:
        text = unicodedata.normalize("NFKC", value).strip().removeprefix("¥").strip()
        if "," in text:  # thousands separators, in groups of three only: 1,234.50
            if not _GROUPED.fullmatch(text):
                raise _Invalid(_("Must be an amount in yuan, such as 120.50."))
            text = text.replace(",", "")
    else:
        raise _Invalid(_("Must be an amount in yuan, such as 120.50."))
    if text.startswith("-"):
        raise _Invalid(_("Cannot be negative."))
    if text.endswith(".0") or text.endswith(".00"):
        text = text.rsplit(".", 1)[0]
    if not _MONEY.fullmatch(text):
        raise _Invalid(_("Must be an amount in yuan, such as 120.50."))
    amount = Decimal(text).quantize(Decimal("0.01"))
    if amount > MONEY_LIMIT:
        raise _Invalid(_("At most %(n)s yuan.", n="10,000,000"))
    return amount


# One address: the local part may not hold the separators and quoting of an address list (a comma
# in "postmaster,wang@example.com" made the customer's message go to the relay's postmaster too).
_EMAIL = re.compile(r"[^@\s,;:<>()\[\]\\\"]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")


def _email(f: Field, value: Any, **_ctx: Any) -> str:
    if not isinstance(value, str) or len(value) > 254:
        raise _Invalid(_("Must be an email address."))
    text = value.strip()
    if not _EMAIL.fullmatch(text) or has_control_chars(text, False):
        raise _Invalid(_("Must be an email address."))
    local, _at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def _items(f: Field, value: Any, **_ctx: Any) -> list[dict[str, Any]]:
    """A list of ``{number, product}``: numbers normalised (S10 check digit checked), no repeats."""
    from ..domain import Product
    from ..workflow import MAX_ITEMS
    from .items import MAX_LENGTH, BadItemNumber, clean_number

    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        raise _Invalid(_("Must be a list of items, each with a number and a product."))
    if len(value) > MAX_ITEMS:
        raise _Invalid(_("At most %(n)d items.", n=MAX_ITEMS))
    products = [p.value for p in Product]
    out: list[dict[str, Any]] = []
    for n, item in enumerate(value, start=1):
        unknown = set(item) - {"number", "product"}
        number, product = item.get("number"), item.get("product") or Product.OTHER.value  # blank: other
        if unknown:
            raise _Invalid(_("Item %(n)d: unknown field %(field)s.", n=n, field=sorted(unknown)[0][:32]))
        if not isinstance(number, str) or not number.strip() or len(number) > 2 * MAX_LENGTH:
            raise _Invalid(_("Item %(n)d: the number is required.", n=n))
        if not isinstance(product, str) or product not in products:
            raise _Invalid(_("Item %(n)d: the product must be one of: %(choices)s.", n=n,
                             choices=", ".join(products)))
        try:
            cleaned = clean_number(number)
        except BadItemNumber as exc:
            raise _Invalid(_("Item %(n)d: %(reason)s", n=n, reason=str(exc))) from None
        if any(o["number"] == cleaned for o in out):
            raise _Invalid(_("Item %(n)d: %(number)s is named twice.", n=n, number=cleaned))
        out.append({"number": cleaned, "product": Product(product)})
    return out


_CLEANERS = {
    "text": _text,
    "choice": _choice,
    "int": _int,
    "bool": _bool,
    "phone": _phone,
    "datetime": _datetime,
    "date": _date,
    "money": _money,
    "email": _email,
    "office": _office,
    "user": _user,
    "ticket": _ticket,
    "items": _items,
}


def to_payload(values: dict[str, Any]) -> dict[str, Any]:
    """The JSON-safe form of cleaned values, for the history (no personal data)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in {"customer_name", "customer_phone", "customer_email", "description"}:
            continue
        if isinstance(value, User):
            out[key] = value.email
        elif isinstance(value, Office):
            out[key] = value.code
        elif isinstance(value, Ticket):
            out[key] = value.ref
        elif isinstance(value, datetime | date):
            out[key] = value.isoformat()
        elif isinstance(value, Decimal):
            out[key] = str(value)  # exact: "120.50", never a float
        elif key == "items":
            out[key] = [{"number": i["number"], "product": i["product"].value} for i in value]
        else:
            out[key] = value
    return out
