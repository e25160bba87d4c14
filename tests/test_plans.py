"""Batch assignment plans and teams in the app: computed by a job, reviewed, applied all or
nothing through the assignment state machine, refused when stale, scoped to the centre."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from expertmatch.extensions import db
from expertmatch.matching.team import TeamRole
from expertmatch.models import Assignment, AssignmentPlan, AuditEvent, Job, User
from expertmatch.services import assignments, jobs, plans
from tests import factories

NORDVIK = "Nordvik Telecom Oy"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):  # type: ignore[no-untyped-def]
    def set_password(user: User, password: str) -> None:
        user.password_hash = generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(User, "set_password", set_password)


def count(model, *conditions) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


@pytest.fixture
def world(ctx):  # type: ignore[no-untyped-def]
    return make_world()


def make_world(**coordinator) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    """Centre A with three SEP cases competing for one star (capacity 1), a second expert,
    a conflicted one; centre B with its own coordinator and case."""
    a, b = factories.centre(name_en="Shenzhen centre"), factories.centre(name_en="Ningbo")
    org = factories.organisation()
    star = factories.expert_profile(full_name="Star Litigator", capacity=1,
                                    headline="SEP FRAND injunction litigator Munich",
                                    role_type="lawyer", jurisdictions=["DE", "UPC"])
    second = factories.expert_profile(full_name="Second Counsel", capacity=2,
                                      role_type="lawyer", jurisdictions=["DE"])
    conflicted = factories.expert_profile(
        full_name="Conflicted Counsel", capacity=5, headline="SEP FRAND injunction Munich",
        conflicts=[{"entity_name": NORDVIK, "relation": "client"}],
    )
    economist = factories.expert_profile(full_name="FRAND Economist", role_type="economist",
                                         headline="FRAND royalty economist", jurisdictions=[])
    cases = [
        factories.dispute_case(org.id, centre_id=a.id, title=f"LTE SEP injunction {i}")
        for i in range(3)
    ]
    return SimpleNamespace(
        a=a, b=b, org=org, star=star, second=second, conflicted=conflicted,
        economist=economist, cases=cases,
        case_b=factories.dispute_case(org.id, centre_id=b.id),
        coordinator=factories.user("coordinator", centre_id=a.id, **coordinator),
        other=factories.user("coordinator", centre_id=b.id),
        admin=factories.user("admin"),
    )


def _plan(world, **kw) -> AssignmentPlan:  # type: ignore[no-untyped-def]
    ids = [c.id for c in world.cases]
    plan = plans.start_batch(world.coordinator, ids, **kw)
    assert plan.state == "ready", plan.error
    return plan


def test_a_plan_respects_capacity_and_conflicts_and_explains_the_case_left_out(world) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(world)
    seats: dict[int, int] = {}
    for item in plan.items:
        if item.expert_id is not None:
            seats[item.expert_id] = seats.get(item.expert_id, 0) + 1
    assert world.conflicted.id not in seats
    assert seats.get(world.star.id, 0) <= 1 and seats.get(world.second.id, 0) <= 2
    # Four eligible seats for three cases (star 1 + second 2 + economist 3): all served.
    assert all(item.expert_id is not None for item in plan.items)
    summary = plan.summary
    assert summary["plan"]["total_fit"] >= summary["greedy"]["total_fit"] - 1e-9
    assert plan.job.state == "done" and plan.job.result_url.endswith(f"/plans/{plan.id}")


def test_a_case_nobody_can_take_names_the_rule(world) -> None:  # type: ignore[no-untyped-def]
    for expert in (world.second, world.economist):
        expert.availability = "inactive"
    db.session.commit()
    plan = _plan(world)
    empty = [i for i in plan.items if i.expert_id is None]
    assert len(empty) == 2  # one star for three cases; the conflicted expert never counts
    for item in empty:
        assert item.reason["code"] == "at_capacity" and item.reason["short"]
        assert item.reason["blocked"][0]["expert_id"] == world.star.id


def test_apply_proposes_every_row_in_one_transaction(world) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(world)
    n = plans.apply(plan, world.coordinator)
    assert n == 3 and plan.state == "applied"
    assert count(Assignment, Assignment.status == "proposed") == 3
    assert count(AuditEvent, AuditEvent.action == "assignment.proposed") == 3
    assert count(AuditEvent, AuditEvent.action == "plan.applied") == 1
    with pytest.raises(plans.PlanError):
        plans.apply(plan, world.coordinator)


def test_a_stale_plan_is_refused_with_its_rows_and_changes_nothing(world) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(world)
    # Meanwhile another coordinator fills the star elsewhere and proposes on one of the cases.
    other_case = factories.dispute_case(world.org.id, centre_id=world.a.id)
    assignments.propose(other_case, world.star, world.admin)
    assignments.propose(world.cases[2], world.second, world.admin)
    before = count(Assignment)
    with pytest.raises(plans.PlanError) as refused:
        plans.apply(plan, world.coordinator)
    rows = {r["item"] for r in refused.value.rows}
    assert any(i.id in rows for i in plan.items if i.case_id == world.cases[2].id)
    assert count(Assignment) == before  # nothing of the plan was proposed
    db.session.refresh(plan)
    assert plan.state == "ready"
    # Without the changed case, a row is still refused: its expert filled up meanwhile.
    for item in plan.items:
        if item.case_id == world.cases[2].id:
            plans.adjust(plan, item.id, None, world.coordinator)
    with pytest.raises(plans.PlanError) as again:
        plans.apply(plan, world.coordinator)
    refused_now = {r["item"]: r["reason"] for r in again.value.rows}
    assert refused_now and all("capacity" in reason for reason in refused_now.values())
    assert count(Assignment) == before


def test_a_cancelled_plan_stops_at_its_next_check_and_applies_nothing(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(jobs, "enqueue", lambda job: job)  # keep it queued
    plan = plans.start_batch(world.coordinator, [c.id for c in world.cases])
    job = db.session.get(Job, plan.job_id)
    job.cancel_requested = True
    db.session.commit()
    plans.compute_batch(job, [])  # the solver polls the flag and stops
    db.session.commit()
    assert plan.state == "cancelled" and plan.items == []
    with pytest.raises(plans.PlanError):
        plans.apply(plan, world.coordinator)
    assert count(Assignment) == 0


def test_cancel_before_the_job_runs_marks_the_plan_cancelled(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(jobs, "enqueue", lambda job: job)
    plan = plans.start_batch(world.coordinator, [c.id for c in world.cases])
    plans.cancel(plan, world.coordinator)
    assert plan.state == "cancelled"


def test_plans_are_scoped_to_the_centre(world, app) -> None:  # type: ignore[no-untyped-def]
    from werkzeug.exceptions import NotFound

    plan = _plan(world)
    with pytest.raises(NotFound):
        plans.get_plan_or_404(plan.id, world.other)
    assert plans.get_plan_or_404(plan.id, world.admin) is plan
    with pytest.raises(plans.PlanError):
        plans.start_batch(world.other, [world.cases[0].id])
    assert [c.id for c in plans.plannable_cases(world.other)] == [world.case_b.id]
    with pytest.raises(plans.PlanError):
        plans.start_batch(factories.user("network"), [world.case_b.id])


def test_bad_options_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    ids = [c.id for c in world.cases]
    for kw in ({"per_case": 0}, {"per_case": 9}, {"firm_limit": 0}, {"mode": "best"}):
        with pytest.raises(plans.PlanError):
            plans.start_batch(world.coordinator, ids, **kw)
    with pytest.raises(plans.PlanError):
        plans.start_batch(world.coordinator, [])
    assert count(AssignmentPlan) == 0


def test_adjusting_a_row_keeps_capacity(world) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(world)
    rows = [i for i in plan.items if i.expert_id != world.star.id]
    with pytest.raises(plans.PlanError, match="no free slot"):
        plans.adjust(plan, rows[0].id, world.star.id, world.coordinator)
    plans.adjust(plan, rows[0].id, None, world.coordinator)
    assert plans.apply(plan, world.coordinator) == 2


def test_a_sep_team_covers_the_forums_or_names_the_one_it_could_not(world) -> None:  # type: ignore[no-untyped-def]
    roles = [
        TeamRole("counsel", jurisdiction="DE"),
        TeamRole("counsel", jurisdiction="UPC"),
        TeamRole("counsel", jurisdiction="CN"),
        TeamRole("FRAND economist"),
    ]
    plan = plans.start_team(world.coordinator, world.cases[0], roles)
    assert plan.state == "ready", plan.error
    members = {i.role: i.expert_id for i in plan.items}
    assert members["counsel, UPC"] == world.star.id
    assert members["counsel, DE"] == world.second.id
    assert members["FRAND economist"] == world.economist.id
    assert world.conflicted.id not in members.values()
    (gap,) = plan.uncovered
    assert gap["label"] == "counsel, CN" and gap["code"] == "no_jurisdiction"
    assert plans.apply(plan, world.coordinator) == 3
    assert count(Assignment, Assignment.case_id == world.cases[0].id) == 3


# -- the pages -------------------------------------------------------------------------------


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def test_a_coordinator_plans_reviews_and_applies_through_the_pages(world, client, login) -> None:  # type: ignore[no-untyped-def]
    login(world.coordinator)
    page = text(client.get("/coordinator/plans/"))
    for case in world.cases:
        assert case.reference in page
    assert world.case_b.reference not in page  # another centre's case
    response = client.post(
        "/coordinator/plans/",
        data={"cases": [c.id for c in world.cases], "mode": "fair", "per_case": "1"},
    )
    assert response.status_code == 302
    detail = text(client.get(response.headers["Location"]))
    assert "This plan beside one case at a time" in detail
    assert "Star Litigator" in detail and "Conflicted Counsel" not in detail
    plan = db.session.scalars(select(AssignmentPlan)).one()
    applied = client.post(f"/coordinator/plans/{plan.id}/apply", follow_redirects=True)
    assert "3 proposals were sent" in text(applied)
    assert count(Assignment, Assignment.status == "proposed") == 3


def test_the_plan_form_keeps_bad_input_and_says_what_is_wrong(world, client, login) -> None:  # type: ignore[no-untyped-def]
    login(world.coordinator)
    response = client.post("/coordinator/plans/", data={"mode": "total", "per_case": "9"})
    page = text(response)
    assert response.status_code == 200
    assert "Select at least one case." in page and "Give a number from 1 to 5." in page
    assert 'value="9"' in page
    assert count(AssignmentPlan) == 0


def test_a_stale_apply_shows_the_rows_and_proposes_nothing(world, client, login) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(world)
    assignments.propose(world.cases[0], world.second, world.admin)
    before = count(Assignment)
    login(world.coordinator)
    response = client.post(f"/coordinator/plans/{plan.id}/apply")
    assert response.status_code == 409
    page = text(response)
    assert "The plan is out of date; nothing was proposed." in page
    assert world.cases[0].reference in page
    assert count(Assignment) == before


def test_a_team_is_asked_for_and_shown_with_its_gaps(world, client, login) -> None:  # type: ignore[no-untyped-def]
    login(world.coordinator)
    case = world.cases[0]
    form = text(client.get(f"/coordinator/plans/team/{case.id}"))
    assert '<option selected value="counsel">' in form  # a counsel row per jurisdiction
    data = {
        "requirements-0-role": "counsel", "requirements-0-jurisdiction": "UPC",
        "requirements-0-count": "1",
        "requirements-1-role": "counsel", "requirements-1-jurisdiction": "CN",
        "requirements-1-count": "1",
        "requirements-2-role": "frand_economist", "requirements-2-count": "1",
    }  # fmt: skip
    response = client.post(f"/coordinator/plans/team/{case.id}", data=data)
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Star Litigator" in page and "FRAND Economist" in page
    assert "Nobody with this role is admitted in this jurisdiction." in page
    empty = client.post(f"/coordinator/plans/team/{case.id}", data={"requirements-0-role": ""})
    assert "Choose the role of at least one member." in text(empty)


def test_the_plan_page_speaks_chinese(app, client, login) -> None:  # type: ignore[no-untyped-def]
    # Data in a context of its own, requests outside it: each picks its language as in
    # production (a shared context keeps the first request's locale).
    with app.app_context():
        world = make_world(locale="zh")
        plan_id, email = _plan(world).id, world.coordinator.email
    login(SimpleNamespace(email=email))
    page = text(client.get(f"/coordinator/plans/{plan_id}"))
    assert '<html lang="zh' in page
    assert "<h2>本方案与逐案分配对照</h2>" in page and "匹配最差的案件" in page
