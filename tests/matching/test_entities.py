"""Entity normalisation, corporate families, common parties and the conflict rules."""

from __future__ import annotations

import datetime as dt

import pytest

from expertmatch.matching import (
    CommonParties,
    EntityRecord,
    EntityResolver,
    HashingEncoder,
    Matcher,
    case_from_dict,
    expert_from_dict,
    normalise_entity,
)

DAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Huawei Technologies Co., Ltd.", "huawei technologies"),
        ("HUAWEI TECHNOLOGIES CO LTD", "huawei technologies"),
        ("Nordvik Telecom Oy", "nordvik telecom"),
        ("Acme, L.L.C.", "acme"),
        ("Acme LLC", "acme"),
        ("Grupo Norte S.A. de C.V.", "grupo norte"),
        ("Bosch GmbH & Co. KG", "bosch"),
        ("Siemens AG", "siemens"),
        ("Philips B.V.", "philips"),
        ("ARM Holdings PLC", "arm holdings"),
        ("Ｆｕｌｌｗｉｄｔｈ Corp.", "fullwidth"),
        ("华为技术有限公司", "华为技术"),
        ("比亚迪股份有限公司", "比亚迪"),
        ("深圳市某某有限责任公司", "深圳市某某"),
        ("海尔集团", "海尔"),
        ("Ltd.", "ltd"),
    ],
)
def test_normalise_entity(name: str, key: str) -> None:
    assert normalise_entity(name) == key


@pytest.fixture
def huawei() -> EntityResolver:
    return EntityResolver(
        [
            EntityRecord("Huawei Investment & Holding Co., Ltd.", None, ("华为投资控股有限公司",)),
            EntityRecord(
                "Huawei Technologies Co., Ltd.",
                "Huawei Investment & Holding Co., Ltd.",
                ("HUAWEI", "华为技术有限公司"),
            ),
            EntityRecord("Huawei Device Co., Ltd.", "Huawei Technologies Co., Ltd.", ()),
        ]
    )


def test_aliases_link_spellings(huawei: EntityResolver) -> None:
    names = ["Huawei Technologies Co., Ltd.", "HUAWEI", "华为技术有限公司", "huawei technologies"]
    assert len({huawei.canonical(n) for n in names}) == 1


def test_family_goes_both_ways(huawei: EntityResolver) -> None:
    root = huawei.root("Huawei Investment & Holding")
    assert huawei.root("Huawei Device Co., Ltd.") == root
    assert huawei.root("HUAWEI") == root
    assert huawei.root("Nordvik Telecom") != root


def _matcher(resolver: EntityResolver | None = None, **kw) -> Matcher:
    return Matcher(HashingEncoder(64), resolver=resolver, **kw)


def _expert(expert_id: str, conflicts: list, **extra) -> dict:
    return {"id": expert_id, "bio": "SEP litigator in Munich.", "conflicts": conflicts, **extra}


def _excluded(matcher: Matcher, case: dict) -> dict[str, str]:
    result = matcher.rank(case_from_dict({"title": "SEP case", **case}), top_k=0, today=DAY)
    return {e.expert_id: e.reason_code for e in result.excluded}


@pytest.mark.parametrize("spelling", ["HUAWEI", "华为技术有限公司", "Huawei Technologies Co Ltd"])
def test_conflict_caught_whatever_the_spelling(huawei: EntityResolver, spelling: str) -> None:
    matcher = _matcher(huawei)
    matcher.index_experts(
        [
            expert_from_dict(_expert("E1", ["Huawei Technologies Co., Ltd."])),
            expert_from_dict(_expert("E2", [])),
        ]
    )
    assert _excluded(matcher, {"id": "C1", "counterparties": [spelling]}) == {
        "E1": "conflict_counterparty"
    }


def test_parent_catches_subsidiary_and_vice_versa(huawei: EntityResolver) -> None:
    matcher = _matcher(huawei)
    matcher.index_experts(
        [
            expert_from_dict(_expert("P", ["Huawei Investment & Holding Co., Ltd."])),
            expert_from_dict(_expert("S", ["Huawei Device Co., Ltd."])),
        ]
    )
    assert set(_excluded(matcher, {"id": "C1", "counterparties": ["Huawei Device"]})) == {"P", "S"}
    assert set(_excluded(matcher, {"id": "C2", "counterparties": ["华为投资控股"]})) == {"P", "S"}


