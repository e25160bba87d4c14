"""What ``huey_consumer expertmatch.jobs.worker.huey`` loads: the app, then the queue.

``EXPERTMATCH_WORKER_THREADS`` (torch's intra-op threads) lets several workers share a
machine's cores without oversubscribing them.
"""

from __future__ import annotations

import os

from expertmatch import create_app
from expertmatch.jobs import huey, tasks

_threads = os.environ.get("EXPERTMATCH_WORKER_THREADS")
if _threads:
    import torch

    torch.set_num_threads(int(_threads))

app = create_app()
tasks.set_app(app)

__all__ = ["app", "huey"]
