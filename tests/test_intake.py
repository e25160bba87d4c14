"""The intake reader in the web app: suggestions on the form (with and without JavaScript),
what is stored per case, ranking with inferred fields, and the coordinator's confirm / correct."""

from __future__ import annotations

import json
from html import unescape

import pytest
from sqlalchemy import func, select

from expertmatch.extensions import db
from expertmatch.models import CaseInference, DisputeCase
from expertmatch.services import intake, matching
from tests import factories
from tests.test_cases import enterprise, good_case, the_case  # noqa: F401

SQUATTING = "我们的前经销商在墨西哥把我们的品牌抢注了，现在告诉当地商店卖我们的空调需要他同意。"


def bare_case(**changes):  # type: ignore[no-untyped-def]
    """A case with only text: every structured field left empty."""
    data = good_case(
        title="品牌在墨西哥被抢注",
        description=SQUATTING,
        dispute_type="",
        jurisdictions=None,
        industry="",
        languages=None,
        forum="",
        sep_standard="",
        negotiation_stage="",
    )
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_suggest_without_javascript_prefills_empty_fields_and_keeps_input(client, enterprise):  # noqa: F811
    data = bare_case(suggest="Suggest", submit_case=None)
    data.pop("submit_case", None)
    page = unescape(client.post("/cases/new", data=data).get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(DisputeCase)) == 0
    assert '<option selected value="trademark">' in page
    assert 'value="MX" checked' in page or 'checked id="jurisdictions-' in page
    assert "抢注" in page and "墨西哥" in page  # the words each value came from
    assert SQUATTING in page  # input kept
    assert 'name="suggested" type="hidden" value="' in page


def test_suggest_never_overwrites_what_the_enterprise_chose(client, enterprise):  # noqa: F811
    data = bare_case(suggest="Suggest", dispute_type="customs")
    data.pop("submit_case")
    page = client.post("/cases/new", data=data).get_data(as_text=True)
    assert '<option selected value="customs">' in page
    assert '<option selected value="trademark">' not in page


def test_kept_suggestions_are_recorded_as_confirmed_by_the_enterprise(client, enterprise):  # noqa: F811
    data = bare_case(dispute_type="trademark", jurisdictions=["MX"], industry="home_appliances",
                     suggested="dispute_type,industry,jurisdictions")
    response = client.post("/cases/new", data=data)
    assert response.status_code == 302
    case = the_case()
    rows = {r.field: r for r in intake.inferences(case)}
    assert rows["dispute_type"].status == "kept" and rows["dispute_type"].value == "trademark"
    assert "抢注" in rows["dispute_type"].evidence
    assert rows["jurisdictions"].status == "kept" and rows["jurisdictions"].value == ["MX"]
    assert rows["languages"].status == "suggested"  # left empty: inferred, not confirmed


def test_a_changed_suggestion_is_recorded_as_a_correction(client, enterprise):  # noqa: F811
    data = bare_case(dispute_type="ecommerce", jurisdictions=["MX"], suggested="dispute_type",
                     submit_case=None, save_draft="Save draft")
    assert client.post("/cases/new", data=data).status_code == 302
    row = {r.field: r for r in intake.inferences(the_case())}["dispute_type"]
    assert (row.status, row.value, row.corrected_value) == ("corrected", "trademark", "ecommerce")


def test_empty_fields_are_ranked_with_inferred_values_weighted_by_confidence(client, enterprise):  # noqa: F811
    # A draft may leave every field empty (a submitted case needs dispute type, jurisdictions
    # and industry: the enterprise keeps or changes the suggestions).
    data = bare_case(submit_case=None, save_draft="Save draft")
    client.post("/cases/new", data=data)
    case = the_case()
    assert case.dispute_type is None  # nothing written into what the enterprise left empty
    doc = matching.case_doc(case)
    assert doc.dispute_type == "trademark" and "MX" in doc.jurisdictions
    assert 0 < doc.field_confidence["dispute_type"] < 1


