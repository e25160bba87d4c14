"""Fixtures: an app on a fresh database (SQLite, and PostgreSQL when
EXPERTMATCH_TEST_DATABASE_URL is set), a client, a CLI runner, and helpers to
sign in as each role."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from expertmatch import create_app
from expertmatch.config import normalise_database_url
from expertmatch.extensions import db
from expertmatch.matching.encoders import DEFAULT_MODEL_SPEC

PG_URL = os.environ.get("EXPERTMATCH_TEST_DATABASE_URL")

TEST_CONFIG = {
    "TESTING": True,
    "ENV_NAME": "testing",
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "SERVER_NAME": "localhost",
    # Plumbing tests use the fast deterministic encoder; ranking tests ask for the real model.
    "EMBEDDING_MODEL": "hashing:64",
    "MATCHING_SYNC_SECONDS": 0,  # every ranking sees the test's last change
}
REAL_MODEL = DEFAULT_MODEL_SPEC  # the default backend, as deployed


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    if PG_URL:
        return f"PostgreSQL tests: on ({make_url(PG_URL).render_as_string(hide_password=True)})"
    return "PostgreSQL tests: SKIPPED (set EXPERTMATCH_TEST_DATABASE_URL to run them)"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test session."""
    if not PG_URL:
        pytest.skip("PostgreSQL not configured: set EXPERTMATCH_TEST_DATABASE_URL")
    base = make_url(normalise_database_url(PG_URL))
    name = f"em_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _backends() -> list:
    return ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=_backends())
def database_url(request) -> str:  # type: ignore[no-untyped-def]
    """Each app test runs on SQLite and, when configured, on PostgreSQL."""
    if request.param == "sqlite":
        # In memory: creating the schema takes a tenth of the time of a file.
        return "sqlite://"
    return request.getfixturevalue("pg_database")


def make_app(database_url: str, **overrides):  # type: ignore[no-untyped-def]
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})


@pytest.fixture
def app(database_url: str):  # type: ignore[no-untyped-def]
    app = make_app(database_url)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):  # type: ignore[no-untyped-def]
    """An application context for tests that use the models directly."""
    with app.app_context():
        yield


@pytest.fixture
def login(client):  # type: ignore[no-untyped-def]
    """Sign the test client in as a user: ``login(user)``."""

    def _login(user, password: str = "correct-horse-9"):  # type: ignore[no-untyped-def]
        client.post("/auth/logout")
        response = client.post("/auth/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return _login
