"""Expert: profile, past matters, conflicts, proposals and the cases they accepted.

Views validate a form, call :mod:`expertmatch.services.profiles` or
:mod:`expertmatch.services.assignments`, then flash and redirect. Objects by id go through
the access helpers, so another expert's rows are a 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from expertmatch.experts.forms import (
    BLANK_ADMISSION_ROWS,
    AcceptForm,
    ConflictForm,
    DeclineForm,
    MatterForm,
    ProfileForm,
    fill_conflict_choices,
    fill_matter_choices,
    fill_profile_choices,
)
from expertmatch.forms import EmptyForm
from expertmatch.models import Assignment, ExpertProfile, PastMatter
from expertmatch.security import roles_required
from expertmatch.services import assignments, profiles
from expertmatch.services.access import (
    expert_profile_of,
    get_assignment_or_404,
    get_case_or_404,
)

bp = Blueprint("experts", __name__, url_prefix="/expert")


@bp.app_context_processor
def expert_landing_context() -> dict[str, Any]:
    """The landing partial asks for its summary only when it is rendered (no query elsewhere)."""
    return {"expert_landing_summary": lambda: profiles.landing_summary(current_user)}


def _ranking_notice(saved: profiles.Saved) -> None:
    if not saved.ranking_current:
        flash(
            _(
                "Your change is saved. Rankings will include it shortly: the matching engine "
                "could not update right now."
            ),
            "warning",
        )


def _profile_or_redirect() -> ExpertProfile | Any:
    """Matters and conflicts hang off a profile: a new invitee saves the profile first."""
    profile = expert_profile_of(current_user)
    if profile is None:
        flash(_("Save your profile first; then you can add matters and conflicts."), "info")
        return redirect(url_for("experts.edit_profile"))
    return profile


# --- profile -------------------------------------------------------------------------------------


def _stored_codes(profile: ExpertProfile | None) -> dict[str, Any]:
    """Codes already on the profile stay choosable even when the forms do not list them."""
    if profile is None:
        return {}
    return {
        "jurisdictions": list(profile.jurisdictions or []),
        "languages": list(profile.languages or []),
        "admission_jurisdictions": [a.jurisdiction for a in profile.admissions],
        "location_country": profile.location_country,
    }


def _new_profile_defaults() -> dict[str, Any]:
    locale = (current_user.locale or "en")[:2]
    return {
        "full_name": current_user.display_name,
        "capacity": 3,
        "availability": "available",
        "profile_language": locale if locale in ("en", "zh") else "en",
        "role_type": "lawyer",
    }


def _profile_data(form: ProfileForm) -> profiles.ProfileData:
    admissions = [
        profiles.AdmissionData(
            jurisdiction=row.form.jurisdiction.data,
            year=row.form.year.data,
            status=row.form.status.data or "active",
        )
        for row in form.admissions
        if not row.form.remove.data and not row.form.is_blank
    ]
    return profiles.ProfileData(
        full_name=form.full_name.data,
        role_type=form.role_type.data,
        headline=form.headline.data,
        bio=form.bio.data or "",
        firm=form.firm.data or None,
        profile_language=form.profile_language.data or None,
        jurisdictions=list(form.jurisdictions.data),
        languages=list(form.languages.data),
        dispute_types=list(form.dispute_types.data),
        industries=list(form.industries.data or []),
        years_experience=form.years_experience.data,
        capacity=form.capacity.data,
        daily_rate=form.daily_rate.data,
        availability=form.availability.data,
        absent_until=form.absent_until.data,
        rapid_response=bool(form.rapid_response.data),
        location_country=form.location_country.data or None,
        admissions=admissions,
    )


@bp.route("/profile", methods=["GET", "POST"])
@roles_required("expert")
def edit_profile():
    profile = expert_profile_of(current_user)
    if profile is None and profiles.has_removed_profile(current_user):
        return render_template("experts/profile_removed.html", message=profiles.REMOVED_MESSAGE)
    if request.method == "POST":
        form = ProfileForm()
    elif profile is None:
        form = ProfileForm(data=_new_profile_defaults())
    else:
        form = ProfileForm(obj=profile)
    if request.method != "POST":
        for _row in range(BLANK_ADMISSION_ROWS):
            form.admissions.append_entry()
    fill_profile_choices(form, _stored_codes(profile))
    if form.validate_on_submit():
        try:
            saved = profiles.save_profile(current_user, _profile_data(form))
        except profiles.ProfileError as error:
            target = getattr(form, error.field or "full_name")
            target.errors = [*target.errors, error.message]
        else:
            flash(_("Your profile is saved and confirmed as current."), "success")
            _ranking_notice(saved)
            return redirect(url_for("experts.edit_profile"))
    return render_template("experts/profile.html", form=form, profile=profile)


# --- past matters --------------------------------------------------------------------------------


def _matter_data(form: MatterForm) -> profiles.MatterData:
    return profiles.MatterData(
        title=form.title.data,
        summary=form.summary.data or "",
        year=form.year.data,
        jurisdiction=form.jurisdiction.data or None,
        dispute_type=form.dispute_type.data or None,
        role=form.role.data or None,
    )


@bp.route("/matters/new", methods=["GET", "POST"])
@roles_required("expert")
def new_matter():
    profile = _profile_or_redirect()
    if not isinstance(profile, ExpertProfile):
        return profile
    form = MatterForm()
    fill_matter_choices(form)
    if form.validate_on_submit():
        saved = profiles.add_matter(profile, current_user, _matter_data(form))
        flash(_("The matter is added to your profile."), "success")
        _ranking_notice(saved)
        return redirect(url_for("experts.edit_profile", _anchor="matters"))
    return render_template("experts/matter_form.html", form=form, matter=None)


@bp.route("/matters/<int:matter_id>", methods=["GET", "POST"])
@roles_required("expert")
def edit_matter(matter_id: int):
    matter: PastMatter = profiles.own_matter_or_404(matter_id, current_user)
    form = MatterForm() if request.method == "POST" else MatterForm(obj=matter)
    fill_matter_choices(form, {"jurisdiction": matter.jurisdiction})
    if form.validate_on_submit():
        saved = profiles.update_matter(matter, current_user, _matter_data(form))
        flash(_("The matter is saved."), "success")
        _ranking_notice(saved)
        return redirect(url_for("experts.edit_profile", _anchor="matters"))
    return render_template("experts/matter_form.html", form=form, matter=matter)


@bp.route("/matters/<int:matter_id>/remove", methods=["POST"])
@roles_required("expert")
def remove_matter(matter_id: int):
    matter = profiles.own_matter_or_404(matter_id, current_user)
    if not EmptyForm().validate_on_submit():
        abort(400)
    saved = profiles.remove_matter(matter, current_user)
    flash(_("The matter is removed from your profile."), "success")
    _ranking_notice(saved)
    return redirect(url_for("experts.edit_profile", _anchor="matters"))


# --- declared conflicts --------------------------------------------------------------------------


@bp.route("/conflicts/new", methods=["GET", "POST"])
@roles_required("expert")
def new_conflict():
    profile = _profile_or_redirect()
    if not isinstance(profile, ExpertProfile):
        return profile
    form = ConflictForm()
    fill_conflict_choices(form)
    if form.validate_on_submit():
        data = profiles.ConflictData(
            entity_name=form.entity_name.data, relation=form.relation.data, until=form.until.data
        )
        try:
            saved = profiles.add_conflict(profile, current_user, data)
        except profiles.ProfileError as error:
            form.until.errors = [*form.until.errors, error.message]
        else:
            flash(_("The conflict is declared: you will not be proposed against it."), "success")
            _ranking_notice(saved)
            return redirect(url_for("experts.edit_profile", _anchor="conflicts"))
    return render_template("experts/conflict_form.html", form=form)


@bp.route("/conflicts/<int:conflict_id>/remove", methods=["POST"])
@roles_required("expert")
def remove_conflict(conflict_id: int):
    conflict = profiles.own_conflict_or_404(conflict_id, current_user)
    if not EmptyForm().validate_on_submit():
        abort(400)
    saved = profiles.remove_conflict(conflict, current_user)
    flash(_("The declared conflict is removed."), "success")
    _ranking_notice(saved)
    return redirect(url_for("experts.edit_profile", _anchor="conflicts"))


# --- cases ---------------------------------------------------------------------------------------


@bp.route("/cases")
@roles_required("expert")
def my_cases():
    profile = expert_profile_of(current_user)
    cases = profiles.my_cases(profile) if profile is not None else None
    return render_template(
        "experts/my_cases.html", cases=cases, profile=profile, sees_full=profiles.sees_full_case
    )


def _render_proposal(
    assignment: Assignment,
    accept_form: AcceptForm | None = None,
    decline_form: DeclineForm | None = None,
):  # type: ignore[no-untyped-def]
    """The proposal as the expert may see it now; a confidential case's view is audited."""
    redacted = not profiles.sees_full_case(assignment)
    profiles.record_case_view(current_user, assignment.case, redacted=redacted)
    return render_template(
        "experts/proposal.html",
        assignment=assignment,
        case=assignment.case,
        redacted=redacted,
        accept_form=accept_form or AcceptForm(formdata=None),
        decline_form=decline_form or DeclineForm(formdata=None),
    )


