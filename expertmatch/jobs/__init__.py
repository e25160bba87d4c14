"""The task queue (Huey): one queue object, configured from the app's settings.

Storage: Redis when ``REDIS_URL`` (``EXPERTMATCH_REDIS_URL``) is set, so that any number of
workers on any number of machines share it; otherwise a SQLite file under ``instance/``
(``QUEUE_FILE``), enough for one machine. ``JOBS_IMMEDIATE`` (on in tests) runs tasks in the
calling process instead. The tasks themselves are thin (``tasks.py``): every rule about jobs
is in :mod:`expertmatch.services.jobs`, and every job kind is registered in ``kinds.py``.
"""

from __future__ import annotations

import os

from flask import Flask
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage

QUEUE_NAME = "expertmatch"

# Created in immediate (in-memory) mode so that importing touches no file or server;
# init_app switches it to its real storage.
huey = Huey(QUEUE_NAME, results=False, immediate=True, utc=True)


def describe_storage(app: Flask) -> str:
    url = app.config.get("REDIS_URL")
    if app.config.get("JOBS_IMMEDIATE"):
        return "immediate (in process)"
    return f"redis {url}" if url else f"sqlite {queue_file(app)}"


def queue_file(app: Flask) -> str:
    return app.config.get("QUEUE_FILE") or os.path.join(app.instance_path, "queue.sqlite")


def init_app(app: Flask) -> None:
    """Point the queue at this app's storage and register the job kinds."""
    from expertmatch.jobs import kinds, tasks  # noqa: F401  (registration)

    if app.config.get("JOBS_IMMEDIATE"):
        huey.immediate = True
        return
    url = app.config.get("REDIS_URL")
    if url:
        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"url": url}
    else:
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": queue_file(app)}
    if huey.immediate:
        huey.immediate = False  # recreates the storage from storage_class/kwargs
    else:
        huey.storage = huey.create_storage()
