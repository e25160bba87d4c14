"""Batch assignment: one plan for many cases that compete for the same experts.

Assigning case by case gives the best experts to whichever case is opened first. A plan instead
chooses all assignments at once, exactly, with scipy's HiGHS solver:

* **total** mode maximises the total fit of the plan;
* **fair** mode first maximises the fit of the worst-served case (a case's fit is its best
  assigned expert's; a case with eligible candidates but nobody assigned counts 0), then the total
  fit among the plans that reach it.

Constraints: experts per case (``slots``), each expert's remaining capacity, the hard rules
(a pair whose fit is NaN or -inf is not allowed: conflicts, availability), an optional firm limit
(at most ``firm_limit`` assignments of the batch per firm — with one expert per case, at most that
many cases) and optional coverage per case (at least one assigned expert speaks each required
language / is admitted in each required forum).

Why it is exact and fast. Without coverage the constraint matrix is a network matrix (cases on
one side, experts nested in firms on the other, and fair mode's "at least one good expert" rows
nested in the case rows), so the linear programme has integral vertices: HiGHS' dual simplex
returns a 0/1 plan in a fraction of a second. Each case keeps only its ``depth`` best candidates;
the LP's dual prices then *prove* the pruning harmless: a left-out pair could improve the plan
only if its fit exceeds the sum of its case's, expert's and firm's dual prices, which is checked
for every pair of the full matrix; violating pairs are added back and the LP solved again
(``BatchPlan.proven_optimal`` says whether the final check passed). Coverage makes the problem a
mixed-integer programme (HiGHS' branch and bound); requirements that cannot all be met are
relaxed in a documented order — language coverage first, then forum coverage — and the plan says
which were relaxed and why. The firm limit and capacity are never relaxed.

Every case that gets fewer experts than asked, or a weaker one than its own best candidate,
carries a :class:`Shortfall` naming the rule: no eligible expert (which rules excluded whom),
candidates at capacity (naming the cases they went to), the firm limit, or a coverage choice.

Pure library: numpy and scipy only; the web layer, the CLI and ``bench/`` call the same code.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import maximum_flow

from expertmatch.matching.errors import InputError, MatchingError
from expertmatch.matching.rules import Exclusion

__all__ = [
    "DEFAULT_DEPTH",
    "MODES",
    "BatchInputs",
    "BatchPlan",
    "PlanCancelled",
    "PlanCase",
    "PlanExpert",
    "PlannedCase",
    "Shortfall",
    "batch_inputs",
    "greedy_plan",
    "plan_batch",
]

MODES = ("total", "fair")
# Candidates kept per case before the dual-price check (which adds back any pair that could
# improve the plan): 50 keeps the LP small (measured: 500 x 10k, 0.8 s and 2.5x the matrix's
# memory at 50 vs 1.7 s and 8x at 200) and is seldom widened.
DEFAULT_DEPTH = 50
_EPS = 1e-7
_CHUNK = 64
_MAX_ROUNDS = 8
# Every allowed assignment is worth this much on top of its fit, so that an expert who may take
# a case is proposed rather than nobody even where the fit is 0.
_ASSIGN_BONUS = 1e-6
_ADD_BACK = 20  # most pairs added back per case and round by the pruning check
# Relaxation order of coverage requirements: the first listed is given up first.
RELAXATION_ORDER = ("language", "forum")


class PlanCancelled(MatchingError):
    """The caller asked the plan to stop; nothing was decided."""


@dataclass(frozen=True)
class PlanCase:
    """One case of the batch: how many experts it needs and what they must cover together."""

    id: str
    slots: int = 1
    languages: tuple[str, ...] = ()
    forums: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanExpert:
    """One expert of the pool as the plan sees them: ``capacity`` is what they can still take."""

    id: str
    capacity: int
    firm: str | None = None
    languages: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()


SHORTFALL_TEXTS: dict[str, str] = {
    "no_eligible": "No eligible expert: {excluded_text}.",
    "below_min_fit": "No expert reaches the minimum fit of {min_fit:.0%} (best {best_fit:.0%}).",
    "at_capacity": "Its candidates are at capacity: {blocked_text}.",
    "firm_limit": "Its candidates' firms reached the firm limit of {firm_limit}: {blocked_text}.",
    "capacity_and_firm_limit": (
        "Its candidates are at capacity or their firms at the firm limit of {firm_limit}: "
        "{blocked_text}."
    ),
    "coverage": "Experts were chosen to cover the required languages or forums: {blocked_text}.",
}


@dataclass(frozen=True)
class Shortfall:
    """Why a case got fewer experts than asked, or a weaker one than its own best candidate.

    ``code`` is one of :data:`SHORTFALL_TEXTS`; ``params`` holds the names the message needs
    (``blocked``: the better candidates left out, each with the rule that kept them away and the
    cases they went to; ``excluded``: counts of hard-rule exclusions by reason code).
    ``short`` is true when the case has fewer experts than it asked for.
    """

    code: str
    short: bool
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def text(self) -> str:
        """The reason in plain English (the web layer words its own from code and params)."""
        params = dict(self.params)
        params.setdefault("firm_limit", "")
        params["blocked_text"] = "; ".join(_blocked_text(b) for b in params.get("blocked", []))
        excluded = params.get("excluded") or {}
        params["excluded_text"] = (
            ", ".join(f"{n} excluded ({code})" for code, n in sorted(excluded.items()))
            or "no expert in the pool"
        )
        text = SHORTFALL_TEXTS[self.code].format(**params)
        if not self.short:
            text = "A stronger candidate went elsewhere. " + text
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "short": self.short, "text": self.text, **self.params}


def _blocked_text(b: Mapping[str, Any]) -> str:
    who = f"{b['expert_id']} (fit {b['fit']:.0%})"
    if b["rule"] == "at_capacity":
        return f"{who} is full with {', '.join(b['went_to']) or 'earlier cases'}"
    if b["rule"] == "firm_limit":
        return f"{who}: firm {b['firm']} already has {', '.join(b['went_to'])}"
    return f"{who} was passed over for coverage"


@dataclass
class PlannedCase:
    """One row of a plan: the experts chosen for a case with their fits, best first."""

    case_id: str
    slots: int
    experts: list[tuple[str, float]]
    best_candidate: tuple[str, float] | None
    shortfall: Shortfall | None = None
    relaxed: list[dict[str, str]] = field(default_factory=list)

    @property
    def fit(self) -> float:
        """The case's served fit: its best assigned expert's (0 with nobody)."""
        return self.experts[0][1] if self.experts else 0.0

    @property
    def eligible(self) -> bool:
        """Whether any expert could have been assigned at all."""
        return self.best_candidate is not None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "case_id": self.case_id,
            "experts": [{"expert_id": e, "fit": round(f, 4)} for e, f in self.experts],
        }
        if self.shortfall is not None:
            out["reason"] = self.shortfall.to_dict()
        if self.relaxed:
            out["relaxed"] = self.relaxed
        return out


@dataclass
class BatchPlan:
    """A whole plan, with what it achieves and how it was found."""

    mode: str
    cases: list[PlannedCase]
    depth: int
    proven_optimal: bool
    widened: int = 0
    threshold: float | None = None
    seconds: float = 0.0
    solver: str = ""
    firm_limit: int | None = None

    @property
    def total_fit(self) -> float:
        return float(sum(f for c in self.cases for _, f in c.experts))

    @property
    def worst_fit(self) -> float | None:
        """The worst served fit among cases that had any eligible expert."""
        fits = [c.fit for c in self.cases if c.eligible]
        return min(fits) if fits else None

    @property
    def experts_used(self) -> int:
        return len({e for c in self.cases for e, _ in c.experts})

    @property
    def assigned(self) -> int:
        return sum(len(c.experts) for c in self.cases)

    def row(self, case_id: str) -> PlannedCase:
        for c in self.cases:
            if c.case_id == case_id:
                return c
        raise KeyError(case_id)

    def summary(self) -> dict[str, Any]:
        """The figures a coordinator compares plans by."""
        worst = self.worst_fit
        return {
            "mode": self.mode,
            "cases": len(self.cases),
            "assigned": self.assigned,
            "cases_short": sum(1 for c in self.cases if c.shortfall and c.shortfall.short),
            "total_fit": round(self.total_fit, 4),
            "worst_fit": None if worst is None else round(worst, 4),
            "experts_used": self.experts_used,
            "depth": self.depth,
            "proven_optimal": self.proven_optimal,
            "widened": self.widened,
            "relaxed": sum(len(c.relaxed) for c in self.cases),
            "seconds": round(self.seconds, 3),
            "solver": self.solver,
        }


# -- the problem as arrays ---------------------------------------------------------------------


@dataclass
class _Problem:
    cases: Sequence[PlanCase]
    experts: Sequence[PlanExpert]
    fits: np.ndarray
    slots: np.ndarray
    cap: np.ndarray
    firm: np.ndarray  # firm code per expert, -1 for none
    firm_names: list[str]
    firm_limit: int | None
    min_fit: float
    id_rank: np.ndarray
    exclusions: Mapping[str, Sequence[Exclusion]]
    should_stop: Callable[[], bool] | None
    progress: Callable[[str, int, int], None] | None

    def check(self) -> None:
        if self.should_stop is not None and self.should_stop():
            raise PlanCancelled("the plan was cancelled")

    def tell(self, phase: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(phase, done, total)

    def valid_rows(self, r0: int, r1: int) -> np.ndarray:
        """Fits of rows r0..r1 with every disallowed pair set to -inf."""
        sub = np.asarray(self.fits[r0:r1], dtype=np.float32)
        ok = np.isfinite(sub) & (sub >= self.min_fit) & (self.cap > 0)[None, :]
        return np.where(ok, sub, np.float32(-np.inf))


def _build(
    cases: Sequence[PlanCase],
    experts: Sequence[PlanExpert],
    fits: np.ndarray,
    *,
    exclusions: Mapping[str, Sequence[Exclusion]] | None,
    firm_limit: int | None,
    min_fit: float,
    should_stop: Callable[[], bool] | None,
    progress: Callable[[str, int, int], None] | None,
) -> _Problem:
    fits = np.asarray(fits)
    if fits.ndim != 2 or fits.shape != (len(cases), len(experts)):
        raise InputError(
            f"the fit matrix must be cases x experts ({len(cases)} x {len(experts)}), "
            f"got {fits.shape}"
        )
    for name, items in (("case", cases), ("expert", experts)):
        ids = [x.id for x in items]
        if len(set(ids)) != len(ids):
            raise InputError(f"two {name}s share the id {_first_duplicate(ids)}")
    if any(c.slots < 1 for c in cases):
        raise InputError("every case needs at least one expert (slots >= 1)")
    if any(e.capacity < 0 for e in experts):
        raise InputError("an expert's remaining capacity cannot be negative")
    if firm_limit is not None and firm_limit < 1:
        raise InputError("the firm limit must be at least 1")
    firm_codes: dict[str, int] = {}
    firm_names: list[str] = []
    firm = np.full(len(experts), -1, dtype=np.int64)
    for j, e in enumerate(experts):
        key = (e.firm or "").strip().casefold()
        if key:
            if key not in firm_codes:
                firm_codes[key] = len(firm_names)
                firm_names.append((e.firm or "").strip())
            firm[j] = firm_codes[key]
    id_rank = np.empty(len(experts), dtype=np.int64)
    id_rank[np.argsort(np.array([e.id for e in experts], dtype=object), kind="stable")] = np.arange(
        len(experts)
    )
    return _Problem(
        cases=cases,
        experts=experts,
        fits=fits,
        slots=np.array([c.slots for c in cases], dtype=np.int64),
        cap=np.array([e.capacity for e in experts], dtype=np.int64),
        firm=firm,
        firm_names=firm_names,
        firm_limit=firm_limit,
        min_fit=float(min_fit),
        id_rank=id_rank,
        exclusions=exclusions or {},
        should_stop=should_stop,
        progress=progress,
    )


def _first_duplicate(ids: Sequence[str]) -> str:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            return i
        seen.add(i)
    return ""


@dataclass
class _Candidates:
    """Each case's best candidates (pairs), sorted best first within a case."""

    case: np.ndarray
    expert: np.ndarray
    fit: np.ndarray
    bound: np.ndarray  # per case: best fit left out by the pruning (-inf when none)
    depth: np.ndarray  # per case: how deep its list goes
    has_valid: np.ndarray  # per case: any allowed pair at all

    def of_case(self, i: int) -> np.ndarray:
        return np.flatnonzero(self.case == i)


