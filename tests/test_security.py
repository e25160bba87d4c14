"""Web hardening: CSRF, headers, cookies, login throttling."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import func, select

from expertmatch.extensions import db
from expertmatch.models import Organisation, User
from tests import factories
from tests.conftest import make_app
from tests.test_auth import GOOD_REGISTRATION

REDIS_URL = os.environ.get("EXPERTMATCH_TEST_REDIS_URL")


@pytest.fixture
def csrf_app(database_url):  # type: ignore[no-untyped-def]
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()


def test_post_without_csrf_token_is_refused_and_changes_nothing(csrf_app):  # type: ignore[no-untyped-def]
    client = csrf_app.test_client()
    response = client.post("/auth/register", data=GOOD_REGISTRATION)
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert db.session.scalar(select(func.count(Organisation.id))) == 0


def test_logout_without_token_keeps_the_session(csrf_app):  # type: ignore[no-untyped-def]
    user = factories.user("enterprise")
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/auth/login",
        data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert client.get("/home").status_code == 200
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/home").status_code == 200


def test_security_headers(client):  # type: ignore[no-untyped-def]
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers
    secure = client.get("/auth/login", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_pages_have_no_inline_script(client):  # type: ignore[no-untyped-def]
    page = client.get("/auth/register").get_data(as_text=True)
    assert "<script>" not in page and "onclick=" not in page and 'style="' not in page


def test_session_cookie_is_httponly_and_lax(client, ctx):  # type: ignore[no-untyped-def]
    user = factories.user("enterprise")
    response = client.post(
        "/auth/login", data={"email": user.email, "password": factories.PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_get_never_changes_state(client, ctx):  # type: ignore[no-untyped-def]
    user = factories.user("enterprise")
    client.post("/auth/login", data={"email": user.email, "password": factories.PASSWORD})
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/home").status_code == 200


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_login_is_throttled_with_a_clear_message(database_url, storage):  # type: ignore[no-untyped-def]
    if storage == "redis" and not REDIS_URL:
        pytest.skip("Redis not configured: set EXPERTMATCH_TEST_REDIS_URL")
    uri = "memory://" if storage == "memory" else REDIS_URL
    app = make_app(
        database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=uri,
        LOGIN_RATE_LIMIT="3 per minute",
    )
    with app.app_context():
        db.create_all()
        client = app.test_client()
        address = {"REMOTE_ADDR": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"}
        codes = [
            client.post(
                "/auth/login",
                data={"email": "x@example.com", "password": "wrong-pass-1"},
                environ_base=address,
            ).status_code
            for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        last = client.post(
            "/auth/login",
            data={"email": "x@example.com", "password": "wrong-pass-1"},
            environ_base=address,
        )
        assert "Too many attempts" in last.get_data(as_text=True)
        # Reading the page is never throttled.
        assert client.get("/auth/login", environ_base=address).status_code == 200
        db.session.remove()
        db.drop_all()
