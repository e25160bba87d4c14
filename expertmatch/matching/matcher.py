"""The Matcher: one long-lived object per process that ranks experts for a case.

It keeps three channels in step for every expert — dense vectors (:class:`ExpertIndex`), BM25
(:class:`LexicalIndex`) and structured attributes (:class:`StructuredTable`) — plus the conflict
index, and updates them per expert with :meth:`Matcher.upsert` / :meth:`Matcher.remove`.

Encoding, storage and ranking are separable, because the web layer stores vectors in its
database while the CLI uses a file cache::

    texts = texts_for_expert(expert)                 # keys + hashes; decide what to encode
    vectors = {t.key: v for t, v in ...}             # from storage or encoder.encode_documents
    matcher.upsert(expert, vectors)
    result = matcher.rank(case, top_k=10, explain=True)      # encodes the query itself, or
    result = matcher.rank(case, query_vector=q)              # with a vector the caller made

Without an encoder and without a query vector, ranking runs in *degraded mode* (lexical and
structured channels only) and says so in ``RankResult.degraded``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from expertmatch.matching.documents import CaseDoc, ExpertDoc, detect_language
from expertmatch.matching.encoders import Encoder
from expertmatch.matching.entities import CommonParties, ConflictIndex, EntityResolver
from expertmatch.matching.fit import (
    STRONG,
    STRUCTURED_FEATURES,
    FitModel,
    band_of,
    field_confidence,
    load_fit_model,
)
from expertmatch.matching.index import ExpertIndex, grouped_topk_stats
from expertmatch.matching.lexical import (
    Glossary,
    LexicalIndex,
    Tokenizer,
    display_terms,
    expand_terms,
)
from expertmatch.matching.rules import Exclusion, conflict_exclusions
from expertmatch.matching.structured import StructuredTable, matched_attributes
from expertmatch.matching.texts import ExpertText, case_query_text, texts_for_expert
from expertmatch.matching.vectors import VectorCache, encode_texts
from expertmatch.matching.weights import (
    FusionWeights,
    calibrate_by_group,
    normalise,
    weights_for_model,
)

__all__ = ["CaseScores", "Matcher", "RankResult", "RankedExpert"]

CHANNELS = ("dense", "lexical", "structured")
_CJK_TEXT = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")
_SPACES = re.compile(r"\s+")


@dataclass
class RankedExpert:
    """One ranked expert: the calibrated fit, its band, the evidence behind it, and why.

    ``fit`` (0-1) estimates how likely a senior coordinator would judge this expert a good fit
    for the case; it means the same in every case (no per-case normalisation). ``band`` is
    ``strong`` (fit >= 0.60), ``good`` (>= 0.35) or ``weak``. ``score`` is the fit (kept under
    its old name for callers that sort by it). ``evidence`` lists the pieces of evidence in
    readable units (see :meth:`Matcher.evidence`).
    """

    expert_id: str
    score: float
    channels: dict[str, float | None]
    explanation: dict[str, Any] | None = None
    fit: float = 0.0
    band: str = "weak"
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, *, explain: bool = True) -> dict[str, Any]:
        """JSON form; the explanation is included when present and asked for."""
        out: dict[str, Any] = {
            "expert_id": self.expert_id,
            "score": self.score,
            "fit": self.fit,
            "band": self.band,
            "evidence": self.evidence,
        }
        if explain and self.explanation is not None:
            out["explanation"] = self.explanation
        return out


@dataclass
class RankResult:
    """The ranking of one case: best first, ties by expert id, and who was excluded why."""

    case_id: str
    ranking: list[RankedExpert]
    excluded: list[Exclusion]
    degraded: bool = False
    model: str | None = None
    best_fit: float | None = None

    @property
    def no_strong_match(self) -> bool:
        """Whether no eligible expert reaches the ``strong`` band (fit >= 0.60)."""
        return self.best_fit is None or self.best_fit < STRONG

    def to_dict(self, *, explain: bool = True) -> dict[str, Any]:
        """The JSON line the CLI writes."""
        out: dict[str, Any] = {
            "case_id": self.case_id,
            "best_fit": None if self.best_fit is None else round(self.best_fit, 6),
            "no_strong_match": self.no_strong_match,
            "ranking": [r.to_dict(explain=explain) for r in self.ranking],
            "excluded": [e.to_dict() for e in self.excluded],
        }
        if self.degraded:
            out["degraded"] = True
        return out


@dataclass
class CaseScores:
    """Per-slot channel scores of one case before fusion (tuning re-fuses these cheaply)."""

    case: CaseDoc
    slot_ids: list[str | None]
    eligible: np.ndarray
    dense: np.ndarray | None
    lexical: np.ndarray
    structured: np.ndarray
    components: dict[str, np.ndarray | None]
    exclusions: list[Exclusion]
    row_cosines: np.ndarray | None
    row_lexical: np.ndarray
    query_tokens: list[str]
    degraded: bool
    written_zh: np.ndarray | None = None
    features: dict[str, np.ndarray] = field(default_factory=dict)
    fit: np.ndarray | None = None
    ml_pair: np.ndarray | None = None
    _normalised: dict[tuple[str, str], dict[str, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    def normalised(self, weights: FusionWeights) -> dict[str, np.ndarray]:
        """Channel scores calibrated and normalised over eligible experts (cached per method).

        With ``weights.calibration == "language"`` the text channels are first standardised per
        written language of the experts (:func:`calibrate_by_group`); the structured channel
        compares codes, not words, and needs no calibration.
        """
        key = (weights.normalisation, weights.calibration)
        cached = self._normalised.get(key)
        if cached is None:
            method = weights.normalisation
            calibrate = weights.calibration == "language" and self.written_zh is not None

            def text_channel(values: np.ndarray) -> np.ndarray:
                if calibrate:
                    values = calibrate_by_group(values, self.eligible, self.written_zh)
                return normalise(values, self.eligible, method)

            cached = {
                "lexical": text_channel(self.lexical),
                "structured": normalise(self.structured, self.eligible, method),
            }
            if self.dense is not None:
                cached["dense"] = text_channel(self.dense)
            self._normalised[key] = cached
        return cached

    def fused(self, weights: FusionWeights) -> np.ndarray:
        """Fused score per slot; ``-inf`` for slots that are not eligible."""
        norm = self.normalised(weights)
        w = weights.channel_weights(dense_available=self.dense is not None)
        total = np.zeros(len(self.eligible), dtype=np.float32)
        for name in CHANNELS:
            if w[name] > 0 and name in norm:
                total += np.float32(w[name]) * norm[name]
        return np.where(self.eligible, total, -np.inf).astype(np.float32)

    def order(
        self, weights: FusionWeights | None = None, top_k: int = 0
    ) -> list[tuple[str, float]]:
        """``(expert_id, score)`` best first; equal (rounded) scores by expert id.

        Without ``weights`` the score is the calibrated fit; with them, the old per-case
        normalised fusion (kept for ``expertmatch tune`` comparisons only).
        """
        if weights is None and self.fit is not None:
            fused = np.where(self.eligible, self.fit, -np.inf)
        else:
            fused = self.fused(weights or FusionWeights())
        return _top(fused, self.slot_ids, top_k)

    def best_fit(self) -> float | None:
        """The highest fit among eligible experts (``None`` when nobody is eligible)."""
        if self.fit is None or not self.eligible.any():
            return None
        return float(self.fit[self.eligible].max())


def _top(fused: np.ndarray, slot_ids: Sequence[str | None], top_k: int) -> list[tuple[str, float]]:
    """Deterministic top-k: scores rounded to 6 decimals, ties broken by id, no full sort."""
    eligible = np.flatnonzero(np.isfinite(fused))
    if len(eligible) == 0:
        return []
    rounded = np.round(fused[eligible].astype(np.float64), 6)
    if 0 < top_k < len(eligible):
        kth = np.partition(rounded, len(rounded) - top_k)[len(rounded) - top_k]
        keep = rounded >= kth  # everything tied with the k-th stays in the race
        eligible, rounded = eligible[keep], rounded[keep]
    items = sorted(
        (
            (str(slot_ids[s]), float(r))
            for s, r in zip(eligible.tolist(), rounded.tolist(), strict=True)
        ),
        key=lambda item: (-item[1], item[0]),
    )
    return items[:top_k] if top_k > 0 else items


class Matcher:
    """Ranks experts for cases; holds the indexes of all experts of one process.

    ``encoder`` may be ``None``: then vectors must come with :meth:`upsert` and queries with
    ``rank(query_vector=...)``, or ranking is degraded (no dense channel). Thread-safe: one lock
    serialises updates and rankings, which are both short.
    """

    def __init__(
        self,
        encoder: Encoder | None = None,
        *,
        multilingual_encoder: Encoder | None = None,
        fit_model: FitModel | None = None,
        weights: FusionWeights | None = None,
        resolver: EntityResolver | None = None,
        common_parties: CommonParties | None = None,
        glossary: Glossary | None = None,
        tokenizer: Tokenizer | None = None,
    ) -> None:
        self.encoder = encoder
        # Pairs where either side is Chinese use the multilingual encoder (MiniLM cannot read
        # Chinese); without a separate one, the main encoder serves every pair.
        self.ml_encoder = multilingual_encoder
        self.fit_model = fit_model if fit_model is not None else load_fit_model()
        # Each backend has its own tuned weights (its scores differ in spread and quality).
        self.weights = weights or weights_for_model(encoder.name if encoder else None)
        self.glossary = glossary if glossary is not None else Glossary()
        self.tokenizer = tokenizer or Tokenizer()
        self.common_parties = common_parties or CommonParties()
        self.index = ExpertIndex(encoder.dim if encoder is not None else None)
        # Same slots and rows as ``index`` (every update goes to both in the same order).
        self.ml_index = (
            ExpertIndex(multilingual_encoder.dim) if multilingual_encoder is not None else None
        )
        self.lexical = LexicalIndex()
        self.structured = StructuredTable()
        self.conflicts = ConflictIndex(resolver or EntityResolver())
        self._experts: dict[str, ExpertDoc] = {}
        self._lock = threading.RLock()

    # -- properties ----------------------------------------------------------------------------

    @property
    def model_name(self) -> str | None:
        """Name of the encoder whose vectors this matcher expects (``None`` without one)."""
        return self.encoder.name if self.encoder is not None else None

    @property
    def model_names(self) -> list[str]:
        """Names of every encoder whose vectors this matcher uses (main first)."""
        return [e.name for e in (self.encoder, self.ml_encoder) if e is not None]

    @property
    def resolver(self) -> EntityResolver:
        """The alias/parent table conflicts are resolved with."""
        return self.conflicts.resolver

    def __len__(self) -> int:
        return len(self._experts)

    def __contains__(self, expert_id: object) -> bool:
        return expert_id in self._experts

    def expert(self, expert_id: str) -> ExpertDoc | None:
        """The indexed document of an expert."""
        return self._experts.get(expert_id)

    def experts(self) -> list[ExpertDoc]:
        """All indexed experts, by id."""
        return [self._experts[k] for k in sorted(self._experts)]

    # -- updates -------------------------------------------------------------------------------

    def upsert(
        self,
        expert: ExpertDoc,
        vectors: Mapping[str, np.ndarray] | None = None,
        *,
        texts: Sequence[ExpertText] | None = None,
        ml_vectors: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Add or replace one expert. ``vectors`` maps text keys to vectors (missing keys are
        indexed for the lexical channel only); ``ml_vectors`` the same for the multilingual
        encoder. ``texts`` may be passed when already computed.
        """
        texts = list(texts) if texts is not None else texts_for_expert(expert)
        with self._lock:
            if vectors:
                first = next(iter(vectors.values()))
                self.index.ensure_dim(int(np.asarray(first).reshape(-1).shape[0]))
            keys, hashes = [t.key for t in texts], [t.hash for t in texts]
            slot, rows, freed = self.index.upsert(expert.id, keys, vectors, hashes)
            if self.ml_index is not None:
                ml_slot, ml_rows, _ = self.ml_index.upsert(expert.id, keys, ml_vectors, hashes)
                if ml_slot != slot or ml_rows != rows:  # pragma: no cover - invariant
                    raise RuntimeError("multilingual index out of step with the main index")
            for row in freed:
                self.lexical.clear_row(row)
            for t in texts:
                self.lexical.set_row(rows[t.key], self.tokenizer(t.text))
            written = detect_language(" ".join(t.text for t in texts)) == "zh"
            self.structured.set(slot, expert, written_zh=written)
            self.conflicts.set_expert(expert.id, expert.conflicts, expert.firm)
            self._experts[expert.id] = expert

    def set_active_cases(self, expert_id: str, active_cases: int) -> bool:
        """Update an expert's current load without touching texts or vectors.

        Loads change with every assignment; this keeps the capacity rule current in O(1).
        Returns whether the expert is indexed.
        """
        with self._lock:
            expert = self._experts.get(expert_id)
            if expert is None:
                return False
            expert = replace(expert, active_cases=active_cases)
            self._experts[expert_id] = expert
            self.structured.active[self.index.slot_of[expert_id]] = active_cases
            return True

    def vectors_of(self, expert_id: str, *, multilingual: bool = False) -> dict[str, np.ndarray]:
        """The indexed vectors of an expert by text key (copies); ``multilingual`` for those of
        the multilingual encoder."""
        index = self.ml_index if multilingual else self.index
        if index is None:
            return {}
        with self._lock:
            slot = index.slot_of.get(expert_id)
            if slot is None:
                return {}
            return {
                key: index.vectors[row].copy()
                for key, row in index.slot_rows[slot].items()
                if index.has_vector[row]
            }

    def remove(self, expert_id: str) -> bool:
        """Remove an expert from every index; returns whether it was there."""
        with self._lock:
            removed = self.index.remove(expert_id)
            if removed is None:
                return False
            if self.ml_index is not None:
                self.ml_index.remove(expert_id)
            slot, freed = removed
            for row in freed:
                self.lexical.clear_row(row)
            self.structured.clear(slot)
            self.conflicts.remove(expert_id)
            self._experts.pop(expert_id, None)
            return True

    def set_resolver(self, resolver: EntityResolver) -> None:
        """Swap the alias table (e.g. entities.jsonl changed) and re-index conflicts."""
        with self._lock:
            self.conflicts = ConflictIndex(resolver)
            for expert in self._experts.values():
                self.conflicts.set_expert(expert.id, expert.conflicts, expert.firm)

    def compact(self) -> None:
        """Fold pending lexical updates into the base index (call after bulk loading)."""
        with self._lock:
            self.lexical.merge()

    def index_experts(
        self,
        experts: Iterable[ExpertDoc],
        *,
        cache: VectorCache | None = None,
        ml_cache: VectorCache | None = None,
        progress: bool | None = None,
    ) -> int:
        """Encode (only what ``cache`` lacks) and upsert many experts; returns texts encoded.

        Texts are encoded in one large batch, not per expert, so bulk loading runs at the
        model's full throughput.
        """
        experts = list(experts)
        all_texts = [(e, texts_for_expert(e)) for e in experts]
        flat = [t for _, texts in all_texts for t in texts]
        by_hash, encoded = _encode_all(self.encoder, flat, cache, progress)
        ml_by_hash, ml_encoded = _encode_all(self.ml_encoder, flat, ml_cache, progress)
        with self._lock:
            for expert, texts in all_texts:
                vectors = {t.key: by_hash[t.hash] for t in texts if t.hash in by_hash}
                ml_vectors = {t.key: ml_by_hash[t.hash] for t in texts if t.hash in ml_by_hash}
                self.upsert(expert, vectors or None, texts=texts, ml_vectors=ml_vectors or None)
            self.lexical.merge()
        return encoded + ml_encoded

    # -- queries -------------------------------------------------------------------------------

    def query_text(self, case: CaseDoc) -> str:
        """The case text both text channels match with (glossary expansions appended)."""
        base = f"{case.title}\n{case.description}\n{case.forum or ''}"
        return case_query_text(case, expand_terms(base, self.glossary))

    def dense_query_text(self, case: CaseDoc, text: str | None = None) -> str:
        """The text the dense channel encodes for a case.

        An English-only model turns Chinese characters into noise: on the demo labels, encoding
        the full text of Chinese cases gave a dense-only nDCG@10 of 0.19, encoding only their
        English parts (glossary translations, attribute sentences, Latin-script names and
        acronyms) 0.51. A multilingual encoder gets the full text. ``text`` is
        :meth:`query_text` when the caller has it already.
        """
        text = text if text is not None else self.query_text(case)
        if self.encoder is not None and self.encoder.multilingual:
            return text
        latin = _SPACES.sub(" ", _CJK_TEXT.sub(" ", text)).strip()
        return latin if len(latin.split()) >= 8 else text

    def encode_case(self, case: CaseDoc, text: str | None = None) -> np.ndarray | None:
        """The case's query vector, or ``None`` without an encoder."""
        if self.encoder is None:
            return None
        return self.encoder.encode_query(self.dense_query_text(case, text))

    def encode_case_multilingual(self, case: CaseDoc, text: str | None = None) -> np.ndarray | None:
        """The case's query vector for the multilingual encoder (``None`` without one)."""
        if self.ml_encoder is None:
            return None
        return self.ml_encoder.encode_query(text if text is not None else self.query_text(case))

    def score_case(
        self,
        case: CaseDoc,
        *,
        query_vector: np.ndarray | None = None,
        ml_query_vector: np.ndarray | None = None,
        today: dt.date | None = None,
        use_dense: bool = True,
    ) -> CaseScores:
        """Apply the hard rules, compute every channel and the fit for every expert.

        Text pairs are routed by language: an English case and an English-written expert are
        compared with the main encoder; when either side is Chinese, with the multilingual
        encoder (if the matcher has one). Query vectors are encoded only for the routes used.
        """
        day = case.reference_date or today or dt.date.today()
        text = self.query_text(case)
        tokens = self.tokenizer(text)
        k = self.weights.texts_per_expert
        case_zh = case.language == "zh"
        with self._lock:
            index = self.index
            n_slots = index.n_slots
            slot_ids = list(index.slot_ids)
            groups = index.group_view()
            written_zh = self.structured.written_zh[:n_slots].copy()
            used = self.structured.used[:n_slots]
            ml_pair = np.full(n_slots, case_zh, dtype=bool) | written_zh
            ml_index = self.ml_index
            # Slots routed to the multilingual index (None: one encoder serves every pair).
            ml_route = ml_pair if ml_index is not None else None
            need_main = ml_route is None or bool((~ml_route & used).any())
            need_ml = ml_route is not None and bool((ml_route & used).any())
            main_cos = ml_cos = None
            if use_dense and need_main and index.dim and index.has_vector[: index.n_rows].any():
                if query_vector is None and self.encoder is not None:
                    query_vector = self.encode_case(case, text)
                if query_vector is not None:
                    main_cos = index.cosines(query_vector)
            if use_dense and need_ml and ml_index.has_vector[: ml_index.n_rows].any():
                if ml_query_vector is None:
                    ml_query_vector = self.encode_case_multilingual(case, text)
                if ml_query_vector is not None:
                    ml_cos = ml_index.cosines(ml_query_vector)
            dense = dense_best = row_cos = None
            if main_cos is not None and ml_cos is not None:
                # Each row's cosine from its own route (explanations show it).
                row_route = ml_route[np.maximum(index.row_slot[: index.n_rows], 0)]
                row_cos = np.where(row_route, ml_cos, main_cos)
            else:
                row_cos = main_cos if main_cos is not None else ml_cos
            if row_cos is not None:
                dense, dense_best = grouped_topk_stats(row_cos, groups, k)
            row_lex = self.lexical.scores(tokens, index.n_rows)
            lex_rows = row_lex.copy()
            lex_rows[index.row_slot[: index.n_rows] < 0] = -np.inf
            lex_mean, lex_best = grouped_topk_stats(lex_rows, groups, k)
            lexical = np.nan_to_num(lex_mean, nan=0.0)
            ceiling = self.lexical.ceiling(tokens)
            struct = self.structured.scores(case, n_slots)
            structured = struct.combined(self.weights.structured_components)

            features: dict[str, np.ndarray] = {}
            scale = 1.0 / ceiling if ceiling > 0 else 0.0
            text_values = {
                "lexical_mean": np.nan_to_num(lex_mean * scale, nan=0.0),
                "lexical_best": np.nan_to_num(lex_best * scale, nan=0.0),
            }
            if dense is not None:
                text_values["dense_mean"] = np.nan_to_num(dense, nan=0.0)
                text_values["dense_best"] = np.nan_to_num(dense_best, nan=0.0)
            for name, values in text_values.items():
                features[f"en_{name}"] = np.where(ml_pair, 0.0, values).astype(np.float32)
                features[f"ml_{name}"] = np.where(ml_pair, values, 0.0).astype(np.float32)
            confidence = case.field_confidence or {}
            for name in STRUCTURED_FEATURES:
                comp = struct.components.get(name)
                if comp is None:
                    continue
                conf = field_confidence(confidence, name)
                features[name] = ((comp - 0.5) * conf).astype(np.float32)
            features["ml_pair"] = ml_pair.astype(np.float32)
            features["zh_pair"] = (written_zh & case_zh).astype(np.float32)
            fit = self.fit_model.predict(features, n_slots).astype(np.float32)

            eligible = self.structured.used[:n_slots].copy()
            exclusions: dict[str, Exclusion] = conflict_exclusions(
                case, self.conflicts, self.common_parties, day
            )
            unavailable, absent, full = self.structured.availability(day, n_slots)
            for mask, code in (
                (unavailable, "unavailable"),
                (absent, "absent"),
                (full, "at_capacity"),
            ):
                for slot in np.flatnonzero(mask & eligible).tolist():
                    expert_id = slot_ids[slot]
                    if expert_id is None or expert_id in exclusions:
                        continue
                    expert = self._experts[expert_id]
                    params: dict[str, Any] = {}
                    if code == "absent" and expert.absent_until:
                        params = {"until": expert.absent_until.isoformat()}
                    elif code == "at_capacity":
                        params = {"active": expert.active_cases, "capacity": expert.capacity}
                    exclusions[expert_id] = Exclusion(expert_id, code, params)
            for expert_id in exclusions:
                slot = index.slot_of.get(expert_id)
                if slot is not None:
                    eligible[slot] = False
        return CaseScores(
            case=case,
            slot_ids=slot_ids,
            eligible=eligible,
            dense=dense,
            lexical=lexical,
            structured=structured,
            components=struct.components,
            exclusions=sorted(exclusions.values(), key=lambda e: e.expert_id),
            row_cosines=row_cos,
            row_lexical=row_lex,
            query_tokens=tokens,
            degraded=dense is None,
            written_zh=written_zh,
            features=features,
            fit=fit,
            ml_pair=ml_pair,
        )

    def rank(
        self,
        case: CaseDoc,
        top_k: int = 10,
        explain: bool = False,
        *,
        query_vector: np.ndarray | None = None,
        ml_query_vector: np.ndarray | None = None,
        today: dt.date | None = None,
        weights: FusionWeights | None = None,
    ) -> RankResult:
        """Rank the eligible experts for ``case`` by calibrated fit; ``top_k=0``: all of them.

        ``today`` (default: the real date) is the day availability and conflict until-dates are
        judged on, unless the case carries its own ``reference_date``. ``weights`` switches to
        the old per-case normalised fusion (for comparisons by ``expertmatch tune`` only).
        """
        scores = self.score_case(
            case, query_vector=query_vector, ml_query_vector=ml_query_vector, today=today
        )
        order = scores.order(weights, top_k)
        ranking = []
        for expert_id, score in order:
            slot = self.index.slot_of[expert_id]
            channels: dict[str, float | None] = {
                "dense": _f(scores.dense[slot]) if scores.dense is not None else None,
                "lexical": _f(scores.lexical[slot]),
                "structured": _f(scores.structured[slot]),
            }
            fit = float(scores.fit[slot]) if scores.fit is not None else score
            ranked = RankedExpert(
                expert_id,
                score,
                channels,
                fit=round(fit, 6),
                band=band_of(fit),
                evidence=self.evidence(scores, slot),
            )
            if explain:
                ranked.explanation = self._explain(scores, slot, expert_id, channels)
            ranking.append(ranked)
        return RankResult(
            case_id=case.id,
            ranking=ranking,
            excluded=scores.exclusions,
            degraded=scores.degraded,
            model=self.model_name if not scores.degraded else None,
            best_fit=scores.best_fit(),
        )

    def evidence(self, scores: CaseScores, slot: int) -> list[dict[str, Any]]:
        """The evidence behind one expert's fit, in readable units.

        One item per piece of evidence the case informs: ``kind`` (``text``, ``keywords``, a
        structured feature, ``language_pair``), its ``value`` (a cosine, a share of the case's
        weighted key terms, or a match degree 0-1), and ``points``: how many percentage points
        of fit it adds (or, negative, removes) against leaving it out.
        """
        model = self.fit_model
        feats = {name: float(values[slot]) for name, values in scores.features.items()}
        z = float(model.logit({k: np.array([v]) for k, v in feats.items()}, 1)[0])
        fit = 1.0 / (1.0 + math.exp(-z))

        def points(names: Sequence[str]) -> float:
            delta = sum(model.coef(n) * feats.get(n, 0.0) for n in names)
            return round(100.0 * (fit - 1.0 / (1.0 + math.exp(-(z - delta)))), 1)

        route = "ml" if scores.ml_pair is not None and scores.ml_pair[slot] else "en"
        items: list[dict[str, Any]] = []
        if scores.dense is not None:
            encoder = self.ml_encoder if route == "ml" and self.ml_encoder else self.encoder
            items.append(
                {
                    "kind": "text",
                    "encoder": encoder.name if encoder is not None else None,
                    "value": round(feats.get(f"{route}_dense_best", 0.0), 4),
                    "mean_best": round(feats.get(f"{route}_dense_mean", 0.0), 4),
                    "points": points((f"{route}_dense_best", f"{route}_dense_mean")),
                }
            )
        items.append(
            {
                "kind": "keywords",
                "value": round(feats.get(f"{route}_lexical_best", 0.0), 4),
                "mean_best": round(feats.get(f"{route}_lexical_mean", 0.0), 4),
                "points": points((f"{route}_lexical_best", f"{route}_lexical_mean")),
            }
        )
        for name in STRUCTURED_FEATURES:
            comp = scores.components.get(name)
            if comp is None or name not in feats:
                continue
            item: dict[str, Any] = {
                "kind": name,
                "value": round(float(comp[slot]), 3),
                "points": points((name,)),
            }
            conf = field_confidence(scores.case.field_confidence or {}, name)
            if conf < 1.0:
                item["confidence"] = round(conf, 2)
            items.append(item)
        case_lang = "zh" if scores.case.language == "zh" else "en"
        expert_lang = "zh" if scores.written_zh is not None and scores.written_zh[slot] else "en"
        items.append(
            {
                "kind": "language_pair",
                "value": f"{case_lang}-{expert_lang}",
                "points": points(("ml_pair", "zh_pair")),
            }
        )
        return items

    # -- explanations --------------------------------------------------------------------------

    def _explain(
        self,
        scores: CaseScores,
        slot: int,
        expert_id: str,
        channels: dict[str, float | None],
    ) -> dict[str, Any]:
        expert = self._experts[expert_id]
        rows = self.index.slot_rows[slot]
        texts = {t.key: t for t in texts_for_expert(expert)}
        best_text: dict[str, Any] | None = None
        if scores.row_cosines is not None:
            candidates = [(key, row) for key, row in rows.items() if self.index.has_vector[row]]
            if candidates:
                key, row = max(candidates, key=lambda kr: (scores.row_cosines[kr[1]], kr[0]))
                best_text = {
                    "key": key,
                    "title": texts[key].title if key in texts else key,
                    "cosine": _f(scores.row_cosines[row]),
                }
        if best_text is None and rows:
            key, row = max(rows.items(), key=lambda kr: (scores.row_lexical[kr[1]], kr[0]))
            best_text = {
                "key": key,
                "title": texts[key].title if key in texts else key,
                "bm25": _f(scores.row_lexical[row]),
            }
        term_weights: dict[str, float] = {}
        for t in texts.values():
            for term, w in self.lexical.term_weights(
                scores.query_tokens, self.tokenizer(t.text)
            ).items():
                term_weights[term] = term_weights.get(term, 0.0) + w
        shared = display_terms(term_weights, [t.text for t in texts.values()])
        components = {
            name: _f(values[slot])
            for name, values in scores.components.items()
            if values is not None
        }
        return {
            "best_text": best_text,
            "matched": matched_attributes(expert, scores.case),
            "shared_terms": shared,
            "channels": channels,
            "features": {name: _f(v[slot]) for name, v in sorted(scores.features.items())},
            "structured_components": components,
        }


def _encode_all(
    encoder: Encoder | None,
    texts: Sequence[ExpertText],
    cache: VectorCache | None,
    progress: bool | None,
) -> tuple[dict[str, np.ndarray], int]:
    """Vectors of ``texts`` by hash for one encoder (only what ``cache`` lacks is encoded)."""
    if encoder is None:
        return {}, 0
    if cache is not None:
        before = cache.encoded
        by_hash = cache.vectors_for(encoder, texts, progress=progress)
        return by_hash, cache.encoded - before
    unique = {t.hash: t.text for t in texts}
    matrix = encode_texts(encoder, list(unique.values()), progress=progress)
    return dict(zip(unique, matrix, strict=True)), len(unique)


def _f(value: Any) -> float | None:
    """A JSON-safe float rounded to 4 decimals (``None`` for NaN)."""
    value = float(value)
    if not np.isfinite(value):
        return None
    return round(value, 4)
