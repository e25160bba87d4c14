"""Proposals of experts to cases and what became of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expertmatch.extensions import db
from expertmatch.models._base import utcnow


class Assignment(db.Model):
    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_expert_status", "expert_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_cases.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profiles.id"))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    score: Mapped[float | None]
    # The matching engine's explanation at the moment of proposing.
    reasons: Mapped[dict | None] = mapped_column(db.JSON)
    note: Mapped[str | None] = mapped_column(Text)
    no_conflict_declared: Mapped[bool] = mapped_column(default=False)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    case = relationship("DisputeCase", back_populates="assignments")
    expert = relationship("ExpertProfile", backref="assignments")
    proposed_by = relationship("User")
