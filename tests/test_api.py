"""The JSON API: credentials, scopes, centre scoping, revocation, pagination, idempotency,
problems, ETags, rate limits, and a platform journey that uses nothing but HTTP."""

from __future__ import annotations

import threading

import pytest
from openapi_spec_validator import validate

from expertmatch.extensions import db
from expertmatch.models import ApiRequest, DisputeCase, User
from expertmatch.services import credentials
from tests import factories as f
from tests.conftest import make_app

INTAKE = {
    "enterprise": {"credit_code": "91440300MA5ABCDE1X", "name_zh": "深圳光伏科技有限公司",
                   "name_en": "Shenzhen PV Tech Co., Ltd.", "province": "CN-GD"},
    "title": "ITC Section 337 complaint against our solar modules",
    "contact_name": "Li Wei",
    "contact_email": "li.wei@example.com",
    "our_role": "respondent",
    "dispute_type": "patent_infringement",
    "jurisdictions": ["US"],
    "forum": "U.S. International Trade Commission",
    "counterparties": [{"name_en": "SunCorp Inc."}],
    "industry": "photovoltaics",
    "description": "A Section 337 complaint names our TOPCon modules; we were served last week.",
    "languages": ["en", "zh"],
    "consent_share": True,
    "consent_conflict_check": True,
}


def bearer(secret: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **headers}


@pytest.fixture
def world(ctx):  # type: ignore[no-untyped-def]
    """Two centres, an admin, a platform key for each centre, cases in both, two experts."""
    centre_a, centre_b = f.centre(code="GD-SZ"), f.centre(code="ZJ-HZ")
    admin = f.user("admin")
    key_a = credentials.create_platform_key("Provincial platform A", centre_a.id,
                                            list(credentials.PLATFORM_SCOPES), admin)
    key_b = credentials.create_platform_key("Platform B", centre_b.id,
                                            list(credentials.PLATFORM_SCOPES), admin)
    org = f.organisation()
    case_a = f.dispute_case(org.id, centre_id=centre_a.id, title="Case of centre A")
    case_b = f.dispute_case(org.id, centre_id=centre_b.id, title="Case of centre B")
    expert_user = f.user("expert")
    f.expert_profile(full_name="Anna Berg", jurisdictions=["US"],
                     dispute_types=["patent_infringement"], industries=["photovoltaics"])
    return {
        "admin": admin, "centre_a": centre_a, "centre_b": centre_b, "key_a": key_a.secret,
        "key_b": key_b.secret, "key_a_row": key_a.credential, "case_a": case_a.id,
        "case_b": case_b.id, "org": org, "expert_user": expert_user,
    }


