"""Stored text embeddings of experts, so that each text is encoded once per model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from expertmatch.extensions import db
from expertmatch.models._base import utcnow


class TextVector(db.Model):
    """One vector of one expert text (``profile`` or ``matter:<id>``) under one model.

    The vector is float32 bytes; ``text_hash`` is the sha256 of the text it was
    computed from, so a changed text or another model means a new vector.
    """

    __tablename__ = "text_vectors"
    __table_args__ = (UniqueConstraint("expert_id", "key", "model", name="uq_text_vectors_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profiles.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    model: Mapped[str] = mapped_column(String(200), index=True)
    text_hash: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int]
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
