"""Coordinator: the urgency queue, the case page with ranking and proposals, closing, audit log.

Views validate a form, call a service (services.assignments, services.queue, services.cases)
and flash + redirect. Network staff may read every page here; every action is for coordinators
(on their centre's cases) and administrators, and every case is loaded through services.access.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from expertmatch import i18n
from expertmatch.coordinator.forms import (
    AuditFilterForm,
    CaseVersionForm,
    CloseForm,
    MessageForm,
    ProposeForm,
    QueueFilterForm,
)
from expertmatch.extensions import db
from expertmatch.forms import EmptyForm
from expertmatch.models import STATUS_FLOW, AuditEvent, DisputeCase, ExpertProfile
from expertmatch.security import roles_required
from expertmatch.services import access, assignments, intake, matching
from expertmatch.services import cases as case_service
from expertmatch.services import queue as queue_service
from expertmatch.vocabulary import LOAD_STATUSES

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")

VIEW_ROLES = ("coordinator", "network", "admin")
# Network staff read everything but act on nothing.
ACT_ROLES = ("coordinator", "admin")
TOP_ALL = "all"
TOP_MAX = 500

STALE_PAGE = _l("Someone else changed this case since you opened it. Check the page and try again.")

# What each audit action means, for the audit log; unknown actions show their code.
ACTION_LABELS: dict[str, Any] = {
    "assignment.proposed": _l("Proposed an expert"),
    "assignment.accepted": _l("Accepted a proposal"),
    "assignment.declined": _l("Declined a proposal"),
    "assignment.withdrawn": _l("Withdrew a proposal"),
    "case.created": _l("Created a draft case"),
    "case.draft_saved": _l("Saved a draft case"),
    "case.submitted": _l("Submitted a case"),
    "case.updated": _l("Changed a case"),
    "case.status": _l("Changed a case's status"),
    "case.closed": _l("Closed a case"),
    "case.viewed": _l("Viewed a confidential case"),
    "case.message": _l("Sent a message on a case"),
    "case.routed": _l("Routed a case to a centre"),
    "case.referred": _l("Referred a case to another centre"),
    "referral.accepted": _l("Accepted a referred case"),
    "referral.returned": _l("Returned a referred case"),
    "user.login": _l("Signed in"),
    "user.registered": _l("Registered an organisation"),
    "user.created": _l("Created an account"),
    "invitation.created": _l("Invited an expert"),
    "invitation.accepted": _l("Accepted an invitation"),
    "profile.created": _l("Created an expert profile"),
    "profile.updated": _l("Updated an expert profile"),
    "profile.deleted": _l("Removed an expert profile"),
    "matter.added": _l("Added a past matter"),
    "matter.updated": _l("Changed a past matter"),
    "matter.removed": _l("Removed a past matter"),
    "conflict.declared": _l("Declared a conflict"),
    "conflict.removed": _l("Removed a declared conflict"),
    "experts.imported": _l("Imported experts from CSV"),
    "warning.published": _l("Published a risk warning"),
    "warning.withdrawn": _l("Withdrew a risk warning"),
    "suggestion.dismissed": _l("Dismissed a suggested warning"),
    "centre.created": _l("Created a centre"),
    "centre.updated": _l("Changed a centre"),
    "centre.activated": _l("Reopened a centre"),
    "centre.deactivated": _l("Closed a centre"),
    "organisation.markets": _l("Changed an organisation's markets"),
}

OBJECT_LABELS: dict[str, Any] = {
    "case": _l("Case"),
    "assignment": _l("Proposal"),
    "message": _l("Message"),
    "user": _l("Account"),
    "invitation": _l("Invitation"),
    "expert": _l("Expert profile"),
    "past_matter": _l("Past matter"),
    "declared_conflict": _l("Declared conflict"),
    "import": _l("Import"),
    "warning": _l("Risk warning"),
    "referral": _l("Referral"),
    "centre": _l("Centre"),
    "organisation": _l("Organisation"),
    "suggestion": _l("Suggested warning"),
}

DETAIL_LABELS: dict[str, Any] = {
    "case": _l("Case"),
    "expert": _l("Expert"),
    "score": _l("Score"),
    "reason": _l("Reason"),
    "from": _l("From"),
    "to": _l("To"),
    "status": _l("Status"),
    "outcome": _l("Outcome"),
    "amount_recovered": _l("Amount recovered"),
    "email": _l("Email"),
    "role": _l("Role"),
    "user": _l("Account"),
    "count": _l("Count"),
    "message": _l("Message"),
    "redacted": _l("Redacted view"),
    "rule": _l("Routing rule"),
    "centre": _l("Centre"),
    "title": _l("Title"),
    "fields": _l("Fields changed"),
    "entity": _l("Entity"),
    "relation": _l("Relation"),
}
# Detail values that are vocabulary codes, shown by name.
DETAIL_CODES = {"from": "status", "to": "status", "status": "status", "outcome": "outcome",
                "role": "role", "relation": "relation"}
DETAIL_VALUE_MAX = 200


# -- helpers shared by the views ------------------------------------------------------------


def _top(raw: str | None) -> tuple[str, int]:
    """How many ranked experts to show: the setting by default, ``25`` or ``all`` on request."""
    if raw == TOP_ALL:
        return TOP_ALL, 0  # rank_case: top_k=0 ranks everyone
    if raw and raw.isdigit() and 1 <= int(raw) <= TOP_MAX:
        return str(int(raw)), int(raw)
    default = int(current_app.config["RANKING_TOP_K"])
    return str(default), default


def _case_url(case: DisputeCase, top: str | None = None, anchor: str | None = None) -> str:
    params: dict[str, Any] = {"case_id": case.id}
    if top and top != str(current_app.config["RANKING_TOP_K"]):
        params["top"] = top
    if anchor:
        params["_anchor"] = anchor
    return url_for("coordinator.case_detail", **params)


def _case_page(
    case: DisputeCase,
    top_raw: str | None,
    *,
    propose_form: ProposeForm | None = None,
    close_form: CloseForm | None = None,
    message_form: MessageForm | None = None,
):  # type: ignore[no-untyped-def]
    """The case page, also re-rendered with a form's errors after a refused POST."""
    top_param, top_k = _top(top_raw)
    thresholds = queue_service.Thresholds.from_config()
    ranking = matching.rank_case(case, top_k) if case.is_open else None
    live = {a.expert_id: a for a in case.assignments if a.status in LOAD_STATUSES}
    stale = {
        a.id for a in case.assignments if queue_service.proposal_is_stale(a, case, thresholds)
    }
    propose_form = propose_form or ProposeForm(formdata=None, top=top_param)
    close_form = close_form or CloseForm(formdata=None)
    close_form.version.data = str(case.version)
    message_form = message_form or MessageForm(formdata=None)
    return render_template(
        "coordinator/case.html",
        case=case,
        can_act=access.can_act_on_case(current_user, case),
        ranking=ranking,
        top_param=top_param,
        default_top=str(current_app.config["RANKING_TOP_K"]),
        live=live,
        stale=stale,
        risk=queue_service.deadline_risk(case, thresholds),
        days_left=queue_service.days_left(case),
        thresholds=thresholds,
        response_hours=queue_service.response_hours(case, thresholds),
        timeline=[s for s in STATUS_FLOW if s != "draft"],
        propose_form=propose_form,
        close_form=close_form,
        message_form=message_form,
        inferences=intake.inferences(case),
        inference_choices=_inference_choices,
    )


