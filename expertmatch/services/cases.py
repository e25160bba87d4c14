"""The enterprise's side of a case: drafts, submission, messages.

Each public function is one transaction: it checks everything first (:func:`problems`, the
same rules the intake form shows next to its fields), then writes, audits and notifies, and
commits, or rolls back and raises :class:`CaseError` whose ``problems`` map form field names to
messages. Nothing is half-written: a case that cannot be routed or referenced is not submitted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app, url_for
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from expertmatch import vocabulary
from expertmatch.extensions import db
from expertmatch.matching.documents import detect_language
from expertmatch.models import CaseMessage, Counterparty, DisputeCase, Organisation, User, utcnow
from expertmatch.services import audit, deadlines, routing

MAX_DESCRIPTION = 10_000
MAX_MESSAGE = 5_000
MAX_AMOUNT = Decimal("9999999999999999.99")  # Numeric(18, 2)
MAX_COUNTERPARTIES = 20
CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")  # as the registration form checks it
# How far back a service or TRO date can plausibly lie, and how far ahead a hearing.
PAST_LIMIT = timedelta(days=3653)
FUTURE_LIMIT = timedelta(days=1827)

# Needed to submit (a draft needs only its title); checked in :func:`problems`.
REQUIRED_TO_SUBMIT = (
    "contact_name", "contact_email", "our_role", "dispute_type", "jurisdictions", "industry",
    "description",
)
SEP_FIELDS = ("sep_standard", "negotiation_stage")
_CODES = {
    "our_role": vocabulary.OUR_ROLES,
    "dispute_type": vocabulary.DISPUTE_TYPES,
    "industry": vocabulary.INDUSTRIES,
    "goal": vocabulary.GOALS,
    "sep_standard": vocabulary.SEP_STANDARDS,
    "negotiation_stage": vocabulary.NEGOTIATION_STAGES,
    "confidentiality": vocabulary.CONFIDENTIALITY_LEVELS,
}


class CaseError(ValueError):
    """The action was refused; ``problems`` maps form field names ("" = the whole form) to
    messages for the user."""

    def __init__(self, problems: dict[str, list[Any]] | Any) -> None:
        if not isinstance(problems, dict):
            problems = {"": [problems]}
        self.problems = {name: [str(m) for m in messages] for name, messages in problems.items()}
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return " ".join(m for messages in self.problems.values() for m in messages)


@dataclass
class CounterpartyData:
    name_en: str | None = None
    name_zh: str | None = None
    counsel: str | None = None

    @property
    def has_name(self) -> bool:
        return bool((self.name_en or "").strip() or (self.name_zh or "").strip())

    @property
    def is_blank(self) -> bool:
        return not self.has_name and not (self.counsel or "").strip()


@dataclass
class CaseData:
    """Everything the intake form collects, independent of WTForms."""

    title: str = ""
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    our_role: str | None = None
    dispute_type: str | None = None
    jurisdictions: list[str] = field(default_factory=list)
    forum: str | None = None
    docket_number: str | None = None
    sep_standard: str | None = None
    negotiation_stage: str | None = None
    counterparties: list[CounterpartyData] = field(default_factory=list)
    industry: str | None = None
    description: str = ""
    languages: list[str] = field(default_factory=list)
    amount: Decimal | None = None
    currency: str | None = None
    goal: str | None = None
    service_date: date | None = None
    tro_date: date | None = None
    hearing_date: date | None = None
    deadline_override: date | None = None
    confidentiality: str = "confidential"
    consent_share: bool = False
    consent_conflict_check: bool = False

    @classmethod
    def from_case(cls, case: DisputeCase) -> CaseData:
        return cls(
            **{
                name: getattr(case, name)
                for name in cls.__dataclass_fields__
                if name not in ("counterparties", "deadline_override")
            },
            counterparties=[
                CounterpartyData(c.name_en, c.name_zh, c.counsel) for c in case.counterparties
            ],
            deadline_override=case.deadline if case.deadline_overridden else None,
        )


# ---------------------------------------------------------------------------------------------
# The rules


def compute_deadline(data: CaseData) -> deadlines.DeadlineResult:
    return deadlines.compute_deadline(
        deadlines.app_rules(),
        dispute_type=data.dispute_type,
        jurisdictions=data.jurisdictions,
        forum=data.forum,
        service_date=data.service_date,
        tro_date=data.tro_date,
    )


def _column_length(name: str) -> int | None:
    column = DisputeCase.__table__.c.get(name)
    return getattr(column.type, "length", None) if column is not None else None


def _date_problems(data: CaseData, today: date) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in ("service_date", "tro_date"):
        value = getattr(data, name)
        if value is None:
            continue
        if value > today:
            found[name] = _l("This date cannot be in the future.")
        elif value < today - PAST_LIMIT:
            found[name] = _l("This date is more than ten years ago. Check the year.")
    hearing = data.hearing_date
    if hearing is not None and not today - PAST_LIMIT <= hearing <= today + FUTURE_LIMIT:
        found["hearing_date"] = _l("Check the year: this date is too far from today.")
    override = data.deadline_override
    if override is not None:
        if override < today:
            found["deadline_override"] = _l(
                "The deadline cannot be before today. If it has passed, contact the centre."
            )
        elif override > today + FUTURE_LIMIT:
            found["deadline_override"] = _l("Check the year: this date is too far from today.")
    return found


def _deadline_problem(data: CaseData, today: date) -> tuple[str, str] | None:
    """A computed deadline that has already passed, blamed on its trigger date."""
    if data.deadline_override is not None:
        return None
    result = compute_deadline(data)
    if result.deadline is None or result.deadline >= today:
        return None
    return result.rule.trigger, _l(
        "The response deadline computed from this date (%(date)s: %(basis)s) has already "
        "passed. If you have a later deadline, enter it under “Your actual deadline”; "
        "otherwise contact the centre at once.",
        date=format_date(result.deadline, "medium"),
        basis=deadlines.rule_summary(result.rule),
    )


def problems(
    data: CaseData, *, submitting: bool, today: date | None = None
) -> dict[str, list[str]]:
    """Every rule a draft (``submitting=False``: only the title is required) or a submission
    breaks, keyed by form field name. Empty means it may be saved."""
    today = today or deadlines.local_today()
    found: dict[str, list[str]] = {}

    def add(name: str, message: Any) -> None:
        found.setdefault(name, []).append(str(message))

    if not (data.title or "").strip():
        add("title", _l("Give the dispute a short title."))
    for name in CaseData.__dataclass_fields__:
        value, limit = getattr(data, name), _column_length(name)
        if name in _CODES or name == "currency":
            continue  # codes are checked against their vocabulary below
        if isinstance(value, str) and limit and len(value) > limit:
            add(name, _l("Use at most %(n)d characters.", n=limit))
    if len(data.description or "") > MAX_DESCRIPTION:
        add("description", _l("Use at most %(n)d characters.", n=MAX_DESCRIPTION))
    for name, table in _CODES.items():
        value = getattr(data, name)
        if value and value not in table:
            add(name, _l("Choose one of the listed options."))
    if data.currency and data.currency not in vocabulary.CURRENCIES:
        add("currency", _l("Choose one of the listed options."))
    if data.amount is not None:
        if not data.amount.is_finite() or not 0 <= data.amount <= MAX_AMOUNT:
            add("amount", _l("Enter an amount between 0 and 9,999,999,999,999,999."))
        elif not data.currency:
            add("currency", _l("Choose the currency of the amount."))
    if len(data.counterparties) > MAX_COUNTERPARTIES:
        add("", _l("At most %(n)d counterparties.", n=MAX_COUNTERPARTIES))
    for index, party in enumerate(data.counterparties):
        for name in ("name_en", "name_zh", "counsel"):
            if len(getattr(party, name) or "") > 300:
                add(f"counterparties-{index}-{name}", _l("Use at most %(n)d characters.", n=300))
        if not party.is_blank and not party.has_name:
            add(f"counterparties-{index}-name_en",
                _l("Give this counterparty's name in English or Chinese."))
    for name, message in _date_problems(data, today).items():
        add(name, message)
    if (late := _deadline_problem(data, today)) and late[0] not in found:
        add(*late)

    if submitting:
        _submission_problems(data, add)
    return found


def _submission_problems(data: CaseData, add: Any) -> None:
    required = _l("Needed to submit the case.")
    for name in REQUIRED_TO_SUBMIT:
        if not getattr(data, name):
            add(name, required)
    if data.dispute_type == "sep_frand":
        for name in SEP_FIELDS:
            if not getattr(data, name):
                add(name, _l("Needed for an SEP / FRAND case."))
    if not any(party.has_name for party in data.counterparties):
        add("counterparties-0-name_en",
            _l("Name at least one counterparty, in English or Chinese, for the conflict check."))
    if not data.consent_share:
        add("consent_share", _l("Your consent is needed to share the case with candidate experts."))
    if not data.consent_conflict_check:
        add("consent_conflict_check", _l("Your consent is needed to run the conflict check."))


def text_language(data: CaseData) -> str | None:
    """The language the enterprise wrote in, from the script of what happened (or the title)."""
    text = (data.description or "").strip() or (data.title or "").strip()
    return detect_language(text) if text else None


def reference_for(case: DisputeCase) -> str:
    """EM-<year of submission>-<id>: stable, unique, short enough to read on the phone."""
    year = (case.submitted_at or utcnow()).year
    return f"EM-{year}-{case.id:06d}"


# ---------------------------------------------------------------------------------------------
# Writing


def _none_if_blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _apply(case: DisputeCase, data: CaseData) -> None:
    """Copy the form's data onto the row, with the deadline computed or as overridden."""
    for name in (
        "contact_name", "contact_email", "contact_phone", "our_role", "dispute_type", "forum",
        "docket_number", "industry", "currency", "goal", "sep_standard", "negotiation_stage",
    ):
        setattr(case, name, _none_if_blank(getattr(data, name)))
    if case.dispute_type and case.dispute_type != "sep_frand":
        case.sep_standard = case.negotiation_stage = None
    case.title = data.title.strip()
    case.description = (data.description or "").strip()
    case.text_language = text_language(data)
    case.jurisdictions = list(dict.fromkeys(data.jurisdictions))
    case.languages = list(dict.fromkeys(data.languages))
    # Cents, as the column stores them (1E-999 would overflow PostgreSQL's numeric input).
    case.amount = (
        data.amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if data.amount is not None else None
    )
    case.service_date, case.tro_date = data.service_date, data.tro_date
    case.hearing_date = data.hearing_date
    case.confidentiality = data.confidentiality or "confidential"
    case.consent_share = bool(data.consent_share)
    case.consent_conflict_check = bool(data.consent_conflict_check)
    _apply_deadline(case, data)
    wanted = [p for p in data.counterparties if not p.is_blank]
    current = [(c.name_en, c.name_zh, c.counsel) for c in case.counterparties]
    cleaned = [
        (_none_if_blank(p.name_en), _none_if_blank(p.name_zh), _none_if_blank(p.counsel))
        for p in wanted
    ]
    if current != cleaned:
        case.counterparties.clear()
        for position, (name_en, name_zh, counsel) in enumerate(cleaned):
            case.counterparties.append(
                Counterparty(position=position, name_en=name_en, name_zh=name_zh, counsel=counsel)
            )


