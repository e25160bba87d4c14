"""Benchmark of batch assignment and team assembly: prints ratios measured in one run.

    python bench/bench_assignment.py [--cases 500] [--experts 10000] [--firm-limit 6]

A generated batch: 500 cases x 10k experts; each expert has a topic and a quality, cases crowd on
a few hot topics (a wave of Schedule A suits), so the best experts are contested; capacities
1-3, 2% of pairs conflicted, 300 firms of which five large ones hold many strong experts, and a
firm limit that binds for those. The fit matrix is given (generating it is timed apart; ranking
500 real cases against a 10k pool is estimated from 10 rankings and printed too). Reported:

1. plan time (total mode, capacity + conflicts + firm limit) as a ratio to one exact dense
   min-cost flow over all pairs without the firm limit (OR-Tools) — target <= 3x;
2. peak memory of the plan (a fresh process: peak RSS above the loaded matrix) as a ratio to the
   fit matrix's bytes — target <= 3x;
3. total fit vs the flow's total (an upper bound, as it ignores the firm limit) — within 0.5%;
   and vs greedy one-case-at-a-time in queue order (total mode must beat it);
4. the worst-served case's fit in total, fair and greedy plans (fair must beat greedy);
5. team assembly for one SEP case against a 10k pool: the solver's time vs one ranking of that
   case (target <= 1x).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from expertmatch.matching.assignment import (  # noqa: E402
    PlanCase,
    PlanExpert,
    greedy_plan,
    plan_batch,
)
from expertmatch.matching.team import TeamRole, plan_team, team_inputs  # noqa: E402

ROLE_TYPES = ["lawyer", "lawyer", "lawyer", "patent_attorney", "technical_expert", "economist"]


def generate(n_c: int, n_e: int, seed: int = 11) -> tuple[np.ndarray, list[PlanExpert]]:
    """The fit matrix (float32, NaN = conflicted) and the experts with capacity and firm."""
    rng = np.random.default_rng(seed)
    topics = 40
    topic_e = rng.integers(0, topics, n_e)
    quality = rng.beta(2.0, 2.0, n_e).astype(np.float32)
    hot = np.arange(1, topics + 1, dtype=np.float64) ** -1.1
    topic_c = rng.choice(topics, n_c, p=hot / hot.sum())
    fits = np.empty((n_c, n_e), dtype=np.float32)
    for r0 in range(0, n_c, 100):
        r1 = min(n_c, r0 + 100)
        same = topic_c[r0:r1, None] == topic_e[None, :]
        noise = rng.random((r1 - r0, n_e), dtype=np.float32)
        block = 0.2 * quality + 0.6 * same * np.sqrt(quality) + 0.2 * noise
        block[rng.random(block.shape) < 0.02] = np.nan
        fits[r0:r1] = np.clip(block, 0.0, 1.0)
    firm = rng.integers(5, 300, n_e)
    strong = np.flatnonzero(quality > 0.75)
    big = rng.random(len(strong)) < 0.12
    firm[strong[big]] = rng.integers(0, 5, int(big.sum()))  # five firms hold many stars
    capacity = rng.integers(1, 4, n_e)
    experts = [
        PlanExpert(f"E{j:05d}", int(capacity[j]), f"Firm {int(firm[j]):03d}") for j in range(n_e)
    ]
    return fits, experts


def reference_flow(fits: np.ndarray, capacity: np.ndarray) -> tuple[float, float]:
    """One exact min-cost flow over all pairs (no firm limit): (seconds, total fit)."""
    from ortools.graph.python import min_cost_flow

    n_c, n_e = fits.shape
    started = time.perf_counter()
    source, sink = n_c + n_e, n_c + n_e + 1
    ok = np.isfinite(fits)
    ci, ej = np.nonzero(ok)
    flow = min_cost_flow.SimpleMinCostFlow()
    cost = -np.round(fits[ci, ej].astype(np.float64) * 1e6).astype(np.int64)
    flow.add_arcs_with_capacity_and_unit_cost(ci, n_c + ej, np.ones(len(ci), np.int64), cost)
    cases = np.arange(n_c)
    ones = np.ones(n_c, np.int64)
    flow.add_arcs_with_capacity_and_unit_cost(np.full(n_c, source), cases, ones, ones * 0)
    flow.add_arcs_with_capacity_and_unit_cost(cases, np.full(n_c, sink), ones, ones * 0)  # unserved
    exp = np.arange(n_e)
    flow.add_arcs_with_capacity_and_unit_cost(
        n_c + exp, np.full(n_e, sink), capacity.astype(np.int64), np.zeros(n_e, np.int64)
    )
    flow.set_node_supply(source, n_c)
    flow.set_node_supply(sink, -n_c)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"reference flow failed: {status}")
    return time.perf_counter() - started, -flow.optimal_cost() / 1e6


def _child(path: str, firm_limit: int) -> None:
    """Run one plan in this fresh process and print its peak memory above the loaded matrix."""
    data = np.load(path, allow_pickle=False)
    fits = data["fits"]
    experts = [
        PlanExpert(i, int(c), f)
        for i, c, f in zip(data["ids"], data["capacity"], data["firms"], strict=True)
    ]
    cases = [PlanCase(f"C{i:03d}") for i in range(fits.shape[0])]
    # Reset the peak-RSS mark (Linux: "5" to clear_refs), so the peak counts only the plan.
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kib("VmRSS")
    plan_batch(cases, experts, fits, mode="total", firm_limit=firm_limit)
    after = _status_kib("VmHWM")
    print(json.dumps({"peak_kib": after - before, "matrix_bytes": int(fits.nbytes)}))


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def bench_memory(fits: np.ndarray, experts: list[PlanExpert], firm_limit: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "batch.npz")
        np.savez(
            path,
            fits=fits,
            ids=np.array([e.id for e in experts]),
            capacity=np.array([e.capacity for e in experts]),
            firms=np.array([e.firm or "" for e in experts]),
        )
        out = subprocess.run(
            [sys.executable, __file__, "--child", path, "--firm-limit", str(firm_limit)],
            capture_output=True,
            text=True,
            check=True,
        )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["peak_kib"] * 1024 / result["matrix_bytes"]


def bench_team(n_e: int) -> tuple[float, float, float, int, int]:
    """One SEP case against a generated pool: (rank s, team inputs s, solve s, seats, filled)."""
    from bench_matching import CASE, make_expert, random_vectors

    from expertmatch.matching import Matcher, load_encoder, texts_for_expert

    encoder = load_encoder()
    rng = np.random.default_rng(5)
    matcher = Matcher(encoder)
    for i in range(n_e):
        expert = make_expert(rng, i)
        expert = dataclasses.replace(
            expert,
            role_type=ROLE_TYPES[int(rng.integers(len(ROLE_TYPES)))],
            daily_rate=float(rng.integers(5, 60)) * 1000,
            firm=f"Firm {int(rng.integers(300)):03d}",
        )
        texts = texts_for_expert(expert)
        vecs = random_vectors(rng, len(texts), encoder.dim)
        matcher.upsert(expert, {t.key: v for t, v in zip(texts, vecs, strict=True)}, texts=texts)
    matcher.compact()
    roles = [
        TeamRole("counsel", jurisdiction="DE"),
        TeamRole("counsel", jurisdiction="UPC"),
        TeamRole("counsel", jurisdiction="CN", language="zh"),
        TeamRole("technical expert"),
        TeamRole("FRAND economist"),
    ]
    for _ in range(2):  # warm
        matcher.rank(CASE, top_k=10, explain=True)
    ranks, inputs, solves = [], [], []
    for _ in range(7):
        t = time.perf_counter()
        matcher.rank(CASE, top_k=10, explain=True)
        ranks.append(time.perf_counter() - t)
        t = time.perf_counter()
        eligible, excluded, exclusions = team_inputs(matcher, CASE)
        inputs.append(time.perf_counter() - t)
        t = time.perf_counter()
        team = plan_team(
            eligible,
            roles,
            budget=150000,
            firm_limit=2,
            excluded_docs=excluded,
            exclusions=exclusions,
        )
        solves.append(time.perf_counter() - t)
    seats = sum(r.count for r in roles)
    return (
        float(np.median(ranks)),
        float(np.median(inputs)),
        float(np.median(solves)),
        seats,
        len(team.members),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--experts", type=int, default=10000)
    parser.add_argument("--firm-limit", type=int, default=6)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-team", action="store_true", help="skip the team benchmark")
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.firm_limit)
        return 0

    print(f"bench_assignment: {args.cases} cases x {args.experts} experts, {os.cpu_count()} cores")
    t = time.perf_counter()
    fits, experts = generate(args.cases, args.experts)
    gen = time.perf_counter() - t
    capacity = np.array([e.capacity for e in experts])
    cases = [PlanCase(f"C{i:03d}") for i in range(args.cases)]
    print(f"  fit matrix generated in {gen:.2f} s ({fits.nbytes / 2**20:.1f} MiB float32)")

    ref_s, bound = reference_flow(fits, capacity)
    total = plan_batch(cases, experts, fits, mode="total", firm_limit=args.firm_limit)
    fair = plan_batch(cases, experts, fits, mode="fair", firm_limit=args.firm_limit)
    greedy = greedy_plan(cases, experts, fits, firm_limit=args.firm_limit)
    unlimited = plan_batch(cases, experts, fits, mode="total")
    firms_at_limit = _firms_at_limit(total, experts, args.firm_limit)
    memory = bench_memory(fits, experts, args.firm_limit)

    print(
        f"  reference: OR-Tools min-cost flow over all {np.isfinite(fits).sum():,} pairs, "
        f"no firm limit: {ref_s:.2f} s, total fit {bound:.3f} (upper bound)"
    )
    same = "equal" if abs(unlimited.total_fit - bound) < 1e-3 else "DIFFERENT"
    print(f"  our plan without the firm limit: total {unlimited.total_fit:.3f} ({same})")
    print(f"  firm limit {args.firm_limit} binds for {firms_at_limit} firms")
    for name, plan in (("total", total), ("fair", fair), ("greedy", greedy)):
        s = plan.summary()
        print(
            f"  {name:6s}: {s['seconds']:6.2f} s, total fit {plan.total_fit:9.3f}, worst-served "
            f"{s['worst_fit']:.3f}, {s['assigned']} assigned, {s['experts_used']} experts, "
            f"proven optimal {s['proven_optimal']}, pairs added back {s['widened']}"
        )
    gap = (bound - total.total_fit) / bound
    print(
        f"ratio plan time / reference flow (total mode, firm limit): "
        f"{total.seconds / ref_s:.2f}x  (target <= 3x)"
    )
    print(f"ratio fair-mode plan time / reference flow: {fair.seconds / ref_s:.2f}x")
    print(f"ratio peak plan memory / fit matrix bytes: {memory:.2f}x  (target <= 3x)")
    print(f"total fit vs bound: {100 * gap:.3f}% below  (target <= 0.5%)")
    print(
        f"total fit vs greedy: {total.total_fit / greedy.total_fit:.4f}x  "
        f"(+{total.total_fit - greedy.total_fit:.3f}; target > 1)"
    )
    print(
        f"worst-served fit: total {total.worst_fit:.3f}, fair {fair.worst_fit:.3f}, "
        f"greedy {greedy.worst_fit:.3f}  (fair > greedy: {fair.worst_fit > greedy.worst_fit})"
    )
    if not args.no_team:
        rank_s, inputs_s, solve_s, seats, filled = bench_team(args.experts)
        print(
            f"team for one SEP case against {args.experts} experts: ranking {rank_s * 1e3:.1f} ms"
            f", candidates {inputs_s * 1e3:.1f} ms, solve {solve_s * 1e3:.1f} ms, "
            f"{filled}/{seats} seats filled"
        )
        print(f"ratio team solve / one ranking: {solve_s / rank_s:.2f}x  (target <= 1x)")
    return 0


def _firms_at_limit(plan, experts: list[PlanExpert], limit: int) -> int:  # type: ignore[no-untyped-def]
    firm = {e.id: e.firm for e in experts}
    used: dict[str, int] = {}
    for row in plan.cases:
        for expert_id, _ in row.experts:
            used[firm[expert_id]] = used.get(firm[expert_id], 0) + 1
    return sum(1 for n in used.values() if n >= limit)


if __name__ == "__main__":
    sys.exit(main())
