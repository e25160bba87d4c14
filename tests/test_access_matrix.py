"""Every route x every role (and anonymous): the status a user gets.

The routes come from the app's URL map, so a new route without an entry in
``MATRIX`` fails ``test_every_route_is_in_the_matrix``. Object routes are called
with ids of objects that belong to *another* enterprise, expert or centre, so the
expected answer for a role that may use the route but does not own the object is 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from expertmatch.extensions import db
from expertmatch.models import AssignmentPlan, AuditEvent, Job
from expertmatch.services import assignments
from tests import factories

ACTORS = (
    "anonymous",
    "enterprise",
    "expert",
    "coordinator",
    "network",
    "admin",
)
ALL_SIGNED_IN = ACTORS[1:]


@dataclass
class World:
    """Rows for one run: the acting users, and objects that belong to others."""

    users: dict  # actor -> User (valid inside the app context that made it)
    emails: dict  # actor -> email, for signing in from outside that context
    ids: dict


def _world() -> World:
    centre_a, centre_b = factories.centre(code="A"), factories.centre(code="B")
    users = {
        "enterprise": factories.user("enterprise"),
        "expert": factories.user("expert"),
        "coordinator": factories.user("coordinator", centre_id=centre_a.id),
        "network": factories.user("network"),
        "admin": factories.user("admin"),
    }
    # Everything below belongs to someone else than the acting users.
    other_org = factories.organisation()
    other_coordinator = factories.user("coordinator", centre_id=centre_b.id)
    foreign_case = factories.dispute_case(other_org.id, centre_id=centre_b.id)
    foreign_draft = factories.dispute_case(other_org.id, status="draft")
    other_expert = factories.expert_profile(
        matters=[{"title": "Someone else's matter", "summary": "x"}],
        conflicts=[{"entity_name": "Someone Else Ltd", "relation": "client"}],
    )
    foreign_assignment = assignments.propose(foreign_case, other_expert, other_coordinator)
    event = AuditEvent(
        actor_id=other_coordinator.id,
        action="experts.imported",
        object_type="import",
        centre_id=centre_b.id,
        detail={"expert_ids": []},
    )
    db.session.add(event)
    job = Job(kind="reindex", state="done", centre_id=centre_b.id,
              started_by_id=other_coordinator.id)
    db.session.add(job)
    plan = AssignmentPlan(kind="batch", state="discarded", created_by_id=other_coordinator.id,
                          centre_id=centre_b.id, options={"case_ids": [foreign_case.id]})
    db.session.add(plan)
    db.session.commit()
    ids = {
        "case_id": foreign_case.id,
        "draft_id": foreign_draft.id,
        "assignment_id": foreign_assignment.id,
        "matter_id": other_expert.matters[0].id,
        "conflict_id": other_expert.conflicts[0].id,
        "expert_id": other_expert.id,
        "event_id": event.id,
        "job_id": job.id,
        "plan_id": plan.id,
    }
    return World(users, {actor: u.email for actor, u in users.items()}, ids)


def expect(
    allowed: tuple[str, ...],
    *,
    ok: int = 200,
    foreign: int | None = None,
    anonymous: int = 302,
    others: int = 403,
) -> dict[str, int]:
    """Statuses by actor: ``ok`` for allowed roles (``foreign`` when the object is
    someone else's), ``others`` for the rest, a redirect to sign-in for anonymous."""
    table = {actor: others for actor in ALL_SIGNED_IN}
    table["anonymous"] = anonymous
    for role in allowed:
        table[role] = foreign if foreign is not None else ok
    return table


COORD = ("coordinator", "network", "admin")
COORD_ACT = ("coordinator", "admin")
PUBLIC = dict.fromkeys(ACTORS, 200)

# endpoint -> (method, url builder, expected statuses by actor)
MATRIX: dict[str, tuple[str, str, dict[str, int]]] = {
    "main.index": ("GET", "/", {**PUBLIC, **dict.fromkeys(ALL_SIGNED_IN, 302)}),
    "main.health": ("GET", "/health", PUBLIC),
    "main.landing": ("GET", "/home", expect(ALL_SIGNED_IN)),
    "main.notifications": ("GET", "/notifications", expect(ALL_SIGNED_IN)),
    "main.mark_notifications_read": ("POST", "/notifications/read", expect(ALL_SIGNED_IN, ok=302)),
    "main.set_language": ("POST", "/language", dict.fromkeys(ACTORS, 400)),
    "auth.login": ("GET", "/auth/login", {**PUBLIC, **dict.fromkeys(ALL_SIGNED_IN, 302)}),
    "auth.logout": ("POST", "/auth/logout", dict.fromkeys(ACTORS, 302)),
    "auth.register": ("GET", "/auth/register", {**PUBLIC, **dict.fromkeys(ALL_SIGNED_IN, 302)}),
    "auth.accept_invitation": ("GET", "/auth/invite/unknown-token", dict.fromkeys(ACTORS, 410)),
    # Enterprise
    "cases.my_cases": ("GET", "/cases/", expect(("enterprise",))),
    "cases.new_case": ("GET", "/cases/new", expect(("enterprise",))),
    "cases.suggest": ("POST", "/cases/suggest", expect(("enterprise",))),
    "cases.case_detail": ("GET", "/cases/{case_id}", expect(("enterprise",), foreign=404)),
    "cases.edit_case": ("GET", "/cases/{draft_id}/edit", expect(("enterprise",), foreign=404)),
    "cases.submit_case": ("POST", "/cases/{draft_id}/submit", expect(("enterprise",), foreign=404)),
    "cases.post_message": (
        "POST",
        "/cases/{case_id}/messages",
        expect(("enterprise",), foreign=404),
    ),
    # Expert
    "experts.edit_profile": ("GET", "/expert/profile", expect(("expert",))),
    "experts.my_cases": ("GET", "/expert/cases", expect(("expert",))),
    "experts.new_matter": ("GET", "/expert/matters/new", expect(("expert",))),
    "experts.new_conflict": ("GET", "/expert/conflicts/new", expect(("expert",))),
    "experts.edit_matter": ("GET", "/expert/matters/{matter_id}", expect(("expert",), foreign=404)),
    "experts.remove_matter": (
        "POST",
        "/expert/matters/{matter_id}/remove",
        expect(("expert",), foreign=404),
    ),
    "experts.remove_conflict": (
        "POST",
        "/expert/conflicts/{conflict_id}/remove",
        expect(("expert",), foreign=404),
    ),
    "experts.proposal": (
        "GET",
        "/expert/proposals/{assignment_id}",
        expect(("expert",), foreign=404),
    ),
    "experts.accept_proposal": (
        "POST",
        "/expert/proposals/{assignment_id}/accept",
        expect(("expert",), foreign=404),
    ),
    "experts.decline_proposal": (
        "POST",
        "/expert/proposals/{assignment_id}/decline",
        expect(("expert",), foreign=404),
    ),
    "experts.case_detail": ("GET", "/expert/cases/{case_id}", expect(("expert",), foreign=404)),
    # Coordinator: another centre's case is a 404 for a coordinator; network staff and
    # admins see every centre, network staff never act.
    "coordinator.queue": ("GET", "/coordinator/", expect(COORD)),
    "coordinator.audit_log": ("GET", "/coordinator/audit", expect(COORD)),
    "coordinator.case_detail": (
        "GET",
        "/coordinator/cases/{case_id}",
        {**expect(COORD), "coordinator": 404},
    ),
    # No experts chosen: back to the case page with a message.
    "coordinator.compare": (
        "GET",
        "/coordinator/cases/{case_id}/compare",
        {**expect(COORD, ok=302), "coordinator": 404},
    ),
    # An empty form is shown again with its errors.
    "coordinator.propose": (
        "POST",
        "/coordinator/cases/{case_id}/propose",
        {**expect(COORD_ACT), "coordinator": 404},
    ),
    "coordinator.triage": (
        "POST",
        "/coordinator/cases/{case_id}/triage",
        {**expect(COORD_ACT, ok=302), "coordinator": 404},
    ),
    "coordinator.decide_inference": (
        "POST",
        "/coordinator/cases/{case_id}/inferences",
        {**expect(COORD_ACT, ok=400), "coordinator": 404},
    ),
    "coordinator.start_work": (
        "POST",
        "/coordinator/cases/{case_id}/start",
        {**expect(COORD_ACT, ok=302), "coordinator": 404},
    ),
    "coordinator.close": (
        "POST",
        "/coordinator/cases/{case_id}/close",
        {**expect(COORD_ACT), "coordinator": 404},
    ),
    "coordinator.send_message": (
        "POST",
        "/coordinator/cases/{case_id}/messages",
        {**expect(COORD_ACT), "coordinator": 404},
    ),
    "coordinator.withdraw": (
        "POST",
        "/coordinator/cases/{case_id}/assignments/{assignment_id}/withdraw",
        {**expect(COORD_ACT, ok=302), "coordinator": 404},
    ),
    # The shared pool: every centre sees every expert.
    "pool.experts": ("GET", "/pool/experts", expect(COORD)),
    "pool.expert_detail": ("GET", "/pool/experts/{expert_id}", expect(COORD)),
    "pool.remove_expert": ("POST", "/pool/experts/{expert_id}/remove", expect(COORD_ACT, ok=302)),
    "pool.invite": ("GET", "/pool/invitations", expect(COORD_ACT)),
    "pool.import_experts": ("GET", "/pool/import", expect(COORD_ACT)),
    "pool.import_example": ("GET", "/pool/import/example.csv", expect(COORD_ACT)),
    "pool.import_confirm": ("POST", "/pool/import/confirm", expect(COORD_ACT, ok=302)),
    "pool.import_status": (
        "GET",
        "/pool/imports/{event_id}",
        {**expect(COORD_ACT), "coordinator": 404},
    ),
    # Background jobs (issue 14): coordinators see their centre's, admins all.
    "jobs.index": ("GET", "/jobs/", expect(COORD_ACT)),
    "jobs.detail": ("GET", "/jobs/{job_id}", {**expect(COORD_ACT), "coordinator": 404}),
    "jobs.progress": ("GET", "/jobs/{job_id}/progress", {**expect(COORD_ACT), "coordinator": 404}),
    "jobs.cancel": (
        "POST",
        "/jobs/{job_id}/cancel",
        {**expect(COORD_ACT, ok=302), "coordinator": 404},
    ),
    "jobs.reindex": ("POST", "/jobs/reindex", expect(("admin",), ok=302)),
    # Batch assignment plans and teams (issue 17): coordinators of the plan's centre, admins.
    "plans.index": ("GET", "/coordinator/plans/", expect(COORD_ACT)),
    "plans.detail": (
        "GET",
        "/coordinator/plans/{plan_id}",
        {**expect(COORD_ACT), "coordinator": 404},
    ),
    "plans.apply": (
        "POST",
        "/coordinator/plans/{plan_id}/apply",
        {**expect(COORD_ACT, ok=302), "coordinator": 404},
    ),
    "plans.discard": (
        "POST",
        "/coordinator/plans/{plan_id}/discard",
        {**expect(COORD_ACT, ok=302), "coordinator": 404},
    ),
    "plans.adjust": (
        "POST",
        "/coordinator/plans/{plan_id}/items/999999",
        {**expect(COORD_ACT, ok=302), "coordinator": 404},
    ),
    "plans.team": (
        "GET",
        "/coordinator/plans/team/{case_id}",
        {**expect(COORD_ACT), "coordinator": 404},
    ),
    # The response network (issue 8): network staff and admins read the dashboard and centres,
    # admins manage centres, coordinators refer / answer referrals and publish warnings.
    "network.dashboard": ("GET", "/network/", expect(("network", "admin"))),
    "network.centres": ("GET", "/network/centres", expect(("network", "admin"))),
    "network.new_centre": ("GET", "/network/centres/new", expect(("admin",))),
    "network.edit_centre": ("GET", "/network/centres/999999/edit", expect(("admin",), foreign=404)),
    "network.toggle_centre": (
        "POST",
        "/network/centres/999999/deactivate",
        expect(("admin",), foreign=404),
    ),
    "network.refer": (
        "GET",
        "/network/cases/{case_id}/refer",
        {**expect(COORD_ACT), "coordinator": 404},
    ),
    "network.accept_referral": (
        "POST",
        "/network/referrals/999999/accept",
        expect(COORD_ACT, foreign=404),
    ),
    "network.return_referral": (
        "GET",
        "/network/referrals/999999/return",
        expect(COORD_ACT, foreign=404),
    ),
    "network.referrals": ("GET", "/network/referrals", expect(COORD)),
    "network.warnings": ("GET", "/network/warnings", expect(("enterprise", *COORD))),
    "network.new_warning": ("GET", "/network/warnings/new", expect(COORD_ACT)),
    "network.warning_detail": (
        "GET",
        "/network/warnings/999999",
        expect(("enterprise", *COORD), foreign=404),
    ),
    "network.withdraw_warning": (
        "POST",
        "/network/warnings/999999/withdraw",
        expect(COORD_ACT, foreign=404),
    ),
    "network.dismiss_suggestion": (
        "POST",
        "/network/suggestions/" + "0" * 64 + "/dismiss",
        expect(COORD_ACT, foreign=404),
    ),
    "network.markets": ("GET", "/network/markets", expect(("enterprise",))),
    "reports.dashboard": ("GET", "/reports/dashboard", expect(COORD)),
    "reports.chart": ("GET", "/reports/charts/by_status.svg", expect(COORD, ok=404)),
    # A real table: each reader gets a file of their own scope (a header at least).
    "reports.table_csv": ("GET", "/reports/tables/status.csv", expect(COORD)),
    # API credentials (issue 19): everyone's own tokens; administrators' platform keys.
    "credentials.tokens": ("GET", "/account/api-tokens", expect(ALL_SIGNED_IN)),
    "credentials.revoke_token": (
        "POST", "/account/api-tokens/999999/revoke", expect(ALL_SIGNED_IN, foreign=404)),
    "credentials.platform_keys": ("GET", "/admin/api-keys", expect(("admin",))),
    "credentials.revoke_platform_key": (
        "POST", "/admin/api-keys/999999/revoke", expect(("admin",), foreign=404)),
    # The JSON API authenticates keys only: a browser session is a 401 for everyone
    # (tests/test_api.py checks keys, scopes and centres). The document and docs are public.
    **{
        endpoint: (method, url, dict.fromkeys(ACTORS, 401))
        for endpoint, method, url in (
            ("api.list_cases", "GET", "/api/v1/cases"),
            ("api.create_case", "POST", "/api/v1/cases"),
            ("api.get_case", "GET", "/api/v1/cases/{case_id}"),
            ("api.case_ranking", "GET", "/api/v1/cases/{case_id}/ranking"),
            ("api.propose", "POST", "/api/v1/cases/{case_id}/assignments"),
            ("api.ad_hoc_ranking", "POST", "/api/v1/rankings"),
            ("api.list_experts", "GET", "/api/v1/experts"),
            ("api.my_profile", "GET", "/api/v1/experts/me"),
            ("api.update_my_profile", "PATCH", "/api/v1/experts/me"),
            ("api.get_expert", "GET", "/api/v1/experts/{expert_id}"),
            ("api.list_assignments", "GET", "/api/v1/assignments"),
            ("api.get_assignment", "GET", "/api/v1/assignments/{assignment_id}"),
            ("api.accept", "POST", "/api/v1/assignments/{assignment_id}/accept"),
            ("api.decline", "POST", "/api/v1/assignments/{assignment_id}/decline"),
            ("api.list_centres", "GET", "/api/v1/centres"),
            ("api.list_warnings", "GET", "/api/v1/warnings"),
        )
    },
    "api.openapi": ("GET", "/api/v1/openapi.json", PUBLIC),
    "api.docs": ("GET", "/api/v1/docs", PUBLIC),
    "api.docs_asset": ("GET", "/api/v1/docs/assets/swagger-ui.css", PUBLIC),
}


def test_every_route_is_in_the_matrix(app):  # type: ignore[no-untyped-def]
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint != "static"}
    assert endpoints - set(MATRIX) == set(), "routes missing from the access matrix"
    assert set(MATRIX) - endpoints == set(), "matrix names routes that no longer exist"


