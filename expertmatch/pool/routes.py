"""The shared expert pool: directory, invitations, CSV import."""

from __future__ import annotations

import os
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import Select, Text, cast, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from expertmatch.extensions import db
from expertmatch.models import (
    Assignment,
    AuditEvent,
    DisputeCase,
    ExpertProfile,
    Invitation,
    User,
    utcnow,
)
from expertmatch.pool.forms import (
    ExpertSearchForm,
    ImportConfirmForm,
    ImportUploadForm,
    InvitationForm,
    RemoveExpertForm,
)
from expertmatch.security import roles_required
from expertmatch.services import access, accounts, assignments, imports, profiles
from expertmatch.vocabulary import LOAD_STATUSES

bp = Blueprint("pool", __name__, url_prefix="/pool")

POOL_READERS = ("coordinator", "network", "admin")
# Network staff read the pool but do not invite or import.
POOL_EDITORS = ("coordinator", "admin")
PER_PAGE = 25
MAX_PAGE = 10_000
# JSON list columns filtered by code: the stored JSON text contains the quoted code.
_LIST_FILTERS = {
    "jurisdiction": ExpertProfile.jurisdictions,
    "dispute_type": ExpertProfile.dispute_types,
    "industry": ExpertProfile.industries,
    "language": ExpertProfile.languages,
}


def case_link(case_id: int) -> str | None:
    """The coordinator's case page, when that blueprint is registered."""
    if "coordinator.case_detail" not in current_app.view_functions:
        return None
    return url_for("coordinator.case_detail", case_id=case_id)


@bp.app_context_processor
def _pool_helpers() -> dict[str, Any]:
    return {"case_link": case_link}


# ---------------------------------------------------------------------------------------------
# Directory


def directory_query(criteria: dict[str, str]) -> Select:
    """Experts matching the search, portable across SQLite and PostgreSQL.

    JSON lists are compared as text: a code is stored quoted (``"DE"``), so a LIKE on the
    quoted code cannot match a longer code that contains it.
    """
    query = select(ExpertProfile).where(ExpertProfile.deleted_at.is_(None))
    text = criteria.get("q", "")
    if text:
        query = query.where(or_(*(
            column.icontains(text, autoescape=True)
            for column in (ExpertProfile.full_name, ExpertProfile.headline,
                           ExpertProfile.firm, ExpertProfile.bio)
        )))
    for name, column in _LIST_FILTERS.items():
        if code := criteria.get(name):
            query = query.where(cast(column, Text).contains(f'"{code}"', autoescape=True))
    if availability := criteria.get("availability"):
        query = query.where(ExpertProfile.availability == availability)
    if role_type := criteria.get("role_type"):
        query = query.where(ExpertProfile.role_type == role_type)
    return query.order_by(func.lower(ExpertProfile.full_name), ExpertProfile.id)


def _page_number() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


@bp.route("/experts")
@roles_required(*POOL_READERS)
def experts():
    form = ExpertSearchForm(request.args)
    form.fill_choices()
    form.validate()
    criteria = form.criteria()
    page = db.paginate(
        directory_query(criteria).options(selectinload(ExpertProfile.home_centre)),
        page=_page_number(), per_page=PER_PAGE, error_out=False,
    )
    ids = [expert.id for expert in page.items]
    loads = assignments.loads(ids) if ids else {}
    filters = {k: v for k, v in criteria.items() if v}
    return render_template(
        "pool/experts.html", form=form, page=page, loads=loads, filters=filters,
        can_edit=current_user.role in POOL_EDITORS,
    )


@bp.route("/experts/<int:expert_id>")
@roles_required(*POOL_READERS)
def expert_detail(expert_id: int):
    expert = access.get_expert_or_404(expert_id, current_user)
    current = select(Assignment).where(
        Assignment.expert_id == expert.id, Assignment.status.in_(LOAD_STATUSES)
    )
    # Only cases the viewer may see are named; the rest is a count (shared pool, own cases).
    visible = db.session.scalars(
        current.join(DisputeCase, DisputeCase.id == Assignment.case_id)
        .where(access.case_filter(current_user))
        .options(selectinload(Assignment.case))
        .order_by(Assignment.proposed_at, Assignment.id)
    ).all()
    total = db.session.scalar(select(func.count()).select_from(current.subquery()))
    load = assignments.loads([expert.id]).get(expert.id, 0)
    return render_template(
        "pool/expert_detail.html", expert=expert, visible=visible,
        elsewhere=int(total or 0) - len(visible), load=load,
        can_edit=current_user.role in POOL_EDITORS, remove_form=RemoveExpertForm(),
    )


