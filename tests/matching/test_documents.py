"""Parsing experts and cases from their JSONL dictionaries."""

from __future__ import annotations

import datetime as dt

import pytest

from expertmatch.matching import InputError, case_from_dict, detect_language, expert_from_dict


def test_minimal_expert_needs_only_id_and_text() -> None:
    expert = expert_from_dict({"id": "E1", "bio": "Patent litigator."})
    assert expert.id == "E1"
    assert expert.available is True
    assert expert.capacity is None
    assert expert.conflicts == () and expert.matters == ()


def test_conflicts_as_names_or_objects() -> None:
    expert = expert_from_dict(
        {
            "id": "E1",
            "bio": "x",
            "conflicts": [
                "Acme Inc.",
                {"entity": "Beta GmbH", "relation": "client", "until": "2027-01-31"},
            ],
        }
    )
    assert [c.entity for c in expert.conflicts] == ["Acme Inc.", "Beta GmbH"]
    assert expert.conflicts[1].until == dt.date(2027, 1, 31)
    assert expert.conflicts[1].relation == "client"


def test_counterparties_as_names_or_objects() -> None:
    case = case_from_dict(
        {
            "id": "C1",
            "title": "t",
            "counterparties": [
                "Acme Inc.",
                "华为技术有限公司",
                {"name_en": "Beta", "counsel": "Law LLP"},
            ],
            "enterprise": "Shenzhen X Co., Ltd.",
        }
    )
    assert case.counterparties[0].name_en == "Acme Inc."
    assert case.counterparties[1].name_zh == "华为技术有限公司"
    assert case.counterparties[2].counsel == "Law LLP"
    assert case.enterprise == ("Shenzhen X Co., Ltd.",)


def test_codes_are_normalised() -> None:
    expert = expert_from_dict(
        {"id": "E1", "bio": "x", "jurisdictions": ["de", " UPC "], "languages": ["DE"]}
    )
    assert expert.jurisdictions == ("DE", "UPC")
    assert expert.languages == ("de",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"bio": "x"}, "'id' is required"),
        ({"id": "E1"}, "has no text"),
        ({"id": "E1", "bio": "x", "jurisdictions": 5}, "'jurisdictions' must be"),
        (
            {"id": "E1", "bio": "x", "years_experience": "ten"},
            "'years_experience' must be a number",
        ),
        ({"id": "E1", "bio": "x", "available": "yes"}, "'available' must be true or false"),
        ({"id": "E1", "bio": "x", "absent_until": "next week"}, "'absent_until' is not a date"),
        ({"id": "E1", "bio": "x", "conflicts": [3]}, "conflicts[0]"),
        ({"id": "E1", "bio": "x", "matters": [{"title": "t", "year": "2020"}]}, "matters[0]"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_wrong_types_raise_input_error(data: object, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        expert_from_dict(data)  # type: ignore[arg-type]


def test_case_without_text_is_rejected() -> None:
    with pytest.raises(InputError, match="has no text"):
        case_from_dict({"id": "C1"})
    with pytest.raises(InputError, match="counterparties"):
        case_from_dict({"id": "C1", "title": "t", "counterparties": "Acme"})


def test_language_detection_from_script() -> None:
    assert detect_language("LTE SEP injunction in Munich") == "en"
    assert detect_language("德国慕尼黑标准必要专利禁令诉讼，涉及LTE和FRAND") == "zh"
    case = case_from_dict({"id": "C1", "title": "慕尼黑禁令"})
    assert case.language == "zh"
