"""Assignment plans: a batch of cases (or one case's team) solved at once, reviewed, applied.

A plan is computed by a background job from the pool as it was then; every row keeps the case's
version and each expert's load at that moment, so that applying a plan computed on data that
has since changed is refused with the rows affected instead of half applied.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expertmatch.extensions import db
from expertmatch.models._base import utcnow

PLAN_KINDS = ("batch", "team")
PLAN_STATES = ("computing", "ready", "applied", "failed", "cancelled", "discarded")


class AssignmentPlan(db.Model):
    __tablename__ = "assignment_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="batch")
    state: Mapped[str] = mapped_column(String(16), default="computing")
    mode: Mapped[str] = mapped_column(String(16), default="total")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    # What was asked: case ids, experts per case, firm limit, roles and budget for a team.
    options: Mapped[dict] = mapped_column(db.JSON, default=dict)
    # What the plan and the greedy one-at-a-time baseline achieve (total, worst, experts used).
    summary: Mapped[dict | None] = mapped_column(db.JSON)
    # Team plans: requirements that could not be covered, each with its reason.
    uncovered: Mapped[list | None] = mapped_column(db.JSON)
    error: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    computed_at: Mapped[datetime | None]
    applied_at: Mapped[datetime | None]
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by = relationship("User", foreign_keys=[created_by_id])
    applied_by = relationship("User", foreign_keys=[applied_by_id])
    centre = relationship("Centre")
    job = relationship("Job")
    items: Mapped[list[AssignmentPlanItem]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by="(AssignmentPlanItem.position, AssignmentPlanItem.slot)",
    )

    @property
    def open(self) -> bool:
        """Whether the plan can still be adjusted and applied."""
        return self.state == "ready"


class AssignmentPlanItem(db.Model):
    """One seat of a plan: a case's slot (batch) or a team requirement's seat (team).

    ``expert_id`` is empty when the seat stays unfilled; ``reason`` then says why (a code and
    its parameters, worded in the reader's language on the page). ``greedy_*`` is what assigning
    one case at a time in queue order would have given the same seat, for the side-by-side view.
    """

    __tablename__ = "assignment_plan_items"
    __table_args__ = (Index("ix_plan_items_plan_case", "plan_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("assignment_plans.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    slot: Mapped[int] = mapped_column(default=0)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_cases.id"))
    case_version: Mapped[int] = mapped_column(default=1)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert_profiles.id"))
    fit: Mapped[float | None]
    role: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[dict | None] = mapped_column(db.JSON)
    # The case's best candidates at planning time (expert id, fit), for adjusting the row.
    candidates: Mapped[list | None] = mapped_column(db.JSON)
    greedy_expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert_profiles.id"))
    greedy_fit: Mapped[float | None]
    included: Mapped[bool] = mapped_column(default=True)
    adjusted: Mapped[bool] = mapped_column(default=False)

    plan: Mapped[AssignmentPlan] = relationship(back_populates="items")
    case = relationship("DisputeCase")
    expert = relationship("ExpertProfile", foreign_keys=[expert_id])
    greedy_expert = relationship("ExpertProfile", foreign_keys=[greedy_expert_id])
