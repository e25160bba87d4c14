"""The data model, one module per aggregate."""

from expertmatch.models._base import utcnow
from expertmatch.models.api import ApiCredential, ApiRequest, IdempotencyRecord
from expertmatch.models.assignments import Assignment
from expertmatch.models.audit import AuditEvent, Notification
from expertmatch.models.cases import (
    OPEN_STATUSES,
    STATUS_FLOW,
    CaseInference,
    CaseMessage,
    Counterparty,
    DisputeCase,
)
from expertmatch.models.centres import Centre
from expertmatch.models.entities import Entity, EntityAlias
from expertmatch.models.experts import Admission, DeclaredConflict, ExpertProfile, PastMatter
from expertmatch.models.jobs import FINAL_STATES, Job, JobChunk
from expertmatch.models.network import (
    REFERRAL_STATUSES,
    Referral,
    RiskWarning,
    SuggestionDismissal,
)
from expertmatch.models.organisations import Organisation
from expertmatch.models.plans import PLAN_STATES, AssignmentPlan, AssignmentPlanItem
from expertmatch.models.users import ROLES, Invitation, User, hash_token
from expertmatch.models.vectors import TextVector

__all__ = [
    "FINAL_STATES",
    "OPEN_STATUSES",
    "PLAN_STATES",
    "REFERRAL_STATUSES",
    "ROLES",
    "STATUS_FLOW",
    "Admission",
    "ApiCredential",
    "ApiRequest",
    "Assignment",
    "AssignmentPlan",
    "AssignmentPlanItem",
    "AuditEvent",
    "CaseInference",
    "CaseMessage",
    "Centre",
    "Counterparty",
    "DeclaredConflict",
    "DisputeCase",
    "Entity",
    "EntityAlias",
    "ExpertProfile",
    "IdempotencyRecord",
    "Invitation",
    "Job",
    "JobChunk",
    "Notification",
    "Organisation",
    "PastMatter",
    "Referral",
    "RiskWarning",
    "SuggestionDismissal",
    "TextVector",
    "User",
    "hash_token",
    "utcnow",
]
