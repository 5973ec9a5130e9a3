"""Core rows that every phase of the award shares."""

from .audit import AuditEvent
from .cycle import Cycle
from .notice import Notice, NoticeAttachment
from .user import User

__all__ = ["AuditEvent", "Cycle", "Notice", "NoticeAttachment", "User"]
