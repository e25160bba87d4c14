"""Credentials of the JSON API, its idempotency records and its request log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expertmatch.extensions import db
from expertmatch.models._base import utcnow

# platform: created by an administrator for another platform, bound to a centre;
# personal: created by a user for themselves.
CREDENTIAL_KINDS = ("platform", "personal")


class ApiCredential(db.Model):
    """A platform key or personal token. Only the SHA-256 of the secret is stored; the
    ``prefix`` (shown in lists) lets people tell their keys apart."""

    __tablename__ = "api_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(24))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    # Whom requests act as: the token's owner, or the platform key's service account.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])
    centre = relationship("Centre")
    created_by = relationship("User", foreign_keys=[created_by_id])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ApiRequest(db.Model):
    """One line per authenticated API request: credential, route, status (the audit of use)."""

    __tablename__ = "api_requests"
    __table_args__ = (Index("ix_api_requests_credential_at", "credential_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("api_credentials.id"))
    method: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(200))
    status: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(db.Model):
    """The first response to a POST with an ``Idempotency-Key``, replayed on a retry.
    ``status`` is 0 while the first request is still running."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("credential_id", "key", name="uq_api_idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("api_credentials.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(default=0)
    body: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
