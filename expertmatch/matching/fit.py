"""The calibrated fit score: how likely a senior coordinator would judge an expert a good fit.

Everything here is *case-independent*: each feature means the same in every case, and no
feature is normalised over the experts of one case, so the same expert's fit can be compared
across cases (batch assignment, "cases for you", the "no strong match" notice).

Features of one (case, expert) pair (:data:`FEATURES`):

* text, from the encoder that fits the pair's languages — ``en_*`` for English case and
  English-written expert (the monolingual encoder, MiniLM), ``ml_*`` when either side is
  Chinese (the multilingual encoder, USE): ``dense_mean`` (mean cosine of the expert's best 3
  texts), ``dense_best`` (best text's cosine), ``lexical_mean`` / ``lexical_best`` (BM25 of
  the texts divided by the query's BM25 ceiling ``sum(idf x (k1 + 1))`` over its terms, a share
  in [0, 1) comparable across queries);
* structured, centred on "not informed" (0): ``dispute``, ``jurisdiction``, ``matters``,
  ``industry``, ``language``, ``experience`` — the components of
  :mod:`expertmatch.matching.structured` minus 0.5, each multiplied by the confidence of the
  case field it reads (``CaseDoc.field_confidence``; fields a person entered count fully);
* language pair: ``ml_pair`` (either side Chinese), ``zh_pair`` (both sides Chinese).

The model (:class:`FitModel`, stored as JSON beside this module) is a logistic regression whose
text and structured coefficients are non-negative (monotone: more evidence never lowers a fit);
the language-pair coefficients and the intercept are free. It is trained in two stages
(:func:`train`): the *weights within each text channel* by a pairwise logistic regression on the
gold standard's expertise ratings (pairs of papers one rater rated differently), then the
channel scale, the structured evidence and the language-pair terms by a logistic regression on
the demo labels (good fit = relevance >= 2). The second stage's sigmoid is the calibration
(Platt scaling); its held-out quality is recorded in the file (cases grouped in the folds).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "BANDS",
    "FEATURES",
    "MODEL_PATH",
    "STRUCTURED_FEATURES",
    "TEXT_FEATURES",
    "FitModel",
    "MonotoneLogisticRegression",
    "band_of",
    "load_fit_model",
]

MODEL_PATH = Path(__file__).with_name("fit_model.json")
MODEL_VERSION = 1

TEXT_FEATURES = ("dense_mean", "dense_best", "lexical_mean", "lexical_best")
STRUCTURED_FEATURES = (
    "dispute",
    "jurisdiction",
    "matters",
    "industry",
    "language",
    "experience",
)
PAIR_FEATURES = ("ml_pair", "zh_pair")
ROUTES = ("en", "ml")
FEATURES = (
    tuple(f"{r}_{f}" for r in ROUTES for f in TEXT_FEATURES) + STRUCTURED_FEATURES + PAIR_FEATURES
)
#: Features whose coefficient may be negative (the language pair shifts the base rate).
FREE_FEATURES = frozenset(PAIR_FEATURES)

#: The case fields each structured feature reads; a feature counts in proportion to the lowest
#: confidence among them (``CaseDoc.field_confidence``, 1.0 when a person entered the field).
FEATURE_FIELDS: dict[str, tuple[str, ...]] = {
    "dispute": ("dispute_type",),
    "jurisdiction": ("jurisdictions", "forum"),
    "matters": ("dispute_type", "jurisdictions", "forum"),
    "industry": ("industry",),
    "language": ("languages",),
    "experience": (),
}

#: Fit bands: ``strong`` from 0.60, ``good`` from 0.35, ``weak`` below. A case whose best
#: eligible expert is below :data:`STRONG` shows the "no strong match in the pool" notice.
STRONG = 0.60
GOOD = 0.35
BANDS = (("strong", STRONG), ("good", GOOD), ("weak", 0.0))


def band_of(fit: float) -> str:
    """``strong`` / ``good`` / ``weak`` for a fit in [0, 1] (thresholds :data:`BANDS`)."""
    for name, threshold in BANDS:
        if fit >= threshold:
            return name
    return "weak"


def field_confidence(confidence: Mapping[str, float], feature: str) -> float:
    """The confidence a structured feature is counted with, clipped to [0, 1]."""
    fields = FEATURE_FIELDS.get(feature, ())
    values = [float(confidence.get(f, 1.0)) for f in fields]
    return min(1.0, max(0.0, min(values))) if values else 1.0


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


@dataclass
class FitModel:
    """Coefficients over :data:`FEATURES`, the encoders they were measured with, and the record
    of how they were trained (written into and read from the JSON file)."""

    coefficients: dict[str, float]
    intercept: float
    encoders: dict[str, str] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    version: int = MODEL_VERSION

    def __post_init__(self) -> None:
        unknown = set(self.coefficients) - set(FEATURES)
        if unknown:
            raise ValueError(f"fit model has unknown features: {', '.join(sorted(unknown))}")
        for name, value in self.coefficients.items():
            if not math.isfinite(value):
                raise ValueError(f"fit model coefficient {name} is not finite")
            if name not in FREE_FEATURES and value < 0:
                raise ValueError(f"fit model coefficient {name} must not be negative")

    def coef(self, name: str) -> float:
        """A feature's coefficient (0 when the model does not use it)."""
        return float(self.coefficients.get(name, 0.0))

    def logit(self, features: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """The linear predictor per pair (float64); missing features count as 0."""
        z = np.full(n, self.intercept, dtype=np.float64)
        for name, value in self.coefficients.items():
            x = features.get(name)
            if value and x is not None:
                z += value * np.nan_to_num(np.asarray(x, dtype=np.float64), nan=0.0)
        return z

    def predict(self, features: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """Calibrated fit in [0, 1] per pair."""
        return _sigmoid(self.logit(features, n))

    def contributions(self, features: Mapping[str, float]) -> dict[str, float]:
        """Each feature's share of the logit for one pair (for explanations)."""
        return {
            name: value * float(features.get(name, 0.0) or 0.0)
            for name, value in self.coefficients.items()
            if value
        }

    # -- file ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "kind": "logistic regression, non-negative text and structured coefficients",
            "features": list(FEATURES),
            "encoders": dict(self.encoders),
            "intercept": round(self.intercept, 6),
            "coefficients": {k: round(self.coefficients.get(k, 0.0), 6) for k in FEATURES},
            "bands": {name: threshold for name, threshold in BANDS},
            "training": self.training,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FitModel:
        version = data.get("version")
        if version != MODEL_VERSION:
            raise ValueError(f"fit model version {version!r}, this code reads {MODEL_VERSION}")
        coefficients = {str(k): float(v) for k, v in dict(data["coefficients"]).items()}
        return cls(
            coefficients=coefficients,
            intercept=float(data["intercept"]),
            encoders={str(k): str(v) for k, v in dict(data.get("encoders") or {}).items()},
            training=dict(data.get("training") or {}),
            version=MODEL_VERSION,
        )

    def save(self, path: str | Path) -> None:
        """Write the model as indented JSON (atomically: temp file + rename)."""
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", "utf-8")
        tmp.replace(path)


def load_fit_model(path: str | Path | None = None) -> FitModel:
    """The fit model from ``path`` (default: the file shipped with the package)."""
    path = Path(path) if path is not None else MODEL_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return FitModel.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a readable fit model ({exc})") from None


# ---------------------------------------------------------------------------------------------
# Training


class MonotoneLogisticRegression:
    """L2-regularised logistic regression with non-negative coefficients where asked.

    A scikit-learn style estimator (``fit`` / ``decision_function`` / ``predict_proba``) solved
    by L-BFGS-B with bounds; ``free`` lists the columns whose coefficient may be negative.
    """

    def __init__(
        self, *, alpha: float = 1e-3, fit_intercept: bool = True, free: Sequence[int] = ()
    ) -> None:
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.free = tuple(free)
        self.coef_ = np.zeros(0)
        self.intercept_ = 0.0

    def fit(
        self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> MonotoneLogisticRegression:
        from scipy.optimize import minimize

        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        s = 2.0 * y - 1.0
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, np.float64)
        w = w / w.sum()
        n_feat = X.shape[1]

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            coef, b = theta[:n_feat], (theta[n_feat] if self.fit_intercept else 0.0)
            margin = s * (X @ coef + b)
            value = float(np.sum(w * np.logaddexp(0.0, -margin)))
            value += 0.5 * self.alpha * float(coef @ coef)
            g = -w * s * _sigmoid(-margin)
            grad = np.concatenate([X.T @ g + self.alpha * coef, [g.sum()]])
            return value, (grad if self.fit_intercept else grad[:n_feat])

        bounds = [(None, None) if j in self.free else (0.0, None) for j in range(n_feat)]
        if self.fit_intercept:
            bounds.append((None, None))
        x0 = np.zeros(len(bounds))
        result = minimize(loss, x0, jac=True, method="L-BFGS-B", bounds=bounds)
        self.coef_ = result.x[:n_feat]
        self.intercept_ = float(result.x[n_feat]) if self.fit_intercept else 0.0
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = _sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])