def _apply_deadline(case: DisputeCase, data: CaseData) -> None:
    if data.deadline_override is not None:
        case.deadline, case.deadline_overridden = data.deadline_override, True
        case.deadline_rule, case.deadline_basis = None, "Set by the enterprise"
        return
    result = compute_deadline(data)
    case.deadline, case.deadline_overridden = result.deadline, False
    case.deadline_rule, case.deadline_basis = result.rule_id, result.basis


def _coordinator_link(case: DisputeCase) -> str | None:
    """The coordinator's case page, once that blueprint registers it."""
    if "coordinator.case_detail" in current_app.view_functions:
        return url_for("coordinator.case_detail", case_id=case.id)
    return None


def _submit(case: DisputeCase, user: User) -> None:
    """Reference, route, audit, notify: inside the caller's transaction."""
    case.status = "submitted"
    case.submitted_at = utcnow()
    db.session.flush()
    case.reference = reference_for(case)
    decision = routing.route_case(case, user)
    audit.record(
        user, "case.submitted", "case", case.id,
        {"reference": case.reference, "centre": decision.centre_code}, centre_id=case.centre_id,
    )
    link = _coordinator_link(case)
    for uid in audit.coordinator_ids(case.centre_id):
        audit.notify(uid, "case.submitted", link, ref=case.reference)