def _inference_choices(field: str) -> list[tuple[str, str]]:
    """The values a coordinator may correct an inferred field to, named in their language."""
    kind = intake.FORM_FIELDS.get(field, (None, False))[0]
    return i18n.choices(kind) if kind else []


def _unchanged_since_page(case: DisputeCase, form: CaseVersionForm) -> bool:
    """The case is still the version the coordinator looked at (no lost update)."""
    if form.seen_version() == case.version:
        return True
    flash(str(STALE_PAGE), "error")
    return False


# -- landing summary ------------------------------------------------------------------------


@bp.app_context_processor
def inject_queue_summary() -> dict:
    """Landing partials call ``queue_summary()``; nothing is counted unless they do."""
    return {"queue_summary": lambda: queue_service.summary(current_user)}


# -- the queue -------------------------------------------------------------------------------


@bp.route("/")
@roles_required(*VIEW_ROLES)
def queue():
    """Open cases by urgency, with deadline and re-routing flags."""
    form = QueueFilterForm(request.args)
    form.validate()
    filters = queue_service.QueueFilters(
        status=form.clean("status"),
        dispute_type=form.clean("dispute_type"),
        jurisdiction=form.clean("jurisdiction"),
        industry=form.clean("industry"),
    )
    page = queue_service.queue(current_user, filters, request.args.get("page", 1, type=int))
    filter_args = {k: v for k, v in vars(filters).items() if v}
    return render_template(
        "coordinator/queue.html", form=form, result=page, filter_args=filter_args,
        closed=filters.status == "closed",
    )