def pairwise_rows(
    features: np.ndarray, groups: Sequence[str], ratings: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise differences within each group (rater) for pairs rated differently.

    Returns ``(X, y, weight)``: ``X = f(a) - f(b)``, ``y = 1`` when ``a`` was rated higher, and
    the weight is the rating gap (the gold standard's loss weighs mistakes by it).
    """
    by_group: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault(g, []).append(i)
    xs, ys, ws = [], [], []
    for idx in by_group.values():
        for a_pos, a in enumerate(idx):
            for b in idx[a_pos + 1 :]:
                gap = ratings[a] - ratings[b]
                if gap == 0:
                    continue
                # Both orientations, so a model without intercept sees a balanced problem.
                xs.append(features[a] - features[b])
                ys.append(1.0 if gap > 0 else 0.0)
                ws.append(abs(gap))
                xs.append(features[b] - features[a])
                ys.append(0.0 if gap > 0 else 1.0)
                ws.append(abs(gap))
    if not xs:
        return np.zeros((0, features.shape[1])), np.zeros(0), np.zeros(0)
    return np.asarray(xs), np.asarray(ys), np.asarray(ws)


def fit_text_weights(
    features: np.ndarray, groups: Sequence[str], ratings: np.ndarray, *, alpha: float = 1e-4
) -> np.ndarray:
    """Non-negative weights of the text features that order each rater's papers best."""
    X, y, w = pairwise_rows(features, groups, ratings)
    model = MonotoneLogisticRegression(alpha=alpha, fit_intercept=False).fit(X, y, w)
    return model.coef_
