"""Routing a submitted case to a centre of the network, by the ordered table
``data/routing_rules.json`` (its ``comment`` documents it; this docstring says the same).

Order of decision:

1. **Rules**, in table order. A rule has an ``id``, a target ``centre`` (a centre code) and
   conditions in ``when``; every condition must hold, and a rule must set at least one:

   ``dispute_type``        the case's dispute type is one of the listed codes;
   ``industry``            the case's industry (else the enterprise's) is one of them;
   ``jurisdictions_any``   at least one of the case's jurisdictions is listed;
   ``jurisdictions_only``  the case has jurisdictions and every one is listed (outposts:
                           ``{"jurisdictions_only": ["SG"]}`` -> ``OUT-SG``);
   ``province``            the enterprise's province (ISO 3166-2:CN) is one of them.

   A rule whose centre is missing or inactive is skipped, so closing a platform never strands
   a case.
2. **Province** (the default): the province's lead centre named in ``province_centres``
   (where a province has several regional centres, e.g. Guangdong -> ``GD-SZ``), else the
   active *regional* centre in the enterprise's province, the first by code.
3. **Fallback**: ``fallback_centre`` of the table, if it exists and is active.
4. Otherwise the case stays unrouted (``rule_id = "unrouted"``): network staff see every case.

Defaults are few on purpose (see the table): photovoltaics Section 337 / customs / patent
cases -> ``IND-PV``, automotive SEP cases -> ``IND-AUTO``; no outpost rule.

:func:`choose_centre` is pure (table, facts and centres in; decision out) and is what the
tests exercise; :func:`route_case` applies it to a row inside the caller's transaction and
writes the ``case.routed`` audit event.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from expertmatch.vocabulary import DISPUTE_TYPES, INDUSTRIES, PROVINCES

RULES_FILE = "routing_rules.json"
CONDITIONS = ("dispute_type", "industry", "jurisdictions_any", "jurisdictions_only", "province")
_VOCABULARY_OF = {"dispute_type": DISPUTE_TYPES, "industry": INDUSTRIES, "province": PROVINCES}


class RoutingTableError(ValueError):
    """The routing table is malformed; the message names the file, the rule and the field."""


class CentreLike(Protocol):
    code: str
    kind: str
    province: str | None
    active: bool


@dataclass(frozen=True)
class RoutingRule:
    id: str
    centre: str
    when: dict[str, frozenset[str]]

    def matches(self, facts: CaseFacts) -> bool:
        for name, codes in self.when.items():
            if name == "dispute_type" and facts.dispute_type not in codes:
                return False
            if name == "industry" and facts.industry not in codes:
                return False
            if name == "province" and facts.province not in codes:
                return False
            if name == "jurisdictions_any" and not codes & set(facts.jurisdictions):
                return False
            if name == "jurisdictions_only" and (
                not facts.jurisdictions or not set(facts.jurisdictions) <= codes
            ):
                return False
        return True


@dataclass(frozen=True)
class RoutingTable:
    rules: tuple[RoutingRule, ...] = ()
    fallback_centre: str | None = None
    # The centre that takes a province's cases where the province has several.
    province_centres: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseFacts:
    """What routing looks at: the case's type, industry, jurisdictions and the province."""

    dispute_type: str | None = None
    industry: str | None = None
    jurisdictions: tuple[str, ...] = ()
    province: str | None = None


@dataclass(frozen=True)
class RoutingDecision:
    rule_id: str
    centre_code: str | None
    centre: Any = field(default=None, compare=False)


def choose_centre(
    table: RoutingTable, facts: CaseFacts, centres: Iterable[CentreLike]
) -> RoutingDecision:
    """Rules first, then the province's regional centre, then the fallback centre."""
    active = {c.code: c for c in centres if c.active}
    for rule in table.rules:
        if rule.centre in active and rule.matches(facts):
            return RoutingDecision(rule.id, rule.centre, active[rule.centre])
    if facts.province:
        lead = table.province_centres.get(facts.province)
        if lead in active:
            return RoutingDecision("province", lead, active[lead])
        regional = sorted(
            (c for c in active.values() if c.kind == "regional" and c.province == facts.province),
            key=lambda c: c.code,
        )
        if regional:
            return RoutingDecision("province", regional[0].code, regional[0])
    if table.fallback_centre and table.fallback_centre in active:
        return RoutingDecision("fallback", table.fallback_centre, active[table.fallback_centre])
    return RoutingDecision("unrouted", None)


# ---------------------------------------------------------------------------------------------
# Reading the table


