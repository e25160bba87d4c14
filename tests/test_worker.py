"""Real worker processes (``huey_consumer``) on the SQLite queue and on Redis: an import is
queued, the worker is killed (SIGKILL) in the middle of encoding, a new worker finishes it,
and every expert exists exactly once with exactly one vector per text.

The worker is the real consumer; the only addition is a short pause in each encoding chunk
(a wrapper around ``matching.experts_imported``) so that the kill lands mid-job.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from expertmatch import create_app
from expertmatch.extensions import db
from expertmatch.jobs import huey
from expertmatch.models import ExpertProfile, Job, JobChunk, TextVector
from expertmatch.services import imports
from tests import factories

REDIS_URL = os.environ.get("EXPERTMATCH_TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parent.parent
EXPERTS = 300  # three encoding chunks of imports.ENCODE_CHUNK

WORKER = """
import sys, time
import expertmatch.services.matching as matching
encode = matching.experts_imported
def slow(experts):
    time.sleep(1.5)  # every chunk takes a while: the test kills the worker inside one
    return encode(experts)
matching.experts_imported = slow
from huey.bin.huey_consumer import consumer_main
sys.argv = ["huey_consumer", "expertmatch.jobs.worker.huey", "-w", "1", "-n", "-d", "0.1"]
consumer_main()
"""


def _settings(tmp_path: Path, redis_url: str | None) -> dict[str, str]:
    settings = {
        "EXPERTMATCH_ENV_NAME": "development",
        "EXPERTMATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
        "EXPERTMATCH_EMBEDDING_MODEL": "hashing:64",
        "EXPERTMATCH_IMPORT_UPLOAD_DIR": str(tmp_path / "uploads"),
        "EXPERTMATCH_QUEUE_FILE": str(tmp_path / "queue.sqlite"),
        "EXPERTMATCH_JOB_RETRY_DELAY_SECONDS": "1",
    }
    if redis_url:
        settings["EXPERTMATCH_REDIS_URL"] = redis_url
    return settings


def _csv(n: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "email", "bio", "jurisdictions", "dispute_types"])
    for i in range(n):
        writer.writerow([f"Worker Expert {i:04d}", f"worker{i}@example.com",
                         f"Litigator {i}: SEP injunctions and FRAND rates in Munich.",
                         "DE;UPC", "sep_frand"])
    return buffer.getvalue().encode()


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = open(log, "ab")
    return subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env,
                            stdout=handle, stderr=subprocess.STDOUT)


def _wait(predicate, timeout: float, what: str, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # see the other process's commits
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")


@pytest.fixture(params=["sqlite-queue", pytest.param("redis-queue", marks=pytest.mark.redis)])
def queue_url(request):  # type: ignore[no-untyped-def]
    if request.param == "sqlite-queue":
        return None
    if not REDIS_URL:
        pytest.skip("Redis not configured: set EXPERTMATCH_TEST_REDIS_URL")
    return REDIS_URL


def test_killed_worker_import_completes_each_expert_once(tmp_path, queue_url, monkeypatch):  # type: ignore[no-untyped-def]
    settings = _settings(tmp_path, queue_url)
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    env = {**os.environ, **settings, "PYTHONPATH": str(ROOT)}
    app = create_app({"ENV_NAME": "development", "JOBS_IMMEDIATE": False})
    log = tmp_path / "worker.log"
    workers: list[subprocess.Popen] = []
    try:
        with app.app_context():
            db.create_all()
            huey.flush()
            coordinator = factories.user("coordinator")
            data = _csv(EXPERTS)
            preview = imports.preview_upload(data)
            assert len(preview.valid_rows) == EXPERTS
            ticket = imports.stash_upload(data, coordinator, preview, "workers.csv")
            job_id = imports.confirm(ticket, coordinator).job.id
            assert db.session.get(Job, job_id).state == "queued"  # nothing ran here

            workers.append(_start_worker(env, log))

            def mid_chunk() -> bool:
                job = db.session.get(Job, job_id)
                running = db.session.scalar(select(func.count(JobChunk.id)).where(
                    JobChunk.job_id == job_id, JobChunk.state == "running"))
                return job.progress_done >= imports.ENCODE_CHUNK and running == 1

            _wait(mid_chunk, 90, "the second encoding chunk to start", log)
            killed = db.session.scalar(select(JobChunk.id).where(
                JobChunk.job_id == job_id, JobChunk.state == "running"))
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(10)
            db.session.rollback()
            assert db.session.get(Job, job_id).state == "running"  # left half done

            workers.append(_start_worker(env, log))  # recovers the dead worker's chunk
            _wait(lambda: db.session.get(Job, job_id).finished, 90, "the job to finish", log)

            job = db.session.get(Job, job_id)
            assert job.state == "done", job.error
            assert job.progress_done == job.progress_total == EXPERTS
            assert job.result_url and job.result_url.startswith("/pool/imports/")
            names = db.session.scalars(select(ExpertProfile.full_name)).all()
            assert len(names) == len(set(names)) == EXPERTS  # each expert exactly once
            per_expert = db.session.execute(
                select(TextVector.expert_id, func.count(TextVector.id))
                .group_by(TextVector.expert_id)).all()
            assert len(per_expert) == EXPERTS and {n for _, n in per_expert} == {1}
            chunk = db.session.get(JobChunk, killed)
            assert chunk.state == "done" and chunk.attempts == 2  # redone by the new worker
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(15)
                except subprocess.TimeoutExpired:
                    worker.kill()
        with app.app_context():
            huey.flush()
            db.session.remove()
            db.engine.dispose()