@bp.route("/experts/<int:expert_id>/remove", methods=["POST"])
@roles_required(*POOL_EDITORS)
def remove_expert(expert_id: int):
    """Soft delete: the expert leaves the pool; their past assignments stay on record."""
    expert = access.get_expert_or_404(expert_id, current_user)
    form = RemoveExpertForm()
    if not form.validate_on_submit():
        for error in form.reason.errors or [_("Give a reason for removing the expert.")]:
            flash(error, "error")
        return redirect(url_for("pool.expert_detail", expert_id=expert.id))
    profiles.remove_profile(expert, current_user, form.reason.data)
    flash(_("%(name)s was removed from the pool. Past assignments are kept.",
            name=expert.full_name), "success")
    return redirect(url_for("pool.experts"))


# ---------------------------------------------------------------------------------------------
# Invitations


def _recent_invitations(limit: int = 50) -> list[Invitation]:
    """Invitations sent from the viewer's centre (all of them for administrators)."""
    query = select(Invitation).options(selectinload(Invitation.created_by))
    if current_user.role != "admin":
        query = query.join(User, User.id == Invitation.created_by_id).where(
            or_(User.id == current_user.id,
                (User.centre_id == current_user.centre_id) & User.centre_id.is_not(None))
        )
    return list(db.session.scalars(
        query.order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(limit)
    ))


def _profile_to_link(form: InvitationForm) -> tuple[bool, ExpertProfile | None]:
    """The profile the new account should take over: the one named, else the only imported
    profile with this email. (ok, profile); ok is False when the named one cannot be used."""
    if form.expert_id.data:
        expert = db.session.get(ExpertProfile, form.expert_id.data)
        if expert is None or expert.deleted_at is not None:
            form.expert_id.errors.append(_("There is no expert profile with this number."))
            return False, None
        if expert.user_id is not None:
            form.expert_id.errors.append(_("This expert already has an account."))
            return False, None
        return True, expert
    matches = db.session.scalars(
        select(ExpertProfile).where(
            func.lower(ExpertProfile.email) == accounts.normalise_email(form.email.data),
            ExpertProfile.user_id.is_(None), ExpertProfile.deleted_at.is_(None),
        ).limit(2)
    ).all()
    return True, (matches[0] if len(matches) == 1 else None)


@bp.route("/invitations", methods=["GET", "POST"])
@roles_required(*POOL_EDITORS)
def invite():
    form = InvitationForm()
    if request.method == "GET" and (expert_id := request.args.get("expert_id", type=int)):
        expert = db.session.get(ExpertProfile, expert_id)
        if expert is not None and expert.user_id is None and expert.deleted_at is None:
            form.expert_id.data = expert.id
            form.name.data = expert.full_name[:120]
            form.email.data = expert.email
    link = invited = linked = None
    if form.validate_on_submit():
        ok, expert = _profile_to_link(form)
        if accounts.email_taken(form.email.data):
            form.email.errors.append(
                _("An account with this email already exists: this expert can sign in already.")
            )
        elif ok:
            invited, token = accounts.new_invitation(
                current_user, form.email.data, form.name.data, expert=expert,
                ttl_days=int(current_app.config["INVITATION_TTL_DAYS"]),
            )
            # Only the hash is stored: this page is the one time the link can be shown.
            link = url_for("auth.accept_invitation", token=token, _external=True)
            linked = expert
            form = InvitationForm(formdata=None)
    return render_template(
        "pool/invite.html", form=form, link=link, invited=invited, linked=linked,
        invitations=_recent_invitations(), now=utcnow(),
    )


# ---------------------------------------------------------------------------------------------
# CSV import


def _safe_filename(form: ImportUploadForm) -> str:
    name = getattr(form.file.data, "filename", "") or ""
    return "".join(ch for ch in name if ch.isprintable())[:200]


