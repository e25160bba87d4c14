"""Import throughput through the task queue vs the raw model on the same texts and cores.

A CSV of N experts (default 2,000, texts varied from the demo pool) is confirmed through
``imports.confirm`` (the service the web form calls) and run by real ``huey_consumer``
processes on a SQLite database and queue: one worker with every core, then two workers with
half the cores each. The raw figure is the default model encoding exactly the texts the import
encodes, in this process, with every core (measured before and after, averaged). Workers are
started and have loaded the model before the clock starts: what is timed is the job, from
confirmation (parse, write, encode, store) to done.

Targets (issue 14): queue/raw throughput >= 0.9 with one worker and with two workers.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKER = """
import sys
from expertmatch.jobs import worker
from expertmatch.services import matching
with worker.app.app_context():
    matching.state()
print("READY", flush=True)
from huey.bin.huey_consumer import consumer_main
sys.argv = ["huey_consumer", "expertmatch.jobs.worker.huey", "-w", "1", "-n", "-d", "0.05"]
consumer_main()
"""


def make_csv(n: int) -> bytes:
    experts = [json.loads(line) for line in
               (ROOT / "data" / "demo" / "experts.jsonl").read_text().splitlines() if line]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "email", "headline", "bio", "jurisdictions", "languages",
                     "dispute_types", "industries", "years_experience"])
    for i in range(n):
        e = experts[i % len(experts)]
        writer.writerow([
            f"{e['name']} ({i})", f"bench{i}@example.com", e.get("headline", ""),
            f"{e.get('bio', '')} Engagement {i}: matter file {i * 7919 % 100003}.",
            ";".join(e.get("jurisdictions", [])), ";".join(e.get("languages", [])),
            ";".join(e.get("dispute_types", [])), ";".join(e.get("industries", [])),
            str(e.get("years_experience") or ""),
        ])
    return buffer.getvalue().encode()


def settings(directory: Path) -> dict[str, str]:
    return {
        "EXPERTMATCH_ENV_NAME": "development",
        "EXPERTMATCH_DATABASE_URL": f"sqlite:///{directory / 'app.sqlite'}",
        "EXPERTMATCH_IMPORT_UPLOAD_DIR": str(directory / "uploads"),
        "EXPERTMATCH_QUEUE_FILE": str(directory / "queue.sqlite"),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }


def import_texts(data: bytes) -> list[str]:
    """The texts the import job encodes, built by the same functions."""
    from expertmatch import create_app
    from expertmatch.matching import texts_for_expert
    from expertmatch.models import ExpertProfile
    from expertmatch.services import imports, matching

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(settings(Path(tmp)))
        app = create_app()
        with app.app_context():
            from expertmatch.extensions import db

            db.create_all()
            preview = imports.preview_upload(data)
            texts = []
            for i, row in enumerate(preview.valid_rows, start=1):
                profile = ExpertProfile(**row.values, id=i)
                profile.matters, profile.conflicts = [], []
                texts += [t.text for t in texts_for_expert(matching.expert_doc(profile, 0))]
            db.engine.dispose()
    return texts


def raw_seconds(texts: list[str]) -> float:
    from expertmatch.matching import load_encoder
    from expertmatch.matching.encoders import DEFAULT_MODEL_SPEC
    from expertmatch.matching.vectors import encode_texts

    encoder = load_encoder(DEFAULT_MODEL_SPEC)
    encode_texts(encoder, texts[:16], progress=False)
    start = time.perf_counter()
    encode_texts(encoder, texts, progress=False)
    return time.perf_counter() - start


def queue_seconds(data: bytes, workers: int, threads: int) -> float:
    from expertmatch import create_app
    from expertmatch.extensions import db
    from expertmatch.models import Job
    from expertmatch.services import imports
    from tests import factories

    with tempfile.TemporaryDirectory() as tmp:
        env_settings = settings(Path(tmp))
        os.environ.update(env_settings)
        app = create_app({"JOBS_IMMEDIATE": False})
        env = {**os.environ, **env_settings, "PYTHONPATH": str(ROOT),
               "EXPERTMATCH_WORKER_THREADS": str(threads)}
        with app.app_context():
            db.create_all()
            coordinator = factories.user("coordinator")
            procs = [subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      text=True) for _ in range(workers)]
            try:
                for proc in procs:
                    line = proc.stdout.readline()
                    if "READY" not in line:
                        raise SystemExit("a worker did not start")
                preview = imports.preview_upload(data)
                ticket = imports.stash_upload(data, coordinator, preview, "bench.csv")
                start = time.perf_counter()
                job_id = imports.confirm(ticket, coordinator).job.id
                while True:
                    db.session.rollback()
                    job = db.session.get(Job, job_id)
                    if job.finished:
                        break
                    time.sleep(0.05)
                elapsed = time.perf_counter() - start
                if job.state != "done":
                    raise SystemExit(f"the import job ended {job.state}: {job.error}")
            finally:
                for proc in procs:
                    proc.terminate()
                    proc.wait(30)
            db.session.remove()
            db.engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=2000)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    data = make_csv(args.experts)
    texts = import_texts(data)
    print(f"bench_import: {args.experts} experts from CSV, {len(texts)} texts, "
          f"{cores} cores, default model")
    raw_before = raw_seconds(texts)
    one = queue_seconds(data, 1, cores)
    two = queue_seconds(data, 2, max(cores // 2, 1))
    raw_after = raw_seconds(texts)
    raw = (raw_before + raw_after) / 2
    print(f"  raw model, {cores} threads:            {raw:7.1f} s "
          f"({raw_before:.1f} before, {raw_after:.1f} after)")
    print(f"  queue, 1 worker x {cores} threads:       {one:7.1f} s   ratio {raw / one:.2f}x "
          f"(target >= 0.9x)")
    print(f"  queue, 2 workers x {max(cores // 2, 1)} threads:      {two:7.1f} s   "
          f"ratio {raw / two:.2f}x (target >= 0.9x)")


if __name__ == "__main__":
    main()
