"""Evaluation against graded labels, and cross-validated tuning of the fusion weights.

Metrics (per case, then averaged over cases). Labels judge suitability on the merits; the hard
rules (conflicts, availability, capacity) then remove some labelled experts, and no ranking can
propose them. So the ranking metrics compare against the *eligible* labelled experts:

* nDCG@5 and nDCG@10 with gain ``2**rel - 1`` and the ideal ranking over the eligible labelled
  experts; ``ndcg@10_all`` takes the ideal over all labels (excluded ones included) — lower by
  construction, and reported so that the effect of the hard rules stays visible;
* MRR: reciprocal rank of the first *good* eligible expert (relevance >= 2);
* recall@10: share of the good eligible experts (relevance >= 2) in the top 10;
* conflicted ranked: ranked experts (in the top 10) who hold a live declared conflict with a
  case party, found by a deliberately naive check independent of the inverted index — must be 0;
* same-language share (``same_lang@5``): share of top-5 experts whose ``profile_language`` is
  the case's language, next to the same share in the *labels' own* top 5
  (``same_lang@5_labels``: the eligible labelled experts best first, a tie at the cut counted
  pro rata). A ranking without same-language bias follows the labels, not the language.

Cases are grouped by language (the ``lang`` field, else detected from the script).

Tuning (:func:`tune`) never reports a number measured on the labels it was tuned on: the cases
are split into ``folds`` folds (sorted by id, dealt round-robin so each fold mixes languages and
dispute types as the file does); for each fold the grid point with the best mean training
nDCG@10 is chosen and scored on the held-out fold. The final weights are those chosen most
often across folds (ties: best mean training score), and the reported figure is the mean
held-out nDCG@10.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from expertmatch.matching.documents import CaseDoc, ExpertDoc
from expertmatch.matching.entities import CommonParties, EntityResolver
from expertmatch.matching.errors import InputError
from expertmatch.matching.matcher import CaseScores, Matcher
from expertmatch.matching.weights import CALIBRATIONS, FusionWeights

__all__ = [
    "EvalReport",
    "TuneReport",
    "evaluate",
    "label_from_dict",
    "naive_conflicts",
    "ndcg",
    "tune",
]

GOOD = 2


@dataclass(frozen=True)
class Label:
    """One graded judgement: how suitable an expert is for a case (0-3)."""

    case_id: str
    expert_id: str
    relevance: int


def label_from_dict(d: Mapping[str, Any]) -> Label:
    """Parse one line of ``labels.jsonl``."""
    if not isinstance(d, Mapping):
        raise InputError(f"expected a JSON object, got {type(d).__name__}")
    case_id, expert_id, rel = d.get("case_id"), d.get("expert_id"), d.get("relevance")
    if not isinstance(case_id, str) or not case_id:
        raise InputError("field 'case_id' is required (a string)")
    if not isinstance(expert_id, str) or not expert_id:
        raise InputError("field 'expert_id' is required (a string)")
    if isinstance(rel, bool) or not isinstance(rel, int) or not 0 <= rel <= 3:
        raise InputError("field 'relevance' must be a whole number from 0 to 3")
    return Label(case_id, expert_id, rel)


def labels_by_case(labels: Iterable[Label]) -> dict[str, dict[str, int]]:
    """``{case_id: {expert_id: relevance}}``; a later line overrides an earlier one."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for label in labels:
        out[label.case_id][label.expert_id] = label.relevance
    return dict(out)


def ndcg(ranked: Sequence[str], rels: Mapping[str, int], k: int) -> float:
    """nDCG@k with exponential gains; 0 when the case has no relevant expert at all."""
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:k]
    idcg = sum((2**r - 1) / math.log2(i + 2) for i, r in enumerate(ideal))
    if idcg == 0:
        return 0.0
    dcg = sum((2 ** rels.get(e, 0) - 1) / math.log2(i + 2) for i, e in enumerate(ranked[:k]))
    return dcg / idcg


