"""Hard rules: who may not be proposed for a case at all, and why.

They are evaluated before ranking, so an excluded expert never appears however well they fit.
Each exclusion carries a ``reason_code`` (the web layer translates it), ``params`` (names and
dates for the message) and an English ``reason``. When several rules hit one expert the first
in :data:`REASON_PRIORITY` is reported — a conflict of interest is the reason that matters most.

The rules and why:

* ``conflict_counterparty`` — the expert declared a conflict with a counterparty or a member of
  its corporate family: acting against a client or affiliate breaches professional duties.
* ``conflict_counsel`` — the expert declared a conflict with the counterparty's counsel.
* ``firm_is_counsel`` — the expert's own firm represents the other side.
* ``conflict_enterprise`` — the enterprise itself (or its family) is in the expert's conflicts,
  e.g. the expert acted against it or sits on a competitor's board.
* ``unavailable`` — the expert marked themselves unavailable.
* ``absent`` — absent until after the case's reference date.
* ``at_capacity`` — as many active cases as their capacity.

Conflicts whose ``until`` date lies before the reference date no longer exclude. Parties on the
common-parties list (platforms, customs, patent offices) never exclude by themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from expertmatch.matching.documents import CaseDoc, ConflictDecl
from expertmatch.matching.entities import CommonParties, ConflictIndex

__all__ = ["REASONS", "REASON_PRIORITY", "Exclusion", "conflict_exclusions"]

REASONS: dict[str, str] = {
    "conflict_counterparty": (
        "Declared conflict with {declared} ({relation}), which is the counterparty {party} or in "
        "its corporate family."
    ),
    "conflict_counsel": "Declared conflict with {declared}, which is counsel for the other side.",
    "firm_is_counsel": "The expert's firm {firm} represents the counterparty {party}.",
    "conflict_enterprise": (
        "Declared conflict with {declared} ({relation}), which is the enterprise {party} or in "
        "its corporate family."
    ),
    "unavailable": "Marked as not available.",
    "absent": "Absent until {until}.",
    "at_capacity": "At full capacity ({active} of {capacity} cases).",
}
REASON_PRIORITY: tuple[str, ...] = tuple(REASONS)


@dataclass(frozen=True)
class Exclusion:
    """One expert left out of a ranking, with the rule that excluded them."""

    expert_id: str
    reason_code: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def reason(self) -> str:
        """The English sentence; the web layer formats its own from code and params."""
        params = {k: ("" if v is None else v) for k, v in self.params.items()}
        params.setdefault("relation", "")
        text = REASONS[self.reason_code].format_map(_Default(params))
        return text.replace(" ()", "")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form the CLI writes."""
        return {
            "expert_id": self.expert_id,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "params": dict(self.params),
        }


class _Default(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


def _decl_params(decl: ConflictDecl, party: str) -> dict[str, Any]:
    return {
        "party": party,
        "declared": decl.entity,
        "relation": decl.relation,
        "until": decl.until.isoformat() if decl.until else None,
    }


def conflict_exclusions(
    case: CaseDoc,
    index: ConflictIndex,
    common: CommonParties,
    day: dt.date,
) -> dict[str, Exclusion]:
    """Conflict exclusions for ``case`` by expert id: a few dictionary lookups per party."""
    found: dict[str, Exclusion] = {}

    def add(expert_id: str, code: str, params: dict[str, Any]) -> None:
        current = found.get(expert_id)
        if current is None or REASON_PRIORITY.index(code) < REASON_PRIORITY.index(
            current.reason_code
        ):
            found[expert_id] = Exclusion(expert_id, code, params)

    def declared(name: str, code: str) -> None:
        for expert_id, decls in index.conflicts_with(name).items():
            live = [d for d in decls if d.applies_on(day)]
            if live:
                add(expert_id, code, _decl_params(live[0], name))

    resolver = index.resolver
    for party in case.counterparties:
        for name in party.names:
            if common.is_common(name, resolver):
                continue
            declared(name, "conflict_counterparty")
        if party.counsel and not common.is_common(party.counsel, resolver):
            declared(party.counsel, "conflict_counsel")
            label = party.name_en or party.name_zh or ""
            for expert_id, firm in index.firms_matching(party.counsel).items():
                add(expert_id, "firm_is_counsel", {"party": label, "firm": firm})
    for name in case.enterprise:
        declared(name, "conflict_enterprise")
    return found
