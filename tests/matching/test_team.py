"""Team assembly: cover the roles of a complex case, name every seat that stays empty."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expertmatch.matching.errors import InputError
from expertmatch.matching.rules import Exclusion
from expertmatch.matching.team import TeamCandidate, TeamRole, plan_team, role_from_dict


def _c(expert_id, fit, role, juris=(), langs=("en",), firm=None, rate=None):  # type: ignore[no-untyped-def]
    return TeamCandidate(expert_id, fit, role, tuple(juris), tuple(langs), firm, rate)


SEP_ROLES = [
    TeamRole("counsel", jurisdiction="DE"),
    TeamRole("counsel", jurisdiction="UPC"),
    TeamRole("counsel", jurisdiction="CN", language="zh"),
    TeamRole("technical expert"),
    TeamRole("FRAND economist"),
]


def test_a_three_forum_sep_team_covers_each_forum() -> None:
    pool = [
        _c("DE1", 0.9, "lawyer", ["DE", "UPC"]),
        _c("DE2", 0.7, "lawyer", ["DE"]),
        _c("CN1", 0.8, "lawyer", ["CN"], ["zh", "en"]),
        _c("T1", 0.6, "technical_expert"),
        _c("EC1", 0.5, "economist"),
    ]
    plan = plan_team(pool, SEP_ROLES)
    seats = {m.role.label: m.expert_id for m in plan.members}
    assert plan.uncovered == []
    # DE1 is the best for both DE and UPC; one person takes one seat, so DE2 covers DE.
    assert seats == {
        "counsel, DE": "DE2",
        "counsel, UPC": "DE1",
        "counsel, CN, zh": "CN1",
        "technical expert": "T1",
        "FRAND economist": "EC1",
    }


def test_a_forum_nobody_covers_is_named() -> None:
    pool = [
        _c("DE1", 0.9, "lawyer", ["DE", "UPC"]),
        _c("DE2", 0.7, "lawyer", ["DE"]),
        _c("CN1", 0.8, "lawyer", ["CN"], ["en"]),  # admitted in China but no Chinese
        _c("T1", 0.6, "technical_expert"),
    ]
    plan = plan_team(pool, SEP_ROLES)
    reasons = {u.role.label: (u.code, u.text) for u in plan.uncovered}
    assert reasons["counsel, CN, zh"][0] == "no_language"
    assert reasons["FRAND economist"][0] == "no_role"
    assert "economist" in reasons["FRAND economist"][1].lower()
    assert len(plan.members) == 3


def test_excluded_experts_stay_out_and_the_seat_says_which_rule() -> None:
    pool = [_c("DE1", 0.9, "lawyer", ["DE"])]
    kept_out = [_c("UPC1", 0.95, "lawyer", ["UPC"])]
    plan = plan_team(
        pool,
        [TeamRole("counsel", jurisdiction="DE"), TeamRole("counsel", jurisdiction="UPC")],
        excluded_docs=kept_out,
        exclusions=[Exclusion("UPC1", "conflict_counterparty")],
    )
    assert [m.expert_id for m in plan.members] == ["DE1"]
    (gap,) = plan.uncovered
    assert gap.code == "all_excluded"
    assert gap.params["excluded"] == {"conflict_counterparty": 1}


def test_budget_and_firm_limit_bound_the_team() -> None:
    pool = [
        _c("A", 0.9, "lawyer", ["DE"], firm="Big", rate=20000),
        _c("B", 0.8, "lawyer", ["DE"], firm="Big", rate=15000),
        _c("C", 0.5, "lawyer", ["DE"], firm="Small", rate=5000),
    ]
    roles = [TeamRole("counsel", jurisdiction="DE", count=2)]
    assert {m.expert_id for m in plan_team(pool, roles).members} == {"A", "B"}
    limited = plan_team(pool, roles, firm_limit=1)
    assert {m.expert_id for m in limited.members} == {"A", "C"}
    cheap = plan_team(pool, roles, budget=21000)
    assert {m.expert_id for m in cheap.members} == {"B", "C"}
    assert cheap.cost == pytest.approx(20000)
    tight = plan_team(pool, roles, budget=9000)
    assert [m.expert_id for m in tight.members] == ["C"]
    assert tight.uncovered[0].code == "budget" and tight.uncovered[0].missing == 1


def test_covering_seats_comes_before_fit() -> None:
    # Giving the star to the first seat would leave the second empty.
    pool = [_c("S", 0.99, "lawyer", ["DE", "US"]), _c("U", 0.2, "lawyer", ["US"])]
    plan = plan_team(
        pool, [TeamRole("counsel", jurisdiction="US"), TeamRole("counsel", jurisdiction="DE")]
    )
    assert {m.role.jurisdiction: m.expert_id for m in plan.members} == {"US": "U", "DE": "S"}


def test_requirements_are_parsed_strictly() -> None:
    assert role_from_dict({"role": "counsel", "jurisdiction": "de", "count": 2}) == TeamRole(
        "counsel", jurisdiction="DE", count=2
    )
    for bad, message in (
        ({"role": "wizard"}, "unknown role"),
        ({"role": "counsel", "count": 0}, "count"),
        ({"role": "counsel", "count": True}, "count"),
        ({"role": "counsel", "forum": "DE"}, "unknown field"),
        ({}, "role"),
        ("counsel", "object"),
    ):
        with pytest.raises(InputError, match=message):
            role_from_dict(bad)
    with pytest.raises(InputError, match="at least one role"):
        plan_team([], [])


def _brute_force(pool, roles, budget, firm_limit):  # type: ignore[no-untyped-def]
    import itertools

    best = (-1, -1.0)
    for choice in itertools.product(range(len(roles) + 1), repeat=len(pool)):
        filled = [0] * len(roles)
        cost, fit, firms = 0.0, 0.0, {}
        ok = True
        for c, r in zip(pool, choice, strict=True):
            if r == len(roles):
                continue
            if not c.fills(roles[r]):
                ok = False
                break
            filled[r] += 1
            cost += c.daily_rate or 0.0
            fit += c.fit
            if c.firm:
                firms[c.firm] = firms.get(c.firm, 0) + 1
        if not ok or any(f > role.count for f, role in zip(filled, roles, strict=True)):
            continue
        if budget is not None and cost > budget + 1e-9:
            continue
        if firm_limit is not None and any(n > firm_limit for n in firms.values()):
            continue
        best = max(best, (sum(filled), round(fit, 6)))
    return best


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 100),
            st.sampled_from(["lawyer", "economist"]),
            st.sampled_from([None, "F1", "F2"]),
            st.sampled_from([None, 10.0, 20.0, 30.0]),
            st.booleans(),
        ),
        min_size=1,
        max_size=7,
    ),
    st.integers(1, 3),
    st.sampled_from([None, 25.0, 45.0]),
    st.sampled_from([None, 1, 2]),
)
def test_the_team_is_optimal_including_the_pruning(raw, count, budget, firm_limit) -> None:  # type: ignore[no-untyped-def]
    pool = [
        _c(f"X{i}", fit / 100, role, ["DE"] if de else ["US"], firm=firm, rate=rate)
        for i, (fit, role, firm, rate, de) in enumerate(raw)
    ]
    roles = [TeamRole("counsel", jurisdiction="DE", count=count), TeamRole("economist")]
    plan = plan_team(pool, roles, budget=budget, firm_limit=firm_limit)
    seats, fit = _brute_force(pool, roles, budget, firm_limit)
    assert len(plan.members) == seats
    assert plan.total_fit == pytest.approx(fit, abs=1e-6)
    missing = sum(u.missing for u in plan.uncovered)
    assert missing == sum(r.count for r in roles) - seats
