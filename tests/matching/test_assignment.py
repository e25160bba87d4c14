"""Batch assignment plans: optimal under capacity, conflicts and firm limits, with reasons."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expertmatch.matching.assignment import (
    PlanCancelled,
    PlanCase,
    PlanExpert,
    greedy_plan,
    plan_batch,
)
from expertmatch.matching.errors import InputError
from expertmatch.matching.rules import Exclusion

NAN = np.nan


def _cases(n: int, slots: int = 1) -> list[PlanCase]:
    return [PlanCase(f"C{i}", slots=slots) for i in range(n)]


def _experts(caps: list[int], firms: list[str | None] | None = None) -> list[PlanExpert]:
    firms = firms or [None] * len(caps)
    return [PlanExpert(f"E{j}", c, f) for j, (c, f) in enumerate(zip(caps, firms, strict=True))]


def _check_feasible(plan, cases, experts, fits, firm_limit=None):  # type: ignore[no-untyped-def]
    load: dict[str, int] = {}
    firm_of = {e.id: e.firm for e in experts}
    firm_load: dict[str, int] = {}
    col = {e.id: j for j, e in enumerate(experts)}
    for i, row in enumerate(plan.cases):
        assert row.case_id == cases[i].id
        assert len(row.experts) <= cases[i].slots
        assert len({e for e, _ in row.experts}) == len(row.experts)
        for expert_id, fit in row.experts:
            assert np.isfinite(fits[i, col[expert_id]]), "a forbidden pair was assigned"
            assert fit == pytest.approx(float(fits[i, col[expert_id]]), abs=1e-6)
            load[expert_id] = load.get(expert_id, 0) + 1
            if firm_of[expert_id]:
                firm_load[firm_of[expert_id]] = firm_load.get(firm_of[expert_id], 0) + 1
    for e in experts:
        assert load.get(e.id, 0) <= e.capacity, f"{e.id} over capacity"
    if firm_limit is not None:
        assert all(n <= firm_limit for n in firm_load.values())


def test_total_mode_beats_greedy_when_the_first_case_would_take_the_shared_star() -> None:
    # E0 is best for both cases; C1 has nobody else good. Greedy gives E0 to C0 (opened first).
    fits = np.array([[0.90, 0.85], [0.88, 0.20]], dtype=np.float32)
    cases, experts = _cases(2), _experts([1, 1])
    greedy = greedy_plan(cases, experts, fits)
    plan = plan_batch(cases, experts, fits)
    assert greedy.row("C0").experts[0][0] == "E0"
    assert plan.row("C0").experts[0][0] == "E1"
    assert plan.row("C1").experts[0][0] == "E0"
    assert plan.total_fit > greedy.total_fit
    assert plan.proven_optimal


def test_fair_mode_lifts_the_worst_served_case() -> None:
    # Total mode prefers 0.9 + 0.3 = 1.2 over 0.55 + 0.6 = 1.15; fair mode lifts the worst.
    fits = np.array([[0.90, 0.55], [0.60, 0.30]], dtype=np.float32)
    cases, experts = _cases(2), _experts([1, 1])
    total = plan_batch(cases, experts, fits, mode="total")
    fair = plan_batch(cases, experts, fits, mode="fair")
    assert total.worst_fit == pytest.approx(0.30, abs=1e-6)
    assert fair.worst_fit == pytest.approx(0.55, abs=1e-6)
    assert fair.threshold == pytest.approx(0.55, abs=1e-6)
    assert total.total_fit >= fair.total_fit


def test_conflicted_pairs_are_never_assigned_and_the_reason_names_the_rule() -> None:
    fits = np.array([[NAN, NAN], [0.5, 0.4]], dtype=np.float32)
    exclusions = {
        "C0": [
            Exclusion("E0", "conflict_counterparty", {"declared": "Nordvik", "party": "Nordvik"}),
            Exclusion("E1", "unavailable"),
        ]
    }
    plan = plan_batch(_cases(2), _experts([1, 1]), fits, exclusions=exclusions)
    row = plan.row("C0")
    assert row.experts == []
    assert row.shortfall is not None and row.shortfall.code == "no_eligible"
    assert row.shortfall.params["excluded"] == {"conflict_counterparty": 1, "unavailable": 1}
    assert "conflict_counterparty" in row.shortfall.text
    assert not row.eligible
    assert plan.worst_fit == pytest.approx(0.5)  # C0 had nobody eligible: not counted


def test_a_case_left_without_an_expert_names_who_is_full_and_where_they_went() -> None:
    fits = np.array([[0.9], [0.8]], dtype=np.float32)
    plan = plan_batch(_cases(2), _experts([1]), fits)
    row = plan.row("C1")
    assert row.experts == []
    assert row.shortfall.code == "at_capacity" and row.shortfall.short
    blocked = row.shortfall.params["blocked"][0]
    assert blocked["expert_id"] == "E0" and blocked["went_to"] == ["C0"]
    assert "C0" in row.shortfall.text


def test_the_firm_limit_binds_and_is_named() -> None:
    fits = np.array([[0.9, 0.8, 0.1], [0.85, 0.8, 0.2], [0.9, 0.9, 0.3]], dtype=np.float32)
    experts = _experts([3, 3, 3], ["Big LLP", "big llp", None])  # one firm, written two ways
    plan = plan_batch(_cases(3), experts, fits, firm_limit=2)
    _check_feasible(plan, _cases(3), experts, fits, firm_limit=2)
    firm_rows = [r for r in plan.cases if r.experts and r.experts[0][0] in ("E0", "E1")]
    assert len(firm_rows) == 2
    weak = next(r for r in plan.cases if r.experts and r.experts[0][0] == "E2")
    assert weak.shortfall is not None and weak.shortfall.code == "firm_limit"
    assert not weak.shortfall.short
    assert weak.shortfall.params["blocked"][0]["firm"] == "Big LLP"


def test_pruning_is_checked_by_the_dual_prices_and_widened_when_needed() -> None:
    rng = np.random.default_rng(7)
    fits = rng.random((30, 40)).astype(np.float32)
    fits[:, :3] += 1.0  # three stars everybody wants: depth 2 cannot hold the optimum
    cases, experts = _cases(30), _experts([1] * 40)
    shallow = plan_batch(cases, experts, fits, depth=2)
    full = plan_batch(cases, experts, fits, depth=40)
    assert shallow.widened > 0
    assert shallow.proven_optimal and full.proven_optimal
    assert shallow.total_fit == pytest.approx(full.total_fit, abs=1e-4)


def test_a_cancelled_plan_stops_and_decides_nothing() -> None:
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(PlanCancelled):
        plan_batch(_cases(3), _experts([1, 1]), np.full((3, 2), 0.5, np.float32), should_stop=stop)


def test_coverage_is_met_when_possible_and_relaxed_with_a_reason_when_not() -> None:
    experts = [
        PlanExpert("E0", 1, languages=("en",), jurisdictions=("US",)),
        PlanExpert("E1", 1, languages=("de", "en"), jurisdictions=("DE",)),
    ]
    fits = np.array([[0.9, 0.5], [0.9, 0.5]], dtype=np.float32)
    cases = [PlanCase("C0", languages=("de",)), PlanCase("C1", forums=("JP",))]
    plan = plan_batch(cases, experts, fits)
    assert plan.row("C0").experts[0][0] == "E1"  # the German speaker, though weaker
    relaxed = plan.row("C1").relaxed
    assert relaxed == [{"kind": "forum", "code": "JP", "reason": "no eligible expert covers it"}]
    assert plan.row("C1").experts[0][0] == "E0"


def test_bad_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(InputError, match="cases x experts"):
        plan_batch(_cases(2), _experts([1]), np.zeros((3, 1)))
    with pytest.raises(InputError, match="mode"):
        plan_batch(_cases(1), _experts([1]), np.zeros((1, 1)), mode="best")
    with pytest.raises(InputError, match="share the id"):
        plan_batch([PlanCase("C"), PlanCase("C")], _experts([1]), np.zeros((2, 1)))
    with pytest.raises(InputError, match="firm limit"):
        plan_batch(_cases(1), _experts([1]), np.zeros((1, 1)), firm_limit=0)


def _brute_force_total(
    fits: np.ndarray, caps: list[int], slots: int, firms: list, firm_limit: int | None
) -> float:
    n_c, n_e = fits.shape
    options = []
    for i in range(n_c):
        allowed = [j for j in range(n_e) if np.isfinite(fits[i, j])]
        opts = [()]
        for k in range(1, slots + 1):
            opts += list(itertools.combinations(allowed, k))
        options.append(opts)
    best = 0.0
    for combo in itertools.product(*options):
        load = [0] * n_e
        for picks in combo:
            for j in picks:
                load[j] += 1
        per_firm: dict[str, int] = {}
        for j in range(n_e):
            if firms[j]:
                per_firm[firms[j]] = per_firm.get(firms[j], 0) + load[j]
        if firm_limit is not None and any(n > firm_limit for n in per_firm.values()):
            continue
        if all(load[j] <= caps[j] for j in range(n_e)):
            total = sum(float(fits[i, j]) for i, picks in enumerate(combo) for j in picks)
            best = max(best, total)
    return best


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 2),
    st.integers(0, 2**32 - 1),
    st.sampled_from([None, 1, 2]),
)
def test_plans_are_feasible_and_total_mode_is_optimal(n_c, n_e, slots, seed, firm_limit) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    fits = np.round(rng.random((n_c, n_e)), 3).astype(np.float32)
    fits[rng.random((n_c, n_e)) < 0.2] = np.nan
    caps = rng.integers(0, 3, n_e).tolist()
    firms = [[None, "A", "B"][int(k)] for k in rng.integers(0, 3, n_e)]
    cases, experts = _cases(n_c, slots), _experts(caps, firms)
    limit = {"firm_limit": firm_limit}
    for mode in ("total", "fair"):
        plan = plan_batch(cases, experts, fits, mode=mode, depth=1, **limit)
        _check_feasible(plan, cases, experts, fits, firm_limit)
        for row in plan.cases:
            if len(row.experts) < slots:
                assert row.shortfall is not None and row.shortfall.short
    plan = plan_batch(cases, experts, fits, depth=1, **limit)
    assert plan.proven_optimal
    fair_shallow = plan_batch(cases, experts, fits, mode="fair", depth=1, **limit)
    fair_full = plan_batch(cases, experts, fits, mode="fair", depth=n_e, **limit)
    assert fair_shallow.proven_optimal
    assert fair_shallow.worst_fit == pytest.approx(fair_full.worst_fit, abs=1e-6)
    assert fair_shallow.total_fit == pytest.approx(fair_full.total_fit, abs=1e-4)
    best = _brute_force_total(fits, caps, slots, firms, firm_limit)
    assert plan.total_fit == pytest.approx(best, abs=1e-4)
    assert plan.total_fit >= greedy_plan(cases, experts, fits, **limit).total_fit - 1e-6
