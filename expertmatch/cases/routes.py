"""Enterprise: dispute intake, drafts, my cases, the case page and its messages.

Views are thin: they validate a form, call :mod:`expertmatch.services.cases`, flash and
redirect, or re-render the page with the messages next to the fields. Every case is loaded
through :func:`expertmatch.services.access.get_case_or_404`: another organisation's case is a
404 on every route.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import case as sql_case
from sqlalchemy import func, select

from expertmatch import i18n
from expertmatch.cases.forms import CaseForm, MessageForm
from expertmatch.extensions import db
from expertmatch.forms import EmptyForm
from expertmatch.models import OPEN_STATUSES, DisputeCase
from expertmatch.security import roles_required
from expertmatch.services import cases, deadlines, intake
from expertmatch.services.access import get_case_or_404, visible_cases

bp = Blueprint("cases", __name__, url_prefix="/cases")


def _warning_days() -> int:
    return int(current_app.config.get("DEADLINE_WARNING_DAYS", 7))


def _risk(case: DisputeCase) -> str | None:
    if case.status == "closed":
        return None
    return deadlines.deadline_risk(case.deadline, _warning_days())


@bp.app_context_processor
def inject_helpers() -> dict[str, Any]:
    """``enterprise_summary()`` for the enterprise landing partial (main/_landing_enterprise)."""
    return {"enterprise_summary": enterprise_summary}


def enterprise_summary() -> dict[str, Any]:
    """Open cases, drafts and the next deadline of the signed-in enterprise's organisation."""
    if not current_user.is_authenticated or current_user.role != "enterprise":
        return {}
    base = visible_cases(current_user).subquery()
    counts = dict(
        db.session.execute(
            select(base.c.status, func.count()).group_by(base.c.status)
        ).all()
    )
    next_case = db.session.scalar(
        visible_cases(current_user)
        .where(
            DisputeCase.status.in_((*OPEN_STATUSES, "draft")),
            DisputeCase.deadline.is_not(None),
            DisputeCase.deadline >= deadlines.local_today(),
        )
        .order_by(DisputeCase.deadline, DisputeCase.id)
        .limit(1)
    )
    return {
        "open": sum(counts.get(s, 0) for s in OPEN_STATUSES),
        "drafts": counts.get("draft", 0),
        "closed": counts.get("closed", 0),
        "next_case": next_case,
        "next_risk": _risk(next_case) if next_case else None,
    }


# ---------------------------------------------------------------------------------------------
# My cases and the case page


@bp.route("/")
@roles_required("enterprise")
def my_cases():
    rows = db.session.scalars(
        visible_cases(current_user).order_by(
            sql_case((DisputeCase.status == "closed", 1), else_=0),
            DisputeCase.deadline.is_(None),
            DisputeCase.deadline,
            DisputeCase.created_at.desc(),
            DisputeCase.id.desc(),
        )
    ).all()
    return render_template(
        "cases/list.html",
        cases=rows,
        risks={case.id: _risk(case) for case in rows},
        warning_days=_warning_days(),
    )


def _render_detail(case: DisputeCase, message_form: MessageForm, status: int = 200):  # type: ignore[no-untyped-def]
    return (
        render_template(
            "cases/detail.html",
            case=case,
            explanation=deadlines.explain_case(case, i18n.current_locale()),
            risk=_risk(case),
            warning_days=_warning_days(),
            timeline=cases.timeline(case),
            experts=cases.accepted_experts(case),
            message_form=message_form,
            submit_form=EmptyForm(),
        ),
        status,
    )


@bp.route("/<int:case_id>")
@roles_required("enterprise")
def case_detail(case_id: int):
    case = get_case_or_404(case_id, current_user)
    return _render_detail(case, MessageForm(formdata=None))


@bp.route("/<int:case_id>/messages", methods=["POST"])
@roles_required("enterprise")
def post_message(case_id: int):
    case = get_case_or_404(case_id, current_user)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            cases.add_message(case, current_user, form.body.data)
        except cases.CaseError as error:
            if case.status != "draft":
                form.body.errors = [*form.body.errors, error.message]
                return _render_detail(case, form)
            flash(error.message, "error")  # a draft's page has no message form to show it on
        else:
            flash(_("Your message was sent to the centre."), "success")
        return redirect(url_for("cases.case_detail", case_id=case.id, _anchor="messages"))
    return _render_detail(case, form)


# ---------------------------------------------------------------------------------------------
# Intake: new case, edit draft, submit draft


def _render_form(  # type: ignore[no-untyped-def]
    form: CaseForm, case: DisputeCase | None = None, status: int = 200, suggestions=None
):
    explanation = deadlines.explain_case(case, i18n.current_locale()) if case else None
    missing_trigger = None
    if case is not None and case.deadline is None:
        pending = cases.compute_deadline(cases.CaseData.from_case(case))
        if pending.missing_trigger:
            missing_trigger = deadlines.trigger_label(pending.missing_trigger)
    return (
        render_template(
            "cases/form.html",
            form=form,
            case=case,
            explanation=explanation,
            missing_trigger=missing_trigger,
            risk=_risk(case) if case else None,
            warning_days=_warning_days(),
            organisation=current_user.organisation,
            suggestions=suggestions,
            suggestion_view=_suggestion_view,
        ),
        status,
    )


