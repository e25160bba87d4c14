"""Training the fit model (:mod:`expertmatch.matching.fit`): ``expertmatch train``.

Stage 1, the gold standard (text channels): for every rated (rater, paper) pair of the ten
datasets the text features are computed by the same :meth:`Matcher.score_case` that ranks, and
a pairwise logistic regression (pairs of papers one rater rated differently, weighted by the
rating gap) with non-negative weights says how the features of one encoder combine. Two-fold
by raters: weights fitted on one half of the raters are scored on the other half and the other
way round (the ten datasets re-sample the same 58 raters, so splitting by dataset would leak).
The main encoder's weights serve English pairs, the multilingual encoder's weights (fitted on
the same English gold texts, the only human ratings we have) pairs involving Chinese.

Stage 2, the demo labels (structured evidence, language pair, calibration): a logistic
regression of "good fit" (relevance >= 2) on the two text scores, the structured features and
the language-pair indicators, non-negative except the language pair and the intercept,
cross-validated with cases grouped (:class:`sklearn.model_selection.GroupKFold`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from expertmatch.matching.documents import CaseDoc, ExpertDoc, case_from_dict, expert_from_dict
from expertmatch.matching.evaluation import ndcg
from expertmatch.matching.fit import (
    FEATURES,
    FREE_FEATURES,
    PAIR_FEATURES,
    STRUCTURED_FEATURES,
    TEXT_FEATURES,
    FitModel,
    MonotoneLogisticRegression,
)
from expertmatch.matching.goldstandard import (
    iter_datasets,
    pairwise_loss,
    rater_halves,
    read_ratings,
)
from expertmatch.matching.matcher import CaseScores, Matcher
from expertmatch.matching.vectors import VectorCache

__all__ = ["GoldRows", "collect_gold", "demo_scores", "train"]

GOLD_DAY = dt.date(2026, 1, 1)  # gold raters have no availability: any fixed day will do
GOOD = 2


@dataclass
class GoldRows:
    """Text features of every rated (rater, paper) pair, for one encoder."""

    dataset: list[str]
    rater: list[str]
    paper: list[str]
    rating: np.ndarray
    X: np.ndarray  # (n, len(TEXT_FEATURES))

    def groups(self) -> list[str]:
        return [f"{d}/{r}" for d, r in zip(self.dataset, self.rater, strict=True)]

    def losses(self, scores: np.ndarray, raters: set[str] | None = None) -> dict[str, float]:
        """Gold loss per dataset of per-pair ``scores`` (only ``raters`` when given)."""
        out = {}
        for name in sorted(set(self.dataset), key=lambda n: int(n.rsplit("_", 1)[1])):
            preds: dict[str, dict[str, float]] = defaultdict(dict)
            refs: dict[str, dict[str, float]] = defaultdict(dict)
            for i, d in enumerate(self.dataset):
                if d != name or (raters is not None and self.rater[i] not in raters):
                    continue
                preds[self.rater[i]][self.paper[i]] = float(scores[i])
                refs[self.rater[i]][self.paper[i]] = float(self.rating[i])
            out[name] = pairwise_loss(preds, refs)
        return out


class GoldPairs:
    """Every pair of papers one rater rated differently (or alike), as index arrays, so the
    gold loss of a score vector is a few numpy operations (same result as ``pairwise_loss``)."""

    def __init__(self, rows: GoldRows) -> None:
        by_group: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, key in enumerate(zip(rows.dataset, rows.rater, strict=True)):
            by_group[key].append(i)
        a, b, ds, raters = [], [], [], []
        names = sorted(set(rows.dataset), key=lambda n: int(n.rsplit("_", 1)[1]))
        code = {n: k for k, n in enumerate(names)}
        for (d, r), idx in by_group.items():
            for pos, i in enumerate(idx):
                for j in idx[pos + 1 :]:
                    a.append(i)
                    b.append(j)
                    ds.append(code[d])
                    raters.append(r)
        self.names = names
        self.a, self.b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        self.dataset = np.asarray(ds, dtype=np.int64)
        self.rater = np.asarray(raters)
        self.true = rows.rating[self.a] - rows.rating[self.b]

    def losses(self, scores: np.ndarray, raters: set[str] | None = None) -> np.ndarray:
        """Loss per dataset (in ``names`` order), only pairs of ``raters`` when given."""
        pred = scores[self.a] - scores[self.b]
        prod = pred * self.true
        gap = np.abs(self.true)
        cost = np.where(prod < 0, gap, 0.0) + np.where(prod == 0, gap / 2, 0.0)
        keep = np.ones(len(gap), bool) if raters is None else np.isin(self.rater, list(raters))
        n = len(self.names)
        num = np.bincount(self.dataset[keep], weights=cost[keep], minlength=n)
        den = np.bincount(self.dataset[keep], weights=gap[keep], minlength=n)
        return np.divide(num, den, out=np.zeros(n), where=den > 0)


def collect_gold(
    root: Path,
    make_matcher: Callable[[], Matcher],
    *,
    cache: VectorCache | None = None,
) -> GoldRows:
    """Text features (main route) of every rated pair, computed by ``Matcher.score_case``."""
    refs = read_ratings(root)
    rows = GoldRows([], [], [], np.zeros(0), np.zeros((0, len(TEXT_FEATURES))))
    ratings: list[float] = []
    feats: list[list[float]] = []
    for ds in iter_datasets(root):
        experts = [expert_from_dict(e) for e in ds.experts]
        matcher = make_matcher()
        matcher.index_experts(experts, cache=cache, progress=False)
        raters_of: dict[str, list[str]] = defaultdict(list)
        for expert in experts:
            for paper in refs.get(expert.id, {}):
                raters_of[paper].append(expert.id)
        for c in ds.cases:
            if c["id"] not in raters_of:
                continue
            case = case_from_dict(c)
            qv = _query_vector(matcher, case, cache)
            scores = matcher.score_case(case, query_vector=qv, today=GOLD_DAY)
            for rater in raters_of[c["id"]]:
                slot = matcher.index.slot_of[rater]
                rows.dataset.append(ds.name)
                rows.rater.append(rater)
                rows.paper.append(c["id"])
                ratings.append(refs[rater][c["id"]])
                feats.append([float(scores.features[f"en_{f}"][slot]) for f in TEXT_FEATURES])
    rows.rating = np.asarray(ratings)
    rows.X = np.asarray(feats)
    return rows


def _query_vector(matcher: Matcher, case: CaseDoc, cache: VectorCache | None) -> np.ndarray | None:
    if matcher.encoder is None:
        return None
    if cache is None:
        return matcher.encode_case(case)
    return cache.query_vectors(matcher.encoder, [matcher.dense_query_text(case)])[0]


#: Candidate weights of the lexical features relative to ``dense_mean`` (whose weight is 1):
#: a small grid searched on the gold loss itself. Few, coarse candidates keep the choice stable
#: across the two rater halves (a pairwise logistic fit of all four weights moved a lot
#: between halves and did not beat the dense channel alone on the held-out half).
LEXICAL_GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
BEST_GRID = (0.0, 0.25, 0.5)


def _grid_fit(rows: GoldRows, pairs: GoldPairs, raters: set[str] | None) -> np.ndarray:
    """Weights over TEXT_FEATURES with the lowest mean gold loss on ``raters``."""
    best: tuple[float, tuple[float, ...]] | None = None
    X = rows.X
    for lex in LEXICAL_GRID:
        for dense_best in BEST_GRID:
            w = np.array([1.0, dense_best, lex / 2, lex / 2])
            loss = float(pairs.losses(X @ w, raters).mean())
            key = (round(loss, 6), (dense_best, lex))
            if best is None or key < best:
                best = key
    assert best is not None
    dense_best, lex = best[1]
    return np.array([1.0, dense_best, lex / 2, lex / 2])


def gold_stage(rows: GoldRows) -> dict[str, Any]:
    """Stage 1: weights on all raters, and the two-fold figures (by raters)."""
    pairs = GoldPairs(rows)
    weights = _grid_fit(rows, pairs, None)
    half_a, half_b = rater_halves(set(rows.rater))
    fold_weights = {}
    held_out = np.zeros(len(rows.rating))
    for name, train_half, test_half in (("a", half_a, half_b), ("b", half_b, half_a)):
        w = _grid_fit(rows, pairs, train_half)
        fold_weights[name] = w
        test = np.array([r in test_half for r in rows.rater])
        held_out[test] = rows.X[test] @ w
    # Held-out scores of the two halves come from different weights, but the loss only
    # compares papers of one rater, so each rater is scored by the half that did not see them.
    per_dataset = dict(zip(pairs.names, pairs.losses(held_out).tolist(), strict=True))
    singles = {f: float(pairs.losses(rows.X[:, j]).mean()) for j, f in enumerate(TEXT_FEATURES)}
    return {
        "weights": weights,
        "fold_weights": fold_weights,
        "halves": (sorted(half_a), sorted(half_b)),
        "two_fold_loss": per_dataset,
        "two_fold_mean": float(np.mean(list(per_dataset.values()))),
        "in_sample_mean": float(pairs.losses(rows.X @ weights).mean()),
        "single_channel_mean": singles,
    }


def demo_scores(
    matcher: Matcher, cases: Sequence[CaseDoc], today: dt.date
) -> dict[str, CaseScores]:
    """Every case scored once (features of every expert)."""
    return {c.id: matcher.score_case(c, today=today) for c in cases}


def _design(
    scores: Mapping[str, CaseScores], w_en: np.ndarray, w_ml: np.ndarray
) -> tuple[np.ndarray, list[str], list[str], list[str]]:
    """Stage-2 design matrix over every (case, expert) pair: text scores, structured, pair."""
    rows, case_ids, expert_ids = [], [], []
    for case_id, sc in scores.items():
        n = len(sc.slot_ids)
        f = sc.features
        zero = np.zeros(n, dtype=np.float32)
        t_en = sum(
            w * f.get(f"en_{name}", zero) for w, name in zip(w_en, TEXT_FEATURES, strict=True)
        )
        t_ml = sum(
            w * f.get(f"ml_{name}", zero) for w, name in zip(w_ml, TEXT_FEATURES, strict=True)
        )
        cols = [t_en, t_ml] + [f.get(n_, zero) for n_ in STRUCTURED_FEATURES + PAIR_FEATURES]
        block = np.column_stack(cols)
        for slot, expert_id in enumerate(sc.slot_ids):
            if expert_id is None:
                continue
            rows.append(block[slot])
            case_ids.append(case_id)
            expert_ids.append(expert_id)
    names = ["text_en", "text_ml", *STRUCTURED_FEATURES, *PAIR_FEATURES]
    return np.asarray(rows, dtype=np.float64), case_ids, expert_ids, names


def demo_stage(
    scores: Mapping[str, CaseScores],
    labels: Mapping[str, Mapping[str, int]],
    languages: Mapping[str, str],
    w_en: np.ndarray,
    w_ml: np.ndarray,
    *,
    folds: int = 5,
    alpha: float = 1e-3,
) -> dict[str, Any]:
    """Stage 2: the final logistic regression, with grouped cross-validation figures."""
    from sklearn.model_selection import GroupKFold

    X, case_ids, expert_ids, names = _design(scores, w_en, w_ml)
    y = np.array(
        [labels.get(c, {}).get(e, 0) >= GOOD for c, e in zip(case_ids, expert_ids, strict=True)],
        float,
    )
    free = [j for j, n in enumerate(names) if n in FREE_FEATURES]
    groups = np.array(case_ids)
    held_out = np.zeros(len(y))
    for train_idx, test_idx in GroupKFold(n_splits=folds).split(X, y, groups):
        model = MonotoneLogisticRegression(alpha=alpha, free=free).fit(X[train_idx], y[train_idx])
        held_out[test_idx] = model.predict_proba(X[test_idx])[:, 1]
    final = MonotoneLogisticRegression(alpha=alpha, free=free).fit(X, y)
    by_case: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for c, e, p in zip(case_ids, expert_ids, held_out, strict=True):
        by_case[c].append((e, p))
    ndcg5: dict[str, list[float]] = defaultdict(list)
    for case_id, items in by_case.items():
        if case_id not in labels:
            continue
        excluded = {x.expert_id for x in scores[case_id].exclusions}
        ranked = [e for e, p in sorted(items, key=lambda it: (-it[1], it[0])) if e not in excluded]
        eligible = {e: r for e, r in labels[case_id].items() if e not in excluded}
        ndcg5[languages[case_id]].append(ndcg(ranked, eligible, 5))
    eps = 1e-6
    logloss = float(-np.mean(y * np.log(held_out + eps) + (1 - y) * np.log(1 - held_out + eps)))
    bins = np.linspace(0, 1, 6)
    reliability = []
    for lo, hi in itertools.pairwise(bins):
        m = (held_out >= lo) & (held_out < hi if hi < 1 else held_out <= hi)
        if m.any():
            reliability.append(
                {
                    "predicted": [round(float(lo), 1), round(float(hi), 1)],
                    "pairs": int(m.sum()),
                    "mean_fit": round(float(held_out[m].mean()), 3),
                    "share_good": round(float(y[m].mean()), 3),
                }
            )
    return {
        "names": names,
        "coef": dict(zip(names, final.coef_.tolist(), strict=True)),
        "intercept": final.intercept_,
        "cv": {
            "folds": folds,
            "ndcg@5": {k: round(float(np.mean(v)), 4) for k, v in sorted(ndcg5.items())},
            "cases": {k: len(v) for k, v in sorted(ndcg5.items())},
            "log_loss": round(logloss, 4),
            "brier": round(float(np.mean((held_out - y) ** 2)), 4),
            "reliability": reliability,
        },
        "pairs": len(y),
        "positives": int(y.sum()),
    }


def assemble(
    gold_en: Mapping[str, Any],
    gold_ml: Mapping[str, Any],
    demo: Mapping[str, Any],
    encoders: Mapping[str, str],
    *,
    w_en: np.ndarray | None = None,
    w_ml: np.ndarray | None = None,
    training: Mapping[str, Any] | None = None,
) -> FitModel:
    """The final coefficients over :data:`FEATURES` from both stages."""
    w_en = gold_en["weights"] if w_en is None else w_en
    w_ml = gold_ml["weights"] if w_ml is None else w_ml
    coef = demo["coef"]
    coefficients = {}
    for route, w, scale in (("en", w_en, coef["text_en"]), ("ml", w_ml, coef["text_ml"])):
        for name, value in zip(TEXT_FEATURES, w, strict=True):
            coefficients[f"{route}_{name}"] = float(scale * value)
    for name in STRUCTURED_FEATURES + PAIR_FEATURES:
        coefficients[name] = float(coef[name])
    assert set(coefficients) == set(FEATURES)
    return FitModel(
        coefficients=coefficients,
        intercept=float(demo["intercept"]),
        encoders=dict(encoders),
        training=dict(training or {}),
    )


def train(
    *,
    experts: Sequence[ExpertDoc],
    cases: Sequence[CaseDoc],
    labels: Mapping[str, Mapping[str, int]],
    make_matcher: Callable[[], Matcher],
    make_gold_matchers: tuple[Callable[[], Matcher], Callable[[], Matcher]] | None,
    gold_root: Path | None,
    gold_caches: tuple[VectorCache | None, VectorCache | None] = (None, None),
    previous: FitModel | None = None,
    today: dt.date,
    folds: int = 5,
    encoders: Mapping[str, str],
    caches: tuple[VectorCache | None, VectorCache | None] = (None, None),
) -> tuple[FitModel, dict[str, Any]]:
    """Both stages; returns the model and a report of the figures (also stored in the model).

    Without the gold standard the text weights of ``previous`` are kept (and said so).
    """
    report: dict[str, Any] = {}
    if gold_root is not None and make_gold_matchers is not None:
        rows_en = collect_gold(gold_root, make_gold_matchers[0], cache=gold_caches[0])
        rows_ml = collect_gold(gold_root, make_gold_matchers[1], cache=gold_caches[1])
        gold_en, gold_ml = gold_stage(rows_en), gold_stage(rows_ml)
        w_en, w_ml = gold_en["weights"], gold_ml["weights"]
        report["gold"] = {
            "pairs": len(rows_en.rating),
            "raters": len(set(rows_en.rater)),
            "en": _gold_summary(gold_en),
            "ml": _gold_summary(gold_ml),
        }
    elif previous is not None:
        w_en = np.array([_unit(previous, "en", f) for f in TEXT_FEATURES])
        w_ml = np.array([_unit(previous, "ml", f) for f in TEXT_FEATURES])
        report["gold"] = dict(previous.training.get("gold") or {})
        report["gold"]["note"] = "gold standard absent: text weights kept from the previous model"
    else:
        raise ValueError("neither the gold standard nor a previous model gives text weights")
    matcher = make_matcher()
    matcher.index_experts(experts, cache=caches[0], ml_cache=caches[1])
    scores = demo_scores(matcher, cases, today)
    languages = {c.id: c.language for c in cases}
    demo = demo_stage(scores, labels, languages, w_en, w_ml, folds=folds)
    report["demo"] = {
        "cases": len(labels),
        "pairs": demo["pairs"],
        "positives (relevance >= 2)": demo["positives"],
        "cv": demo["cv"],
    }
    model = assemble({}, {}, demo, encoders, w_en=w_en, w_ml=w_ml, training=report)
    return model, report


def _unit(model: FitModel, route: str, feature: str) -> float:
    """A previous model's text weight with the channel scale divided out."""
    total = sum(model.coef(f"{route}_{f}") for f in TEXT_FEATURES)
    return model.coef(f"{route}_{feature}") / total if total > 0 else 0.0


def _gold_summary(stage: Mapping[str, Any]) -> dict[str, Any]:
    total = float(np.sum(stage["weights"])) or 1.0
    return {
        "weights (sum 1)": {
            f: round(float(w) / total, 4)
            for f, w in zip(TEXT_FEATURES, stage["weights"], strict=True)
        },
        "two_fold_loss_mean": round(stage["two_fold_mean"], 4),
        "two_fold_loss": {k: round(v, 4) for k, v in stage["two_fold_loss"].items()},
        "in_sample_loss_mean": round(stage["in_sample_mean"], 4),
        "single_feature_loss_mean": {
            k: round(v, 4) for k, v in stage["single_channel_mean"].items()
        },
        "fold_weights": {
            k: [round(float(x), 6) for x in v] for k, v in stage["fold_weights"].items()
        },
    }
