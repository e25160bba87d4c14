"""The expert's own data: profile, admissions, past matters, declared conflicts; and what the
expert sees of the cases proposed to them.

Every change is one transaction with its audit event. Only after the commit is the matching
engine told (``matching.expert_changed``), so a missing model can delay the ranking but never
lose what the expert typed: the failure is logged and the caller tells the user that ranking
will catch up.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from expertmatch.extensions import db
from expertmatch.models import (
    Admission,
    Assignment,
    DeclaredConflict,
    DisputeCase,
    ExpertProfile,
    PastMatter,
    User,
    utcnow,
)
from expertmatch.services import audit
from expertmatch.services.access import get_expert_or_404

log = logging.getLogger(__name__)

# A profile not confirmed for this long is flagged to its owner.
CONFIRMATION_MAX_AGE = timedelta(days=180)

# The profile columns an expert edits, in the order an audit event lists them.
PROFILE_FIELDS = (
    "full_name",
    "role_type",
    "headline",
    "bio",
    "firm",
    "profile_language",
    "jurisdictions",
    "languages",
    "dispute_types",
    "industries",
    "years_experience",
    "capacity",
    "daily_rate",
    "availability",
    "absent_until",
    "rapid_response",
    "location_country",
)
MAX_DAILY_RATE = 999_999
MATTER_FIELDS = ("title", "summary", "year", "jurisdiction", "dispute_type", "role")

REMOVED_MESSAGE = _l(
    "Your profile was removed by the centre. Contact your coordinator to restore it."
)

OPEN_ASSIGNMENT = ("proposed",)
ACTIVE_ASSIGNMENT = ("accepted",)
FULL_ACCESS_ASSIGNMENT = ("accepted", "completed")


def today() -> date:
    """Today in UTC, the clock every stored timestamp uses."""
    return utcnow().date()


# --- the data the forms hand over --------------------------------------------------------------


@dataclass(frozen=True)
class AdmissionData:
    jurisdiction: str
    year: int | None
    status: str


@dataclass
class ProfileData:
    """A validated profile form; the service trusts its types, not its business rules."""

    full_name: str
    role_type: str
    headline: str
    bio: str
    firm: str | None
    profile_language: str | None
    jurisdictions: list[str]
    languages: list[str]
    dispute_types: list[str]
    industries: list[str]
    years_experience: int | None
    capacity: int
    availability: str
    absent_until: date | None
    rapid_response: bool
    location_country: str | None
    admissions: list[AdmissionData] = field(default_factory=list)
    daily_rate: int | None = None


@dataclass(frozen=True)
class MatterData:
    title: str
    summary: str
    year: int | None
    jurisdiction: str | None
    dispute_type: str | None
    role: str | None


@dataclass(frozen=True)
class ConflictData:
    entity_name: str
    relation: str
    until: date | None


class ProfileError(ValueError):
    """A rule refused the change; ``field`` names the form field to blame."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


@dataclass(frozen=True)
class Saved:
    """What a change did: the object, and whether rankings already reflect it."""

    obj: Any
    changed: tuple[str, ...] = ()
    ranking_current: bool = True


# --- finding the expert's own rows ---------------------------------------------------------------


def has_removed_profile(user: User) -> bool:
    """A profile removed by the centre is not silently recreated by its owner."""
    return (
        db.session.scalar(
            select(ExpertProfile.id).where(
                ExpertProfile.user_id == user.id, ExpertProfile.deleted_at.is_not(None)
            )
        )
        is not None
    )


def own_matter_or_404(matter_id: int, user: User) -> PastMatter:
    """A past matter of the signed-in expert; anyone else's is a 404 (via the expert helper)."""
    matter = db.session.get(PastMatter, matter_id)
    if matter is None:
        abort(404)
    get_expert_or_404(matter.expert_id, user)
    return matter


def own_conflict_or_404(conflict_id: int, user: User) -> DeclaredConflict:
    conflict = db.session.get(DeclaredConflict, conflict_id)
    if conflict is None:
        abort(404)
    get_expert_or_404(conflict.expert_id, user)
    return conflict


# --- saving --------------------------------------------------------------------------------------


def _admission_rows(profile: ExpertProfile) -> list[tuple[str, int | None, str]]:
    return [(a.jurisdiction, a.year, a.status) for a in profile.admissions]


def _check_profile(data: ProfileData) -> None:
    """Rules the form also checks; repeated here because the service is the last line."""
    if data.availability == "absent":
        if data.absent_until is None:
            raise ProfileError(_l("Give the date until which you are absent."), "absent_until")
        if data.absent_until <= today():
            raise ProfileError(_l("The date must be in the future."), "absent_until")
    if not 1 <= data.capacity <= 30:
        raise ProfileError(_l("Enter a number from 1 to 30."), "capacity")
    if data.daily_rate is not None and not 1 <= data.daily_rate <= MAX_DAILY_RATE:
        raise ProfileError(_l("Enter a daily rate from 1 to 999,999 CNY."), "daily_rate")