def _candidates(p: _Problem, depth: np.ndarray) -> _Candidates:
    """The top ``depth[i]`` allowed experts of each case (ties broken by expert id)."""
    n_c = len(p.cases)
    cases, experts, fits = [], [], []
    bound = np.full(n_c, -np.inf)
    has_valid = np.zeros(n_c, dtype=bool)
    for r0 in range(0, n_c, _CHUNK):
        p.check()
        r1 = min(n_c, r0 + _CHUNK)
        vals = p.valid_rows(r0, r1)
        for k, row in enumerate(vals):
            i = r0 + k
            n_valid = int(np.count_nonzero(row > -np.inf))
            has_valid[i] = n_valid > 0
            d = min(int(depth[i]), n_valid)
            if d == 0:
                continue
            if d < n_valid:
                part = np.argpartition(-row, d)
                top, rest = part[:d], part[d:]
                bound[i] = float(row[rest].max())
            else:
                top = np.flatnonzero(row > -np.inf)
            order = np.lexsort((p.id_rank[top], -row[top].astype(np.float64)))
            top = top[order]
            cases.append(np.full(len(top), i, dtype=np.int64))
            experts.append(top.astype(np.int64))
            fits.append(row[top].astype(np.float64))
        p.tell("candidates", r1, n_c)
    cat = lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dtype=dt)  # noqa: E731
    return _Candidates(
        case=cat(cases, np.int64),
        expert=cat(experts, np.int64),
        fit=cat(fits, np.float64),
        bound=bound,
        depth=depth.copy(),
        has_valid=has_valid,
    )


