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
def demo_report(real_encoder, request: pytest.FixtureRequest):
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
    return evaluate(matcher, cases, labels, today=dt.date.fromisoformat(anchor))


def test_no_conflicted_expert_is_ranked(demo_report) -> None:
    assert demo_report.overall["conflicted"] == 0


def test_quality_floors_in_both_languages(demo_report) -> None:
    assert demo_report.overall["ndcg@10"] >= 0.8
    for lang, metrics in demo_report.by_language.items():
        assert metrics["ndcg@10"] >= 0.7, lang
        assert metrics["mrr"] >= 0.8, lang
