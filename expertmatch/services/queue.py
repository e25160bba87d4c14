"""What a coordinator reads: the urgency queue, its risk and re-routing flags, the audit trail.

Every query starts from :func:`expertmatch.services.access.visible_cases` (or the audit
scope below), so a coordinator never sees another centre's rows, whatever the filters say.
The flags are computed from settings (``DEADLINE_WARNING_DAYS``, ``PROPOSAL_RESPONSE_HOURS``,
``URGENT_PROPOSAL_RESPONSE_HOURS``) in one place, and the same rule serves the queue, the case
page and the landing summary, so the three never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, String, and_, cast, func, or_, select

from expertmatch.extensions import db
from expertmatch.models import (
    OPEN_STATUSES,
    Assignment,
    AuditEvent,
    CaseMessage,
    DisputeCase,
    User,
    utcnow,
)
from expertmatch.services import audit
from expertmatch.services.access import NETWORK_ROLES, visible_cases

AUDIT_PAGE_SIZE = 50
QUEUE_PAGE_SIZE = 50


def today() -> date:
    """The calendar day deadlines are counted from (one definition for every flag)."""
    return date.today()


@dataclass(frozen=True)
class Thresholds:
    """The settings behind the flags, read once per request."""

    warning_days: int
    response_hours: int
    urgent_response_hours: int

    @classmethod
    def from_config(cls) -> Thresholds:
        config = current_app.config
        return cls(
            warning_days=int(config["DEADLINE_WARNING_DAYS"]),
            response_hours=int(config["PROPOSAL_RESPONSE_HOURS"]),
            urgent_response_hours=int(config["URGENT_PROPOSAL_RESPONSE_HOURS"]),
        )


def deadline_risk(case: DisputeCase, thresholds: Thresholds | None = None) -> str | None:
    """``"overdue"``, ``"at_risk"`` (within the warning window) or None.

    Closed cases carry no risk: nobody can act on them any more.
    """
    if case.deadline is None or case.status not in OPEN_STATUSES:
        return None
    thresholds = thresholds or Thresholds.from_config()
    day = today()
    if case.deadline < day:
        return "overdue"
    if case.deadline <= day + timedelta(days=thresholds.warning_days):
        return "at_risk"
    return None


def days_left(case: DisputeCase) -> int | None:
    return None if case.deadline is None else (case.deadline - today()).days


def response_hours(case: DisputeCase, thresholds: Thresholds | None = None) -> int:
    """How long an expert has to answer a proposal: shorter when the deadline is near."""
    thresholds = thresholds or Thresholds.from_config()
    if deadline_risk(case, thresholds) is not None:
        return thresholds.urgent_response_hours
    return thresholds.response_hours


def proposal_is_stale(
    assignment: Assignment, case: DisputeCase, thresholds: Thresholds | None = None,
    now: datetime | None = None,
) -> bool:
    """An unanswered proposal past its response time: the case needs re-routing."""
    if assignment.status != "proposed" or case.status not in OPEN_STATUSES:
        return False
    hours = response_hours(case, thresholds)
    return assignment.proposed_at < (now or utcnow()) - timedelta(hours=hours)


def _stale_proposal_condition(thresholds: Thresholds, now: datetime):  # type: ignore[no-untyped-def]
    """SQL form of :func:`proposal_is_stale` (Assignment joined to DisputeCase)."""
    urgent_until = today() + timedelta(days=thresholds.warning_days)
    return and_(
        Assignment.status == "proposed",
        DisputeCase.status.in_(OPEN_STATUSES),
        or_(
            Assignment.proposed_at < now - timedelta(hours=thresholds.response_hours),
            and_(
                Assignment.proposed_at < now - timedelta(hours=thresholds.urgent_response_hours),
                DisputeCase.deadline.is_not(None),
                DisputeCase.deadline <= urgent_until,
            ),
        ),
    )


# -- the queue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    """What the coordinator narrowed the queue to; empty strings mean "any"."""

    status: str = ""
    dispute_type: str = ""
    jurisdiction: str = ""
    industry: str = ""


@dataclass
class QueueRow:
    case: DisputeCase
    risk: str | None
    days_left: int | None
    pending: int
    stale: int

    @property
    def needs_rerouting(self) -> bool:
        return self.stale > 0


@dataclass
class QueuePage:
    rows: list[QueueRow]
    page: int
    pages: int
    total: int
    has_prev: bool
    has_next: bool
    thresholds: Thresholds


def _json_list_contains(column, code: str):  # type: ignore[no-untyped-def]
    """A JSON list of codes contains ``code``, on SQLite and PostgreSQL alike.

    Codes are short ASCII words validated against the form's choices, so looking for the
    quoted code in the JSON text is exact and needs no dialect-specific JSON operators.
    """
    return cast(column, String).like(f'%"{code}"%')


def queue_query(user: User, filters: QueueFilters) -> Select:
    """The user's cases for the queue, filtered and sorted by urgency.

    Open cases by default (closed ones only when asked for): nearest deadline first, cases
    without a deadline after those with one, then the longest-waiting submission.
    """
    query = visible_cases(user).where(DisputeCase.status != "draft")
    if filters.status == "closed":
        query = query.where(DisputeCase.status == "closed")
    elif filters.status:
        query = query.where(DisputeCase.status == filters.status)
    else:
        query = query.where(DisputeCase.status.in_(OPEN_STATUSES))
    if filters.dispute_type:
        query = query.where(DisputeCase.dispute_type == filters.dispute_type)
    if filters.industry:
        query = query.where(DisputeCase.industry == filters.industry)
    if filters.jurisdiction:
        query = query.where(_json_list_contains(DisputeCase.jurisdictions, filters.jurisdiction))
    if filters.status == "closed":
        return query.order_by(DisputeCase.closed_at.desc(), DisputeCase.id.desc())
    return query.order_by(
        DisputeCase.deadline.is_(None),
        DisputeCase.deadline,
        DisputeCase.submitted_at.is_(None),
        DisputeCase.submitted_at,
        DisputeCase.id,
    )


def _proposal_counts(case_ids: list[int], thresholds: Thresholds) -> tuple[dict, dict]:
    """Pending and stale proposals per case, in two grouped queries."""
    if not case_ids:
        return {}, {}
    pending = dict(
        db.session.execute(
            select(Assignment.case_id, func.count(Assignment.id))
            .where(Assignment.case_id.in_(case_ids), Assignment.status == "proposed")
            .group_by(Assignment.case_id)
        ).all()
    )
    stale = dict(
        db.session.execute(
            select(Assignment.case_id, func.count(Assignment.id))
            .join(DisputeCase, DisputeCase.id == Assignment.case_id)
            .where(
                Assignment.case_id.in_(case_ids),
                _stale_proposal_condition(thresholds, utcnow()),
            )
            .group_by(Assignment.case_id)
        ).all()
    )
    return pending, stale


def queue(user: User, filters: QueueFilters, page: int = 1) -> QueuePage:
    """One page of the queue with each case's deadline risk and proposal flags."""
    thresholds = Thresholds.from_config()
    result = db.paginate(
        queue_query(user, filters), page=max(page, 1), per_page=QUEUE_PAGE_SIZE,
        error_out=False, count=True,
    )
    cases = list(result.items)
    pending, stale = _proposal_counts([c.id for c in cases], thresholds)
    rows = [
        QueueRow(
            case=case,
            risk=deadline_risk(case, thresholds),
            days_left=days_left(case),
            pending=int(pending.get(case.id, 0)),
            stale=int(stale.get(case.id, 0)),
        )
        for case in cases
    ]
    return QueuePage(
        rows=rows, page=result.page, pages=result.pages or 1, total=result.total or 0,
        has_prev=result.has_prev, has_next=result.has_next, thresholds=thresholds,
    )


