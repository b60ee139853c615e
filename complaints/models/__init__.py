"""The database models, one module per area; import them from here."""

from .attachment import Attachment
from .idempotency import IdempotencyKey
from .improvement import ImprovementAction
from .office import Office
from .outbox import OutboxMessage
from .region import Region, RegionLink, user_regions
from .scorecard import Assessment, HardwareScore, ScoreChange, ScoreSettings
from .search import SearchTerm
from .sla import Deadline, Holiday, NationalDay, OfficeHours, Reminder, ReplyPolicy, SlaPolicy
from .ticket import Compensation, RefCounter, Ticket, TicketEvent, TicketItem, fen_to_yuan
from .types import UTCDateTime, utcnow
from .user import ApiToken, User, user_offices
from .volume import OfficeVolume

__all__ = [
    "ImprovementAction",
    "Region",
    "RegionLink",
    "user_regions",
    "IdempotencyKey",
    "Compensation",
    "fen_to_yuan",
    "ReplyPolicy",
    "Attachment",
    "TicketItem",
    "Assessment",
    "HardwareScore",
    "ScoreChange",
    "ScoreSettings",
    "SearchTerm",
    "Deadline",
    "Holiday",
    "NationalDay",
    "OfficeHours",
    "OutboxMessage",
    "Reminder",
    "SlaPolicy",
    "ApiToken",
    "Office",
    "OfficeVolume",
    "RefCounter",
    "Ticket",
    "TicketEvent",
    "UTCDateTime",
    "User",
    "user_offices",
    "utcnow",
]
