"""Response deadlines from the documented rule table ``data/deadline_rules.json``.

An enterprise under a 14-day deadline must see it the moment it files, with the rule it comes
from, so it can check it against the papers it was served. The rules live in one table (its
``comment`` documents it; ``data/FORMAT.md`` lists it); this module only applies them:

* a rule *applies* when every condition it sets holds: ``dispute_type`` equals the case's type
  (null = any), ``jurisdiction`` is one of the case's jurisdictions (null = any), and at least
  one of its ``forum_keywords`` occurs in the case's forum, case-insensitively (empty = any);
* the table lists the most specific rules first, and the first rule that applies *and* whose
  trigger date (``service_date`` or ``tro_date``) the case has gives the deadline. A rule that
  applies but lacks its trigger date is remembered, so the form can ask for that date; a later,
  more general rule may still give a deadline (a Schedule A case without a TRO date falls back to
  21 days after service);
* ``days`` are calendar days counted from the day after the trigger date, or working days
  (Monday to Friday; public holidays are not considered) when ``working_days`` is true. The
  result is not moved off a weekend: the table states periods as the forum states them.

:func:`compute_deadline` is pure (rules in, result out) so every rule type can be unit-tested;
:func:`app_rules` reads the table of the running app (``DATA_DIR``) and caches it until the
file changes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _

from expertmatch.vocabulary import DISPUTE_TYPES

TRIGGERS = ("service_date", "tro_date")
RULES_FILE = "deadline_rules.json"
_RULE_KEYS = {
    "id", "dispute_type", "forum_keywords", "jurisdiction", "trigger", "days", "working_days",
    "basis", "approximate", "basis_zh", "note", "comment",
}
# A citation is the part of the basis before the first ": " when it is short enough to quote.
_CITATION_MAX = 160


class DeadlineRulesError(ValueError):
    """The rule table is malformed; the message names the file, the rule and the field."""


@dataclass(frozen=True)
class DeadlineRule:
    id: str
    trigger: str
    days: int
    basis: str
    working_days: bool = False
    approximate: bool = False
    dispute_type: str | None = None
    jurisdiction: str | None = None
    forum_keywords: tuple[str, ...] = ()
    basis_zh: str | None = None

    def applies(
        self, dispute_type: str | None, jurisdictions: Iterable[str], forum: str | None
    ) -> bool:
        """Every condition the rule sets holds for the case."""
        if self.dispute_type is not None and self.dispute_type != dispute_type:
            return False
        if self.jurisdiction is not None and self.jurisdiction not in set(jurisdictions or ()):
            return False
        if self.forum_keywords:
            text = (forum or "").casefold()
            if not any(keyword.casefold() in text for keyword in self.forum_keywords):
                return False
        return True

    @property
    def citation(self) -> str | None:
        """The legal source quoted after the period ("19 C.F.R. § 210.13(a)")."""
        head, sep, _rest = self.basis.partition(": ")
        return head.strip() if sep and len(head) <= _CITATION_MAX else None

    def summary_en(self) -> str:
        """An English one-liner for storage and exports (pages use :func:`explain`)."""
        unit = "working days" if self.working_days else "days"
        event = "service" if self.trigger == "service_date" else "the TRO"
        text = f"{self.days} {unit} after {event}"
        if self.citation:
            text = f"{text} ({self.citation})"
        if self.approximate:
            text = f"{text}; approximate"
        return text[:400]


@dataclass(frozen=True)
class DeadlineResult:
    """What the table says for one case: a date and its rule, or what is missing."""

    deadline: date | None = None
    rule: DeadlineRule | None = None
    trigger_date: date | None = None
    # The trigger the first applicable rule needs when no rule could compute a date.
    missing_trigger: str | None = None
    missing_rule: DeadlineRule | None = None

    @property
    def rule_id(self) -> str | None:
        return self.rule.id if self.rule else None

    @property
    def basis(self) -> str | None:
        return self.rule.summary_en() if self.rule else None

    @property
    def approximate(self) -> bool:
        return bool(self.rule and self.rule.approximate)


def add_working_days(start: date, days: int) -> date:
    """``days`` working days after ``start`` (Monday-Friday; holidays are not known)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def add_period(start: date, days: int, working_days: bool) -> date:
    return add_working_days(start, days) if working_days else start + timedelta(days=days)


