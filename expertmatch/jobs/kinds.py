"""Every kind of background job, registered with one call each. A new kind (batch assignment
plans, retraining) adds one ``jobs.register(...)`` here around its own service functions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from expertmatch.extensions import db
from expertmatch.models import (
    DisputeCase,
    ExpertProfile,
    Job,
    Notification,
    TextVector,
    User,
    utcnow,
)
from expertmatch.services import imports, jobs
from expertmatch.vocabulary import N_

REINDEX_CHUNK = 200


# -- import: the rows in one transaction, then their texts chunk by chunk -------------------

jobs.register(imports.JOB_KIND, N_("Expert import"), imports.encode_import_chunk,
              plan=imports.plan_import_job, finish=imports.finish_import_job)


# -- reindex: every live expert's texts for the configured model ----------------------------


def _plan_reindex(job: Job) -> list[list[int]]:
    ids = list(db.session.scalars(
        select(ExpertProfile.id).where(ExpertProfile.deleted_at.is_(None))
        .order_by(ExpertProfile.id)))
    return [ids[i: i + REINDEX_CHUNK] for i in range(0, len(ids), REINDEX_CHUNK)]


def _reindex_chunk(job: Job, expert_ids: list[int]) -> None:
    from expertmatch.matching import ModelUnavailable
    from expertmatch.services import matching

    st = matching.state()
    if st.encoder is None:
        raise jobs.JobRefused(ModelUnavailable(st.model_error or "no embedding model"))
    imports.encode_import_chunk(job, expert_ids)


def _finish_reindex(job: Job) -> None:
    from expertmatch.services import matching

    pruned = 0
    st = matching.state()
    if (job.params or {}).get("prune") and st.encoder is not None:
        pruned = db.session.execute(
            delete(TextVector).where(TextVector.model != st.encoder.name)).rowcount or 0
    job.result = {"experts": job.progress_total or 0, "pruned": pruned, "model": st.spec}


jobs.register("reindex", N_("Reindex the expert pool"), _reindex_chunk, plan=_plan_reindex,
              finish=_finish_reindex)


# -- scheduled sweeps -----------------------------------------------------------------------


def _recent_links(kind: str, hours: int) -> set[tuple[int, str | None]]:
    since = utcnow() - timedelta(hours=hours)
    rows = db.session.execute(
        select(Notification.user_id, Notification.link)
        .where(Notification.kind == kind, Notification.created_at >= since)).all()
    return {(user_id, link) for user_id, link in rows}


def sweep_deadlines(job: Job, _items: list[Any]) -> None:
    """Tell each centre's coordinators about open cases whose deadline is near or past,
    at most once a day per case and coordinator."""
    from expertmatch.models import OPEN_STATUSES
    from expertmatch.services import audit, queue

    thresholds = queue.Thresholds.from_config()
    limit = queue.today() + timedelta(days=thresholds.warning_days)
    cases = db.session.scalars(
        select(DisputeCase).where(DisputeCase.status.in_(OPEN_STATUSES),
                                  DisputeCase.deadline.is_not(None),
                                  DisputeCase.deadline <= limit)
        .order_by(DisputeCase.deadline, DisputeCase.id)).all()
    told = _recent_links("case.deadline_risk", 20)
    sent = 0
    for case in cases:
        link = jobs.path_for("coordinator.case_detail", case_id=case.id)
        days = queue.days_left(case)
        for uid in audit.coordinator_ids(case.centre_id):
            if (uid, link) in told:
                continue
            audit.notify(uid, "case.deadline_risk", link, ref=case.reference or f"#{case.id}",
                         days=days)
            sent += 1
    job.result = {"cases": len(cases), "notified": sent}


def sweep_clusters(job: Job, _items: list[Any]) -> None:
    """Tell coordinators about new risk-warning suggestions (clusters of their cases), once
    per suggestion and coordinator."""
    from expertmatch.services import audit, network

    coordinators = db.session.scalars(
        select(User).where(User.role == "coordinator", User.active.is_(True))).all()
    told = _recent_links("cluster.suggested", 24 * 365)
    sent = 0
    for user in coordinators:
        for suggestion in network.suggestions_for(user):
            link = jobs.path_for("network.new_warning", suggestion=suggestion.key)
            if (user.id, link) in told:
                continue
            audit.notify(user.id, "cluster.suggested", link, cases=suggestion.size)
            sent += 1
    job.result = {"notified": sent}


jobs.register("sweep.deadlines", N_("Deadline risk sweep"), sweep_deadlines, retries=1)
jobs.register("sweep.clusters", N_("Risk-warning cluster sweep"), sweep_clusters, retries=1)


# -- batch assignment plans and teams: one chunk each (the solve is seconds, not minutes) ---


def _register_plans() -> None:
    from expertmatch.services import plans

    jobs.register(plans.BATCH_KIND, N_("Batch assignment plan"), plans.compute_batch, retries=1)
    jobs.register(plans.TEAM_KIND, N_("Team assembly"), plans.compute_team, retries=1)


_register_plans()