@dataclass(frozen=True)
class QueueSummary:
    """The landing page's counts: what needs the coordinator today."""

    new: int
    at_risk: int
    overdue: int
    rerouting: int


def summary(user: User) -> QueueSummary:
    """Counts over the user's open cases, with the same rules as the queue's flags."""
    thresholds = Thresholds.from_config()
    scope = visible_cases(user).where(DisputeCase.status.in_(OPEN_STATUSES)).subquery()
    day = today()

    def count(*conditions) -> int:  # type: ignore[no-untyped-def]
        return int(db.session.scalar(select(func.count()).select_from(scope).where(*conditions)))

    new = count(scope.c.status == "submitted")
    overdue = count(scope.c.deadline < day)
    at_risk = count(
        scope.c.deadline >= day,
        scope.c.deadline <= day + timedelta(days=thresholds.warning_days),
    )
    rerouting = int(
        db.session.scalar(
            select(func.count(Assignment.id))
            .join(DisputeCase, DisputeCase.id == Assignment.case_id)
            .where(
                DisputeCase.id.in_(select(scope.c.id)),
                _stale_proposal_condition(thresholds, utcnow()),
            )
        )
    )
    return QueueSummary(new=new, at_risk=at_risk, overdue=overdue, rerouting=rerouting)


def record_confidential_view(case: DisputeCase, user: User) -> None:
    """Who read a confidential case is part of the audit trail (issue 4), in its own commit."""
    if not case.is_confidential:
        return
    audit.record(user, "case.viewed", "case", case.id, centre_id=case.centre_id)
    db.session.commit()


