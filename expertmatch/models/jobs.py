"""Background jobs: one row per long operation, and its chunks (the unit of work a worker
claims, commits and can redo)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expertmatch.extensions import db
from expertmatch.models._base import utcnow

JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
FINAL_STATES = ("done", "failed", "cancelled")
CHUNK_STATES = ("pending", "running", "done", "cancelled")


class Job(db.Model):
    """A long operation (import encoding, reindex, sweeps, ...), shown on the jobs page.

    ``dedupe_key`` is unique: a scheduled sweep inserts ``<kind>:<slot>``, so that several
    workers' schedulers start it once per schedule.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_kind", "state", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    params: Mapped[dict | None] = mapped_column(db.JSON)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(db.JSON)
    result_url: Mapped[str | None] = mapped_column(String(300))
    worker: Mapped[str | None] = mapped_column(String(120))
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    started_by = relationship("User")
    centre = relationship("Centre")

    @property
    def finished(self) -> bool:
        return self.state in FINAL_STATES


class JobChunk(db.Model):
    """One slice of a job's work; claimed by one worker at a time, done exactly once."""

    __tablename__ = "job_chunks"
    __table_args__ = (
        UniqueConstraint("job_id", "position", name="uq_job_chunks_position"),
        Index("ix_job_chunks_job_state", "job_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    position: Mapped[int]
    items: Mapped[list | None] = mapped_column(db.JSON)
    size: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