# -- fair mode: the best threshold for the worst-served case -----------------------------------


def _max_flow_cases(p: _Problem, cand: _Candidates, mask: np.ndarray) -> tuple[int, np.ndarray]:
    """Most cases that can each get one expert using the pairs in ``mask``, and which."""
    n_c, n_e = len(p.cases), len(p.experts)
    n_f = len(p.firm_names) if p.firm_limit is not None else 0
    source, sink = 0, 1 + n_c + n_e + n_f
    ec, ee = cand.case[mask], cand.expert[mask]
    rows = [np.zeros(n_c, dtype=np.int64), 1 + ec]
    cols = [1 + np.arange(n_c), 1 + n_c + ee]
    caps = [np.ones(n_c, dtype=np.int64), np.ones(len(ec), dtype=np.int64)]
    used = np.unique(ee)
    exp_node = 1 + n_c + used
    if n_f:
        f = p.firm[used]
        to_firm = f >= 0
        rows += [exp_node[to_firm], exp_node[~to_firm]]
        cols += [1 + n_c + n_e + f[to_firm], np.full(int((~to_firm).sum()), sink)]
        caps += [p.cap[used][to_firm], p.cap[used][~to_firm]]
        firms = np.unique(f[to_firm])
        rows.append(1 + n_c + n_e + firms)
        cols.append(np.full(len(firms), sink))
        caps.append(np.full(len(firms), p.firm_limit, dtype=np.int64))
    else:
        rows.append(exp_node)
        cols.append(np.full(len(used), sink))
        caps.append(p.cap[used])
    n = sink + 1
    graph = sparse.csr_matrix(
        (np.concatenate(caps).astype(np.int32), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n, n),
    )
    result = maximum_flow(graph, source, sink)
    served = np.asarray(result.flow[0, 1 : 1 + n_c].todense()).ravel() > 0
    return int(result.flow_value), served


