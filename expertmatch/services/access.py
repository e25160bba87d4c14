"""Who sees which rows: one scoping helper per object, never a filter remembered in a view.

Every view that takes an id calls one of the ``get_*_or_404`` functions: a row
outside the user's scope is a 404 (not a 403), so ids cannot be probed.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, false, or_, select

from expertmatch.extensions import db
from expertmatch.models import Assignment, DisputeCase, ExpertProfile, User

# Roles that see every centre (read-only for network staff).
NETWORK_ROLES = ("network", "admin")


def _referred_to(centre_id: int):  # type: ignore[no-untyped-def]
    """Cases referred to a centre and not yet returned (see services.network)."""
    try:
        from expertmatch.models import Referral  # type: ignore[attr-defined]
    except ImportError:
        return None
    return DisputeCase.id.in_(
        select(Referral.case_id).where(
            Referral.to_centre_id == centre_id, Referral.status.in_(("pending", "accepted"))
        )
    )


def case_filter(user: User):  # type: ignore[no-untyped-def]
    """The SQL condition limiting DisputeCase rows to what ``user`` may see."""
    if user.role in NETWORK_ROLES:
        return DisputeCase.id.is_not(None)
    if user.role == "enterprise":
        if user.organisation_id is None:
            return false()
        return DisputeCase.organisation_id == user.organisation_id
    if user.role == "coordinator":
        if user.centre_id is None:
            return false()
        conditions = [DisputeCase.centre_id == user.centre_id]
        referred = _referred_to(user.centre_id)
        if referred is not None:
            conditions.append(referred)
        return (DisputeCase.status != "draft") & or_(*conditions)
    if user.role == "expert":
        profile = expert_profile_of(user)
        if profile is None:
            return false()
        return DisputeCase.id.in_(
            select(Assignment.case_id).where(Assignment.expert_id == profile.id)
        )
    return false()


def visible_cases(user: User) -> Select:
    """``select(DisputeCase)`` limited to the user's scope; add filters and order."""
    return select(DisputeCase).where(case_filter(user))


def get_case_or_404(case_id: int, user: User) -> DisputeCase:
    case = db.session.scalar(visible_cases(user).where(DisputeCase.id == case_id))
    if case is None:
        abort(404)
    return case


def can_act_on_case(user: User, case: DisputeCase) -> bool:
    """Coordinators act on their own centre's cases. A centre a case is referred to
    reads it and answers the referral; it acts once it has accepted (the case then
    belongs to it). Network staff only read; administrators may act anywhere."""
    if user.role == "admin":
        return True
    return user.role == "coordinator" and case.centre_id == user.centre_id


def get_actionable_case_or_404(case_id: int, user: User) -> DisputeCase:
    case = get_case_or_404(case_id, user)
    if not can_act_on_case(user, case):
        abort(403)
    return case


def expert_profile_of(user: User) -> ExpertProfile | None:
    if user.role != "expert":
        return None
    return db.session.scalar(
        select(ExpertProfile).where(
            ExpertProfile.user_id == user.id, ExpertProfile.deleted_at.is_(None)
        )
    )


def get_expert_or_404(expert_id: int, user: User, include_deleted: bool = False) -> ExpertProfile:
    """The shared pool: coordinators, network staff and admins see every expert;
    an expert sees only their own profile; enterprises none."""
    expert = db.session.get(ExpertProfile, expert_id)
    if expert is None or (expert.deleted_at is not None and not include_deleted):
        abort(404)
    if user.role in ("coordinator", *NETWORK_ROLES):
        return expert
    if user.role == "expert" and expert.user_id == user.id:
        return expert
    abort(404)


def get_assignment_or_404(assignment_id: int, user: User) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    if user.role == "expert":
        profile = expert_profile_of(user)
        if profile is None or assignment.expert_id != profile.id:
            abort(404)
        return assignment
    get_case_or_404(assignment.case_id, user)
    return assignment
