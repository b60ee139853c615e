from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class SearchTerm(db.Model):
    """One term of a ticket's description, customer name or phone suffix (see search.terms)."""

    __tablename__ = "search_terms"
    __table_args__ = (Index("ix_search_terms_term_ticket", "term", "ticket_id"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(String(40), primary_key=True)