def reciprocal_rank(ranked: Sequence[str], rels: Mapping[str, int], threshold: int = GOOD) -> float:
    """1/rank of the first expert with relevance >= ``threshold``."""
    for i, e in enumerate(ranked):
        if rels.get(e, 0) >= threshold:
            return 1.0 / (i + 1)
    return 0.0


def recall_at(
    ranked: Sequence[str], rels: Mapping[str, int], k: int, threshold: int = GOOD
) -> float:
    """Share of experts with relevance >= ``threshold`` found in the top ``k`` (1 if none)."""
    good = {e for e, r in rels.items() if r >= threshold}
    if not good:
        return 1.0
    return len(good & set(ranked[:k])) / len(good)


def naive_conflicts(
    expert: ExpertDoc,
    case: CaseDoc,
    resolver: EntityResolver,
    common: CommonParties,
    day: dt.date,
) -> list[str]:
    """Party names an expert is conflicted with, by a plain loop (the evaluation's check)."""
    names = [n for p in case.counterparties for n in (*p.names, p.counsel or "") if n]
    names += list(case.enterprise)
    hits = []
    for name in names:
        if common.is_common(name, resolver):
            continue
        root = resolver.root(name)
        for decl in expert.conflicts:
            if decl.applies_on(day) and resolver.root(decl.entity) == root:
                hits.append(name)
        if expert.firm and resolver.root(expert.firm) == root:
            hits.append(name)
    return hits


@dataclass
class EvalReport:
    """Averaged metrics, overall and per case language."""

    overall: dict[str, float]
    by_language: dict[str, dict[str, float]]
    per_case: dict[str, dict[str, float]] = field(default_factory=dict)

    def format_table(self) -> str:
        """A fixed-width table for the terminal."""
        cols = ["cases", "ndcg@5", "ndcg@10", "ndcg@10_all", "mrr", "recall@10", "conflicted"]
        cols += ["same_lang@5", "labels@5"]
        lines = [f"{'group':<8}" + "".join(f"{c:>12}" for c in cols)]
        rows = [("all", self.overall), *sorted(self.by_language.items())]
        for name, metrics in rows:
            cells = []
            for c in cols:
                v = metrics.get("same_lang@5_labels" if c == "labels@5" else c, float("nan"))
                cells.append(f"{int(v):>12d}" if c in ("cases", "conflicted") else f"{v:>12.3f}")
            lines.append(f"{name:<8}" + "".join(cells))
        lines.append("labels@5: the same-language share in the labels' own top 5")
        return "\n".join(lines)


def eligible_labels(scores: CaseScores, rels: Mapping[str, int]) -> dict[str, int]:
    """The labels of experts the hard rules leave eligible for this case."""
    excluded = {e.expert_id for e in scores.exclusions}
    return {e: r for e, r in rels.items() if e not in excluded}


def ideal_share(eligible: Mapping[str, int], is_member: Mapping[str, bool], k: int = 5) -> float:
    """Share of members among the labels' top ``k`` (relevance > 0, best first).

    Experts of equal relevance have no order, so a tie group that straddles the cut contributes
    its members pro rata. NaN when no eligible expert is relevant.
    """
    by_rel: dict[int, list[str]] = defaultdict(list)
    for expert_id, rel in eligible.items():
        if rel > 0:
            by_rel[rel].append(expert_id)
    members = filled = 0.0
    for rel in sorted(by_rel, reverse=True):
        group = by_rel[rel]
        take = min(k - filled, len(group))
        members += take * sum(bool(is_member.get(e)) for e in group) / len(group)
        filled += take
        if filled >= k:
            break
    return members / filled if filled else float("nan")


