"""The response network: centres, referrals between them, risk warnings and cluster suggestions.

Rules (README, "Centres, routing and warnings"):

- **Referral.** A coordinator refers an open case of their own centre to another active centre
  with a reason (one pending referral per case). While it is pending the receiving centre sees
  the case (services.access opens pending and accepted referrals to it). Accepting moves the
  case: ``centre_id`` becomes the receiving centre and the sender loses access (one centre is
  responsible for a case at a time; an older accepted referral is marked ``superseded`` so it
  opens nothing any more). Returning needs a note and leaves the case where it was. Every step
  is audited once for each centre involved (``centre_id`` of each), so both audit logs show it.
- **Warnings** reach an enterprise iff they are current (active, not expired) and its
  organisation's industry is targeted (when industries are targeted) and one of its markets
  is targeted (when countries are targeted). A warning must target industries or countries, so
  nothing goes to everyone by accident. Forums and dispute types describe the risk.
- **Suggestions** come from services.clusters over every centre's cases. A coordinator sees a
  suggestion only when one of its cases is visible to them; it lists those cases and only a
  count of the others. Network staff and admins see every case anyway.

Every function that changes rows commits or rolls back itself and writes its audit events in
the same transaction.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import abort, current_app, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from expertmatch.extensions import db
from expertmatch.models import (
    OPEN_STATUSES,
    Assignment,
    Centre,
    DisputeCase,
    ExpertProfile,
    Organisation,
    Referral,
    RiskWarning,
    SuggestionDismissal,
    User,
    utcnow,
)
from expertmatch.services import access, assignments, audit, clusters

# A centre is highlighted as overloaded when any of these holds (README documents them):
# more open cases per active coordinator than this (override: NETWORK_OVERLOAD_CASES) ...
OVERLOAD_CASES_PER_COORDINATOR = 10
# ... open cases and no active coordinator at all, or its home experts' load at or above this
# share of their capacity.
OVERLOAD_EXPERT_LOAD_SHARE = 0.9


class NetworkError(ValueError):
    """A rule refused the action; ``message`` is for the user, ``field`` names the input."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


def _commit() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise NetworkError(
            _l("Someone else changed this case at the same moment. Reload and try again.")
        ) from None


def _case_ref(case: DisputeCase) -> str:
    return case.reference or f"#{case.id}"


def active_centres() -> list[Centre]:
    return list(db.session.scalars(
        select(Centre).where(Centre.active.is_(True)).order_by(Centre.kind, Centre.code)
    ))


# -- referrals ----------------------------------------------------------------------------------


def referral_history(case: DisputeCase) -> list[Referral]:
    return list(db.session.scalars(
        select(Referral).where(Referral.case_id == case.id)
        .options(selectinload(Referral.from_centre), selectinload(Referral.to_centre),
                 selectinload(Referral.created_by), selectinload(Referral.responded_by))
        .order_by(Referral.created_at, Referral.id)
    ))


def pending_referral(case: DisputeCase) -> Referral | None:
    return db.session.scalar(
        select(Referral).where(Referral.case_id == case.id, Referral.status == "pending")
    )


def can_refer(case: DisputeCase, user: User) -> bool:
    """The case's own centre (or an administrator) refers an open case with none pending."""
    if not case.is_open or pending_referral(case) is not None:
        return False
    if user.role == "admin":
        return True
    return user.role == "coordinator" and user.centre_id is not None \
        and case.centre_id == user.centre_id


def can_respond(referral: Referral, user: User) -> bool:
    """Only the receiving centre (or an administrator) accepts or returns a referral."""
    if not referral.is_pending:
        return False
    return user.role == "admin" or (
        user.role == "coordinator" and user.centre_id == referral.to_centre_id
    )


def referral_targets(case: DisputeCase) -> list[Centre]:
    """Where a case may be referred: every active centre but its own."""
    return [c for c in active_centres() if c.id != case.centre_id]


def get_referral_or_404(referral_id: int, user: User) -> Referral:
    """A referral is visible exactly when its case is."""
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        abort(404)
    access.get_case_or_404(referral.case_id, user)
    return referral


def _record_both(by: User | None, action: str, referral: Referral, **detail: Any) -> None:
    """One event per centre involved, so each centre's audit log shows the step."""
    codes = {
        referral.from_centre_id: referral.to_centre.code if referral.to_centre else None,
        referral.to_centre_id: referral.from_centre.code if referral.from_centre else None,
    }
    for centre_id, other in codes.items():
        audit.record(by, action, "case", referral.case_id,
                     {"case": referral.case_id, "centre": other, **detail}, centre_id=centre_id)


