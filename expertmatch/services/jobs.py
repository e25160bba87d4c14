"""Background jobs: start, progress, cancel, and the chunk loop every long operation runs in.

A job kind is registered with one call, :func:`register` (a function that does one chunk of
work; optionally one that plans the chunks and one that finishes). The task queue
(``expertmatch/jobs/``) only calls :func:`run_plan` and :func:`run_chunk` with ids; all state
lives in the ``jobs`` and ``job_chunks`` rows, so that any worker on any machine can continue
what another one started:

- planning and each chunk are claimed with one conditional UPDATE (``... WHERE state =
  'pending'``): a chunk is done by one worker at a time and, once marked done, never again;
- a chunk's work is idempotent (its writes are keyed, or committed with its mark), so a worker
  killed mid-chunk leaves nothing half written: :func:`recover` hands the chunk to another
  worker, which redoes it from the start of that chunk;
- a failing chunk is retried with exponential backoff, then the job fails with the error text;
- cancel is a flag read at every chunk boundary;
- a scheduled job inserts a row with a unique ``dedupe_key`` (kind and time slot), so that it
  runs once per schedule however many workers' schedulers fire.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from expertmatch.extensions import db
from expertmatch.models import FINAL_STATES, Job, JobChunk, User, utcnow

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000


class JobError(ValueError):
    """A job cannot be started or cancelled; the message is for the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class JobRefused(Exception):
    """Raised by a kind's function when retrying cannot help (bad input, a changed pool):
    the job fails at once with this message."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class JobKind:
    """What a kind of job does. ``chunk(job, items)`` does one chunk's work and may commit;
    ``plan(job)`` returns the chunks' item lists (default: one empty chunk) and may add rows
    to the session, committed together with the chunks; ``finish(job)`` runs once at the end
    (set ``job.result`` / ``job.result_url``)."""

    name: str
    label: Any
    chunk: Callable[[Job, list[Any]], None]
    plan: Callable[[Job], Sequence[Sequence[Any]]] | None = None
    finish: Callable[[Job], None] | None = None
    retries: int = 3


KINDS: dict[str, JobKind] = {}


def register(
    name: str,
    label: Any,
    chunk: Callable[[Job, list[Any]], None],
    *,
    plan: Callable[[Job], Sequence[Sequence[Any]]] | None = None,
    finish: Callable[[Job], None] | None = None,
    retries: int = 3,
) -> JobKind:
    """Add a job kind; a second registration of the same name replaces the first."""
    kind = JobKind(name, label, chunk, plan, finish, retries)
    KINDS[name] = kind
    return kind


def kind_label(name: str) -> str:
    kind = KINDS.get(name)
    return str(kind.label) if kind else name


def worker_name() -> str:
    """``host:pid`` of this process: recovery can tell a dead local worker from a live one."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _enqueue_plan(job_id: int, delay: float = 0) -> None:
    from expertmatch.jobs import tasks

    tasks.enqueue_plan(job_id, delay)


def _enqueue_chunks(chunk_ids: Sequence[int], delay: float = 0) -> None:
    from expertmatch.jobs import tasks

    for chunk_id in chunk_ids:
        tasks.enqueue_chunk(chunk_id, delay)


def _short(error: BaseException | str) -> str:
    text = str(getattr(error, "message", None) or error) or error.__class__.__name__
    return text[:MAX_ERROR_CHARS]


# -- starting -------------------------------------------------------------------------------


def create(
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    by: User | None = None,
    centre_id: int | None = None,
    dedupe_key: str | None = None,
) -> Job:
    """Add a queued job to the session (the caller commits, then calls :func:`enqueue`)."""
    if kind not in KINDS:
        raise JobError(_l("Unknown kind of job."))
    job = Job(
        kind=kind, state="queued", params=params or {}, dedupe_key=dedupe_key,
        started_by_id=by.id if by is not None else None,
        centre_id=centre_id if centre_id is not None else getattr(by, "centre_id", None),
    )
    db.session.add(job)
    return job


