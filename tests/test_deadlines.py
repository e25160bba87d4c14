"""The response-deadline engine: every rule of data/deadline_rules.json, working days,
trigger dates, and a malformed table refused with a message that names the rule."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta

import pytest

from expertmatch.services import deadlines
from expertmatch.services.deadlines import (
    DeadlineRule,
    DeadlineRulesError,
    add_working_days,
    compute_deadline,
    deadline_risk,
    parse_rules,
)

RULES_PATH = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "deadline_rules.json")
RULES = deadlines.load_rules(RULES_PATH)
TUESDAY = date(2026, 11, 24)
FRIDAY = date(2026, 11, 27)


def compute(**kw):  # type: ignore[no-untyped-def]
    kw.setdefault("dispute_type", None)
    kw.setdefault("jurisdictions", [])
    kw.setdefault("forum", "")
    return compute_deadline(RULES, **kw)


# --- working days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, days, expected",
    [
        (FRIDAY, 1, date(2026, 11, 30)),  # Friday + 1 working day = Monday
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # from a Saturday
        (date(2026, 11, 29), 5, date(2026, 12, 4)),  # Sunday + 5 = Friday
        (TUESDAY, 10, date(2026, 12, 8)),  # two full weeks of working days
        (FRIDAY, 3, date(2026, 12, 2)),  # Friday + 3 = Wednesday
        (TUESDAY, 0, TUESDAY),
    ],
)
def test_working_days_skip_weekends(start, days, expected):  # type: ignore[no-untyped-def]
    result = add_working_days(start, days)
    assert result == expected
    assert result.weekday() < 5 or days == 0


def test_calendar_days_do_not_skip_weekends():  # type: ignore[no-untyped-def]
    assert deadlines.add_period(FRIDAY, 1, working_days=False) == date(2026, 11, 28)


# --- every rule in the table -------------------------------------------------------------------


def _typical_case(rule: DeadlineRule) -> dict:
    """A case that each rule is written for: its type, its jurisdiction, its first keyword."""
    return {
        "dispute_type": rule.dispute_type or "patent_infringement",
        "jurisdictions": [rule.jurisdiction] if rule.jurisdiction else ["CH"],
        "forum": f"Forum: {rule.forum_keywords[0]} (main)" if rule.forum_keywords else "",
        rule.trigger: TUESDAY,
    }


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_each_rule_gives_its_period_for_its_own_case(rule):  # type: ignore[no-untyped-def]
    """No rule is shadowed by an earlier, more general one, and each counts its period right."""
    result = compute(**_typical_case(rule))
    assert result.rule_id == rule.id
    expected = (
        add_working_days(TUESDAY, rule.days) if rule.working_days
        else TUESDAY + timedelta(days=rule.days)
    )
    assert result.deadline == expected
    assert result.approximate is rule.approximate
    assert result.basis and len(result.basis) <= 400


def test_the_table_covers_both_triggers_and_both_kinds_of_days():  # type: ignore[no-untyped-def]
    assert {r.trigger for r in RULES} == {"service_date", "tro_date"}
    assert {r.working_days for r in RULES} == {True, False}


def test_itc_337_answer_is_20_days_after_service():  # type: ignore[no-untyped-def]
    result = compute(
        dispute_type="itc337", jurisdictions=["USITC", "US"],
        forum="U.S. International Trade Commission (Section 337)", service_date=date(2026, 11, 19),
    )
    assert result.deadline == date(2026, 12, 9)
    assert deadlines.rule_summary(result.rule) == "20 days after service (19 C.F.R. § 210.13(a))"


def test_schedule_a_counts_from_the_tro_not_from_service():  # type: ignore[no-untyped-def]
    result = compute(
        dispute_type="ecommerce", jurisdictions=["US"],
        forum="U.S. District Court for the Northern District of Illinois (Schedule A)",
        tro_date=date(2026, 11, 18), service_date=date(2026, 11, 19),
    )
    assert (result.rule_id, result.deadline) == ("us_schedule_a_tro", date(2026, 12, 2))
    assert result.approximate
    assert deadlines.rule_summary(result.rule) == "14 days after the TRO (FRCP 65(b)(2))"


def test_chinese_forum_keywords_match():  # type: ignore[no-untyped-def]
    result = compute(
        dispute_type="ecommerce", jurisdictions=["US"],
        forum="美国伊利诺伊北区联邦地区法院（附表A）", tro_date=date(2026, 11, 10),
    )
    assert result.rule_id == "us_schedule_a_tro"


def test_schedule_a_without_tro_date_falls_back_to_the_federal_answer():  # type: ignore[no-untyped-def]
    result = compute(
        dispute_type="ecommerce", jurisdictions=["US"],
        forum="U.S. District Court for the Northern District of Illinois (Schedule A)",
        service_date=date(2026, 11, 19),
    )
    assert (result.rule_id, result.deadline) == ("us_federal_answer", date(2026, 12, 10))


def test_a_missing_trigger_date_is_reported():  # type: ignore[no-untyped-def]
    result = compute(
        dispute_type="ecommerce", jurisdictions=["US"], forum="Schedule A, N.D. Ill.",
    )
    assert result.deadline is None
    assert result.missing_trigger == "tro_date"
    assert result.missing_rule.id == "us_schedule_a_tro"


def test_eu_customs_detention_counts_working_days():  # type: ignore[no-untyped-def]
    result = compute(
        dispute_type="customs", jurisdictions=["NL", "EU"],
        forum="Dutch Customs (Douane), Port of Rotterdam", service_date=TUESDAY,
    )
    assert (result.rule_id, result.deadline) == ("eu_customs_detention", date(2026, 12, 8))
    assert deadlines.rule_summary(result.rule).startswith("10 working days after service")


def test_perishable_goods_rule_comes_before_the_general_customs_rule():  # type: ignore[no-untyped-def]
    result = compute(
        dispute_type="customs", jurisdictions=["EU"],
        forum="Hauptzollamt Hamburg, perishable goods", service_date=FRIDAY,
    )
    assert result.rule_id == "eu_customs_detention_perishable"
    assert result.deadline == date(2026, 12, 2)


def test_udrp_applies_to_any_dispute_type_at_wipo():  # type: ignore[no-untyped-def]
    result = compute(
        dispute_type="trademark", jurisdictions=["WIPO"],
        forum="WIPO Arbitration and Mediation Center (UDRP)", service_date=date(2026, 11, 23),
    )
    assert (result.rule_id, result.deadline) == ("udrp_response", date(2026, 12, 13))


@pytest.mark.parametrize(
    "case",
    [
        # ITC keywords but another dispute type and no USITC jurisdiction
        {"dispute_type": "copyright", "jurisdictions": ["JP"], "forum": "Tokyo District Court"},
        # the right forum words in a jurisdiction the rule does not name
        {"dispute_type": "copyright", "jurisdictions": ["AT"], "forum": "Landgericht Wien"},
        # the right type and jurisdiction but no keyword in the forum
        {"dispute_type": "customs", "jurisdictions": ["US"], "forum": "Port of Long Beach"},
    ],
)
def test_no_rule_no_deadline(case):  # type: ignore[no-untyped-def]
    result = compute(service_date=TUESDAY, tro_date=TUESDAY, **case)
    assert result.deadline is None and result.rule is None and result.missing_trigger is None


def test_a_trigger_date_at_the_end_of_the_calendar_gives_no_deadline():  # type: ignore[no-untyped-def]
    result = compute(dispute_type="itc337", jurisdictions=["USITC"], forum="USITC",
                     service_date=date(9999, 12, 30))
    assert result.deadline is None


def test_keywords_match_case_insensitively():  # type: ignore[no-untyped-def]
    result = compute(
        dispute_type="itc337", jurisdictions=["USITC"], forum="u.s. international trade commission",
        service_date=TUESDAY,
    )
    assert result.rule_id == "itc337_complaint"


# --- the table is checked, never half-read -----------------------------------------------------


GOOD_RULE = {
    "id": "x", "trigger": "service_date", "days": 10, "working_days": False,
    "basis": "Rule 1: ten days.", "approximate": False, "dispute_type": None,
    "jurisdiction": None, "forum_keywords": [],
}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"trigger": "hearing_date"}, "`trigger`"),
        ({"days": True}, "`days`"),
        ({"days": 0}, "`days`"),
        ({"working_days": "yes"}, "`working_days`"),
        ({"dispute_type": "piracy"}, "`dispute_type`"),
        ({"forum_keywords": "ITC"}, "`forum_keywords`"),
        ({"basis": ""}, "`basis`"),
        ({"workingdays": True}, "unknown field"),
    ],
)
def test_a_broken_rule_is_refused_with_its_id(change, message):  # type: ignore[no-untyped-def]
    with pytest.raises(DeadlineRulesError) as error:
        parse_rules({"rules": [{**GOOD_RULE, **change}]})
    assert message in str(error.value) and "(x)" in str(error.value)


def test_duplicate_rule_ids_are_refused():  # type: ignore[no-untyped-def]
    with pytest.raises(DeadlineRulesError, match="twice"):
        parse_rules({"rules": [GOOD_RULE, GOOD_RULE]})


def test_the_shipped_table_documents_itself():  # type: ignore[no-untyped-def]
    with open(RULES_PATH, encoding="utf-8") as handle:
        document = json.load(handle)
    assert "first matching rule wins" in document["comment"]
    assert all(rule.citation for rule in RULES), "every rule should quote its legal source"


# --- risk flags --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "offset, expected",
    [(-1, "overdue"), (0, "soon"), (7, "soon"), (8, None)],
)
def test_deadline_risk_within_the_warning_window(offset, expected):  # type: ignore[no-untyped-def]
    assert deadline_risk(TUESDAY + timedelta(days=offset), 7, today=TUESDAY) == expected


def test_no_deadline_no_risk():  # type: ignore[no-untyped-def]
    assert deadline_risk(None, 7, today=TUESDAY) is None


def test_an_override_is_explained_as_set_by_the_enterprise():  # type: ignore[no-untyped-def]
    explanation = deadlines.explain(TUESDAY, None, "Set by the enterprise", overridden=True)
    assert explanation.summary == "Set by the enterprise" and explanation.overridden


def test_explain_names_the_rule_and_quotes_its_basis(ctx):  # type: ignore[no-untyped-def]
    explanation = deadlines.explain(TUESDAY, "itc337_complaint", None, overridden=False)
    assert explanation.summary == "20 days after service (19 C.F.R. § 210.13(a))"
    assert explanation.detail.startswith("19 C.F.R. § 210.13(a)")
    assert not explanation.approximate
