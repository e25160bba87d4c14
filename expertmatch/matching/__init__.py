"""ExpertMatch's matching engine: a pure library, documents in, ranked experts out.

It imports nothing from Flask, SQLAlchemy or ``expertmatch.models`` (a test proves it): the web
layer, the CLI and the benchmark all call the same functions. The embedding model is loaded only
when :func:`load_encoder` is called.

Typical use::

    from expertmatch.matching import Matcher, load_encoder, expert_from_dict, case_from_dict

    matcher = Matcher(load_encoder())           # EXPERTMATCH_EMBEDDING_MODEL or the default
    matcher.index_experts(experts)              # or upsert(expert, vectors_by_key) one by one
    result = matcher.rank(case, top_k=10, explain=True)
"""

from __future__ import annotations

from expertmatch.matching.documents import (
    CaseDoc,
    ConflictDecl,
    ExpertDoc,
    Matter,
    Party,
    case_from_dict,
    detect_language,
    expert_from_dict,
)
from expertmatch.matching.encoders import (
    DEFAULT_MODEL_SPEC,
    MODEL_SETTING,
    Encoder,
    HashingEncoder,
    SentenceTransformerEncoder,
    create_encoder,
    load_encoder,
    register_encoder,
)
from expertmatch.matching.entities import (
    CommonParties,
    EntityRecord,
    EntityResolver,
    entity_from_dict,
    normalise_entity,
)
from expertmatch.matching.errors import InputError, MatchingError, ModelUnavailable
from expertmatch.matching.index import ExpertIndex
from expertmatch.matching.lexical import Glossary, LexicalIndex, Tokenizer, expand_terms
from expertmatch.matching.matcher import CaseScores, Matcher, RankedExpert, RankResult
from expertmatch.matching.rules import REASONS, Exclusion
from expertmatch.matching.texts import ExpertText, case_query_text, text_hash, texts_for_expert
from expertmatch.matching.vectors import (
    VectorCache,
    VectorRecord,
    stale_records,
    texts_to_encode,
)
from expertmatch.matching.weights import DEFAULT_WEIGHTS, FusionWeights

__all__ = [
    "DEFAULT_MODEL_SPEC",
    "DEFAULT_WEIGHTS",
    "MODEL_SETTING",
    "REASONS",
    "CaseDoc",
    "CaseScores",
    "CommonParties",
    "ConflictDecl",
    "Encoder",
    "EntityRecord",
    "EntityResolver",
    "Exclusion",
    "ExpertDoc",
    "ExpertIndex",
    "ExpertText",
    "FusionWeights",
    "Glossary",
    "HashingEncoder",
    "InputError",
    "LexicalIndex",
    "Matcher",
    "MatchingError",
    "Matter",
    "ModelUnavailable",
    "Party",
    "RankResult",
    "RankedExpert",
    "SentenceTransformerEncoder",
    "Tokenizer",
    "VectorCache",
    "VectorRecord",
    "case_from_dict",
    "case_query_text",
    "create_encoder",
    "detect_language",
    "entity_from_dict",
    "expand_terms",
    "expert_from_dict",
    "load_encoder",
    "normalise_entity",
    "register_encoder",
    "stale_records",
    "text_hash",
    "texts_for_expert",
    "texts_to_encode",
]
