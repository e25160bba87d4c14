"""API credentials: platform keys and personal tokens, shown once, stored hashed, revocable.

A platform key acts through a service account: an inactive coordinator of the key's centre
(it cannot sign in to the web pages, is not notified and is not counted as staff), so every
request sees exactly what a coordinator of that centre sees, through the same access helpers
and services as the web pages. A personal token acts as its owner.
"""

from __future__ import annotations

import atexit
import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select

from expertmatch.extensions import db
from expertmatch.models import ApiCredential, ApiRequest, Centre, User, utcnow
from expertmatch.services import audit

# Every scope, with what it allows (shown on the pages that create credentials).
SCOPES: dict[str, Any] = {
    "cases:read": _l("Read cases, their status and history"),
    "cases:write": _l("Submit intakes"),
    "experts:read": _l("Search and read expert profiles"),
    "experts:write": _l("Update one's own expert profile"),
    "rankings:read": _l("Read the ranked, explained experts for a case"),
    "assignments:read": _l("Read assignments"),
    "assignments:write": _l("Propose experts; accept or decline proposals"),
}
PLATFORM_SCOPES = (
    "cases:read", "cases:write", "experts:read", "rankings:read", "assignments:read",
    "assignments:write",
)
# What a personal token may be given, by its owner's role (nothing beyond the web UI).
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "enterprise": ("cases:read", "cases:write"),
    "expert": ("cases:read", "experts:read", "experts:write", "assignments:read",
               "assignments:write"),
    "coordinator": PLATFORM_SCOPES,
    "network": ("cases:read", "experts:read", "rankings:read", "assignments:read"),
    "admin": PLATFORM_SCOPES,
}
TOKEN_PREFIX = {"platform": "emp", "personal": "emt"}


class CredentialError(ValueError):
    """The credential could not be created or changed; ``message`` is for the user."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        self.message = str(message)
        self.field = field
        super().__init__(self.message)


@dataclass(frozen=True)
class Issued:
    credential: ApiCredential
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _new_secret(kind: str) -> tuple[str, str]:
    prefix = f"{TOKEN_PREFIX[kind]}_{secrets.token_hex(4)}"
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


def allowed_scopes(kind: str, user: User | None = None) -> tuple[str, ...]:
    if kind == "platform":
        return PLATFORM_SCOPES
    return ROLE_SCOPES.get(user.role if user is not None else "", ())


def _check(name: str, scopes: list[str], allowed: tuple[str, ...]) -> tuple[str, list[str]]:
    name = (name or "").strip()
    if not name:
        raise CredentialError(_l("Give the key a name, e.g. the platform it is for."), "name")
    if len(name) > 120:
        raise CredentialError(_l("Use at most %(n)d characters.", n=120), "name")
    chosen = [s for s in SCOPES if s in set(scopes)]
    if not chosen:
        raise CredentialError(_l("Choose at least one permission."), "scopes")
    if any(s not in allowed for s in scopes):
        raise CredentialError(_l("Choose one of the listed options."), "scopes")
    return name, chosen


def _issue(kind: str, name: str, scopes: list[str], owner: User, by: User,
           centre_id: int | None) -> Issued:
    secret, prefix = _new_secret(kind)
    credential = ApiCredential(
        kind=kind, name=name, prefix=prefix, secret_hash=hash_secret(secret), scopes=scopes,
        user_id=owner.id, centre_id=centre_id, created_by_id=by.id,
    )
    db.session.add(credential)
    db.session.flush()
    audit.record(by, "credential.created", "credential", credential.id,
                 {"kind": kind, "scopes": scopes, "prefix": prefix}, centre_id=centre_id)
    db.session.commit()
    return Issued(credential, secret)


def create_platform_key(name: str, centre_id: int | None, scopes: list[str], by: User) -> Issued:
    """An administrator's key for another platform, acting as a coordinator of ``centre_id``."""
    if by.role != "admin":
        raise CredentialError(_l("Only administrators create platform keys."))
    name, chosen = _check(name, scopes, PLATFORM_SCOPES)
    centre = db.session.get(Centre, centre_id) if centre_id else None
    if centre is None:
        raise CredentialError(_l("Choose the centre the platform works for."), "centre_id")
    try:
        account = User(
            email=f"platform-{uuid.uuid4().hex[:12]}@api.invalid",
            display_name=f"API · {name}"[:120],
            role="coordinator",
            centre_id=centre.id,
            active=False,  # cannot sign in; not notified; not counted as staff
        )
        account.set_password(secrets.token_urlsafe(32))
        db.session.add(account)
        db.session.flush()
        return _issue("platform", name, chosen, account, by, centre.id)
    except Exception:
        db.session.rollback()
        raise