@bp.route("/proposals/<int:assignment_id>")
@roles_required("expert")
def proposal(assignment_id: int):
    return _render_proposal(get_assignment_or_404(assignment_id, current_user))


@bp.route("/proposals/<int:assignment_id>/accept", methods=["POST"])
@roles_required("expert")
def accept_proposal(assignment_id: int):
    assignment = get_assignment_or_404(assignment_id, current_user)
    form = AcceptForm()
    if not form.validate_on_submit():
        return _render_proposal(assignment, accept_form=form)
    try:
        assignments.accept(assignment, current_user, no_conflict=bool(form.no_conflict.data))
    except assignments.AssignmentError as error:
        flash(error.message, "error")
        return redirect(url_for("experts.proposal", assignment_id=assignment_id))
    flash(_("You accepted the case. Its full file is now open to you."), "success")
    return redirect(url_for("experts.case_detail", case_id=assignment.case_id))


@bp.route("/proposals/<int:assignment_id>/decline", methods=["POST"])
@roles_required("expert")
def decline_proposal(assignment_id: int):
    assignment = get_assignment_or_404(assignment_id, current_user)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _render_proposal(assignment, decline_form=form)
    try:
        assignments.decline(assignment, current_user, form.reason.data)
    except assignments.AssignmentError as error:
        flash(error.message, "error")
        return redirect(url_for("experts.proposal", assignment_id=assignment_id))
    flash(_("You declined the proposal. The coordinator will re-route the case."), "success")
    return redirect(url_for("experts.my_cases"))


@bp.route("/cases/<int:case_id>")
@roles_required("expert")
def case_detail(case_id: int):
    case = get_case_or_404(case_id, current_user)
    profile = expert_profile_of(current_user)
    if profile is None:
        abort(404)
    assignment = profiles.accepted_assignment_or_404(case, profile)
    profiles.record_case_view(current_user, case, redacted=False)
    return render_template("experts/case_detail.html", case=case, assignment=assignment)
