"""Assignment plans: many cases (or one case's team) solved at once, reviewed, applied.

The coordinator picks cases (or all unassigned ones of their centre), a background job ranks
them against the shared pool and solves the plan exactly (``expertmatch.matching.assignment`` /
``.team``), and also computes what assigning one case at a time in queue order would give, for
the side-by-side review. Rows can be adjusted or left out; applying proposes every expert of the
plan in ONE transaction through :func:`services.assignments.propose` (hard rules, capacity lock,
audit, the expert's notification). A plan computed on data that has since changed (a case was
assigned, changed or closed; an expert filled up or became conflicted) is refused at apply time
with every row affected, and nothing is proposed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm.exc import StaleDataError

from expertmatch.extensions import db
from expertmatch.matching.assignment import (
    MODES,
    PlanCancelled,
    batch_inputs,
    greedy_plan,
    plan_batch,
)
from expertmatch.matching.team import TeamRole, plan_team, team_inputs
from expertmatch.models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentPlan,
    AssignmentPlanItem,
    DisputeCase,
    ExpertProfile,
    Job,
    User,
    utcnow,
)
from expertmatch.services import access, assignments, audit, jobs, matching
from expertmatch.services.deadlines import local_today
from expertmatch.vocabulary import LOAD_STATUSES

BATCH_KIND = "assignment.plan"
TEAM_KIND = "assignment.team"
MAX_CASES = 500
MAX_PER_CASE = 5
CANDIDATES_KEPT = 8


class PlanError(ValueError):
    """A plan cannot be started, changed or applied; the message is for the user."""

    def __init__(self, message: Any, rows: list[dict[str, Any]] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.rows = rows or []


# -- which cases can be planned ------------------------------------------------------------


def plannable_cases(user: User) -> list[DisputeCase]:
    """Open cases the user may act on with nobody proposed or accepted, in queue order."""
    active = exists().where(
        Assignment.case_id == DisputeCase.id, Assignment.status.in_(LOAD_STATUSES)
    )
    rows = db.session.scalars(
        access.visible_cases(user)
        .where(DisputeCase.status.in_(OPEN_STATUSES), ~active)
        .order_by(DisputeCase.deadline.is_(None), DisputeCase.deadline, DisputeCase.id)
    ).all()
    return [c for c in rows if access.can_act_on_case(user, c)]


def _check_actor(user: User) -> None:
    if user.role not in ("coordinator", "admin"):
        raise PlanError(_l("Only coordinators can plan assignments."))


def start_batch(
    user: User,
    case_ids: list[int],
    *,
    mode: str = "total",
    per_case: int = 1,
    firm_limit: int | None = None,
) -> AssignmentPlan:
    """Record a batch plan and queue the job that computes it."""
    _check_actor(user)
    allowed = {c.id for c in plannable_cases(user)}
    chosen = sorted(set(case_ids))
    if not chosen:
        raise PlanError(_l("Select at least one case to plan."))
    if len(chosen) > MAX_CASES:
        raise PlanError(_l("A plan takes at most %(n)d cases.", n=MAX_CASES))
    if any(i not in allowed for i in chosen):
        raise PlanError(_l("Some selected cases are no longer open and unassigned. Reload."))
    if mode not in MODES:
        raise PlanError(_l("Choose how the plan is optimised."))
    if not 1 <= per_case <= MAX_PER_CASE:
        raise PlanError(_l("Experts per case must be between 1 and %(n)d.", n=MAX_PER_CASE))
    if firm_limit is not None and firm_limit < 1:
        raise PlanError(_l("The firm limit must be at least 1."))
    options = {"case_ids": chosen, "per_case": per_case, "firm_limit": firm_limit}
    return _start(user, "batch", mode, options, BATCH_KIND)


def start_team(
    user: User,
    case: DisputeCase,
    roles: list[TeamRole],
    *,
    budget: float | None = None,
    firm_limit: int | None = None,
) -> AssignmentPlan:
    """Record a team plan for one case and queue the job that assembles it."""
    _check_actor(user)
    if not access.can_act_on_case(user, case) or not case.is_open:
        raise PlanError(_l("This case is not open for proposals."))
    if not roles:
        raise PlanError(_l("List at least one role the team needs."))
    options = {
        "case_ids": [case.id],
        "roles": [r.to_dict() for r in roles],
        "budget": budget,
        "firm_limit": firm_limit,
    }
    return _start(user, "team", "total", options, TEAM_KIND)


def _start(user: User, kind: str, mode: str, options: dict, job_kind: str) -> AssignmentPlan:
    try:
        plan = AssignmentPlan(
            kind=kind, mode=mode, created_by_id=user.id, centre_id=user.centre_id, options=options
        )
        db.session.add(plan)
        db.session.flush()
        job = jobs.create(job_kind, {"plan_id": plan.id}, by=user, centre_id=user.centre_id)
        db.session.flush()
        plan.job_id = job.id
        audit.record(user, "plan.started", "plan", plan.id, {"kind": kind, "mode": mode})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    jobs.enqueue(job)
    return db.session.get(AssignmentPlan, plan.id)


# -- computing (the job's chunk) -----------------------------------------------------------


def _plan_of(job: Job) -> AssignmentPlan | None:
    plan = db.session.get(AssignmentPlan, (job.params or {}).get("plan_id"))
    return plan if plan is not None and plan.state == "computing" else None


def _stopper(job_id: int):  # type: ignore[no-untyped-def]
    def should_stop() -> bool:
        return bool(db.session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))

    return should_stop


def _cases(plan: AssignmentPlan) -> list[DisputeCase]:
    ids = plan.options.get("case_ids") or []
    found = {
        c.id: c for c in db.session.scalars(select(DisputeCase).where(DisputeCase.id.in_(ids)))
    }
    return [found[i] for i in ids if i in found and found[i].is_open]


def compute_batch(job: Job, _items: list[Any]) -> None:
    """Rank the plan's cases against the pool, solve the plan and the greedy baseline."""
    plan = _plan_of(job)
    if plan is None:
        return
    cases = _cases(plan)
    today = local_today()
    st = matching.state()
    matching.sync(st)
    inputs = batch_inputs(
        st.matcher,
        [matching.case_doc(c, today) for c in cases],
        slots=int(plan.options.get("per_case") or 1),
        today=today,
    )
    firm_limit = plan.options.get("firm_limit")
    try:
        result = plan_batch(
            inputs.cases,
            inputs.experts,
            inputs.fits,
            mode=plan.mode,
            firm_limit=firm_limit,
            exclusions=inputs.exclusions,
            should_stop=_stopper(job.id),
        )
    except PlanCancelled:
        plan.state = "cancelled"
        return
    greedy = greedy_plan(
        inputs.cases,
        inputs.experts,
        inputs.fits,
        firm_limit=firm_limit,
        exclusions=inputs.exclusions,
    )
    for position, (case, row) in enumerate(zip(cases, result.cases, strict=True)):
        fits = inputs.fits[position]
        order = np.argsort(-np.nan_to_num(fits, nan=-1.0), kind="stable")[:CANDIDATES_KEPT]
        candidates = [
            [matching.profile_id(inputs.experts[j].id), round(float(fits[j]), 4)]
            for j in order.tolist()
            if np.isfinite(fits[j])
        ]
        baseline = greedy.cases[position].experts
        for slot in range(row.slots):
            chosen = row.experts[slot] if slot < len(row.experts) else None
            base = baseline[slot] if slot < len(baseline) else None
            plan.items.append(
                AssignmentPlanItem(
                    position=position,
                    slot=slot,
                    case_id=case.id,
                    case_version=case.version,
                    expert_id=matching.profile_id(chosen[0]) if chosen else None,
                    fit=chosen[1] if chosen else None,
                    reason=_reason(row.shortfall)
                    if slot == len(row.experts) or (slot == 0 and chosen and row.shortfall)
                    else None,
                    candidates=candidates,
                    greedy_expert_id=matching.profile_id(base[0]) if base else None,
                    greedy_fit=base[1] if base else None,
                )
            )
    plan.summary = {"plan": result.summary(), "greedy": greedy.summary()}
    _ready(plan, job)


