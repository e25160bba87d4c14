"""Rows to the API's response shapes, in one place per resource.

``ranking`` is the one function that turns the ranking service's result into the API's
shape: when the per-case scores become a calibrated fit with a band and evidence (#15),
this function and :class:`expertmatch.api.schemas.RankingOut` are what change.
"""

from __future__ import annotations

from typing import Any

from expertmatch.models import Assignment, Centre, DisputeCase, ExpertProfile, RiskWarning, User
from expertmatch.services import cases as case_service
from expertmatch.services import profiles
from expertmatch.services.access import expert_profile_of
from expertmatch.services.matching import CaseRanking
from expertmatch.services.queue import json_safe

EXPERT_FIELDS = (
    "id", "reference", "full_name", "role_type", "headline", "bio", "firm", "profile_language",
    "jurisdictions", "languages", "dispute_types", "industries", "years_experience", "capacity",
    "availability", "absent_until", "rapid_response", "verification_status",
    "location_country", "updated_at",
)


def _redacted_for(case: DisputeCase, user: User) -> bool:
    """An expert sees a confidential case's facts only once they accepted it (as on the web)."""
    if user.role != "expert":
        return False
    profile = expert_profile_of(user)
    mine = [a for a in case.assignments if profile is not None and a.expert_id == profile.id]
    return not any(profiles.sees_full_case(a) for a in mine)


def case(row: DisputeCase, user: User) -> dict[str, Any]:
    redacted = _redacted_for(row, user)
    return {
        "id": row.id,
        "reference": row.reference,
        "status": row.status,
        "title": row.title,
        "centre": row.centre.code if row.centre is not None else None,
        "organisation": (row.organisation.name_zh or row.organisation.name_en)
        if row.organisation is not None and not redacted else None,
        "dispute_type": row.dispute_type,
        "jurisdictions": list(row.jurisdictions or []),
        "languages": list(row.languages or []),
        "industry": row.industry,
        "forum": row.forum,
        "confidentiality": row.confidentiality,
        "redacted": redacted,
        "description": None if redacted else row.description,
        "counterparties": [] if redacted else [
            {"name_en": c.name_en, "name_zh": c.name_zh, "counsel": c.counsel}
            for c in row.counterparties
        ],
        "deadline": row.deadline,
        "deadline_basis": row.deadline_basis,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "submitted_at": row.submitted_at,
        "history": [
            {"status": step.status, "state": step.state, "at": step.at}
            for step in case_service.timeline(row)
        ] if row.status != "draft" else [],
    }


def expert(row: ExpertProfile) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in EXPERT_FIELDS}
    data["admissions"] = [
        {"jurisdiction": a.jurisdiction, "year": a.year, "status": a.status}
        for a in row.admissions
    ]
    return data


def ranking(result: CaseRanking, case_id: int | None) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "model": result.model,
        "degraded": bool(result.degraded),
        "pool_size": result.total,
        "ranked": [
            {
                "rank": position,
                "expert": expert(entry.expert),
                "score": float(entry.score),
                "load": entry.load,
                "capacity": entry.capacity,
                "explanation": json_safe(entry.explanation or {}),
            }
            for position, entry in enumerate(result.ranked, 1)
        ],
        "excluded": [
            {
                "expert_id": entry.expert.id,
                "full_name": entry.expert.full_name,
                "reason_code": entry.reason_code,
                "reason": entry.reason,
            }
            for entry in result.excluded
        ],
    }


def assignment(row: Assignment) -> dict[str, Any]:
    return {
        "id": row.id,
        "case_id": row.case_id,
        "expert_id": row.expert_id,
        "status": row.status,
        "score": row.score,
        "note": row.note,
        "decline_reason": row.decline_reason,
        "proposed_at": row.proposed_at,
        "responded_at": row.responded_at,
    }


CENTRE_FIELDS = ("code", "kind", "name_zh", "name_en", "province", "city", "industry",
                 "country", "contact_email", "contact_phone")
WARNING_FIELDS = ("id", "title_zh", "title_en", "body_zh", "body_en", "industries", "countries",
                  "forums", "dispute_types", "published_at", "expires_on")


def centre(row: Centre) -> dict[str, Any]:
    return {name: getattr(row, name) for name in CENTRE_FIELDS}


def warning(row: RiskWarning) -> dict[str, Any]:
    return {name: getattr(row, name) for name in WARNING_FIELDS}
