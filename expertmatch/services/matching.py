"""The matching engine inside the web app: documents from the database, vectors
stored once per text and model, one long-lived Matcher per process.

Each process (gunicorn worker) keeps a :class:`~expertmatch.matching.Matcher`
in ``app.extensions``. Before ranking it syncs incrementally: experts whose
``updated_at`` moved since the last sync are reloaded (another worker may have
changed them), removed profiles are dropped, and current loads are applied. No
request reloads the whole pool.

Vectors live in ``text_vectors`` with the model's name and the sha256 of their
text; only texts without a vector for the current model and content are sent
to the model. When the model cannot load, ranking runs on lexical and
structured evidence and says so (``degraded``); loading is retried later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from flask import Flask, current_app
from flask_babel import gettext
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from expertmatch import matching as engine
from expertmatch.extensions import db
from expertmatch.matching.entities import ConflictIndex
from expertmatch.matching.rules import conflict_exclusions
from expertmatch.matching.vectors import encode_texts
from expertmatch.models import (
    DisputeCase,
    Entity,
    ExpertProfile,
    TextVector,
    utcnow,
)
from expertmatch.vocabulary import N_

log = logging.getLogger(__name__)

EXTENSION_KEY = "expertmatch.matching"
MODEL_RETRY_SECONDS = 60

# Why an expert is excluded, in the reader's language (codes from matching.rules).
REASON_TEXTS = {
    "conflict_counterparty": N_(
        "Declared conflict with %(declared)s (%(relation)s): the counterparty %(party)s "
        "or its corporate family."
    ),
    "conflict_counsel": N_("Declared conflict with %(declared)s, counsel for the other side."),
    "firm_is_counsel": N_("The expert's firm %(firm)s represents the counterparty %(party)s."),
    "conflict_enterprise": N_(
        "Declared conflict with %(declared)s (%(relation)s): the enterprise itself "
        "or its corporate family."
    ),
    "unavailable": N_("Marked as not available."),
    "absent": N_("Absent until %(until)s."),
    "at_capacity": N_("At full capacity (%(active)s of %(capacity)s cases)."),
}


def doc_id(expert_id: int) -> str:
    """Zero-padded, so that the engine's tie-break by id follows numeric order."""
    return f"{expert_id:09d}"


def profile_id(expert_doc_id: str) -> int:
    return int(expert_doc_id)


def reason_text(code: str, params: dict[str, Any]) -> str:
    from expertmatch.i18n import code_name

    values = {k: ("" if v is None else str(v)) for k, v in params.items()}
    if values.get("relation"):
        values["relation"] = code_name("relation", values["relation"])
    if code == "absent" and params.get("until"):
        from expertmatch.i18n import _date_filter

        values["until"] = _date_filter(date.fromisoformat(str(params["until"])))
    msgid = REASON_TEXTS.get(code)
    if msgid is None:
        return code
    try:
        return gettext(msgid, **values)
    except (KeyError, ValueError):
        return gettext(msgid.split("%")[0].strip()) or code


# -- documents ------------------------------------------------------------------------------


def expert_doc(profile: ExpertProfile, load: int) -> engine.ExpertDoc:
    """The engine's view of a profile; ``load`` counts every centre's assignments."""
    return engine.ExpertDoc(
        id=doc_id(profile.id),
        name=profile.full_name,
        headline=profile.headline or "",
        bio=profile.bio or "",
        jurisdictions=tuple(profile.jurisdictions or ()),
        languages=tuple(profile.languages or ()),
        dispute_types=tuple(profile.dispute_types or ()),
        industries=tuple(profile.industries or ()),
        years_experience=profile.years_experience,
        capacity=profile.capacity,
        active_cases=load,
        available=profile.availability != "inactive",
        absent_until=profile.absent_until if profile.availability == "absent" else None,
        conflicts=tuple(
            engine.ConflictDecl(entity=c.entity_name, relation=c.relation, until=c.until)
            for c in profile.conflicts
        ),
        matters=tuple(
            engine.Matter(
                key=str(m.id),
                title=m.title or "",
                summary=m.summary or "",
                year=m.year,
                jurisdiction=m.jurisdiction,
                dispute_type=m.dispute_type,
                role=m.role,
            )
            for m in profile.matters
        ),
        profile_language=profile.profile_language,
        firm=profile.firm,
    )


