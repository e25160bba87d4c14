"""The application factory: it only wires (config, extensions, blueprints, handlers)."""

from __future__ import annotations

import os
from typing import Any

from apiflask import APIFlask
from flask import Flask

from expertmatch.resources import resource_dir


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the app: config, then extensions, blueprints, handlers, commands."""
    # APIFlask is a Flask that can generate the API's OpenAPI document (expertmatch.api);
    # the web pages keep their HTML errors (json_errors=False) and the API serves its own
    # document and docs page (no default /openapi.json, /docs).
    app = APIFlask(
        __name__,
        title="ExpertMatch API",
        version="v1",
        spec_path=None,
        docs_path=None,
        json_errors=False,
        instance_relative_config=True,
        template_folder=resource_dir("templates"),
        static_folder="static",
    )
    from expertmatch.config import load_config

    load_config(app, test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_handlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    import expertmatch.models  # noqa: F401  (the tables Alembic compares against)
    from expertmatch import i18n, security
    from expertmatch.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=resource_dir("migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_app(app, login_manager)
    i18n.init_app(app)
    from expertmatch import jobs

    jobs.init_app(app)


def register_blueprints(app: Flask) -> None:
    from expertmatch import api
    from expertmatch.auth.routes import bp as auth_bp
    from expertmatch.cases.routes import bp as cases_bp
    from expertmatch.coordinator.routes import bp as coordinator_bp
    from expertmatch.credentials.routes import bp as credentials_bp
    from expertmatch.errors import bp as errors_bp
    from expertmatch.experts.routes import bp as experts_bp
    from expertmatch.jobs.routes import bp as jobs_bp
    from expertmatch.main.routes import bp as main_bp
    from expertmatch.network.routes import bp as network_bp
    from expertmatch.plans.routes import bp as plans_bp
    from expertmatch.pool.routes import bp as pool_bp
    from expertmatch.reports.routes import bp as reports_bp

    for blueprint in (
        main_bp,
        auth_bp,
        cases_bp,
        experts_bp,
        coordinator_bp,
        plans_bp,
        pool_bp,
        reports_bp,
        network_bp,
        jobs_bp,
        credentials_bp,
        errors_bp,
    ):
        app.register_blueprint(blueprint)
    api.init_app(app)


def register_handlers(app: Flask) -> None:
    from expertmatch import errors, security

    errors.init_app(app)
    security.init_headers(app)


def register_commands(app: Flask) -> None:
    from expertmatch import commands

    commands.init_app(app)
