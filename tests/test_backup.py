"""`flask export` writes every row; `flask import` restores them into an empty database."""

from __future__ import annotations

import json

from sqlalchemy import select

from expertmatch.extensions import db
from expertmatch.models import Entity, EntityAlias
from expertmatch.services import assignments, matching
from tests import factories


def _snapshot() -> dict[str, list[dict]]:
    from expertmatch.services.backup import _encode

    return {
        table.name: [
            {k: _encode(v) for k, v in row.items()}
            for row in db.session.execute(
                select(table).order_by(*table.primary_key.columns)
            ).mappings()
        ]
        for table in db.metadata.sorted_tables
    }


def _populate() -> None:
    parent = Entity(name="Nordvik Telecom Oy")
    db.session.add(parent)
    db.session.flush()
    child = Entity(name="Nordvik Licensing GmbH", parent_id=parent.id)
    child.aliases = [EntityAlias(name="诺德维克许可有限公司")]
    db.session.add(child)
    db.session.commit()
    coordinator = factories.user("coordinator")
    enterprise = factories.user("enterprise")
    expert = factories.expert_profile(
        matters=[{"title": "LTE SEP defence", "summary": "Munich", "year": 2024}],
        conflicts=[{"entity_name": "Veridian Wireless Inc.", "relation": "client"}],
    )
    case = factories.dispute_case(enterprise.organisation_id, amount=12000000, currency="EUR")
    matching.rank_case(case)  # stores vectors (bytes)
    assignments.propose(case, expert, coordinator, score=0.8, reasons={"why": "SEP"})


def test_export_then_import_round_trips_every_row(app, runner, tmp_path, database_url):  # type: ignore[no-untyped-def]
    path = tmp_path / "backup.json"
    with app.app_context():
        _populate()
        before = _snapshot()
    result = runner.invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text())["tables"]["users"]

    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.create_all()
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _snapshot() == before
        # New rows continue after the restored ids.
        factories.organisation()


def test_import_refuses_a_non_empty_database(app, runner, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "backup.json"
    with app.app_context():
        factories.user("enterprise")
    assert runner.invoke(args=["export", str(path)]).exit_code == 0
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code != 0
    assert "not empty" in result.output


def test_import_refuses_garbage(app, runner, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "backup.json"
    path.write_text('{"format": "something else"}')
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code != 0 and "not an ExpertMatch backup" in result.output
    path.write_text("not json")
    assert "not valid JSON" in runner.invoke(args=["import", str(path)]).output
