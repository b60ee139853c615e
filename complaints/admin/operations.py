"""Managing offices and users: plain functions shared by the admin pages, the API and the CLI.

Each validates, changes, flushes and never commits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any
from zoneinfo import available_timezones

from flask_babel import gettext as _
from sqlalchemy import select

from ..auth.passwords import refusal as password_refusal
from ..auth.tokens import end_credentials, revoke_tokens
from ..domain import Role
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models import Office, Region, User
from ..textcheck import has_control_chars, required_line

OFFICE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,185}\.[^@\s]{2,}$")
MIN_PASSWORD = 8


def _timezone(value: Any, errors: dict[str, str]) -> str:
    if not isinstance(value, str) or value not in available_timezones():
        errors["timezone"] = _("Unknown time zone.")
        return ""
    return value


OFFICE_ADDRESS = 300


def _office_phone(value: Any, errors: dict[str, str]) -> str | None:
    """The office's public number, checked and normalised as a customer's is; empty: none."""
    from ..tickets.inputs import normalise_phone

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return normalise_phone(value)
    except ValueError as exc:
        errors["phone"] = str(exc)
        return None


def _office_address(value: Any, errors: dict[str, str]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        errors["address"] = _("Must be text.")
        return None
    value = " ".join(value.split())  # one line, as printed on the slip
    if len(value) > OFFICE_ADDRESS:
        errors["address"] = _("At most %(n)d characters.", n=OFFICE_ADDRESS)
    elif has_control_chars(value, multiline=False):
        errors["address"] = _("Contains control characters.")
    return value


def create_office(code: Any, name: Any, timezone: Any = "Asia/Shanghai", *, phone: Any = None,
                  address: Any = None, region: Any = None) -> Office:
    errors: dict[str, str] = {}
    if not isinstance(code, str) or not OFFICE_CODE.match(code.strip().upper()):
        errors["code"] = _("2 to 32 letters, digits or dashes, e.g. SH-0101.")
        code = ""
    code = code.strip().upper()
    name = required_line(name, errors)
    timezone = _timezone(timezone, errors)
    phone = _office_phone(phone, errors)
    address = _office_address(address, errors)
    in_region = _region(region, errors)
    if not errors and db.session.scalar(select(Office).where(Office.code == code)):
        errors["code"] = _("An office with this code exists.")
    elif not errors and db.session.scalar(select(Region.id).where(Region.code == code)) is not None:
        errors["code"] = _("A region has this code: region and office codes must differ.")
    if errors:
        raise InvalidInput(_("Some fields are missing or invalid."), errors)
    office = Office(code=code, name=name, timezone=timezone, phone=phone, address=address, active=True,
                    region_id=in_region.id if in_region else None)
    db.session.add(office)
    db.session.flush()
    return office


def update_office(office: Office, changes: dict[str, Any]) -> Office:
    errors: dict[str, str] = {}
    unknown = set(changes) - {"name", "timezone", "active", "phone", "address", "region"}
    for key in unknown:
        errors[str(key)[:64]] = _("Unknown field.")
    if "name" in changes:
        office.name = required_line(changes["name"], errors)
    if "phone" in changes:
        phone = _office_phone(changes["phone"], errors)
        if "phone" not in errors:
            office.phone = phone
    if "address" in changes:
        address = _office_address(changes["address"], errors)
        if "address" not in errors:
            office.address = address
    if "region" in changes:
        in_region = _region(changes["region"], errors)
        if "region" not in errors:
            office.region_id = in_region.id if in_region else None
    if "timezone" in changes:
        office.timezone = _timezone(changes["timezone"], errors) or office.timezone
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            errors["active"] = _("Must be true or false.")
        else:
            office.active = changes["active"]
    if errors:
        raise InvalidInput(_("Some fields are missing or invalid."), errors)
    db.session.flush()
    return office


def find_office(code: str) -> Office | None:
    """The office with exactly this code, read once per session: logging asks twice (scope,
    then input).

    Remembers the id, not the object: ``session.get`` answers from the identity map without a
    query, and reads the row again when a rollback has thrown the object out."""
    known = db.session.info.setdefault("office_ids_by_code", {})
    if code in known:
        office = db.session.get(Office, known[code])
        if office is not None and office.code == code:
            return office
    office = db.session.scalar(select(Office).where(Office.code == code))
    if office is not None:
        known[code] = office.id
    return office


def office_by_code(code: str) -> Office:
    office = find_office(str(code)[:32].upper())
    if office is None:
        raise NotFound(_("No office with this code."))
    return office


def user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == str(email)[:254].lower()))
    if user is None:
        raise NotFound(_("No user with this email."))
    return user


def _role(value: Any, errors: dict[str, str]) -> Role | None:
    if value not in [r.value for r in Role]:
        errors["role"] = _("Must be one of: %(choices)s.", choices=", ".join(r.value for r in Role))
        return None
    return Role(value)


def _offices(codes: Any, errors: dict[str, str]) -> list[Office]:
    if isinstance(codes, str):
        codes = [codes]
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        errors["offices"] = _("Must be a list of office codes.")
        return []
    found = []
    for code in dict.fromkeys(c.strip().upper() for c in codes):
        office = db.session.scalar(select(Office).where(Office.code == code[:32]))
        if office is None:
            errors["offices"] = _("Unknown office: %(code)s.", code=code[:32])
            return []
        found.append(office)
    return found


def _region(value: Any, errors: dict[str, str]) -> Region | None:
    """The region named by code; blank: none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    region = db.session.scalar(select(Region).where(Region.code == str(value).strip().upper()[:32])) \
        if isinstance(value, str) else None
    if region is None:
        errors["region"] = _("No region with this code.")
    return region


