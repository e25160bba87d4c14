"""Tokenisation keeps the field's terms; the glossary bridges Chinese and English."""

from __future__ import annotations

from pathlib import Path

import pytest

from expertmatch.matching import (
    Glossary,
    Tokenizer,
    case_from_dict,
    expand_terms,
    expert_from_dict,
)
from expertmatch.matching.texts import case_query_text, texts_for_expert


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LTE and 5G SEPs", {"lte", "5g", "sep"}),
        ("before the UPC", {"upc"}),
        ("a Section 337 investigation", {"s337", "section", "337"}),
        ("§ 337 at the ITC", {"s337", "itc"}),
        ("claims under the DTSA", {"dtsa", "claim"}),
        ("filed in the N.D. Ill. on Schedule A", {"nd_ill", "schedule_a"}),
        ("IEEE 802.11 Wi-Fi", {"802.11", "wifi"}),
        ("U.S. e-commerce", {"us", "ecommerce"}),
        ("licence / license", {"license"}),
    ],
)
def test_field_terms_survive(text: str, expected: set[str]) -> None:
    assert expected <= set(Tokenizer()(text))


def test_stopwords_and_label_words_go() -> None:
    tokens = Tokenizer()("The dispute type of the case is in Jurisdictions: Germany")
    assert "the" not in tokens and "dispute" not in tokens and "jurisdiction" not in tokens
    assert "germany" in tokens


def test_chinese_bigrams_and_jieba() -> None:
    assert Tokenizer()("标准必要专利") == ["标准", "准必", "必要", "要专", "专利"]
    words = Tokenizer("jieba")("标准必要专利禁令")
    assert "专利" in words and "禁令" in words


def test_glossary_expands_both_ways(tmp_path) -> None:
    glossary = Glossary()
    assert "injunction" in expand_terms("慕尼黑禁令", glossary)
    assert "禁令" in expand_terms("an injunction in Munich", glossary)
    assert expand_terms("anything", None) == []
    path = tmp_path / "glossary.tsv"
    path.write_text("# en\tzh\nfrozen funds\t冻结资金\n", encoding="utf-8")
    loaded = Glossary.from_file(path)
    assert "frozen funds" in loaded.expand("亚马逊冻结资金")
    assert len(loaded) == len(glossary) + 1


def test_traditional_chinese_is_matched_as_simplified() -> None:
    tokenize = Tokenizer()
    assert tokenize("華為技術 營業秘密 臨時禁令") == tokenize("华为技术 营业秘密 临时禁令")
    glossary = Glossary.from_file(Path(__file__).parents[2] / "data" / "glossary.tsv")
    expanded = expand_terms("申請定暫時狀態處分，保護營業秘密", glossary)
    assert {"preliminary injunction", "trade secret"} <= set(expanded)


def test_traditional_text_has_the_same_hash_and_query_as_simplified() -> None:
    simplified = expert_from_dict({"id": "A", "headline": "商业秘密诉讼律师", "bio": "临时禁令"})
    traditional = expert_from_dict({"id": "A", "headline": "商業秘密訴訟律師", "bio": "臨時禁令"})
    assert texts_for_expert(simplified) == texts_for_expert(traditional)
    case = {"id": "C", "title": "華為起訴我司", "description": "請求禁令"}
    assert case_query_text(case_from_dict(case)) == "华为起诉我司\n请求禁令"
