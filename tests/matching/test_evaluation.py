"""Metrics and the cross-validated tuning procedure."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from expertmatch.matching.evaluation import (
    evaluate,
    ndcg,
    recall_at,
    reciprocal_rank,
    tune,
    weight_grid,
)

TODAY = dt.date(2026, 11, 30)  # the fixture pool's reference date


def test_ndcg_by_hand() -> None:
    rels = {"a": 3, "b": 2, "c": 0}
    assert ndcg(["a", "b", "c"], rels, 10) == pytest.approx(1.0)
    swapped = (3 + 7 / math.log2(3)) / (7 + 3 / math.log2(3))
    assert ndcg(["b", "a"], rels, 10) == pytest.approx(swapped)
    assert reciprocal_rank(["c", "b"], rels) == 0.5
    assert recall_at(["c"], rels, 10) == 0.0


def test_weight_grid_covers_the_simplex() -> None:
    grid = weight_grid(0.1)
    assert len(grid) == 66
    assert all(abs(sum(g) - 1) < 1e-9 for g in grid)


def test_evaluate_and_tune_on_the_fixture(hashing_matcher, cases) -> None:
    labels = {
        "C01": {"E01": 3, "E03": 3, "E16": 2, "E02": 3, "E11": 1},
        "C02": {"E05": 3, "E04": 1},
        "C03": {"E01": 3, "E02": 3, "E11": 2, "E16": 2},
    }
    report = evaluate(hashing_matcher, list(cases.values()), labels, today=TODAY)
    assert report.overall["cases"] == 3
    assert report.overall["conflicted"] == 0
    assert set(report.by_language) == {"en", "zh"}
    assert "ndcg@10" in report.format_table()
    tuned = tune(hashing_matcher, list(cases.values()), labels, today=TODAY, folds=3, step=0.25)
    assert len(tuned.fold_choices) == 3
    assert 0 <= tuned.cv_ndcg10 <= 1
    w = tuned.weights
    assert w.dense + w.lexical + w.structured == pytest.approx(1.0)
