"""The intake reader: structure read from free text, in Chinese and English."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expertmatch.cli import main
from expertmatch.matching import case_from_dict
from expertmatch.matching.intake import (
    IntakeReader,
    apply_reading,
    load_examples,
    strip_structure,
)
from expertmatch.matching.structured import component_confidence

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def reader() -> IntakeReader:
    return IntakeReader.from_data(DATA, split="train")


def test_written_set_is_large_enough_and_split_is_fixed():
    examples = load_examples(DATA / "intake" / "descriptions.jsonl")
    for lang in ("en", "zh"):
        mine = [e for e in examples if e.lang == lang]
        assert len(mine) >= 150
        assert sum(e.split == "test" for e in mine) >= 30
    demo = [json.loads(line)["description"] for line in open(DATA / "demo" / "cases.jsonl")]
    assert not any(e.text.split(" ", 1)[-1][:60] in d for e in examples for d in demo)


def test_chinese_squatting_in_mexico_is_read_with_its_words(reader):
    reading = reader.read("", "我们的经销商在墨西哥把我们的品牌抢注了，现在不让我们卖空调。")
    assert reading.dispute_type.value == "trademark"
    assert "抢注" in reading.dispute_type.evidence
    assert [j.value for j in reading.jurisdictions] == ["MX"]
    assert reading.jurisdictions[0].evidence == "墨西哥"
    assert "es" in reading.values("languages")


@pytest.mark.parametrize(
    ("text", "dispute", "jurisdictions"),
    [
        ("We got a letter from the ITC about our solar panels.", "itc337", {"USITC", "US"}),
        ("Amazon froze our store and the money, a court in Illinois.", "ecommerce", {"US"}),
        ("Our distributor registered our brand in Mexico.", "trademark", {"MX"}),
        ("German customs in Hamburg detained our shipment.", "customs", {"DE", "EU"}),
        ("收到美国国际贸易委员会的337调查通知", "itc337", {"USITC", "US"}),
    ],
)
def test_vague_descriptions(reader, text, dispute, jurisdictions):
    reading = reader.read(text)
    assert reading.dispute_type.value == dispute
    assert set(reading.values("jurisdictions")) == jurisdictions


def test_us_pronoun_is_not_the_united_states(reader):
    assert "US" not in reader.read("A Turkish company sued us in Istanbul.").values("jurisdictions")


def test_reading_is_deterministic_and_json_shaped(reader):
    text = "Ein Patentinhaber sued us in Munich over LTE standard essential patents"
    a, b = reader.read(text).to_dict("X"), IntakeReader.from_data(DATA).read(text).to_dict("X")
    assert a == b
    assert set(a) == {
        "case_id",
        "dispute_type",
        "forum",
        "jurisdictions",
        "industry",
        "languages",
        "counterparties",
    }
    assert 0 < a["dispute_type"]["confidence"] <= 1 and a["dispute_type"]["evidence"]
    assert isinstance(a["jurisdictions"], list) and a["jurisdictions"][0]["value"] == "DE"


def test_apply_reading_fills_only_empty_fields_with_confidence(reader):
    case = case_from_dict(
        {
            "id": "C1",
            "description": "Amazon froze our store in a Schedule A case",
            "dispute_type": "trademark",
        }
    )
    filled = apply_reading(case, reader.read_case(case))
    assert filled.dispute_type == "trademark"  # what a person chose stays
    assert "dispute_type" not in filled.field_confidence
    assert filled.jurisdictions == ("US",)
    assert 0 < filled.field_confidence["jurisdictions"] < 1
    assert component_confidence(filled)["jurisdiction"] == filled.field_confidence["jurisdictions"]


def test_strip_structure_empties_every_field():
    case = case_from_dict(
        {
            "id": "C1",
            "title": "t",
            "dispute_type": "customs",
            "jurisdictions": ["DE"],
            "industry": "machinery",
            "languages": ["de"],
        }
    )
    bare = strip_structure(case)
    assert (bare.dispute_type, bare.jurisdictions, bare.industry, bare.languages) == (
        None,
        (),
        None,
        (),
    )


def test_corrections_teach_the_classifier():
    text = "Zorblax quibble on the flurm"
    extra = [
        {
            "id": f"x{i}",
            "description": f"Zorblax quibble on the flurm {i}",
            "dispute_type": "copyright",
            "industry": "chemicals",
        }
        for i in range(6)
    ]
    from expertmatch.matching.intake import example_from_dict

    taught = IntakeReader.from_data(DATA, extra=[example_from_dict(d) for d in extra])
    assert taught.read(text).dispute_type.value == "copyright"


def test_cli_read_writes_one_line_per_case(tmp_path, capsys):
    cases = tmp_path / "c.jsonl"
    cases.write_text(
        json.dumps(
            {"id": "A", "description": "我们在亚马逊的店铺被冻结，伊利诺伊州的附表A诉讼"},
            ensure_ascii=False,
        )
        + "\n"
        + json.dumps({"id": "B", "title": "ITC letter"})
        + "\n",
        encoding="utf-8",
    )
    assert main(["read", "--cases", str(cases)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["case_id"] for x in lines] == ["A", "B"]
    assert lines[0]["dispute_type"]["value"] == "ecommerce"
    assert lines[1]["dispute_type"]["value"] == "itc337"
    out = tmp_path / "out.jsonl"
    assert main(["read", "--cases", str(cases), "--output", str(out)]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