def _check_owner(case: DisputeCase | None, user: User) -> None:
    if user.role != "enterprise" or user.organisation_id is None:
        raise CaseError(_l("Only an enterprise account with an organisation can file cases."))
    if case is not None and case.organisation_id != user.organisation_id:
        raise CaseError(_l("This case belongs to another organisation."))


def _commit() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise CaseError(
            _l("Someone else changed this case at the same moment. Reload it and try again.")
        ) from None


def _save(case: DisputeCase | None, user: User, data: CaseData, submit: bool) -> DisputeCase:
    _check_owner(case, user)
    if case is not None and case.status != "draft":
        raise CaseError(
            _l("This case was submitted and can no longer be edited. Send the centre a message.")
        )
    found = problems(data, submitting=submit)
    if found:
        raise CaseError(found)
    try:
        created = case is None
        if case is None:
            case = DisputeCase(
                organisation_id=user.organisation_id, created_by_id=user.id, status="draft"
            )
            db.session.add(case)
        _apply(case, data)
        db.session.flush()
        audit.record(user, "case.draft_saved", "case", case.id, {"created": created})
        if submit:
            _submit(case, user)
        _commit()
    except Exception:
        db.session.rollback()
        raise
    return case


def save_draft(user: User, data: CaseData, *, submit: bool = False) -> DisputeCase:
    """Create a case from the intake form: a draft, or submitted at once (``submit=True``)."""
    return _save(None, user, data, submit)