def _case_metrics(
    ranked: list[str],
    rels: Mapping[str, int],
    eligible: Mapping[str, int],
    conflicted: int,
    same_lang: float,
    same_lang_labels: float,
) -> dict[str, float]:
    return {
        "ndcg@5": ndcg(ranked, eligible, 5),
        "ndcg@10": ndcg(ranked, eligible, 10),
        "ndcg@10_all": ndcg(ranked, rels, 10),
        "mrr": reciprocal_rank(ranked, eligible),
        "recall@10": recall_at(ranked, eligible, 10),
        "conflicted": float(conflicted),
        "same_lang@5": same_lang,
        "same_lang@5_labels": same_lang_labels,
    }


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {"cases": 0.0}
    keys = rows[0].keys()
    out = {k: float(np.nanmean([r[k] for r in rows])) for k in keys}
    out["conflicted"] = float(sum(r["conflicted"] for r in rows))
    out["cases"] = float(len(rows))
    return out


def evaluate(
    matcher: Matcher,
    cases: Sequence[CaseDoc],
    labels: Mapping[str, Mapping[str, int]],
    *,
    today: dt.date | None = None,
    weights: FusionWeights | None = None,
    scores: Mapping[str, CaseScores] | None = None,
) -> EvalReport:
    """Rank every labelled case and average the metrics (see the module docstring)."""
    weights = weights or matcher.weights
    day = today or dt.date.today()
    per_case: dict[str, dict[str, float]] = {}
    groups: dict[str, list[dict[str, float]]] = defaultdict(list)
    for case in cases:
        if case.id not in labels:
            continue
        case_scores = scores[case.id] if scores else matcher.score_case(case, today=today)
        ranked = [e for e, _ in case_scores.order(weights, 10)]
        conflicted = 0
        for expert_id in ranked:
            expert = matcher.expert(expert_id)
            if expert and naive_conflicts(
                expert, case, matcher.resolver, matcher.common_parties, case.reference_date or day
            ):
                conflicted += 1
        lang = case.language
        top5 = [matcher.expert(e) for e in ranked[:5]]
        with_lang = [e for e in top5 if e is not None and e.profile_language]
        same = (
            sum(e.profile_language == lang for e in with_lang) / len(with_lang)
            if with_lang
            else float("nan")
        )
        rels = labels[case.id]
        eligible = eligible_labels(case_scores, rels)
        same_labels = ideal_share(
            {e: r for e, r in eligible.items() if _profile_language(matcher, e)},
            {e: _profile_language(matcher, e) == lang for e in eligible},
        )
        metrics = _case_metrics(ranked, rels, eligible, conflicted, same, same_labels)
        per_case[case.id] = metrics
        groups[lang].append(metrics)
    all_rows = list(per_case.values())
    return EvalReport(
        overall=_mean(all_rows),
        by_language={lang: _mean(rows) for lang, rows in groups.items()},
        per_case=per_case,
    )


def _profile_language(matcher: Matcher, expert_id: str) -> str | None:
    expert = matcher.expert(expert_id)
    return expert.profile_language if expert is not None else None


@dataclass
class TuneReport:
    """What tuning chose and how well the procedure generalises."""

    weights: FusionWeights
    cv_ndcg10: float
    cv_ndcg5: float
    fold_choices: list[dict[str, Any]]
    default_cv_ndcg10: float
    grid_size: int

    def format(self) -> str:
        """Human-readable summary for the terminal."""
        w = self.weights
        lines = [
            f"grid points: {self.grid_size}, folds: {len(self.fold_choices)}",
            *(
                f"  fold {i + 1}: chose dense={c['dense']:.1f} lexical={c['lexical']:.1f} "
                f"structured={c['structured']:.1f} {c['normalisation']} "
                f"calibration={c['calibration']}  "
                f"train nDCG@10={c['train']:.3f}  held-out nDCG@10={c['test']:.3f}"
                for i, c in enumerate(self.fold_choices)
            ),
            f"cross-validated nDCG@10 of the tuning procedure: {self.cv_ndcg10:.3f} "
            f"(nDCG@5 {self.cv_ndcg5:.3f})",
            f"current default weights, same folds (held-out): {self.default_cv_ndcg10:.3f}",
            f"chosen: FusionWeights(dense={w.dense}, lexical={w.lexical}, "
            f"structured={w.structured}, normalisation={w.normalisation!r}, "
            f"calibration={w.calibration!r})",
        ]
        return "\n".join(lines)


