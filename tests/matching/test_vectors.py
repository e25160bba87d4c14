"""Texts, hashes and re-encoding only what changed."""

from __future__ import annotations

import dataclasses

import numpy as np

from expertmatch.matching import (
    HashingEncoder,
    Matcher,
    VectorCache,
    VectorRecord,
    expert_from_dict,
    stale_records,
    texts_for_expert,
    texts_to_encode,
)

EXPERT = {
    "id": "E1",
    "headline": "SEP litigator",
    "bio": "Defends implementers in Munich.",
    "dispute_types": ["sep_frand"],
    "jurisdictions": ["DE", "UPC"],
    "matters": [
        {"key": "m1", "title": "LTE injunction", "summary": "Munich"},
        {"key": "m2", "title": "5G FRAND rate", "summary": "Mannheim"},
        {"key": "m3", "title": "Wi-Fi nullity action", "summary": "Federal Patent Court"},
    ],
}


def _edited_matter(data: dict, index: int, summary: str) -> dict:
    matters = [dict(m) for m in data["matters"]]
    matters[index]["summary"] = summary
    return {**data, "matters": matters}


def test_texts_have_stable_keys_and_hashes() -> None:
    texts = texts_for_expert(expert_from_dict(EXPERT))
    assert [t.key for t in texts] == ["profile", "matter:m1", "matter:m2", "matter:m3"]
    assert "SEP / FRAND" in texts[0].text and "Germany" in texts[0].text
    again = texts_for_expert(expert_from_dict(EXPERT))
    assert [t.hash for t in texts] == [t.hash for t in again]


def test_editing_one_matter_reencodes_exactly_one_text() -> None:
    encoder = HashingEncoder(64)
    cache = VectorCache(encoder.name, encoder.dim)
    matcher = Matcher(encoder)
    matcher.index_experts([expert_from_dict(EXPERT)], cache=cache)
    assert encoder.calls == 4
    edited = expert_from_dict(_edited_matter(EXPERT, 1, "Mannheim, then Munich"))
    matcher.index_experts([edited], cache=cache)
    assert encoder.calls == 5  # exactly one more text went to the model


def test_records_decide_what_to_encode_and_delete() -> None:
    expert = expert_from_dict(EXPERT)
    texts = texts_for_expert(expert)
    records = [VectorRecord("E1", t.key, "m", t.hash) for t in texts]
    assert texts_to_encode(texts, records, "m") == []
    assert texts_to_encode(texts, records, "other-model") == texts

    edited = texts_for_expert(expert_from_dict(_edited_matter(EXPERT, 0, "Düsseldorf")))
    todo = texts_to_encode(edited, records, "m")
    assert [t.key for t in todo] == ["matter:m1"]
    assert [r.key for r in stale_records(edited, records, "m")] == ["matter:m1"]


def test_removed_matter_frees_its_row_and_vector() -> None:
    encoder = HashingEncoder(64)
    matcher = Matcher(encoder)
    matcher.index_experts([expert_from_dict(EXPERT)])
    fewer = {**EXPERT, "matters": EXPERT["matters"][:1]}
    matcher.index_experts([expert_from_dict(fewer)])
    rows = matcher.index.slot_rows[matcher.index.slot_of["E1"]]
    assert set(rows) == {"profile", "matter:m1"}
    assert int(matcher.index.has_vector.sum()) == 2


def test_cache_round_trip(tmp_path) -> None:
    encoder = HashingEncoder(32)
    cache = VectorCache(encoder.name, encoder.dim)
    texts = texts_for_expert(expert_from_dict(EXPERT))
    first = cache.vectors_for(encoder, texts)
    path = tmp_path / "vectors.npz"
    cache.save(path)
    loaded = VectorCache.load(path, encoder.name, encoder.dim)
    assert len(loaded) == len(texts)
    again = loaded.vectors_for(encoder, texts)
    assert loaded.encoded == 0
    for h, v in first.items():
        np.testing.assert_array_equal(v, again[h])
    # A cache of another model is ignored, not misused.
    assert len(VectorCache.load(path, "other", encoder.dim)) == 0


def test_expert_text_is_frozen() -> None:
    text = texts_for_expert(expert_from_dict(EXPERT))[0]
    assert dataclasses.is_dataclass(text)


def test_reindexing_unchanged_texts_keeps_their_vectors() -> None:
    encoder = HashingEncoder(64)
    matcher = Matcher(encoder)
    expert = expert_from_dict(EXPERT)
    matcher.index_experts([expert])
    before = matcher.vectors_of("E1")
    # A changed load or availability: upsert without vectors keeps the old ones.
    matcher.upsert(dataclasses.replace(expert, active_cases=3))
    after = matcher.vectors_of("E1")
    assert set(after) == set(before)
    for key, vector in before.items():
        np.testing.assert_array_equal(after[key], vector)
    # A changed text without a new vector loses its (stale) vector.
    edited = expert_from_dict(_edited_matter(EXPERT, 0, "Düsseldorf"))
    matcher.upsert(edited)
    assert set(matcher.vectors_of("E1")) == set(before) - {"matter:m1"}


def test_set_active_cases_applies_the_capacity_rule() -> None:
    matcher = Matcher(HashingEncoder(64))
    matcher.index_experts([expert_from_dict({**EXPERT, "capacity": 2, "active_cases": 0})])
    from expertmatch.matching import case_from_dict

    case = case_from_dict({"id": "C", "title": "LTE injunction"})
    assert matcher.rank(case).ranking
    assert matcher.set_active_cases("E1", 2)
    assert [e.reason_code for e in matcher.rank(case).excluded] == ["at_capacity"]
    assert not matcher.set_active_cases("nobody", 1)
