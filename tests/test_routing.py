"""Routing a submitted case to a centre: the rule table, the province default, the fallback."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from expertmatch.extensions import db
from expertmatch.models import AuditEvent
from expertmatch.services import routing
from expertmatch.services.routing import (
    CaseFacts,
    RoutingTable,
    RoutingTableError,
    choose_centre,
    parse_table,
)
from tests import factories

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")
TABLE = routing.load_table(os.path.join(DATA, "routing_rules.json"))


def centre(code, kind="regional", province=None, active=True):  # type: ignore[no-untyped-def]
    return SimpleNamespace(code=code, kind=kind, province=province, active=active)


def demo_centres() -> list:
    with open(os.path.join(DATA, "demo", "centres.jsonl"), encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [centre(r["code"], r["kind"], r.get("province")) for r in rows]


CENTRES = demo_centres()


def route(**facts):  # type: ignore[no-untyped-def]
    return choose_centre(TABLE, CaseFacts(**facts), CENTRES)


# --- the shipped table -----------------------------------------------------------------------


def test_every_centre_the_table_names_exists_in_the_demo_network():  # type: ignore[no-untyped-def]
    codes = {c.code for c in CENTRES}
    named = {rule.centre for rule in TABLE.rules} | {TABLE.fallback_centre}
    assert named <= codes, named - codes


def test_photovoltaic_section_337_goes_to_the_pv_platform():  # type: ignore[no-untyped-def]
    decision = route(dispute_type="itc337", industry="photovoltaics", jurisdictions=("USITC", "US"),
                     province="CN-JS")
    assert (decision.rule_id, decision.centre_code) == ("pv-trade-and-patent", "IND-PV")


def test_automotive_sep_goes_to_the_automotive_platform():  # type: ignore[no-untyped-def]
    decision = route(dispute_type="sep_frand", industry="automotive", jurisdictions=("UPC", "DE"),
                     province="CN-ZJ")
    assert (decision.rule_id, decision.centre_code) == ("auto-sep", "IND-AUTO")


def test_by_default_the_province_decides_through_its_lead_centre():  # type: ignore[no-untyped-def]
    decision = route(dispute_type="sep_frand", industry="telecom", jurisdictions=("DE",),
                     province="CN-GD")
    # Guangdong has GD-GZ and GD-SZ (and the telecom platform, which is not regional).
    assert (decision.rule_id, decision.centre_code) == ("province", "GD-SZ")


def test_lead_centres_are_regional_centres_of_their_province():  # type: ignore[no-untyped-def]
    by_code = {c.code: c for c in CENTRES}
    for province, code in TABLE.province_centres.items():
        assert (by_code[code].kind, by_code[code].province) == ("regional", province), code


def test_a_photovoltaic_trademark_case_is_not_taken_by_the_platform():  # type: ignore[no-untyped-def]
    decision = route(dispute_type="trademark", industry="photovoltaics", province="CN-ZJ")
    assert (decision.rule_id, decision.centre_code) == ("province", "ZJ-HZ")


def test_a_province_without_a_centre_uses_the_fallback():  # type: ignore[no-untyped-def]
    decision = route(dispute_type="trademark", industry="machinery", province="CN-XZ")
    assert (decision.rule_id, decision.centre_code) == ("fallback", TABLE.fallback_centre)


# --- the engine ----------------------------------------------------------------------------------


def small_table(**rule_when) -> RoutingTable:  # type: ignore[no-untyped-def]
    return parse_table(
        {"fallback_centre": "HQ", "rules": [{"id": "r1", "centre": "OUT-SG", "when": rule_when}]}
    )


NETWORK = [
    centre("HQ", province="CN-BJ"),
    centre("OUT-SG", kind="outpost"),
    centre("GD-SZ", province="CN-GD"),
    centre("GD-AA", province="CN-GD", active=False),
    centre("GD-IND", kind="industry", province="CN-GD"),
]


@pytest.mark.parametrize(
    "jurisdictions, expected",
    [(("SG",), "OUT-SG"), (("SG", "MY"), "GD-SZ"), ((), "GD-SZ")],
)
def test_jurisdictions_only_needs_every_jurisdiction_listed(jurisdictions, expected):  # type: ignore[no-untyped-def]
    table = small_table(jurisdictions_only=["SG"])
    facts = CaseFacts(jurisdictions=jurisdictions, province="CN-GD")
    assert choose_centre(table, facts, NETWORK).centre_code == expected


@pytest.mark.parametrize(
    "jurisdictions, expected", [(("SG", "MY"), "OUT-SG"), (("MY",), "GD-SZ")]
)
def test_jurisdictions_any_needs_one_listed(jurisdictions, expected):  # type: ignore[no-untyped-def]
    table = small_table(jurisdictions_any=["SG"])
    facts = CaseFacts(jurisdictions=jurisdictions, province="CN-GD")
    assert choose_centre(table, facts, NETWORK).centre_code == expected


def test_all_conditions_of_a_rule_must_hold():  # type: ignore[no-untyped-def]
    table = small_table(dispute_type=["customs"], province=["CN-GD"])
    def rule_of(dispute_type: str, province: str) -> str:
        facts = CaseFacts(dispute_type, province=province)
        return choose_centre(table, facts, NETWORK).rule_id

    assert rule_of("customs", "CN-GD") == "r1"
    assert rule_of("customs", "CN-BJ") == "province"
    assert rule_of("trademark", "CN-GD") == "province"


def test_a_rule_for_an_inactive_centre_is_skipped():  # type: ignore[no-untyped-def]
    network = [*NETWORK[:1], centre("OUT-SG", kind="outpost", active=False), *NETWORK[2:]]
    decision = choose_centre(small_table(jurisdictions_any=["SG"]), CaseFacts(jurisdictions=("SG",),
                             province="CN-GD"), network)
    assert (decision.rule_id, decision.centre_code) == ("province", "GD-SZ")


def test_without_a_lead_the_first_regional_centre_by_code_takes_the_case():  # type: ignore[no-untyped-def]
    network = [*NETWORK, centre("GD-GZ", province="CN-GD")]
    table = parse_table({"rules": [], "province_centres": {"CN-GD": "GD-SZ"}})
    guangdong = CaseFacts(province="CN-GD")
    assert choose_centre(table, guangdong, network).centre_code == "GD-SZ"
    assert choose_centre(RoutingTable(), guangdong, network).centre_code == "GD-GZ"
    closed_lead = [c for c in network if c.code != "GD-SZ"]
    assert choose_centre(table, guangdong, closed_lead).centre_code == "GD-GZ"


def test_inactive_and_non_regional_centres_do_not_take_province_cases():  # type: ignore[no-untyped-def]
    decision = choose_centre(RoutingTable(), CaseFacts(province="CN-GD"), NETWORK)
    assert decision.centre_code == "GD-SZ"  # not GD-AA (inactive) nor GD-IND (industry)


def test_without_any_usable_centre_the_case_stays_unrouted():  # type: ignore[no-untyped-def]
    network = [centre("HQ", province="CN-BJ", active=False)]
    decision = choose_centre(small_table(province=["CN-SH"]), CaseFacts(province="CN-GD"), network)
    assert (decision.rule_id, decision.centre_code) == ("unrouted", None)


def test_the_case_industry_falls_back_to_the_enterprise_industry():  # type: ignore[no-untyped-def]
    organisation = SimpleNamespace(industry="photovoltaics", province="CN-JS")
    case = SimpleNamespace(dispute_type="itc337", industry=None, jurisdictions=["USITC"],
                           organisation=organisation)
    facts = routing.facts_of(case)
    assert (facts.industry, facts.province) == ("photovoltaics", "CN-JS")
    assert choose_centre(TABLE, facts, CENTRES).centre_code == "IND-PV"


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"id": "a", "centre": "X", "when": {}}, "at least one condition"),
        ({"id": "a", "centre": "X", "when": {"country": ["SG"]}}, "unknown condition"),
        ({"id": "a", "centre": "X", "when": {"industry": ["solar"]}}, "outside the vocabulary"),
        ({"id": "a", "centre": "X", "when": {"industry": []}}, "non-empty list"),
        ({"id": "province", "centre": "X", "when": {"industry": ["automotive"]}}, "reserved"),
        ({"id": "a", "when": {"industry": ["automotive"]}}, "`centre`"),
    ],
)
def test_a_broken_table_is_refused(rule, message):  # type: ignore[no-untyped-def]
    with pytest.raises(RoutingTableError, match=message):
        parse_table({"rules": [rule]})


def test_lead_centres_must_name_real_provinces():  # type: ignore[no-untyped-def]
    with pytest.raises(RoutingTableError, match="province_centres"):
        parse_table({"rules": [], "province_centres": {"Guangdong": "GD-SZ"}})


# --- applied to a row ----------------------------------------------------------------------------


def test_route_case_sets_the_centre_and_audits_the_rule(ctx):  # type: ignore[no-untyped-def]
    pv = factories.centre(
        code="IND-PV", kind="industry", province="CN-JS", industry="photovoltaics"
    )
    factories.centre(code="JS-SZ", province="CN-JS")
    org = factories.organisation(industry="photovoltaics", province="CN-JS")
    user = factories.user("enterprise", organisation_id=org.id)
    case = factories.dispute_case(org.id, dispute_type="itc337", jurisdictions=["USITC"],
                                  industry=None)
    decision = routing.route_case(case, user)
    db.session.commit()
    assert decision.rule_id == "pv-trade-and-patent"
    assert case.centre_id == pv.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case.routed"))
    assert event.detail == {"rule": "pv-trade-and-patent", "centre": "IND-PV"}
    assert (event.object_id, event.centre_id, event.actor_id) == (case.id, pv.id, user.id)
