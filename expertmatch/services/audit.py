"""Audit events and notifications, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from expertmatch.extensions import db
from expertmatch.models import AuditEvent, Notification, User


def record(
    actor: User | None,
    action: str,
    object_type: str,
    object_id: int | None,
    detail: dict[str, Any] | None = None,
    centre_id: int | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction; the caller commits."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None and getattr(actor, "id", None) else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail or None,
        centre_id=centre_id,
    )
    db.session.add(event)
    return event


def notify(user_id: int, kind: str, link: str | None = None, **params: Any) -> Notification:
    """Queue an in-app notification; rendered in the reader's language later."""
    note = Notification(user_id=user_id, kind=kind, link=link, params=params or None)
    db.session.add(note)
    return note


def coordinator_ids(centre_id: int | None) -> list[int]:
    """Active coordinators of a centre: who is told about its cases and referrals."""
    if centre_id is None:
        return []
    return list(
        db.session.scalars(
            select(User.id).where(
                User.role == "coordinator", User.centre_id == centre_id, User.active.is_(True)
            )
        )
    )