def case_doc(case: DisputeCase, today: date | None = None) -> engine.CaseDoc:
    enterprise = ()
    if case.organisation is not None:
        enterprise = tuple(n for n in (case.organisation.name_en, case.organisation.name_zh) if n)
    return engine.CaseDoc(
        id=str(case.id),
        title=case.title or "",
        description=case.description or "",
        dispute_type=case.dispute_type,
        jurisdictions=tuple(case.jurisdictions or ()),
        languages=tuple(case.languages or ()),
        industry=case.industry,
        counterparties=tuple(
            engine.Party(name_en=p.name_en, name_zh=p.name_zh, counsel=p.counsel)
            for p in case.counterparties
        ),
        enterprise=enterprise,
        deadline=case.deadline,
        lang=case.text_language,
        forum=case.forum,
        sep_standard=case.sep_standard,
        reference_date=today,
    )


def _data_file(name: str) -> Path | None:
    path = Path(current_app.config["DATA_DIR"]) / name
    return path if path.exists() else None


def entity_resolver() -> engine.EntityResolver:
    """The alias and parent table from the database (names in any script)."""
    entities = db.session.scalars(select(Entity).options(selectinload(Entity.aliases))).all()
    by_id = {e.id: e for e in entities}
    records = [
        engine.EntityRecord(
            name=e.name,
            parent=by_id[e.parent_id].name if e.parent_id in by_id else None,
            aliases=tuple(a.name for a in e.aliases),
        )
        for e in entities
    ]
    return engine.EntityResolver(records)


def _entities_version() -> tuple[int, int]:
    from expertmatch.models import EntityAlias

    return (
        db.session.scalar(select(func.count(Entity.id))) or 0,
        db.session.scalar(select(func.count(EntityAlias.id))) or 0,
    )


# -- the per-process state ------------------------------------------------------------------


@dataclass
class MatchingState:
    """One process's matcher and what it has synced from the database."""

    spec: str
    matcher: engine.Matcher
    encoder: engine.Encoder | None
    model_error: str | None
    model_checked_at: float
    synced: dict[int, datetime] = field(default_factory=dict)
    loads: dict[int, int] = field(default_factory=dict)
    entities_version: tuple[int, int] = (0, 0)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def model_name(self) -> str | None:
        return self.encoder.name if self.encoder is not None else None

    @property
    def degraded(self) -> bool:
        return self.encoder is None


def _load_encoder(spec: str) -> tuple[engine.Encoder | None, str | None]:
    try:
        return engine.load_encoder(spec), None
    except engine.ModelUnavailable as error:
        log.warning("Ranking runs without the embedding model: %s", error)
        return None, str(error)


