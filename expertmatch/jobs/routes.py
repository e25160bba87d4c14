"""The jobs page: the user's background jobs with live progress, cancel, and (admins) reindex.

Coordinators see their centre's jobs and their own; administrators every job. The page works
as plain HTML; ``static/js/app.js`` polls each unfinished job's JSON progress and updates it
in place (an aria-live region), never reloading the page.
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from expertmatch.forms import EmptyForm
from expertmatch.security import roles_required
from expertmatch.services import jobs

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

JOB_VIEWERS = ("coordinator", "admin")


@bp.route("/")
@roles_required(*JOB_VIEWERS)
def index():
    return render_template("jobs/index.html", jobs=jobs.jobs_for(current_user),
                           form=EmptyForm(), label=jobs.kind_label)


@bp.route("/<int:job_id>")
@roles_required(*JOB_VIEWERS)
def detail(job_id: int):
    job = jobs.get_job_or_404(job_id, current_user)
    return render_template("jobs/detail.html", job=job, form=EmptyForm(),
                           label=jobs.kind_label)


@bp.route("/<int:job_id>/progress")
@roles_required(*JOB_VIEWERS)
def progress(job_id: int):
    job = jobs.get_job_or_404(job_id, current_user)
    data = jobs.progress(job)
    data["state_label"] = state_label(job.state)
    data["text"] = progress_text(data)
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:job_id>/cancel", methods=["POST"])
@roles_required(*JOB_VIEWERS)
def cancel(job_id: int):
    job = jobs.get_job_or_404(job_id, current_user)
    if not EmptyForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return redirect(url_for("jobs.detail", job_id=job.id))
    try:
        jobs.request_cancel(job)
    except jobs.JobError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Cancel requested: the job stops after the part it is working on."), "success")
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.route("/reindex", methods=["POST"])
@roles_required("admin")
def reindex():
    if not EmptyForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return redirect(url_for("jobs.index"))
    job = jobs.start("reindex", {"prune": False}, by=current_user)
    flash(_("Reindexing has started."), "success")
    return redirect(url_for("jobs.detail", job_id=job.id))


def state_label(state: str) -> str:
    return {
        "queued": _("Waiting for a worker"),
        "running": _("Running"),
        "done": _("Done"),
        "failed": _("Failed"),
        "cancelled": _("Cancelled"),
    }.get(state, state)


def progress_text(data: dict) -> str:
    if data["total"]:
        return _("%(done)d of %(total)d done", done=data["done"], total=data["total"])
    return state_label(data["state"])


@bp.app_context_processor
def _helpers() -> dict:
    return {"job_state_label": state_label, "job_progress_text": progress_text,
            "job_progress": jobs.progress}
