"""Proposing experts, their answers, and closing cases.

The capacity rule holds under concurrency: the expert's row is locked (an
UPDATE that changes nothing takes a row lock on PostgreSQL and the write lock
on SQLite) before the load is counted, so the count and the insert happen in
one serialised transaction. Two coordinators changing one case are caught by
the case's version column (optimistic locking).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from expertmatch.extensions import db
from expertmatch.i18n import code_name
from expertmatch.models import Assignment, DisputeCase, ExpertProfile, User, utcnow
from expertmatch.services import audit
from expertmatch.vocabulary import LOAD_STATUSES


class AssignmentError(ValueError):
    """A workflow rule refused the action; the message is for the user."""

    def __init__(self, message: Any, code: str = "refused") -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.code = code


class CapacityError(AssignmentError):
    pass


class ConcurrentUpdate(AssignmentError):
    pass


def expert_load(expert_id: int) -> int:
    """Assignments that take a slot now, across every centre, plus outside load."""
    own = db.session.scalar(
        select(func.count(Assignment.id)).where(
            Assignment.expert_id == expert_id, Assignment.status.in_(LOAD_STATUSES)
        )
    )
    external = db.session.scalar(
        select(ExpertProfile.external_load).where(ExpertProfile.id == expert_id)
    )
    return int(own or 0) + int(external or 0)


def loads(expert_ids: list[int] | None = None) -> dict[int, int]:
    """Load of many experts in one query (for rankings and directories)."""
    query = (
        select(Assignment.expert_id, func.count(Assignment.id))
        .where(Assignment.status.in_(LOAD_STATUSES))
        .group_by(Assignment.expert_id)
    )
    if expert_ids is not None:
        query = query.where(Assignment.expert_id.in_(expert_ids))
    counts = dict(db.session.execute(query).all())
    externals = select(ExpertProfile.id, ExpertProfile.external_load)
    if expert_ids is not None:
        externals = externals.where(ExpertProfile.id.in_(expert_ids))
    return {
        expert_id: int(counts.get(expert_id, 0)) + int(external or 0)
        for expert_id, external in db.session.execute(externals).all()
    }


def _lock_expert(expert_id: int) -> None:
    db.session.execute(
        update(ExpertProfile)
        .where(ExpertProfile.id == expert_id)
        .values(capacity=ExpertProfile.capacity, updated_at=ExpertProfile.updated_at)
        .execution_options(synchronize_session=False)
    )


def _commit() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ConcurrentUpdate(
            _l("Someone else changed this case at the same moment. Reload and try again."),
            "concurrent",
        ) from None


def _case_ref(case: DisputeCase) -> str:
    return case.reference or f"#{case.id}"


def propose(
    case: DisputeCase,
    expert: ExpertProfile,
    by: User,
    *,
    score: float | None = None,
    reasons: dict | None = None,
    note: str | None = None,
    commit: bool = True,
) -> Assignment:
    """Propose ``expert`` for ``case``: hard rules re-checked, capacity locked.

    ``commit=False`` leaves the transaction to the caller (a plan applies many proposals all
    or nothing): the row locks are then held until the caller commits or rolls back.
    """
    from expertmatch.services import matching

    try:
        if not case.is_open:
            raise AssignmentError(_l("This case is not open."), "closed")
        if expert.deleted_at is not None:
            raise AssignmentError(_l("This expert's profile was removed."), "deleted")
        reason = matching.hard_rule_reason(case, expert)
        if reason:
            raise AssignmentError(reason, "excluded")
        _lock_expert(expert.id)
        existing = db.session.scalar(
            select(Assignment.id).where(
                Assignment.case_id == case.id,
                Assignment.expert_id == expert.id,
                Assignment.status.in_(LOAD_STATUSES),
            )
        )
        if existing:
            raise AssignmentError(_l("This expert is already proposed for this case."), "duplicate")
        db.session.refresh(expert)
        if expert_load(expert.id) >= expert.capacity:
            raise CapacityError(
                _l(
                    "%(name)s is at capacity: no free slot for another case.", name=expert.full_name
                ),
                "capacity",
            )
        assignment = Assignment(
            case_id=case.id,
            expert_id=expert.id,
            proposed_by_id=by.id,
            score=score,
            reasons=reasons,
            note=note or None,
        )
        db.session.add(assignment)
        if case.status in ("submitted", "triaged"):
            case.status = "matched"
            case.matched_at = case.matched_at or utcnow()
            if case.triaged_at is None:
                case.triaged_at = case.matched_at
        db.session.flush()
        audit.record(
            by,
            "assignment.proposed",
            "assignment",
            assignment.id,
            {"case": case.id, "expert": expert.id, "score": score},
            centre_id=case.centre_id,
        )
        if expert.user_id:
            audit.notify(
                expert.user_id,
                "proposal.new",
                url_for("experts.proposal", assignment_id=assignment.id),
                ref=_case_ref(case),
            )
        if commit:
            _commit()
    except Exception:
        if commit:
            db.session.rollback()
        raise
    return assignment


@dataclass(frozen=True)
class ProposalOutcome:
    expert: ExpertProfile
    assignment: Assignment | None
    error: AssignmentError | None


def propose_ranked(
    case: DisputeCase, experts: list[ExpertProfile], by: User, *, top_k: int,
    note: str | None = None,
) -> list[ProposalOutcome]:
    """Propose each expert with their place, score and reasons in the case's current ranking
    (kept on the assignment); one refusal does not stop the others. The coordinator's page and
    the API both propose through here."""
    from expertmatch.services import matching
    from expertmatch.services.queue import json_safe

    ranking = matching.rank_case(case, top_k)
    ranked = {r.expert.id: (position, r) for position, r in enumerate(ranking.ranked, 1)}
    outcomes: list[ProposalOutcome] = []
    for expert in {e.id: e for e in experts}.values():
        position, entry = ranked.get(expert.id, (None, None))
        reasons = None
        if entry is not None:
            reasons = {
                **json_safe(entry.explanation or {}),
                "rank": position,
                "degraded": bool(ranking.degraded),
            }
        try:
            assignment = propose(
                case, expert, by,
                score=float(entry.score) if entry is not None else None,
                reasons=reasons,
                note=note or None,
            )
        except AssignmentError as error:
            outcomes.append(ProposalOutcome(expert, None, error))
        else:
            outcomes.append(ProposalOutcome(expert, assignment, None))
    return outcomes


def _transition(assignment: Assignment, allowed: tuple[str, ...], **values: Any) -> None:
    """Change an assignment only if it is still in an allowed state: a conditional
    UPDATE, so two people answering or withdrawing at once cannot both win."""
    result = db.session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.status.in_(allowed))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(assignment)
        raise AssignmentError(
            _l(
                "This proposal is no longer open (it is %(status)s).",
                status=code_name("assignment_status", assignment.status),
            ),
            "status",
        )
    db.session.refresh(assignment)


def accept(assignment: Assignment, by: User, no_conflict: bool) -> Assignment:
    """The expert accepts after declaring no conflict."""
    try:
        if not no_conflict:
            raise AssignmentError(
                _l("Confirm that you have no conflict of interest before accepting."), "conflict"
            )
        _transition(
            assignment,
            ("proposed",),
            status="accepted",
            no_conflict_declared=True,
            responded_at=utcnow(),
        )
        case = assignment.case
        if case.status in ("submitted", "triaged", "matched"):
            case.status = "assigned"
            case.assigned_at = case.assigned_at or assignment.responded_at
        audit.record(
            by,
            "assignment.accepted",
            "assignment",
            assignment.id,
            {"case": case.id},
            centre_id=case.centre_id,
        )
        link = url_for("coordinator.case_detail", case_id=case.id)
        for uid in audit.coordinator_ids(case.centre_id):
            audit.notify(
                uid,
                "proposal.accepted",
                link,
                ref=_case_ref(case),
                expert=assignment.expert.full_name,
            )
        if case.created_by_id:
            audit.notify(
                case.created_by_id,
                "case.assigned",
                url_for("cases.case_detail", case_id=case.id),
                ref=_case_ref(case),
            )
        _commit()
    except Exception:
        db.session.rollback()
        raise
    return assignment


def _after_slot_freed(case: DisputeCase) -> None:
    """A case with no live proposal goes back to triage."""
    live = db.session.scalar(
        select(func.count(Assignment.id)).where(
            Assignment.case_id == case.id, Assignment.status.in_(LOAD_STATUSES)
        )
    )
    if not live and case.status in ("matched", "assigned"):
        case.status = "triaged"


def decline(assignment: Assignment, by: User, reason: str) -> Assignment:
    try:
        if not reason.strip():
            raise AssignmentError(_l("Give a reason so the coordinator can re-route."), "reason")
        _transition(
            assignment,
            ("proposed",),
            status="declined",
            decline_reason=reason.strip(),
            responded_at=utcnow(),
        )
        case = assignment.case
        _after_slot_freed(case)
        audit.record(
            by,
            "assignment.declined",
            "assignment",
            assignment.id,
            {"case": case.id, "reason": reason.strip()},
            centre_id=case.centre_id,
        )
        link = url_for("coordinator.case_detail", case_id=case.id)
        for uid in audit.coordinator_ids(case.centre_id):
            audit.notify(
                uid,
                "proposal.declined",
                link,
                ref=_case_ref(case),
                expert=assignment.expert.full_name,
            )
        _commit()
    except Exception:
        db.session.rollback()
        raise
    return assignment


def withdraw(assignment: Assignment, by: User) -> Assignment:
    try:
        _transition(assignment, ("proposed", "accepted"), status="withdrawn", withdrawn_at=utcnow())
        case = assignment.case
        _after_slot_freed(case)
        audit.record(
            by,
            "assignment.withdrawn",
            "assignment",
            assignment.id,
            {"case": case.id},
            centre_id=case.centre_id,
        )
        if assignment.expert.user_id:
            audit.notify(
                assignment.expert.user_id,
                "proposal.withdrawn",
                url_for("experts.my_cases"),
                ref=_case_ref(case),
            )
        _commit()
    except Exception:
        db.session.rollback()
        raise
    return assignment


def set_status(case: DisputeCase, status: str, by: User) -> DisputeCase:
    """Triage or start work; closing goes through :func:`close_case`."""
    allowed = {"triaged": ("submitted",), "in_progress": ("assigned",)}
    try:
        if case.status not in allowed.get(status, ()):
            raise AssignmentError(_l("This step is not possible now."), "status")
        old = case.status
        case.status = status
        setattr(case, f"{status}_at", utcnow())
        audit.record(
            by,
            "case.status",
            "case",
            case.id,
            {"from": old, "to": status},
            centre_id=case.centre_id,
        )
        if case.created_by_id:
            audit.notify(
                case.created_by_id,
                "case.status",
                url_for("cases.case_detail", case_id=case.id),
                ref=_case_ref(case),
                status=status,
            )
        _commit()
    except Exception:
        db.session.rollback()
        raise
    return case


def close_case(
    case: DisputeCase, by: User, outcome: str, amount_recovered: Decimal | None = None
) -> DisputeCase:
    """Close with an outcome. Nothing is deleted: open proposals are withdrawn,
    accepted work is marked completed."""
    try:
        if case.status == "closed":
            raise AssignmentError(_l("This case is already closed."), "closed")
        now = utcnow()
        for assignment in case.assignments:
            if assignment.status == "proposed":
                assignment.status = "withdrawn"
                assignment.withdrawn_at = now
            elif assignment.status == "accepted":
                assignment.status = "completed"
                assignment.completed_at = now
        case.status = "closed"
        case.closed_at = now
        case.outcome = outcome
        case.amount_recovered = amount_recovered
        audit.record(
            by,
            "case.closed",
            "case",
            case.id,
            {"outcome": outcome, "amount_recovered": str(amount_recovered or "")},
            centre_id=case.centre_id,
        )
        if case.created_by_id:
            audit.notify(
                case.created_by_id,
                "case.status",
                url_for("cases.case_detail", case_id=case.id),
                ref=_case_ref(case),
                status="closed",
            )
        _commit()
    except Exception:
        db.session.rollback()
        raise
    return case
