"""Ranking quality on the demo data (``data/demo``), when its labels exist.

This is the evaluation ``expertmatch evaluate`` prints, run as a test with loose floors: it
guards against regressions, not for the exact figures (those are in ``weights.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from expertmatch.matching import (
    CommonParties,
    EntityResolver,
    Glossary,
    Matcher,
    VectorCache,
    case_from_dict,
    expert_from_dict,
)
from expertmatch.matching.evaluation import evaluate, label_from_dict, labels_by_case
from expertmatch.matching.jsonl import read_jsonl

pytestmark = pytest.mark.model

DATA = Path(__file__).resolve().parents[2] / "data"
DEMO = DATA / "demo"


@pytest.fixture(scope="module")
def demo(real_encoder, request: pytest.FixtureRequest):
    """``(matcher over the demo pool, demo cases, labels, anchor date)``."""
    files = [DEMO / n for n in ("experts.jsonl", "cases.jsonl", "labels.jsonl")]
    if not all(f.exists() for f in files):
        pytest.skip("demo data with labels not present")
    experts = read_jsonl(files[0], expert_from_dict)
    cases = read_jsonl(files[1], case_from_dict)
    labels = labels_by_case(read_jsonl(files[2], label_from_dict))
    resolver = (
        EntityResolver.from_file(DATA / "entities.jsonl")
        if (DATA / "entities.jsonl").exists()
        else EntityResolver()
    )
    matcher = Matcher(
        real_encoder,
        resolver=resolver,
        common_parties=CommonParties.from_file(DATA / "common_parties.txt"),
        glossary=Glossary.from_file(DATA / "glossary.tsv"),
    )
    # Vectors persist in pytest's cache folder between runs (keyed by model and text hash), so
    # only the first run after a data change pays for encoding the demo pool.
    cache_file = None
    vectors = None
    if getattr(request.config, "cache", None) is not None:
        cache_file = request.config.cache.mkdir("expertmatch-vectors") / "demo.npz"
        vectors = VectorCache.load(cache_file, real_encoder.name, real_encoder.dim)
    matcher.index_experts(experts, cache=vectors, progress=False)
    if cache_file is not None and vectors is not None:
        vectors.save(cache_file)
    anchor = json.loads((DEMO / "meta.json").read_text(encoding="utf-8"))["anchor_date"]
    return matcher, cases, labels, dt.date.fromisoformat(anchor)


@pytest.fixture(scope="module")
def demo_report(demo):
    matcher, cases, labels, today = demo
    return evaluate(matcher, cases, labels, today=today)


def test_no_conflicted_expert_is_ranked(demo_report) -> None:
    assert demo_report.overall["conflicted"] == 0


def test_quality_floors_in_both_languages(demo_report) -> None:
    assert demo_report.overall["ndcg@10"] >= 0.8
    for lang, metrics in demo_report.by_language.items():
        assert metrics["ndcg@10"] >= 0.7, lang
        assert metrics["mrr"] >= 0.8, lang


def test_chinese_cases_rank_as_well_as_english_ones(demo_report) -> None:
    """Issue #7's bar: zh nDCG@5 within 0.05 of en, and English no worse than before the
    calibration (0.859 with the previous default)."""
    en, zh = demo_report.by_language["en"], demo_report.by_language["zh"]
    assert abs(zh["ndcg@5"] - en["ndcg@5"]) <= 0.05, (zh["ndcg@5"], en["ndcg@5"])
    assert en["ndcg@5"] >= 0.85


def test_no_same_language_bias(demo_report) -> None:
    """The share of Chinese-written profiles in the top 5 of Chinese cases follows the labels
    (within 10 points), not the language (it was 42-64% against the labels' 27%)."""
    zh = demo_report.by_language["zh"]
    assert abs(zh["same_lang@5"] - zh["same_lang@5_labels"]) <= 0.10, zh


def _top(demo, data: dict, k: int) -> list[str]:
    matcher, _, _, today = demo
    return [r.expert_id for r in matcher.rank(case_from_dict(data), top_k=k, today=today).ranking]


def test_chinese_trade_secret_case_ranks_trade_secret_litigators_of_its_jurisdiction(demo):
    german = {
        "id": "TS-DE",
        "lang": "zh",
        "title": "德国子公司前销售工程师带走CAD图纸和客户名单",
        "description": "我司德国子公司的一名销售工程师离职前下载了全部CAD图纸和客户名单，随后加入"
        "斯图加特的竞争对手。我们希望依据德国《商业秘密保护法》申请临时禁令，并追究其侵犯商业秘密的"
        "责任。",
        "dispute_type": "trade_secret",
        "jurisdictions": ["DE"],
        "industry": "automotive",
    }
    # E048: the German trade-secret litigator (GeschGehG), written in English.
    assert _top(demo, german, 1) == ["E048"]
    korean = {
        "id": "TS-KR",
        "lang": "zh",
        "title": "韩国竞争对手指控我司工程师窃取商业秘密",
        "description": "一家韩国显示面板企业在首尔中央地方法院起诉我司及两名从其公司离职的工程师，"
        "主张侵犯商业秘密，并申请假处分禁止我司使用相关工艺。需要韩国商业秘密诉讼律师。",
        "dispute_type": "trade_secret",
        "jurisdictions": ["KR"],
        "industry": "semiconductors",
    }
    # E049 and E050: the two Korean trade-secret litigators (E050 also defends in China); the
    # third Korean practitioner with trade-secret work (E083, a patent attorney) may sit between.
    top = _top(demo, korean, 3)
    assert top[0] in {"E049", "E050"} and {"E049", "E050"} <= set(top), top
    matcher = demo[0]
    assert all("KR" in matcher.expert(e).jurisdictions for e in top), top
