"""Assignment plans: choose cases, compute the plan in the background, review it beside the
one-at-a-time result, adjust rows, apply it in one go; and a team for one complex case.

Views validate a form, call ``services.plans`` and flash + redirect (or render); every plan is
loaded through ``plans.get_plan_or_404`` (its author, its centre's coordinators, admins) and
every case through ``services.access``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from expertmatch import i18n
from expertmatch.extensions import db
from expertmatch.forms import EmptyForm
from expertmatch.models import DisputeCase, ExpertProfile
from expertmatch.plans.forms import AdjustForm, BatchPlanForm, TeamForm
from expertmatch.plans.vocabulary import (
    EXCLUSION_LABELS,
    SHORTFALL_LABELS,
    TEAM_ROLES,
    UNCOVERED_LABELS,
)
from expertmatch.security import roles_required
from expertmatch.services import access, plans

bp = Blueprint("plans", __name__, url_prefix="/coordinator/plans")

ACT_ROLES = ("coordinator", "admin")
PLAN_STATE_LABELS = {
    "computing": _l("Computing"),
    "ready": _l("Ready for review"),
    "applied": _l("Applied"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
    "discarded": _l("Discarded"),
}


@bp.app_context_processor
def _helpers() -> dict:
    return {
        "plan_state_label": lambda state: str(PLAN_STATE_LABELS.get(state, state)),
        "exclusion_label": lambda code: (
            _(EXCLUSION_LABELS[code]) if code in EXCLUSION_LABELS else code
        ),
    }


def _case_label(case: DisputeCase) -> str:
    deadline = i18n._date_filter(case.deadline) if case.deadline else _("no deadline")
    return f"{case.reference or '#' + str(case.id)} · {case.title} · {deadline}"


@bp.route("/", methods=["GET", "POST"])
@roles_required(*ACT_ROLES)
def index():
    """Pick the cases of a plan (all open, unassigned cases are ticked) and its options."""
    cases = plans.plannable_cases(current_user)
    form = BatchPlanForm()
    form.cases.choices = [(c.id, _case_label(c)) for c in cases]
    if request.method == "GET":
        form.cases.data = [c.id for c in cases]
    if form.validate_on_submit():
        try:
            plan = plans.start_batch(
                current_user,
                form.cases.data,
                mode=form.mode.data,
                per_case=form.per_case.data,
                firm_limit=form.firm_limit.data,
            )
        except plans.PlanError as error:
            flash(str(error.message), "error")
        else:
            if plan.state == "ready":
                flash(_("The plan is ready for review."), "success")
            else:
                flash(_("The plan is being computed."), "success")
            return redirect(url_for("plans.detail", plan_id=plan.id))
    return render_template(
        "plans/index.html", form=form, recent=plans.plans_for(current_user), cases=cases
    )


@bp.route("/<int:plan_id>")
@roles_required(*ACT_ROLES)
def detail(plan_id: int):
    plan = plans.get_plan_or_404(plan_id, current_user)
    return _render(plan)


def _render(plan, stale: list[dict[str, Any]] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    ids: set[int] = set()
    for item in plan.items:
        ids.update(i for i in (item.expert_id, item.greedy_expert_id) if i)
        ids.update(int(e) for e, _ in (item.candidates or []))
        for b in (item.reason or {}).get("blocked", []):
            ids.add(b["expert_id"])
    for gap in plan.uncovered or []:
        ids.update(gap.get("experts", []))
    experts = {
        e.id: e for e in db.session.scalars(select(ExpertProfile).where(ExpertProfile.id.in_(ids)))
    }
    case_ids = {i.case_id for i in plan.items} | set(plan.options.get("case_ids", []))
    for item in plan.items:
        for b in (item.reason or {}).get("blocked", []):
            case_ids.update(b.get("went_to", []))
    cases = {
        c.id: c for c in db.session.scalars(select(DisputeCase).where(DisputeCase.id.in_(case_ids)))
    }
    rows: dict[int, list] = {}
    for item in plan.items:
        rows.setdefault(item.case_id, []).append(item)
    return (
        render_template(
            "plans/detail.html",
            plan=plan,
            rows=rows,
            experts=experts,
            cases=cases,
            stale={r["item"]: r["reason"] for r in stale or []},
            form=EmptyForm(),
            adjust=AdjustForm(),
            shortfall_labels=SHORTFALL_LABELS,
            uncovered_labels=UNCOVERED_LABELS,
            requirement_label=_requirement_label,
        ),
        status,
    )


def _requirement_label(requirement: dict[str, Any]) -> str:
    parts = [_(TEAM_ROLES.get(requirement.get("role", ""), requirement.get("role", "")))]
    if requirement.get("jurisdiction"):
        parts.append(i18n.code_name("jurisdiction", requirement["jurisdiction"]))
    if requirement.get("language"):
        parts.append(i18n.language_name(requirement["language"]))
    text = " · ".join(parts)
    count = requirement.get("count", 1)
    return f"{text} × {count}" if count and count > 1 else text


def _act(plan_id: int, action, done: str):  # type: ignore[no-untyped-def]
    plan = plans.get_plan_or_404(plan_id, current_user)
    if not EmptyForm().validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return redirect(url_for("plans.detail", plan_id=plan.id))
    try:
        result = action(plan)
    except plans.PlanError as error:
        flash(str(error.message), "error")
        if error.rows:
            return _render(plan, error.rows, 409)
    else:
        flash(done.format(n=result) if isinstance(result, int) else done, "success")
    return redirect(url_for("plans.detail", plan_id=plan.id))


@bp.route("/<int:plan_id>/apply", methods=["POST"])
@roles_required(*ACT_ROLES)
def apply(plan_id: int):
    return _act(
        plan_id,
        lambda plan: plans.apply(plan, current_user),
        _("The plan was applied: {n} proposals were sent to the experts."),
    )


@bp.route("/<int:plan_id>/discard", methods=["POST"])
@roles_required(*ACT_ROLES)
def discard(plan_id: int):
    return _act(plan_id, lambda plan: plans.discard(plan, current_user), _("Plan discarded."))


@bp.route("/<int:plan_id>/items/<int:item_id>", methods=["POST"])
@roles_required(*ACT_ROLES)
def adjust(plan_id: int, item_id: int):
    plan = plans.get_plan_or_404(plan_id, current_user)
    form = AdjustForm()
    item = next((i for i in plan.items if i.id == item_id), None)
    choices = [("none", "")] + [(str(e), "") for e, _ in (item.candidates or [])] if item else []
    form.expert.choices = choices
    if item is None:
        flash(_("This row is not part of the plan."), "error")
    elif not form.validate_on_submit():
        flash(_("Choose one of the case's candidates, or leave the row out."), "error")
    else:
        expert_id = None if form.expert.data == "none" else int(form.expert.data)
        try:
            plans.adjust(plan, item_id, expert_id, current_user)
        except plans.PlanError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Row changed."), "success")
    return redirect(
        url_for("plans.detail", plan_id=plan.id, _anchor=f"case-{item.case_id}" if item else None)
    )


@bp.route("/team/<int:case_id>", methods=["GET", "POST"])
@roles_required(*ACT_ROLES)
def team(case_id: int):
    """The roles a complex case needs; the team is assembled in the background."""
    case = access.get_actionable_case_or_404(case_id, current_user)
    form = TeamForm()
    if request.method == "GET":
        defaults = [("counsel", j) for j in (case.jurisdictions or [])[:3]]
        for row, (role, juris) in zip(form.requirements, defaults, strict=False):
            row.role.data, row.jurisdiction.data = role, juris
    if form.validate_on_submit():
        try:
            plan = plans.start_team(
                current_user,
                case,
                form.roles(),
                budget=form.budget.data,
                firm_limit=form.firm_limit.data,
            )
        except plans.PlanError as error:
            flash(str(error.message), "error")
        else:
            if plan.state == "ready":
                flash(_("The team is ready for review."), "success")
            else:
                flash(_("The team is being assembled."), "success")
            return redirect(url_for("plans.detail", plan_id=plan.id))
    return render_template("plans/team.html", form=form, case=case)