def test_shared_words_never_exclude() -> None:
    matcher = _matcher()
    matcher.index_experts(
        [
            expert_from_dict(_expert("E1", ["Telecom Italia S.p.A.", "Nordic Telecom AB"])),
            expert_from_dict(_expert("E2", ["Nordvik Telecom Oy"])),
        ]
    )
    excluded = _excluded(matcher, {"id": "C1", "counterparties": ["Nordvik Telecom"]})
    assert excluded == {"E2": "conflict_counterparty"}


def test_common_parties_never_exclude_by_themselves(tmp_path) -> None:
    extra = tmp_path / "common_parties.txt"
    extra.write_text("# platforms\nBigMarket Online\n", encoding="utf-8")
    matcher = _matcher(common_parties=CommonParties.from_file(extra))
    matcher.index_experts(
        [
            expert_from_dict(_expert("E1", ["Amazon.com, Inc.", "BigMarket Online Ltd."])),
            expert_from_dict(_expert("E2", ["Brand Owner LLC"])),
        ]
    )
    case = {"id": "C1", "counterparties": ["Amazon", "BigMarket Online", "Brand Owner, LLC"]}
    assert _excluded(matcher, case) == {"E2": "conflict_counterparty"}


def test_past_until_dates_no_longer_exclude() -> None:
    matcher = _matcher()
    matcher.index_experts(
        [
            expert_from_dict(_expert("OLD", [{"entity": "Acme", "until": "2026-11-29"}])),
            expert_from_dict(_expert("TODAY", [{"entity": "Acme", "until": "2026-11-30"}])),
            expert_from_dict(_expert("OPEN", [{"entity": "Acme"}])),
        ]
    )
    assert set(_excluded(matcher, {"id": "C1", "counterparties": ["Acme Inc."]})) == {
        "TODAY",
        "OPEN",
    }


def test_counsel_firm_and_enterprise_conflicts() -> None:
    matcher = _matcher()
    matcher.index_experts(
        [
            expert_from_dict(_expert("COUNSEL", ["Hartmann Vogel Rechtsanwälte"])),
            expert_from_dict(_expert("FIRM", [], firm="Hartmann Vogel")),
            expert_from_dict(_expert("ENT", [{"entity": "Shenzhen Lianxin Communication"}])),
            expert_from_dict(_expert("FREE", [])),
        ]
    )
    case = {
        "id": "C1",
        "counterparties": [{"name_en": "Nordvik", "counsel": "Hartmann Vogel Rechtsanwälte"}],
        "enterprise": "Shenzhen Lianxin Communication Co., Ltd.",
    }
    assert _excluded(matcher, case) == {
        "COUNSEL": "conflict_counsel",
        "FIRM": "firm_is_counsel",
        "ENT": "conflict_enterprise",
    }


def test_availability_rules_with_reasons() -> None:
    matcher = _matcher()
    matcher.index_experts(
        [
            expert_from_dict(_expert("OFF", [], available=False)),
            expert_from_dict(_expert("AWAY", [], absent_until="2026-12-15")),
            expert_from_dict(_expert("BACK", [], absent_until="2026-11-29")),
            expert_from_dict(_expert("FULL", [], capacity=2, active_cases=2)),
            expert_from_dict(_expert("ROOM", [], capacity=3, active_cases=2)),
        ]
    )
    result = matcher.rank(case_from_dict({"id": "C1", "title": "x"}), top_k=0, today=DAY)
    reasons = {e.expert_id: e for e in result.excluded}
    assert {k: v.reason_code for k, v in reasons.items()} == {
        "OFF": "unavailable",
        "AWAY": "absent",
        "FULL": "at_capacity",
    }
    assert reasons["AWAY"].params == {"until": "2026-12-15"}
    assert reasons["AWAY"].reason == "Absent until 2026-12-15."
    assert "2 of 2" in reasons["FULL"].reason
    assert {r.expert_id for r in result.ranking} == {"BACK", "ROOM"}


def test_case_reference_date_overrides_today() -> None:
    matcher = _matcher()
    matcher.index_experts([expert_from_dict(_expert("AWAY", [], absent_until="2026-12-15"))])
    case = case_from_dict({"id": "C1", "title": "x", "reference_date": "2027-01-01"})
    assert matcher.rank(case, today=DAY).excluded == []
