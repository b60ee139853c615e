"""The database models, one module per area; import them from here."""

from .office import Office
from .ticket import RefCounter, Ticket, TicketEvent
from .types import UTCDateTime, utcnow
from .user import ApiToken, User, user_offices

__all__ = [
    "ApiToken",
    "Office",
    "RefCounter",
    "Ticket",
    "TicketEvent",
    "UTCDateTime",
    "User",
    "user_offices",
    "utcnow",
]
