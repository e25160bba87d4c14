"""Huey tasks: thin wrappers that give :mod:`expertmatch.services.jobs` an app context.

``run_plan`` and ``run_chunk`` carry only ids; the rows say what to do. Periodic tasks fire on
every scheduler, and :func:`~expertmatch.services.jobs.start_scheduled` lets one of them win.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask, current_app, has_app_context
from huey import crontab

from expertmatch.jobs import huey

log = logging.getLogger(__name__)

_worker_app: Flask | None = None


def app() -> Flask:
    """The app of the caller (immediate mode, tests) or this worker's own one."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _worker_app is None:
        from expertmatch import create_app

        _worker_app = create_app()
    return _worker_app


def set_app(flask_app: Flask) -> None:
    global _worker_app
    _worker_app = flask_app


@huey.task(name="expertmatch.plan")
def plan_task(job_id: int) -> None:
    from expertmatch.services import jobs

    with app().app_context():
        jobs.run_plan(job_id)


@huey.task(name="expertmatch.chunk")
def chunk_task(chunk_id: int) -> None:
    from expertmatch.services import jobs

    with app().app_context():
        jobs.run_chunk(chunk_id)


def enqueue_plan(job_id: int, delay: float = 0) -> None:
    if delay and not huey.immediate:
        plan_task.schedule((job_id,), delay=delay)
    elif not delay:
        plan_task(job_id)
    # immediate mode with a delay (a retry in tests): left to recover()


def enqueue_chunk(chunk_id: int, delay: float = 0) -> None:
    if delay and not huey.immediate:
        chunk_task.schedule((chunk_id,), delay=delay)
    elif not delay:
        chunk_task(chunk_id)


def _slot(now: datetime, minutes: int) -> str:
    return now.replace(minute=now.minute - now.minute % minutes, second=0,
                       microsecond=0).isoformat(timespec="minutes")


def start_sweep(kind: str, minutes: int) -> None:
    from expertmatch.models import utcnow
    from expertmatch.services import jobs

    with app().app_context():
        jobs.start_scheduled(kind, _slot(utcnow(), minutes))


@huey.periodic_task(crontab(minute="*/15"), name="expertmatch.sweep_deadlines")
def sweep_deadlines() -> None:
    start_sweep("sweep.deadlines", 15)


@huey.periodic_task(crontab(minute="5", hour="*"), name="expertmatch.sweep_clusters")
def sweep_clusters() -> None:
    start_sweep("sweep.clusters", 60)


@huey.periodic_task(crontab(minute="*"), name="expertmatch.recover")
def recover_task() -> None:
    from expertmatch.services import jobs

    with app().app_context():
        jobs.recover()


@huey.on_startup(name="expertmatch.startup")
def on_startup() -> None:
    """A starting worker takes back what a dead worker on this host left half done, and
    loads the embedding model once, before its first chunk."""
    from expertmatch.services import jobs, matching

    with app().app_context():
        requeued = jobs.recover()
        if requeued:
            log.info("requeued %d chunks of dead workers", requeued)
        if current_app.config.get("JOBS_PRELOAD_MODEL", True):
            matching.state()
