"""Benchmark of the JSON API's list and read endpoints: prints ratios measured in one run.

    python bench/bench_api.py [--experts 50000] [--cases 100000] [--requests 200]
                              [--postgres postgresql://postgres@127.0.0.1:5432/test_api]

Generated rows (bulk inserts; no vectors are needed, rankings are not timed): 10 centres,
1,000 enterprises, ``--experts`` expert profiles and ``--cases`` cases spread over the centres.
A platform key of one centre calls, over real HTTP (a werkzeug server in a thread, one
connection per request), a page of 50 cases at a random position, one case, a page of 50
experts (filtered and not), one expert; the same service calls in process
(``api.routes.case_page``, ``paginate`` + ``serialize``) are timed the same way. Printed: p95
of each, the ratio HTTP / in process (target <= 2x), and the most rows of a table any one
request loaded (a page of 50 never loads whole tables: <= 51 cases per page).
Runs on SQLite (a temporary file) and, when given or when EXPERTMATCH_BENCH_DATABASE_URL is
set, on PostgreSQL (that database's tables are dropped and recreated).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert, select
from werkzeug.serving import make_server

from expertmatch import create_app
from expertmatch.api import core, routes, serialize
from expertmatch.extensions import db
from expertmatch.models import (
    Centre,
    DisputeCase,
    ExpertProfile,
    Organisation,
    User,
    utcnow,
)
from expertmatch.services import access, credentials

JURISDICTIONS = ["US", "DE", "GB", "FR", "JP", "KR", "NL", "BR", "IN", "MX"]
TYPES = ["patent_infringement", "sep_frand", "trademark", "trade_secret", "customs_seizure"]
CHUNK = 5000


def _chunks(rows: list[dict], size: int = CHUNK):  # type: ignore[no-untyped-def]
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def populate(n_experts: int, n_cases: int, rng: random.Random) -> tuple[str, int]:
    """Bulk rows; returns a platform key of the first centre and that centre's id."""
    db.drop_all()
    db.create_all()
    now = utcnow()
    db.session.execute(insert(Centre), [
        {"code": f"B{i}", "kind": "regional", "name_zh": f"中心{i}", "name_en": f"Centre {i}",
         "province": "CN-GD", "active": True, "created_at": now} for i in range(10)])
    db.session.execute(insert(Organisation), [
        {"name_zh": f"企业{i}", "name_en": f"Enterprise {i}", "credit_code": f"91{i:016d}",
         "industry": "telecom", "province": "CN-GD", "markets": [], "created_at": now}
        for i in range(1000)])
    centre_ids = list(db.session.scalars(select(Centre.id)))
    org_ids = list(db.session.scalars(select(Organisation.id)))
    experts = [
        {"full_name": f"Expert {i}", "reference": f"X{i:06d}", "role_type": "lawyer",
         "headline": rng.choice(["Patent litigator", "SEP counsel", "Customs specialist"]),
         "bio": "Generated profile for the API benchmark.",
         "jurisdictions": rng.sample(JURISDICTIONS, 2), "languages": ["en"],
         "dispute_types": rng.sample(TYPES, 2), "industries": ["telecom"], "capacity": 3,
         "availability": "available", "rapid_response": False,
         "verification_status": "verified", "external_load": 0, "created_at": now,
         "updated_at": now}
        for i in range(n_experts)]
    for chunk in _chunks(experts):
        db.session.execute(insert(ExpertProfile), chunk)
    cases = [
        {"organisation_id": rng.choice(org_ids), "centre_id": centre_ids[i % 10],
         "reference": f"EM-B-{i:07d}", "title": f"Generated dispute {i}",
         "description": "Generated case for the API benchmark.",
         "dispute_type": rng.choice(TYPES), "jurisdictions": rng.sample(JURISDICTIONS, 1),
         "languages": ["en"], "status": rng.choice(["submitted", "triaged", "matched"]),
         "confidentiality": "normal", "consent_share": True, "consent_conflict_check": True,
         "deadline_overridden": False, "created_at": now, "updated_at": now,
         "submitted_at": now, "version": 1}
        for i in range(n_cases)]
    for chunk in _chunks(cases):
        db.session.execute(insert(DisputeCase), chunk)
    admin = User(email="bench-admin@example.com", display_name="Admin", role="admin",
                 password_hash="!")  # noqa: S106  (cannot sign in)
    db.session.add(admin)
    db.session.commit()
    issued = credentials.create_platform_key("bench", centre_ids[0],
                                             list(credentials.PLATFORM_SCOPES), admin)
    return issued.secret, centre_ids[0]


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000