def test_changes_are_post_only(app):  # type: ignore[no-untyped-def]
    for endpoint, (method, _url, _expected) in MATRIX.items():
        if method == "POST":
            rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
            assert all("GET" not in r.methods for r in rules), endpoint


def test_access_matrix(app, client, login):  # type: ignore[no-untyped-def]
    """One walk over every route with every actor; all mismatches reported at once."""
    with app.app_context():
        world = _world()
    mismatches = []
    checked = 0
    for actor in ACTORS:
        client.post("/auth/logout")
        if actor != "anonymous":
            login(SimpleNamespace(email=world.emails[actor]))
        for endpoint, (method, url, expected) in MATRIX.items():
            path = url.format(**world.ids)
            response = client.open(path, method=method, data={})
            checked += 1
            if response.status_code != expected[actor]:
                mismatches.append(
                    f"{actor:<11} {method} {path} -> {response.status_code}, "
                    f"expected {expected[actor]} ({endpoint})"
                )
            if actor == "anonymous" and expected[actor] == 302:
                assert "/auth/login" in response.headers["Location"], endpoint
            if endpoint == "auth.logout" and actor != "anonymous":
                login(SimpleNamespace(email=world.emails[actor]))
    assert not mismatches, "\n".join(mismatches)
    assert checked == len(MATRIX) * len(ACTORS)


@pytest.mark.parametrize("actor", ["enterprise", "expert", "coordinator"])
def test_own_objects_are_reachable(app, client, login, actor):  # type: ignore[no-untyped-def]
    """The 404s above are about ownership: the owner of the same kind of object gets 200."""
    with app.app_context():
        world = _world()
        user = world.users[actor]
        if actor == "enterprise":
            case = factories.dispute_case(user.organisation_id)
            url = f"/cases/{case.id}"
        elif actor == "expert":
            profile = db.session.scalar(
                select(factories.ExpertProfile).where(factories.ExpertProfile.user_id == user.id)
            )
            case = factories.dispute_case(factories.organisation().id, centre_id=user.id)
            assignment = assignments.propose(case, profile, world.users["admin"])
            url = f"/expert/proposals/{assignment.id}"
        else:
            case = factories.dispute_case(factories.organisation().id, centre_id=user.centre_id)
            url = f"/coordinator/cases/{case.id}"
        login(user)
    assert client.get(url).status_code == 200