def _reason(shortfall: Any) -> dict[str, Any] | None:
    """A shortfall with profile and case ids (ints) instead of the engine's string ids."""
    if shortfall is None:
        return None
    params = dict(shortfall.params)
    params["blocked"] = [
        {
            **b,
            "expert_id": matching.profile_id(b["expert_id"]),
            "went_to": [int(c) for c in b.get("went_to", [])],
        }
        for b in params.get("blocked", [])
    ]
    params.pop("examples", None)
    return {"code": shortfall.code, "short": shortfall.short, **params}


def compute_team(job: Job, _items: list[Any]) -> None:
    """Assemble the best team for the plan's case."""
    plan = _plan_of(job)
    if plan is None:
        return
    cases = _cases(plan)
    if not cases:
        raise jobs.JobRefused(_l("The case is no longer open."))
    case = cases[0]
    today = local_today()
    st = matching.state()
    matching.sync(st)
    eligible, excluded, exclusions = team_inputs(st.matcher, matching.case_doc(case, today))
    roles = [TeamRole(**r) for r in plan.options.get("roles", [])]
    team = plan_team(
        eligible,
        roles,
        budget=plan.options.get("budget"),
        firm_limit=plan.options.get("firm_limit"),
        excluded_docs=excluded,
        exclusions=exclusions,
    )
    for slot, member in enumerate(team.members):
        plan.items.append(
            AssignmentPlanItem(
                position=roles.index(member.role),
                slot=slot,
                case_id=case.id,
                case_version=case.version,
                expert_id=matching.profile_id(member.expert_id),
                fit=member.fit,
                role=member.role.label,
            )
        )
    plan.uncovered = [
        {
            "requirement": u.role.to_dict(),
            "label": u.role.label,
            "missing": u.missing,
            "code": u.code,
            "experts": [matching.profile_id(e) for e in u.params.get("experts", [])],
            "excluded": u.params.get("excluded", {}),
        }
        for u in team.uncovered
    ]
    plan.summary = {
        "plan": {
            "total_fit": round(team.total_fit, 4),
            "daily_cost": team.cost,
            "members": len(team.members),
        },
    }
    _ready(plan, job)


