"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py`` (the Procfile's web).

Works from a source checkout and from an installed wheel (the app is built by the package's
factory, not by ``wsgi.py``). Every value can be overridden by the environment.
"""

import multiprocessing
import os

wsgi_app = "expertmatch:create_app()"
bind = os.environ.get("EXPERTMATCH_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Ranking is CPU-bound and each worker holds the pool's index: a few processes, some threads.
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() + 1, 8)))
threads = int(os.environ.get("EXPERTMATCH_WEB_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("EXPERTMATCH_WEB_TIMEOUT", "120"))  # a CSV preview of 50k rows
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("EXPERTMATCH_WEB_MAX_REQUESTS", "0"))
max_requests_jitter = 100
# Build the app (and load the embedding model, see when_ready) once in the master: workers
# share its memory instead of each loading the model.
preload_app = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"


def when_ready(server):  # type: ignore[no-untyped-def]
    """Load the embedding model before forking (weights only: nothing runs on torch threads
    in the master, so the forked workers' thread pools start clean)."""
    if os.environ.get("EXPERTMATCH_WEB_PRELOAD_MODEL", "1") != "1":
        return
    from expertmatch.services import matching

    app = server.app.wsgi()
    with app.app_context():
        status = matching.model_status()
    server.log.info("embedding model %s loaded: %s", status["model"], status["loaded"])


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    """No database connection crosses the fork; torch uses the threads it is given."""
    from expertmatch.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        db.engine.dispose()
    threads_per_worker = os.environ.get("EXPERTMATCH_WORKER_THREADS")
    if threads_per_worker:
        import torch

        torch.set_num_threads(int(threads_per_worker))