def weight_grid(step: float = 0.1) -> list[tuple[float, float, float]]:
    """All (dense, lexical, structured) on the simplex in steps of ``step``."""
    n = round(1 / step)
    out = []
    for i, j in itertools.product(range(n + 1), repeat=2):
        if i + j <= n:
            out.append((round(i * step, 4), round(j * step, 4), round((n - i - j) * step, 4)))
    return out


def _mean_ndcg(
    scores: Mapping[str, CaseScores],
    labels: Mapping[str, Mapping[str, int]],
    case_ids: Sequence[str],
    weights: FusionWeights,
    k: int = 10,
) -> float:
    if not case_ids:
        return float("nan")
    values = [
        ndcg([e for e, _ in scores[c].order(weights, k)], eligible_labels(scores[c], labels[c]), k)
        for c in case_ids
    ]
    return float(np.mean(values))


def tune(
    matcher: Matcher,
    cases: Sequence[CaseDoc],
    labels: Mapping[str, Mapping[str, int]],
    *,
    today: dt.date | None = None,
    folds: int = 5,
    step: float = 0.1,
    normalisations: Sequence[str] = ("minmax", "zscore"),
    calibrations: Sequence[str] = CALIBRATIONS,
) -> TuneReport:
    """Choose fusion weights by ``folds``-fold cross-validation (see the module docstring).

    Channel scores are computed once per case; each grid point only re-fuses them, so a grid of
    ~130 points over 50 cases takes seconds.
    """
    labelled = sorted(c.id for c in cases if c.id in labels)
    if len(labelled) < 2:
        raise InputError("tuning needs labels for at least two cases")
    folds = max(2, min(folds, len(labelled)))
    by_id = {c.id: c for c in cases}
    scores = {cid: matcher.score_case(by_id[cid], today=today) for cid in labelled}
    base = matcher.weights
    grid = [
        replace(base, dense=d, lexical=lx, structured=s, normalisation=norm, calibration=cal)
        for cal in calibrations
        for norm in normalisations
        for d, lx, s in weight_grid(step)
    ]
    if all(s.dense is None for s in scores.values()):
        grid = [g for g in grid if g.dense == 0]  # degraded: no dense channel to weigh
    fold_of = {cid: i % folds for i, cid in enumerate(labelled)}
    choices: list[dict[str, Any]] = []
    held_out: list[float] = []
    held_out5: list[float] = []
    default_held: list[float] = []
    picked: Counter[FusionWeights] = Counter()
    train_scores: dict[FusionWeights, list[float]] = defaultdict(list)
    for f in range(folds):
        train = [c for c in labelled if fold_of[c] != f]
        test = [c for c in labelled if fold_of[c] == f]
        results = [(_mean_ndcg(scores, labels, train, w), i) for i, w in enumerate(grid)]
        best_score, best_i = max(results, key=lambda r: (r[0], -r[1]))
        best = grid[best_i]
        picked[best] += 1
        train_scores[best].append(best_score)
        test10 = _mean_ndcg(scores, labels, test, best, 10)
        test5 = _mean_ndcg(scores, labels, test, best, 5)
        held_out.append(test10 * len(test))
        held_out5.append(test5 * len(test))
        default_held.append(_mean_ndcg(scores, labels, test, base, 10) * len(test))
        choices.append(
            {
                "dense": best.dense,
                "lexical": best.lexical,
                "structured": best.structured,
                "normalisation": best.normalisation,
                "calibration": best.calibration,
                "train": best_score,
                "test": test10,
            }
        )
    chosen = max(picked, key=lambda w: (picked[w], float(np.mean(train_scores[w])), -grid.index(w)))
    n = len(labelled)
    return TuneReport(
        weights=chosen,
        cv_ndcg10=sum(held_out) / n,
        cv_ndcg5=sum(held_out5) / n,
        fold_choices=choices,
        default_cv_ndcg10=sum(default_held) / n,
        grid_size=len(grid),
    )
