"""What ``huey_consumer expertmatch.jobs.worker.huey`` loads: the app, then the queue.

``EXPERTMATCH_WORKER_THREADS`` caps the threads of the model's math libraries (BLAS/OpenMP,
and torch's intra-op pool), so that several workers share a machine's cores without
oversubscribing them; it must be set before numpy loads, hence at the top of this module.
"""

from __future__ import annotations

import os

_threads = os.environ.get("EXPERTMATCH_WORKER_THREADS")
if _threads:
    for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_name] = _threads

from expertmatch import create_app  # noqa: E402
from expertmatch.jobs import huey, tasks  # noqa: E402

if _threads:
    try:
        import torch

        torch.set_num_threads(int(_threads))
    except ImportError:
        pass

app = create_app()
tasks.set_app(app)

__all__ = ["app", "huey"]
