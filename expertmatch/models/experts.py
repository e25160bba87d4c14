"""Expert profiles with their admissions, past matters and declared conflicts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from expertmatch.extensions import db
from expertmatch.models._base import utcnow


class ExpertProfile(db.Model):
    __tablename__ = "expert_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Imported experts have no account until they accept their invitation.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    # Stable external reference (demo ids, CSV imports, the rank CLI).
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(160))
    email: Mapped[str | None] = mapped_column(String(254))
    role_type: Mapped[str] = mapped_column(String(24), default="lawyer")
    headline: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    firm: Mapped[str | None] = mapped_column(String(200))
    profile_language: Mapped[str | None] = mapped_column(String(8))
    jurisdictions: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    dispute_types: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    industries: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    years_experience: Mapped[int | None]
    capacity: Mapped[int] = mapped_column(default=3)
    availability: Mapped[str] = mapped_column(String(16), default="available")
    absent_until: Mapped[date | None]
    rapid_response: Mapped[bool] = mapped_column(default=False)
    verification_status: Mapped[str] = mapped_column(String(16), default="unverified")
    last_confirmed_at: Mapped[date | None]
    location_country: Mapped[str | None] = mapped_column(String(2))
    home_centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    # Load carried from outside ExpertMatch (demo data, imports); our own
    # assignments are counted on top of it.
    external_load: Mapped[int] = mapped_column(default=0)
    # Usual daily rate in CNY, optional: team assembly keeps a team within a fee budget.
    daily_rate: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None]

    user = relationship("User", backref=db.backref("expert_profile", uselist=False))
    home_centre = relationship("Centre")
    admissions: Mapped[list[Admission]] = relationship(
        back_populates="expert", cascade="all, delete-orphan", order_by="Admission.year"
    )
    matters: Mapped[list[PastMatter]] = relationship(
        back_populates="expert",
        cascade="all, delete-orphan",
        order_by="(PastMatter.year.desc(), PastMatter.id)",
    )
    conflicts: Mapped[list[DeclaredConflict]] = relationship(
        back_populates="expert", cascade="all, delete-orphan", order_by="DeclaredConflict.id"
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def __repr__(self) -> str:
        return f"<ExpertProfile {self.id} {self.full_name}>"


class Admission(db.Model):
    __tablename__ = "admissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profiles.id"), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(8))
    year: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(32), default="active")

    expert: Mapped[ExpertProfile] = relationship(back_populates="admissions")


class PastMatter(db.Model):
    __tablename__ = "past_matters"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profiles.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    year: Mapped[int | None]
    jurisdiction: Mapped[str | None] = mapped_column(String(8))
    dispute_type: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str | None] = mapped_column(String(200))

    expert: Mapped[ExpertProfile] = relationship(back_populates="matters")


class DeclaredConflict(db.Model):
    __tablename__ = "declared_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profiles.id"), index=True)
    entity_name: Mapped[str] = mapped_column(String(300))
    relation: Mapped[str] = mapped_column(String(24))
    until: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    expert: Mapped[ExpertProfile] = relationship(back_populates="conflicts")


@event.listens_for(Session, "before_flush")
def _touch_changed_profiles(session: Session, _context: object, _instances: object) -> None:
    """A change to a matter, conflict or admission is a change to the profile: its
    ``updated_at`` moves, which is how every process's matcher notices it."""
    children = (PastMatter, DeclaredConflict, Admission)
    touched: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, children):
            expert = obj.expert or (
                session.get(ExpertProfile, obj.expert_id) if obj.expert_id else None
            )
            if expert is not None and id(expert) not in touched:
                touched.add(id(expert))
                expert.updated_at = utcnow()
