"""The response network: referrals between centres, risk warnings, dismissed cluster suggestions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expertmatch.extensions import db
from expertmatch.models._base import utcnow

# pending -> accepted (the case moves) or returned (it stays); an accepted referral becomes
# superseded when the case is later accepted elsewhere, so it no longer opens the case to the
# centre that accepted it before (services.access reads pending and accepted referrals).
REFERRAL_STATUSES = ("pending", "accepted", "returned", "superseded")


class Referral(db.Model):
    """One centre asks another to take a case, with a reason; the other accepts or returns it."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_to_centre_status", "to_centre_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_cases.id"), index=True)
    # None when network staff place a case nobody's routing rule took.
    from_centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    to_centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    response_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]

    case = relationship("DisputeCase")
    from_centre = relationship("Centre", foreign_keys=[from_centre_id])
    to_centre = relationship("Centre", foreign_keys=[to_centre_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    responded_by = relationship("User", foreign_keys=[responded_by_id])

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"


class RiskWarning(db.Model):
    """A warning to the enterprises at risk, in both languages.

    Targets are lists of codes. An enterprise sees the warning when its industry is listed
    (if the warning lists industries) and one of its markets is listed (if it lists
    countries); forums and dispute types describe the risk and are shown, not matched.
    """

    __tablename__ = "risk_warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    industries: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    countries: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    forums: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    dispute_types: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expires_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    withdrawn_at: Mapped[datetime | None]
    # The cluster suggestion it was made from (services.clusters key) and how many cases
    # the cluster had then: a cluster that grows later is suggested again.
    suggestion_key: Mapped[str | None] = mapped_column(String(64), index=True)
    suggestion_cases: Mapped[int | None]

    published_by = relationship("User")
    centre = relationship("Centre")

    def title(self, locale: str) -> str:
        return self.title_zh if locale.startswith("zh") else self.title_en

    def body(self, locale: str) -> str:
        return self.body_zh if locale.startswith("zh") else self.body_en

    def is_current(self, today: date) -> bool:
        return self.active and (self.expires_on is None or self.expires_on >= today)


class SuggestionDismissal(db.Model):
    """A centre (or, with no centre, network staff) set a cluster suggestion aside."""

    __tablename__ = "suggestion_dismissals"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_key: Mapped[str] = mapped_column(String(64), index=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    # The cluster's size when dismissed: more cases later bring the suggestion back.
    case_count: Mapped[int]
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dismissed_at: Mapped[datetime] = mapped_column(default=utcnow)
