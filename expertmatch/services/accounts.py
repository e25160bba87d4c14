"""Accounts: registration, invitations, users made by administrators."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from expertmatch.extensions import db
from expertmatch.models import (
    ROLES,
    ExpertProfile,
    Invitation,
    Organisation,
    User,
    hash_token,
    utcnow,
)
from expertmatch.services import audit

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A rule about accounts was broken; ``field`` names the form field to blame."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def password_problem(password: str, email: str = "") -> str | None:
    """Why a password is too weak, or None. Length beats composition rules, but a
    password of one kind of character or equal to the email is refused too."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return str(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if not re.search(r"[^\W\d_]", password) or not re.search(r"\d", password):
        return str(_l("Use both letters and digits."))
    if email and password.strip().lower() == normalise_email(email):
        return str(_l("The password must not be your email address."))
    return None


def email_taken(email: str) -> bool:
    return (
        db.session.scalar(select(User.id).where(func.lower(User.email) == normalise_email(email)))
        is not None
    )


def create_user(
    email: str,
    password: str,
    display_name: str,
    role: str,
    *,
    centre_id: int | None = None,
    organisation_id: int | None = None,
    locale: str | None = None,
    check_password: bool = True,
) -> User:
    """Add a user to the session (the caller commits)."""
    if role not in ROLES:
        raise AccountError(str(_l("Unknown role %(role)s.", role=role)), "role")
    if email_taken(email):
        raise AccountError(str(_l("An account with this email already exists.")), "email")
    if check_password and (problem := password_problem(password, email)):
        raise AccountError(problem, "password")
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
        role=role,
        centre_id=centre_id,
        organisation_id=organisation_id,
        locale=locale,
    )
    user.set_password(password)
    db.session.add(user)
    return user


@dataclass
class EnterpriseRegistration:
    email: str
    password: str
    display_name: str
    name_zh: str | None
    name_en: str | None
    credit_code: str | None
    industry: str | None
    province: str | None
    size: str | None
    locale: str | None = None


def register_enterprise(data: EnterpriseRegistration) -> User:
    """Create the organisation and its first user in one transaction."""
    credit_code = (data.credit_code or "").strip().upper() or None
    if credit_code and db.session.scalar(
        select(Organisation.id).where(Organisation.credit_code == credit_code)
    ):
        raise AccountError(
            str(
                _l(
                    "This organisation is already registered. Ask a colleague who has an "
                    "account, or the centre, to give you access."
                )
            ),
            "credit_code",
        )
    try:
        org = Organisation(
            name_zh=(data.name_zh or "").strip() or None,
            name_en=(data.name_en or "").strip() or None,
            credit_code=credit_code,
            industry=data.industry or None,
            province=data.province or None,
            size=data.size or None,
            markets=[],
        )
        db.session.add(org)
        db.session.flush()
        user = create_user(
            data.email,
            data.password,
            data.display_name,
            "enterprise",
            organisation_id=org.id,
            locale=data.locale,
        )
        db.session.flush()
        audit.record(user, "user.registered", "user", user.id, {"role": "enterprise"})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user


def new_invitation(
    inviter: User,
    email: str,
    display_name: str | None = None,
    expert: ExpertProfile | None = None,
    ttl_days: int = 14,
) -> tuple[Invitation, str]:
    """Create an invitation and return it with its one-time token (shown once)."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=hash_token(token),
        email=normalise_email(email),
        display_name=display_name,
        expert_id=expert.id if expert else None,
        created_by_id=inviter.id,
        expires_at=utcnow() + timedelta(days=ttl_days),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        inviter,
        "invitation.created",
        "invitation",
        invitation.id,
        {"email": invitation.email},
        centre_id=inviter.centre_id,
    )
    db.session.commit()
    return invitation, token


def find_invitation(token: str) -> Invitation:
    """The usable invitation for a token, or an AccountError saying why not."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None:
        raise AccountError(str(_l("This invitation link is not valid.")))
    if invitation.used_at is not None:
        raise AccountError(
            str(_l("This invitation has already been used. Sign in with your account instead."))
        )
    if invitation.expires_at < utcnow():
        raise AccountError(
            str(_l("This invitation has expired. Ask your coordinator for a new link."))
        )
    return invitation


def accept_invitation(token: str, password: str, display_name: str, locale: str | None) -> User:
    """Create the expert's account and link (or create) their profile, once."""
    try:
        # Lock the invitation row so two tabs cannot both use it.
        invitation = find_invitation(token)
        db.session.execute(
            select(Invitation.id).where(Invitation.id == invitation.id).with_for_update()
        )
        db.session.refresh(invitation)
        if invitation.used_at is not None:
            raise AccountError(str(_l("This invitation has already been used.")))
        user = create_user(invitation.email, password, display_name, "expert", locale=locale)
        db.session.flush()
        profile = (
            db.session.get(ExpertProfile, invitation.expert_id) if invitation.expert_id else None
        )
        if profile is None:
            profile = ExpertProfile(full_name=display_name.strip(), email=invitation.email)
            db.session.add(profile)
        profile.user_id = user.id
        invitation.used_at = utcnow()
        db.session.flush()
        audit.record(user, "invitation.accepted", "invitation", invitation.id, {"user": user.id})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    audit.record(user, "user.login", "user", user.id)
    db.session.commit()
