"""Audit events and notifications, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

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
