"""The /health probe: database, model, vectors."""

from __future__ import annotations

from expertmatch.extensions import db
from expertmatch.services import matching
from tests import factories
from tests.conftest import make_app


def test_health_reports_vectors_up_to_date(client, ctx):  # type: ignore[no-untyped-def]
    factories.expert_profile()
    before = client.get("/health").get_json()
    assert before["status"] == "ok"
    assert before["database"]["ok"] is True
    assert before["vectors"] == {"experts": 1, "with_vectors": 0, "up_to_date": False}
    matching.sync()
    after = client.get("/health").get_json()
    assert after["vectors"] == {"experts": 1, "with_vectors": 1, "up_to_date": True}


def test_health_reports_a_missing_model_as_degraded(database_url):  # type: ignore[no-untyped-def]
    app = make_app(database_url, EMBEDDING_MODEL="/no/such/model")
    with app.app_context():
        db.create_all()
        report = app.test_client().get("/health").get_json()
        assert report["status"] == "degraded"
        assert report["model"]["loaded"] is False
        assert "EXPERTMATCH_EMBEDDING_MODEL" in report["model"]["error"]
        db.session.remove()
        db.drop_all()


def test_pages_still_work_without_the_model(database_url, login):  # type: ignore[no-untyped-def]
    app = make_app(database_url, EMBEDDING_MODEL="/no/such/model")
    with app.app_context():
        db.create_all()
        coordinator = factories.user("coordinator")
        case = factories.dispute_case(factories.organisation().id, centre_id=coordinator.centre_id)
        factories.expert_profile()
        client = app.test_client()
        client.post(
            "/auth/login", data={"email": coordinator.email, "password": factories.PASSWORD}
        )
        page = client.get(f"/coordinator/cases/{case.id}")
        assert page.status_code == 200
        assert "banner" in page.get_data(as_text=True)
        db.session.remove()
        db.drop_all()