def update_draft(
    case: DisputeCase, user: User, data: CaseData, *, submit: bool = False
) -> DisputeCase:
    """Change a draft (and optionally submit it in the same transaction)."""
    return _save(case, user, data, submit)


@dataclass
class EnterpriseData:
    """The enterprise a platform files for, found by its unified social credit code."""

    credit_code: str
    name_zh: str | None = None
    name_en: str | None = None
    province: str | None = None


def _enterprise_for(data: EnterpriseData, industry: str | None) -> Organisation:
    code = (data.credit_code or "").strip().upper()
    if not CREDIT_CODE.fullmatch(code):
        raise CaseError({"enterprise.credit_code": [
            _l("The code has 18 characters: digits and capital letters.")]})
    organisation = db.session.scalar(select(Organisation).where(Organisation.credit_code == code))
    if organisation is not None:
        return organisation
    name_zh, name_en = _none_if_blank(data.name_zh), _none_if_blank(data.name_en)
    if not (name_zh or name_en):
        raise CaseError({"enterprise.name_zh": [
            _l("Give the enterprise's name in Chinese or English.")]})
    if any(len(n or "") > 200 for n in (name_zh, name_en)):
        raise CaseError({"enterprise.name_zh": [_l("Use at most %(n)d characters.", n=200)]})
    if data.province and data.province not in vocabulary.PROVINCES:
        raise CaseError({"enterprise.province": [_l("Choose one of the listed options.")]})
    organisation = Organisation(name_zh=name_zh, name_en=name_en, credit_code=code,
                                industry=industry, province=data.province or None)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def file_for_enterprise(
    by: User, enterprise: EnterpriseData, data: CaseData, *, submit: bool = True
) -> DisputeCase:
    """A platform's intake on behalf of an enterprise (found by credit code, else registered),
    checked by the same :func:`problems` as the web form. It lands in the platform's own
    centre, which follows it; nothing is written if anything is refused."""
    if by.role != "coordinator" or by.centre_id is None:
        raise CaseError(_l("Only a platform bound to a centre can file for an enterprise."))
    found = problems(data, submitting=submit)
    if found:
        raise CaseError(found)
    try:
        organisation = _enterprise_for(enterprise, data.industry)
        case = DisputeCase(organisation_id=organisation.id, created_by_id=by.id, status="draft")
        db.session.add(case)
        _apply(case, data)
        db.session.flush()
        audit.record(by, "case.draft_saved", "case", case.id, {"created": True})
        if submit:
            case.status, case.submitted_at = "submitted", utcnow()
            db.session.flush()
            case.reference = reference_for(case)
            case.centre_id = by.centre_id
            audit.record(by, "case.routed", "case", case.id,
                         {"rule": "platform", "centre": by.centre.code}, centre_id=case.centre_id)
            audit.record(by, "case.submitted", "case", case.id,
                         {"reference": case.reference, "centre": by.centre.code},
                         centre_id=case.centre_id)
            link = _coordinator_link(case)
            for uid in audit.coordinator_ids(case.centre_id):
                audit.notify(uid, "case.submitted", link, ref=case.reference)
        _commit()
    except Exception:
        db.session.rollback()
        raise
    return case


