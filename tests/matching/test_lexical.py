"""Tokenisation keeps the field's terms; the glossary bridges Chinese and English."""

from __future__ import annotations

import pytest

from expertmatch.matching import Glossary, Tokenizer, expand_terms


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
