"""SQLAlchemy models, one module per aggregate; imported here so Alembic sees them all."""

from citizenvoice.models.analysis import Analysis, CategoryNode, CategoryRoute, DuplicateBand
from citizenvoice.models.appraisal import DimensionScore, Period, RatingReview, RectificationTask
from citizenvoice.models.audit import AuditEntry
from citizenvoice.models.base import utcnow
from citizenvoice.models.casework import CategoryCorrection, ReplyTemplate
from citizenvoice.models.department import Department
from citizenvoice.models.drift import DriftReport
from citizenvoice.models.follow_up import CaseReply, FollowUp
from citizenvoice.models.label_flags import JudgementFlag
from citizenvoice.models.labels import TrainingLabel
from citizenvoice.models.media import Media
from citizenvoice.models.model_registry import ModelVersion
from citizenvoice.models.notification import (
    Notification,
    NotificationOptOut,
    NotificationStatus,
)
from citizenvoice.models.open311 import Open311ApiKey, PublicNumberCounter
from citizenvoice.models.outbox import OutboxMessage, OutboxStatus
from citizenvoice.models.shadow import ModelShadow, ShadowPrediction
from citizenvoice.models.submission import StatusEvent, Submission
from citizenvoice.models.survey import (
    SurveyAnswer,
    SurveyCampaign,
    SurveyGroup,
    SurveyHold,
    SurveyInvitation,
)
from citizenvoice.models.survey_comments import SurveyCommentAnalysis, SurveyCommentTask
from citizenvoice.models.survey_priority import SurveyPriority, SurveyPriorityPick
from citizenvoice.models.topics import TopicSnapshot
from citizenvoice.models.user import User

__all__ = [
    "Analysis",
    "AuditEntry",
    "CaseReply",
    "CategoryCorrection",
    "CategoryNode",
    "CategoryRoute",
    "Department",
    "DimensionScore",
    "DriftReport",
    "DuplicateBand",
    "FollowUp",
    "JudgementFlag",
    "Media",
    "ModelShadow",
    "ModelVersion",
    "Notification",
    "NotificationOptOut",
    "NotificationStatus",
    "Open311ApiKey",
    "OutboxMessage",
    "OutboxStatus",
    "Period",
    "PublicNumberCounter",
    "RatingReview",
    "RectificationTask",
    "ReplyTemplate",
    "ShadowPrediction",
    "StatusEvent",
    "Submission",
    "SurveyAnswer",
    "SurveyCampaign",
    "SurveyCommentAnalysis",
    "SurveyCommentTask",
    "SurveyGroup",
    "SurveyHold",
    "SurveyInvitation",
    "SurveyPriority",
    "SurveyPriorityPick",
    "TopicSnapshot",
    "TrainingLabel",
    "User",
    "utcnow",
]
