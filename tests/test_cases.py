"""The enterprise journey: intake (drafts, submission, every bad input), the deadline with its
basis and override, my cases, the case page, messages, and 404 for other organisations."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from flask import current_app, url_for
from sqlalchemy import func, select

from expertmatch.extensions import db
from expertmatch.models import (
    Assignment,
    AuditEvent,
    CaseMessage,
    Counterparty,
    DisputeCase,
    Notification,
    utcnow,
)
from expertmatch.services import cases, deadlines
from tests import factories

DESCRIPTION = "诺德维克在慕尼黑起诉我们的LTE手机侵犯其标准必要专利，要求禁令。"


def today():  # type: ignore[no-untyped-def]
    return deadlines.local_today()


def good_case(**changes) -> dict:  # type: ignore[no-untyped-def]
    """A complete SEP case in Munich, served three days ago, ready to submit."""
    data = {
        "title": "LTE SEP injunction in Munich",
        "contact_name": "Zhou Xiaolan",
        "contact_email": "ipr@lianxin.example.cn",
        "contact_phone": "+86 755 1234 5678",
        "our_role": "respondent",
        "dispute_type": "sep_frand",
        "jurisdictions": ["DE"],
        "forum": "Landgericht München I, 7. Zivilkammer",
        "docket_number": "7 O 1234/26",
        "sep_standard": "4g",
        "negotiation_stage": "stalled",
        "counterparties-0-name_en": "Nordvik Telecom Oy",
        "counterparties-0-name_zh": "诺德维克电信",
        "counterparties-0-counsel": "Hartmann Vogel Rechtsanwaelte",
        "industry": "telecom",
        "description": DESCRIPTION,
        "languages": ["zh", "en"],
        "service_date": (today() - timedelta(days=3)).isoformat(),
        "tro_date": "",
        "hearing_date": (today() + timedelta(days=60)).isoformat(),
        "deadline_override": "",
        "amount": "12,000,000",
        "currency": "EUR",
        "goal": "licence",
        "confidentiality": "normal",
        "consent_share": "y",
        "consent_conflict_check": "y",
        "submit_case": "Submit the case",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def rows() -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(model))
        for model in (DisputeCase, Counterparty, AuditEvent)
    )


def error_next_to(page: str, field_id: str) -> str:
    """The error text the `field` macro renders for one field ('' if none)."""
    match = re.search(rf'id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S)
    return unescape(match.group(1)) if match else ""


@pytest.fixture
def enterprise(ctx, login):  # type: ignore[no-untyped-def]
    """A signed-in enterprise user whose province has a centre with a coordinator."""
    centre = factories.centre(code="GD-SZ", province="CN-GD")
    coordinator = factories.user("coordinator", centre_id=centre.id)
    user = login(factories.user("enterprise"))
    user.test_centre, user.test_coordinator = centre, coordinator
    return user


def the_case() -> DisputeCase:
    return db.session.scalars(select(DisputeCase).order_by(DisputeCase.id.desc())).first()


# --- the form -------------------------------------------------------------------------------------


def test_new_form_is_prefilled_from_the_account(client, enterprise):  # type: ignore[no-untyped-def]
    factories.dispute_case(enterprise.organisation_id, contact_phone="+86 20 8888 0000")
    page = client.get("/cases/new").get_data(as_text=True)
    assert f'value="{enterprise.display_name}"' in page
    assert f'value="{enterprise.email}"' in page
    assert 'value="+86 20 8888 0000"' in page
    assert '<option selected value="telecom">' in page  # the organisation's industry
    assert re.search(r'checked[^>]*value="confidential"|value="confidential"[^>]*checked', page)
    for heading in ("Organisation and contact", "Counterparties", "For SEP cases",
                    "Key dates and deadline", "Confidentiality and consent"):
        assert heading in page


def test_a_draft_needs_only_a_title(client, enterprise):  # type: ignore[no-untyped-def]
    response = client.post("/cases/new", data={"title": "Customs seizure", "save_draft": "1"})
    assert response.status_code == 302
    case = the_case()
    assert (case.status, case.title, case.reference, case.centre_id) == (
        "draft", "Customs seizure", None, None)
    assert not case.consent_share and case.counterparties == []
    assert response.headers["Location"].endswith(f"/cases/{case.id}/edit")


def test_a_draft_without_title_is_refused(client, enterprise):  # type: ignore[no-untyped-def]
    before = rows()
    response = client.post("/cases/new", data={"title": "", "description": DESCRIPTION,
                                               "save_draft": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Give the dispute a short title." in error_next_to(page, "title")
    assert DESCRIPTION in page
    assert rows() == before


BAD_INPUTS = [
    # (changes, field id, message next to it)
    ({"title": ""}, "title", "Give the dispute a short title."),
    ({"title": "x" * 301}, "title", "at most 300 characters"),
    ({"contact_name": ""}, "contact_name", "Needed to submit the case."),
    ({"contact_email": "not-an-email"}, "contact_email", "valid email"),
    ({"contact_phone": "call me"}, "contact_phone", "Enter a phone number"),
    ({"our_role": ""}, "our_role", "Needed to submit the case."),
    ({"dispute_type": "piracy"}, "dispute_type", "Not a valid choice"),
    ({"jurisdictions": []}, "jurisdictions", "Needed to submit the case."),
    ({"jurisdictions": ["DE", "XX"]}, "jurisdictions", "not a valid choice"),
    ({"forum": "x" * 301}, "forum", "at most 300 characters"),
    ({"industry": ""}, "industry", "Needed to submit the case."),
    ({"description": ""}, "description", "Needed to submit the case."),
    ({"description": "a" * 10_001}, "description", "at most 10000 characters"),
    ({"description": "bad\x00byte"}, "description", "characters that are not allowed"),
    ({"sep_standard": ""}, "sep_standard", "Needed for an SEP / FRAND case."),
    ({"negotiation_stage": ""}, "negotiation_stage", "Needed for an SEP / FRAND case."),
    ({"counterparties-0-name_en": "", "counterparties-0-name_zh": "",
      "counterparties-0-counsel": ""},
     "counterparties-0-name_en", "Name at least one counterparty"),
    ({"counterparties-1-counsel": "Lone Counsel LLP"}, "counterparties-1-name_en",
     "name in English or Chinese"),
    ({"counterparties-0-name_zh": "名" * 301},
     "counterparties-0-name_zh", "at most 300 characters"),
    ({"service_date": "2026-02-30"}, "service_date", "Enter a real date"),
    ({"service_date": "+1"}, "service_date", "cannot be in the future"),
    ({"tro_date": "+2"}, "tro_date", "cannot be in the future"),
    ({"service_date": "-4000"}, "service_date", "more than ten years ago"),
    ({"service_date": "9999-12-31"}, "service_date", "cannot be in the future"),
    ({"hearing_date": "2999-01-01"}, "hearing_date", "too far from today"),
    ({"deadline_override": "-1"}, "deadline_override", "cannot be before today"),
    ({"service_date": "-30"}, "service_date", "has already passed"),
    ({"amount": "-5"}, "amount", "between 0 and"),
    ({"amount": "lots"}, "amount", "in figures"),
    ({"amount": "NaN"}, "amount", "in figures"),
    ({"amount": "1e30"}, "amount", "between 0 and"),
    ({"currency": ""}, "currency", "Choose the currency"),
    ({"consent_share": None}, "consent_share", "share the case with candidate experts"),
    ({"consent_conflict_check": None}, "consent_conflict_check", "run the conflict check"),
]


def _relative_dates(changes: dict) -> dict:
    """'+1' / '-30' mean days from today (the engine's today, in the users' timezone)."""
    out = {}
    for key, value in changes.items():
        is_date = key.endswith(("date", "override"))
        if is_date and isinstance(value, str) and re.fullmatch(r"[+-]\d+", value):
            value = (today() + timedelta(days=int(value))).isoformat()
        out[key] = value
    return out


def test_every_bad_input_is_refused_next_to_its_field_with_input_kept(client, enterprise):  # type: ignore[no-untyped-def]
    before = rows()
    for changes, field_id, message in BAD_INPUTS:
        data = good_case(**_relative_dates(changes))
        response = client.post("/cases/new", data=data)
        page = response.get_data(as_text=True)
        label = f"{changes} -> {field_id}"
        assert response.status_code == 200, label
        assert message in error_next_to(page, field_id), (label, error_next_to(page, field_id))
        assert "Please correct the following:" in page, label
        # what the user typed is still there
        if data.get("description") == DESCRIPTION:
            assert DESCRIPTION in page, label
        for name in ("counterparties-0-name_en", "counterparties-0-name_zh"):
            if len(data.get(name, "")) < 100 and data.get(name):
                assert f'value="{data[name]}"' in page, label
        assert 'value="7 O 1234/26"' in page, label
        assert rows() == before, label


def test_a_good_case_is_submitted_at_once(client, enterprise):  # type: ignore[no-untyped-def]
    response = client.post("/cases/new", data=good_case())
    assert response.status_code == 302, error_next_to(response.get_data(as_text=True), "title")
    case = the_case()
    assert case.status == "submitted" and case.submitted_at is not None
    assert case.reference == f"EM-{case.submitted_at.year}-{case.id:06d}"
    assert case.centre_id == enterprise.test_centre.id
    assert case.text_language == "zh"
    assert case.jurisdictions == ["DE"] and case.languages == ["zh", "en"]
    assert str(case.amount) == "12000000.00" and case.currency == "EUR"
    assert [(c.name_en, c.name_zh) for c in case.counterparties] == [
        ("Nordvik Telecom Oy", "诺德维克电信")]
    assert (case.deadline, case.deadline_rule) == (
        today() + timedelta(days=11), "de_civil_notice_of_defence")
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"case.draft_saved", "case.submitted", "case.routed"} <= actions
    note = db.session.scalar(select(Notification).where(Notification.kind == "case.submitted"))
    assert note.user_id == enterprise.test_coordinator.id
    assert note.params == {"ref": case.reference}
    expected_link = (urlsplit(url_for("coordinator.case_detail", case_id=case.id)).path
                     if "coordinator.case_detail" in current_app.view_functions else None)
    assert note.link == expected_link


def test_draft_then_edit_then_submit(client, enterprise):  # type: ignore[no-untyped-def]
    client.post("/cases/new", data=good_case(
        submit_case=None, save_draft="1", consent_share=None, consent_conflict_check=None))
    case = the_case()
    assert case.status == "draft"  # consents are not needed for a draft
    page = client.get(f"/cases/{case.id}/edit").get_data(as_text=True)
    assert "Nordvik Telecom Oy" in page and DESCRIPTION in page
    # submitting without the consents is refused and keeps the draft
    response = client.post(f"/cases/{case.id}/edit", data=good_case(
        consent_share=None, consent_conflict_check=None, title="LTE SEP, Munich (v2)"))
    assert response.status_code == 200
    assert "share the case" in error_next_to(response.get_data(as_text=True), "consent_share")
    db.session.refresh(case)
    assert (case.status, case.title) == ("draft", "LTE SEP injunction in Munich")
    response = client.post(f"/cases/{case.id}/edit", data=good_case(title="LTE SEP, Munich (v2)"))
    assert response.status_code == 302
    db.session.refresh(case)
    assert (case.status, case.title) == ("submitted", "LTE SEP, Munich (v2)")
    assert case.reference and case.centre_id == enterprise.test_centre.id


def test_submit_a_stored_draft_from_its_page(client, enterprise):  # type: ignore[no-untyped-def]
    client.post("/cases/new", data=good_case(
        submit_case=None, save_draft="1", dispute_type="", consent_share=None))
    case = the_case()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'action="/cases/{case.id}/submit"' in page
    response = client.post(f"/cases/{case.id}/submit")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Needed to submit the case." in error_next_to(page, "dispute_type")
    assert "share the case" in error_next_to(page, "consent_share")
    db.session.refresh(case)
    assert case.status == "draft"
    client.post(f"/cases/{case.id}/edit", data=good_case(submit_case=None, save_draft="1"))
    assert client.post(f"/cases/{case.id}/submit").status_code == 302
    db.session.refresh(case)
    assert case.status == "submitted" and case.reference


def test_add_another_counterparty_rerenders_with_one_more_row(client, enterprise):  # type: ignore[no-untyped-def]
    before = rows()
    data = good_case(submit_case=None, add_counterparty="1",
                     **{"counterparties-1-name_en": "Nordvik Licensing GmbH"})
    page = client.post("/cases/new", data=data).get_data(as_text=True)
    assert 'value="Nordvik Licensing GmbH"' in page and 'value="Nordvik Telecom Oy"' in page
    assert 'id="counterparties-2-name_en"' in page and "Counterparty 3" in page
    assert "Please correct" not in page
    assert rows() == before
    # both named rows are stored on saving; the empty third row is ignored
    data = {k: v for k, v in data.items() if k != "add_counterparty"}
    data["counterparties-2-name_en"] = ""
    client.post("/cases/new", data={**data, "save_draft": "1"})
    assert [c.name_en for c in the_case().counterparties] == [
        "Nordvik Telecom Oy", "Nordvik Licensing GmbH"]


def test_sep_details_are_dropped_for_other_dispute_types(client, enterprise):  # type: ignore[no-untyped-def]
    client.post("/cases/new", data=good_case(dispute_type="patent_infringement"))
    case = the_case()
    assert case.status == "submitted"
    assert (case.sep_standard, case.negotiation_stage) == (None, None)


# --- the deadline ---------------------------------------------------------------------------------


def test_the_computed_deadline_is_shown_with_its_basis(client, enterprise):  # type: ignore[no-untyped-def]
    served = today() - timedelta(days=2)
    client.post("/cases/new", data=good_case(
        submit_case=None, save_draft="1", dispute_type="itc337", jurisdictions=["USITC", "US"],
        forum="U.S. International Trade Commission (Section 337)",
        service_date=served.isoformat()))
    case = the_case()
    assert (case.deadline, case.deadline_rule, case.deadline_overridden) == (
        served + timedelta(days=20), "itc337_complaint", False)
    assert case.deadline_basis == "20 days after service (19 C.F.R. § 210.13(a))"
    for url in (f"/cases/{case.id}/edit", f"/cases/{case.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "20 days after service (19 C.F.R. § 210.13(a))" in page, url
        assert "Legal basis in full" in page


def test_a_deadline_within_seven_days_is_flagged(client, enterprise):  # type: ignore[no-untyped-def]
    served = today() - timedelta(days=10)
    client.post("/cases/new", data=good_case(service_date=served.isoformat()))
    case = the_case()
    assert case.deadline == today() + timedelta(days=4)
    for url in ("/cases/", f"/cases/{case.id}"):
        assert "Risk: deadline within 7 days" in client.get(url).get_data(as_text=True), url


def test_the_enterprise_may_override_the_deadline(client, enterprise):  # type: ignore[no-untyped-def]
    own = today() + timedelta(days=30)
    client.post("/cases/new", data=good_case(
        submit_case=None, save_draft="1", deadline_override=own.isoformat()))
    case = the_case()
    assert (case.deadline, case.deadline_overridden, case.deadline_rule) == (own, True, None)
    page = client.get(f"/cases/{case.id}/edit").get_data(as_text=True)
    assert "Set by the enterprise" in page and f'value="{own.isoformat()}"' in page
    # clearing the override brings back the computed deadline
    client.post(f"/cases/{case.id}/edit", data=good_case(submit_case=None, save_draft="1"))
    db.session.refresh(case)
    assert (case.deadline_overridden, case.deadline_rule) == (False, "de_civil_notice_of_defence")


def test_a_passed_computed_deadline_may_be_replaced_by_the_real_one(client, enterprise):  # type: ignore[no-untyped-def]
    served = (today() - timedelta(days=30)).isoformat()
    page = client.post("/cases/new", data=good_case(service_date=served)).get_data(as_text=True)
    message = error_next_to(page, "service_date")
    assert "has already passed" in message and "Your actual deadline" in message
    later = (today() + timedelta(days=5)).isoformat()
    response = client.post("/cases/new", data=good_case(service_date=served,
                                                        deadline_override=later))
    assert response.status_code == 302
    assert the_case().deadline_overridden


def test_a_rule_waiting_for_its_date_says_which_date(client, enterprise):  # type: ignore[no-untyped-def]
    client.post("/cases/new", data=good_case(
        submit_case=None, save_draft="1", dispute_type="ecommerce", jurisdictions=["US"],
        forum="N.D. Ill. (Schedule A)", service_date=""))
    page = client.get(f"/cases/{the_case().id}/edit").get_data(as_text=True)
    assert "Enter the TRO date to compute it." in page


# --- after submission -----------------------------------------------------------------------------


def test_a_submitted_case_cannot_be_edited(client, enterprise):  # type: ignore[no-untyped-def]
    case = factories.dispute_case(enterprise.organisation_id, title="Submitted one")
    response = client.get(f"/cases/{case.id}/edit")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    client.post(f"/cases/{case.id}/edit", data=good_case(title="Changed"))
    client.post(f"/cases/{case.id}/submit")
    db.session.refresh(case)
    assert case.title == "Submitted one"
    with pytest.raises(cases.CaseError):
        cases.update_draft(case, enterprise, cases.CaseData(title="Changed"))


def test_my_cases_lists_the_organisations_cases_only(client, enterprise, login):  # type: ignore[no-untyped-def]
    colleague = factories.user("enterprise", organisation_id=enterprise.organisation_id)
    mine = factories.dispute_case(enterprise.organisation_id, title="Our ITC case",
                                  reference="EM-2026-000901", created_by_id=colleague.id)
    other_org = factories.organisation()
    factories.dispute_case(other_org.id, title="Their secret case")
    page = client.get("/cases/").get_data(as_text=True)
    assert "Our ITC case" in page and "EM-2026-000901" in page and "Submitted" in page
    assert "Their secret case" not in page
    login(colleague)
    assert client.get(f"/cases/{mine.id}").status_code == 200


def test_another_organisations_case_is_404_on_every_route(client, enterprise):  # type: ignore[no-untyped-def]
    other_org = factories.organisation()
    submitted = factories.dispute_case(other_org.id)
    draft = factories.dispute_case(other_org.id, status="draft", reference=None)
    before = (rows(), db.session.scalar(select(func.count(CaseMessage.id))))
    for case in (submitted, draft):
        for method, url in (
            ("get", f"/cases/{case.id}"),
            ("get", f"/cases/{case.id}/edit"),
            ("post", f"/cases/{case.id}/edit"),
            ("post", f"/cases/{case.id}/submit"),
            ("post", f"/cases/{case.id}/messages"),
        ):
            data = good_case() if url.endswith("edit") else {"body": "hello"}
            response = getattr(client, method)(url, data=data if method == "post" else None)
            assert response.status_code == 404, (method, url)
    assert client.get("/cases/999999").status_code == 404
    assert (rows(), db.session.scalar(select(func.count(CaseMessage.id)))) == before
    db.session.refresh(draft)
    assert draft.status == "draft"


@pytest.mark.parametrize("role", ["expert", "coordinator"])
def test_other_roles_cannot_use_the_enterprise_pages(client, ctx, login, role):  # type: ignore[no-untyped-def]
    org = factories.organisation()
    case = factories.dispute_case(org.id)
    login(factories.user(role))
    for url in ("/cases/", "/cases/new", f"/cases/{case.id}", f"/cases/{case.id}/edit"):
        assert client.get(url).status_code == 403, url


# --- the case page --------------------------------------------------------------------------------


def test_case_page_shows_timeline_expert_and_outcome(client, enterprise):  # type: ignore[no-untyped-def]
    now = utcnow()
    case = factories.dispute_case(
        enterprise.organisation_id, status="assigned", triaged_at=now, matched_at=now,
        assigned_at=now, dispute_type="trademark", jurisdictions=["MX"],
        counterparties=[{"name_en": "Grupo Halcón", "name_zh": "哈尔孔集团", "counsel": "Bufete"}],
    )
    accepted = factories.expert_profile(
        full_name="Lucía Ortega", firm="Ortega IP", headline="MX TM"
    )
    proposed = factories.expert_profile(full_name="Not Accepted Yet")
    db.session.add_all([
        Assignment(case_id=case.id, expert_id=accepted.id, status="accepted"),
        Assignment(case_id=case.id, expert_id=proposed.id, status="proposed"),
    ])
    db.session.commit()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert re.search(r'<li class="current" aria-current="step">\s*Assigned', page)
    assert "(current step)" in page and "(done)" in page
    assert "Lucía Ortega" in page and "Ortega IP" in page and "MX TM" in page
    assert "Not Accepted Yet" not in page
    assert "Trademark squatting / opposition" in page and "Mexico" in page
    assert "哈尔孔集团" in page
    case.status, case.closed_at, case.outcome = "closed", now, "settled"
    db.session.commit()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Outcome" in page and "Settled" in page


def test_messages_between_enterprise_and_centre(client, enterprise):  # type: ignore[no-untyped-def]
    client.post("/cases/new", data=good_case())
    case = the_case()
    response = client.post(f"/cases/{case.id}/messages", data={"body": "  "})
    assert "Write a message first." in error_next_to(response.get_data(as_text=True), "body")
    assert db.session.scalar(select(func.count(CaseMessage.id))) == 0
    response = client.post(f"/cases/{case.id}/messages",
                           data={"body": "The hearing was moved to March."})
    assert response.status_code == 302
    note = db.session.scalar(select(Notification).where(Notification.kind == "case.message"))
    assert note.user_id == enterprise.test_coordinator.id
    # the coordinator answers (through the same service); the enterprise is notified
    cases.add_message(case, enterprise.test_coordinator, "Noted; we are ranking experts.")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "The hearing was moved to March." in page and "Noted; we are ranking experts." in page
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == "case.message", Notification.user_id == enterprise.id)) == 1


def test_no_messages_on_a_draft(client, enterprise):  # type: ignore[no-untyped-def]
    client.post("/cases/new", data={"title": "Draft", "save_draft": "1"})
    case = the_case()
    response = client.post(f"/cases/{case.id}/messages", data={"body": "hello"},
                           follow_redirects=True)
    assert "Submit the case first" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CaseMessage.id))) == 0


def test_landing_shows_open_cases_and_the_next_deadline(client, enterprise):  # type: ignore[no-untyped-def]
    soon = today() + timedelta(days=3)
    factories.dispute_case(enterprise.organisation_id, deadline=soon, reference="EM-2026-000777")
    factories.dispute_case(enterprise.organisation_id, deadline=today() + timedelta(days=40))
    factories.dispute_case(enterprise.organisation_id, status="draft", reference=None)
    page = client.get("/home").get_data(as_text=True)
    assert "Open cases: 2" in page and "Drafts not yet submitted: 1" in page
    assert "EM-2026-000777" in page and "Risk: deadline within 7 days" in page
    assert 'href="/cases/new"' in page


# --- the service keeps its transaction whole ------------------------------------------------------


def test_a_failure_while_submitting_writes_nothing(client, enterprise, monkeypatch):  # type: ignore[no-untyped-def]
    client.post("/cases/new", data=good_case(submit_case=None, save_draft="1"))
    case = the_case()
    before = rows()

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("routing table unreadable")

    monkeypatch.setattr(cases.routing, "route_case", broken)
    with pytest.raises(RuntimeError):
        cases.submit(case, enterprise)
    db.session.refresh(case)
    assert (case.status, case.reference, case.submitted_at) == ("draft", None, None)
    assert rows() == before


def test_odd_amounts_are_stored_in_cents(client, enterprise):  # type: ignore[no-untyped-def]
    client.post("/cases/new", data=good_case(amount="1e-999", submit_case=None, save_draft="1"))
    assert str(the_case().amount) == "0.00"
    client.post(f"/cases/{the_case().id}/edit",
                data=good_case(amount="1234.565", submit_case=None, save_draft="1"))
    db.session.expire_all()
    assert str(the_case().amount) == "1234.57"


def test_trade_secret_cases_are_confidential_unless_the_enterprise_chooses(client, enterprise):  # type: ignore[no-untyped-def]
    data = good_case(dispute_type="trade_secret", confidentiality=None)
    client.post("/cases/new", data=data)
    assert the_case().confidentiality == "confidential"
