"""Ranking quality with the real embedding model on the fixture pool.

Slow to load (the model), so marked ``model``; the model is loaded once per session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from expertmatch.matching import Matcher, case_from_dict
from expertmatch.matching.documents import ConflictDecl, Party

pytestmark = pytest.mark.model

TODAY = dt.date(2026, 11, 30)
GERMAN_SEP = {"E01", "E02", "E03", "E12", "E14", "E16"}


def test_munich_lte_injunction_ranks_german_sep_practitioners_first(
    real_matcher: Matcher, cases
) -> None:
    result = real_matcher.rank(cases["C01"], top_k=5, explain=True, today=TODAY)
    top = [r.expert_id for r in result.ranking]
    assert set(top[:3]) <= GERMAN_SEP, top
    assert top[0] == "E01", top  # Munich LTE injunction matter, UPC, telecom
    best = result.ranking[0].explanation["best_text"]
    assert best["key"] in {"profile", "matter:1"} and best["cosine"] > 0.5  # 1: the Munich matter
    assert not result.degraded


def test_chinese_case_finds_german_sep_counsel(real_matcher: Matcher, cases) -> None:
    result = real_matcher.rank(cases["C03"], top_k=5, today=TODAY)
    top = [r.expert_id for r in result.ranking]
    assert "E03" not in top  # conflicted with Huawei via the alias table
    assert len(set(top[:4]) & GERMAN_SEP) >= 2, top


def test_schedule_a_case_ranks_the_illinois_specialist_first(real_matcher: Matcher, cases) -> None:
    result = real_matcher.rank(cases["C02"], top_k=3, today=TODAY)
    assert result.ranking[0].expert_id == "E05"


@pytest.mark.parametrize(
    "counterparty",
    [
        "Nordvik Telecom Oy",
        "NORDVIK TELECOM OY",
        "Nordvik Telecom",
        "Nordvik Telecom Oy.",
        "nordvik  telecom, oy",
        "诺德维克电信",
        "Nordvik Group AB",
        {"name_en": "Nordvik Telecom Oyj", "name_zh": "诺德维克电信"},
    ],
)
def test_conflicted_expert_never_appears(real_matcher: Matcher, cases, counterparty) -> None:
    data = {
        "id": "CX",
        "title": cases["C01"].title,
        "description": cases["C01"].description,
        "dispute_type": "sep_frand",
        "jurisdictions": ["DE"],
        "counterparties": [counterparty],
    }
    result = real_matcher.rank(case_from_dict(data), top_k=0, today=TODAY)
    assert "E02" not in {r.expert_id for r in result.ranking}
    assert {e.expert_id: e.reason_code for e in result.excluded}["E02"] == "conflict_counterparty"
    # Expired conflict (E15, until 2020) and a shared word (E16, "Telecom Italia") do not exclude.
    assert {"E15", "E16"} <= {r.expert_id for r in result.ranking}


def _with_conflict(real_encoder, pool, resolver, expert_id: str, entity: str) -> Matcher:
    """A matcher over the fixture pool where ``expert_id`` declares a conflict with ``entity``."""
    experts = []
    for expert in pool:
        if expert.id == expert_id:
            expert = replace(expert, conflicts=(ConflictDecl(entity, "client"),))
        experts.append(expert)
    matcher = Matcher(real_encoder, resolver=resolver)
    matcher.index_experts(experts)
    return matcher


@pytest.mark.parametrize(
    ("declared", "counterparty"),
    [
        ("华为技术有限公司", {"name_en": "Huawei Technologies Co., Ltd."}),
        ("Huawei Technologies Co., Ltd.", {"name_zh": "华为技术有限公司"}),
        ("華為技術有限公司", {"name_en": "Huawei Technologies Co., Ltd."}),  # Traditional
        ("Huawei Technologies Co., Ltd.", {"name_zh": "華為技術有限公司"}),
    ],
)
def test_conflict_holds_across_scripts_in_both_directions(
    real_encoder, pool, resolver, cases, declared, counterparty
) -> None:
    matcher = _with_conflict(real_encoder, pool, resolver, "E01", declared)
    case = replace(cases["C01"], counterparties=(Party(**counterparty),))
    result = matcher.rank(case, top_k=0, today=TODAY)
    assert "E01" not in {r.expert_id for r in result.ranking}
    assert {e.expert_id: e.reason_code for e in result.excluded}["E01"] == "conflict_counterparty"


def test_traditional_chinese_intake_ranks_like_the_simplified_one(
    real_matcher: Matcher, cases
) -> None:
    simplified = cases["C03"]
    traditional = replace(
        simplified,
        title="德國慕尼黑標準必要專利禁令訴訟",
        description="華為技術有限公司在慕尼黑地區法院起訴我司侵犯其LTE標準必要專利，請求禁令。"
        "我們需要熟悉FRAND抗辯的德國律師。",
    )
    ranked = [
        [r.expert_id for r in real_matcher.rank(c, top_k=5, today=TODAY).ranking]
        for c in (simplified, traditional)
    ]
    assert ranked[0] == ranked[1]