def save_profile(user: User, data: ProfileData) -> Saved:
    """Create or update the expert's profile, confirm it as current today, audit the change."""
    _check_profile(data)
    if data.availability != "absent":
        # A date without an absence means nothing and would mislead the coordinator.
        data.absent_until = None
    try:
        profile = db.session.scalar(
            select(ExpertProfile).where(
                ExpertProfile.user_id == user.id, ExpertProfile.deleted_at.is_(None)
            )
        )
        created = profile is None
        if created:
            if has_removed_profile(user):
                raise ProfileError(REMOVED_MESSAGE)
            profile = ExpertProfile(user_id=user.id, email=user.email, full_name=data.full_name)
            db.session.add(profile)
        changed = [
            name for name in PROFILE_FIELDS
            if created or getattr(profile, name) != getattr(data, name)
        ]
        for name in changed:
            setattr(profile, name, getattr(data, name))
        new_admissions = [(a.jurisdiction, a.year, a.status) for a in data.admissions]
        if new_admissions != _admission_rows(profile):
            changed.append("admissions")
            profile.admissions.clear()
            for code, year, status in new_admissions:
                profile.admissions.append(Admission(jurisdiction=code, year=year, status=status))
        # Saving is the expert's statement that the profile is current.
        profile.last_confirmed_at = today()
        if profile.verification_status == "expired":
            profile.verification_status = "verified"
        db.session.flush()
        audit.record(
            user,
            "profile.created" if created else "profile.updated",
            "expert",
            profile.id,
            {"fields": changed},
            centre_id=profile.home_centre_id,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return Saved(profile, tuple(changed), refresh_ranking(profile))


def _apply_matter(matter: PastMatter, data: MatterData) -> list[str]:
    changed = [name for name in MATTER_FIELDS if getattr(matter, name) != getattr(data, name)]
    for name in changed:
        setattr(matter, name, getattr(data, name))
    return changed


def add_matter(profile: ExpertProfile, user: User, data: MatterData) -> Saved:
    try:
        matter = PastMatter(expert_id=profile.id, **asdict(data))
        db.session.add(matter)
        db.session.flush()
        audit.record(
            user, "matter.added", "past_matter", matter.id,
            {"expert": profile.id, "title": matter.title}, centre_id=profile.home_centre_id,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(profile)
    return Saved(matter, MATTER_FIELDS, refresh_ranking(profile))


def update_matter(matter: PastMatter, user: User, data: MatterData) -> Saved:
    try:
        changed = _apply_matter(matter, data)
        if changed:
            audit.record(
                user, "matter.updated", "past_matter", matter.id,
                {"expert": matter.expert_id, "fields": changed},
                centre_id=matter.expert.home_centre_id,
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    profile = matter.expert
    return Saved(matter, tuple(changed), refresh_ranking(profile) if changed else True)


def remove_matter(matter: PastMatter, user: User) -> Saved:
    profile = matter.expert
    try:
        audit.record(
            user, "matter.removed", "past_matter", matter.id,
            {"expert": profile.id, "title": matter.title}, centre_id=profile.home_centre_id,
        )
        profile.matters.remove(matter)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return Saved(profile, ("matters",), refresh_ranking(profile))


def add_conflict(profile: ExpertProfile, user: User, data: ConflictData) -> Saved:
    if data.until is not None and data.until < today():
        raise ProfileError(
            _l("This date has passed: the conflict no longer applies."), "until"
        )
    try:
        conflict = DeclaredConflict(
            expert_id=profile.id,
            entity_name=data.entity_name,
            relation=data.relation,
            until=data.until,
        )
        db.session.add(conflict)
        db.session.flush()
        audit.record(
            user, "conflict.declared", "declared_conflict", conflict.id,
            {"expert": profile.id, "entity": conflict.entity_name, "relation": conflict.relation},
            centre_id=profile.home_centre_id,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(profile)
    return Saved(conflict, ("conflicts",), refresh_ranking(profile))


def remove_conflict(conflict: DeclaredConflict, user: User) -> Saved:
    profile = conflict.expert
    try:
        audit.record(
            user, "conflict.removed", "declared_conflict", conflict.id,
            {"expert": profile.id, "entity": conflict.entity_name},
            centre_id=profile.home_centre_id,
        )
        profile.conflicts.remove(conflict)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return Saved(profile, ("conflicts",), refresh_ranking(profile))


def refresh_ranking(profile: ExpertProfile) -> bool:
    """Tell the matching engine after a commit. False when it could not follow (no model,
    say): the data is saved, the ranking catches up when the engine next encodes."""
    try:
        from expertmatch.services import matching

        matching.expert_changed(profile)
        # Without the model the texts wait for it (lexical and structured evidence are current).
        model_status = getattr(matching, "model_status", None)
        if model_status is not None and not model_status().get("loaded", True):
            log.warning("Expert %s saved while the embedding model is unavailable", profile.id)
            return False
    except Exception:
        log.exception("Re-encoding expert %s failed; ranking will catch up later", profile.id)
        db.session.rollback()
        return False
    return True


# --- the expert's cases --------------------------------------------------------------------------


@dataclass
class MyCases:
    """The expert's assignments, in the order they need attention."""

    to_answer: list[Assignment]
    accepted: list[Assignment]
    past: list[Assignment]


def _deadline_key(assignment: Assignment) -> tuple[date, Any, int]:
    case = assignment.case
    return (case.deadline or date.max, assignment.proposed_at, assignment.id)


def my_cases(profile: ExpertProfile) -> MyCases:
    """Proposals first (nearest deadline first), then accepted work, then the past."""
    assignments = db.session.scalars(
        select(Assignment)
        .where(Assignment.expert_id == profile.id)
        .options(selectinload(Assignment.case).selectinload(DisputeCase.counterparties))
    ).all()
    to_answer = sorted((a for a in assignments if a.status in OPEN_ASSIGNMENT), key=_deadline_key)
    accepted = sorted((a for a in assignments if a.status in ACTIVE_ASSIGNMENT), key=_deadline_key)
    past = sorted(
        (a for a in assignments if a.status not in OPEN_ASSIGNMENT + ACTIVE_ASSIGNMENT),
        key=lambda a: (a.completed_at or a.withdrawn_at or a.responded_at or a.proposed_at, a.id),
        reverse=True,
    )
    return MyCases(to_answer, accepted, past)


def sees_full_case(assignment: Assignment) -> bool:
    """A confidential case shows its details only once the expert has accepted it."""
    return not assignment.case.is_confidential or assignment.status in FULL_ACCESS_ASSIGNMENT


def accepted_assignment_or_404(case: DisputeCase, profile: ExpertProfile) -> Assignment:
    """The expert's accepted (or completed) assignment on a case; anything less is a 404."""
    assignment = db.session.scalar(
        select(Assignment)
        .where(
            Assignment.case_id == case.id,
            Assignment.expert_id == profile.id,
            Assignment.status.in_(FULL_ACCESS_ASSIGNMENT),
        )
        .order_by(Assignment.id.desc())
    )
    if assignment is None:
        abort(404)
    return assignment


def record_case_view(user: User, case: DisputeCase, redacted: bool) -> None:
    """Every look at a confidential case leaves a trace, committed on its own so that it
    survives whatever the rest of the request does."""
    if not case.is_confidential:
        return
    try:
        audit.record(
            user, "case.viewed", "case", case.id, {"redacted": redacted},
            centre_id=case.centre_id,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


@dataclass(frozen=True)
class LandingSummary:
    """What an expert's home page shows at a glance."""

    profile: ExpertProfile | None
    open_proposals: int = 0
    load: int = 0
    capacity: int = 0
    confirmation_stale: bool = False


def landing_summary(user: User) -> LandingSummary:
    from expertmatch.services.access import expert_profile_of
    from expertmatch.services.assignments import expert_load

    profile = expert_profile_of(user)
    if profile is None:
        return LandingSummary(None)
    open_count = sum(1 for a in profile.assignments if a.status in OPEN_ASSIGNMENT)
    confirmed = profile.last_confirmed_at
    return LandingSummary(
        profile=profile,
        open_proposals=open_count,
        load=expert_load(profile.id),
        capacity=profile.capacity,
        confirmation_stale=confirmed is None or today() - confirmed > CONFIRMATION_MAX_AGE,
    )


def remove_profile(profile: ExpertProfile, by: User, reason: str) -> ExpertProfile:
    """Take an expert out of the pool. A soft delete: the profile, its matters and every
    past assignment stay (they are the record of who did what); open proposals are
    withdrawn, and the expert no longer appears in rankings or the directory."""
    from expertmatch.models import utcnow

    reason = reason.strip()
    if not reason:
        raise ProfileError(_l("Give a reason for removing the expert."), "reason")
    try:
        now = utcnow()
        withdrawn = []
        for assignment in db.session.scalars(
            select(Assignment).where(
                Assignment.expert_id == profile.id, Assignment.status == "proposed"
            )
        ):
            assignment.status = "withdrawn"
            assignment.withdrawn_at = now
            withdrawn.append(assignment.id)
        profile.deleted_at = now
        profile.availability = "inactive"
        profile.updated_at = now
        audit.record(
            by, "profile.deleted", "expert", profile.id,
            {"reason": reason, "withdrawn": withdrawn}, centre_id=by.centre_id,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    refresh_ranking(profile)
    return profile