def create_personal_token(user: User, name: str, scopes: list[str]) -> Issued:
    """A user's own token: it can do what the user can do in the web UI, within its scopes."""
    name, chosen = _check(name, scopes, ROLE_SCOPES.get(user.role, ()))
    try:
        return _issue("personal", name, chosen, user, user, user.centre_id)
    except Exception:
        db.session.rollback()
        raise


def revoke(credential: ApiCredential, by: User) -> ApiCredential:
    """Refused from the next request on (every request looks the credential up)."""
    if credential.revoked_at is None:
        credential.revoked_at = utcnow()
        credential.revoked_by_id = by.id
        audit.record(by, "credential.revoked", "credential", credential.id,
                     {"prefix": credential.prefix}, centre_id=credential.centre_id)
        db.session.commit()
    return credential


def authenticate(secret: str) -> ApiCredential | None:
    """The live credential for a presented secret (one indexed lookup), or None."""
    if not secret or len(secret) > 200:
        return None
    credential = db.session.scalar(
        select(ApiCredential).where(ApiCredential.secret_hash == hash_secret(secret))
    )
    if credential is None or credential.revoked_at is not None:
        return None
    if credential.expires_at is not None and credential.expires_at <= utcnow():
        return None
    return credential


def principal_of(credential: ApiCredential) -> User | None:
    """The user whose view a request gets; a personal token of a deactivated user is dead."""
    user = db.session.get(User, credential.user_id)
    if user is None or (credential.kind == "personal" and not user.active):
        return None
    return user


class RequestLog:
    """The audit of API use, written in batches: one commit per ``API_REQUEST_LOG_BATCH``
    requests or ``API_REQUEST_LOG_SECONDS`` (and at exit), not one per request, which cost
    more than the request itself (a commit is an fsync). Readers flush first."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.rows: list[dict[str, Any]] = []
        self.since = time.monotonic()
        atexit.register(self._flush_at_exit)

    def add(self, row: dict[str, Any]) -> None:
        with self.lock:
            self.rows.append(row)
            due = (len(self.rows) >= int(self.app.config["API_REQUEST_LOG_BATCH"])
                   or time.monotonic() - self.since >= float(
                       self.app.config["API_REQUEST_LOG_SECONDS"]))
        if due:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            rows, self.rows, self.since = self.rows, [], time.monotonic()
        if rows:
            db.session.execute(insert(ApiRequest), rows)
            db.session.commit()

    def _flush_at_exit(self) -> None:
        try:
            with self.app.app_context():
                self.flush()
        except Exception:  # noqa: BLE001, S110  (the database may already be gone at exit)
            pass


def _log() -> RequestLog:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "api_request_log" not in app.extensions:
        app.extensions["api_request_log"] = RequestLog(app)
    return app.extensions["api_request_log"]


def log_request(credential_id: int, method: str, route: str, status: int) -> None:
    """One row per request (credential, route, status), written in the next batch."""
    _log().add({"credential_id": credential_id, "method": method[:8], "route": route[:200],
                "status": status, "at": utcnow()})


def flush_request_log() -> None:
    _log().flush()


def platform_keys() -> list[ApiCredential]:
    return list(db.session.scalars(
        select(ApiCredential).where(ApiCredential.kind == "platform")
        .order_by(ApiCredential.revoked_at.is_not(None), ApiCredential.id.desc())
    ))


def tokens_of(user: User) -> list[ApiCredential]:
    return list(db.session.scalars(
        select(ApiCredential).where(ApiCredential.kind == "personal",
                                    ApiCredential.user_id == user.id)
        .order_by(ApiCredential.revoked_at.is_not(None), ApiCredential.id.desc())
    ))


def last_used(credential_ids: list[int]) -> dict[int, Any]:
    """When each credential was last used, from the request log (no write per request)."""
    if not credential_ids:
        return {}
    flush_request_log()
    return dict(db.session.execute(
        select(ApiRequest.credential_id, func.max(ApiRequest.at))
        .where(ApiRequest.credential_id.in_(credential_ids))
        .group_by(ApiRequest.credential_id)
    ).all())