def state(app: Flask | None = None) -> MatchingState:
    """This process's matching state, created on first use (the model loads lazily here)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    existing = app.extensions.get(EXTENSION_KEY)
    if existing is not None:
        _retry_model(existing)
        return existing
    with _STATE_LOCK:
        existing = app.extensions.get(EXTENSION_KEY)
        if existing is not None:
            return existing
        spec = app.config["EMBEDDING_MODEL"]
        encoder, error = _load_encoder(spec)
        glossary = engine.Glossary.from_file(_data_file("glossary.tsv"))
        common = engine.CommonParties.from_file(_data_file("common_parties.txt"))
        matcher = engine.Matcher(encoder, glossary=glossary, common_parties=common)
        new = MatchingState(spec, matcher, encoder, error, time.monotonic())
        app.extensions[EXTENSION_KEY] = new
        return new


_STATE_LOCK = threading.Lock()


def _retry_model(st: MatchingState) -> None:
    """A model that failed to load is tried again after a while (a fixed setting works
    without a restart); once loaded, every expert is re-synced with vectors."""
    if st.encoder is not None or time.monotonic() - st.model_checked_at < MODEL_RETRY_SECONDS:
        return
    st.model_checked_at = time.monotonic()
    encoder, error = _load_encoder(st.spec)
    if encoder is None:
        st.model_error = error
        return
    with st.lock:
        st.encoder = encoder
        st.model_error = None
        st.matcher = engine.Matcher(
            encoder, glossary=st.matcher.glossary, common_parties=st.matcher.common_parties
        )
        st.synced.clear()
        st.loads.clear()
        st.entities_version = (0, 0)


def model_status() -> dict[str, Any]:
    st = state()
    return {"model": st.spec, "loaded": st.encoder is not None, "error": st.model_error}


# -- vectors --------------------------------------------------------------------------------


def _vectors_for(
    st: MatchingState,
    profiles: list[ExpertProfile],
    docs: dict[int, engine.ExpertDoc],
    *,
    progress: bool | None = None,
) -> tuple[dict[int, dict[str, np.ndarray]], int]:
    """Vectors by expert and text key for the current model: stored ones reused,
    missing ones encoded in one batch and stored. Returns (vectors, texts encoded)."""
    if st.encoder is None or not profiles:
        return {}, 0
    model = st.encoder.name
    ids = [p.id for p in profiles]
    stored: dict[int, dict[str, TextVector]] = {}
    for chunk_start in range(0, len(ids), 900):
        chunk = ids[chunk_start : chunk_start + 900]
        for row in db.session.scalars(
            select(TextVector).where(TextVector.expert_id.in_(chunk), TextVector.model == model)
        ):
            stored.setdefault(row.expert_id, {})[row.key] = row

    by_hash: dict[str, np.ndarray] = {}
    for rows in stored.values():
        for row in rows.values():
            by_hash.setdefault(row.text_hash, np.frombuffer(row.vector, dtype=np.float32))
    texts = {p.id: engine.texts_for_expert(docs[p.id]) for p in profiles}
    missing = {t.hash: t.text for ts in texts.values() for t in ts if t.hash not in by_hash}
    if missing:
        matrix = encode_texts(st.encoder, list(missing.values()), progress=progress)
        by_hash.update(zip(missing, matrix, strict=True))

    result: dict[int, dict[str, np.ndarray]] = {}
    for expert_id, expert_texts in texts.items():
        rows = stored.get(expert_id, {})
        current_keys = set()
        vectors: dict[str, np.ndarray] = {}
        for t in expert_texts:
            current_keys.add(t.key)
            vector = np.asarray(by_hash[t.hash], dtype=np.float32)
            vectors[t.key] = vector
            row = rows.get(t.key)
            if row is None:
                db.session.add(
                    TextVector(
                        expert_id=expert_id,
                        key=t.key,
                        model=model,
                        text_hash=t.hash,
                        dim=int(vector.shape[0]),
                        vector=vector.tobytes(),
                    )
                )
            elif row.text_hash != t.hash:
                row.text_hash = t.hash
                row.vector = vector.tobytes()
                row.dim = int(vector.shape[0])
                row.created_at = utcnow()
        for key, row in rows.items():
            if key not in current_keys:
                db.session.delete(row)
        result[expert_id] = vectors
    return result, len(missing)


def _profiles(ids: Iterable[int] | None = None) -> list[ExpertProfile]:
    query = (
        select(ExpertProfile)
        .options(selectinload(ExpertProfile.matters), selectinload(ExpertProfile.conflicts))
        .order_by(ExpertProfile.id)
    )
    if ids is not None:
        query = query.where(ExpertProfile.id.in_(list(ids)))
    return list(db.session.scalars(query))


def _upsert(
    st: MatchingState,
    profiles: list[ExpertProfile],
    loads: dict[int, int],
    *,
    progress: bool | None = None,
) -> int:
    """Index these profiles in the matcher (removing deleted ones); commits new vectors."""
    live = [p for p in profiles if p.deleted_at is None]
    docs = {p.id: expert_doc(p, loads.get(p.id, p.external_load)) for p in live}
    vectors, encoded = _vectors_for(st, live, docs, progress=progress)
    db.session.commit()
    with st.lock:
        for p in profiles:
            if p.deleted_at is not None:
                st.matcher.remove(doc_id(p.id))
                st.synced.pop(p.id, None)
        for p in live:
            st.matcher.upsert(docs[p.id], vectors.get(p.id))
            st.synced[p.id] = p.updated_at
            st.loads[p.id] = docs[p.id].active_cases
        st.matcher.compact()
    return encoded


def sync(st: MatchingState | None = None, *, progress: bool | None = None) -> int:
    """Bring this process's matcher up to date with the database, incrementally.

    One query finds experts changed since the last sync; loads are refreshed with
    one grouped query. Returns the number of texts encoded.
    """
    from expertmatch.services.assignments import loads as current_loads

    st = st or state()
    with st.lock:
        version = _entities_version()
        if version != st.entities_version:
            st.matcher.set_resolver(entity_resolver())
            st.entities_version = version
        stamps = dict(db.session.execute(select(ExpertProfile.id, ExpertProfile.updated_at)).all())
        changed = [i for i, stamp in stamps.items() if st.synced.get(i) != stamp]
        gone = [i for i in st.synced if i not in stamps]
        for expert_id in gone:
            st.matcher.remove(doc_id(expert_id))
            st.synced.pop(expert_id, None)
        loads = current_loads()
        encoded = _upsert(st, _profiles(changed), loads, progress=progress) if changed else 0
        changed_set = set(changed)
        moved = [
            i
            for i, load in loads.items()
            if i not in changed_set and i in st.synced and st.loads.get(i) != load
        ]
        for expert_id in moved:
            _set_load(st, expert_id, loads[expert_id])
    return encoded


def _set_load(st: MatchingState, expert_id: int, load: int) -> None:
    """Apply a new load without re-encoding or re-indexing the expert's texts."""
    if st.matcher.set_active_cases(doc_id(expert_id), load):
        st.loads[expert_id] = load


