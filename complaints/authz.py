"""Who may see and touch what: role and office scope, shared by views, API and exports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import has_request_context, request
from sqlalchemy import ColumnElement, Select, String, and_, cast, exists, func, literal, or_, select, true, union
from sqlalchemy.dialects.postgresql import aggregate_order_by

from .domain import Role, State

if TYPE_CHECKING:
    from .models import Office, Ticket, User
    from .regions.tree import Unit


def is_admin(user: User) -> bool:
    return user.role == Role.ADMIN


def office_scope(user: User) -> Select:
    """The ids of the offices a user covers, as SQL: those assigned one by one, and every office
    below a region the user is assigned to (read through the closure table, so an office moved or
    added under a region is in scope at the next query). Nothing is loaded into Python."""
    from .models import Office, RegionLink, user_offices, user_regions

    direct = select(user_offices.c.office_id).where(user_offices.c.user_id == user.id)
    via_region = (select(Office.id)
                  .join(RegionLink, RegionLink.descendant_id == Office.region_id)
                  .join(user_regions, user_regions.c.region_id == RegionLink.ancestor_id)
                  .where(user_regions.c.user_id == user.id))
    return union(direct, via_region)


def scope_fingerprint(user: User) -> str:
    """A key naming exactly the set of offices a user covers (a digest of their ids in order, listed by
    the database), for caches of figures per scope: users with the same offices share entries, any
    change of the set is a new key."""
    import hashlib

    from .extensions import db

    ids = office_scope(user).subquery()
    ordered = select(ids.c[0].label("id")).order_by(ids.c[0]).subquery()
    if db.session.get_bind().dialect.name == "postgresql":
        listed = select(func.string_agg(cast(ordered.c.id, String), aggregate_order_by(literal(","), ordered.c.id)))
    else:  # SQLite concatenates in the order of the ordered subquery it reads
        listed = select(func.group_concat(ordered.c.id, ","))
    text = db.session.scalar(listed) or ""
    return hashlib.sha256(text.encode()).hexdigest()


def home_office(user: User) -> Office | None:
    """The first office (by code) the user covers, whose time zone their pages and mail use."""
    from .extensions import db
    from .models import Office

    if user.offices:
        return user.offices[0]
    if is_admin(user):
        return None
    return db.session.scalar(select(Office).where(Office.id.in_(office_scope(user))).order_by(Office.code).limit(1))


def user_timezone(user: User) -> str:
    """The time zone of the user's pages and figures: their home office's, else the application's."""
    from flask import current_app

    home = home_office(user)
    return home.timezone if home is not None else current_app.config["TIMEZONE"]


def office_supervisors_clause(office_id: int) -> ColumnElement[bool]:
    """The User rows that are supervisors covering ``office_id``, directly or through a region above it."""
    from .models import User

    return and_(User.role == Role.SUPERVISOR, User.id.in_(users_covering(office_id)))


def users_covering(office_id: int) -> Select:
    """The ids of the users who cover ``office_id``: assigned to it, or to a region above it."""
    from .models import Office, RegionLink, user_offices, user_regions

    return union(
        select(user_offices.c.user_id).where(user_offices.c.office_id == office_id),
        select(user_regions.c.user_id)
        .join(RegionLink, RegionLink.ancestor_id == user_regions.c.region_id)
        .join(Office, Office.region_id == RegionLink.descendant_id)
        .where(Office.id == office_id))


def in_scope(column: ColumnElement, user: User) -> ColumnElement[bool]:
    """``column`` (an office id) is one the user covers; always true for an administrator."""
    if is_admin(user):
        return true()
    return column.in_(office_scope(user))


def regions_below_assignments(user: User) -> Select:
    """The ids of the regions a user is assigned to and of every region below them."""
    from .models import RegionLink, user_regions

    return (select(RegionLink.descendant_id).join(user_regions, user_regions.c.region_id == RegionLink.ancestor_id)
            .where(user_regions.c.user_id == user.id))


def regions_covered(user: User) -> Select:
    """The ids of the regions a user covers whole: those below their assignments, and any region with
    offices every one of which they cover (assigned office by office), the rule of ``covers_unit``."""
    from sqlalchemy.orm import aliased

    from .models import Office, Region, RegionLink

    link, office = aliased(RegionLink), aliased(Office)
    below = (select(literal(1)).select_from(link).join(office, office.region_id == link.descendant_id)
             .where(link.ancestor_id == Region.id))
    whole = select(Region.id).where(below.exists(), ~below.where(office.id.not_in(office_scope(user))).exists())
    return union(regions_below_assignments(user), whole)


def covers_unit(user: User, unit: Unit) -> bool:
    """Whether the user may read figures of a whole unit (report, region scorecard): admins every unit;
    a supervisor an office they cover, or a region all of whose offices they cover (a region with an
    office outside their scope is refused; an empty one goes to whoever is assigned to it or above it);
    clerks none. One query."""
    from .extensions import db
    from .models import Office

    if is_admin(user):
        return True
    if user.role != Role.SUPERVISOR:
        return False
    if unit.kind == "office":
        return can_access_office(user, unit.id)
    ids = unit.office_ids()
    outside = exists().where(Office.id.in_(ids), Office.id.not_in(office_scope(user)))
    assigned = literal(unit.id).in_(regions_below_assignments(user))
    return bool(db.session.scalar(select(and_(~outside, or_(exists().where(Office.id.in_(ids)), assigned)))))


