"""Configuration in one source order: defaults, instance file, environment, test dict.

The instance file is ``<instance>/config.py``; environment variables are every
``EXPERTMATCH_<NAME>`` (``EXPERTMATCH_DATABASE_URL`` becomes
``SQLALCHEMY_DATABASE_URI``). Values from the environment are parsed as JSON
when they look like it, so ``EXPERTMATCH_RANKING_TOP_K=20`` is an int.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

from flask import Flask

from expertmatch.matching.encoders import DEFAULT_MODEL_SPEC
from expertmatch.resources import resource_dir

ENV_PREFIX = "EXPERTMATCH_"

# Settings whose environment name differs from the Flask/extension key.
ENV_ALIASES = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
}

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused outside development


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def defaults(app: Flask) -> dict[str, Any]:
    """Defaults suitable for development on one machine."""
    return {
        "ENV_NAME": "production",
        "SECRET_KEY": None,
        "SQLALCHEMY_DATABASE_URI": "sqlite:///"
        + os.path.join(app.instance_path, "expertmatch.sqlite"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": None,  # None: secure outside development
        "REMEMBER_COOKIE_SECURE": None,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["en", "zh"],
        "EMBEDDING_MODEL": DEFAULT_MODEL_SPEC,
        "RANKING_TOP_K": 10,
        "INVITATION_TTL_DAYS": 14,
        "PROPOSAL_RESPONSE_HOURS": 72,
        "URGENT_PROPOSAL_RESPONSE_HOURS": 24,
        "DEADLINE_WARNING_DAYS": 7,
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "10 per minute; 50 per hour",
        "API_RATE_LIMIT": "300 per minute",  # per API key (Flask-Limiter)
        "API_REQUEST_LOG_BATCH": 200,  # the API's use log is written in batches
        "API_REQUEST_LOG_SECONDS": 2.0,
        "CLUSTER_THRESHOLD": 3,
        "CLUSTER_WINDOW_DAYS": 30,
        "IMPORT_MAX_ROWS": 50_000,
        "IMPORT_MAX_BYTES": 64 * 1024 * 1024,
        # Uploaded CSV files wait here between preview and confirm, and until a worker has
        # written their rows: with workers on other machines, point it at a shared folder.
        "IMPORT_UPLOAD_DIR": os.path.join(app.instance_path, "imports"),
        # The task queue (expertmatch.jobs): Redis when set, else a SQLite file in instance/.
        "REDIS_URL": None,
        "QUEUE_FILE": None,
        # Run jobs in the calling process (None: only when ENV_NAME is "testing").
        "JOBS_IMMEDIATE": None,
        "JOB_RETRY_DELAY_SECONDS": 5,  # doubled at each retry of a failed chunk
        "JOB_STALE_SECONDS": 600,  # a chunk claimed longer ago is handed to another worker
        "JOBS_PRELOAD_MODEL": True,  # a worker loads the embedding model when it starts
        # How often a process looks for experts changed by other processes (0: every ranking).
        "MATCHING_SYNC_SECONDS": 2,
        "DATA_DIR": resource_dir("data"),
    }


def _parse_env_value(raw: str) -> Any:
    """Read ints, bools, lists from JSON; anything else stays a string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def from_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """Every ``EXPERTMATCH_*`` variable, with its prefix removed."""
    settings: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or key.startswith(ENV_PREFIX + "TEST_"):
            continue
        name = key[len(ENV_PREFIX) :]
        if name in ("DATABASE_URL", "SECRET_KEY", "EMBEDDING_MODEL", "ENV_NAME"):
            value: Any = raw
        else:
            value = _parse_env_value(raw)
        settings[ENV_ALIASES.get(name, name)] = value
    return settings


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs whatever driver they name."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    """Apply the four sources in order, then check what must hold."""
    app.config.from_mapping(defaults(app))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(from_environment(os.environ))
    if test_config:
        app.config.from_mapping(test_config)

    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    env_name = app.config["ENV_NAME"]
    development = env_name in ("development", "testing")
    if app.config.get("JOBS_IMMEDIATE") is None:
        app.config["JOBS_IMMEDIATE"] = env_name == "testing"
    if not app.config.get("SECRET_KEY"):
        if not development:
            raise ConfigError(
                "EXPERTMATCH_SECRET_KEY is not set. Outside development the secret key is "
                "required: set EXPERTMATCH_SECRET_KEY to a long random string (for example "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`), or set "
                "EXPERTMATCH_ENV_NAME=development on a developer machine."
            )
        app.config["SECRET_KEY"] = DEV_SECRET_KEY
    elif app.config["SECRET_KEY"] == DEV_SECRET_KEY and not development:
        raise ConfigError("EXPERTMATCH_SECRET_KEY must not be the development key in production.")
    # Cookies travel only over HTTPS outside development.
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = not development