def _regions(value: Any, errors: dict[str, str]) -> list[Region]:
    if not isinstance(value, list | tuple) or not all(isinstance(c, str) for c in value):
        errors["regions"] = _("Must be a list of region codes.")
        return []
    wanted = sorted({c.strip().upper() for c in value if c.strip()})
    regions = list(db.session.scalars(select(Region).where(Region.code.in_(wanted)))) if wanted else []
    missing = set(wanted) - {r.code for r in regions}
    if missing:
        errors["regions"] = _("Unknown regions: %(codes)s", codes=", ".join(sorted(missing)[:10]))
    return regions


def _check_role_offices(role: Role | None, offices: list[Office], errors: dict[str, str],
                        regions: list[Region] | None = None) -> None:
    if role == Role.CLERK and len(offices) != 1:
        errors.setdefault("offices", _("A clerk belongs to exactly one office."))
    if role == Role.SUPERVISOR and not offices and not regions:
        errors.setdefault("offices", _("A supervisor covers at least one office or region."))
    if regions and role != Role.SUPERVISOR:
        errors.setdefault("regions", _("Only supervisors are assigned to regions."))


def _password(value: Any, errors: dict[str, str]) -> str:
    if not isinstance(value, str) or len(value) < MIN_PASSWORD or len(value) > 200:
        errors["password"] = _("At least %(n)d characters.", n=MIN_PASSWORD)
        return ""
    if refused := password_refusal(value):
        errors["password"] = refused
        return ""
    return value


def create_user(
    email: Any, name: Any, role: Any, offices: Iterable[str] | Any, password: Any,
    locale: str | None = None, regions: Iterable[str] | Any = (),
) -> User:
    errors: dict[str, str] = {}
    if not isinstance(email, str) or not EMAIL.match(email.strip()):
        errors["email"] = _("Must be an email address.")
        email = ""
    email = email.strip().lower()
    name = required_line(name, errors, max_len=100)
    role_value = _role(role, errors)
    office_list = _offices(list(offices) if isinstance(offices, tuple) else offices, errors)
    region_list = _regions(list(regions) if isinstance(regions, tuple) else regions, errors)
    _check_role_offices(role_value, office_list, errors, region_list)
    password = _password(password, errors)
    if not errors and db.session.scalar(select(User).where(User.email == email)):
        errors["email"] = _("A user with this email exists.")
    if errors:
        raise InvalidInput(_("Some fields are missing or invalid."), errors)
    user = User(email=email, name=name, role=role_value, active=True, locale=locale)
    user.set_password(password)
    user.offices = office_list
    user.regions = region_list
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, changes: dict[str, Any], actor: User | None = None) -> User:
    errors: dict[str, str] = {}
    for key in set(changes) - {"name", "role", "offices", "regions", "active", "locale"}:
        errors[str(key)[:64]] = _("Unknown field.")
    role = user.role
    offices = list(user.offices)
    regions = list(user.regions)
    if "name" in changes:
        user.name = required_line(changes["name"], errors, max_len=100)
    if "role" in changes:
        role = _role(changes["role"], errors) or role
    if "offices" in changes:
        offices = _offices(changes["offices"], errors)
    if "regions" in changes:
        regions = _regions(changes["regions"], errors)
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            errors["active"] = _("Must be true or false.")
        elif actor is not None and actor.id == user.id and changes["active"] is False:
            errors["active"] = _("You cannot deactivate yourself.")
        else:
            if user.active and changes["active"] is False:
                end_credentials(user)  # signed out everywhere, tokens revoked (reactivation revives none)
            user.active = changes["active"]
    if "locale" in changes:
        if changes["locale"] not in ("zh_CN", "en", None):
            errors["locale"] = _("Must be zh_CN or en.")
        else:
            user.locale = changes["locale"]
    if actor is not None and actor.id == user.id and role != user.role:
        errors["role"] = _("You cannot change your own role.")
    _check_role_offices(role, offices, errors, regions)
    if errors:
        raise InvalidInput(_("Some fields are missing or invalid."), errors)
    user.role = role
    user.offices = offices
    user.regions = regions
    db.session.flush()
    return user


def reset_password(user: User, password: str | None = None) -> str:
    """Set a new password (a random one when none is given) and return it. The user's sessions
    and tokens end, and the password must be changed at the next sign-in."""
    errors: dict[str, str] = {}
    password = _password(password, errors) if password is not None else secrets.token_urlsafe(9)
    if errors:
        raise InvalidInput(_("Some fields are missing or invalid."), errors)
    user.set_password(password)
    user.must_change_password = True
    end_credentials(user)
    db.session.flush()
    return password


def revoke_user_tokens(user: User) -> int:
    """Revoke every API token of ``user``; returns how many still worked or were unrevoked."""
    return revoke_tokens(user)


__all__ = [
    "Conflict",
    "create_office",
    "create_user",
    "office_by_code",
    "reset_password",
    "revoke_user_tokens",
    "update_office",
    "update_user",
    "user_by_email",
]
