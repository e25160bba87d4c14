"""Migrations build the schema the models describe, both ways, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from expertmatch.extensions import db
from tests.conftest import make_app


def _migrated_app(database_url: str):  # type: ignore[no-untyped-def]
    app = make_app(database_url)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    return app


def test_upgrade_downgrade_upgrade(database_url):  # type: ignore[no-untyped-def]
    app = _migrated_app(database_url)
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "dispute_cases", "assignments", "text_vectors", "audit_events"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert set(inspect(db.engine).get_table_names()) == tables
        downgrade(revision="base")


def test_models_match_migrations(database_url):  # type: ignore[no-untyped-def]
    app = _migrated_app(database_url)
    with app.app_context():
        upgrade()
        try:
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
        finally:
            downgrade(revision="base")