def _fair_threshold(p: _Problem, cand: _Candidates) -> tuple[float, np.ndarray]:
    """The highest fit t such that as many cases as can be served at all each get an expert
    of fit >= t (binary search over the candidates' fits, one max flow per step)."""
    everything = np.ones(len(cand.fit), dtype=bool)
    most, served = _max_flow_cases(p, cand, everything)
    if most == 0:
        return 0.0, served
    values = np.unique(cand.fit)  # ascending
    lo, hi = 0, len(values) - 1  # values[lo] is feasible (it keeps every pair)
    while lo < hi:
        p.check()
        mid = (lo + hi + 1) // 2
        flow, got = _max_flow_cases(p, cand, cand.fit >= values[mid])
        if flow == most:
            lo, served = mid, got
        else:
            hi = mid - 1
    if lo == 0:
        _, served = _max_flow_cases(p, cand, cand.fit >= values[0])
    return float(values[lo]), served


# -- the optimisation --------------------------------------------------------------------------


@dataclass
class _Model:
    c: np.ndarray
    rows: list[np.ndarray]
    cols: list[np.ndarray]
    vals: list[np.ndarray]
    b: list[float]
    n_rows: int = 0
    case_row: dict[int, int] = field(default_factory=dict)
    expert_row: dict[int, int] = field(default_factory=dict)
    firm_row: dict[int, int] = field(default_factory=dict)
    fair_row: dict[int, int] = field(default_factory=dict)
    slack: list[tuple[int, str, str, int]] = field(default_factory=list)  # var, kind, code, case

    def add_row(self, cols: np.ndarray, vals: np.ndarray, bound: float) -> int:
        r = self.n_rows
        self.rows.append(np.full(len(cols), r, dtype=np.int64))
        self.cols.append(cols.astype(np.int64))
        self.vals.append(vals.astype(np.float64))
        self.b.append(bound)
        self.n_rows += 1
        return r


def _group(keys: np.ndarray) -> dict[int, np.ndarray]:
    if len(keys) == 0:
        return {}
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    cuts = np.flatnonzero(np.diff(sk)) + 1
    pieces = zip(np.split(sk, cuts), np.split(order, cuts), strict=True)
    return {int(g[0]): idx for g, idx in pieces}


def _model(
    p: _Problem,
    cand: _Candidates,
    threshold: float | None,
    served: np.ndarray | None,
    coverage: list[tuple[int, str, str, np.ndarray]],
) -> _Model:
    n = len(cand.fit)
    m = _Model(c=-(cand.fit + _ASSIGN_BONUS), rows=[], cols=[], vals=[], b=[])
    ones = np.ones(n)
    for i, idx in _group(cand.case).items():
        m.case_row[i] = m.add_row(idx, ones[idx], float(p.slots[i]))
    for j, idx in _group(cand.expert).items():
        m.expert_row[j] = m.add_row(idx, ones[idx], float(p.cap[j]))
    if p.firm_limit is not None:
        f = p.firm[cand.expert]
        for code, idx in _group(f).items():
            if code >= 0:
                m.firm_row[code] = m.add_row(idx, ones[idx], float(p.firm_limit))
    if threshold is not None and served is not None:
        good = cand.fit >= threshold - 1e-12
        for i, idx in _group(cand.case).items():
            if served[i]:
                sel = idx[good[idx]]
                m.fair_row[i] = m.add_row(sel, -ones[sel], -1.0)
    if coverage:
        # Uncovering a requirement costs more than any fit the whole plan could gain, and a
        # forum twice a language: languages are relaxed first (RELAXATION_ORDER).
        unit = float(p.slots.sum()) + 1.0
        penalties = []
        for rank, kind in enumerate(RELAXATION_ORDER, start=1):
            for i, k, code, covering in coverage:
                if k != kind:
                    continue
                var = n + len(m.slack)
                m.slack.append((var, kind, code, i))
                penalties.append(rank * unit)
                m.add_row(
                    np.concatenate([covering, [var]]),
                    np.concatenate([-ones[covering], [-1.0]]),
                    -1.0,
                )
        m.c = np.concatenate([m.c, np.array(penalties)])
    return m


