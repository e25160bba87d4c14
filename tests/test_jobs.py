"""The job layer in process (JOBS_IMMEDIATE, as in every app test): kinds, schedules, cancel,
retries, the sweeps and the jobs page. Real worker processes: tests/test_worker.py."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from expertmatch.extensions import db
from expertmatch.models import Job, JobChunk, Notification, TextVector
from expertmatch.services import jobs
from expertmatch.services.deadlines import local_today
from tests import factories


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_reindex_from_the_cli_runs_as_a_job(app, ctx, runner):  # type: ignore[no-untyped-def]
    experts = [factories.expert_profile() for _ in range(3)]
    result = runner.invoke(args=["reindex", "--queue"])
    assert result.exit_code == 0 and "queued" in result.output
    job = db.session.scalar(select(Job).where(Job.kind == "reindex"))
    assert job.state == "done" and job.progress_done == job.progress_total == 3
    assert {v.expert_id for v in db.session.scalars(select(TextVector))} == {e.id for e in experts}


def test_a_scheduled_sweep_runs_once_per_slot(app, ctx):  # type: ignore[no-untyped-def]
    assert jobs.start_scheduled("sweep.deadlines", "2026-12-08T02:00") is not None
    assert jobs.start_scheduled("sweep.deadlines", "2026-12-08T02:00") is None  # another worker
    assert jobs.start_scheduled("sweep.deadlines", "2026-12-08T02:15") is not None
    assert count(Job) == 2


def test_deadline_sweep_tells_the_centre_once_a_day(app, ctx):  # type: ignore[no-untyped-def]
    coordinator = factories.user("coordinator")
    org = factories.organisation()
    near = factories.dispute_case(org.id, centre_id=coordinator.centre_id,
                                  deadline=local_today() + timedelta(days=2))
    factories.dispute_case(org.id, centre_id=coordinator.centre_id,
                           deadline=local_today() + timedelta(days=60))
    jobs.start_scheduled("sweep.deadlines", "a")
    jobs.start_scheduled("sweep.deadlines", "b")
    notes = db.session.scalars(select(Notification).where(
        Notification.kind == "case.deadline_risk")).all()
    assert [(n.user_id, n.params["ref"]) for n in notes] == [(coordinator.id, near.reference)]


def test_cancel_stops_at_the_next_chunk(app, ctx, monkeypatch):  # type: ignore[no-untyped-def]
    done: list[list[int]] = []

    def chunk(job, items):  # type: ignore[no-untyped-def]
        done.append(items)
        if len(done) == 2:
            jobs.request_cancel(db.session.get(Job, job.id))

    jobs.register("test.slow", "Test", chunk, plan=lambda job: [[1], [2], [3], [4]])
    job = jobs.start("test.slow")
    db.session.expire_all()
    assert job.state == "cancelled" and done == [[1], [2]]  # the chunk under way finished
    states = sorted(db.session.scalars(select(JobChunk.state).where(JobChunk.job_id == job.id)))
    assert states == ["cancelled", "cancelled", "done", "done"]
    assert job.progress_done == 2
    queued = jobs.create("test.slow")
    db.session.commit()
    jobs.request_cancel(queued)
    assert queued.state == "cancelled"  # a queued job stops at once


def test_a_failing_chunk_is_retried_then_fails_with_its_error(app, ctx):  # type: ignore[no-untyped-def]
    calls: list[int] = []

    def chunk(job, items):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise RuntimeError("the encoder ran out of memory")

    jobs.register("test.broken", "Test", chunk, retries=2)
    job = jobs.start("test.broken")
    for _ in range(3):
        jobs.recover(stale_seconds=0)  # the retry's queue message, in process
    db.session.expire_all()
    assert job.state == "failed" and "out of memory" in job.error
    assert len(calls) == 3  # the first try and two retries


def test_jobs_page_progress_and_scope(app, client, ctx, login):  # type: ignore[no-untyped-def]
    coordinator = factories.user("coordinator")
    other = factories.user("coordinator")
    factories.expert_profile()
    login(coordinator)
    job = jobs.start("reindex", by=coordinator)
    page = client.get("/jobs/").get_data(as_text=True)
    assert f"/jobs/{job.id}/progress" in page and "Reindex the expert pool" in page
    data = client.get(f"/jobs/{job.id}/progress").get_json()
    assert data["state"] == "done" and data["percent"] == 100 and data["finished"]
    login(other)  # another centre
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert f"/jobs/{job.id}/" not in client.get("/jobs/").get_data(as_text=True)