def can_access_office(user: User, office_id: int) -> bool:
    if is_admin(user) or office_id in user.office_ids:
        return True  # assigned one by one: those few rows come with the user
    # Through a region: one indexed query per (user, office) and request.
    cache = _scope_cache(user)
    if office_id not in cache:
        from .extensions import db

        cache[office_id] = bool(db.session.scalar(select(exists().where(
            office_scope(user).subquery().c[0] == office_id))))
    return cache[office_id]


def remember_in_scope(user: User, office_ids: Iterable[int]) -> None:
    """Offices the database has just shown to be in the user's scope (those of the rows of a scoped
    query): the checks that follow in the same request (phone masking per ticket) need not ask again."""
    cache = _scope_cache(user)
    for office_id in office_ids:
        cache[office_id] = True


def _scope_cache(user: User) -> dict[int, bool]:
    """Answers kept for the current request only (its WSGI environ), never across requests."""
    if has_request_context():
        return request.environ.setdefault("complaints.office_scope", {}).setdefault(user.id, {})
    return {}


def scoped_tickets(stmt: Select, user: User) -> Select:
    """Restrict a ticket query to the offices the user covers."""
    from .models import Ticket

    return stmt.where(in_scope(Ticket.office_id, user))


def can_view_ticket(user: User, ticket: Ticket) -> bool:
    return can_access_office(user, ticket.office_id)


# While a ticket is in these states someone may still have to call the customer: to ask, to
# tell them where it stands, or for the follow-up call once it is resolved.
CALLING_STATES = frozenset({State.NEW, State.TRIAGED, State.AWAITING_CUSTOMER, State.RESOLVED})


def sees_customer_names(user: User) -> bool:
    """The queue's customer column is for supervisors and admins; a clerk sees the name on the ticket."""
    return user.role != Role.CLERK


def sees_full_phone(user: User, ticket: Ticket) -> bool:
    """Phone numbers are personal data: the whole number goes to whoever may have to call.

    The ticket's supervisors and admins always; a clerk of the ticket's office who logged it or
    is its assignee while it is open (a contact or the follow-up call is theirs to make). Other
    clerks, a clerk moved to another office, and everyone once the ticket is closed or rejected
    see it masked.
    """
    if is_admin(user):
        return True
    if not can_access_office(user, ticket.office_id):
        return False
    if user.role == Role.SUPERVISOR:
        return True
    return ticket.state in CALLING_STATES and user.id in (ticket.logged_by_id, ticket.assignee_id)


def full_phone_visible(user: User) -> ColumnElement[bool]:
    """sees_full_phone as SQL, for queries over many tickets (search by number)."""
    from .models import Ticket

    if is_admin(user):
        return true()
    covered = in_scope(Ticket.office_id, user)
    if user.role == Role.SUPERVISOR:
        return covered
    return and_(covered, Ticket.state.in_(CALLING_STATES),
                or_(Ticket.logged_by_id == user.id, Ticket.assignee_id == user.id))


EXTENSION = " ext. "  # how tickets.inputs._phone writes a landline's extension


def split_extension(phone: str) -> tuple[str, str]:
    """("021-64321234", "8021") from "021-64321234 ext. 8021"; ("13812345678", "") from a mobile."""
    main, _sep, extension = phone.partition(EXTENSION)
    return main, extension


def phone_last_four(phone: str | None) -> str:
    """The last four digits of the number itself (not of its extension): what a customer gives to
    look up their ticket, and what a masked number shows."""
    main, _ext = split_extension(phone or "")
    return "".join(ch for ch in main if ch.isdigit())[-4:]


def mask_phone(phone: str | None) -> str | None:
    """138****5678: keep the first three and the last four digits.

    A landline keeps its area code and the last four digits of its number (021-****1234,
    0913-***4567), the digits a customer confirms; its extension is left out.
    """
    if not phone:
        return phone
    main, _ext = split_extension(phone)
    area, dash, number = main.partition("-")
    if dash and area.startswith("0") and len(number) > 4:
        return f"{area}-" + "*" * (len(number) - 4) + number[-4:]
    if len(main) <= 7:
        return "*" * (len(main) - 2) + main[-2:]
    return main[:3] + "*" * (len(main) - 7) + main[-4:]


def tel_uri(phone: str | None) -> str | None:
    """A tel: link (RFC 3966) for a stored number: tel:+862164321234;ext=8021."""
    if not phone:
        return None
    main, extension = split_extension(phone)
    digits = "".join(ch for ch in main if ch.isdigit())
    if main.startswith("+"):
        number = "+" + digits
    elif digits.startswith("0"):
        number = "+86" + digits[1:]
    else:
        number = "+86" + digits
    return f"tel:{number};ext={extension}" if extension else f"tel:{number}"


def mask_email(email: str | None) -> str | None:
    """w***@example.com: the first character of the mailbox and the whole domain, as a masked phone
    keeps the digits a customer confirms."""
    if not email:
        return email
    local, _at, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}" if local else "***"


def email_for(user: User, ticket: Ticket) -> str | None:
    """The customer's email, whole for whoever sees the whole phone number (sees_full_phone), else masked."""
    return ticket.customer_email if sees_full_phone(user, ticket) else mask_email(ticket.customer_email)


def phone_for(user: User, ticket: Ticket) -> str | None:
    return ticket.customer_phone if sees_full_phone(user, ticket) else mask_phone(
        ticket.customer_phone
    )