def _solve(m: _Model, integral: bool) -> tuple[np.ndarray, np.ndarray | None, str]:
    n_vars = len(m.c)
    a = sparse.csr_matrix(
        (np.concatenate(m.vals), (np.concatenate(m.rows), np.concatenate(m.cols))),
        shape=(m.n_rows, n_vars),
    )
    b = np.array(m.b)
    if not integral:
        res = linprog(m.c, A_ub=a, b_ub=b, bounds=(0, 1), method="highs-ds")
        if res.status == 0:
            x = res.x
            if np.all(np.minimum(np.abs(x), np.abs(1 - x)) < 1e-6):
                return np.round(x), -res.ineqlin.marginals, "HiGHS dual simplex (LP, integral)"
        # Not integral (numerically): fall through to branch and bound on the same model.
    res = milp(
        m.c,
        constraints=LinearConstraint(a, -np.inf, b),
        integrality=np.ones(n_vars),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 1e-9, "disp": False},
    )
    if res.x is None:
        raise MatchingError(f"the solver found no plan ({res.message})")
    return np.round(res.x), None, "HiGHS branch and bound (MILP)"


def _pricing(
    p: _Problem,
    cand: _Candidates,
    m: _Model,
    duals: np.ndarray,
    threshold: float | None,
) -> list[tuple[int, int, float]]:
    """Left-out pairs whose reduced cost says they could improve the plan."""
    n_c, n_e = len(p.cases), len(p.experts)
    u = np.zeros(n_c)
    for i, r in m.case_row.items():
        u[i] = duals[r]
    v = np.zeros(n_e)
    for j, r in m.expert_row.items():
        v[j] = duals[r]
    w_f = np.zeros(len(p.firm_names) + 1)
    for f, r in m.firm_row.items():
        w_f[f] = duals[r]
    w = w_f[p.firm]  # firm -1 picks the trailing zero
    g = np.zeros(n_c)
    for i, r in m.fair_row.items():
        g[i] = duals[r]  # the row is "-sum <= -1": its price makes a good pair cheaper
    found: list[tuple[int, int, float]] = []
    vw = v + w
    for r0 in range(0, n_c, _CHUNK):
        p.check()
        r1 = min(n_c, r0 + _CHUNK)
        vals = p.valid_rows(r0, r1).astype(np.float64)
        gain = vals + _ASSIGN_BONUS - u[r0:r1, None] - vw[None, :]
        if threshold is not None:
            gain += np.where(vals >= threshold, g[r0:r1, None], 0.0)
        here = (cand.case >= r0) & (cand.case < r1)
        gain[cand.case[here] - r0, cand.expert[here]] = -np.inf  # already candidates
        for k in np.flatnonzero((gain > _EPS).any(axis=1)).tolist():
            row = gain[k]
            hits = np.flatnonzero(row > _EPS)
            if len(hits) > _ADD_BACK:
                hits = hits[np.argpartition(-row[hits], _ADD_BACK)[:_ADD_BACK]]
            found.extend((r0 + k, int(jj), float(row[jj])) for jj in hits.tolist())
        p.tell("check", r1, n_c)
    return found


def _coverage(
    p: _Problem, cand: _Candidates
) -> tuple[list[tuple[int, str, str, np.ndarray]], list[tuple[int, str, str, str]]]:
    """Coverage rows (case, kind, code, covering pair indices) and those impossible already."""
    rows, impossible = [], []
    groups = _group(cand.case)
    for i, case in enumerate(p.cases):
        idx = groups.get(i, np.zeros(0, dtype=np.int64))
        for kind, codes in (("language", case.languages), ("forum", case.forums)):
            for code in codes:
                attr = "languages" if kind == "language" else "jurisdictions"
                ok = np.array(
                    [code in getattr(p.experts[j], attr) for j in cand.expert[idx].tolist()],
                    dtype=bool,
                )
                if ok.any():
                    rows.append((i, kind, code, idx[ok]))
                else:
                    impossible.append((i, kind, code, "no eligible expert covers it"))
    return rows, impossible


