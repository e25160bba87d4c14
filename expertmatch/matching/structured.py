"""Structured fit: how well an expert's recorded attributes fit a case, vectorised over experts.

Components, each in [0, 1] per expert:

* **dispute** — the case's dispute type among the expert's types (1), or a related type
  (:data:`DISPUTE_RELATED`, e.g. SEP/FRAND ~ patent infringement 0.6);
* **jurisdiction** — for each case jurisdiction, the best relation to any of the expert's
  jurisdictions, averaged over the case's jurisdictions (see :func:`jurisdiction_relation`);
* **matters** — evidence from past matters: each matter adds
  ``jurisdiction relation x dispute relation``, saturating as ``1 - exp(-sum)``;
* **industry** — the case's industry among the expert's (1 or 0);
* **language** — the share of the case's languages the expert speaks;
* **experience** — ``1 - exp(-years / 8)``: 5 years 0.46, 10 years 0.71, 20 years 0.92.

*Missing fields are neutral*: a component the case does not inform (no dispute type, no
jurisdiction, ...) is left out of the weighted mean for everybody; an expert who does not
record the attribute gets :data:`NEUTRAL` (0.5) for it, between a match and a mismatch. An
expert with no matters gets :data:`NEUTRAL_MATTERS` (0.3), less than one fitting matter.

Jurisdictions: forums relate to countries. The UPC is a court of its member states (0.6 to
each, both ways); the EPO grants patents for all EPC states (0.4), and relates to the UPC (0.5);
EUIPO/EU relate to EU member states (0.4/0.5) and to each other (0.8); the USITC is a US forum
(0.7 with US), whose Section 337 practice is done by US trade and patent litigators. A case
``forum`` written in words ("Regional Court Munich I", "N.D. Ill.") adds the jurisdiction it
names (:func:`forum_jurisdictions`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from expertmatch.matching.documents import CaseDoc, ExpertDoc, Matter

__all__ = [
    "COMPONENTS",
    "DISPUTE_RELATED",
    "NEUTRAL",
    "NEUTRAL_MATTERS",
    "StructuredTable",
    "dispute_relation",
    "forum_jurisdictions",
    "jurisdiction_relation",
]

COMPONENTS = ("dispute", "jurisdiction", "matters", "industry", "language", "experience")
NEUTRAL = 0.5
NEUTRAL_MATTERS = 0.3

DISPUTE_RELATED: dict[frozenset[str], float] = {
    frozenset(pair): weight
    for pair, weight in (
        (("sep_frand", "patent_infringement"), 0.6),
        (("sep_frand", "licensing_arbitration"), 0.6),
        (("sep_frand", "itc337"), 0.3),
        (("patent_infringement", "itc337"), 0.6),
        (("patent_infringement", "customs"), 0.3),
        (("patent_infringement", "licensing_arbitration"), 0.3),
        (("patent_infringement", "trade_secret"), 0.2),
        (("itc337", "trade_secret"), 0.4),
        (("itc337", "customs"), 0.4),
        (("trademark", "ecommerce"), 0.6),
        (("trademark", "customs"), 0.5),
        (("trademark", "copyright"), 0.4),
        (("ecommerce", "customs"), 0.4),
        (("ecommerce", "copyright"), 0.5),
        (("trade_secret", "licensing_arbitration"), 0.2),
    )
}

UPC_STATES = frozenset("AT BE BG DE DK EE FI FR IT LT LU LV MT NL PT RO SE SI".split())
EU_STATES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)
EPC_STATES = EU_STATES | frozenset("AL CH GB IS LI MC ME MK NO RS SM TR".split())


def dispute_relation(a: str, b: str) -> float:
    """1 for the same dispute type, the related weight, else 0."""
    if a == b:
        return 1.0
    return DISPUTE_RELATED.get(frozenset((a, b)), 0.0)


def _directed(a: str, b: str) -> float:
    if a == "UPC" and b in UPC_STATES:
        return 0.6
    if a == "EPO":
        if b == "UPC":
            return 0.5
        if b in EPC_STATES:
            return 0.4
    if a == "EUIPO":
        if b == "EU":
            return 0.8
        if b in EU_STATES:
            return 0.4
    if a == "EU" and b in EU_STATES:
        return 0.5
    if a == "USITC" and b == "US":
        return 0.7
    return 0.0


def jurisdiction_relation(a: str, b: str) -> float:
    """How far experience in jurisdiction ``b`` serves a case in ``a`` (symmetric, in [0, 1])."""
    if a == b:
        return 1.0
    return max(_directed(a, b), _directed(b, a))


_FORUM_HINTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), code)
    for pattern, code in (
        (r"\bunified patent court\b|\bupc\b|统一专利法院", "UPC"),
        (
            r"munich|münchen|mannheim|düsseldorf|dusseldorf|hamburg|karlsruhe|"
            r"bundesgerichtshof|landgericht|oberlandesgericht|慕尼黑|曼海姆|杜塞尔多夫",
            "DE",
        ),
        (r"\b(?:us )?itc\b|international trade commission|section 337|337调查", "USITC"),
        (
            r"\b[nsewcm]\.?\s?d\.\s?[a-z]{2,5}\.?|district court|federal circuit|"
            r"\bcbp\b|美国",
            "US",
        ),
        (r"\bepo\b|european patent office|欧洲专利局", "EPO"),
        (r"\beuipo\b", "EUIPO"),
        (r"high court|patents court|london|英国", "GB"),
        (r"\bparis\b|tribunal judiciaire|法国", "FR"),
        (r"the hague|\bden haag\b|荷兰", "NL"),
        (r"\bmilan|milano|意大利", "IT"),
        (r"são paulo|sao paulo|rio de janeiro|inpi brazil|巴西", "BR"),
        (r"\bimpi\b|mexico|méxico|墨西哥", "MX"),
        (r"\budrp\b|\bwipo\b", "WIPO"),
    )
)


def forum_jurisdictions(forum: str | None) -> tuple[str, ...]:
    """Jurisdiction codes a forum written in words names ("Regional Court Munich I" -> DE)."""
    if not forum:
        return ()
    return tuple(code for pattern, code in _FORUM_HINTS if pattern.search(forum))


def case_jurisdictions(case: CaseDoc) -> tuple[str, ...]:
    """The case's jurisdictions plus those its forum names, deduplicated in order."""
    return tuple(dict.fromkeys((*case.jurisdictions, *forum_jurisdictions(case.forum))))


