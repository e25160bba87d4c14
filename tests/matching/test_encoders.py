"""The encoder interface, the registry and clear errors for a missing model."""

from __future__ import annotations

import numpy as np
import pytest

from expertmatch.matching import (
    HashingEncoder,
    ModelUnavailable,
    create_encoder,
    load_encoder,
    register_encoder,
)


def test_hashing_encoder_is_normalised_and_deterministic() -> None:
    enc = HashingEncoder(128)
    a = enc.encode_documents(["LTE injunction in Munich", "Schedule A", ""])
    b = HashingEncoder(128).encode_queries(["LTE injunction in Munich", "Schedule A", ""])
    assert a.dtype == np.float32 and a.shape == (3, 128)
    np.testing.assert_allclose(np.linalg.norm(a[:2], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(a, b)


def test_load_encoder_caches_per_spec() -> None:
    assert load_encoder("hashing:64") is load_encoder("hashing:64")
    assert load_encoder("hashing:64") is not load_encoder("hashing:32")


def test_registry_accepts_new_backends() -> None:
    register_encoder("test-fake", lambda arg: HashingEncoder(int(arg or 16)))
    assert create_encoder("test-fake:24").dim == 24


@pytest.mark.parametrize("spec", ["/nonexistent/model/folder", "./no-such-model"])
def test_missing_model_names_the_setting(spec: str) -> None:
    with pytest.raises(ModelUnavailable, match="EXPERTMATCH_EMBEDDING_MODEL"):
        create_encoder(spec)


def test_uncached_hub_name_fails_offline(monkeypatch) -> None:
    monkeypatch.setenv("HF_HOME", "/nonexistent-hf-home")
    with pytest.raises(ModelUnavailable, match="EXPERTMATCH_EMBEDDING_MODEL"):
        create_encoder("some-org/not-cached-model-xyz")


def test_env_setting_is_used(monkeypatch) -> None:
    monkeypatch.setenv("EXPERTMATCH_EMBEDDING_MODEL", "hashing:40")
    assert load_encoder().dim == 40
