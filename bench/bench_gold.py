"""Ranking quality on human judgments: the gold standard of Stelmakh et al. (2023).

Needs a local copy of the public repository ``niharshah/goldstandard-reviewer-paper-match``
named by ``EXPERTMATCH_GOLD_DIR`` (skips with a message otherwise). Its paper texts are
third-party: the converted JSON Lines files and the vector caches go to
``EXPERTMATCH_GOLD_CACHE`` (default ``~/.cache/expertmatch-gold``), never into the repository.

Every figure goes through ``expertmatch rank --top-k 0`` (the CLI's own ``main``):
rater = expert with their papers as matters, rated paper = case (title + abstract). Printed:
the loss per dataset and the mean for the fit score, each single text channel of the same run
(read from the ranking's features), and the two-fold figure: the text weights fitted on one
half of the raters (recorded in the model file) scored on the other half, both ways round.

    EXPERTMATCH_GOLD_DIR=/path/to/goldstandard python bench/bench_gold.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from expertmatch.cli import main as cli_main
from expertmatch.matching.fit import TEXT_FEATURES, FitModel, load_fit_model
from expertmatch.matching.goldstandard import (
    GOLD_SETTING,
    cache_dir,
    gold_dir,
    iter_datasets,
    pairwise_loss,
    rater_halves,
    read_ratings,
)

# Single channels, read from the evidence of the same ranking: (evidence kind, field).
CHANNELS = {
    "en_dense_mean": ("text", "mean_best"),
    "en_dense_best": ("text", "value"),
    "en_lexical_mean": ("keywords", "mean_best"),
    "en_lexical_best": ("keywords", "value"),
}


def _evidence(entry: dict, kind: str, key: str) -> float:
    return next(float(e[key]) for e in entry["evidence"] if e["kind"] == kind)


def _write(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _rank(experts: Path, cases: Path, out: Path, cache: Path, fit_model: Path | None) -> None:
    argv = ["rank", "--experts", str(experts), "--cases", str(cases), "--top-k", "0"]
    argv += ["--cache", str(cache), "--output", str(out), "--today", "2026-01-01"]
    if fit_model is not None:
        argv += ["--fit-model", str(fit_model)]
    status = cli_main(argv)
    if status != 0:
        raise SystemExit(f"expertmatch rank exited with {status}")


def _read(out: Path) -> dict[str, dict[str, dict]]:
    """``{case: {expert: ranked entry}}`` from a rank output."""
    result: dict[str, dict[str, dict]] = {}
    with open(out, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            result[row["case_id"]] = {r["expert_id"]: r for r in row["ranking"]}
    return result


def _loss(ranked, refs, value) -> float:
    preds: dict[str, dict[str, float]] = defaultdict(dict)
    for rater, papers in refs.items():
        for paper in papers:
            preds[rater][paper] = value(ranked[paper][rater])
    return pairwise_loss(preds, refs)


def _fold_models(model: FitModel, folder: Path) -> dict[str, Path]:
    """Model files whose English text weights are those fitted on one half of the raters."""
    gold = (model.training.get("gold") or {}).get("en") or {}
    folds = gold.get("fold_weights") or {}
    scale = sum(model.coef(f"en_{f}") for f in TEXT_FEATURES)
    paths = {}
    for name, weights in folds.items():
        total = sum(weights) or 1.0
        coefficients = dict(model.coefficients)
        for f, w in zip(TEXT_FEATURES, weights, strict=True):
            coefficients[f"en_{f}"] = scale * w / total
        fold = FitModel(coefficients, model.intercept, model.encoders, {})
        path = folder / f"fold-{name}.json"
        fold.save(path)
        paths[name] = path
    return paths


def main() -> int:
    root = gold_dir()
    if root is None:
        print(
            f"bench_gold: skipped: set {GOLD_SETTING} to a local copy of "
            "niharshah/goldstandard-reviewer-paper-match (data/evaluations.csv, "
            "evaluation_datasets/d_20_1..10)"
        )
        return 0
    started = time.perf_counter()
    refs_all = read_ratings(root)
    model = load_fit_model()
    # The halves the training used for its two-fold figures (by sorted rater id, alternating).
    halves = rater_halves(refs_all)
    work = cache_dir()
    cache = work / "bench-rank.npz"
    rows = []
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        folder = Path(tmp)
        fold_paths = _fold_models(model, folder)
        for ds in iter_datasets(root):
            experts, cases = folder / "experts.jsonl", folder / "cases.jsonl"
            _write(experts, ds.experts)
            _write(cases, ds.cases)
            present = {e["id"] for e in ds.experts}
            papers = {c["id"] for c in ds.cases}
            refs = {
                r: {p: v for p, v in ratings.items() if p in papers}
                for r, ratings in refs_all.items()
                if r in present
            }
            out = folder / "ranked.jsonl"
            _rank(experts, cases, out, cache, None)
            ranked = _read(out)
            row = {"dataset": ds.name, "fit": _loss(ranked, refs, lambda r: r["fit"])}
            for ch, (kind, key) in CHANNELS.items():
                row[ch] = _loss(ranked, refs, lambda r, k=kind, f=key: _evidence(r, k, f))
            if fold_paths:
                # Raters of half b scored by the weights fitted on half a, and vice versa.
                preds: dict[str, dict[str, float]] = defaultdict(dict)
                for name, test_half in (("a", set(halves[1])), ("b", set(halves[0]))):
                    _rank(experts, cases, out, cache, fold_paths[name])
                    fold_ranked = _read(out)
                    for rater in refs:
                        if rater in test_half:
                            for paper in refs[rater]:
                                preds[rater][paper] = fold_ranked[paper][rater]["fit"]
                row["two_fold"] = pairwise_loss(preds, refs)
            rows.append(row)
            print(
                f"{ds.name:<8} fit {row['fit']:.4f}"
                + (f"  two-fold {row['two_fold']:.4f}" if "two_fold" in row else "")
                + "  "
                + "  ".join(f"{ch[3:]} {row[ch]:.4f}" for ch in CHANNELS),
                flush=True,
            )
    cols = ["fit", *(["two_fold"] if fold_paths else []), *CHANNELS]
    means = {c: sum(r[c] for r in rows) / len(rows) for c in cols}
    print("mean     " + "  ".join(f"{c} {means[c]:.4f}" for c in cols))
    best_single = min(means[c] for c in CHANNELS)
    print(
        f"fit vs best single channel: {means['fit']:.4f} vs {best_single:.4f} "
        f"({'below' if means['fit'] < best_single else 'NOT below'}); target mean <= 0.207: "
        f"{'met' if means['fit'] <= 0.207 else 'missed'}"
    )
    if fold_paths:
        print(
            f"two-fold by raters (text weights never saw the raters scored): "
            f"{means['two_fold']:.4f}"
        )
    print(f"bench_gold: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