def submit(case: DisputeCase, user: User) -> DisputeCase:
    """Submit a stored draft as it is; the deadline is recomputed for today."""
    _check_owner(case, user)
    if case.status != "draft":
        raise CaseError(_l("This case has already been submitted."))
    data = CaseData.from_case(case)
    found = problems(data, submitting=True)
    if found:
        raise CaseError(found)
    try:
        _apply_deadline(case, data)
        _submit(case, user)
        _commit()
    except Exception:
        db.session.rollback()
        raise
    return case


def add_message(case: DisputeCase, user: User, body: str) -> CaseMessage:
    """A message between the enterprise and the centre; the other side is notified.
    The body is not copied into the audit log (it may hold confidential facts)."""
    from expertmatch.services.access import can_act_on_case

    body = (body or "").strip()
    if case.status == "draft":
        raise CaseError({"body": [_l("Submit the case first; the centre cannot see drafts.")]})
    if not body:
        raise CaseError({"body": [_l("Write a message first.")]})
    if len(body) > MAX_MESSAGE:
        raise CaseError({"body": [_l("Use at most %(n)d characters.", n=MAX_MESSAGE)]})
    from_enterprise = user.role == "enterprise"
    if from_enterprise:
        _check_owner(case, user)
    elif not can_act_on_case(user, case):
        raise CaseError(_l("You cannot write on this case."))
    try:
        message = CaseMessage(case_id=case.id, author_id=user.id, body=body)
        db.session.add(message)
        db.session.flush()
        audit.record(
            user, "case.message", "case", case.id, {"message": message.id},
            centre_id=case.centre_id,
        )
        ref = case.reference or f"#{case.id}"
        if from_enterprise:
            link = _coordinator_link(case)
            recipients = audit.coordinator_ids(case.centre_id)
        else:
            link = url_for("cases.case_detail", case_id=case.id)
            recipients = _enterprise_readers(case)
        for uid in recipients:
            if uid != user.id:
                audit.notify(uid, "case.message", link, ref=ref)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return message


def _enterprise_readers(case: DisputeCase) -> list[int]:
    """Who hears from the centre: the case's author if still active, else the organisation."""
    author = db.session.get(User, case.created_by_id) if case.created_by_id else None
    if author is not None and author.active and author.organisation_id == case.organisation_id:
        return [author.id]
    return list(
        db.session.scalars(
            select(User.id).where(
                User.organisation_id == case.organisation_id,
                User.role == "enterprise",
                User.active.is_(True),
            )
        )
    )


# ---------------------------------------------------------------------------------------------
# Reading


def prefill(user: User) -> dict[str, Any]:
    """Defaults of a new intake: the contact from the account (the phone from the
    organisation's last case), the organisation's industry, confidential by default."""
    organisation = user.organisation
    phone = None
    if user.organisation_id is not None:
        phone = db.session.scalar(
            select(DisputeCase.contact_phone)
            .where(
                DisputeCase.organisation_id == user.organisation_id,
                DisputeCase.contact_phone.is_not(None),
            )
            .order_by(DisputeCase.created_at.desc(), DisputeCase.id.desc())
            .limit(1)
        )
    return {
        "contact_name": user.display_name,
        "contact_email": user.email,
        "contact_phone": phone,
        "industry": organisation.industry if organisation else None,
        "confidentiality": "confidential",
    }


def accepted_experts(case: DisputeCase) -> list[Any]:
    """Experts whose assignment was accepted (or completed); never mere proposals."""
    return [a.expert for a in case.assignments if a.status in ("accepted", "completed")]


TIMELINE = ("submitted", "triaged", "matched", "assigned", "in_progress", "closed")


@dataclass(frozen=True)
class TimelineStep:
    status: str
    at: Any
    state: str  # "done", "current", "skipped" or "upcoming"


def timeline(case: DisputeCase) -> list[TimelineStep]:
    """The status steps with their timestamps; a step passed without a timestamp is skipped
    (a case may be closed at any stage)."""
    reached = TIMELINE.index(case.status) if case.status in TIMELINE else -1
    steps = []
    for index, status in enumerate(TIMELINE):
        at = case.status_timestamp(status)
        if status == case.status:
            state = "current"
        elif index < reached:
            state = "done" if at else "skipped"
        else:
            state = "upcoming"
        steps.append(TimelineStep(status, at, state))
    return steps