def _rule_from_dict(raw: Any, index: int, where: str) -> RoutingRule:
    def fail(message: str) -> RoutingTableError:
        name = raw.get("id") if isinstance(raw, dict) else None
        return RoutingTableError(f"{where}: rule {index} ({name or 'no id'}): {message}")

    if not isinstance(raw, dict):
        raise fail("is not an object")
    unknown = set(raw) - {"id", "centre", "when", "note"}
    if unknown:
        raise fail(f"unknown field(s) {sorted(unknown)}")
    rule_id, centre = raw.get("id"), raw.get("centre")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise fail("`id` must be a non-empty string")
    if rule_id in ("province", "fallback", "unrouted"):
        raise fail(f"`id` {rule_id!r} is reserved for the default steps")
    if not isinstance(centre, str) or not centre.strip():
        raise fail("`centre` must be a centre code")
    when = raw.get("when")
    if not isinstance(when, dict) or not when:
        raise fail("`when` must set at least one condition (a rule without one takes every case)")
    conditions: dict[str, frozenset[str]] = {}
    for name, codes in when.items():
        if name not in CONDITIONS:
            raise fail(f"unknown condition {name!r}; known: {list(CONDITIONS)}")
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
            raise fail(f"`{name}` must be a non-empty list of codes")
        vocabulary = _VOCABULARY_OF.get(name)
        if vocabulary is not None and (bad := [c for c in codes if c not in vocabulary]):
            raise fail(f"`{name}` has codes outside the vocabulary: {bad}")
        conditions[name] = frozenset(codes)
    return RoutingRule(rule_id.strip(), centre.strip(), conditions)


def parse_table(document: Any, where: str = RULES_FILE) -> RoutingTable:
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise RoutingTableError(f"{where}: expected an object with a `rules` list")
    rules = tuple(_rule_from_dict(raw, i, where) for i, raw in enumerate(document["rules"]))
    ids = [rule.id for rule in rules]
    if len(ids) != len(set(ids)):
        raise RoutingTableError(f"{where}: rule ids must be unique")
    fallback = document.get("fallback_centre")
    if fallback is not None and (not isinstance(fallback, str) or not fallback):
        raise RoutingTableError(f"{where}: `fallback_centre` must be a centre code or null")
    leads = document.get("province_centres") or {}
    if not isinstance(leads, dict) or not all(
        province in PROVINCES and isinstance(code, str) and code for province, code in leads.items()
    ):
        raise RoutingTableError(
            f"{where}: `province_centres` must map province codes (CN-GD) to centre codes"
        )
    return RoutingTable(rules, fallback, dict(leads))


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float) -> RoutingTable:
    with open(path, encoding="utf-8") as handle:
        try:
            document = json.load(handle)
        except ValueError as error:
            raise RoutingTableError(f"{path}: not valid JSON ({error})") from None
    return parse_table(document, path)


def load_table(path: str) -> RoutingTable:
    """The table of one file, re-read when the file changes."""
    return _load_cached(path, os.path.getmtime(path))


def app_table() -> RoutingTable:
    """The running app's table; without the file only the province default applies."""
    from flask import current_app

    path = os.path.join(current_app.config["DATA_DIR"], RULES_FILE)
    return load_table(path) if os.path.exists(path) else RoutingTable()


# ---------------------------------------------------------------------------------------------
# Applying it to a case


def facts_of(case: Any) -> CaseFacts:
    """Routing facts of a DisputeCase row (the enterprise's industry if the case has none)."""
    organisation = case.organisation
    return CaseFacts(
        dispute_type=case.dispute_type,
        industry=case.industry or (organisation.industry if organisation else None),
        jurisdictions=tuple(case.jurisdictions or ()),
        province=organisation.province if organisation else None,
    )


def route_case(case: Any, by: Any, centres: Sequence[Any] | None = None) -> RoutingDecision:
    """Set ``case.centre_id`` and record ``case.routed``; the caller commits."""
    from sqlalchemy import select

    from expertmatch.extensions import db
    from expertmatch.models import Centre
    from expertmatch.services import audit

    if centres is None:
        centres = db.session.scalars(select(Centre).where(Centre.active.is_(True))).all()
    decision = choose_centre(app_table(), facts_of(case), centres)
    case.centre_id = decision.centre.id if decision.centre is not None else None
    audit.record(
        by, "case.routed", "case", case.id,
        {"rule": decision.rule_id, "centre": decision.centre_code},
        centre_id=case.centre_id,
    )
    return decision