def case_languages(case: CaseDoc) -> tuple[str, ...]:
    """The languages the case asks for, its own language included."""
    return tuple(dict.fromkeys((*case.languages, *([case.lang] if case.lang else []))))


def component_confidence(case: CaseDoc) -> dict[str, float]:
    """Confidence of each component whose case field was inferred (``case.field_confidence``)."""
    conf = case.field_confidence
    if not conf:
        return {}
    jur_fields = [f for f in ("jurisdictions", "forum") if f in conf]
    out: dict[str, float] = {}
    if "dispute_type" in conf:
        out["dispute"] = conf["dispute_type"]
    if jur_fields and not (case.jurisdictions and "jurisdictions" not in conf):
        out["jurisdiction"] = max(conf[f] for f in jur_fields)
    if "dispute" in out or "jurisdiction" in out:
        out["matters"] = min(out.get("dispute", 1.0), out.get("jurisdiction", 1.0))
    if "industry" in conf:
        out["industry"] = conf["industry"]
    if "languages" in conf:
        out["language"] = conf["languages"]
    return out


class _Codebook:
    """Code -> column index, growing as new codes appear."""

    def __init__(self, codes: Iterable[str] = ()) -> None:
        self.index: dict[str, int] = {}
        self.codes: list[str] = []
        for code in codes:
            self.add(code)

    def add(self, code: str) -> int:
        col = self.index.get(code)
        if col is None:
            col = len(self.codes)
            self.index[code] = col
            self.codes.append(code)
        return col


@dataclass
class StructuredScores:
    """Per-slot component scores of one case (``None``: the case does not inform it)."""

    components: dict[str, np.ndarray | None]
    # Confidence (0-1) of components informed by fields inferred from the case's text: their
    # evidence counts in proportion to it (a component not listed counts fully).
    confidence: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def combined(self, weights: Mapping[str, float]) -> np.ndarray:
        """Weighted mean over the informed components; all-uninformed gives zeros."""
        total = None
        weight_sum = 0.0
        for name, values in self.components.items():
            w = float(weights.get(name, 0.0))
            if values is None or w <= 0:
                continue
            values = values * np.float32(self.confidence.get(name, 1.0))
            total = values * w if total is None else total + values * w
            weight_sum += w
        if total is None:
            size = next((len(v) for v in self.components.values() if v is not None), 0)
            return np.zeros(size, dtype=np.float32)
        return (total / weight_sum).astype(np.float32)