# -- the case page ---------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>")
@roles_required(*VIEW_ROLES)
def case_detail(case_id: int):
    case = access.get_case_or_404(case_id, current_user)
    queue_service.record_confidential_view(case, current_user)
    return _case_page(case, request.args.get("top"))


@bp.route("/cases/<int:case_id>/compare")
@roles_required(*VIEW_ROLES)
def compare(case_id: int):
    """Two to four experts side by side, with what the ranking says about each for this case."""
    case = access.get_case_or_404(case_id, current_user)
    top_param, top_k = _top(request.args.get("top"))
    expert_ids = list(dict.fromkeys(request.args.getlist("expert", type=int)))
    if not 2 <= len(expert_ids) <= 4:
        flash(
            _("Select two to four experts to compare (you selected %(n)d).", n=len(expert_ids)),
            "error",
        )
        return redirect(_case_url(case, top_param, "ranking"))
    experts = [access.get_expert_or_404(expert_id, current_user) for expert_id in expert_ids]
    ranking = matching.rank_case(case, top_k) if case.is_open else None
    ranked = {}
    excluded = {}
    if ranking is not None:
        ranked = {r.expert.id: (position, r) for position, r in enumerate(ranking.ranked, 1)}
        excluded = {x.expert.id: x for x in ranking.excluded}
    return render_template(
        "coordinator/compare.html",
        case=case,
        experts=experts,
        ranked=ranked,
        excluded=excluded,
        loads=assignments.loads(expert_ids),
        top_param=top_param,
        top_k=top_k,
        ranking=ranking,
    )


@bp.route("/cases/<int:case_id>/propose", methods=["POST"])
@roles_required(*ACT_ROLES)
def propose(case_id: int):
    """Propose every ticked expert; one refusal does not stop the others."""
    case = access.get_actionable_case_or_404(case_id, current_user)
    form = ProposeForm()
    submitted = [int(v) for v in request.form.getlist("experts") if v.isdigit()]
    form.experts.choices = [
        (expert_id, name)
        for expert_id, name in db.session.execute(
            select(ExpertProfile.id, ExpertProfile.full_name).where(
                ExpertProfile.id.in_(submitted)
            )
        )
    ]
    if not form.validate_on_submit():
        return _case_page(case, form.top.data, propose_form=form)
    top_param, top_k = _top(form.top.data)
    experts = [
        access.get_expert_or_404(expert_id, current_user, include_deleted=True)
        for expert_id in dict.fromkeys(form.experts.data)
    ]
    proposed: list[str] = []
    for outcome in assignments.propose_ranked(
        case, experts, current_user, top_k=top_k, note=form.note.data or None
    ):
        name = outcome.expert.full_name
        if outcome.error is not None:
            flash(_("%(name)s was not proposed: %(reason)s", name=name,
                    reason=outcome.error.message), "error")
        else:
            proposed.append(name)
    if proposed:
        flash(_("Proposed: %(names)s. They are notified and asked to answer.",
                names=", ".join(proposed)), "success")
    return redirect(_case_url(case, top_param, "assignments"))


@bp.route("/cases/<int:case_id>/assignments/<int:assignment_id>/withdraw", methods=["POST"])
@roles_required(*ACT_ROLES)
def withdraw(case_id: int, assignment_id: int):
    case = access.get_actionable_case_or_404(case_id, current_user)
    assignment = access.get_assignment_or_404(assignment_id, current_user)
    if assignment.case_id != case.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = assignment.expert.full_name
    try:
        assignments.withdraw(assignment, current_user)
    except assignments.AssignmentError as error:
        flash(error.message, "error")
    else:
        flash(_("The proposal to %(name)s is withdrawn; you can propose someone else.",
                name=name), "success")
    return redirect(_case_url(case, anchor="assignments"))


def _status_step(case_id: int, status: str, done: str):  # type: ignore[no-untyped-def]
    """Triage or start work on a case the coordinator saw in its current version."""
    case = access.get_actionable_case_or_404(case_id, current_user)
    form = CaseVersionForm()
    if not form.validate_on_submit():
        abort(400)
    if _unchanged_since_page(case, form):
        try:
            assignments.set_status(case, status, current_user)
        except assignments.AssignmentError as error:
            flash(error.message, "error")
        else:
            flash(done, "success")
    return redirect(_case_url(case))