def test_openapi_document_is_valid_and_documents_scopes_and_problems(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    operation = spec["paths"]["/api/v1/cases"]["post"]
    assert operation["x-required-scope"] == "cases:write"
    assert "application/problem+json" in operation["responses"]["422"]["content"]
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_docs_page_serves_its_assets_locally(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "cdn" not in page.lower() and "https://" not in page
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/v1/docs/assets/init.js").status_code == 200
    assert client.get("/api/v1/docs/assets/../app.py").status_code == 404


def test_missing_or_wrong_key_is_a_401_problem(client, world):
    for headers in ({}, bearer("emp_nothing_here"), {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/cases", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_requests_set_no_cookie_and_ignore_a_browser_session(client, world, login):
    login(world["admin"], "correct-horse-9")
    assert client.get("/api/v1/cases").status_code == 401  # a session cookie is not a key
    response = client.get("/api/v1/cases", headers=bearer(world["key_a"]))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_key_of_centre_a_never_sees_centre_b(client, world):
    listed = client.get("/api/v1/cases", headers=bearer(world["key_a"])).get_json()
    assert [c["id"] for c in listed["items"]] == [world["case_a"]]
    assert client.get(f"/api/v1/cases/{world['case_b']}",
                      headers=bearer(world["key_a"])).status_code == 404
    assert client.get(f"/api/v1/cases/{world['case_b']}/ranking",
                      headers=bearer(world["key_a"])).status_code == 404
    response = client.post(f"/api/v1/cases/{world['case_b']}/assignments",
                           json={"expert_id": 1}, headers=bearer(world["key_a"]))
    assert response.status_code == 404
    assert client.get(f"/api/v1/cases/{world['case_b']}",
                      headers=bearer(world["key_b"])).status_code == 200


def test_scope_denial(client, world):
    issued = credentials.create_platform_key("Read only", world["centre_a"].id,
                                             ["cases:read"], world["admin"])
    headers = bearer(issued.secret)
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    refused = client.post("/api/v1/cases", json=INTAKE, headers=headers)
    assert refused.status_code == 403
    assert "cases:write" in refused.get_json()["detail"]
    assert client.get("/api/v1/experts", headers=headers).status_code == 403
    assert db.session.scalar(db.select(db.func.count(DisputeCase.id))) == 2


def test_revocation_takes_effect_on_the_next_request(client, world):
    headers = bearer(world["key_a"])
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    credentials.revoke(world["key_a_row"], world["admin"])
    assert client.get("/api/v1/cases", headers=headers).status_code == 401


def test_use_is_audited_with_credential_route_and_status(client, world):
    client.get("/api/v1/cases", headers=bearer(world["key_a"]))
    client.get("/api/v1/cases/999999", headers=bearer(world["key_a"]))
    credentials.flush_request_log()
    rows = db.session.scalars(db.select(ApiRequest).order_by(ApiRequest.id)).all()
    assert [(r.credential_id, r.route, r.status) for r in rows] == [
        (world["key_a_row"].id, "/api/v1/cases", 200),
        (world["key_a_row"].id, "/api/v1/cases/<int:case_id>", 404),
    ]


def test_validation_errors_are_field_level_and_translated(client, world):
    bad = {**INTAKE, "dispute_type": "nonsense", "unknown": 1}
    en = client.post("/api/v1/cases", json=bad, headers=bearer(world["key_a"]))
    assert en.status_code == 422 and en.mimetype == "application/problem+json"
    fields = {e["field"]: e["message"] for e in en.get_json()["errors"]}
    assert fields["dispute_type"] == "Choose one of the listed options."
    assert "unknown" in fields
    zh = client.post("/api/v1/cases", json=bad,
                     headers=bearer(world["key_a"], **{"Accept-Language": "zh-CN,zh;q=0.9"}))
    zh_fields = {e["field"]: e["message"] for e in zh.get_json()["errors"]}
    assert zh_fields["dispute_type"] != fields["dispute_type"]
    assert zh.headers["Content-Language"] == "zh"


def test_submission_rules_are_the_web_forms(client, world):
    """The service's rules (consents, counterparties) come back per field; nothing is saved."""
    partial = {**INTAKE, "consent_share": False, "counterparties": []}
    response = client.post("/api/v1/cases", json=partial, headers=bearer(world["key_a"]))
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert {"consent_share", "counterparties.0.name_en"} <= fields
    assert db.session.scalar(db.select(db.func.count(DisputeCase.id))) == 2


def test_idempotent_retry_returns_the_first_case(client, world):
    headers = bearer(world["key_a"], **{"Idempotency-Key": "intake-42"})
    first = client.post("/api/v1/cases", json=INTAKE, headers=headers)
    again = client.post("/api/v1/cases", json=INTAKE, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(db.select(db.func.count(DisputeCase.id))) == 3
    other = client.post("/api/v1/cases", json={**INTAKE, "title": "Another"}, headers=headers)
    assert other.status_code == 422
    # Keys are scoped per credential: B's same key is a new request.
    b = client.post("/api/v1/cases", json=INTAKE,
                    headers=bearer(world["key_b"], **{"Idempotency-Key": "intake-42"}))
    assert b.status_code == 201 and b.get_json()["id"] != first.get_json()["id"]


def test_etag_revalidation(client, world):
    headers = bearer(world["key_a"])
    first = client.get(f"/api/v1/cases/{world['case_a']}", headers=headers)
    etag = first.headers["ETag"]
    again = client.get(f"/api/v1/cases/{world['case_a']}",
                       headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304


def test_timestamps_are_iso_utc(client, world):
    case = client.get(f"/api/v1/cases/{world['case_a']}", headers=bearer(world["key_a"])).get_json()
    assert case["created_at"].endswith("Z") and "T" in case["created_at"]


def test_pagination_is_complete_and_duplicate_free_under_concurrent_inserts(client, world):
    centre = world["centre_a"]
    for _ in range(7):
        f.dispute_case(world["org"].id, centre_id=centre.id)
    seen: list[int] = []
    token = None
    inserted = 0
    while True:
        query = {"page_size": 3, **({"page_token": token} if token else {})}
        page = client.get("/api/v1/cases", query_string=query,
                          headers=bearer(world["key_a"])).get_json()
        seen.extend(c["id"] for c in page["items"])
        token = page["next_page_token"]
        if token is None:
            break
        if inserted < 4:  # another platform keeps filing while we page
            f.dispute_case(world["org"].id, centre_id=centre.id)
            inserted += 1
    expected = db.session.scalars(
        db.select(DisputeCase.id).where(DisputeCase.centre_id == centre.id).order_by(DisputeCase.id)
    ).all()
    assert len(seen) == len(set(seen))
    assert seen == list(expected)  # every case, the new ones at the end, none twice


def test_a_foreign_page_token_is_refused(client, world):
    page = client.get("/api/v1/experts", query_string={"page_size": 1, "q": "Anna"},
                      headers=bearer(world["key_a"])).get_json()
    assert page["items"]
    response = client.get("/api/v1/cases", query_string={"page_token": "garbage!"},
                          headers=bearer(world["key_a"]))
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "page_token"


def test_personal_tokens_act_as_their_owner(client, world):
    enterprise = f.user("enterprise", organisation_id=world["org"].id)
    token = credentials.create_personal_token(enterprise, "ERP", ["cases:read", "cases:write"])
    own = client.get("/api/v1/cases", headers=bearer(token.secret)).get_json()
    assert {c["id"] for c in own["items"]} == {world["case_a"], world["case_b"]}
    draft = {k: v for k, v in INTAKE.items() if k != "enterprise"} | {"submit": False}
    created = client.post("/api/v1/cases", json=draft, headers=bearer(token.secret))
    assert created.status_code == 201 and created.get_json()["status"] == "draft"
    with pytest.raises(credentials.CredentialError):
        credentials.create_personal_token(enterprise, "too much", ["rankings:read"])
    other_org = f.user("enterprise")
    other = credentials.create_personal_token(other_org, "x", ["cases:read"])
    assert client.get(f"/api/v1/cases/{world['case_a']}",
                      headers=bearer(other.secret)).status_code == 404


def test_deactivated_users_token_is_refused(client, world):
    enterprise = f.user("enterprise", organisation_id=world["org"].id)
    token = credentials.create_personal_token(enterprise, "ERP", ["cases:read"])
    enterprise.active = False
    db.session.commit()
    assert client.get("/api/v1/cases", headers=bearer(token.secret)).status_code == 401


def test_expert_token_accepts_and_sees_confidential_facts_only_then(client, world):
    expert_user = world["expert_user"]
    profile = db.session.scalar(db.select(f.ExpertProfile).where(
        f.ExpertProfile.user_id == expert_user.id))
    case = db.session.get(DisputeCase, world["case_a"])
    case.confidentiality = "confidential"
    db.session.commit()
    proposal = client.post(f"/api/v1/cases/{case.id}/assignments",
                           json={"expert_id": profile.id}, headers=bearer(world["key_a"]))
    assert proposal.status_code == 201, proposal.get_json()
    token = credentials.create_personal_token(
        expert_user, "calendar", ["cases:read", "assignments:read", "assignments:write",
                                  "experts:write", "experts:read"])
    headers = bearer(token.secret)
    redacted = client.get(f"/api/v1/cases/{case.id}", headers=headers)
    assert redacted.status_code == 200 and redacted.get_json()["redacted"] is True
    assert redacted.get_json()["description"] is None
    assert redacted.get_json()["counterparties"] == []
    assignment_id = proposal.get_json()["id"]
    refused = client.post(f"/api/v1/assignments/{assignment_id}/accept",
                          json={"no_conflict": False}, headers=headers)
    assert refused.status_code == 422
    accepted = client.post(f"/api/v1/assignments/{assignment_id}/accept",
                           json={"no_conflict": True}, headers=headers)
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    full = client.get(f"/api/v1/cases/{case.id}", headers=headers).get_json()
    assert full["redacted"] is False and full["description"]
    patched = client.patch("/api/v1/experts/me", json={"headline": "SEP and 337 counsel"},
                           headers=headers)
    assert patched.status_code == 200 and patched.get_json()["headline"] == "SEP and 337 counsel"
    bad = client.patch("/api/v1/experts/me", json={"availability": "absent"}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "absent_until"


def test_platform_journey_over_http_only(client, world):
    """Read the document, submit an intake, poll it, fetch the explained ranking, propose."""
    headers = bearer(world["key_a"])
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/cases/{case_id}/ranking" in spec["paths"]
    created = client.post("/api/v1/cases", json=INTAKE,
                          headers={**headers, "Idempotency-Key": "journey-1"})
    assert created.status_code == 201, created.get_json()
    location = created.headers["Location"]
    status = client.get(location, headers=headers).get_json()
    assert status["status"] == "submitted" and status["reference"].startswith("EM-")
    assert status["centre"] == "GD-SZ"
    assert status["history"][0]["status"] == "submitted"
    ranking = client.get(f"{location}/ranking", headers=headers)
    assert ranking.status_code == 200, ranking.get_json()
    ranked = ranking.get_json()["ranked"]
    assert ranked and ranked[0]["explanation"]
    proposal = client.post(f"{location}/assignments", json={"expert_id": ranked[0]["expert"]["id"]},
                           headers=headers)
    assert proposal.status_code == 201, proposal.get_json()
    assert client.get(location, headers=headers).get_json()["status"] == "matched"
    again = client.post(f"{location}/assignments", json={"expert_id": ranked[0]["expert"]["id"]},
                        headers=headers)
    assert again.status_code == 409


def test_ad_hoc_ranking_stores_nothing(client, world):
    before = db.session.scalar(db.select(db.func.count(DisputeCase.id)))
    response = client.post("/api/v1/rankings", json={
        "description": "Section 337 investigation of solar modules", "jurisdictions": ["US"],
        "dispute_type": "patent_infringement", "industry": "photovoltaics"},
        headers=bearer(world["key_a"]))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["case_id"] is None
    assert db.session.scalar(db.select(db.func.count(DisputeCase.id))) == before


def test_platform_account_cannot_sign_in_and_is_not_notified(client, world):
    account = db.session.get(User, world["key_a_row"].user_id)
    assert account.role == "coordinator" and not account.active
    from expertmatch.services import audit

    assert account.id not in audit.coordinator_ids(world["centre_a"].id)


def test_rate_limit_answers_429_with_retry_after(database_url):
    app = make_app(database_url, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute",
                   RATELIMIT_STORAGE_URI="memory://")
    with app.app_context():
        db.drop_all()
        db.create_all()
        admin = f.user("admin")
        key = credentials.create_platform_key("P", f.centre().id, ["cases:read"], admin)
        other = credentials.create_platform_key("Q", f.centre().id, ["cases:read"], admin)
        client = app.test_client()
        codes = [client.get("/api/v1/cases", headers=bearer(key.secret)).status_code
                 for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get("/api/v1/cases", headers=bearer(key.secret))
        assert limited.mimetype == "application/problem+json"
        assert 1 <= int(limited.headers["Retry-After"]) <= 61
        # Per credential: another key of the same address is not limited.
        assert client.get("/api/v1/cases", headers=bearer(other.secret)).status_code == 200
        db.session.remove()
        db.drop_all()


def test_concurrent_retries_create_one_case(tmp_path):
    """Two workers get the same Idempotency-Key at once: one case, never two."""
    app = make_app(f"sqlite:///{tmp_path / 'idem.sqlite'}")
    with app.app_context():
        db.create_all()
        admin = f.user("admin")
        secret = credentials.create_platform_key("P", f.centre().id,
                                                 list(credentials.PLATFORM_SCOPES), admin).secret
    codes: list[int] = []

    def post() -> None:
        with app.test_client() as c:
            codes.append(c.post("/api/v1/cases", json=INTAKE,
                                headers=bearer(secret, **{"Idempotency-Key": "same"})).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(DisputeCase.id))) == 1
        db.session.remove()
        db.engine.dispose()
    assert set(codes) <= {201, 409} and 201 in codes


def test_token_page_shows_the_secret_once_and_revokes(client, world, login):
    enterprise = f.user("enterprise", organisation_id=world["org"].id)
    login(enterprise)
    page = client.post("/account/api-tokens", data={"name": "ERP", "scopes": ["cases:read"]})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    secret = html.split('id="issued-secret" type="text" readonly value="')[1].split('"')[0]
    assert client.get("/api/v1/cases", headers=bearer(secret)).status_code == 200
    assert secret not in client.get("/account/api-tokens").get_data(as_text=True)
    refused = client.post("/account/api-tokens", data={"name": "x", "scopes": ["rankings:read"]})
    assert refused.status_code == 400
    token = credentials.tokens_of(enterprise)[0]
    client.post(f"/account/api-tokens/{token.id}/revoke")
    assert client.get("/api/v1/cases", headers=bearer(secret)).status_code == 401


def test_admin_page_creates_a_platform_key_for_a_centre(client, world, login):
    login(world["admin"])
    page = client.post("/admin/api-keys", data={
        "name": "Automotive platform", "centre_id": world["centre_b"].id,
        "scopes": ["cases:read"]}, headers={"Accept-Language": "zh"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = html.split('id="issued-secret" type="text" readonly value="')[1].split('"')[0]
    listed = client.get("/api/v1/cases", headers=bearer(secret)).get_json()
    assert [c["id"] for c in listed["items"]] == [world["case_b"]]
    missing = client.post("/admin/api-keys", data={"name": "", "centre_id": 0})
    assert missing.status_code == 400
