"""Who may see and touch what: role and office scope, shared by views, API and exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Select

from .domain import Role

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


def sees_full_phone(user: User, ticket: Ticket) -> bool:
    """Phone numbers are personal data: only the ticket's supervisors and admins see them."""
    if is_admin(user):
        return True
    return user.role == Role.SUPERVISOR and ticket.office_id in user.office_ids


def mask_phone(phone: str | None) -> str | None:
    """138****5678: keep the first three and the last four digits."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * (len(phone) - 2) + phone[-2:]
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def phone_for(user: User, ticket: Ticket) -> str | None:
    return ticket.customer_phone if sees_full_phone(user, ticket) else mask_phone(
        ticket.customer_phone
    )
