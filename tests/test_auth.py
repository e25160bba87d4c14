"""Sign-in, sign-out, registration and invitations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from expertmatch.extensions import db
from expertmatch.models import AuditEvent, ExpertProfile, Invitation, Organisation, User, utcnow
from expertmatch.services import accounts
from tests import factories

GOOD_REGISTRATION = {
    "display_name": "Li Wei",
    "email": "li.wei@lianxin.example.com",
    "password": "strong-pass-42",
    "confirm": "strong-pass-42",
    "name_zh": "深圳市联芯通信有限公司",
    "name_en": "Shenzhen Lianxin Communication Co., Ltd.",
    "credit_code": "91440300MA5FXXXX1K",
    "industry": "telecom",
    "province": "CN-GD",
    "size": "medium",
}


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def test_login_and_logout(client, ctx):  # type: ignore[no-untyped-def]
    user = factories.user("coordinator")
    response = client.post(
        "/auth/login", data={"email": user.email.upper(), "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
    assert db.session.get(User, user.id).last_login_at is not None
    client.post("/auth/logout")
    assert client.get("/home").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, ctx):  # type: ignore[no-untyped-def]
    user = factories.user("expert")
    response = client.post("/auth/login", data={"email": user.email, "password": "nope-nope-1"})
    assert response.status_code == 200
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302


def test_inactive_account_cannot_sign_in(client, ctx):  # type: ignore[no-untyped-def]
    user = factories.user("expert", active=False)
    response = client.post(
        "/auth/login", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert "deactivated" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target, safe",
    [
        ("/home", True),
        ("https://evil.example.com/", False),
        ("//evil.example.com/", False),
        ("/\\evil.example.com", False),
        ("javascript:alert(1)", False),
    ],
)
def test_next_is_only_followed_when_local(client, ctx, target, safe):  # type: ignore[no-untyped-def]
    user = factories.user("enterprise")
    response = client.post(
        "/auth/login", data={"email": user.email, "password": factories.PASSWORD, "next": target}
    )
    location = response.headers["Location"]
    if safe:
        assert location.endswith(target)
    else:
        assert "evil" not in location and "javascript" not in location


def test_anonymous_is_sent_to_login_with_next(client):  # type: ignore[no-untyped-def]
    response = client.get("/home")
    assert response.status_code == 302
    assert "/auth/login?next=%2Fhome" in response.headers["Location"]


def test_enterprise_registration_creates_organisation_and_user(client, ctx):  # type: ignore[no-untyped-def]
    response = client.post("/auth/register", data=GOOD_REGISTRATION)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == GOOD_REGISTRATION["email"]))
    assert user.role == "enterprise"
    assert user.organisation.name_zh == "深圳市联芯通信有限公司"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.registered"))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"password": "short1", "confirm": "short1"}, "at least 10 characters"),
        ({"password": "onlyletterslong", "confirm": "onlyletterslong"}, "letters and digits"),
        ({"confirm": "different-pass-1"}, "The passwords differ."),
        ({"email": "not-an-email"}, "valid email"),
        ({"display_name": ""}, "This field is required."),
        ({"name_zh": "", "name_en": ""}, "in Chinese or English"),
        ({"credit_code": "123"}, "18 characters"),
        ({"industry": ""}, "This field is required."),
    ],
)
def test_bad_registration_keeps_input_and_writes_nothing(client, ctx, changes, message):  # type: ignore[no-untyped-def]
    before = (count(User), count(Organisation))
    response = client.post("/auth/register", data={**GOOD_REGISTRATION, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    for name in ("display_name", "email", "name_en", "credit_code"):
        kept = {**GOOD_REGISTRATION, **changes}[name]
        if kept:
            assert f'value="{kept}"' in page
    assert (count(User), count(Organisation)) == before


def test_duplicate_email_is_refused(client, ctx):  # type: ignore[no-untyped-def]
    factories.user("expert", email=GOOD_REGISTRATION["email"])
    before = (count(User), count(Organisation))
    response = client.post("/auth/register", data=GOOD_REGISTRATION)
    assert "An account with this email already exists." in response.get_data(as_text=True)
    assert (count(User), count(Organisation)) == before


def test_duplicate_credit_code_is_refused(client, ctx):  # type: ignore[no-untyped-def]
    factories.organisation(credit_code=GOOD_REGISTRATION["credit_code"])
    before = (count(User), count(Organisation))
    response = client.post("/auth/register", data=GOOD_REGISTRATION)
    assert "already registered" in response.get_data(as_text=True)
    assert (count(User), count(Organisation)) == before


def _invite(email: str = "new.expert@example.com", **kw) -> str:  # type: ignore[no-untyped-def]
    coordinator = factories.user("coordinator")
    _, token = accounts.new_invitation(coordinator, email, "Dr. New Expert", **kw)
    return token


def test_invitation_creates_expert_account_once(client, ctx):  # type: ignore[no-untyped-def]
    token = _invite()
    form = {
        "display_name": "Dr. New Expert",
        "password": "strong-pass-42",
        "confirm": "strong-pass-42",
    }
    response = client.post(f"/auth/invite/{token}", data=form)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.expert@example.com"))
    assert user.role == "expert"
    assert db.session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))
    client.post("/auth/logout")
    again = client.post(f"/auth/invite/{token}", data=form)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert count(User) == 2  # the coordinator and the new expert


def test_invitation_links_an_existing_profile(client, ctx):  # type: ignore[no-untyped-def]
    profile = factories.expert_profile(full_name="Imported Expert")
    token = _invite(expert=profile)
    client.post(
        f"/auth/invite/{token}",
        data={
            "display_name": "Imported Expert",
            "password": "strong-pass-42",
            "confirm": "strong-pass-42",
        },
    )
    assert db.session.get(ExpertProfile, profile.id).user_id is not None


def test_expired_invitation_is_refused(client, ctx):  # type: ignore[no-untyped-def]
    token = _invite()
    invitation = db.session.scalar(select(Invitation))
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.get(f"/auth/invite/{token}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_unknown_invitation_is_refused(client):  # type: ignore[no-untyped-def]
    response = client.get("/auth/invite/not-a-token")
    assert response.status_code == 410
    assert "not valid" in response.get_data(as_text=True)
