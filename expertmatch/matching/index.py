"""The in-memory dense index: one float32 matrix holding every text of every expert.

Layout, chosen for 50,000 experts x ~5 texts on a 2-core machine:

* every text occupies a *row* of ``vectors`` (rows of removed texts are zeroed and reused);
* every expert occupies a *slot*; ``groups[slot]`` lists the slot's rows, padded with -1 to the
  widest expert, so per-expert aggregation is a gather on a ``(n_slots, width)`` array;
* scoring a query is one matrix-vector product over the used rows, then a grouped top-k with
  ``np.partition`` — no Python loop over experts.

``upsert``/``remove`` touch only the rows and slot of one expert; arrays grow geometrically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["ExpertIndex", "grouped_topk_mean", "grouped_topk_stats"]


def grouped_topk_mean(row_scores: np.ndarray, groups: np.ndarray, k: int = 3) -> np.ndarray:
    """Mean of each group's best ``k`` finite scores; NaN for groups with none.

    ``groups`` is ``(n_groups, width)`` of row indices padded with -1; ``row_scores`` holds one
    score per row, ``-inf`` for rows that must not count. Experts with fewer than ``k`` texts
    are averaged over the texts they have, so a short profile is not punished for brevity.
    """
    n_groups, width = groups.shape
    if n_groups == 0:
        return np.zeros(0, dtype=np.float32)
    ext = np.empty(len(row_scores) + 1, dtype=np.float32)
    ext[:-1] = row_scores
    ext[-1] = -np.inf  # index -1 (padding) reads this
    gathered = ext[groups]
    if width > k:
        gathered = np.partition(gathered, width - k, axis=1)[:, width - k :]
    finite = np.isfinite(gathered)
    counts = finite.sum(axis=1)
    sums = np.where(finite, gathered, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    return np.where(counts > 0, means, np.nan).astype(np.float32)


def grouped_topk_stats(
    row_scores: np.ndarray, groups: np.ndarray, k: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """``(mean of the best k, best)`` per group in one partition pass; NaN for empty groups."""
    n_groups, width = groups.shape
    if n_groups == 0:
        empty = np.zeros(0, dtype=np.float32)
        return empty, empty
    ext = np.empty(len(row_scores) + 1, dtype=np.float32)
    ext[:-1] = row_scores
    ext[-1] = -np.inf
    gathered = ext[groups]
    if width > k:
        gathered = np.partition(gathered, width - k, axis=1)[:, width - k :]
    finite = np.isfinite(gathered)
    counts = finite.sum(axis=1)
    sums = np.where(finite, gathered, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    best = gathered.max(axis=1)
    ok = counts > 0
    return (
        np.where(ok, means, np.nan).astype(np.float32),
        np.where(ok, best, np.nan).astype(np.float32),
    )


class ExpertIndex:
    """Slots for experts, rows for their texts, and the dense vectors of those texts.

    ``dim`` may be ``None`` (degraded mode: no model), in which case only rows and slots are
    kept — the lexical channel uses the same row numbers.
    """

    def __init__(self, dim: int | None = None, *, reserve_rows: int = 1024) -> None:
        self.dim = dim
        cap = max(16, reserve_rows)
        self.vectors = np.zeros((cap, dim or 0), dtype=np.float32)
        self.has_vector = np.zeros(cap, dtype=bool)
        self.row_slot = np.full(cap, -1, dtype=np.int32)
        self.row_key: list[str | None] = [None] * cap
        self.row_hash: list[str | None] = [None] * cap  # text hash the row's vector was made of
        self._free_rows: list[int] = []
        self.n_rows = 0  # high-water mark: rows >= n_rows were never used
        self.slot_of: dict[str, int] = {}
        self.slot_ids: list[str | None] = []
        self._free_slots: list[int] = []
        self.groups = np.full((16, 1), -1, dtype=np.int32)
        self.slot_rows: list[dict[str, int]] = []

    def ensure_dim(self, dim: int) -> None:
        """Fix the vector dimension on first use (an index may start without a model)."""
        if self.dim == dim:
            return
        if self.dim and self.has_vector.any():
            raise ValueError(f"index holds {self.dim}-dimensional vectors, got {dim}")
        self.dim = dim
        self.vectors = np.zeros((len(self.has_vector), dim), dtype=np.float32)

    # -- sizes ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.slot_of)

    def __contains__(self, expert_id: object) -> bool:
        return expert_id in self.slot_of

    @property
    def n_slots(self) -> int:
        """Slots ever used (including free ones); per-slot arrays have at least this length."""
        return len(self.slot_ids)

    def reserve(self, n_rows: int) -> None:
        """Grow row storage to ``n_rows`` at once (bulk loading avoids repeated copies)."""
        cap = len(self.has_vector)
        if n_rows <= cap:
            return
        vectors = np.zeros((n_rows, self.dim or 0), dtype=np.float32)
        vectors[:cap] = self.vectors
        self.vectors = vectors
        has = np.zeros(n_rows, dtype=bool)
        has[:cap] = self.has_vector
        self.has_vector = has
        row_slot = np.full(n_rows, -1, dtype=np.int32)
        row_slot[:cap] = self.row_slot
        self.row_slot = row_slot
        self.row_key.extend([None] * (n_rows - cap))
        self.row_hash.extend([None] * (n_rows - cap))

    def _alloc_row(self) -> int:
        if self._free_rows:
            return self._free_rows.pop()
        if self.n_rows >= len(self.has_vector):
            self.reserve(max(self.n_rows + 1, int(len(self.has_vector) * 1.5)))
        self.n_rows += 1
        return self.n_rows - 1

    def _alloc_slot(self, expert_id: str) -> int:
        if self._free_slots:
            slot = self._free_slots.pop()
            self.slot_ids[slot] = expert_id
        else:
            slot = len(self.slot_ids)
            self.slot_ids.append(expert_id)
            self.slot_rows.append({})
            if slot >= self.groups.shape[0]:
                grown = np.full(
                    (max(slot + 1, int(self.groups.shape[0] * 1.5)), self.groups.shape[1]),
                    -1,
                    dtype=np.int32,
                )
                grown[: self.groups.shape[0]] = self.groups
                self.groups = grown
        self.slot_of[expert_id] = slot
        return slot

    def _set_group(self, slot: int, rows: Sequence[int]) -> None:
        if len(rows) > self.groups.shape[1]:
            grown = np.full((self.groups.shape[0], len(rows)), -1, dtype=np.int32)
            grown[:, : self.groups.shape[1]] = self.groups
            self.groups = grown
        self.groups[slot] = -1
        self.groups[slot, : len(rows)] = rows

    # -- updates -------------------------------------------------------------------------------

    def upsert(
        self,
        expert_id: str,
        keys: Sequence[str],
        vectors: Mapping[str, np.ndarray] | None = None,
        hashes: Sequence[str] | None = None,
    ) -> tuple[int, dict[str, int], list[int]]:
        """Set an expert's texts; returns ``(slot, rows by key, rows freed)``.

        Rows of keys that stay are reused in place. A key without a new vector keeps its old
        vector when ``hashes`` shows its text is unchanged (so re-indexing an expert for a
        changed load or availability needs no vectors); otherwise it keeps a row (the lexical
        channel still uses it) but does not count in dense scores.
        """
        slot = self.slot_of.get(expert_id)
        if slot is None:
            slot = self._alloc_slot(expert_id)
        old = self.slot_rows[slot]
        rows: dict[str, int] = {}
        for i, key in enumerate(keys):
            text_hash = hashes[i] if hashes is not None else None
            row = old.get(key)
            if row is None:
                row = self._alloc_row()
            rows[key] = row
            self.row_slot[row] = slot
            self.row_key[row] = key
            vec = vectors.get(key) if vectors is not None else None
            unchanged = text_hash is not None and self.row_hash[row] == text_hash
            self.row_hash[row] = text_hash
            if vec is None and unchanged and self.has_vector[row]:
                continue  # same text as before: its vector still holds
            if vec is not None and self.dim:
                vec = np.asarray(vec, dtype=np.float32).reshape(-1)
                if vec.shape[0] != self.dim:
                    raise ValueError(
                        f"vector for {expert_id}/{key} has dimension {vec.shape[0]}, "
                        f"index expects {self.dim}"
                    )
                self.vectors[row] = vec
                self.has_vector[row] = True
            else:
                self.vectors[row] = 0.0
                self.has_vector[row] = False
        freed = [row for key, row in old.items() if key not in rows]
        for row in freed:
            self._release_row(row)
        self.slot_rows[slot] = rows
        self._set_group(slot, list(rows.values()))
        return slot, rows, freed

    def _release_row(self, row: int) -> None:
        if self.dim:
            self.vectors[row] = 0.0
        self.has_vector[row] = False
        self.row_slot[row] = -1
        self.row_key[row] = None
        self.row_hash[row] = None
        self._free_rows.append(row)

    def remove(self, expert_id: str) -> tuple[int, list[int]] | None:
        """Drop an expert; returns ``(slot, rows freed)`` or ``None`` if unknown."""
        slot = self.slot_of.pop(expert_id, None)
        if slot is None:
            return None
        freed = list(self.slot_rows[slot].values())
        for row in freed:
            self._release_row(row)
        self.slot_rows[slot] = {}
        self.groups[slot] = -1
        self.slot_ids[slot] = None
        self._free_slots.append(slot)
        return slot, freed

    # -- scoring -------------------------------------------------------------------------------

    def cosines(self, query: np.ndarray) -> np.ndarray:
        """Cosine of every used row with a unit query; ``-inf`` for rows without a vector."""
        if not self.dim:
            return np.full(self.n_rows, -np.inf, dtype=np.float32)
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        sims = self.vectors[: self.n_rows] @ query
        sims[~self.has_vector[: self.n_rows]] = -np.inf
        return sims

    def group_view(self) -> np.ndarray:
        """``groups`` cut to the used slots."""
        return self.groups[: self.n_slots]

    def dense_scores(self, query: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
        """Per-slot mean of the best ``k`` cosines (NaN if no vector), and the row cosines."""
        sims = self.cosines(query)
        return grouped_topk_mean(sims, self.group_view(), k), sims

    def memory_bytes(self) -> int:
        """Bytes held by the numpy arrays (for the benchmark's memory report)."""
        return int(
            self.vectors.nbytes + self.has_vector.nbytes + self.row_slot.nbytes + self.groups.nbytes
        )
