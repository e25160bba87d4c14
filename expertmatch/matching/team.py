"""Team assembly for one complex case: cover the roles it needs with the best-fitting experts.

A standard-essential-patent dispute with suits in Germany, at the UPC and in China needs counsel
per forum, a technical expert and a FRAND economist; an ITC Section 337 investigation needs US
counsel and a technical expert. The coordinator lists the requirements (:class:`TeamRole`: a
role, optionally a jurisdiction and a language, and how many); the solver returns the team that
covers as many required seats as possible and, among those teams, has the highest total fit —
an exact integer programme (scipy's HiGHS) with these rules:

* an expert fills at most one seat, and only one whose role, jurisdiction and language they have;
* hard exclusions (conflicts, availability, full capacity) keep an expert out entirely;
* an optional fee budget bounds the sum of the members' daily rates (an expert without a rate
  counts as 0 and is listed in ``TeamPlan.unpriced``);
* an optional firm limit bounds the members from one firm.

Every seat left empty is named with the reason: no expert of that role at all, none admitted in
the jurisdiction, none speaking the language, all such experts excluded (with the rules), or the
ones there are were needed for other seats, the budget or the firm limit.

Pure library: numpy and scipy only.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from expertmatch.matching.errors import InputError, MatchingError
from expertmatch.matching.rules import Exclusion

__all__ = [
    "ROLE_ALIASES",
    "TeamCandidate",
    "TeamMember",
    "TeamPlan",
    "TeamRole",
    "UncoveredRole",
    "plan_team",
    "role_from_dict",
    "team_inputs",
]

# Requirement roles a coordinator writes, and the expert role types that fill them.
ROLE_ALIASES: dict[str, tuple[str, ...]] = {
    "counsel": ("lawyer", "patent_attorney"),
    "lawyer": ("lawyer",),
    "litigator": ("lawyer",),
    "patent_attorney": ("patent_attorney",),
    "technical_expert": ("technical_expert",),
    "economist": ("economist",),
    "frand_economist": ("economist",),
    "mediator": ("mediator",),
    "arbitrator": ("mediator",),
}


def _role_key(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").split())


@dataclass(frozen=True)
class TeamRole:
    """One requirement of the team: ``count`` experts of ``role`` (optionally admitted in
    ``jurisdiction`` and speaking ``language``)."""

    role: str
    jurisdiction: str | None = None
    language: str | None = None
    count: int = 1

    @property
    def role_types(self) -> tuple[str, ...]:
        return ROLE_ALIASES[_role_key(self.role)]

    @property
    def label(self) -> str:
        parts = [self.role]
        if self.jurisdiction:
            parts.append(self.jurisdiction)
        if self.language:
            parts.append(self.language)
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "count": self.count}
        if self.jurisdiction:
            out["jurisdiction"] = self.jurisdiction
        if self.language:
            out["language"] = self.language
        return out


def role_from_dict(d: Any) -> TeamRole:
    """Parse one requirement ``{"role", "jurisdiction", "language", "count"}`` (all but role
    optional); raises :class:`InputError` naming the field."""
    if not isinstance(d, Mapping):
        raise InputError("a requirement must be an object with at least 'role'")
    unknown = sorted(set(d) - {"role", "jurisdiction", "language", "count"})
    if unknown:
        raise InputError(f"unknown field '{unknown[0]}'")
    role = d.get("role")
    if not isinstance(role, str) or not role.strip():
        raise InputError("field 'role' must be a non-empty string")
    if _role_key(role) not in ROLE_ALIASES:
        known = ", ".join(sorted(ROLE_ALIASES))
        raise InputError(f"unknown role {role!r}; known roles: {known}")
    out: dict[str, Any] = {}
    for name, case in (("jurisdiction", str.upper), ("language", str.lower)):
        value = d.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"field '{name}' must be a non-empty string")
        out[name] = case(value.strip())
    count = d.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 20:
        raise InputError("field 'count' must be a whole number from 1 to 20")
    return TeamRole(role=role.strip(), count=count, **out)


@dataclass(frozen=True)
class TeamCandidate:
    """An expert as team assembly sees them, with their fit for the case."""

    expert_id: str
    fit: float
    role_type: str | None = None
    jurisdictions: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    firm: str | None = None
    daily_rate: float | None = None

    def fills(self, role: TeamRole) -> bool:
        return (
            self.role_type in role.role_types
            and (role.jurisdiction is None or role.jurisdiction in self.jurisdictions)
            and (role.language is None or role.language in self.languages)
        )


@dataclass(frozen=True)
class TeamMember:
    expert_id: str
    role: TeamRole
    fit: float

    def to_dict(self) -> dict[str, Any]:
        return {"expert_id": self.expert_id, "role": self.role.label, "fit": round(self.fit, 4)}


UNCOVERED_TEXTS: dict[str, str] = {
    "no_role": "No expert in the pool is a {role}.",
    "no_jurisdiction": "No {role} in the pool is admitted in {jurisdiction}.",
    "no_language": "No {role} admitted there speaks {language}.",
    "all_excluded": "Every {role} who fits is excluded: {excluded_text}.",
    "taken": "The experts who fit ({names}) fill other seats of the team.",
    "budget": "The experts who fit ({names}) would exceed the budget of {budget:g} a day.",
    "firm_limit": "The experts who fit ({names}) would exceed the firm limit of {firm_limit}.",
}


@dataclass(frozen=True)
class UncoveredRole:
    """A requirement the team could not fill, ``missing`` of its seats, and why."""

    role: TeamRole
    missing: int
    code: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def text(self) -> str:
        params = dict(self.params)
        params.setdefault("role", self.role.role)
        params.setdefault("jurisdiction", self.role.jurisdiction or "")
        params.setdefault("language", self.role.language or "")
        params["names"] = ", ".join(params.get("experts", []))
        excluded = params.get("excluded") or {}
        params["excluded_text"] = ", ".join(f"{n} ({c})" for c, n in sorted(excluded.items()))
        return UNCOVERED_TEXTS[self.code].format(**params)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requirement": self.role.to_dict(),
            "missing": self.missing,
            "code": self.code,
            "reason": self.text,
            **{k: v for k, v in self.params.items() if k != "role"},
        }


@dataclass
class TeamPlan:
    members: list[TeamMember]
    uncovered: list[UncoveredRole]
    cost: float
    unpriced: list[str]
    seconds: float = 0.0

    @property
    def total_fit(self) -> float:
        return float(sum(m.fit for m in self.members))

    def to_dict(self) -> dict[str, Any]:
        return {
            "team": [m.to_dict() for m in self.members],
            "uncovered": [u.to_dict() for u in self.uncovered],
            "total_fit": round(self.total_fit, 4),
            "daily_cost": round(self.cost, 2),
            "unpriced": self.unpriced,
        }


def plan_team(
    candidates: Sequence[TeamCandidate],
    roles: Sequence[TeamRole],
    *,
    budget: float | None = None,
    firm_limit: int | None = None,
    exclusions: Sequence[Exclusion] = (),
    excluded_docs: Sequence[TeamCandidate] = (),
) -> TeamPlan:
    """The best team for the case: most seats covered, then the highest total fit.

    ``candidates`` are the eligible experts (hard rules already applied) with their fit;
    ``excluded_docs`` and ``exclusions`` describe the experts the rules kept out, so that an
    empty seat can say "every counsel admitted in Germany is conflicted".
    """
    started = time.perf_counter()
    if not roles:
        raise InputError("list at least one role the team needs")
    if budget is not None and (not np.isfinite(budget) or budget < 0):
        raise InputError("the budget must be a positive number")
    if firm_limit is not None and firm_limit < 1:
        raise InputError("the firm limit must be at least 1")
    ids = [c.expert_id for c in candidates]
    if len(set(ids)) != len(ids):
        raise InputError("an expert is listed twice among the candidates")
    seats = sum(role.count for role in roles)
    pairs = [
        (r, j)
        for r, role in enumerate(roles)
        for j in _undominated(candidates, role, seats, firm_limit is not None)
    ]
    chosen: list[tuple[int, int]] = []
    if pairs:
        chosen = _solve(candidates, roles, pairs, seats, budget, firm_limit)
    members = sorted(
        (
            TeamMember(candidates[j].expert_id, roles[r], float(candidates[j].fit))
            for r, j in chosen
        ),
        key=lambda m: (roles.index(m.role), -m.fit, m.expert_id),
    )
    filled = Counter(r for r, _ in chosen)
    used = {j for _, j in chosen}
    uncovered = [
        _why(
            r,
            roles[r],
            roles[r].count - filled[r],
            candidates,
            used,
            excluded_docs,
            exclusions,
            budget,
            firm_limit,
        )
        for r in range(len(roles))
        if filled[r] < roles[r].count
    ]
    cost = float(sum(candidates[j].daily_rate or 0.0 for j in used))
    unpriced = sorted(candidates[j].expert_id for j in used if candidates[j].daily_rate is None)
    return TeamPlan(members, uncovered, cost, unpriced, time.perf_counter() - started)


def _undominated(
    candidates: Sequence[TeamCandidate], role: TeamRole, seats: int, firms_matter: bool
) -> list[int]:
    """The candidates for ``role`` that some optimal team may need.

    A candidate k is dropped when ``seats`` others for the same role dominate them (fit at least
    as high, daily rate at most as high) and — under a firm limit — those dominators come from
    ``seats`` different firms (an expert without a firm counts as a firm of their own). The rest
    of a team holds at most ``seats - 1`` members, so at most ``seats - 1`` of those firms are
    represented in it; a dominator from a firm that is not can take k's seat at no loss of fit,
    budget or firm room. Exact, and it keeps the integer programme small whatever the pool.
    """
    types, juris, lang = set(role.role_types), role.jurisdiction, role.language
    fitting = [
        j
        for j, c in enumerate(candidates)
        if c.role_type in types
        and (juris is None or juris in c.jurisdictions)
        and (lang is None or lang in c.languages)
    ]
    fitting.sort(key=lambda j: (-candidates[j].fit, candidates[j].expert_id))
    unit_rate: dict[str, float] = {}  # per firm (or expert): the lowest rate seen so far
    rates: list[float] = []  # those lowest rates, sorted
    keep = []
    for j in fitting:
        c = candidates[j]
        rate = c.daily_rate or 0.0
        if bisect.bisect_right(rates, rate) < seats:
            keep.append(j)
        firm = (c.firm or "").strip().casefold()
        unit = f"firm:{firm}" if firms_matter and firm else f"expert:{c.expert_id}"
        old = unit_rate.get(unit)
        if old is None or rate < old:
            if old is not None:
                del rates[bisect.bisect_left(rates, old)]
            bisect.insort(rates, rate)
            unit_rate[unit] = rate
    return keep


def _solve(
    candidates: Sequence[TeamCandidate],
    roles: Sequence[TeamRole],
    pairs: list[tuple[int, int]],
    seats: int,
    budget: float | None,
    firm_limit: int | None,
) -> list[tuple[int, int]]:
    n = len(pairs)
    # Covering a seat is worth more than any fit the whole team could add: seats come first.
    big = float(seats) + 1.0
    c = -np.array([big + float(candidates[j].fit) for _, j in pairs])
    rows, cols, vals, upper = [], [], [], []

    def add(members: list[int], weights: list[float] | None, bound: float) -> None:
        r = len(upper)
        rows.extend([r] * len(members))
        cols.extend(members)
        vals.extend(weights if weights is not None else [1.0] * len(members))
        upper.append(bound)

    by_role: dict[int, list[int]] = {}
    by_expert: dict[int, list[int]] = {}
    by_firm: dict[str, list[int]] = {}
    for k, (r, j) in enumerate(pairs):
        by_role.setdefault(r, []).append(k)
        by_expert.setdefault(j, []).append(k)
        firm = (candidates[j].firm or "").strip().casefold()
        if firm:
            by_firm.setdefault(firm, []).append(k)
    for r, ks in by_role.items():
        add(ks, None, float(roles[r].count))
    for ks in by_expert.values():
        if len(ks) > 1:
            add(ks, None, 1.0)
    if firm_limit is not None:
        for ks in by_firm.values():
            add(ks, None, float(firm_limit))
    if budget is not None:
        add(list(range(n)), [float(candidates[j].daily_rate or 0.0) for _, j in pairs], budget)
    if not upper:
        add(list(range(n)), None, float(n))
    a = sparse.csr_matrix((vals, (rows, cols)), shape=(len(upper), n))
    res = milp(
        c,
        constraints=LinearConstraint(a, -np.inf, np.array(upper)),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 1e-9, "disp": False},
    )
    if res.x is None:
        raise MatchingError(f"the solver found no team ({res.message})")
    return [pairs[k] for k in np.flatnonzero(res.x > 0.5).tolist()]


def _why(
    r: int,
    role: TeamRole,
    missing: int,
    candidates: Sequence[TeamCandidate],
    used: set[int],
    excluded_docs: Sequence[TeamCandidate],
    exclusions: Sequence[Exclusion],
    budget: float | None,
    firm_limit: int | None,
) -> UncoveredRole:
    everyone = list(candidates) + list(excluded_docs)
    of_role = [c for c in everyone if c.role_type in role.role_types]
    if not of_role:
        return UncoveredRole(role, missing, "no_role")
    if role.jurisdiction and not any(role.jurisdiction in c.jurisdictions for c in of_role):
        return UncoveredRole(role, missing, "no_jurisdiction")
    if not any(c.fills(role) for c in of_role):
        return UncoveredRole(role, missing, "no_language")
    fitting = [j for j, c in enumerate(candidates) if c.fills(role)]
    if not fitting:
        reasons = {e.expert_id: e.reason_code for e in exclusions}
        kept_out = [c.expert_id for c in excluded_docs if c.fills(role)]
        counts = Counter(reasons.get(e, "excluded") for e in kept_out)
        return UncoveredRole(
            role, missing, "all_excluded", {"excluded": dict(counts), "experts": kept_out[:5]}
        )
    free = [j for j in fitting if j not in used]
    names = [candidates[j].expert_id for j in (free or fitting)][:5]
    if not free:
        return UncoveredRole(role, missing, "taken", {"experts": names})
    firms = Counter((candidates[j].firm or "").strip().casefold() for j in used)
    blocked_by_firm = firm_limit is not None and all(
        (key := (candidates[j].firm or "").strip().casefold()) and firms[key] >= firm_limit
        for j in free
    )
    if blocked_by_firm:
        return UncoveredRole(
            role, missing, "firm_limit", {"experts": names, "firm_limit": firm_limit}
        )
    return UncoveredRole(role, missing, "budget", {"experts": names, "budget": budget or 0.0})


def team_inputs(
    matcher: Any, case: Any, *, today: Any = None
) -> tuple[list[TeamCandidate], list[TeamCandidate], list[Exclusion]]:
    """The eligible candidates of one case with their fits, and the excluded ones with why.

    ``matcher`` is a :class:`~expertmatch.matching.matcher.Matcher`, ``case`` a
    :class:`~expertmatch.matching.documents.CaseDoc`.
    """
    result = matcher.rank(case, top_k=0, today=today)

    def candidate(expert_id: str, fit: float) -> TeamCandidate:
        e = matcher.expert(expert_id)
        return TeamCandidate(
            expert_id, fit, e.role_type, e.jurisdictions, e.languages, e.firm, e.daily_rate
        )

    eligible = [candidate(r.expert_id, float(r.score)) for r in result.ranking]
    excluded = [candidate(x.expert_id, 0.0) for x in result.excluded]
    return eligible, excluded, list(result.excluded)