def test_a_field_filled_later_drops_its_inference(client, enterprise):  # noqa: F811
    client.post("/cases/new", data=bare_case(submit_case=None, save_draft="Save draft"))
    case = the_case()
    client.post(f"/cases/{case.id}/edit",
                data=bare_case(submit_case=None, save_draft="Save", dispute_type="customs"))
    assert "dispute_type" not in {r.field for r in intake.inferences(case)}
    assert matching.case_doc(case).field_confidence.get("dispute_type") is None


def test_json_suggestions_for_as_you_type(client, enterprise):  # noqa: F811
    response = client.post("/cases/suggest", json={"title": "", "description": SQUATTING})
    assert response.status_code == 200
    rows = {r["field"]: r for r in response.get_json()["suggestions"]}
    assert rows["dispute_type"]["values"][0]["value"] == "trademark"
    assert rows["jurisdictions"]["values"][0]["evidence"] == "墨西哥"
    assert client.post("/cases/suggest", json={}).get_json() == {"suggestions": []}


def test_json_suggestions_need_the_csrf_token(app, database_url, enterprise):  # noqa: F811
    from tests.conftest import make_app

    strict = make_app(database_url, WTF_CSRF_ENABLED=True)
    c = strict.test_client()
    with strict.app_context():
        c.post("/auth/login", data={"email": enterprise.email, "password": "correct-horse-9"})
    assert c.post("/cases/suggest", json={"description": SQUATTING}).status_code == 400


@pytest.fixture
def submitted(client, enterprise, login):  # type: ignore[no-untyped-def]  # noqa: F811
    kept = bare_case(dispute_type="trademark", jurisdictions=["MX"], industry="home_appliances",
                     suggested="dispute_type,industry,jurisdictions")
    client.post("/cases/new", data=kept)
    case = the_case()
    assert case.status == "submitted"
    login(enterprise.test_coordinator)
    return case


def test_coordinator_sees_inferred_values_marked(client, submitted):  # type: ignore[no-untyped-def]
    page = client.get(f"/coordinator/cases/{submitted.id}").get_data(as_text=True)
    assert "Read from the description" in page
    assert "Suggested, not yet confirmed" in page  # languages, left empty
    assert "Suggested and confirmed by the enterprise" in page  # dispute type, kept
    assert "抢注" in page


def test_coordinator_confirms_an_inferred_value(client, submitted):  # type: ignore[no-untyped-def]
    assert 0 < matching.case_doc(submitted).field_confidence["languages"] < 1
    url, field = f"/coordinator/cases/{submitted.id}/inferences", "languages"
    assert client.post(url, data={"decision": "confirm", "field": field}).status_code == 302
    db.session.expire_all()
    assert db.session.get(DisputeCase, submitted.id).languages == ["zh", "en", "es"]
    row = {r.field: r for r in intake.inferences(submitted)}["languages"]
    assert row.status == "confirmed"
    assert "languages" not in matching.case_doc(submitted).field_confidence


def test_coordinator_corrects_and_the_correction_is_training_data(  # type: ignore[no-untyped-def]
    client, submitted, runner, tmp_path
):
    url, field = f"/coordinator/cases/{submitted.id}/inferences", "jurisdictions"
    bad = client.post(
        url, data={"decision": "correct", "field": field, "value": ["XX"]}, follow_redirects=True
    )
    assert "Choose a value from the list." in bad.get_data(as_text=True)
    client.post(url, data={"decision": "correct", "field": field, "value": ["MX", "US"]})
    db.session.expire_all()
    assert db.session.get(DisputeCase, submitted.id).jurisdictions == ["MX", "US"]
    row = db.session.scalar(select(CaseInference).where(CaseInference.field == "jurisdictions"))
    assert row.status == "corrected" and row.corrected_value == ["MX", "US"]
    out = tmp_path / "corrections.jsonl"
    result = runner.invoke(args=["export-intake-corrections", str(out)])
    assert result.exit_code == 0, result.output
    line = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert line["jurisdictions"] == ["MX", "US"] and SQUATTING in line["description"]


def test_another_centre_cannot_decide(client, submitted, login):  # type: ignore[no-untyped-def]
    login(factories.user("coordinator"))
    url, field = f"/coordinator/cases/{submitted.id}/inferences", "dispute_type"
    assert client.post(url, data={"decision": "confirm", "field": field}).status_code == 404
