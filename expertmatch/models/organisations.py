"""Enterprises that file disputes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expertmatch.extensions import db
from expertmatch.models._base import utcnow


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str | None] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    industry: Mapped[str | None] = mapped_column(String(32))
    province: Mapped[str | None] = mapped_column(String(8))
    size: Mapped[str | None] = mapped_column(String(16))
    # Markets the enterprise sells in (ISO codes); risk warnings target them.
    markets: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users = relationship("User", back_populates="organisation")

    def name(self, locale: str = "en") -> str:
        """The organisation's name in the reader's language, else the other one."""
        first, second = (
            (self.name_zh, self.name_en)
            if locale.startswith("zh")
            else (self.name_en, self.name_zh)
        )
        return first or second or ""