def enqueue(job: Job) -> Job:
    """Hand a committed job to the queue."""
    _enqueue_plan(job.id)
    return job


def start(kind: str, params: dict[str, Any] | None = None, *, by: User | None = None,
          centre_id: int | None = None) -> Job:
    """Create, commit and queue a job in one call."""
    job = create(kind, params, by=by, centre_id=centre_id)
    db.session.commit()
    return enqueue(job)


def start_scheduled(kind: str, slot: str) -> Job | None:
    """Start the run of a scheduled job for one time slot, unless another scheduler already
    did (the unique ``dedupe_key`` decides); returns None then."""
    job = create(kind, {"slot": slot}, dedupe_key=f"{kind}:{slot}"[:120])
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return enqueue(job)


# -- running --------------------------------------------------------------------------------


def _claim_job(job_id: int) -> bool:
    now = utcnow()
    claimed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.state == "queued")
        .values(state="running", worker=worker_name(), attempts=Job.attempts + 1,
                started_at=func.coalesce(Job.started_at, now), heartbeat_at=now)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def run_plan(job_id: int) -> list[int]:
    """Claim a queued job, plan its chunks (with the kind's own writes, in one transaction)
    and queue them. Returns the chunk ids queued."""
    if not _claim_job(job_id):
        return []
    job = db.session.get(Job, job_id)
    if job is None:
        return []
    kind = KINDS.get(job.kind)
    if kind is None:
        _fail(job_id, f"unknown job kind {job.kind!r}")
        return []
    if job.cancel_requested:
        _cancel(job_id)
        return []
    try:
        plans = [list(items) for items in kind.plan(job)] if kind.plan else [[]]
        chunks = [
            JobChunk(job_id=job.id, position=i, items=items, size=max(len(items), 1))
            for i, items in enumerate(plans)
        ]
        db.session.add_all(chunks)
        job.progress_total = sum(c.size for c in chunks) if chunks else 0
        job.heartbeat_at = utcnow()
        db.session.commit()
    except JobRefused as refused:
        db.session.rollback()
        _fail(job_id, _short(refused))
        return []
    except Exception as error:
        db.session.rollback()
        log.exception("planning job %s failed", job_id)
        _retry_or_fail_plan(job_id, kind, error)
        return []
    ids = [c.id for c in chunks]
    if not ids:
        _maybe_finish(job_id)
    _enqueue_chunks(ids)
    return ids


def _backoff(attempt: int) -> float:
    base = float(current_app.config.get("JOB_RETRY_DELAY_SECONDS", 5))
    return base * (2 ** max(attempt - 1, 0))


def _retry_or_fail_plan(job_id: int, kind: JobKind, error: BaseException) -> None:
    job = db.session.get(Job, job_id)
    if job is None:
        return
    if job.attempts <= kind.retries:
        job.state = "queued"
        job.error = _short(error)
        db.session.commit()
        _enqueue_plan(job_id, _backoff(job.attempts))
    else:
        _fail(job_id, _short(error))