def _add_covering_candidates(p: _Problem, depth: np.ndarray, per_requirement: int = 20) -> None:
    """Deepen a case's list far enough to hold its best experts for each coverage requirement."""
    for i, case in enumerate(p.cases):
        if not (case.languages or case.forums):
            continue
        row = p.valid_rows(i, i + 1)[0]
        order = np.argsort(-row, kind="stable")
        order = order[row[order] > -np.inf]
        need = int(depth[i])
        for kind, codes in (("language", case.languages), ("forum", case.forums)):
            attr = "languages" if kind == "language" else "jurisdictions"
            for code in codes:
                hits = [
                    pos
                    for pos, j in enumerate(order.tolist())
                    if code in getattr(p.experts[j], attr)
                ][:per_requirement]
                if hits:
                    need = max(need, hits[-1] + 1)
        depth[i] = need


def plan_batch(
    cases: Sequence[PlanCase],
    experts: Sequence[PlanExpert],
    fits: np.ndarray,
    *,
    mode: str = "total",
    firm_limit: int | None = None,
    depth: int = DEFAULT_DEPTH,
    min_fit: float = 0.0,
    exclusions: Mapping[str, Sequence[Exclusion]] | None = None,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> BatchPlan:
    """The optimal plan for ``cases`` (rows of ``fits``) over ``experts`` (its columns).

    ``fits[i, j]`` is the calibrated fit of expert j for case i, NaN (or -inf) where a hard rule
    forbids the pair; ``exclusions`` (by case id) name those rules for the shortfall reasons.
    ``should_stop`` is polled between steps: when it returns true the plan raises
    :class:`PlanCancelled` and decides nothing. ``progress(phase, done, total)`` reports steps.
    """
    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if depth < 1:
        raise InputError("the pruning depth must be at least 1")
    started = time.perf_counter()
    p = _build(
        cases,
        experts,
        fits,
        exclusions=exclusions,
        firm_limit=firm_limit,
        min_fit=min_fit,
        should_stop=should_stop,
        progress=progress,
    )
    depths = np.full(len(cases), depth, dtype=np.int64)
    has_coverage = any(c.languages or c.forums for c in cases)
    if has_coverage:
        _add_covering_candidates(p, depths)
    cand = _candidates(p, depths)
    threshold: float | None = None
    served: np.ndarray | None = None
    if mode == "fair":
        while True:
            threshold, served = _fair_threshold(p, cand)
            above = cand.fit[cand.fit > threshold + 1e-12]
            t_next = float(above.min()) if len(above) else np.inf
            # A left-out pair could raise the threshold only if its case's pruning bound reaches
            # the next candidate value. And while not every case with candidates is served, a
            # left-out pair of any case might open an augmenting path: deepen, and repeat.
            deepen = cand.bound >= t_next
            if served.sum() < cand.has_valid.sum():
                deepen |= np.isfinite(cand.bound)
            if not deepen.any():
                break
            depths[deepen] *= 4
            cand = _candidates(p, depths)
    coverage, impossible = _coverage(p, cand) if has_coverage else ([], [])
    widened = 0
    rounds = 0
    model: _Model | None = None
    x = np.zeros(0)
    solver, proven = "nothing to solve (no eligible pair)", True
    while len(cand.fit):
        p.check()
        model = _model(p, cand, threshold, served, coverage)
        x, duals, solver = _solve(model, integral=bool(coverage))
        rounds += 1
        p.tell("solve", rounds, rounds)
        if duals is None:
            proven = False
            break
        missing = _pricing(p, cand, model, duals, threshold)
        if not missing or rounds >= _MAX_ROUNDS:
            proven = not missing
            break
        best: dict[int, list[tuple[float, int]]] = defaultdict(list)
        for i, j, gain in missing:
            best[i].append((gain, j))
        add_c, add_e = [], []
        for i, items in best.items():
            for _, j in sorted(items, reverse=True)[:_ADD_BACK]:
                add_c.append(i)
                add_e.append(j)
        widened += len(add_c)
        cand = _merge_pairs(p, cand, np.array(add_c), np.array(add_e))
        if coverage:
            coverage, impossible = _coverage(p, cand)
    n_pairs = len(cand.fit)
    chosen = np.flatnonzero(x[:n_pairs] > 0.5)
    relaxed = [
        (i, kind, code, "conflicts with capacity or the firm limit")
        for var, kind, code, i in (model.slack if model is not None else [])
        if x[var] > 0.5
    ]
    relaxed += impossible
    plan = _assemble(p, cand, chosen, relaxed, mode)
    plan.depth = depth
    plan.proven_optimal = proven
    plan.widened = widened
    plan.threshold = threshold
    plan.solver = solver
    plan.firm_limit = firm_limit
    plan.seconds = time.perf_counter() - started
    return plan


def _merge_pairs(p: _Problem, cand: _Candidates, ci: np.ndarray, ej: np.ndarray) -> _Candidates:
    """The candidates with the pairs (ci, ej) added (those already there are kept once)."""
    have = set(zip(cand.case.tolist(), cand.expert.tolist(), strict=True))
    new = [
        k for k, pair in enumerate(zip(ci.tolist(), ej.tolist(), strict=True)) if pair not in have
    ]
    ci, ej = ci[new].astype(np.int64), ej[new].astype(np.int64)
    case = np.concatenate([cand.case, ci])
    expert = np.concatenate([cand.expert, ej])
    fit = np.concatenate([cand.fit, np.asarray(p.fits[ci, ej], dtype=np.float64)])
    order = np.lexsort((p.id_rank[expert], -fit, case))
    return _Candidates(
        case=case[order],
        expert=expert[order],
        fit=fit[order],
        bound=cand.bound,
        depth=cand.depth,
        has_valid=cand.has_valid,
    )


# -- greedy, one case at a time (what a coordinator does today) -------------------------------


def greedy_plan(
    cases: Sequence[PlanCase],
    experts: Sequence[PlanExpert],
    fits: np.ndarray,
    *,
    firm_limit: int | None = None,
    min_fit: float = 0.0,
    exclusions: Mapping[str, Sequence[Exclusion]] | None = None,
) -> BatchPlan:
    """Cases in the given order each take their best still-free experts: the baseline a plan
    is compared with (and what assigning from the ranked list one case at a time gives)."""
    started = time.perf_counter()
    p = _build(
        cases,
        experts,
        fits,
        exclusions=exclusions,
        firm_limit=firm_limit,
        min_fit=min_fit,
        should_stop=None,
        progress=None,
    )
    left = p.cap.copy()
    firm_used = np.zeros(len(p.firm_names), dtype=np.int64)
    depths = np.full(len(cases), len(experts), dtype=np.int64)
    pairs_case, pairs_exp, pairs_fit = [], [], []
    for i in range(len(cases)):
        row = p.valid_rows(i, i + 1)[0]
        allowed = np.flatnonzero(row > -np.inf)
        order = allowed[np.lexsort((p.id_rank[allowed], -row[allowed].astype(np.float64)))]
        taken = 0
        for j in order.tolist():
            if taken >= p.slots[i]:
                break
            f = p.firm[j]
            if left[j] <= 0 or (firm_limit is not None and f >= 0 and firm_used[f] >= firm_limit):
                continue
            left[j] -= 1
            if f >= 0:
                firm_used[f] += 1
            pairs_case.append(i)
            pairs_exp.append(j)
            pairs_fit.append(float(row[j]))
            taken += 1
    # Reasons are worded from each case's best candidates, as for a solved plan.
    cand = _candidates(p, np.minimum(depths, DEFAULT_DEPTH))
    cand = _merge_pairs(
        p, cand, np.array(pairs_case, dtype=np.int64), np.array(pairs_exp, dtype=np.int64)
    )
    chosen_set = set(zip(pairs_case, pairs_exp, strict=True))
    pairs = zip(cand.case.tolist(), cand.expert.tolist(), strict=True)
    chosen = np.array([k for k, pair in enumerate(pairs) if pair in chosen_set], dtype=np.int64)
    plan = _assemble(p, cand, chosen, [], "greedy")
    plan.depth = len(experts)
    plan.proven_optimal = False
    plan.solver = "greedy, in queue order"
    plan.firm_limit = firm_limit
    plan.seconds = time.perf_counter() - started
    return plan


# -- turning a solution into rows with reasons -------------------------------------------------


def _assemble(
    p: _Problem,
    cand: _Candidates,
    chosen: np.ndarray,
    relaxed: Sequence[tuple[int, str, str, str]],
    mode: str,
) -> BatchPlan:
    by_case: dict[int, list[int]] = defaultdict(list)
    went_to: dict[int, list[int]] = defaultdict(list)
    firm_cases: dict[int, list[int]] = defaultdict(list)
    for k in chosen.tolist():
        i, j = int(cand.case[k]), int(cand.expert[k])
        by_case[i].append(k)
        went_to[j].append(i)
        if p.firm[j] >= 0:
            firm_cases[int(p.firm[j])].append(i)
    relaxed_by_case: dict[int, list[dict[str, str]]] = defaultdict(list)
    for i, kind, code, why in relaxed:
        relaxed_by_case[i].append({"kind": kind, "code": code, "reason": why})
    groups = _group(cand.case)
    rows = []
    for i, case in enumerate(p.cases):
        mine = sorted(by_case.get(i, []), key=lambda k: (-cand.fit[k], p.id_rank[cand.expert[k]]))
        assigned = [(p.experts[int(cand.expert[k])].id, float(cand.fit[k])) for k in mine]
        idx = groups.get(i, np.zeros(0, dtype=np.int64))
        best = None
        if len(idx):
            best = (p.experts[int(cand.expert[idx[0]])].id, float(cand.fit[idx[0]]))
        row = PlannedCase(
            case_id=case.id,
            slots=int(p.slots[i]),
            experts=assigned,
            best_candidate=best,
            relaxed=relaxed_by_case.get(i, []),
        )
        row.shortfall = _shortfall(
            p, cand, i, idx, {int(cand.expert[k]) for k in mine}, assigned, went_to, firm_cases
        )
        rows.append(row)
    return BatchPlan(mode=mode, cases=rows, depth=0, proven_optimal=False)


def _shortfall(
    p: _Problem,
    cand: _Candidates,
    i: int,
    idx: np.ndarray,
    mine: set[int],
    assigned: list[tuple[str, float]],
    went_to: Mapping[int, list[int]],
    firm_cases: Mapping[int, list[int]],
) -> Shortfall | None:
    slots = int(p.slots[i])
    short = len(assigned) < slots
    if not len(idx):
        if not short:
            return None
        excluded = Counter(e.reason_code for e in p.exclusions.get(p.cases[i].id, ()))
        row = np.asarray(p.fits[i], dtype=np.float64)
        finite = row[np.isfinite(row) & (p.cap > 0)]
        if len(finite) and p.min_fit > 0:
            return Shortfall(
                "below_min_fit", True, {"min_fit": p.min_fit, "best_fit": float(finite.max())}
            )
        full = int(np.count_nonzero(np.isfinite(row) & (p.cap <= 0)))
        if full:
            excluded["at_capacity"] += full
        examples = [
            {"expert_id": e.expert_id, "reason_code": e.reason_code, "reason": e.reason}
            for e in list(p.exclusions.get(p.cases[i].id, ()))[:5]
        ]
        return Shortfall("no_eligible", True, {"excluded": dict(excluded), "examples": examples})
    weakest = min(f for _, f in assigned) if assigned and not short else -np.inf
    blocked = []
    for k in idx.tolist():
        j = int(cand.expert[k])
        fit = float(cand.fit[k])
        if j in mine:
            continue
        if fit <= weakest + 1e-12:
            break
        f = int(p.firm[j])
        cases_of = [p.cases[c].id for c in went_to.get(j, [])]
        if len(went_to.get(j, [])) >= p.cap[j]:
            rule = "at_capacity"
            where = cases_of
        elif p.firm_limit is not None and f >= 0 and len(firm_cases.get(f, [])) >= p.firm_limit:
            rule = "firm_limit"
            where = [p.cases[c].id for c in firm_cases[f]]
        else:
            rule = "coverage"
            where = cases_of
        blocked.append(
            {
                "expert_id": p.experts[j].id,
                "fit": round(fit, 4),
                "rule": rule,
                "went_to": where,
                "firm": p.firm_names[f] if f >= 0 else None,
            }
        )
        if len(blocked) >= 5:
            break
    if not blocked:
        if short:
            return Shortfall("at_capacity", True, {"blocked": [], "firm_limit": p.firm_limit})
        return None
    rules = {b["rule"] for b in blocked}
    if rules == {"at_capacity"}:
        code = "at_capacity"
    elif rules == {"firm_limit"}:
        code = "firm_limit"
    elif "coverage" in rules and len(rules) == 1:
        code = "coverage"
    else:
        code = "capacity_and_firm_limit" if "coverage" not in rules else "coverage"
    return Shortfall(code, short, {"blocked": blocked, "firm_limit": p.firm_limit})


# -- from a matcher to a plan's inputs ---------------------------------------------------------


@dataclass
class BatchInputs:
    """What :func:`plan_batch` takes, built from a matcher's rankings of the batch's cases."""

    cases: list[PlanCase]
    experts: list[PlanExpert]
    fits: np.ndarray
    exclusions: dict[str, list[Exclusion]]


def batch_inputs(
    matcher: Any,
    cases: Sequence[Any],
    *,
    slots: int = 1,
    today: Any = None,
    cover_languages: bool = False,
    cover_forums: bool = False,
) -> BatchInputs:
    """Rank every case of the batch against the whole pool and lay the fits out as a matrix.

    ``matcher`` is a :class:`~expertmatch.matching.matcher.Matcher` and ``cases`` are
    :class:`~expertmatch.matching.documents.CaseDoc`. What an expert can still take is their
    capacity minus their active cases (no recorded capacity: as many as the batch could ask).
    Excluded experts (conflicts, availability, full) get NaN, with their exclusions kept.
    """
    docs = matcher.experts()
    col = {e.id: j for j, e in enumerate(docs)}
    unlimited = max(1, slots * len(cases))
    experts = [
        PlanExpert(
            e.id,
            unlimited if e.capacity is None else max(0, e.capacity - e.active_cases),
            e.firm,
            e.languages,
            e.jurisdictions,
        )
        for e in docs
    ]
    fits = np.full((len(cases), len(docs)), np.nan, dtype=np.float32)
    exclusions: dict[str, list[Exclusion]] = {}
    plan_cases = []
    for i, case in enumerate(cases):
        result = matcher.rank(case, top_k=0, today=today)
        for ranked in result.ranking:
            fits[i, col[ranked.expert_id]] = ranked.score
        exclusions[case.id] = list(result.excluded)
        plan_cases.append(
            PlanCase(
                case.id,
                slots=slots,
                languages=tuple(case.languages) if cover_languages else (),
                forums=tuple(case.jurisdictions) if cover_forums else (),
            )
        )
    return BatchInputs(plan_cases, experts, fits, exclusions)
