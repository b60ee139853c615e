"""Searching within the user's scope: reference, phone's last digits, or words (all must match)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, insert, or_, select

from ..authz import scoped_tickets
from ..extensions import db
from ..models import SearchTerm, Ticket, User
from .terms import index_terms, normalise, query_terms

_REF = re.compile(r"^[ce]-\d{4}-\d{1,9}$")
_DIGITS = re.compile(r"^\d{4,20}$")
LIMIT = 50


@dataclass
class Results:
    tickets: list[Ticket]
    kind: str  # "ref", "phone", "text", or "too_short"
    more: bool = False


def index_ticket(ticket: Ticket) -> None:
    """Write the ticket's terms (once: description, customer and phone do not change after logging)."""
    words = index_terms(ticket.description, ticket.customer_name, ticket.customer_phone)
    if words:
        db.session.execute(insert(SearchTerm), [{"ticket_id": ticket.id, "term": w} for w in words])


def search(user: User, raw: str, limit: int = LIMIT) -> Results:
    q = normalise(raw).strip()[:100]
    compact = q.replace(" ", "").replace("-", "")
    base = scoped_tickets(select(Ticket), user)
    if _REF.match(q):
        rows = db.session.scalars(base.where(Ticket.ref == q.upper())).all()
        return Results(list(rows), "ref")
    if _DIGITS.match(compact):
        candidates = select(SearchTerm.ticket_id).where(SearchTerm.term == "tel:" + compact[-4:])
        stmt = base.where(Ticket.id.in_(candidates), Ticket.customer_phone.like(f"%{compact}"))
        return _page(stmt, limit, "phone")
    words = query_terms(q)
    if not words:
        return Results([], "too_short")
    matching = (
        select(SearchTerm.ticket_id).where(SearchTerm.term.in_(words))
        .group_by(SearchTerm.ticket_id).having(func.count() == len(words))
    )
    # The pairs can all occur without the whole phrase: check the text for each word typed.
    stmt = base.where(Ticket.id.in_(matching))
    for part in q.split():
        like = f"%{_escape(part)}%"
        stmt = stmt.where(or_(func.lower(Ticket.description).like(like, escape="\\"),
                              func.lower(Ticket.customer_name).like(like, escape="\\")))
    return _page(stmt, limit, "text")


def _page(stmt, limit: int, kind: str) -> Results:  # noqa: ANN001
    rows = list(db.session.scalars(stmt.order_by(Ticket.id.desc()).limit(limit + 1)))
    return Results(rows[:limit], kind, more=len(rows) > limit)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
