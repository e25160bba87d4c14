"""Ranking mechanics with the hashing encoder: order, ties, determinism, updates, degraded mode."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np

from expertmatch.matching import (
    CaseDoc,
    ExpertDoc,
    HashingEncoder,
    Matcher,
    case_from_dict,
    expert_from_dict,
    texts_for_expert,
)

TODAY = dt.date(2026, 11, 30)  # the fixture pool's reference date


def test_ranking_is_best_first_and_explains(hashing_matcher: Matcher, cases) -> None:
    result = hashing_matcher.rank(cases["C02"], top_k=5, explain=True, today=TODAY)
    scores = [r.score for r in result.ranking]
    assert scores == sorted(scores, reverse=True)
    assert result.ranking[0].expert_id == "E05"  # the Schedule A specialist
    explanation = result.ranking[0].explanation
    assert explanation is not None
    assert explanation["best_text"]["key"] in ("profile", "matter:1")
    assert explanation["matched"]["dispute_type"] == "ecommerce"
    assert "schedule_a" in explanation["shared_terms"]
    assert set(explanation["channels"]) == {"dense", "lexical", "structured"}


def test_identical_inputs_give_identical_output(pool, resolver, cases) -> None:
    outputs = []
    for order in (pool, list(reversed(pool))):
        matcher = Matcher(HashingEncoder(256), resolver=resolver)
        matcher.index_experts(order)
        outputs.append(
            [
                json.dumps(matcher.rank(c, top_k=0, explain=True, today=TODAY).to_dict())
                for c in cases.values()
            ]
        )
    assert outputs[0] == outputs[1]


def test_equal_scores_are_ordered_by_id() -> None:
    matcher = Matcher(HashingEncoder(64))
    twins = [
        expert_from_dict({"id": i, "bio": "Trademark opposition lawyer in Brazil."})
        for i in ("E9", "E10", "E1", "E2")
    ]
    matcher.index_experts(twins)
    result = matcher.rank(case_from_dict({"id": "C", "title": "Trademark in Brazil"}), top_k=0)
    assert [r.expert_id for r in result.ranking] == ["E1", "E10", "E2", "E9"]
    assert len({r.score for r in result.ranking}) == 1
    top2 = matcher.rank(case_from_dict({"id": "C", "title": "Trademark in Brazil"}), top_k=2)
    assert [r.expert_id for r in top2.ranking] == ["E1", "E10"]


def test_upsert_and_remove_change_the_ranking(hashing_matcher: Matcher, cases) -> None:
    case = cases["C02"]
    before = [r.expert_id for r in hashing_matcher.rank(case, top_k=0, today=TODAY).ranking]
    assert before[0] == "E05"
    hashing_matcher.remove("E05")
    after = [r.expert_id for r in hashing_matcher.rank(case, top_k=0, today=TODAY).ranking]
    assert "E05" not in after and len(after) == len(before) - 1
    newcomer = expert_from_dict(
        {
            "id": "E99",
            "bio": "Schedule A defence in N.D. Ill.: dissolving TROs and asset freezes for "
            "Amazon sellers; frozen funds released.",
            "dispute_types": ["ecommerce"],
            "jurisdictions": ["US"],
        }
    )
    encoder = hashing_matcher.encoder
    assert encoder is not None
    texts = texts_for_expert(newcomer)
    vectors = dict(
        zip([t.key for t in texts], encoder.encode_documents([t.text for t in texts]), strict=True)
    )
    hashing_matcher.upsert(newcomer, vectors)
    ranked = [r.expert_id for r in hashing_matcher.rank(case, top_k=3, today=TODAY).ranking]
    assert ranked[0] == "E99"


def test_top_k_zero_returns_every_eligible_expert(hashing_matcher: Matcher, cases) -> None:
    result = hashing_matcher.rank(cases["C01"], top_k=0, today=TODAY)
    assert len(result.ranking) + len(result.excluded) == len(hashing_matcher)
    assert not {r.expert_id for r in result.ranking} & {e.expert_id for e in result.excluded}


def test_degraded_mode_without_vectors(pool: list[ExpertDoc], resolver, cases) -> None:
    matcher = Matcher(None, resolver=resolver)
    matcher.index_experts(pool)
    result = matcher.rank(cases["C02"], top_k=3, explain=True, today=TODAY)
    assert result.degraded and result.to_dict()["degraded"] is True
    assert result.ranking[0].expert_id == "E05"
    assert result.ranking[0].channels["dense"] is None
    assert result.ranking[0].explanation["best_text"]["key"]


def test_query_vector_from_the_caller(hashing_matcher: Matcher, cases) -> None:
    case: CaseDoc = cases["C02"]
    q = hashing_matcher.encode_case(case)
    assert q is not None and np.isclose(np.linalg.norm(q), 1.0)
    a = hashing_matcher.rank(case, query_vector=q, today=TODAY).to_dict()
    b = hashing_matcher.rank(case, today=TODAY).to_dict()
    assert a == b


def test_missing_fields_are_neutral() -> None:
    matcher = Matcher(HashingEncoder(64))
    matcher.index_experts(
        [
            expert_from_dict({"id": "A", "bio": "Patent lawyer.", "jurisdictions": ["DE"]}),
            expert_from_dict({"id": "B", "bio": "Patent lawyer.", "jurisdictions": ["FR"]}),
            expert_from_dict({"id": "C", "bio": "Patent lawyer."}),
        ]
    )
    scores = matcher.score_case(
        case_from_dict({"id": "X", "title": "Patent", "jurisdictions": ["DE"]})
    )
    s = dict(zip(scores.slot_ids, scores.structured, strict=True))
    assert s["A"] > s["C"] > s["B"]  # the unknown sits between a match and a mismatch
    flat = matcher.score_case(case_from_dict({"id": "Y", "title": "Patent"}))
    assert len(set(flat.structured.tolist())) == 1  # nothing informs it: no difference