def refer(case: DisputeCase, to_centre_id: int, reason: str, by: User) -> Referral:
    """Ask another centre to take ``case``; its coordinators are notified."""
    try:
        if not can_refer(case, by):
            if pending_referral(case) is not None:
                raise NetworkError(_l("This case already has a referral waiting for an answer."))
            if not case.is_open:
                raise NetworkError(_l("Only open cases can be referred."))
            raise NetworkError(_l("Only the case's own centre can refer it."))
        target = db.session.get(Centre, to_centre_id)
        if target is None or not target.active:
            raise NetworkError(_l("Choose an active centre of the network."), "to_centre")
        if target.id == case.centre_id:
            raise NetworkError(_l("The case is already at this centre."), "to_centre")
        reason = (reason or "").strip()
        if not reason:
            raise NetworkError(_l("Say why the other centre should take the case."), "reason")
        referral = Referral(case_id=case.id, from_centre_id=case.centre_id,
                            to_centre_id=target.id, reason=reason, created_by_id=by.id)
        db.session.add(referral)
        db.session.flush()
        db.session.refresh(referral)
        _record_both(by, "case.referred", referral, reason=reason)
        link = url_for("coordinator.case_detail", case_id=case.id)
        for uid in audit.coordinator_ids(target.id):
            audit.notify(uid, "case.referred", link, ref=_case_ref(case))
        _commit()
    except Exception:
        db.session.rollback()
        raise
    return referral


def _claim(referral: Referral, status: str, by: User, note: str | None) -> None:
    """Move a pending referral on, once: a second answer at the same moment finds it taken."""
    result = db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == "pending")
        .values(status=status, responded_by_id=by.id, responded_at=utcnow(),
                response_note=note or None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise NetworkError(_l("This referral was already answered."))
    db.session.refresh(referral)


def accept_referral(referral: Referral, by: User, note: str | None = None) -> Referral:
    """The receiving centre takes the case over; the sender's coordinators are told."""
    case = referral.case
    try:
        if not can_respond(referral, by):
            raise NetworkError(_l("Only the receiving centre can answer this referral."))
        if not case.is_open:
            raise NetworkError(_l("The case was closed meanwhile; return the referral instead."))
        _claim(referral, "accepted", by, note)
        db.session.execute(
            update(Referral)
            .where(Referral.case_id == case.id, Referral.status == "accepted",
                   Referral.id != referral.id)
            .values(status="superseded")
            .execution_options(synchronize_session=False)
        )
        case.centre_id = referral.to_centre_id
        _record_both(by, "referral.accepted", referral, message=note or None)
        link = url_for("network.referrals")
        for uid in audit.coordinator_ids(referral.from_centre_id):
            audit.notify(uid, "referral.accepted", link, ref=_case_ref(case))
        _commit()
    except Exception:
        db.session.rollback()
        raise
    return referral


def return_referral(referral: Referral, by: User, note: str) -> Referral:
    """The receiving centre declines; the case stays with the sender, who reads the note."""
    try:
        if not can_respond(referral, by):
            raise NetworkError(_l("Only the receiving centre can answer this referral."))
        note = (note or "").strip()
        if not note:
            raise NetworkError(_l("Say why the case is returned."), "note")
        _claim(referral, "returned", by, note)
        _record_both(by, "referral.returned", referral, message=note)
        link = url_for("coordinator.case_detail", case_id=referral.case_id)
        for uid in audit.coordinator_ids(referral.from_centre_id):
            audit.notify(uid, "referral.returned", link, ref=_case_ref(referral.case))
        _commit()
    except Exception:
        db.session.rollback()
        raise
    return referral


@dataclass
class ReferralLists:
    incoming: list[Referral]
    outgoing: list[Referral]


def referral_lists(user: User, limit: int = 100) -> ReferralLists:
    """Pending referrals to the user's centre and recent ones from it, only of visible cases
    (an accepted referral out of the centre is listed without its case, which moved away)."""
    query = select(Referral).options(
        selectinload(Referral.case), selectinload(Referral.from_centre),
        selectinload(Referral.to_centre),
    ).order_by(Referral.created_at.desc(), Referral.id.desc()).limit(limit)
    if user.role in access.NETWORK_ROLES:
        everything = list(db.session.scalars(query))
        return ReferralLists([r for r in everything if r.is_pending],
                             [r for r in everything if not r.is_pending])
    if user.centre_id is None:
        return ReferralLists([], [])
    incoming = list(db.session.scalars(
        query.where(Referral.to_centre_id == user.centre_id, Referral.status == "pending")
    ))
    outgoing = list(db.session.scalars(query.where(Referral.from_centre_id == user.centre_id)))
    return ReferralLists(incoming, outgoing)


def visible_case_ids(user: User, case_ids: Iterable[int]) -> set[int]:
    ids = set(case_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        select(DisputeCase.id).where(DisputeCase.id.in_(ids), access.case_filter(user))
    ))


