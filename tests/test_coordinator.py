"""The coordinator's journey: queue by urgency, case page with ranking, proposals, closing,
audit log — and who may see and do what (centre scoping, read-only network staff)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from expertmatch.extensions import db
from expertmatch.models import (
    Assignment,
    AuditEvent,
    CaseMessage,
    DisputeCase,
    ExpertProfile,
    Notification,
    PastMatter,
    User,
    utcnow,
)
from expertmatch.services import audit, matching
from tests import factories
from tests.conftest import make_app

TODAY = date.today()


def count(model, *conditions) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def flashes(response) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r'<p class="flash[^"]*">(.*?)</p>', text_of(response), re.S)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):  # type: ignore[no-untyped-def]
    """Accounts here only need to sign in: a cheap hash keeps this module fast
    (password rules and hashing are tested in test_auth)."""

    def set_password(user: User, password: str) -> None:
        user.password_hash = generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(User, "set_password", set_password)


@pytest.fixture
def world(ctx):  # type: ignore[no-untyped-def]
    """Two centres, a coordinator at each, network staff, an admin and an enterprise."""
    centre_a = factories.centre(name_en="Shenzhen centre")
    centre_b = factories.centre(name_en="Ningbo centre")
    return SimpleNamespace(
        centre_a=centre_a,
        centre_b=centre_b,
        coordinator=factories.user("coordinator", centre_id=centre_a.id),
        other_coordinator=factories.user("coordinator", centre_id=centre_b.id),
        network=factories.user("network"),
        admin=factories.user("admin"),
        org=factories.organisation(),
    )


def case_at(world, centre=None, **kw) -> DisputeCase:  # type: ignore[no-untyped-def]
    return factories.dispute_case(
        world.org.id, centre_id=(centre or world.centre_a).id, **kw
    )


def proposal(case, expert, hours_ago: float = 0, status: str = "proposed") -> Assignment:  # type: ignore[no-untyped-def]
    row = Assignment(
        case_id=case.id, expert_id=expert.id, status=status,
        proposed_at=utcnow() - timedelta(hours=hours_ago),
    )
    db.session.add(row)
    db.session.commit()
    return row


def expert_account():  # type: ignore[no-untyped-def]
    """An expert who can sign in (and so receives notifications)."""
    user = factories.user("expert")
    profile = db.session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))
    profile.dispute_types = ["sep_frand"]
    profile.matters.append(
        PastMatter(title="LTE SEP injunction, Regional Court Munich I",
                   summary="Defended a handset maker against an LTE SEP injunction; FRAND.",
                   year=2024, jurisdiction="DE", dispute_type="sep_frand")
    )
    db.session.commit()
    return user, profile


def best_text_shown(case: DisputeCase, expert: ExpertProfile) -> str:
    """What the page must show as the expert's best matching text, per the engine.
    (The test encoder is not semantic: which text wins is the engine's business.)"""
    ranked = {r.expert.id: r for r in matching.rank_case(case, 0).ranked}
    best = ranked[expert.id].explanation["best_text"]
    return "the profile text" if best["key"] == "profile" else best["title"]


# -- the queue ---------------------------------------------------------------------------------


def test_queue_orders_by_deadline_then_submission_with_risk_flags(client, world, login):  # type: ignore[no-untyped-def]
    now = utcnow()
    far = case_at(world, reference="EM-FAR", deadline=TODAY + timedelta(days=20))
    soon_late = case_at(world, reference="EM-SOON-B", deadline=TODAY + timedelta(days=3),
                        submitted_at=now - timedelta(hours=1))
    soon_early = case_at(world, reference="EM-SOON-A", deadline=TODAY + timedelta(days=3),
                         submitted_at=now - timedelta(days=2))
    overdue = case_at(world, reference="EM-OVERDUE", deadline=TODAY - timedelta(days=2))
    undated = case_at(world, reference="EM-UNDATED", deadline=None,
                      submitted_at=now - timedelta(days=30))
    case_at(world, reference="EM-CLOSED", status="closed", closed_at=now)
    case_at(world, reference="EM-DRAFT", status="draft")
    login(world.coordinator)

    page = text_of(client.get("/coordinator/"))

    order = [m for m in re.findall(r">(EM-[A-Z-]+)</a></th>", page)]
    assert order == [r.reference for r in (overdue, soon_early, soon_late, far, undated)]
    assert "Overdue by 2 days" in page
    assert page.count("Deadline risk: 3 days left") == 2
    row_far = page[page.index("EM-FAR"):page.index("EM-UNDATED")]
    assert "Deadline risk" not in row_far and "Overdue" not in row_far
    assert "EM-CLOSED" not in page and "EM-DRAFT" not in page

    closed = text_of(client.get("/coordinator/?status=closed"))
    assert "EM-CLOSED" in closed and "EM-FAR" not in closed


def test_queue_filters_and_refuses_unknown_values(client, world, login):  # type: ignore[no-untyped-def]
    case_at(world, reference="EM-SEP-DE", dispute_type="sep_frand", jurisdictions=["US", "DE"],
            industry="telecom")
    case_at(world, reference="EM-TM-BR", dispute_type="trademark", jurisdictions=["BR"],
            industry="consumer_goods", status="triaged")
    login(world.coordinator)

    def shown(query: str) -> set[str]:
        page = text_of(client.get(f"/coordinator/?{query}"))
        return set(re.findall(r">(EM-[A-Z-]+)</a></th>", page))

    assert shown("") == {"EM-SEP-DE", "EM-TM-BR"}
    assert shown("dispute_type=trademark") == {"EM-TM-BR"}
    assert shown("jurisdiction=DE") == {"EM-SEP-DE"}
    assert shown("jurisdiction=BR&industry=consumer_goods") == {"EM-TM-BR"}
    assert shown("industry=telecom&status=triaged") == set()
    assert shown("status=triaged") == {"EM-TM-BR"}

    response = client.get("/coordinator/?jurisdiction=XX%25&status=submitted")
    page = text_of(response)
    assert response.status_code == 200
    assert "Choose one of the listed options." in page
    # The bad filter is ignored, the good one applies.
    assert set(re.findall(r">(EM-[A-Z-]+)</a></th>", page)) == {"EM-SEP-DE"}
    assert '<label for="jurisdiction">Jurisdiction</label>' in page


def test_queue_is_scoped_to_the_centre(client, world, login):  # type: ignore[no-untyped-def]
    case_at(world, reference="EM-MINE")
    case_at(world, world.centre_b, reference="EM-THEIRS")
    login(world.coordinator)
    page = text_of(client.get("/coordinator/"))
    assert "EM-MINE" in page and "EM-THEIRS" not in page
    assert "EM-THEIRS" not in text_of(client.get("/coordinator/?status=submitted"))

    login(world.network)
    page = text_of(client.get("/coordinator/"))
    assert "EM-MINE" in page and "EM-THEIRS" in page


def test_unanswered_proposals_are_flagged_for_rerouting(client, world, login):  # type: ignore[no-untyped-def]
    expert = factories.expert_profile()
    calm = case_at(world, reference="EM-CALM", deadline=TODAY + timedelta(days=30))
    urgent = case_at(world, reference="EM-URGENT", deadline=TODAY + timedelta(days=2))
    fresh = case_at(world, reference="EM-FRESH", deadline=TODAY + timedelta(days=30))
    proposal(calm, expert, hours_ago=80)  # past the 72 hours
    proposal(urgent, expert, hours_ago=30)  # past the 24 hours of an urgent case
    proposal(fresh, expert, hours_ago=30)  # within the 72 hours
    login(world.coordinator)

    page = text_of(client.get("/coordinator/"))
    rows = {ref: row for ref, row in re.findall(r">(EM-[A-Z]+)</a></th>(.*?)</tr>", page, re.S)}
    assert "Needs re-routing" in rows["EM-CALM"]
    assert "Needs re-routing" in rows["EM-URGENT"]
    assert "Needs re-routing" not in rows["EM-FRESH"]

    case_page = text_of(client.get(f"/coordinator/cases/{calm.id}"))
    assert "Needs re-routing" in case_page
    assert "no answer for more than 72 hours" in case_page
    assert "Needs re-routing" not in text_of(client.get(f"/coordinator/cases/{fresh.id}"))

    landing = text_of(client.get("/home"))
    assert "2 proposals have had no answer in time" in landing
    assert "2 new cases need triage" not in landing  # three are new
    assert "3 new cases need triage" in landing


# -- scoping and roles -------------------------------------------------------------------------


def _case_routes(case_id: int, assignment_id: int, expert_ids: list[int]) -> list[tuple[str, str]]:
    experts = "&".join(f"expert={i}" for i in expert_ids)
    return [
        ("get", f"/coordinator/cases/{case_id}"),
        ("get", f"/coordinator/cases/{case_id}/compare?{experts}"),
        ("get", f"/coordinator/audit?case={case_id}"),
        ("post", f"/coordinator/cases/{case_id}/propose"),
        ("post", f"/coordinator/cases/{case_id}/assignments/{assignment_id}/withdraw"),
        ("post", f"/coordinator/cases/{case_id}/triage"),
        ("post", f"/coordinator/cases/{case_id}/start"),
        ("post", f"/coordinator/cases/{case_id}/close"),
        ("post", f"/coordinator/cases/{case_id}/messages"),
    ]


def test_another_centres_case_is_404_on_every_route(client, world, login):  # type: ignore[no-untyped-def]
    experts = [factories.expert_profile(), factories.expert_profile()]
    theirs = case_at(world, world.centre_b)
    their_proposal = proposal(theirs, experts[0])
    not_login = AuditEvent.action != "user.login"
    before = count(Assignment), count(AuditEvent, not_login)
    login(world.coordinator)
    for method, url in _case_routes(theirs.id, their_proposal.id, [e.id for e in experts]):
        data = {"experts": [experts[1].id], "outcome": "settled", "version": theirs.version,
                "body": "hello"}
        response = client.post(url, data=data) if method == "post" else client.get(url)
        assert response.status_code == 404, url
    assert "EM-" not in text_of(client.get("/coordinator/?status=submitted")).split("<main")[1]
    db.session.expire_all()
    assert (count(Assignment), count(AuditEvent, not_login)) == before
    assert theirs.status == "submitted" and count(CaseMessage) == 0


def test_an_assignment_of_another_case_is_404(client, world, login):  # type: ignore[no-untyped-def]
    expert = factories.expert_profile()
    mine, other = case_at(world), case_at(world)
    row = proposal(other, expert)
    login(world.coordinator)
    response = client.post(f"/coordinator/cases/{mine.id}/assignments/{row.id}/withdraw")
    assert response.status_code == 404
    db.session.refresh(row)
    assert row.status == "proposed"


def test_network_staff_read_but_cannot_act(client, world, login):  # type: ignore[no-untyped-def]
    experts = [factories.expert_profile(), factories.expert_profile()]
    case = case_at(world)
    row = proposal(case, experts[0])
    login(world.network)
    assert client.get("/coordinator/").status_code == 200
    page = client.get(f"/coordinator/cases/{case.id}")
    assert page.status_code == 200
    assert "You can read this case but not act on it" in text_of(page)
    assert f'action="/coordinator/cases/{case.id}/propose"' not in text_of(page)
    assert client.get("/coordinator/audit").status_code == 200
    for method, url in _case_routes(case.id, row.id, [e.id for e in experts]):
        if method == "post":
            response = client.post(url, data={"experts": [experts[1].id], "outcome": "settled",
                                              "version": case.version, "body": "hi"})
            assert response.status_code == 403, url
    db.session.refresh(row)
    db.session.refresh(case)
    assert row.status == "proposed" and case.status == "submitted"
    assert count(Assignment) == 1


def test_other_roles_are_refused(client, world, login):  # type: ignore[no-untyped-def]
    case = case_at(world)
    for role in ("enterprise", "expert"):
        login(factories.user(role))
        assert client.get("/coordinator/").status_code == 403
        assert client.get(f"/coordinator/cases/{case.id}").status_code == 403
        assert client.get("/coordinator/audit").status_code == 403
        assert client.post(f"/coordinator/cases/{case.id}/triage").status_code == 403


def test_anonymous_is_sent_to_login(client, world):  # type: ignore[no-untyped-def]
    response = client.get("/coordinator/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_post_without_csrf_token_changes_nothing(database_url):  # type: ignore[no-untyped-def]
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.drop_all()
        db.create_all()
        centre = factories.centre()
        coordinator = factories.user("coordinator", centre_id=centre.id)
        case = factories.dispute_case(factories.organisation().id, centre_id=centre.id)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(coordinator.id)
            session["_fresh"] = True
        response = client.post(f"/coordinator/cases/{case.id}/triage",
                               data={"version": case.version})
        assert response.status_code == 400
        db.session.refresh(case)
        assert case.status == "submitted"
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


# -- the case page and the ranking -------------------------------------------------------------


def test_case_page_shows_the_case_ranking_and_exclusions(client, world, login):  # type: ignore[no-untyped-def]
    _user, good = expert_account()
    conflicted = factories.expert_profile(
        full_name="Conflicted Counsel",
        conflicts=[{"entity_name": "Nordvik Telecom Oy", "relation": "client"}],
    )
    absent = factories.expert_profile(full_name="Away Expert", availability="absent",
                                      absent_until=TODAY + timedelta(days=60))
    case = case_at(world, forum="Regional Court Munich I", docket_number="7 O 1234/25",
                   deadline=TODAY + timedelta(days=4), amount=Decimal("2500000"), currency="EUR",
                   counterparties=[{"name_en": "Nordvik Telecom Oy", "name_zh": "诺德维克电信",
                                    "counsel": "Hartmann & Stein"}])
    login(world.coordinator)

    page = text_of(client.get(f"/coordinator/cases/{case.id}"))

    for expected in ("Regional Court Munich I", "7 O 1234/25", "SEP / FRAND", "Germany",
                     "诺德维克电信", "Hartmann &amp; Stein", "Deadline risk: 4 days left",
                     "€2,500,000.00"):
        assert expected in page, expected
    ranking = page[page.index('id="ranking"'):]
    assert good.full_name in ranking
    assert f"Best match:\n          {best_text_shown(case, good)}" in ranking.replace(
        "<q>", "").replace("</q>", "")
    assert "Shared terms:" in ranking and "0 of 3 cases" in ranking
    excluded = ranking[ranking.index("<details"):ranking.index("</details>")]
    assert conflicted.full_name in excluded
    assert "Declared conflict with Nordvik Telecom Oy" in excluded
    assert absent.full_name in excluded and "Absent until" in excluded
    assert "language model is unavailable" not in page


def test_more_experts_on_request(client, world, login):  # type: ignore[no-untyped-def]
    for _ in range(12):
        factories.expert_profile()
    case = case_at(world)
    login(world.coordinator)

    def shown(query: str = "") -> int:
        page = text_of(client.get(f"/coordinator/cases/{case.id}{query}"))
        return page.count('name="experts" value=')

    assert shown() == 10
    assert shown("?top=all") == 12
    assert shown("?top=nonsense") == 10


def test_degraded_ranking_shows_a_banner(database_url):  # type: ignore[no-untyped-def]
    app = make_app(database_url, EMBEDDING_MODEL="/nonexistent/model-folder")
    with app.app_context():
        db.drop_all()
        db.create_all()
        centre = factories.centre()
        coordinator = factories.user("coordinator", centre_id=centre.id)
        expert = factories.expert_profile(dispute_types=["sep_frand"])
        case = factories.dispute_case(factories.organisation().id, centre_id=centre.id)
        client = app.test_client()
        client.post("/auth/login", data={"email": coordinator.email,
                                         "password": factories.PASSWORD})
        page = text_of(client.get(f"/coordinator/cases/{case.id}"))
        assert "The language model is unavailable" in page
        assert expert.full_name in page
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def test_viewing_a_confidential_case_is_audited(client, world, login):  # type: ignore[no-untyped-def]
    case = case_at(world, confidentiality="confidential")
    open_case = case_at(world)
    login(world.coordinator)
    client.get(f"/coordinator/cases/{case.id}")
    client.get(f"/coordinator/cases/{open_case.id}")
    views = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.viewed")).all()
    assert [(v.object_id, v.actor_id) for v in views] == [(case.id, world.coordinator.id)]


# -- proposing ---------------------------------------------------------------------------------


def test_propose_stores_assignment_with_explanation_audit_and_notification(client, world, login):  # type: ignore[no-untyped-def]
    expert_user, expert = expert_account()
    case = case_at(world)
    login(world.coordinator)

    response = client.post(
        f"/coordinator/cases/{case.id}/propose",
        data={"experts": [expert.id], "note": "Urgent: answer by Friday.", "top": "10"},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert any("Proposed: " + expert.full_name in f for f in flashes(response))
    row = db.session.scalar(select(Assignment).where(Assignment.case_id == case.id))
    assert row.expert_id == expert.id and row.status == "proposed"
    assert row.proposed_by_id == world.coordinator.id
    assert row.note == "Urgent: answer by Friday."
    assert row.score is not None
    explanation = matching.rank_case(case, 10).ranked[0].explanation
    assert row.reasons["best_text"] == explanation["best_text"]
    assert row.reasons["matched"]["jurisdictions"] == ["DE"]
    assert row.reasons["rank"] == 1 and row.reasons["shared_terms"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "assignment.proposed"))
    assert event.object_id == row.id and event.centre_id == world.centre_a.id
    note = db.session.scalar(select(Notification).where(Notification.user_id == expert_user.id))
    assert note.kind == "proposal.new"
    db.session.refresh(case)
    assert case.status == "matched"


def test_capacity_refusal_is_reported_and_others_are_still_proposed(client, world, login):  # type: ignore[no-untyped-def]
    free = factories.expert_profile(full_name="Free Expert")
    full = factories.expert_profile(full_name="Busy Expert", capacity=1)
    case = case_at(world)
    login(world.coordinator)
    page = text_of(client.get(f"/coordinator/cases/{case.id}"))
    assert f'name="experts" value="{full.id}"' in page
    # Between the page and the click, another centre fills the busy expert's only slot.
    proposal(case_at(world, world.centre_b), full)

    response = client.post(
        f"/coordinator/cases/{case.id}/propose",
        data={"experts": [full.id, free.id], "top": "10"}, follow_redirects=True,
    )

    messages = flashes(response)
    assert any("Busy Expert was not proposed" in m and "capacity" in m for m in messages)
    assert any("Proposed: Free Expert" in m for m in messages)
    live = db.session.scalars(select(Assignment.expert_id).where(Assignment.case_id == case.id))
    assert list(live) == [free.id]


BAD_PROPOSALS = [
    ({"note": "Nobody ticked"}, "Select at least one expert to propose."),
    ({"experts": ["999999"]}, "One of the selected experts does not exist any more."),
    ({"experts": "EXPERT", "note": "x" * 2001}, "Field cannot be longer than 2000 characters."),
    ({"experts": "EXPERT", "note": "bad\x00byte"}, "characters that are not allowed"),
]


def test_bad_proposals_show_a_message_and_write_nothing(client, world, login):  # type: ignore[no-untyped-def]
    expert = factories.expert_profile()
    case = case_at(world)
    login(world.coordinator)
    before = count(Assignment), count(AuditEvent)
    for data, message in BAD_PROPOSALS:
        if data.get("experts") == "EXPERT":
            data = {**data, "experts": [expert.id]}

        response = client.post(f"/coordinator/cases/{case.id}/propose",
                               data={**data, "top": "10"})

        assert response.status_code == 200
        page = text_of(response)
        assert message in page, message
        assert "Please correct the following:" in page
        if "note" in data and "\x00" not in data["note"]:
            assert data["note"][:50] in page  # the note is kept
        if data.get("experts") == [expert.id]:
            assert f'value="{expert.id}" id="propose-{expert.id}" checked' in page
        assert (count(Assignment), count(AuditEvent)) == before


def test_withdraw_frees_the_slot_and_is_audited(client, world, login):  # type: ignore[no-untyped-def]
    expert_user, expert = expert_account()
    case = case_at(world)
    login(world.coordinator)
    client.post(f"/coordinator/cases/{case.id}/propose", data={"experts": [expert.id]})
    row = db.session.scalar(select(Assignment).where(Assignment.case_id == case.id))

    response = client.post(
        f"/coordinator/cases/{case.id}/assignments/{row.id}/withdraw", follow_redirects=True
    )

    assert any("is withdrawn" in m for m in flashes(response))
    db.session.expire_all()
    assert row.status == "withdrawn" and row.withdrawn_at is not None
    assert case.status == "triaged"
    assert count(AuditEvent, AuditEvent.action == "assignment.withdrawn") == 1
    assert count(Notification, Notification.user_id == expert_user.id,
                 Notification.kind == "proposal.withdrawn") == 1
    # A second click is refused with a reason, not a crash.
    again = client.post(
        f"/coordinator/cases/{case.id}/assignments/{row.id}/withdraw", follow_redirects=True
    )
    assert any("no longer open" in m for m in flashes(again))


# -- status steps and closing ------------------------------------------------------------------


def test_triage_and_stale_page(client, world, login):  # type: ignore[no-untyped-def]
    case = case_at(world)
    seen = case.version
    login(world.coordinator)
    page = text_of(client.get(f"/coordinator/cases/{case.id}"))
    assert "Mark as triaged" in page

    response = client.post(f"/coordinator/cases/{case.id}/triage", data={"version": seen},
                           follow_redirects=True)
    assert any("triaged" in m for m in flashes(response))
    db.session.refresh(case)
    assert case.status == "triaged" and case.triaged_at is not None
    assert count(AuditEvent, AuditEvent.action == "case.status") == 1

    # A page opened before that change cannot triage or close on stale information.
    stale = client.post(f"/coordinator/cases/{case.id}/close",
                        data={"version": seen, "outcome": "settled"}, follow_redirects=True)
    assert any("Someone else changed this case" in m for m in flashes(stale))
    db.session.refresh(case)
    assert case.status == "triaged"

    # Starting work needs an accepted expert first.
    refused = client.post(f"/coordinator/cases/{case.id}/start", data={"version": case.version},
                          follow_redirects=True)
    assert any("not possible now" in m for m in flashes(refused))


def test_mark_in_progress_after_acceptance(client, world, login):  # type: ignore[no-untyped-def]
    case = case_at(world, status="assigned")
    proposal(case, factories.expert_profile(), status="accepted")
    login(world.coordinator)
    assert "Mark as in progress" in text_of(client.get(f"/coordinator/cases/{case.id}"))
    client.post(f"/coordinator/cases/{case.id}/start", data={"version": case.version})
    db.session.refresh(case)
    assert case.status == "in_progress"


def test_close_with_outcome_keeps_every_row(client, world, login):  # type: ignore[no-untyped-def]
    case = case_at(world, status="assigned", currency="USD")
    accepted = proposal(case, factories.expert_profile(), status="accepted")
    pending = proposal(case, factories.expert_profile())
    declined = proposal(case, factories.expert_profile(), status="declined")
    before = count(Assignment), count(DisputeCase)
    login(world.coordinator)

    response = client.post(
        f"/coordinator/cases/{case.id}/close",
        data={"version": case.version, "outcome": "settled", "amount_recovered": "1,250,000.50"},
        follow_redirects=True,
    )

    assert any("closed as: Settled" in m for m in flashes(response))
    db.session.expire_all()
    assert (count(Assignment), count(DisputeCase)) == before
    assert case.status == "closed" and case.outcome == "settled"
    assert case.amount_recovered == Decimal("1250000.50")
    assert (accepted.status, pending.status, declined.status) == ("completed", "withdrawn",
                                                                  "declined")
    assert count(AuditEvent, AuditEvent.action == "case.closed") == 1
    page = text_of(response)
    assert "$1,250,000.50" in page
    assert f'action="/coordinator/cases/{case.id}/close"' not in page


BAD_CLOSINGS = [
    ({"outcome": ""}, "Choose the outcome."),
    ({"outcome": "won_big"}, "Choose one of the listed options."),
    ({"outcome": "resolved", "amount_recovered": "-5"}, "cannot be negative"),
    ({"outcome": "resolved", "amount_recovered": "12345678901234567"}, "too large"),
    ({"outcome": "resolved", "amount_recovered": "1e30"}, "too large"),
    ({"outcome": "resolved", "amount_recovered": "10.505"}, "at most two decimal places"),
    ({"outcome": "resolved", "amount_recovered": "lots"}, "Enter the amount as a number"),
    ({"outcome": "resolved", "amount_recovered": "NaN"}, "Enter the amount as a number"),
]


def test_close_refuses_bad_input_and_keeps_it(client, world, login):  # type: ignore[no-untyped-def]
    case = case_at(world)
    proposal(case, factories.expert_profile())
    login(world.coordinator)
    before = count(AuditEvent)
    for data, message in BAD_CLOSINGS:
        response = client.post(f"/coordinator/cases/{case.id}/close",
                               data={"version": case.version, **data})

        page = text_of(response)
        assert response.status_code == 200
        assert message in page, message
        if data.get("amount_recovered"):
            assert f'value="{data["amount_recovered"]}"' in page
        db.session.refresh(case)
        assert case.status == "submitted" and case.outcome is None
        assert count(AuditEvent) == before
        assert db.session.scalar(select(Assignment.status)) == "proposed"


def test_largest_amount_that_fits_is_accepted(client, world, login):  # type: ignore[no-untyped-def]
    case = case_at(world)
    login(world.coordinator)
    client.post(f"/coordinator/cases/{case.id}/close",
                data={"version": case.version, "outcome": "resolved",
                      "amount_recovered": "9999999999999999.99"})
    db.session.refresh(case)
    assert case.status == "closed"
    if db.engine.dialect.name == "postgresql":  # SQLite keeps NUMERIC as a float
        assert case.amount_recovered == Decimal("9999999999999999.99")


# -- messages ----------------------------------------------------------------------------------


def test_coordinator_writes_to_the_enterprise(client, world, login):  # type: ignore[no-untyped-def]
    case = case_at(world)
    login(world.coordinator)
    response = client.post(f"/coordinator/cases/{case.id}/messages",
                           data={"body": "Please send the complaint."}, follow_redirects=True)
    assert "Please send the complaint." in text_of(response)
    assert count(CaseMessage) == 1

    empty = client.post(f"/coordinator/cases/{case.id}/messages", data={"body": "   "})
    assert "Write a message before sending it." in text_of(empty)
    assert count(CaseMessage) == 1


# -- comparing ---------------------------------------------------------------------------------


def test_compare_two_to_four_experts(client, world, login):  # type: ignore[no-untyped-def]
    _user, a = expert_account()
    b = factories.expert_profile(full_name="Second Expert", years_experience=12,
                                 rapid_response=True, languages=["de", "en"])
    others = [factories.expert_profile() for _ in range(3)]
    case = case_at(world)
    login(world.network)  # comparing is reading: network staff may do it
    base = f"/coordinator/cases/{case.id}/compare"

    page = text_of(client.get(f"{base}?expert={a.id}&expert={b.id}"))
    assert a.full_name in page and "Second Expert" in page
    assert best_text_shown(case, a) in page and best_text_shown(case, b) in page
    assert "Can act within 48 hours" in page and "German" in page and "12" in page
    assert "0 of 3 cases" in page

    one = client.get(f"{base}?expert={a.id}", follow_redirects=True)
    assert any("Select two to four experts to compare (you selected 1)" in m for m in flashes(one))
    five = "&".join(f"expert={e.id}" for e in [a, b, *others])
    too_many = client.get(f"{base}?{five}", follow_redirects=True)
    assert any("you selected 5" in m for m in flashes(too_many))
    same = client.get(f"{base}?expert={a.id}&expert={a.id}&expert=x", follow_redirects=True)
    assert any("you selected 1" in m for m in flashes(same))
    assert client.get(f"{base}?expert={a.id}&expert=999999").status_code == 404


# -- the audit log -----------------------------------------------------------------------------


def test_audit_log_is_scoped_and_filtered(client, world, login):  # type: ignore[no-untyped-def]
    mine = case_at(world, reference="EM-MINE")
    theirs = case_at(world, world.centre_b, reference="EM-THEIRS")
    audit.record(world.other_coordinator, "case.status", "case", mine.id,
                 {"from": "submitted", "to": "triaged"}, centre_id=world.centre_a.id)
    audit.record(world.other_coordinator, "case.closed", "case", theirs.id,
                 {"outcome": "lost"}, centre_id=world.centre_b.id)
    audit.record(world.coordinator, "invitation.created", "invitation", 7,
                 {"email": "new.expert@example.com"}, centre_id=None)
    db.session.commit()

    login(world.coordinator)
    page = text_of(client.get("/coordinator/audit"))
    assert "Changed a case&#39;s status" in page and "Submitted" in page and "Triaged" in page
    assert f'href="/coordinator/cases/{mine.id}"' in page
    assert "Invited an expert" in page  # their own event
    assert "Closed a case" not in page and "EM-THEIRS" not in page

    only = text_of(client.get("/coordinator/audit?action=invitation.created"))
    assert "Invited an expert" in only and "Changed a case" not in only.split("<tbody>")[1]
    by_case = text_of(client.get(f"/coordinator/audit?case={mine.id}"))
    assert "Changed a case&#39;s status" in by_case and "Invited an expert" not in by_case.split(
        "<tbody>")[1]
    assert client.get(f"/coordinator/audit?case={theirs.id}").status_code == 404
    assert "Enter the case number in digits" in text_of(client.get("/coordinator/audit?case=abc"))

    login(world.network)
    page = text_of(client.get("/coordinator/audit"))
    assert "Closed a case" in page and "Lost" in page and "Invited an expert" in page


def test_audit_log_pages_by_fifty(client, world, login):  # type: ignore[no-untyped-def]
    case = case_at(world)
    for _ in range(55):
        audit.record(world.coordinator, "case.viewed", "case", case.id, centre_id=world.centre_a.id)
    db.session.commit()
    login(world.coordinator)
    first = text_of(client.get("/coordinator/audit?action=case.viewed"))
    assert first.count("Viewed a confidential case</td>") == 50
    assert "Page 1 of 2" in first and "action=case.viewed" in first
    second = text_of(client.get("/coordinator/audit?action=case.viewed&page=2"))
    assert second.count("Viewed a confidential case</td>") == 5


# -- landing pages -----------------------------------------------------------------------------


def test_landing_pages_summarise_the_queue(client, world, login):  # type: ignore[no-untyped-def]
    case_at(world, deadline=TODAY + timedelta(days=2))
    case_at(world, deadline=TODAY - timedelta(days=1), status="triaged")
    case_at(world, world.centre_b)
    login(world.coordinator)
    page = text_of(client.get("/home"))
    assert "1 new case needs triage" in page
    assert "1 case is past its deadline" in page
    assert "1 case has its deadline within 7 days" in page
    assert 'href="/coordinator/"' in page and 'href="/coordinator/audit"' in page

    login(world.network)
    page = text_of(client.get("/home"))
    assert "2 new cases waiting for triage across the network" in page
    login(world.admin)
    assert 'href="/coordinator/audit"' in text_of(client.get("/home"))
