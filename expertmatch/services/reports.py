"""The numbers of the coordinator dashboard, scoped to what the viewer may see.

Every case count goes through :func:`expertmatch.services.access.case_filter`: a coordinator's
dashboard never counts another centre's cases. Expert load is the one exception by design: the
pool is shared, so load counts every centre's assignments, but only names and numbers are shown.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from expertmatch.extensions import db
from expertmatch.models import (
    OPEN_STATUSES,
    STATUS_FLOW,
    Assignment,
    DisputeCase,
    ExpertProfile,
    User,
    utcnow,
)
from expertmatch.services import access, assignments

TOP_LOADED_EXPERTS = 15
MAX_DEADLINE_ROWS = 100


@dataclass(frozen=True)
class ExpertLoad:
    expert_id: int
    name: str
    load: int
    capacity: int


@dataclass(frozen=True)
class DeadlineCase:
    case: DisputeCase
    days_left: int

    @property
    def past(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class Recovered:
    currency: str | None
    amount: Decimal
    cases: int


@dataclass
class Dashboard:
    """What one viewer may see, computed once per request."""

    network_wide: bool
    by_status: list[tuple[str, int]] = field(default_factory=list)
    by_dispute_type: list[tuple[str | None, int]] = field(default_factory=list)
    median_hours_to_acceptance: float | None = None
    accepted_cases: int = 0
    expert_load: list[ExpertLoad] = field(default_factory=list)
    deadlines: list[DeadlineCase] = field(default_factory=list)
    warning_days: int = 7
    recovered: list[Recovered] = field(default_factory=list)

    @property
    def total_cases(self) -> int:
        return sum(n for _, n in self.by_status)

    @property
    def open_cases(self) -> int:
        return sum(n for status, n in self.by_status if status in OPEN_STATUSES)


def _scope(user: User):  # type: ignore[no-untyped-def]
    """Filed cases the user may see (drafts are the enterprise's own business)."""
    return and_(access.case_filter(user), DisputeCase.status != "draft")


def cases_by_status(user: User) -> list[tuple[str, int]]:
    rows = dict(db.session.execute(
        select(DisputeCase.status, func.count(DisputeCase.id))
        .where(_scope(user)).group_by(DisputeCase.status)
    ).all())
    return [(status, int(rows[status])) for status in STATUS_FLOW if rows.get(status)]


def cases_by_dispute_type(user: User) -> list[tuple[str | None, int]]:
    rows = db.session.execute(
        select(DisputeCase.dispute_type, func.count(DisputeCase.id))
        .where(_scope(user)).group_by(DisputeCase.dispute_type)
    ).all()
    return sorted(((code, int(n)) for code, n in rows), key=lambda r: (-r[1], r[0] or "~"))


def hours_to_first_acceptance(user: User) -> list[float]:
    """Per case: hours from submission to the first accepted assignment.

    An assignment was accepted if it is accepted or completed, or if the expert declared no
    conflict before it was withdrawn; the case's ``assigned_at`` covers rows made elsewhere.
    """
    accepted = and_(
        Assignment.case_id == DisputeCase.id,
        Assignment.responded_at.is_not(None),
        or_(Assignment.status.in_(("accepted", "completed")),
            Assignment.no_conflict_declared.is_(True)),
    )
    rows = db.session.execute(
        select(DisputeCase.submitted_at, DisputeCase.assigned_at,
               func.min(Assignment.responded_at))
        .select_from(DisputeCase)
        .outerjoin(Assignment, accepted)
        .where(_scope(user), DisputeCase.submitted_at.is_not(None))
        .group_by(DisputeCase.id, DisputeCase.submitted_at, DisputeCase.assigned_at)
    ).all()
    hours: list[float] = []
    for submitted, assigned, first_accepted in rows:
        first: datetime | None = first_accepted or assigned
        if first is not None and first >= submitted:
            hours.append((first - submitted).total_seconds() / 3600)
    return hours


def most_loaded_experts(limit: int = TOP_LOADED_EXPERTS) -> list[ExpertLoad]:
    """The experts with the most cases across all centres (names and numbers only)."""
    loads = {i: n for i, n in assignments.loads().items() if n > 0}
    if not loads:
        return []
    candidates = sorted(loads, key=lambda i: -loads[i])[: limit * 3]
    experts = db.session.execute(
        select(ExpertProfile.id, ExpertProfile.full_name, ExpertProfile.capacity).where(
            ExpertProfile.id.in_(candidates), ExpertProfile.deleted_at.is_(None)
        )
    ).all()
    rows = [ExpertLoad(i, name, loads[i], int(capacity or 0)) for i, name, capacity in experts]
    rows.sort(key=lambda r: (-r.load, -(r.load / r.capacity if r.capacity else r.load),
                             r.name.lower(), r.expert_id))
    return rows[:limit]


def cases_near_deadline(user: User, warning_days: int, today: date | None = None
                        ) -> list[DeadlineCase]:
    """Open cases whose response deadline has passed or falls within ``warning_days``."""
    today = today or utcnow().date()
    cases = db.session.scalars(
        access.visible_cases(user)
        .where(DisputeCase.status.in_(OPEN_STATUSES), DisputeCase.deadline.is_not(None),
               DisputeCase.deadline <= today + timedelta(days=warning_days))
        .options(selectinload(DisputeCase.centre))
        .order_by(DisputeCase.deadline, DisputeCase.id)
        .limit(MAX_DEADLINE_ROWS)
    ).all()
    return [DeadlineCase(case, (case.deadline - today).days) for case in cases]


def amounts_recovered(user: User) -> list[Recovered]:
    """Sums per currency over closed cases: currencies are never added together."""
    rows = db.session.execute(
        select(DisputeCase.currency, func.sum(DisputeCase.amount_recovered),
               func.count(DisputeCase.id))
        .where(_scope(user), DisputeCase.status == "closed",
               DisputeCase.amount_recovered.is_not(None))
        .group_by(DisputeCase.currency)
    ).all()
    return sorted(
        (Recovered(currency, Decimal(amount or 0), int(n)) for currency, amount, n in rows),
        key=lambda r: r.currency or "~",
    )


def dashboard(user: User, warning_days: int = 7) -> Dashboard:
    """Every number of the dashboard for ``user``, in a handful of aggregate queries."""
    hours = hours_to_first_acceptance(user)
    return Dashboard(
        network_wide=user.role in access.NETWORK_ROLES,
        by_status=cases_by_status(user),
        by_dispute_type=cases_by_dispute_type(user),
        median_hours_to_acceptance=statistics.median(hours) if hours else None,
        accepted_cases=len(hours),
        expert_load=most_loaded_experts(),
        deadlines=cases_near_deadline(user, warning_days),
        warning_days=warning_days,
        recovered=amounts_recovered(user),
    )