# -- centres ------------------------------------------------------------------------------------


CENTRE_FIELDS = ("code", "kind", "name_zh", "name_en", "province", "city", "industry",
                 "country", "contact_email", "contact_phone")


def save_centre(centre: Centre | None, data: dict[str, Any], by: User) -> Centre:
    """Create or edit a centre (administrators); the code stays unique."""
    try:
        code = data["code"].strip().upper()
        clash = db.session.scalar(
            select(Centre.id).where(func.upper(Centre.code) == code,
                                    Centre.id != (centre.id if centre else -1))
        )
        if clash:
            raise NetworkError(_l("Another centre already uses this code."), "code")
        created = centre is None
        if centre is None:
            centre = Centre(active=bool(data.get("active", True)))
            db.session.add(centre)
        changed = []
        for name in CENTRE_FIELDS:
            value = data.get(name) or None
            if name == "code":
                value = code
            if getattr(centre, name) != value:
                changed.append(name)
                setattr(centre, name, value)
        db.session.flush()
        audit.record(by, "centre.created" if created else "centre.updated", "centre", centre.id,
                     {"centre": centre.code, "fields": changed}, centre_id=centre.id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return centre


def set_centre_active(centre: Centre, active: bool, by: User) -> int:
    """Open or close a centre; returns its open cases (routing skips closed centres, so new
    cases go elsewhere, while its open cases stay until referred)."""
    try:
        centre.active = active
        audit.record(by, "centre.activated" if active else "centre.deactivated", "centre",
                     centre.id, {"centre": centre.code}, centre_id=centre.id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return int(db.session.scalar(
        select(func.count(DisputeCase.id)).where(
            DisputeCase.centre_id == centre.id, DisputeCase.status.in_(OPEN_STATUSES))
    ) or 0)


# -- risk warnings ------------------------------------------------------------------------------


def today() -> date:
    return utcnow().date()


def warning_reaches(warning: RiskWarning, organisation: Organisation | None,
                    day: date | None = None) -> bool:
    """The targeting rule, in one place (see the module docstring)."""
    if organisation is None or not warning.is_current(day or today()):
        return False
    if not (warning.industries or warning.countries):
        return False
    if warning.industries and organisation.industry not in warning.industries:
        return False
    return not (warning.countries
                and not set(organisation.markets or ()) & set(warning.countries))


def current_warnings() -> list[RiskWarning]:
    day = today()
    return [w for w in db.session.scalars(
        select(RiskWarning).where(
            RiskWarning.active.is_(True),
            or_(RiskWarning.expires_on.is_(None), RiskWarning.expires_on >= day),
        ).order_by(RiskWarning.published_at.desc(), RiskWarning.id.desc())
    )]


def warnings_for(user: User) -> list[RiskWarning]:
    """Current warnings an enterprise user is targeted by (nothing for anyone else)."""
    if user.role != "enterprise" or user.organisation is None:
        return []
    return [w for w in current_warnings() if warning_reaches(w, user.organisation)]


def all_warnings(limit: int = 200) -> list[RiskWarning]:
    return list(db.session.scalars(
        select(RiskWarning).options(selectinload(RiskWarning.centre))
        .order_by(RiskWarning.published_at.desc(), RiskWarning.id.desc()).limit(limit)
    ))


STAFF_ROLES = ("coordinator", "network", "admin")


def get_warning_or_404(warning_id: int, user: User) -> RiskWarning:
    """Staff read every warning; an enterprise only the current ones that reach it."""
    warning = db.session.get(RiskWarning, warning_id)
    if warning is None:
        abort(404)
    if user.role in STAFF_ROLES:
        return warning
    if user.role == "enterprise" and warning_reaches(warning, user.organisation):
        return warning
    abort(404)


def organisations_reached(warning: RiskWarning) -> list[Organisation]:
    """Organisations a warning reaches (JSON lists are matched here, alike on every database)."""
    query = select(Organisation)
    if warning.industries:
        query = query.where(Organisation.industry.in_(warning.industries))
    return [o for o in db.session.scalars(query) if warning_reaches(warning, o)]


def can_withdraw(warning: RiskWarning, user: User) -> bool:
    if not warning.active:
        return False
    return user.role == "admin" or (
        user.role == "coordinator" and user.centre_id is not None
        and user.centre_id == warning.centre_id
    )


def publish_warning(data: dict[str, Any], by: User,
                    suggestion: Suggestion | None = None) -> RiskWarning:
    """Publish and notify every user of every organisation the warning reaches."""
    try:
        if not (data.get("industries") or data.get("countries")):
            raise NetworkError(
                _l("Target at least one industry or one country, so the warning reaches the "
                   "enterprises at risk and no one else."), "industries")
        warning = RiskWarning(
            title_zh=data["title_zh"], title_en=data["title_en"],
            body_zh=data["body_zh"], body_en=data["body_en"],
            industries=list(data.get("industries") or []),
            countries=list(data.get("countries") or []),
            forums=list(data.get("forums") or []),
            dispute_types=list(data.get("dispute_types") or []),
            expires_on=data.get("expires_on"),
            published_by_id=by.id, centre_id=by.centre_id,
            suggestion_key=suggestion.key if suggestion else None,
            suggestion_cases=suggestion.size if suggestion else None,
        )
        db.session.add(warning)
        db.session.flush()
        reached = organisations_reached(warning)
        audit.record(by, "warning.published", "warning", warning.id,
                     {"title": warning.title_en, "count": len(reached)}, centre_id=by.centre_id)
        link = url_for("network.warning_detail", warning_id=warning.id)
        if reached:
            for user in db.session.scalars(select(User).where(
                User.organisation_id.in_([o.id for o in reached]), User.active.is_(True),
                User.role == "enterprise",
            )):
                title = warning.title_zh if (user.locale or "").startswith("zh") \
                    else warning.title_en
                audit.notify(user.id, "warning.published", link, title=title)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return warning


def withdraw_warning(warning: RiskWarning, by: User) -> None:
    try:
        if not can_withdraw(warning, by):
            raise NetworkError(_l("Only the publishing centre can withdraw this warning."))
        warning.active = False
        warning.withdrawn_at = utcnow()
        audit.record(by, "warning.withdrawn", "warning", warning.id,
                     {"title": warning.title_en}, centre_id=warning.centre_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def set_markets(organisation: Organisation, markets: list[str], by: User) -> None:
    """The enterprise's markets decide which country-targeted warnings reach it."""
    try:
        organisation.markets = sorted(dict.fromkeys(markets))
        audit.record(by, "organisation.markets", "organisation", organisation.id,
                     {"fields": organisation.markets})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


# -- cluster suggestions ------------------------------------------------------------------------


@dataclass
class Suggestion:
    """A cluster as one viewer may see it: their cases, and only a count of the others.
    Its names (``labels``, one per reason) come from the viewer's own cases."""

    cluster: clusters.Cluster
    visible: list[DisputeCase]
    hidden_count: int
    labels: list[str]

    @property
    def key(self) -> str:
        return self.cluster.key

    @property
    def label(self) -> str:
        return self.labels[0] if self.labels else ""

    @property
    def size(self) -> int:
        return self.cluster.size

    @property
    def reasons(self) -> list[tuple[clusters.Reason, str]]:
        return list(zip(self.cluster.reasons, self.labels, strict=True))

    @property
    def centre_count(self) -> int:
        return len(self.cluster.centre_ids)


def _common_parties() -> clusters.CommonParties:
    path = Path(current_app.config["DATA_DIR"]) / "common_parties.txt"
    return clusters.CommonParties.from_file(path if path.exists() else None)


def _signal(case: DisputeCase) -> clusters.CaseSignal:
    return clusters.CaseSignal(
        case_id=case.id, centre_id=case.centre_id, submitted_at=case.submitted_at,
        counterparties=clusters.signal_counterparties(
            [(p.name_en, p.name_zh) for p in case.counterparties]),
        counsel=tuple(p.counsel for p in case.counterparties if p.counsel),
        forum=case.forum, dispute_type=case.dispute_type,
    )


@dataclass
class Detection:
    found: list[clusters.Cluster]
    signals: dict[int, clusters.CaseSignal]
    resolver: Any
    common: clusters.CommonParties


def detect_clusters(now: datetime | None = None) -> Detection:
    """Every cluster of the network (nobody sees this whole: :func:`suggestions_for` cuts it
    down to what the viewer may see)."""
    from expertmatch.services.matching import entity_resolver

    now = now or utcnow()
    window = int(current_app.config["CLUSTER_WINDOW_DAYS"])
    rows = db.session.scalars(
        select(DisputeCase)
        .where(DisputeCase.status != "draft", DisputeCase.submitted_at.is_not(None),
               DisputeCase.submitted_at >= now - timedelta(days=window))
        .options(selectinload(DisputeCase.counterparties))
    ).all()
    signals = {case.id: _signal(case) for case in rows}
    resolver, common = entity_resolver(), _common_parties()
    found = clusters.detect(
        signals.values(), resolver, common,
        threshold=int(current_app.config["CLUSTER_THRESHOLD"]), window_days=window, now=now,
    )
    return Detection(found, signals, resolver, common)


def _settled(user: User) -> tuple[dict[str, int], dict[str, int]]:
    """Suggestion keys already dealt with: (published as a warning, dismissed by the viewer's
    centre), each with the cluster size at the time."""
    published: dict[str, int] = {}
    for key, size in db.session.execute(
        select(RiskWarning.suggestion_key, RiskWarning.suggestion_cases)
        .where(RiskWarning.suggestion_key.is_not(None), RiskWarning.active.is_(True))
    ):
        published[key] = max(published.get(key, 0), int(size or 0))
    scope = SuggestionDismissal.centre_id.is_(None) if user.role != "coordinator" \
        else SuggestionDismissal.centre_id == user.centre_id
    dismissed: dict[str, int] = {}
    for key, size in db.session.execute(
        select(SuggestionDismissal.suggestion_key, SuggestionDismissal.case_count).where(scope)
    ):
        dismissed[key] = max(dismissed.get(key, 0), int(size or 0))
    return published, dismissed


def suggestions_for(user: User, include_settled: bool = False) -> list[Suggestion]:
    """The suggestions ``user`` may see: those with at least one case the user may open
    (network staff: all). A cluster that grew since it was dismissed or published comes back."""
    if user.role not in STAFF_ROLES:
        return []
    detection = detect_clusters()
    if not detection.found:
        return []
    published, dismissed = _settled(user)
    visible_ids = visible_case_ids(user, {i for c in detection.found for i in c.case_ids})
    cases = {c.id: c for c in db.session.scalars(
        select(DisputeCase).where(DisputeCase.id.in_(visible_ids))
        .options(selectinload(DisputeCase.centre), selectinload(DisputeCase.organisation))
    )} if visible_ids else {}
    result = []
    for cluster in detection.found:
        if not include_settled and (published.get(cluster.key, 0) >= cluster.size
                                    or dismissed.get(cluster.key, 0) >= cluster.size):
            continue
        mine = [cases[i] for i in cluster.case_ids if i in cases]
        if not mine:
            continue  # nothing of it is the viewer's: its names are not theirs to read
        labels = clusters.reason_labels(
            cluster, [detection.signals[c.id] for c in mine], detection.resolver,
            detection.common)
        result.append(Suggestion(cluster, mine, cluster.size - len(mine), labels))
    return result


def suggestion_count(user: User) -> int:
    return len(suggestions_for(user))


def get_suggestion_or_404(key: str, user: User) -> Suggestion:
    for suggestion in suggestions_for(user, include_settled=True):
        if suggestion.key == key:
            return suggestion
    abort(404)


def dismiss_suggestion(suggestion: Suggestion, by: User) -> None:
    """Set a suggestion aside for the viewer's centre (network-wide staff: for staff)."""
    try:
        centre_id = by.centre_id if by.role == "coordinator" else None
        db.session.add(SuggestionDismissal(suggestion_key=suggestion.key, centre_id=centre_id,
                                           case_count=suggestion.size, dismissed_by_id=by.id))
        audit.record(by, "suggestion.dismissed", "suggestion", None,
                     {"title": suggestion.label, "count": suggestion.size}, centre_id=centre_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


REASON_TEXTS = {
    "counterparty": _l("Same counterparty: %(name)s"),
    "counsel": _l("Same counsel for the other side: %(name)s"),
    "forum": _l("Same forum and dispute type: %(name)s"),
}


def reason_text(reason: clusters.Reason, label: str) -> str:
    return str(REASON_TEXTS[reason.kind]) % {"name": label}


def prefill(suggestion: Suggestion) -> dict[str, Any]:
    """A draft warning in both languages from what the viewer may see of the cluster."""
    mine = suggestion.visible
    types = sorted({c.dispute_type for c in mine if c.dispute_type})
    industries = sorted({c.industry or (c.organisation.industry if c.organisation else None)
                         for c in mine} - {None})
    countries = sorted({j for c in mine for j in (c.jurisdictions or []) if len(j) == 2})
    forums = sorted({j for c in mine for j in (c.jurisdictions or []) if len(j) != 2})
    days = int(current_app.config["CLUSTER_WINDOW_DAYS"])
    texts: dict[str, str] = {}
    for lang in ("zh", "en"):
        with force_locale(lang):
            from expertmatch.i18n import code_names

            params = {"name": suggestion.label, "n": suggestion.size,
                      "centres": suggestion.centre_count, "days": days,
                      "types": code_names("dispute_type", types) or gettext("disputes")}
            texts[f"title_{lang}"] = gettext("Wave of cases: %(name)s", **params)[:200]
            texts[f"body_{lang}"] = gettext(
                "%(n)d cases (%(types)s) reached %(centres)d centres of the network within "
                "%(days)d days, linked by: %(name)s. Enterprises in the targeted industries and "
                "markets should check their listings and exposure now, and contact their centre "
                "at once if they are served or their funds are frozen.", **params)
    return {**texts, "industries": industries, "countries": countries, "forums": forums,
            "dispute_types": types}


# -- the network dashboard ----------------------------------------------------------------------


@dataclass
class CentreRow:
    centre: Centre
    open_cases: int = 0
    median_hours: float | None = None
    overdue: int = 0
    near_deadline: int = 0
    referrals_in: int = 0
    referrals_out: int = 0
    pending_in: int = 0
    coordinators: int = 0
    experts: int = 0
    expert_load: int = 0
    expert_capacity: int = 0
    overload_reasons: list[str] = field(default_factory=list)

    @property
    def load_share(self) -> float | None:
        return self.expert_load / self.expert_capacity if self.expert_capacity else None

    @property
    def overloaded(self) -> bool:
        return bool(self.overload_reasons)


@dataclass
class NetworkDashboard:
    rows: list[CentreRow]
    unrouted_open: int
    by_province: list[tuple[str | None, int]]
    warning_days: int
    cases_per_coordinator: int

    @property
    def overloaded(self) -> list[CentreRow]:
        return [r for r in self.rows if r.overloaded]


def _grouped(query) -> dict[Any, int]:  # type: ignore[no-untyped-def]
    return {k: int(n) for k, n in db.session.execute(query).all()}


def network_dashboard(user: User) -> NetworkDashboard:
    """Per centre numbers over the cases ``user`` may see (network staff: all of them)."""
    scope = and_(access.case_filter(user), DisputeCase.status != "draft")
    day = today()
    warning_days = int(current_app.config["DEADLINE_WARNING_DAYS"])
    per_coordinator = int(current_app.config.get("NETWORK_OVERLOAD_CASES",
                                                 OVERLOAD_CASES_PER_COORDINATOR))
    open_scope = and_(scope, DisputeCase.status.in_(OPEN_STATUSES))
    open_cases = _grouped(select(DisputeCase.centre_id, func.count(DisputeCase.id))
                          .where(open_scope).group_by(DisputeCase.centre_id))
    overdue = _grouped(select(DisputeCase.centre_id, func.count(DisputeCase.id))
                       .where(open_scope, DisputeCase.deadline < day)
                       .group_by(DisputeCase.centre_id))
    near = _grouped(select(DisputeCase.centre_id, func.count(DisputeCase.id))
                    .where(open_scope, DisputeCase.deadline >= day,
                           DisputeCase.deadline <= day + timedelta(days=warning_days))
                    .group_by(DisputeCase.centre_id))
    referred = select(Referral).where(
        Referral.case_id.in_(select(DisputeCase.id).where(scope))).subquery()
    refs_in = _grouped(select(referred.c.to_centre_id, func.count()).group_by(
        referred.c.to_centre_id))
    refs_out = _grouped(select(referred.c.from_centre_id, func.count()).group_by(
        referred.c.from_centre_id))
    pending_in = _grouped(select(referred.c.to_centre_id, func.count())
                          .where(referred.c.status == "pending")
                          .group_by(referred.c.to_centre_id))
    coordinators = _grouped(select(User.centre_id, func.count(User.id)).where(
        User.role == "coordinator", User.active.is_(True)).group_by(User.centre_id))
    medians = _median_hours_by_centre(scope)
    loads = assignments.loads()
    experts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for expert_id, centre_id, capacity in db.session.execute(
        select(ExpertProfile.id, ExpertProfile.home_centre_id, ExpertProfile.capacity)
        .where(ExpertProfile.deleted_at.is_(None), ExpertProfile.home_centre_id.is_not(None))
    ):
        experts[centre_id].append((loads.get(expert_id, 0), int(capacity or 0)))
    rows = []
    for centre in db.session.scalars(select(Centre).order_by(Centre.kind, Centre.code)):
        row = CentreRow(
            centre=centre, open_cases=open_cases.get(centre.id, 0),
            median_hours=medians.get(centre.id), overdue=overdue.get(centre.id, 0),
            near_deadline=near.get(centre.id, 0), referrals_in=refs_in.get(centre.id, 0),
            referrals_out=refs_out.get(centre.id, 0), pending_in=pending_in.get(centre.id, 0),
            coordinators=coordinators.get(centre.id, 0),
            experts=len(experts[centre.id]),
            expert_load=sum(load for load, _ in experts[centre.id]),
            expert_capacity=sum(cap for _, cap in experts[centre.id]),
        )
        row.overload_reasons = _overload_reasons(row, per_coordinator)
        rows.append(row)
    by_province = sorted(
        ((p, int(n)) for p, n in db.session.execute(
            select(Organisation.province, func.count(DisputeCase.id))
            .join(Organisation, Organisation.id == DisputeCase.organisation_id)
            .where(scope).group_by(Organisation.province)
        ).all()),
        key=lambda r: (-r[1], r[0] or "~"),
    )
    return NetworkDashboard(rows=rows, unrouted_open=open_cases.get(None, 0),
                            by_province=by_province, warning_days=warning_days,
                            cases_per_coordinator=per_coordinator)


def _overload_reasons(row: CentreRow, per_coordinator: int) -> list[str]:
    """Why a centre is highlighted, in words (never colour alone)."""
    reasons = []
    if row.open_cases and not row.coordinators:
        reasons.append(gettext("open cases but no active coordinator"))
    elif row.coordinators and row.open_cases / row.coordinators > per_coordinator:
        reasons.append(gettext("more than %(n)d open cases per coordinator", n=per_coordinator))
    share = row.load_share
    if share is not None and share >= OVERLOAD_EXPERT_LOAD_SHARE:
        reasons.append(gettext("its experts are at %(pct)d%% of their capacity",
                               pct=round(share * 100)))
    return reasons


def _median_hours_by_centre(scope) -> dict[int | None, float]:  # type: ignore[no-untyped-def]
    """Median hours from submission to the first accepted assignment, per centre (the same
    rule as the coordinator dashboard's)."""
    accepted = and_(
        Assignment.case_id == DisputeCase.id,
        Assignment.responded_at.is_not(None),
        or_(Assignment.status.in_(("accepted", "completed")),
            Assignment.no_conflict_declared.is_(True)),
    )
    rows = db.session.execute(
        select(DisputeCase.centre_id, DisputeCase.submitted_at, DisputeCase.assigned_at,
               func.min(Assignment.responded_at))
        .select_from(DisputeCase).outerjoin(Assignment, accepted)
        .where(scope, DisputeCase.submitted_at.is_not(None))
        .group_by(DisputeCase.id, DisputeCase.centre_id, DisputeCase.submitted_at,
                  DisputeCase.assigned_at)
    ).all()
    hours: dict[int | None, list[float]] = defaultdict(list)
    for centre_id, submitted, assigned, first_accepted in rows:
        first = first_accepted or assigned
        if first is not None and first >= submitted:
            hours[centre_id].append((first - submitted).total_seconds() / 3600)
    return {k: statistics.median(v) for k, v in hours.items() if v}
