"""Who may see and touch what: role and office scope, shared by views, API and exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Select, and_, or_, true

from .domain import Role, State

if TYPE_CHECKING:
    from .models import Ticket, User


def is_admin(user: User) -> bool:
    return user.role == Role.ADMIN


def can_access_office(user: User, office_id: int) -> bool:
    return is_admin(user) or office_id in user.office_ids


def scoped_tickets(stmt: Select, user: User) -> Select:
    """Restrict a ticket query to the offices the user covers."""
    from .models import Ticket

    if is_admin(user):
        return stmt
    return stmt.where(Ticket.office_id.in_(user.office_ids or {-1}))


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
    in_scope = Ticket.office_id.in_(user.office_ids or {-1})
    if user.role == Role.SUPERVISOR:
        return in_scope
    return and_(in_scope, Ticket.state.in_(CALLING_STATES),
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