def _ready(plan: AssignmentPlan, job: Job) -> None:
    plan.state = "ready"
    plan.computed_at = utcnow()
    job.result = {"plan_id": plan.id, **(plan.summary or {}).get("plan", {})}
    job.result_url = jobs.path_for("plans.detail", plan_id=plan.id)


# -- reviewing, adjusting, applying --------------------------------------------------------


def get_plan_or_404(plan_id: int, user: User) -> AssignmentPlan:
    """A plan is seen by its author, the coordinators of its centre and administrators."""
    from flask import abort

    plan = db.session.get(AssignmentPlan, plan_id)
    if plan is None or not _may_see(user, plan):
        abort(404)
    refresh_state(plan)
    return plan


def _may_see(user: User, plan: AssignmentPlan) -> bool:
    if user.role == "admin" or plan.created_by_id == user.id:
        return True
    return user.role == "coordinator" and plan.centre_id == user.centre_id


def plans_for(user: User, limit: int = 20) -> list[AssignmentPlan]:
    query = select(AssignmentPlan).order_by(AssignmentPlan.id.desc()).limit(limit)
    if user.role != "admin":
        query = query.where(
            (AssignmentPlan.created_by_id == user.id) | (AssignmentPlan.centre_id == user.centre_id)
        )
    return list(db.session.scalars(query))


