"""Fixtures of the matching tests: a small hand-written pool, a hashing matcher, the real model.

The pool in ``data/`` is written for these tests: three German SEP litigators, one of them
conflicted with the Nordvik family and one absent, US, Brazilian, UK, Dutch and Japanese
specialists, and a Chinese-language economist. Tests that need ranking *quality* use the real
model (``@pytest.mark.model``), loaded once per session.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from expertmatch.matching import (
    CaseDoc,
    EntityResolver,
    ExpertDoc,
    HashingEncoder,
    Matcher,
    case_from_dict,
    expert_from_dict,
)
from expertmatch.matching.encoders import DEFAULT_MODEL_SPEC
from expertmatch.matching.jsonl import read_jsonl

DATA = Path(__file__).parent / "data"
TODAY = dt.date(2026, 11, 30)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "model: needs the real embedding model (slow to load)")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def pool() -> list[ExpertDoc]:
    return read_jsonl(DATA / "experts.jsonl", expert_from_dict)


@pytest.fixture(scope="session")
def cases() -> dict[str, CaseDoc]:
    return {c.id: c for c in read_jsonl(DATA / "cases.jsonl", case_from_dict)}


@pytest.fixture(scope="session")
def resolver() -> EntityResolver:
    return EntityResolver.from_file(DATA / "entities.jsonl")


@pytest.fixture
def hashing_matcher(pool: list[ExpertDoc], resolver: EntityResolver) -> Matcher:
    matcher = Matcher(HashingEncoder(256), resolver=resolver)
    matcher.index_experts(pool)
    return matcher


@pytest.fixture(scope="session")
def real_encoder():
    from expertmatch.matching import load_encoder

    return load_encoder(DEFAULT_MODEL_SPEC)  # the default backend


@pytest.fixture(scope="session")
def real_matcher(real_encoder, pool: list[ExpertDoc], resolver: EntityResolver) -> Matcher:
    matcher = Matcher(real_encoder, resolver=resolver)
    matcher.index_experts(pool)
    return matcher