def _import_events(limit: int = 10) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == imports.AUDIT_ACTION)
    if current_user.role != "admin":
        query = query.where(or_(
            AuditEvent.actor_id == current_user.id,
            (AuditEvent.centre_id == current_user.centre_id) & AuditEvent.centre_id.is_not(None),
        ))
    return list(db.session.scalars(
        query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    ))


def _render_upload(form: ImportUploadForm, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "pool/import.html", form=form, columns=imports.COLUMNS, recent=_import_events(),
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
        max_mb=imports.max_file_bytes() // (1024 * 1024),
    ), status


def _render_preview(preview: imports.ImportPreview, ticket: str | None, filename: str,
                    notice: str | None = None):  # type: ignore[no-untyped-def]
    confirm = ImportConfirmForm(formdata=None)
    confirm.ticket.data = ticket
    return render_template(
        "pool/import_preview.html", preview=preview, confirm=confirm, filename=filename,
        notice=notice, columns=imports.COLUMN_NAMES,
    )


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
    """A body over the app-wide limit never reaches the form: say so on the upload page."""
    db.session.rollback()
    if request.endpoint != "pool.import_experts" or getattr(
        current_user, "role", None
    ) not in POOL_EDITORS:
        return render_template("errors/error.html", code=413,
                               message=_("The upload is too large.")), 413
    form = ImportUploadForm(formdata=None)
    form.file.errors = [str(imports.too_large_message(imports.max_file_bytes()))]
    return _render_upload(form, 413)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*POOL_EDITORS)
def import_experts():
    # Uploads here may be far larger than any other form (IMPORT_MAX_BYTES, 50k rows).
    request.max_content_length = imports.max_file_bytes() + 1024 * 1024
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _render_upload(form)
    data = form.read_file()
    if data is None:
        return _render_upload(form)
    preview = imports.preview_upload(data)
    if preview.file_problems:
        form.file.errors = [str(p) for p in preview.file_problems]
        return _render_upload(form)
    filename = _safe_filename(form)
    ticket = imports.stash_upload(data, current_user, preview, filename) if (
        preview.valid_rows) else None
    return _render_preview(preview, ticket, filename)


@bp.route("/import/confirm", methods=["POST"])
@roles_required(*POOL_EDITORS)
def import_confirm():
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        flash(_("This preview has expired. Upload the file again."), "error")
        return redirect(url_for("pool.import_experts"))
    try:
        confirmation = imports.confirm(form.ticket.data, current_user)
    except imports.ImportRefused as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("pool.import_experts"))
    except SQLAlchemyError as error:
        current_app.logger.warning("expert import refused: %s", error)
        flash(_("The import failed and nothing was saved. Please try again."), "error")
        return redirect(url_for("pool.import_experts"))
    if confirmation.job is None:
        return _render_preview(
            confirmation.preview, confirmation.ticket, confirmation.filename,
            notice=_("The pool changed since the preview (for example, an expert with one of "
                     "these emails was added). Nothing was imported: check the rows again."),
        )
    flash(ngettext("The import of %(num)d expert has started. Its progress is shown here.",
                   "The import of %(num)d experts has started. Its progress is shown here.",
                   int((confirmation.job.params or {}).get("rows", 0))), "success")
    return redirect(url_for("jobs.detail", job_id=confirmation.job.id))


@bp.route("/import/example.csv")
@roles_required(*POOL_EDITORS)
def import_example():
    path = os.path.join(current_app.config["DATA_DIR"], "demo", "import_example.csv")
    if not os.path.isfile(path):
        abort(404)
    return send_file(path, mimetype="text/csv", as_attachment=True,
                     download_name="expertmatch_import_example.csv")


@bp.route("/imports/<int:event_id>")
@roles_required(*POOL_EDITORS)
def import_status(event_id: int):
    event = db.session.get(AuditEvent, event_id)
    if event is None or event.action != imports.AUDIT_ACTION:
        abort(404)
    if current_user.role != "admin" and not (
        event.actor_id == current_user.id
        or (event.centre_id is not None and event.centre_id == current_user.centre_id)
    ):
        abort(404)
    detail = event.detail or {}
    ids = [i for i in detail.get("expert_ids", []) if isinstance(i, int)]
    progress = imports.encoding_progress(ids)
    return render_template(
        "pool/import_status.html", event=event, detail=detail, progress=progress,
    )