# -- what the rest of the app calls ---------------------------------------------------------


def expert_changed(profile: ExpertProfile) -> int:
    """After a committed profile change: store vectors of changed texts only and
    refresh this process's matcher (others see the new ``updated_at``)."""
    from expertmatch.services.assignments import expert_load

    st = state()
    db.session.refresh(profile)
    profile.updated_at = utcnow()
    db.session.commit()
    with st.lock:
        return _upsert(st, _profiles([profile.id]), {profile.id: expert_load(profile.id)})


IMPORT_CHUNK = 100


def experts_imported(profiles: list[ExpertProfile]) -> int:
    """After a bulk import: encode the new experts' texts in large batches, committing
    each batch so that the import's progress page can count what is done."""
    st = state()
    ids = [p.id for p in profiles]
    encoded = 0
    with st.lock:
        for start in range(0, len(ids), IMPORT_CHUNK):
            chunk = _profiles(ids[start : start + IMPORT_CHUNK])
            encoded += _upsert(st, chunk, {}, progress=len(ids) > IMPORT_CHUNK)
    return encoded


def vectors_pending(expert_ids: list[int] | None = None) -> tuple[int, int]:
    """(experts with a vector for the current model, experts considered) — for progress pages
    and the health check."""
    st = state()
    query = select(func.count(ExpertProfile.id)).where(ExpertProfile.deleted_at.is_(None))
    if expert_ids is not None:
        query = query.where(ExpertProfile.id.in_(expert_ids))
    total = db.session.scalar(query) or 0
    if st.encoder is None:
        return 0, total
    with_vectors = (
        select(func.count(func.distinct(TextVector.expert_id)))
        .where(TextVector.model == st.encoder.name)
        .join(ExpertProfile, ExpertProfile.id == TextVector.expert_id)
        .where(ExpertProfile.deleted_at.is_(None))
    )
    if expert_ids is not None:
        with_vectors = with_vectors.where(TextVector.expert_id.in_(expert_ids))
    return db.session.scalar(with_vectors) or 0, total