def compute_deadline(
    rules: Sequence[DeadlineRule],
    *,
    dispute_type: str | None,
    jurisdictions: Iterable[str] | None,
    forum: str | None,
    service_date: date | None = None,
    tro_date: date | None = None,
) -> DeadlineResult:
    """The first applicable rule whose trigger date is known gives the deadline."""
    triggers = {"service_date": service_date, "tro_date": tro_date}
    jurisdictions = list(jurisdictions or ())
    waiting: DeadlineRule | None = None
    for rule in rules:
        if not rule.applies(dispute_type, jurisdictions, forum):
            continue
        start = triggers.get(rule.trigger)
        if start is None:
            waiting = waiting or rule
            continue
        try:
            deadline = add_period(start, rule.days, rule.working_days)
        except OverflowError:  # a trigger date at the end of the calendar: no deadline to give
            return DeadlineResult()
        return DeadlineResult(deadline=deadline, rule=rule, trigger_date=start)
    if waiting is not None:
        return DeadlineResult(missing_trigger=waiting.trigger, missing_rule=waiting)
    return DeadlineResult()


# ---------------------------------------------------------------------------------------------
# Reading the table


def _rule_from_dict(raw: Any, index: int, where: str) -> DeadlineRule:
    def fail(message: str) -> DeadlineRulesError:
        name = raw.get("id") if isinstance(raw, dict) else None
        return DeadlineRulesError(f"{where}: rule {index} ({name or 'no id'}): {message}")

    if not isinstance(raw, dict):
        raise fail("is not an object")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise fail(f"unknown field(s) {sorted(unknown)}; known: {sorted(_RULE_KEYS)}")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise fail("`id` must be a non-empty string")
    if raw.get("trigger") not in TRIGGERS:
        raise fail(f"`trigger` must be one of {TRIGGERS}")
    days = raw.get("days")
    if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= 3660:
        raise fail("`days` must be a whole number of days between 1 and 3660")
    for flag in ("working_days", "approximate"):
        if not isinstance(raw.get(flag, False), bool):
            raise fail(f"`{flag}` must be true or false")
    dispute_type = raw.get("dispute_type")
    if dispute_type is not None and dispute_type not in DISPUTE_TYPES:
        raise fail(f"`dispute_type` {dispute_type!r} is not in the vocabulary")
    jurisdiction = raw.get("jurisdiction")
    if jurisdiction is not None and (not isinstance(jurisdiction, str) or not jurisdiction):
        raise fail("`jurisdiction` must be a code or null")
    keywords = raw.get("forum_keywords") or []
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
        raise fail("`forum_keywords` must be a list of non-empty strings")
    basis = raw.get("basis")
    if not isinstance(basis, str) or not basis.strip():
        raise fail("`basis` must say where the period comes from")
    basis_zh = raw.get("basis_zh")
    if basis_zh is not None and not isinstance(basis_zh, str):
        raise fail("`basis_zh` must be a string")
    return DeadlineRule(
        id=rule_id.strip(),
        trigger=raw["trigger"],
        days=days,
        basis=basis.strip(),
        working_days=raw.get("working_days", False),
        approximate=raw.get("approximate", False),
        dispute_type=dispute_type,
        jurisdiction=jurisdiction,
        forum_keywords=tuple(keywords),
        basis_zh=basis_zh,
    )


def parse_rules(document: Any, where: str = RULES_FILE) -> tuple[DeadlineRule, ...]:
    """Check and convert the table; a broken table is an error, never a silent skip."""
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise DeadlineRulesError(f"{where}: expected an object with a `rules` list")
    rules = tuple(_rule_from_dict(raw, i, where) for i, raw in enumerate(document["rules"]))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise DeadlineRulesError(f"{where}: rule id {rule.id!r} appears twice")
        seen.add(rule.id)
    return rules


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float) -> tuple[DeadlineRule, ...]:
    with open(path, encoding="utf-8") as handle:
        try:
            document = json.load(handle)
        except ValueError as error:
            raise DeadlineRulesError(f"{path}: not valid JSON ({error})") from None
    return parse_rules(document, path)


