"""Dispute cases filed by enterprises, their counterparties and messages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expertmatch.extensions import db
from expertmatch.models._base import utcnow

# The order a case moves through; `closed` may follow any of them.
STATUS_FLOW = ("draft", "submitted", "triaged", "matched", "assigned", "in_progress", "closed")
OPEN_STATUSES = ("submitted", "triaged", "matched", "assigned", "in_progress")


class DisputeCase(db.Model):
    __tablename__ = "dispute_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)

    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))

    our_role: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    text_language: Mapped[str | None] = mapped_column(String(8))
    dispute_type: Mapped[str | None] = mapped_column(String(32), index=True)
    jurisdictions: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    forum: Mapped[str | None] = mapped_column(String(300))
    docket_number: Mapped[str | None] = mapped_column(String(120))
    sep_standard: Mapped[str | None] = mapped_column(String(16))
    negotiation_stage: Mapped[str | None] = mapped_column(String(24))
    industry: Mapped[str | None] = mapped_column(String(32))
    languages: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    goal: Mapped[str | None] = mapped_column(String(32))

    service_date: Mapped[date | None]
    tro_date: Mapped[date | None]
    hearing_date: Mapped[date | None]
    deadline: Mapped[date | None] = mapped_column(index=True)
    deadline_rule: Mapped[str | None] = mapped_column(String(64))
    deadline_basis: Mapped[str | None] = mapped_column(String(400))
    deadline_overridden: Mapped[bool] = mapped_column(default=False)

    confidentiality: Mapped[str] = mapped_column(String(16), default="normal")
    consent_share: Mapped[bool] = mapped_column(default=False)
    consent_conflict_check: Mapped[bool] = mapped_column(default=False)

    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    outcome: Mapped[str | None] = mapped_column(String(16))
    amount_recovered: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    triaged_at: Mapped[datetime | None]
    matched_at: Mapped[datetime | None]
    assigned_at: Mapped[datetime | None]
    in_progress_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    # Optimistic locking: two coordinators changing one case cannot lose an update.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    organisation = relationship("Organisation")
    created_by = relationship("User", foreign_keys=[created_by_id])
    centre = relationship("Centre")
    counterparties: Mapped[list[Counterparty]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Counterparty.position"
    )
    messages: Mapped[list[CaseMessage]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseMessage.created_at"
    )
    assignments = relationship(
        "Assignment", back_populates="case", order_by="Assignment.proposed_at"
    )

    @property
    def is_confidential(self) -> bool:
        return self.confidentiality == "confidential"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def status_timestamp(self, status: str) -> datetime | None:
        return getattr(self, f"{status}_at", None) if status != "draft" else self.created_at

    def __repr__(self) -> str:
        return f"<DisputeCase {self.id} {self.status}>"


class Counterparty(db.Model):
    __tablename__ = "counterparties"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_cases.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name_en: Mapped[str | None] = mapped_column(String(300))
    name_zh: Mapped[str | None] = mapped_column(String(300))
    counsel: Mapped[str | None] = mapped_column(String(300))

    case: Mapped[DisputeCase] = relationship(back_populates="counterparties")

    def names(self) -> list[str]:
        return [n for n in (self.name_en, self.name_zh) if n]


class CaseMessage(db.Model):
    """A message between the coordinator and the enterprise on one case."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[DisputeCase] = relationship(back_populates="messages")
    author = relationship("User")


class CaseInference(db.Model):
    """A structured field the intake reader read from a case's text, and what people made of it.

    ``status``: ``suggested`` (read, nobody has looked: ranking uses it weighted by
    ``confidence``), ``kept`` (offered on the intake form and kept by the enterprise),
    ``confirmed`` (by a coordinator), ``corrected`` (by the enterprise or a coordinator;
    ``corrected_value`` is what the field should have been, kept as training data).
    """

    __tablename__ = "case_inferences"
    __table_args__ = (UniqueConstraint("case_id", "field", name="uq_case_inferences_case_field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("dispute_cases.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(32))
    value: Mapped[Any] = mapped_column(db.JSON)
    confidence: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="suggested")
    corrected_value: Mapped[Any | None] = mapped_column(db.JSON)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[DisputeCase] = relationship()

    def __repr__(self) -> str:
        return f"<CaseInference {self.case_id} {self.field} {self.status}>"
