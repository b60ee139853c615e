"""Searching within the user's scope: reference, phone's last digits, or words (all must match)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, func, insert, or_, select
from sqlalchemy.orm import aliased

from ..authz import full_phone_visible, in_scope, is_admin, scoped_tickets
from ..domain import REF_PREFIX
from ..extensions import db
from ..models import SearchTerm, Ticket, TicketItem, User
from .terms import index_terms, normalise, query_terms

_REF = re.compile(r"^[" + "".join(REF_PREFIX.values()).lower() + r"]-\d{4}-\d{1,9}$")
_DIGITS = re.compile(r"^\d{4,20}$")
_ITEM = re.compile(r"^[A-Z0-9]{8,30}$")
LIMIT = 50


@dataclass
class Results:
    tickets: list[Ticket]
    kind: str  # "ref", "item", "phone", "text", or "too_short"
    more: bool = False


def index_ticket(ticket: Ticket) -> None:
    """Write the ticket's terms (once: description, customer and phone do not change after logging)."""
    words = index_terms(ticket.description, ticket.customer_name, ticket.customer_phone)
    if words:
        db.session.execute(insert(SearchTerm), [{"ticket_id": ticket.id, "office_id": ticket.office_id, "term": w}
                                                for w in words])


def search(user: User, raw: str, limit: int = LIMIT) -> Results:
    q = normalise(raw).strip()[:100]
    compact = q.replace(" ", "").replace("-", "")
    base = scoped_tickets(select(Ticket), user)
    if _REF.match(q):
        rows = db.session.scalars(base.where(Ticket.ref == q.upper())).all()
        return Results(list(rows), "ref")
    if _ITEM.match(compact.upper()):
        # An item number, exactly (its index): a numeric waybill falls through to the phone when unknown.
        by_item = _page(base.where(Ticket.id.in_(
            select(TicketItem.ticket_id).where(TicketItem.number == compact.upper()))), limit, "item")
        if by_item.tickets:
            return by_item
    if _DIGITS.match(compact):
        candidates = _terms(user, "tel:" + compact[-4:])
        # Those who see the whole number match any suffix of it; the others what the mask shows.
        stmt = base.where(Ticket.id.in_(candidates),
                          or_(and_(full_phone_visible(user), Ticket.customer_phone.like(f"%{compact}")),
                              _visible_match(compact)))
        return _page(stmt, limit, "phone")
    words = query_terms(q)
    if not words:
        return Results([], "too_short")
    # Walk the rarest term's tickets newest first, in growing batches read off its index, and
    # keep those in scope that have every other term too: the first page is found without
    # reading every match of a common word. The pairs can all occur without the whole phrase,
    # so the text is checked for each word typed.
    driver = _rarest(user, words)
    stmt = base
    for word in words:
        if word != driver:
            other = aliased(SearchTerm)
            stmt = stmt.where(exists().where(other.ticket_id == Ticket.id, other.term == word))
    for part in q.split():
        like = f"%{_escape(part)}%"
        stmt = stmt.where(or_(func.lower(Ticket.description).like(like, escape="\\"),
                              func.lower(Ticket.customer_name).like(like, escape="\\")))
    found: list[Ticket] = []
    below, size = None, FIRST_BATCH
    while len(found) <= limit:
        batch = _terms(user, driver)
        if below is not None:
            batch = batch.where(SearchTerm.ticket_id < below)
        batch = batch.order_by(SearchTerm.ticket_id.desc()).limit(size).subquery()
        found += db.session.scalars(stmt.where(Ticket.id.in_(select(batch.c.ticket_id)))
                                    .order_by(Ticket.id.desc()).limit(limit + 1 - len(found)))
        if len(found) > limit:
            break
        lowest, read = db.session.execute(select(func.min(batch.c.ticket_id), func.count()).select_from(batch)).one()
        if read < size:
            break
        below, size = lowest, min(size * 4, MAX_BATCH)
    return Results(found[:limit], "text", more=len(found) > limit)


FIRST_BATCH, MAX_BATCH = 1024, 16384  # candidate ids per round, read off the driver term's index
RAREST_PROBE = 2000  # how far each term's index is counted to find the rarest


def _visible_match(digits: str) -> ColumnElement[bool]:
    """What a user who sees the masked number (authz.mask_phone: 138****5678) may match: the last
    four digits where the mask shows all four (numbers of more than seven characters; the tel:
    term the caller matches already holds the number's last four), or the whole number. A longer
    suffix would bring the hidden digits out one search at a time."""
    phone = Ticket.customer_phone
    bare = func.replace(func.replace(phone, "-", ""), "+", "")  # 021-64321234 is typed 02164321234
    whole = or_(bare == digits, bare.like(f"{digits} ext. %"))  # a landline's extension is not typed
    if len(digits) == 4:
        return or_(whole, func.length(phone) > 7)
    return whole


def _terms(user: User, term: str) -> Select[tuple[int]]:
    """The ids of the tickets in the user's scope that have ``term``: an admin reads the term's
    index across all offices, anyone else the (office, term) index of their own offices."""
    stmt = select(SearchTerm.ticket_id).where(SearchTerm.term == term)
    if is_admin(user):
        return stmt
    return stmt.where(in_scope(SearchTerm.office_id, user))


def _rarest(user: User, words: list[str]) -> str:
    """The term with the fewest tickets in scope (counted up to RAREST_PROBE each, in one query)."""
    if len(words) == 1:
        return words[0]
    probes = [
        select(func.count()).select_from(_terms(user, w).limit(RAREST_PROBE).subquery()).scalar_subquery()
        for w in words[:8]
    ]
    counts = db.session.execute(select(*probes)).one()
    return min(zip(counts, words, strict=False))[1]


def _page(stmt, limit: int, kind: str) -> Results:  # noqa: ANN001
    rows = list(db.session.scalars(stmt.order_by(Ticket.id.desc()).limit(limit + 1)))
    return Results(rows[:limit], kind, more=len(rows) > limit)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