def load_rules(path: str) -> tuple[DeadlineRule, ...]:
    """The rules of one file, re-read when the file changes."""
    return _load_cached(path, os.path.getmtime(path))


def rules_path() -> str:
    from flask import current_app

    return os.path.join(current_app.config["DATA_DIR"], RULES_FILE)


def app_rules() -> tuple[DeadlineRule, ...]:
    """The running app's table; empty (no computed deadlines) if the file is missing."""
    path = rules_path()
    if not os.path.exists(path):
        return ()
    return load_rules(path)


def rule_by_id(rule_id: str | None) -> DeadlineRule | None:
    if not rule_id:
        return None
    return next((rule for rule in app_rules() if rule.id == rule_id), None)


# ---------------------------------------------------------------------------------------------
# Dates as the enterprise sees them


def local_today() -> date:
    """Today where the users are (the app's Babel timezone, Asia/Shanghai by default): a service
    date typed at 7 a.m. in Shenzhen must not be "in the future" for a server on UTC."""
    from flask import has_app_context

    if not has_app_context():
        return date.today()
    from flask_babel import get_timezone

    return datetime.now(get_timezone()).date()


def days_left(deadline: date | None, today: date | None = None) -> int | None:
    if deadline is None:
        return None
    return (deadline - (today or local_today())).days


def deadline_risk(
    deadline: date | None, warning_days: int, today: date | None = None
) -> str | None:
    """``"overdue"`` when the date has passed, ``"soon"`` within the warning window, else None."""
    left = days_left(deadline, today)
    if left is None:
        return None
    if left < 0:
        return "overdue"
    if left <= warning_days:
        return "soon"
    return None


@dataclass(frozen=True)
class DeadlineExplanation:
    """A deadline's basis in the reader's language, for pages."""

    summary: str
    detail: str | None = None
    approximate: bool = False
    overridden: bool = False
    detail_lang: str = "en"


def rule_summary(rule: DeadlineRule) -> str:
    """"20 days after service (19 C.F.R. § 210.13(a))" in the reader's language."""
    if rule.trigger == "service_date":
        period = (
            _("%(days)d working days after service", days=rule.days)
            if rule.working_days
            else _("%(days)d days after service", days=rule.days)
        )
    else:
        period = (
            _("%(days)d working days after the TRO", days=rule.days)
            if rule.working_days
            else _("%(days)d days after the TRO", days=rule.days)
        )
    if rule.citation:
        return _("%(period)s (%(citation)s)", period=period, citation=rule.citation)
    return period


def rule_detail(rule: DeadlineRule, locale: str = "en") -> str:
    """The full legal basis; legal sources are quoted in English unless the table has Chinese."""
    if locale.startswith("zh") and rule.basis_zh:
        return rule.basis_zh
    return rule.basis


def explain(
    deadline: date | None,
    rule_id: str | None,
    stored_basis: str | None,
    overridden: bool,
    locale: str = "en",
) -> DeadlineExplanation | None:
    """Why a case has its deadline: set by the enterprise, or which rule gave it."""
    if deadline is None:
        return None
    if overridden:
        return DeadlineExplanation(_("Set by the enterprise"), overridden=True)
    rule = rule_by_id(rule_id)
    if rule is None:
        return DeadlineExplanation(stored_basis or _("Basis not recorded"))
    detail = rule_detail(rule, locale)
    return DeadlineExplanation(
        rule_summary(rule), detail, approximate=rule.approximate,
        detail_lang="zh-Hans" if detail == rule.basis_zh else "en",
    )


def explain_case(case: Any, locale: str = "en") -> DeadlineExplanation | None:
    """:func:`explain` for a DisputeCase row (also used by the coordinator's pages)."""
    return explain(
        case.deadline, case.deadline_rule, case.deadline_basis, case.deadline_overridden, locale
    )


def trigger_label(trigger: str | None) -> str:
    if trigger == "tro_date":
        return _("TRO date")
    return _("Date of service")
