"""The dense index and the incremental BM25 index against brute-force references."""

from __future__ import annotations

import numpy as np
import pytest

from expertmatch.matching import ExpertIndex, LexicalIndex, Tokenizer


def _unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    m = rng.normal(size=(n, d)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_grouped_topk_mean_matches_a_loop() -> None:
    rng = np.random.default_rng(0)
    index = ExpertIndex(16)
    truth: dict[str, np.ndarray] = {}
    for i in range(60):
        n = int(rng.integers(1, 8))
        vecs = _unit(rng, n, 16)
        keys = [f"k{j}" for j in range(n)]
        index.upsert(f"E{i:02d}", keys, dict(zip(keys, vecs, strict=True)))
        truth[f"E{i:02d}"] = vecs
    for i in range(0, 60, 7):  # remove some, re-add one with other texts
        index.remove(f"E{i:02d}")
        truth.pop(f"E{i:02d}")
    vecs = _unit(rng, 2, 16)
    index.upsert("E07", ["a", "b"], {"a": vecs[0], "b": vecs[1]})
    truth["E07"] = vecs
    q = _unit(rng, 1, 16)[0]
    scores, _ = index.dense_scores(q, k=3)
    for expert_id, vecs in truth.items():
        sims = np.sort(vecs @ q)[::-1][:3]
        assert scores[index.slot_of[expert_id]] == pytest.approx(sims.mean(), abs=1e-5)


def test_upsert_reuses_rows_and_remove_frees_them() -> None:
    index = ExpertIndex(4)
    v = np.eye(4, dtype=np.float32)
    index.upsert("A", ["p", "m1"], {"p": v[0], "m1": v[1]})
    index.upsert("B", ["p"], {"p": v[2]})
    rows_before = dict(index.slot_rows[index.slot_of["A"]])
    index.upsert("A", ["p", "m1"], {"p": v[3], "m1": v[1]})
    assert index.slot_rows[index.slot_of["A"]] == rows_before  # same rows, updated in place
    index.remove("A")
    assert "A" not in index and len(index) == 1
    index.upsert("C", ["p", "m1"], {"p": v[0], "m1": v[1]})
    assert index.n_rows == 3  # C took A's freed rows
    scores, _ = index.dense_scores(v[2])
    assert scores[index.slot_of["B"]] == pytest.approx(1.0)


def test_texts_without_vectors_do_not_count() -> None:
    index = ExpertIndex(4)
    v = np.eye(4, dtype=np.float32)
    index.upsert("A", ["p", "m1"], {"p": v[0]})
    index.upsert("B", ["p"], None)
    scores, _ = index.dense_scores(v[0])
    assert scores[index.slot_of["A"]] == pytest.approx(1.0)
    assert np.isnan(scores[index.slot_of["B"]])


def _bm25_reference(docs: dict[int, list[str]], query: list[str], k1=1.2, b=0.75) -> dict:
    n = len(docs)
    avgdl = sum(len(d) for d in docs.values()) / n
    out = {}
    for row, doc in docs.items():
        score = 0.0
        for term in dict.fromkeys(query):
            df = sum(term in d for d in docs.values())
            if not df or term not in doc:
                continue
            idf = np.log1p((n - df + 0.5) / (df + 0.5))
            tf = doc.count(term)
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(doc) / avgdl))
        out[row] = score
    return out


def test_incremental_bm25_equals_a_fresh_computation() -> None:
    tok = Tokenizer()
    texts = [
        "LTE SEP injunction at the Regional Court Munich I",
        "Schedule A case in N.D. Ill. with an asset freeze on Amazon",
        "Section 337 investigation at the ITC, exclusion order",
        "Trade secret misappropriation under the DTSA",
        "UPC provisional measures on solar modules",
    ]
    index = LexicalIndex()
    docs = {}
    for row, text in enumerate(texts):
        index.set_row(row, tok(text))
        docs[row] = tok(text)
    index.merge()
    # Edits after the merge live in the delta until the next merge.
    index.set_row(1, tok("Schedule A defence for Amazon sellers, TRO dissolved"))
    docs[1] = tok("Schedule A defence for Amazon sellers, TRO dissolved")
    index.clear_row(3)
    docs.pop(3)
    index.set_row(5, tok("Munich LTE FRAND defence"))
    docs[5] = tok("Munich LTE FRAND defence")
    query = tok("LTE injunction Munich Amazon Schedule A")
    got = index.scores(query, 6)
    ref = _bm25_reference(docs, query)
    for row, value in ref.items():
        # The delta uses the current average length; the base the one at merge time.
        assert got[row] == pytest.approx(value, rel=0.15)
    assert got[3] == 0.0
    index.merge()
    got = index.scores(query, 6)
    for row, value in ref.items():
        assert got[row] == pytest.approx(value, rel=1e-4)