def _save(form: CaseForm, case: DisputeCase | None):  # type: ignore[no-untyped-def]
    """The shared POST handling of the new and edit pages."""
    if form.action == "add_counterparty":
        form.add_row()
        return _render_form(form, case)
    if form.action == "suggest":
        found = intake.suggestions(form.title.data or "", form.description.data or "")
        form.apply_suggestions(found)
        return _render_form(form, case, suggestions=found)
    submitting = form.action == "submit"
    if form.validate_for(submitting):
        try:
            if case is None:
                case = cases.save_draft(current_user, form.to_data(), submit=submitting)
            else:
                case = cases.update_draft(case, current_user, form.to_data(), submit=submitting)
        except cases.CaseError as error:
            form.attach(error.problems)
        else:
            intake.record_reading(case, form.offered_fields, current_user)
            db.session.commit()
            if submitting:
                flash(_("Your case was submitted with reference %(ref)s. A coordinator will "
                        "contact you.", ref=case.reference), "success")
                return redirect(url_for("cases.case_detail", case_id=case.id))
            flash(_("Your draft is saved. You can complete and submit it later."), "success")
            return redirect(url_for("cases.edit_case", case_id=case.id))
    return _render_form(form, case)


@bp.route("/new", methods=["GET", "POST"])
@roles_required("enterprise")
def new_case():
    if current_user.organisation_id is None:
        abort(403)
    if request.method != "POST":
        return _render_form(CaseForm(data=cases.prefill(current_user)))
    return _save(CaseForm(), None)


def _draft_or_redirect(case_id: int) -> DisputeCase | Any:
    case = get_case_or_404(case_id, current_user)
    if case.status != "draft":
        flash(_("This case was submitted and can no longer be edited. Send the centre a "
                "message instead."), "info")
        return redirect(url_for("cases.case_detail", case_id=case.id))
    return case


def _form_of(case: DisputeCase, **kwargs: Any) -> CaseForm:
    override = case.deadline if case.deadline_overridden else None
    return CaseForm(obj=case, deadline_override=override, **kwargs)


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@roles_required("enterprise")
def edit_case(case_id: int):
    case = _draft_or_redirect(case_id)
    if not isinstance(case, DisputeCase):
        return case
    form = _form_of(case)
    if not form.is_submitted():
        return _render_form(form, case)
    return _save(form, case)


@bp.route("/<int:case_id>/submit", methods=["POST"])
@roles_required("enterprise")
def submit_case(case_id: int):
    """Submit a stored draft from its page; what is missing is shown on the edit page."""
    case = _draft_or_redirect(case_id)
    if not isinstance(case, DisputeCase):
        return case
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        cases.submit(case, current_user)
    except cases.CaseError as error:
        form = _form_of(case, formdata=None)
        form.attach(error.problems)
        flash(_("The case is not ready to submit yet: see the marked fields."), "error")
        return _render_form(form, case)
    flash(_("Your case was submitted with reference %(ref)s. A coordinator will contact you.",
            ref=case.reference), "success")
    return redirect(url_for("cases.case_detail", case_id=case.id))


_FIELD_LABELS = {
    "dispute_type": _l("Type of dispute"),
    "industry": _l("Industry"),
    "jurisdictions": _l("Jurisdictions"),
    "languages": _l("Languages of the proceedings and your team"),
    "forum": _l("Court, office, customs authority or platform"),
}


def _suggestion_view(found: dict[str, list[Any]] | None) -> list[dict[str, Any]]:
    """Suggestions as the page and the JSON endpoint show them: names in the reader's language."""
    rows = []
    for name, values in (found or {}).items():
        kind = intake.FORM_FIELDS[name][0]
        rows.append(
            {
                "field": name,
                "label": str(_FIELD_LABELS[name]),
                "values": [
                    {
                        "value": v.value,
                        "name": i18n.code_name(kind, v.value) if kind else v.value,
                        "confidence": round(v.confidence, 2),
                        "evidence": v.evidence,
                    }
                    for v in values
                ],
            }
        )
    return rows


@bp.route("/suggest", methods=["POST"])
@roles_required("enterprise")
def suggest():
    """As-you-type suggestions for the intake form (JSON; CSRF token in the X-CSRFToken header)."""
    payload = request.get_json(silent=True) or {}
    title = str(payload.get("title") or "")[:300]
    description = str(payload.get("description") or "")[: cases.MAX_DESCRIPTION]
    return jsonify({"suggestions": _suggestion_view(intake.suggestions(title, description))})
