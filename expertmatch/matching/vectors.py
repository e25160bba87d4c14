"""Deciding what needs encoding, and a vector cache for the CLI.

A vector is identified by ``(model, text hash)``: the same text under the same model always
gives the same vector, whoever owns it. Storage belongs to the caller — the web layer keeps
``(owner, key, model, hash, vector)`` rows in its database, the CLI an ``.npz`` file — and both
use the same two decisions here:

* :func:`texts_to_encode`: given an expert's current texts and the records stored for it, which
  texts have no vector for this model and content (only those are sent to the model);
* :func:`stale_records`: which stored records no longer belong to a current text.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from expertmatch.matching.encoders import Encoder
from expertmatch.matching.texts import ExpertText, text_hash

__all__ = [
    "PROGRESS_THRESHOLD",
    "VectorCache",
    "VectorRecord",
    "encode_texts",
    "stale_records",
    "texts_to_encode",
]

# Encoding more texts than this shows a progress bar on stderr.
PROGRESS_THRESHOLD = 300
_CHUNK = 256


@dataclass(frozen=True)
class VectorRecord:
    """What is stored beside a vector: whose text it is, which text, which model, which content."""

    owner: str
    key: str
    model: str
    text_hash: str


def texts_to_encode(
    texts: Sequence[ExpertText], records: Iterable[VectorRecord], model: str
) -> list[ExpertText]:
    """The texts with no stored vector for ``model`` and their current content.

    ``records`` are the records stored for this owner. Matching is by content hash, not key, so a
    matter moved to another position (new key, same text) is not re-encoded either.
    """
    have = {r.text_hash for r in records if r.model == model}
    return [t for t in texts if t.hash not in have]


def stale_records(
    texts: Sequence[ExpertText], records: Iterable[VectorRecord], model: str
) -> list[VectorRecord]:
    """Stored records that no current text uses under ``model`` (or made by another model)."""
    current = {(t.key, t.hash) for t in texts}
    return [r for r in records if r.model != model or (r.key, r.text_hash) not in current]


def encode_texts(
    encoder: Encoder, texts: Sequence[str], *, progress: bool | None = None
) -> np.ndarray:
    """Encode document texts in large chunks, with a tqdm bar when there are many.

    Chunks are big (256) so the model's own length-sorted batching stays efficient; the bar only
    appears above :data:`PROGRESS_THRESHOLD` texts and only on stderr, never in JSON output.
    """
    if progress is None:
        progress = len(texts) > PROGRESS_THRESHOLD
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    if not progress or len(texts) <= _CHUNK:
        bar = None
        if progress:
            bar = _progress_bar(len(texts))
        out = encoder.encode_documents(list(texts))
        if bar is not None:
            bar.update(len(texts))
            bar.close()
        return out
    bar = _progress_bar(len(texts))
    parts = []
    for start in range(0, len(texts), _CHUNK):
        chunk = list(texts[start : start + _CHUNK])
        parts.append(encoder.encode_documents(chunk))
        if bar is not None:
            bar.update(len(chunk))
    if bar is not None:
        bar.close()
    return np.concatenate(parts, axis=0)


def _progress_bar(total: int):
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, desc="encoding texts", unit="text", file=sys.stderr, leave=False)


class VectorCache:
    """Vectors of one model keyed by text hash, optionally loaded from and saved to ``.npz``.

    Used by the CLI (``--cache FILE``) and the benchmark; the web layer stores its vectors in
    the database instead and only uses :func:`texts_to_encode`.
    """

    def __init__(self, model: str, dim: int) -> None:
        self.model = model
        self.dim = dim
        self._vectors: dict[str, np.ndarray] = {}
        self.encoded = 0  # texts sent to the model through this cache (for tests and reports)

    def __len__(self) -> int:
        return len(self._vectors)

    def __contains__(self, text_hash: object) -> bool:
        return text_hash in self._vectors

    def get(self, text_hash: str) -> np.ndarray | None:
        """The vector of a text hash, if known."""
        return self._vectors.get(text_hash)

    def put(self, text_hash: str, vector: np.ndarray) -> None:
        """Remember a vector (callers that encode elsewhere can feed the cache)."""
        self._vectors[text_hash] = np.asarray(vector, dtype=np.float32)

    def vectors_for(
        self,
        encoder: Encoder,
        texts: Sequence[ExpertText],
        *,
        progress: bool | None = None,
    ) -> dict[str, np.ndarray]:
        """Vectors for ``texts`` keyed by text hash, encoding only hashes not yet cached.

        Identical texts (two experts with the same matter) are encoded once.
        """
        if encoder.name != self.model:
            raise ValueError(f"cache holds {self.model!r} vectors, encoder is {encoder.name!r}")
        missing: dict[str, str] = {}
        for t in texts:
            if t.hash not in self._vectors and t.hash not in missing:
                missing[t.hash] = t.text
        if missing:
            matrix = encode_texts(encoder, list(missing.values()), progress=progress)
            for text_hash, row in zip(missing, matrix, strict=True):
                self._vectors[text_hash] = row
            self.encoded += len(missing)
        return {t.hash: self._vectors[t.hash] for t in texts}

    def query_vectors(self, encoder: Encoder, texts: Sequence[str]) -> list[np.ndarray]:
        """Query vectors of case texts, encoding only those not yet cached.

        Kept under ``q:<text hash>``: a model may encode queries differently from documents
        (E5's prefixes), so the two never share an entry.
        """
        if encoder.name != self.model:
            raise ValueError(f"cache holds {self.model!r} vectors, encoder is {encoder.name!r}")
        keys = ["q:" + text_hash(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}
        if missing:
            matrix = encoder.encode_queries(list(missing.values()))
            for key, row in zip(missing, matrix, strict=True):
                self._vectors[key] = np.asarray(row, dtype=np.float32)
            self.encoded += len(missing)
        return [self._vectors[k] for k in keys]

    def vectors_by_key(
        self, encoder: Encoder, texts: Sequence[ExpertText]
    ) -> dict[str, np.ndarray]:
        """Vectors for one expert's texts keyed by text key, as ``Matcher.upsert`` takes them."""
        by_hash = self.vectors_for(encoder, texts, progress=False)
        return {t.key: by_hash[t.hash] for t in texts}

    def retain(self, hashes: Iterable[str]) -> None:
        """Forget vectors of texts that no longer exist, so a saved cache does not grow forever."""
        keep = set(hashes)
        self._vectors = {h: v for h, v in self._vectors.items() if h in keep}

    @classmethod
    def load(cls, path: str | os.PathLike[str], model: str, dim: int) -> VectorCache:
        """Load ``path`` if it holds vectors of ``model``; otherwise start empty.

        A cache of another model or dimension is ignored rather than an error: it is only a
        cache, and it is overwritten on save.
        """
        cache = cls(model, dim)
        path = Path(path)
        if not path.exists():
            return cache
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["model"]) != model:
                    return cache
                vectors = data["vectors"]
                hashes = data["hashes"]
                if vectors.ndim != 2 or vectors.shape[1] != dim or len(hashes) != len(vectors):
                    return cache
                for text_hash, row in zip(hashes.tolist(), vectors, strict=True):
                    cache._vectors[str(text_hash)] = row.astype(np.float32)
        except (OSError, KeyError, ValueError):
            return cache  # unreadable cache: start over
        return cache

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the cache atomically (temp file + rename), so a crash never leaves half a file."""
        path = Path(path)
        hashes = sorted(self._vectors)
        vectors = (
            np.stack([self._vectors[h] for h in hashes])
            if hashes
            else np.zeros((0, self.dim), dtype=np.float32)
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp.npz", dir=path.parent)
        os.close(fd)
        try:
            with open(tmp, "wb") as fh:
                np.savez(fh, model=np.array(self.model), hashes=np.array(hashes), vectors=vectors)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def vectors_by_key(
    texts: Sequence[ExpertText], by_hash: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Re-key hash-keyed vectors by text key."""
    return {t.key: by_hash[t.hash] for t in texts if t.hash in by_hash}
