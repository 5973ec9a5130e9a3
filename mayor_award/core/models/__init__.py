"""Core rows that every phase of the award shares."""

from .audit import AuditEvent
from .criteria import Criteria, CriteriaCategory, CriteriaItem, ScoringBand
from .cycle import Cycle
from .notice import Notice, NoticeAttachment
from .user import User

__all__ = [
    "AuditEvent",
    "Criteria",
    "CriteriaCategory",
    "CriteriaItem",
    "Cycle",
    "Notice",
    "NoticeAttachment",
    "ScoringBand",
    "User",
]