class RowCounter:
    """The most instances of each model loaded by one request (ORM ``load`` events)."""

    def __init__(self) -> None:
        self.current: dict[str, int] = {}
        self.most: dict[str, int] = {}
        for model in (DisputeCase, ExpertProfile):
            event.listen(model, "load", self._loaded(model.__name__))

    def _loaded(self, name: str) -> Callable:
        def count(*_args) -> None:  # type: ignore[no-untyped-def]
            self.current[name] = self.current.get(name, 0) + 1
        return count

    def reset(self) -> None:
        for name, n in self.current.items():
            self.most[name] = max(self.most.get(name, 0), n)
        self.current = {}


def bench_backend(label: str, url: str, args: argparse.Namespace) -> list[tuple]:
    rng = random.Random(7)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ENV_NAME": "development",
                      "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "EMBEDDING_MODEL": "hashing:64", "SERVER_NAME": None})
    counter = RowCounter()
    with app.app_context():
        started = time.perf_counter()
        secret, _centre = populate(args.experts, args.cases, rng)
        print(f"[{label}] generated {args.experts:,} experts and {args.cases:,} cases in "
              f"{time.perf_counter() - started:.1f} s")
        account = db.session.get(User, credentials.authenticate(secret).user_id)
        case_ids = list(db.session.scalars(
            access.visible_cases(account).with_only_columns(DisputeCase.id)))
        expert_ids = list(db.session.scalars(select(ExpertProfile.id)))
        db.session.remove()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_port

    def http_get(path: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", path, headers={"Authorization": f"Bearer {secret}"})
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status}")

    def case_token() -> str:
        return core.encode_token(rng.choice(case_ids[:-60]), {"status": None})

    expert_filters = {"q": None, "jurisdiction": None, "dispute_type": None,
                      "language": None, "industry": None}

    def expert_token() -> str:
        return core.encode_token(rng.choice(expert_ids[:-60]), expert_filters)

    def in_process(fn: Callable[[User], object]) -> Callable[[], None]:
        def call() -> None:
            with app.app_context():
                user = db.session.get(User, account_id)
                fn(user)
                db.session.remove()
        return call

    with app.app_context():
        account_id = account.id

    cases = [
        ("cases page of 50", lambda: http_get(f"/api/v1/cases?page_size=50&page_token="
                                              f"{case_token()}"),
         in_process(lambda u: routes.case_page(u, None, 50, case_token()))),
        ("one case", lambda: http_get(f"/api/v1/cases/{rng.choice(case_ids)}"),
         in_process(lambda u: serialize.case(access.get_case_or_404(rng.choice(case_ids), u),
                                             u))),
        ("experts page of 50", lambda: http_get(f"/api/v1/experts?page_size=50&page_token="
                                                f"{expert_token()}"),
         in_process(lambda u: [serialize.expert(e) for e in core.paginate(
             select(ExpertProfile).where(ExpertProfile.deleted_at.is_(None)),
             ExpertProfile.id, 50, expert_token(), expert_filters)[0]])),
        ("one expert", lambda: http_get(f"/api/v1/experts/{rng.choice(expert_ids)}"),
         in_process(lambda u: serialize.expert(
             access.get_expert_or_404(rng.choice(expert_ids), u)))),
    ]
    rows = []
    for name, over_http, direct in cases:
        timings: dict[str, list[float]] = {"http": [], "direct": []}
        for _ in range(5):  # warm up both paths
            over_http()
            direct()
        counter.current, counter.most = {}, {}
        for _ in range(args.requests):
            for kind, fn in (("http", over_http), ("direct", direct)):
                start = time.perf_counter()
                fn()
                timings[kind].append(time.perf_counter() - start)
                counter.reset()
        most = max(counter.most.values(), default=0)
        rows.append((label, name, p95(timings["http"]), p95(timings["direct"]), most))
    server.shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=50_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("EXPERTMATCH_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results += bench_backend("sqlite", f"sqlite:///{tmp}/bench_api.sqlite", args)
    if args.postgres:
        results += bench_backend("postgresql", args.postgres, args)
    else:
        print("PostgreSQL: skipped (pass --postgres URL or set EXPERTMATCH_BENCH_DATABASE_URL)")
    print(f"\n{'backend':<11} {'endpoint':<20} {'HTTP p95':>10} {'in-process p95':>15} "
          f"{'ratio':>6}  {'max rows/request':>16}")
    failed = False
    for label, name, http_p95, direct_p95, most in results:
        ratio = http_p95 / direct_p95 if direct_p95 else float("inf")
        print(f"{label:<11} {name:<20} {http_p95:>8.2f}ms {direct_p95:>13.2f}ms {ratio:>5.2f}x"
              f"  {most:>16}")
        failed |= most > 51
    print("\ntarget: HTTP p95 <= 2x the in-process p95; a page of 50 loads <= 51 rows")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