@bp.route("/cases/<int:case_id>/inferences", methods=["POST"])
@roles_required(*ACT_ROLES)
def decide_inference(case_id: int):
    """Confirm or correct a value the intake reader inferred from the case's text."""
    case = access.get_actionable_case_or_404(case_id, current_user)
    if not EmptyForm().validate_on_submit():
        abort(400)
    field = request.form.get("field", "")
    if field not in intake.FORM_FIELDS:
        abort(400)
    try:
        if request.form.get("decision") == "correct":
            many = intake.FORM_FIELDS[field][1]
            value = request.form.getlist("value") if many else request.form.get("value", "")
            intake.correct(case, field, value, current_user)
            flash(_("The correction is saved and will teach the reader."), "success")
        else:
            intake.confirm(case, field, current_user)
            flash(_("The inferred value is confirmed."), "success")
    except intake.IntakeError as error:
        flash(str(error.message), "error")
    return redirect(_case_url(case, anchor="inferred"))


@bp.route("/cases/<int:case_id>/triage", methods=["POST"])
@roles_required(*ACT_ROLES)
def triage(case_id: int):
    return _status_step(case_id, "triaged", _("The case is triaged."))


@bp.route("/cases/<int:case_id>/start", methods=["POST"])
@roles_required(*ACT_ROLES)
def start_work(case_id: int):
    return _status_step(case_id, "in_progress", _("The case is marked as in progress."))


@bp.route("/cases/<int:case_id>/close", methods=["POST"])
@roles_required(*ACT_ROLES)
def close(case_id: int):
    """Close with an outcome; open proposals are withdrawn, accepted work completed."""
    case = access.get_actionable_case_or_404(case_id, current_user)
    form = CloseForm()
    if not form.validate_on_submit():
        return _case_page(case, request.args.get("top"), close_form=form)
    if not _unchanged_since_page(case, form):
        return redirect(_case_url(case))
    try:
        assignments.close_case(case, current_user, form.outcome.data, form.amount())
    except assignments.AssignmentError as error:
        flash(error.message, "error")
    else:
        flash(_("The case is closed as: %(outcome)s.",
                outcome=i18n.code_name("outcome", form.outcome.data)), "success")
    return redirect(_case_url(case))


@bp.route("/cases/<int:case_id>/messages", methods=["POST"])
@roles_required(*ACT_ROLES)
def send_message(case_id: int):
    case = access.get_actionable_case_or_404(case_id, current_user)
    form = MessageForm()
    if not form.validate_on_submit():
        return _case_page(case, request.args.get("top"), message_form=form)
    try:
        case_service.add_message(case, current_user, form.body.data)
    except case_service.CaseError as error:
        form.body.errors = [*form.body.errors, *(m for ms in error.problems.values() for m in ms)]
        return _case_page(case, request.args.get("top"), message_form=form)
    flash(_("Your message is sent to the enterprise."), "success")
    return redirect(_case_url(case, anchor="messages"))


# -- the audit log ---------------------------------------------------------------------------


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def object_label(object_type: str) -> str:
    label = OBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type


def detail_items(event: AuditEvent) -> list[tuple[str, str]]:
    """An event's detail as (label, value) pairs in the reader's language, kept short."""
    items = []
    for key, value in (event.detail or {}).items():
        if value in (None, ""):
            continue
        if key in DETAIL_CODES:
            text = i18n.code_name(DETAIL_CODES[key], str(value))
        elif isinstance(value, bool):
            text = _("Yes") if value else _("No")
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        elif isinstance(value, float):
            text = f"{value:.3f}"
        elif key in ("case", "expert", "user", "message") and isinstance(value, int):
            text = f"#{value}"
        else:
            text = str(value)
        if len(text) > DETAIL_VALUE_MAX:
            text = text[:DETAIL_VALUE_MAX] + "…"
        label = DETAIL_LABELS.get(key)
        items.append((str(label) if label is not None else key, text))
    return items


@bp.route("/audit")
@roles_required(*VIEW_ROLES)
def audit_log():
    """Who proposed, accepted, declined, viewed what and when, within the viewer's scope."""
    form = AuditFilterForm(request.args)
    form.action.choices = [
        ("", _("All actions")),
        *[(a, action_label(a)) for a in queue_service.audit_actions(current_user)],
    ]
    form.validate()
    case = None
    if form.case.data and not form.case.errors:
        case = access.get_case_or_404(int(form.case.data), current_user)
    action = "" if form.action.errors else (form.action.data or "")
    result = queue_service.audit_events(
        current_user, action, case.id if case else None, request.args.get("page", 1, type=int)
    )
    filter_args = {k: v for k, v in {"action": action, "case": case.id if case else ""}.items()
                   if v}
    return render_template(
        "coordinator/audit_log.html", form=form, result=result, case=case,
        filter_args=filter_args, action_label=action_label, object_label=object_label,
        detail_items=detail_items,
    )
