"""Waves of similar cases across centres, found without anyone asking.

A *cluster* is a set of cases, filed within the window (``CLUSTER_WINDOW_DAYS``) at two or more
centres, that share one of:

``counterparty``  the same company family: names go through the matching engine's entity
                  normalisation and alias table (:class:`EntityResolver`), so
                  "Greystone Brands, L.L.C.", "Greystone Brands LLC" and "格雷斯通品牌公司" are one;
                  common parties (platforms, customs, offices, "Schedule A" defendants) never
                  link cases, because nearly every case names one;
``counsel``       the same law firm acting for the other side (normalised the same way);
``forum``         the same forum and dispute type: the forum text with bracketed remarks
                  removed, each ``/``-separated part normalised, so a bilingual forum line links
                  with either language.

A cluster needs at least ``CLUSTER_THRESHOLD`` cases. Signatures that link exactly the same
cases are one suggestion with several reasons (a plaintiff and its counsel usually arrive
together), and a cluster whose cases all belong to a bigger one with an equally strong or
stronger reason is left out (order: counterparty, counsel, forum): one wave, one suggestion, yet
one plaintiff's wave inside a busy forum is still named.

This module is pure (no Flask, no database): case signals in, clusters out, so the rule is
tested on its own; services.network feeds it and decides who sees what.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from expertmatch.matching.entities import CommonParties, EntityResolver, normalise_entity

KINDS = ("counterparty", "counsel", "forum")
MIN_CENTRES = 2
_BRACKETS = re.compile(r"[(（\[][^)）\]]*[)）\]]")


@dataclass(frozen=True)
class CaseSignal:
    """What cluster detection reads of one case (nothing confidential leaves this module)."""

    case_id: int
    centre_id: int | None
    submitted_at: datetime
    counterparties: tuple[str, ...] = ()
    counsel: tuple[str, ...] = ()
    forum: str | None = None
    dispute_type: str | None = None


@dataclass(frozen=True)
class Reason:
    kind: str  # one of KINDS
    key: str  # the normalised key shared by the cases
    label: str  # a readable name for the key (from the alias table when it has one)


@dataclass
class Cluster:
    reasons: list[Reason]
    case_ids: tuple[int, ...]
    centre_ids: frozenset[int]
    first_at: datetime
    last_at: datetime
    dispute_types: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        """Stable id of the suggestion: a hash of its first (strongest) reason."""
        first = self.reasons[0]
        return hashlib.sha256(f"{first.kind}:{first.key}".encode()).hexdigest()

    @property
    def size(self) -> int:
        return len(self.case_ids)


def forum_keys(forum: str | None) -> set[str]:
    """Keys of a forum line: "U.S. District Court for the N.D. Ill. (Schedule A)" and
    "美国伊利诺伊北区联邦地区法院（附表A）/ U.S. District Court for the N.D. Ill." share one."""
    if not forum:
        return set()
    text = _BRACKETS.sub(" ", forum)
    return {key for part in re.split(r"[/|;；]", text) if (key := normalise_entity(part.strip()))}


def _signatures(
    signal: CaseSignal, resolver: EntityResolver, common: CommonParties
) -> dict[tuple[str, str], str]:
    """(kind, key) -> label for one case; one case counts once per key."""
    found: dict[tuple[str, str], str] = {}
    for name in signal.counterparties:
        if not name or common.is_common(name, resolver):
            continue
        root = resolver.root(name)
        if root:
            # Keyed by family (a parent catches its subsidiaries), named as the case names it.
            canonical = resolver.canonical(name)
            shown = resolver.display_name(canonical)
            found.setdefault(("counterparty", root), shown if shown != canonical else name)
    for name in signal.counsel:
        if not name:
            continue
        key = resolver.canonical(name)
        if key:
            found.setdefault(("counsel", key), name)
    if signal.dispute_type:
        for key in forum_keys(signal.forum):
            found.setdefault(("forum", f"{key}|{signal.dispute_type}"), signal.forum or key)
    return found


def detect(
    signals: Iterable[CaseSignal],
    resolver: EntityResolver,
    common: CommonParties,
    *,
    threshold: int,
    window_days: int,
    now: datetime,
) -> list[Cluster]:
    """Clusters among the cases filed in the last ``window_days`` days, biggest first."""
    since = now - timedelta(days=window_days)
    recent = [s for s in signals if s.submitted_at is not None and s.submitted_at >= since]
    by_id = {s.case_id: s for s in recent}
    groups: dict[tuple[str, str], set[int]] = {}
    labels: dict[tuple[str, str], str] = {}
    for signal in recent:
        for signature, label in _signatures(signal, resolver, common).items():
            groups.setdefault(signature, set()).add(signal.case_id)
            labels.setdefault(signature, label)
    merged: dict[tuple[int, ...], list[Reason]] = {}
    for (kind, key), case_ids in groups.items():
        centres = {by_id[i].centre_id for i in case_ids if by_id[i].centre_id is not None}
        if len(case_ids) < max(threshold, 1) or len(centres) < MIN_CENTRES:
            continue
        merged.setdefault(tuple(sorted(case_ids)), []).append(
            Reason(kind, key, labels[(kind, key)])
        )
    for reasons in merged.values():
        reasons.sort(key=lambda r: (KINDS.index(r.kind), r.key))
    strength = {ids: KINDS.index(reasons[0].kind) for ids, reasons in merged.items()}
    sets = {ids: set(ids) for ids in merged}
    clusters = []
    for ids, reasons in merged.items():
        if any(sets[ids] < sets[other] and strength[other] <= strength[ids] for other in merged):
            continue  # part of a wave with an equally strong reason, suggested instead
        members = [by_id[i] for i in ids]
        clusters.append(Cluster(
            reasons=reasons,
            case_ids=ids,
            centre_ids=frozenset(m.centre_id for m in members if m.centre_id is not None),
            first_at=min(m.submitted_at for m in members),
            last_at=max(m.submitted_at for m in members),
            dispute_types=tuple(sorted({m.dispute_type for m in members if m.dispute_type})),
        ))
    clusters.sort(key=lambda c: (-c.size, -c.last_at.timestamp(), c.key))
    return clusters


def reason_labels(
    cluster: Cluster, signals: Iterable[CaseSignal], resolver: EntityResolver,
    common: CommonParties,
) -> list[str]:
    """A name for each reason of ``cluster`` taken from ``signals`` only (the viewer's own
    cases): every case of a cluster carries every one of its reasons, so one case is enough,
    and nothing is read from a case the viewer may not open."""
    found = [_signatures(signal, resolver, common) for signal in signals]
    labels = []
    for reason in cluster.reasons:
        signature = (reason.kind, reason.key)
        labels.append(next((f[signature] for f in found if signature in f), ""))
    return labels


def signal_counterparties(names: Sequence[tuple[str | None, str | None]]) -> tuple[str, ...]:
    """Both names of each counterparty (English and Chinese), without blanks."""
    return tuple(n for pair in names for n in pair if n)