class StructuredTable:
    """Per-slot attribute arrays, kept in step with :class:`ExpertIndex` slots.

    Multi-valued attributes are boolean matrices (slot x code); matters are a padded
    ``(slot, matter)`` array of jurisdiction and dispute-type code indices. All updates are in
    place and cost O(one expert).
    """

    _PAD = 0  # matter code meaning "no matter here"
    _MISSING = 1  # matter code meaning "matter without this attribute"

    def __init__(self) -> None:
        self.disputes = _Codebook()
        self.jurisdictions = _Codebook()
        self.industries = _Codebook()
        self.languages = _Codebook()
        cap = 16
        self.dispute_m = np.zeros((cap, 16), dtype=bool)
        self.jur_m = np.zeros((cap, 64), dtype=bool)
        self.ind_m = np.zeros((cap, 16), dtype=bool)
        self.lang_m = np.zeros((cap, 32), dtype=bool)
        self.years = np.full(cap, np.nan, dtype=np.float32)
        self.experience = np.full(cap, NEUTRAL, dtype=np.float32)
        self.has_dispute = np.zeros(cap, dtype=bool)
        self.has_jur = np.zeros(cap, dtype=bool)
        self.has_ind = np.zeros(cap, dtype=bool)
        self.has_lang = np.zeros(cap, dtype=bool)
        self.has_matters = np.zeros(cap, dtype=bool)
        self.matter_jur = np.zeros((cap, 1), dtype=np.int32)
        self.matter_dt = np.zeros((cap, 1), dtype=np.int32)
        # Hard-rule inputs, vectorised too.
        self.available = np.ones(cap, dtype=bool)
        self.absent_until = np.zeros(cap, dtype=np.int64)  # date ordinal; 0 = not absent
        self.capacity = np.full(cap, -1, dtype=np.int32)  # -1 = no limit recorded
        self.active = np.zeros(cap, dtype=np.int32)
        self.used = np.zeros(cap, dtype=bool)
        # The script the expert's texts are written in (1 = Chinese): text-channel scores are
        # calibrated per group, because similarities are not comparable across languages.
        self.written_zh = np.zeros(cap, dtype=bool)

    # -- storage -------------------------------------------------------------------------------

    def _ensure(self, slot: int) -> None:
        cap = len(self.years)
        if slot < cap:
            return
        new = max(slot + 1, int(cap * 1.5))
        for name in ("dispute_m", "jur_m", "ind_m", "lang_m", "matter_jur", "matter_dt"):
            arr = getattr(self, name)
            grown = np.zeros((new, arr.shape[1]), dtype=arr.dtype)
            grown[:cap] = arr
            setattr(self, name, grown)
        for name, fill in (
            ("years", np.nan),
            ("experience", NEUTRAL),
            ("has_dispute", False),
            ("has_jur", False),
            ("has_ind", False),
            ("has_lang", False),
            ("has_matters", False),
            ("available", True),
            ("absent_until", 0),
            ("capacity", -1),
            ("active", 0),
            ("used", False),
            ("written_zh", False),
        ):
            arr = getattr(self, name)
            grown = np.full(new, fill, dtype=arr.dtype)
            grown[:cap] = arr
            setattr(self, name, grown)

    def _wide(self, matrix_name: str, width: int) -> np.ndarray:
        """The matrix, grown to at least ``width`` columns (code books only ever grow)."""
        matrix = getattr(self, matrix_name)
        if width > matrix.shape[1]:
            grown = np.zeros((matrix.shape[0], max(width, matrix.shape[1] * 2)), dtype=bool)
            grown[:, : matrix.shape[1]] = matrix
            matrix = grown
            setattr(self, matrix_name, matrix)
        return matrix

    def _set_codes(
        self, matrix_name: str, book: _Codebook, slot: int, codes: Iterable[str]
    ) -> None:
        cols = [book.add(c) for c in codes]
        matrix = self._wide(matrix_name, len(book.codes))
        matrix[slot] = False
        matrix[slot, cols] = True

    def set(self, slot: int, expert: ExpertDoc, *, written_zh: bool = False) -> None:
        """Store one expert's attributes in its slot (``written_zh``: texts are in Chinese)."""
        self._ensure(slot)
        self.written_zh[slot] = written_zh
        self._set_codes("ind_m", self.industries, slot, expert.industries)
        self._set_codes("lang_m", self.languages, slot, expert.languages)
        years = expert.years_experience
        self.years[slot] = np.nan if years is None else years
        self.experience[slot] = NEUTRAL if years is None else 1.0 - np.exp(-years / 8.0)
        self.has_dispute[slot] = bool(expert.dispute_types)
        self.has_jur[slot] = bool(expert.jurisdictions)
        self.has_ind[slot] = bool(expert.industries)
        self.has_lang[slot] = bool(expert.languages)
        n = len(expert.matters)
        self.has_matters[slot] = n > 0
        if n > self.matter_jur.shape[1]:
            for name in ("matter_jur", "matter_dt"):
                arr = getattr(self, name)
                grown = np.zeros((arr.shape[0], n), dtype=np.int32)
                grown[:, : arr.shape[1]] = arr
                setattr(self, name, grown)
        self.matter_jur[slot] = self._PAD
        self.matter_dt[slot] = self._PAD
        for i, matter in enumerate(expert.matters):
            self.matter_jur[slot, i] = (
                self.jurisdictions.add(matter.jurisdiction) + 2
                if matter.jurisdiction
                else self._MISSING
            )
            self.matter_dt[slot, i] = (
                self.disputes.add(matter.dispute_type) + 2 if matter.dispute_type else self._MISSING
            )
        self._set_codes("dispute_m", self.disputes, slot, expert.dispute_types)
        self._set_codes("jur_m", self.jurisdictions, slot, expert.jurisdictions)
        self.available[slot] = expert.available
        self.absent_until[slot] = expert.absent_until.toordinal() if expert.absent_until else 0
        self.capacity[slot] = -1 if expert.capacity is None else expert.capacity
        self.active[slot] = expert.active_cases
        self.used[slot] = True

    def clear(self, slot: int) -> None:
        """Forget a removed expert's slot."""
        if slot >= len(self.years):
            return
        for name in ("dispute_m", "jur_m", "ind_m", "lang_m"):
            getattr(self, name)[slot] = False
        self.matter_jur[slot] = self._PAD
        self.matter_dt[slot] = self._PAD
        self.years[slot] = np.nan
        self.experience[slot] = NEUTRAL
        for name in ("has_dispute", "has_jur", "has_ind", "has_lang", "has_matters"):
            getattr(self, name)[slot] = False
        self.used[slot] = False
        self.written_zh[slot] = False

    # -- scoring -------------------------------------------------------------------------------

    def _jur_weights(self, case_jurs: tuple[str, ...]) -> np.ndarray:
        """(n_case_jurs, n_codes) relation of each case jurisdiction to each known code."""
        codes = self.jurisdictions.codes
        return np.array(
            [[jurisdiction_relation(c, x) for x in codes] for c in case_jurs], dtype=np.float32
        ).reshape(len(case_jurs), len(codes))

    @staticmethod
    def _best(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Row-wise max of ``matrix * weights``, reading only the columns with weight > 0."""
        cols = np.flatnonzero(weights > 0)
        if len(cols) == 0:
            return np.zeros(matrix.shape[0], dtype=np.float32)
        return (matrix[:, cols] * weights[cols]).max(axis=1).astype(np.float32)

    def scores(self, case: CaseDoc, n_slots: int) -> StructuredScores:
        """Component scores of every slot ``< n_slots`` for ``case``.

        Each component reads only the columns (codes) the case relates to, so the cost grows
        with the number of experts, not with the number of codes in use.
        """
        comps: dict[str, np.ndarray | None] = dict.fromkeys(COMPONENTS)
        if n_slots == 0:
            return StructuredScores({k: np.zeros(0, np.float32) for k in COMPONENTS})
        s = slice(0, n_slots)

        # dispute type
        dt_weights = None
        if case.dispute_type:
            dt_weights = np.array(
                [dispute_relation(case.dispute_type, c) for c in self.disputes.codes],
                dtype=np.float32,
            )
            m = self._wide("dispute_m", len(dt_weights))[s, : len(dt_weights)]
            best = self._best(m, dt_weights)
            comps["dispute"] = np.where(self.has_dispute[s], best, np.float32(NEUTRAL))

        # jurisdictions
        jurs = case_jurisdictions(case)
        jur_best = None
        if jurs:
            weights = self._jur_weights(jurs)  # (J_case, codes)
            m = self._wide("jur_m", weights.shape[1])[s, : weights.shape[1]]
            total = np.zeros(n_slots, dtype=np.float32)
            for w in weights:
                total += self._best(m, w)
            comps["jurisdiction"] = np.where(
                self.has_jur[s], total / len(jurs), np.float32(NEUTRAL)
            ).astype(np.float32)
            jur_best = weights.max(axis=0)  # each code's best relation to any case jurisdiction

        # matters: sum over matters of jurisdiction relation x dispute relation
        if jur_best is not None or dt_weights is not None:
            n_jur, n_dt = len(self.jurisdictions.codes), len(self.disputes.codes)
            jw = np.concatenate(
                ([0.0, NEUTRAL], jur_best if jur_best is not None else np.full(n_jur, NEUTRAL))
            ).astype(np.float32)
            dw = np.concatenate(
                ([0.0, NEUTRAL], dt_weights if dt_weights is not None else np.full(n_dt, NEUTRAL))
            ).astype(np.float32)
            # Matters store code+2 and code books only grow, so indices stay in range.
            evidence = (jw[self.matter_jur[s]] * dw[self.matter_dt[s]]).sum(axis=1)
            comps["matters"] = np.where(
                self.has_matters[s], 1.0 - np.exp(-evidence), NEUTRAL_MATTERS
            ).astype(np.float32)

        # industry
        if case.industry:
            col = self.industries.index.get(case.industry)
            m = self._wide("ind_m", len(self.industries.codes))[s]
            hit = m[:, col] if col is not None else np.zeros(n_slots, dtype=bool)
            comps["industry"] = np.where(self.has_ind[s], hit, NEUTRAL).astype(np.float32)

        # languages
        langs = case_languages(case)
        if langs:
            m = self._wide("lang_m", len(self.languages.codes))[s]
            cols = [self.languages.index[c] for c in langs if c in self.languages.index]
            covered = m[:, cols].sum(axis=1) if cols else np.zeros(n_slots)
            comps["language"] = np.where(self.has_lang[s], covered / len(langs), NEUTRAL).astype(
                np.float32
            )

        # experience does not depend on the case: computed when the expert is stored
        comps["experience"] = self.experience[s]
        return StructuredScores(comps, component_confidence(case))

    def availability(self, day: dt.date, n_slots: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boolean masks (unavailable, absent on ``day``, at full capacity) over slots."""
        s = slice(0, n_slots)
        unavailable = ~self.available[s]
        absent = self.absent_until[s] > day.toordinal()
        cap = self.capacity[s]
        full = (cap >= 0) & (self.active[s] >= cap)
        return unavailable, absent, full


def matched_attributes(expert: ExpertDoc, case: CaseDoc) -> dict[str, object]:
    """What an explanation shows as matched: codes only, the web layer names them."""
    out: dict[str, object] = {}
    if case.dispute_type:
        if case.dispute_type in expert.dispute_types:
            out["dispute_type"] = case.dispute_type
        else:
            related = [
                d for d in expert.dispute_types if dispute_relation(case.dispute_type, d) > 0
            ]
            if related:
                out["related_dispute_types"] = related
    jurs = case_jurisdictions(case)
    if jurs:
        exact = [j for j in expert.jurisdictions if j in jurs]
        related = [
            j
            for j in expert.jurisdictions
            if j not in jurs and max(jurisdiction_relation(c, j) for c in jurs) > 0
        ]
        if exact:
            out["jurisdictions"] = exact
        if related:
            out["related_jurisdictions"] = related
    if case.industry and case.industry in expert.industries:
        out["industry"] = case.industry
    langs = case_languages(case)
    shared = [lang for lang in langs if lang in expert.languages]
    if shared:
        out["languages"] = shared

    def fits(matter: Matter) -> bool:
        if not (jurs or case.dispute_type):
            return False
        if jurs and not (
            matter.jurisdiction and max(jurisdiction_relation(c, matter.jurisdiction) for c in jurs)
        ):
            return False
        return not case.dispute_type or bool(
            matter.dispute_type and dispute_relation(case.dispute_type, matter.dispute_type)
        )

    relevant = [
        {"key": f"matter:{m.key}", "title": m.title, "year": m.year}
        for m in expert.matters
        if fits(m)
    ]
    if relevant:
        out["relevant_matters"] = relevant
    if expert.years_experience is not None:
        out["years_experience"] = expert.years_experience
    return out