def _claim_chunk(chunk_id: int) -> bool:
    claimed = db.session.execute(
        update(JobChunk).where(JobChunk.id == chunk_id, JobChunk.state == "pending")
        .values(state="running", worker=worker_name(), claimed_at=utcnow(),
                attempts=JobChunk.attempts + 1)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def run_chunk(chunk_id: int) -> bool:
    """Claim one pending chunk and do it; True when it was done here."""
    if not _claim_chunk(chunk_id):
        return False
    chunk = db.session.get(JobChunk, chunk_id)
    job = db.session.get(Job, chunk.job_id) if chunk is not None else None
    if chunk is None or job is None:
        return False
    if job.state != "running":
        chunk.state = "cancelled"
        db.session.commit()
        return False
    if job.cancel_requested:
        _cancel(job.id)
        return False
    kind = KINDS[job.kind]
    job_id, attempts, size, items = job.id, chunk.attempts, chunk.size, list(chunk.items or [])
    try:
        kind.chunk(job, items)
        db.session.commit()
    except JobRefused as refused:
        db.session.rollback()
        _fail(job_id, _short(refused))
        return False
    except Exception as error:
        db.session.rollback()
        log.exception("chunk %s of job %s failed (attempt %s)", chunk_id, job_id, attempts)
        if attempts <= kind.retries:
            db.session.execute(update(JobChunk).where(JobChunk.id == chunk_id)
                               .values(state="pending", worker=None))
            db.session.execute(update(Job).where(Job.id == job_id).values(error=_short(error)))
            db.session.commit()
            _enqueue_chunks([chunk_id], _backoff(attempts))
        else:
            _fail(job_id, _short(error))
        return False
    now = utcnow()
    marked = db.session.execute(
        update(JobChunk).where(JobChunk.id == chunk_id, JobChunk.state == "running",
                               JobChunk.worker == worker_name())
        .values(state="done", finished_at=now)
    ).rowcount
    if marked:
        db.session.execute(update(Job).where(Job.id == job_id).values(
            progress_done=Job.progress_done + size, heartbeat_at=now))
    db.session.commit()
    if db.session.scalar(select(Job.cancel_requested).where(Job.id == job_id)):
        _cancel(job_id)
    else:
        _maybe_finish(job_id)
    return bool(marked)


def _maybe_finish(job_id: int) -> None:
    """When no chunk is left, run the kind's finish and mark the job done (once)."""
    left = db.session.scalar(select(func.count(JobChunk.id)).where(
        JobChunk.job_id == job_id, JobChunk.state.in_(("pending", "running"))))
    if left:
        return
    job = db.session.get(Job, job_id)
    if job is None or job.state != "running":
        return
    kind = KINDS[job.kind]
    try:
        if kind.finish is not None:
            kind.finish(job)
        job.error = None
        db.session.flush()
        done = db.session.execute(
            update(Job).where(Job.id == job_id, Job.state == "running")
            .values(state="done", finished_at=utcnow(), progress_done=Job.progress_total)
        ).rowcount
        if done:
            db.session.commit()
        else:
            db.session.rollback()
    except Exception as error:
        db.session.rollback()
        log.exception("finishing job %s failed", job_id)
        _fail(job_id, _short(error))


def _fail(job_id: int, message: str) -> None:
    db.session.execute(
        update(Job).where(Job.id == job_id, Job.state.not_in(FINAL_STATES))
        .values(state="failed", error=message[:MAX_ERROR_CHARS], finished_at=utcnow())
    )
    db.session.execute(update(JobChunk).where(JobChunk.job_id == job_id,
                                              JobChunk.state == "pending")
                       .values(state="cancelled"))
    db.session.commit()


def _cancel(job_id: int) -> None:
    db.session.execute(
        update(Job).where(Job.id == job_id, Job.state.not_in(FINAL_STATES))
        .values(state="cancelled", finished_at=utcnow())
    )
    db.session.execute(update(JobChunk).where(JobChunk.job_id == job_id,
                                              JobChunk.state == "pending")
                       .values(state="cancelled"))
    db.session.commit()


# -- what users do --------------------------------------------------------------------------


def request_cancel(job: Job) -> Job:
    """Ask a job to stop: a queued one stops now, a running one at its next chunk boundary."""
    if job.finished:
        raise JobError(_l("This job has already ended."))
    job.cancel_requested = True
    if job.state == "queued":
        job.state = "cancelled"
        job.finished_at = utcnow()
    db.session.commit()
    return job


def visible_jobs_query(user: User):  # type: ignore[no-untyped-def]
    """Admins: every job; coordinators: their centre's and their own; others: their own."""
    query = select(Job)
    if user.role == "admin":
        return query
    if user.role == "coordinator" and user.centre_id is not None:
        return query.where(or_(Job.centre_id == user.centre_id, Job.started_by_id == user.id))
    return query.where(Job.started_by_id == user.id)


def jobs_for(user: User, limit: int = 100) -> list[Job]:
    return list(db.session.scalars(
        visible_jobs_query(user).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
        .execution_options(populate_existing=True)
    ))


def get_job_or_404(job_id: int, user: User) -> Job:
    from flask import abort

    job = db.session.scalar(visible_jobs_query(user).where(Job.id == job_id)
                            .execution_options(populate_existing=True))  # progress is live
    if job is None:
        abort(404)
    return job


def progress(job: Job) -> dict[str, Any]:
    """The job as the jobs page's JSON endpoint reports it."""
    total = job.progress_total
    percent = None
    if total:
        percent = min(100, int(100 * job.progress_done / total))
    elif job.state == "done":
        percent = 100
    return {
        "id": job.id, "kind": job.kind, "state": job.state, "done": job.progress_done,
        "total": total, "percent": percent, "error": job.error,
        "result_url": job.result_url, "cancel_requested": job.cancel_requested,
        "finished": job.finished,
    }


# -- recovery -------------------------------------------------------------------------------


def _is_dead(worker: str | None) -> bool:
    """A worker on this host whose process is gone."""
    if not worker or ":" not in worker:
        return False
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover(stale_seconds: float | None = None) -> int:
    """Hand back the work of dead or silent workers: running chunks whose worker process is
    gone (same host) or that were claimed more than ``stale_seconds`` ago, jobs whose planning
    died, and pending chunks of jobs that made no progress for that long (their queue message
    may be lost). Safe to run anywhere, any number of times. Returns what was re-queued."""
    if stale_seconds is None:
        stale_seconds = float(current_app.config.get("JOB_STALE_SECONDS", 600))
    cutoff: datetime = utcnow() - timedelta(seconds=stale_seconds)
    requeued = 0
    for chunk in db.session.scalars(select(JobChunk).where(JobChunk.state == "running")).all():
        if not (_is_dead(chunk.worker) or (chunk.claimed_at and chunk.claimed_at < cutoff)):
            continue
        if db.session.execute(
            update(JobChunk).where(JobChunk.id == chunk.id, JobChunk.state == "running",
                                   JobChunk.worker == chunk.worker)
            .values(state="pending", worker=None)
        ).rowcount:
            db.session.commit()
            _enqueue_chunks([chunk.id])
            requeued += 1
    db.session.commit()
    planning = select(Job).where(Job.state == "running", ~select(JobChunk.id).where(
        JobChunk.job_id == Job.id).exists())
    for job in db.session.scalars(planning).all():
        if not (_is_dead(job.worker) or (job.heartbeat_at and job.heartbeat_at < cutoff)):
            continue
        if db.session.execute(
            update(Job).where(Job.id == job.id, Job.state == "running", Job.worker == job.worker)
            .values(state="queued", worker=None)
        ).rowcount:
            db.session.commit()
            _enqueue_plan(job.id)
            requeued += 1
    db.session.commit()
    quiet = db.session.scalars(
        select(JobChunk.id).join(Job, Job.id == JobChunk.job_id)
        .where(Job.state == "running", JobChunk.state == "pending", Job.heartbeat_at < cutoff)
    ).all()
    if quiet:
        _enqueue_chunks(list(quiet))
        requeued += len(quiet)
    queued = db.session.scalars(
        select(Job.id).where(Job.state == "queued",
                             func.coalesce(Job.heartbeat_at, Job.created_at) < cutoff)
    ).all()
    for job_id in queued:
        _enqueue_plan(job_id)
        requeued += 1
    return requeued


def path_for(endpoint: str, **values: Any) -> str:
    """A URL path, also in a worker (no request there: ``url_for`` cannot build one)."""
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)
