from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class SearchTerm(db.Model):
    """One term of a ticket's description, customer name or phone suffix (see search.terms).

    ``office_id`` copies the ticket's office (a ticket never moves) so that a search by the
    staff of one office walks that office's terms only, not every office's.
    """

    __tablename__ = "search_terms"
    __table_args__ = (
        Index("ix_search_terms_term_ticket", "term", "ticket_id"),
        Index("ix_search_terms_office_term_ticket", "office_id", "term", "ticket_id"),
    )

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(String(40), primary_key=True)
    office_id: Mapped[int] = mapped_column(Integer)