def refresh_state(plan: AssignmentPlan) -> None:
    """A plan whose job was cancelled or failed before it finished says so."""
    if (
        plan.state == "computing"
        and plan.job is not None
        and plan.job.state
        in (
            "cancelled",
            "failed",
        )
    ):
        plan.state = plan.job.state
        plan.error = plan.job.error
        db.session.commit()


def cancel(plan: AssignmentPlan, user: User) -> None:
    if plan.state != "computing" or plan.job is None:
        raise PlanError(_l("This plan is not being computed any more."))
    jobs.request_cancel(plan.job)
    refresh_state(plan)


def discard(plan: AssignmentPlan, user: User) -> None:
    if not plan.open:
        raise PlanError(_l("Only a plan waiting for review can be discarded."))
    plan.state = "discarded"
    audit.record(user, "plan.discarded", "plan", plan.id, {})
    db.session.commit()


def adjust(plan: AssignmentPlan, item_id: int, expert_id: int | None, user: User) -> None:
    """Give a row another of its case's candidates, or leave it out (``expert_id=None``)."""
    if not plan.open:
        raise PlanError(_l("This plan can no longer be changed."))
    item = next((i for i in plan.items if i.id == item_id), None)
    if item is None:
        raise PlanError(_l("This row is not part of the plan."))
    if expert_id is None:
        item.included = False
    else:
        fits = {int(e): f for e, f in (item.candidates or [])}
        if expert_id not in fits:
            raise PlanError(_l("Choose one of the case's candidates."))
        expert = db.session.get(ExpertProfile, expert_id)
        seats = sum(
            1 for i in plan.items if i.included and i.expert_id == expert_id and i.id != item.id
        )
        if any(
            i.case_id == item.case_id
            and i.expert_id == expert_id
            and i.id != item.id
            and i.included
            for i in plan.items
        ):
            raise PlanError(_l("%(name)s already has a seat on this case.", name=expert.full_name))
        free = expert.capacity - assignments.expert_load(expert_id)
        if seats >= free:
            raise PlanError(
                _l("%(name)s has no free slot left in this plan.", name=expert.full_name)
            )
        item.expert_id, item.fit, item.included, item.adjusted = (
            expert_id,
            fits[expert_id],
            True,
            True,
        )
    db.session.commit()


def apply(plan: AssignmentPlan, user: User) -> int:
    """Propose every included expert of the plan, all or nothing; returns how many."""
    if not plan.open:
        raise PlanError(_l("This plan was already applied or discarded."))
    items = [i for i in plan.items if i.included and i.expert_id is not None]
    if not items:
        raise PlanError(_l("The plan proposes nobody: nothing to apply."))
    stale: list[dict[str, Any]] = []
    for item in items:
        case = item.case
        if not access.can_act_on_case(user, case):
            stale.append({"item": item.id, "reason": str(_l("You can no longer act on it."))})
        elif case.version != item.case_version:
            stale.append(
                {"item": item.id, "reason": str(_l("The case changed after the plan was made."))}
            )
    if stale:
        raise PlanError(_l("The plan is out of date; nothing was proposed."), stale)
    try:
        for item in items:
            try:
                assignments.propose(
                    item.case,
                    item.expert,
                    user,
                    score=item.fit,
                    reasons={"plan": plan.id, "role": item.role}
                    if item.role
                    else {"plan": plan.id},
                    commit=False,
                )
            except assignments.AssignmentError as error:
                stale.append({"item": item.id, "reason": error.message})
        if stale:
            raise PlanError(_l("The plan is out of date; nothing was proposed."), stale)
        plan.state = "applied"
        plan.applied_at = utcnow()
        plan.applied_by_id = user.id
        audit.record(
            user,
            "plan.applied",
            "plan",
            plan.id,
            {"proposals": len(items)},
            centre_id=plan.centre_id,
        )
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise PlanError(
            _l(
                "Someone changed these cases at the same moment; nothing was "
                "proposed. Reload and try again."
            )
        ) from None
    except Exception:
        db.session.rollback()
        raise
    return len(items)
