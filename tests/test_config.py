"""Configuration sources and the rules that must hold outside development."""

from __future__ import annotations

import pytest

from expertmatch import create_app
from expertmatch.config import ConfigError, from_environment, normalise_database_url


def test_secret_key_required_outside_development(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("EXPERTMATCH_SECRET_KEY", raising=False)
    monkeypatch.setenv("EXPERTMATCH_ENV_NAME", "production")
    with pytest.raises(ConfigError, match="EXPERTMATCH_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_development_key_refused_in_production(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EXPERTMATCH_ENV_NAME", "production")
    monkeypatch.setenv("EXPERTMATCH_SECRET_KEY", "dev-only-not-secret")
    with pytest.raises(ConfigError):
        create_app()


def test_development_runs_without_secret(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("EXPERTMATCH_SECRET_KEY", raising=False)
    monkeypatch.setenv("EXPERTMATCH_ENV_NAME", "development")
    app = create_app()
    assert app.config["SECRET_KEY"]
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_production_cookies_are_secure(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EXPERTMATCH_ENV_NAME", "production")
    monkeypatch.setenv("EXPERTMATCH_SECRET_KEY", "x" * 40)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_source_order_defaults_instance_environment_test(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "RANKING_TOP_K = 11\nINVITATION_TTL_DAYS = 3\nLOGIN_RATE_LIMIT = 'x'\n"
    )
    monkeypatch.setenv("EXPERTMATCH_ENV_NAME", "development")
    monkeypatch.setenv("EXPERTMATCH_INVITATION_TTL_DAYS", "5")
    monkeypatch.setenv("EXPERTMATCH_LOGIN_RATE_LIMIT", "20 per minute")
    from expertmatch import app as app_module

    real_flask = app_module.APIFlask

    def flask_with_instance(*args, **kwargs):  # type: ignore[no-untyped-def]
        return real_flask(*args, instance_path=str(instance), **kwargs)

    monkeypatch.setattr(app_module, "APIFlask", flask_with_instance)
    app = create_app({"LOGIN_RATE_LIMIT": "1 per second"})
    assert app.config["RANKING_TOP_K"] == 11  # instance file over default
    assert app.config["INVITATION_TTL_DAYS"] == 5  # environment over instance file
    assert app.config["LOGIN_RATE_LIMIT"] == "1 per second"  # test dict over all
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert str(instance) in app.config["SQLALCHEMY_DATABASE_URI"]


def test_database_url_from_environment_uses_psycopg3():  # type: ignore[no-untyped-def]
    settings = from_environment({"EXPERTMATCH_DATABASE_URL": "postgresql://u@h:5432/db"})
    url = normalise_database_url(settings["SQLALCHEMY_DATABASE_URI"])
    assert url == "postgresql+psycopg://u@h:5432/db"


def test_test_variables_are_not_settings():  # type: ignore[no-untyped-def]
    assert from_environment({"EXPERTMATCH_TEST_DATABASE_URL": "postgresql://x"}) == {}
