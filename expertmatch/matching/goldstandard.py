"""The gold standard of Stelmakh, Wieting, Neubig and Shah (2023), read into ExpertMatch terms.

A local copy of the public repository ``niharshah/goldstandard-reviewer-paper-match`` is read
from the folder named by ``EXPERTMATCH_GOLD_DIR`` (it holds ``data/evaluations.csv`` and
``evaluation_datasets/d_20_1..10``). Its paper texts are third-party: nothing here copies them
into the repository; converted files and vector caches go to a cache folder outside it
(``EXPERTMATCH_GOLD_CACHE``, default ``~/.cache/expertmatch-gold``).

Mapping: a rater is an *expert* whose past matters are their own papers (title, abstract,
year); a rated paper is a *case* with the paper's title as title and its abstract as
description. The loss is the paper's weighted pairwise-order loss per rater
(``scripts/scoring.py``'s ``compute_main_metric``): pairs of papers one rater rated differently,
weighted by the rating gap, a tie in the prediction costing half.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

GOLD_SETTING = "EXPERTMATCH_GOLD_DIR"
CACHE_SETTING = "EXPERTMATCH_GOLD_CACHE"
DATASETS = tuple(f"d_20_{i}" for i in range(1, 11))


@dataclass
class GoldDataset:
    """One evaluation dataset: experts and cases as JSON-ready dicts."""

    name: str
    experts: list[dict[str, Any]]
    cases: list[dict[str, Any]]


def gold_dir(given: str | os.PathLike[str] | None = None) -> Path | None:
    """The gold standard folder (``given``, else from the environment), or ``None`` when
    absent or incomplete."""
    value = given if given is not None else os.environ.get(GOLD_SETTING)
    if not value:
        return None
    path = Path(value).expanduser()
    if not (path / "data" / "evaluations.csv").is_file():
        return None
    if not (path / "evaluation_datasets" / DATASETS[0]).is_dir():
        return None
    return path


def cache_dir() -> Path:
    """Where converted files and vector caches are kept (never inside the repository)."""
    value = os.environ.get(CACHE_SETTING)
    path = Path(value).expanduser() if value else Path.home() / ".cache" / "expertmatch-gold"
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_ratings(root: Path) -> dict[str, dict[str, float]]:
    """``{rater: {paper: expertise 1-5}}`` from ``data/evaluations.csv``."""
    refs: dict[str, dict[str, float]] = {}
    with open(root / "data" / "evaluations.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            rater = str(row["ParticipantID"]).strip()
            ratings = {}
            for i in range(1, 11):
                paper = (row.get(f"Paper{i}") or "").strip()
                value = (row.get(f"Expertise{i}") or "").strip()
                if paper and value:
                    ratings[paper] = float(value)
            refs[rater] = ratings
    return refs


def _paper_fields(content: Mapping[str, Any]) -> tuple[str, str, int | None]:
    title = (content.get("title") or "").strip()
    abstract = (content.get("abstract") or "").strip()
    year = content.get("year")
    return title, abstract, int(year) if isinstance(year, int) and year > 0 else None


def read_dataset(root: Path, name: str) -> GoldDataset:
    """One dataset as experts (raters with their papers as matters) and cases (rated papers)."""
    base = root / "evaluation_datasets" / name
    experts = []
    for path in sorted((base / "archives").glob("*.jsonl")):
        rater = path.name.split(".")[0].strip("~")
        matters = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                paper = json.loads(line)
                title, abstract, year = _paper_fields(paper.get("content") or {})
                if not (title or abstract):
                    continue
                matter: dict[str, Any] = {"key": paper["id"], "title": title, "summary": abstract}
                if year:
                    matter["year"] = year
                matters.append(matter)
        experts.append({"id": rater, "matters": matters})
    submissions = json.loads((base / "submissions.json").read_text(encoding="utf-8"))
    cases = []
    for pid in sorted(submissions):
        title, abstract, _year = _paper_fields(submissions[pid].get("content") or {})
        cases.append({"id": pid, "title": title, "description": abstract, "lang": "en"})
    return GoldDataset(name, experts, cases)


def iter_datasets(root: Path) -> Iterator[GoldDataset]:
    """The ten datasets in order."""
    for name in DATASETS:
        yield read_dataset(root, name)


def pairwise_loss(
    preds: Mapping[str, Mapping[str, float]], refs: Mapping[str, Mapping[str, float]]
) -> float:
    """``compute_main_metric`` of the gold repository's ``scripts/scoring.py``.

    Every rater with ratings is scored; every (rater, rated paper) pair must have a prediction
    (a missing one raises ``KeyError``, as in the original).
    """
    max_loss = loss = 0.0
    for rater, ratings in refs.items():
        for p1, p2 in combinations(list(ratings), 2):
            pred_diff = preds[rater][p1] - preds[rater][p2]
            true_diff = ratings[p1] - ratings[p2]
            max_loss += abs(true_diff)
            if pred_diff * true_diff == 0:
                loss += abs(true_diff) / 2
            if pred_diff * true_diff < 0:
                loss += abs(true_diff)
    return loss / max_loss if max_loss else 0.0


def rater_halves(refs: Mapping[str, object]) -> tuple[set[str], set[str]]:
    """The raters split in two fixed halves (by sorted id, alternating) for two-fold tuning."""
    ordered = sorted(refs)
    return set(ordered[0::2]), set(ordered[1::2])