def reindex(progress: bool = True, prune: bool = False) -> dict[str, int]:
    """Encode every text that lacks a vector for the current model (e.g. after a model
    switch); with ``prune``, delete vectors of other models."""
    st = state()
    if st.encoder is None:
        raise engine.ModelUnavailable(st.model_error or "the embedding model is not available")
    with st.lock:
        st.synced.clear()
        encoded = sync(st, progress=progress)
    pruned = 0
    if prune:
        pruned = (
            db.session.execute(
                delete(TextVector).where(TextVector.model != st.encoder.name)
            ).rowcount
            or 0
        )
        db.session.commit()
    return {"experts": len(st.synced), "encoded": encoded, "pruned": pruned}


@dataclass
class RankedExpert:
    expert: ExpertProfile
    score: float
    load: int
    capacity: int
    explanation: dict[str, Any]
    fit: float = 0.0  # calibrated, 0-1, comparable across cases
    band: str = "weak"  # strong (>= 0.60) / good (>= 0.35) / weak
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ExcludedExpert:
    expert: ExpertProfile
    reason_code: str
    reason: str


@dataclass
class CaseRanking:
    ranked: list[RankedExpert]
    excluded: list[ExcludedExpert]
    degraded: bool
    total: int
    model: str | None
    best_fit: float | None = None
    no_strong_match: bool = False


def rank_case(case: DisputeCase, top_k: int = 10, today: date | None = None) -> CaseRanking:
    """Rank the shared pool for ``case`` with explanations (``top_k=0``: everyone)."""
    st = state()
    sync(st)
    result = st.matcher.rank(case_doc(case, today), top_k=top_k, explain=True, today=today)
    ids = [profile_id(r.expert_id) for r in result.ranking]
    ids += [profile_id(e.expert_id) for e in result.excluded]
    profiles = {
        p.id: p for p in db.session.scalars(select(ExpertProfile).where(ExpertProfile.id.in_(ids)))
    }
    ranked = []
    for r in result.ranking:
        pid = profile_id(r.expert_id)
        ranked.append(
            RankedExpert(
                expert=profiles[pid],
                score=r.score,
                load=st.loads.get(pid, 0),
                capacity=profiles[pid].capacity,
                explanation=r.explanation or {},
                fit=r.fit,
                band=r.band,
                evidence=r.evidence,
            )
        )
    excluded = [
        ExcludedExpert(
            expert=profiles[profile_id(e.expert_id)],
            reason_code=e.reason_code,
            reason=reason_text(e.reason_code, e.params),
        )
        for e in result.excluded
        if profile_id(e.expert_id) in profiles
    ]
    return CaseRanking(
        ranked,
        excluded,
        result.degraded,
        len(st.matcher),
        result.model,
        best_fit=result.best_fit,
        no_strong_match=result.no_strong_match and len(st.matcher) > 0,
    )


def hard_rule_reason(
    case: DisputeCase, expert: ExpertProfile, today: date | None = None
) -> str | None:
    """Why ``expert`` may not be proposed for ``case`` (conflicts, availability), or None.
    Capacity is checked under a lock by the assignment service itself."""
    day = today or date.today()
    if expert.availability == "inactive":
        return reason_text("unavailable", {})
    if expert.availability == "absent" and expert.absent_until and expert.absent_until > day:
        return reason_text("absent", {"until": expert.absent_until.isoformat()})
    st = state()
    index = ConflictIndex(entity_resolver())
    doc = expert_doc(expert, 0)
    index.set_expert(doc.id, doc.conflicts, doc.firm)
    found = conflict_exclusions(case_doc(case), index, st.matcher.common_parties, day)
    hit = found.get(doc.id)
    return reason_text(hit.reason_code, hit.params) if hit else None