# -- the audit trail ----------------------------------------------------------------------------


def audit_scope(user: User):  # type: ignore[no-untyped-def]
    """Network staff and administrators see every event; a coordinator their centre's events
    and their own (an action on a referred case is recorded under the case's centre)."""
    if user.role in NETWORK_ROLES:
        return AuditEvent.id.is_not(None)
    conditions = [AuditEvent.actor_id == user.id]
    if user.centre_id is not None:
        conditions.append(AuditEvent.centre_id == user.centre_id)
    return or_(*conditions)


def _case_condition(case_id: int):  # type: ignore[no-untyped-def]
    """Events about one case: the case itself, its proposals and its messages."""
    return or_(
        and_(AuditEvent.object_type == "case", AuditEvent.object_id == case_id),
        and_(
            AuditEvent.object_type == "assignment",
            AuditEvent.object_id.in_(select(Assignment.id).where(Assignment.case_id == case_id)),
        ),
        and_(
            AuditEvent.object_type == "message",
            AuditEvent.object_id.in_(select(CaseMessage.id).where(CaseMessage.case_id == case_id)),
        ),
    )


@dataclass
class AuditPage:
    events: list[AuditEvent]
    case_links: dict[tuple[str, int], tuple[int, str]]
    page: int
    pages: int
    total: int
    has_prev: bool
    has_next: bool


def _openable_cases(
    user: User, events: list[AuditEvent]
) -> dict[tuple[str, int], tuple[int, str]]:
    """(object_type, object_id) -> (case id, reference), for events whose case the viewer
    may open: the log links there, and shows nothing of cases outside the viewer's scope."""
    wanted: dict[tuple[str, int], int] = {}
    assignment_ids = [e.object_id for e in events if e.object_type == "assignment" and e.object_id]
    message_ids = [e.object_id for e in events if e.object_type == "message" and e.object_id]
    for event in events:
        if event.object_type == "case" and event.object_id:
            wanted[("case", event.object_id)] = event.object_id
    if assignment_ids:
        for aid, cid in db.session.execute(
            select(Assignment.id, Assignment.case_id).where(Assignment.id.in_(assignment_ids))
        ):
            wanted[("assignment", aid)] = cid
    if message_ids:
        for mid, cid in db.session.execute(
            select(CaseMessage.id, CaseMessage.case_id).where(CaseMessage.id.in_(message_ids))
        ):
            wanted[("message", mid)] = cid
    if not wanted:
        return {}
    visible = dict(
        db.session.execute(
            visible_cases(user)
            .where(DisputeCase.id.in_(set(wanted.values())))
            .with_only_columns(DisputeCase.id, DisputeCase.reference)
        ).all()
    )
    return {
        key: (cid, visible[cid] or f"#{cid}") for key, cid in wanted.items() if cid in visible
    }


def audit_actions(user: User) -> list[str]:
    """The actions that occur in the user's part of the log (the filter's options)."""
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(audit_scope(user)).distinct().order_by(
                AuditEvent.action
            )
        )
    )


def audit_events(
    user: User, action: str = "", case_id: int | None = None, page: int = 1
) -> AuditPage:
    """One page (newest first) of the events the user may see, optionally narrowed."""
    query = select(AuditEvent).where(audit_scope(user))
    if action:
        query = query.where(AuditEvent.action == action)
    if case_id is not None:
        query = query.where(_case_condition(case_id))
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    result = db.paginate(query, page=max(page, 1), per_page=AUDIT_PAGE_SIZE, error_out=False)
    events = list(result.items)
    return AuditPage(
        events=events,
        case_links=_openable_cases(user, events),
        page=result.page,
        pages=result.pages or 1,
        total=result.total or 0,
        has_prev=result.has_prev,
        has_next=result.has_next,
    )


def json_safe(value: Any) -> Any:
    """An explanation made storable as JSON (numpy numbers and tuples become plain values)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, (str, bool, int)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
