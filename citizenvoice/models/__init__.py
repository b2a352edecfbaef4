"""SQLAlchemy models, one module per aggregate; imported here so Alembic sees them all."""

from citizenvoice.models.analysis import Analysis, CategoryRoute, DuplicateBand
from citizenvoice.models.audit import AuditEntry
from citizenvoice.models.base import utcnow
from citizenvoice.models.casework import CategoryCorrection, ReplyTemplate
from citizenvoice.models.department import Department
from citizenvoice.models.outbox import OutboxMessage, OutboxStatus
from citizenvoice.models.submission import StatusEvent, Submission
from citizenvoice.models.user import User

__all__ = [
    "Analysis",
    "AuditEntry",
    "CategoryCorrection",
    "CategoryRoute",
    "Department",
    "DuplicateBand",
    "OutboxMessage",
    "OutboxStatus",
    "ReplyTemplate",
    "StatusEvent",
    "Submission",
    "User",
    "utcnow",
]
