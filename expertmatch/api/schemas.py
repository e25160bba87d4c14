"""Request and response schemas of the API: the OpenAPI document is generated from them.

Codes are enums of the same vocabularies the web forms offer; the business rules (what a
submission needs, dates, amounts, capacity) stay in the services, which the API calls.
"""

from __future__ import annotations

from datetime import UTC

from apiflask import Schema
from apiflask.fields import (
    Boolean,
    Date,
    DateTime,
    Decimal,
    Dict,
    Email,
    Float,
    Integer,
    List,
    Nested,
    String,
)
from apiflask.validators import Length, OneOf, Range, Regexp
from marshmallow import EXCLUDE, ValidationError

from expertmatch import vocabulary


class UtcDateTime(DateTime):
    """ISO 8601 in UTC with a ``Z``: the database stores naive UTC times."""

    def _serialize(self, value, attr, obj, **kwargs):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def clean_text(value: str) -> None:
    """No NUL and no lone surrogates: the databases cannot store them."""
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValidationError("Invalid value.")


def Text(max_length: int | None = None, min_length: int | None = None, **kwargs):  # type: ignore[no-untyped-def]
    validators = [clean_text]
    if max_length or min_length:
        validators.append(Length(min=min_length, max=max_length))
    return String(validate=validators, **kwargs)


def Code(table, **kwargs):  # type: ignore[no-untyped-def]
    return String(validate=OneOf(list(table)), **kwargs)


def Stamp(**kwargs):  # type: ignore[no-untyped-def]
    return UtcDateTime(**kwargs)


class Strict(Schema):
    """Unknown fields in a request are refused with a field-level message."""


class Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


# -- shared ------------------------------------------------------------------------------------


class Problem(Schema):
    type = String(required=True)
    title = String(required=True)
    status = Integer(required=True)
    detail = String(required=True)
    instance = String()
    errors = List(Nested(Schema.from_dict({"field": String(), "message": String()},
                                          name="FieldError")()))


class PageQuery(Lenient):
    page_size = Integer(load_default=50, validate=Range(1, 100),
                        metadata={"description": "Items per page (1-100, default 50)."})
    page_token = String(validate=Length(max=200),
                        metadata={"description": "The next_page_token of the previous page."})


class IdempotencyHeader(Lenient):
    idempotency_key = String(
        data_key="Idempotency-Key", validate=Length(1, 255),
        metadata={"description": "Retry with the same key to get the first response again."},
    )


# -- cases -------------------------------------------------------------------------------------


class CounterpartyIn(Strict):
    name_en = Text(300, allow_none=True)
    name_zh = Text(300, allow_none=True)
    counsel = Text(300, allow_none=True)


class EnterpriseIn(Strict):
    credit_code = String(required=True, validate=Regexp(r"^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}$"),
                         metadata={"description": "Unified social credit code (18 characters)."})
    name_zh = Text(200, allow_none=True)
    name_en = Text(200, allow_none=True)
    province = Code(vocabulary.PROVINCES, allow_none=True)


class CaseIn(Strict):
    """Every field of the web intake form. ``submit: false`` stores a draft (enterprise
    tokens only); platform keys name the ``enterprise`` they file for."""

    enterprise = Nested(EnterpriseIn, metadata={"description": "Platform keys: who files."})
    submit = Boolean(load_default=True)
    title = Text(300, required=True)
    contact_name = Text(120, allow_none=True)
    contact_email = Email(validate=Length(max=254), allow_none=True)
    contact_phone = String(validate=Regexp(r"^\+?[0-9][0-9 ()./-]{3,39}$"), allow_none=True)
    our_role = Code(vocabulary.OUR_ROLES, allow_none=True)
    dispute_type = Code(vocabulary.DISPUTE_TYPES, allow_none=True)
    jurisdictions = List(Code(vocabulary.COMMON_JURISDICTIONS), validate=Length(max=50))
    forum = Text(300, allow_none=True)
    docket_number = Text(120, allow_none=True)
    sep_standard = Code(vocabulary.SEP_STANDARDS, allow_none=True)
    negotiation_stage = Code(vocabulary.NEGOTIATION_STAGES, allow_none=True)
    counterparties = List(Nested(CounterpartyIn), validate=Length(max=20))
    industry = Code(vocabulary.INDUSTRIES, allow_none=True)
    description = Text(10_000)
    languages = List(Code(vocabulary.COMMON_LANGUAGES), validate=Length(max=50))
    amount = Decimal(places=2, allow_nan=False, as_string=True, allow_none=True,
                     metadata={"description": "Amount at stake, e.g. \"250000.00\"."})
    currency = Code(vocabulary.CURRENCIES, allow_none=True)
    goal = Code(vocabulary.GOALS, allow_none=True)
    service_date = Date(allow_none=True)
    tro_date = Date(allow_none=True)
    hearing_date = Date(allow_none=True)
    deadline_override = Date(allow_none=True)
    confidentiality = Code(vocabulary.CONFIDENTIALITY_LEVELS, load_default="confidential")
    consent_share = Boolean(load_default=False)
    consent_conflict_check = Boolean(load_default=False)


class CounterpartyOut(Schema):
    name_en = String(allow_none=True)
    name_zh = String(allow_none=True)
    counsel = String(allow_none=True)


class HistoryStep(Schema):
    status = String(required=True)
    state = String(required=True, metadata={"description": "done, current, skipped or upcoming"})
    at = Stamp(allow_none=True)


class CaseOut(Schema):
    id = Integer(required=True)
    reference = String(allow_none=True)
    status = String(required=True)
    title = String(required=True)
    centre = String(allow_none=True, metadata={"description": "Code of the centre handling it."})
    organisation = String(allow_none=True)
    dispute_type = String(allow_none=True)
    jurisdictions = List(String())
    languages = List(String())
    industry = String(allow_none=True)
    forum = String(allow_none=True)
    confidentiality = String(required=True)
    redacted = Boolean(required=True, metadata={
        "description": "True when the description and parties are withheld (a confidential "
                       "case not yet accepted by this expert)."})
    description = String(allow_none=True)
    counterparties = List(Nested(CounterpartyOut))
    deadline = Date(allow_none=True)
    deadline_basis = String(allow_none=True)
    created_at = Stamp(required=True)
    updated_at = Stamp(required=True)
    submitted_at = Stamp(allow_none=True)
    history = List(Nested(HistoryStep))


class CaseListQuery(PageQuery):
    status = Code(vocabulary.CASE_STATUSES)


class CasePage(Schema):
    items = List(Nested(CaseOut), required=True)
    next_page_token = String(allow_none=True)


# -- experts -----------------------------------------------------------------------------------


class AdmissionOut(Schema):
    jurisdiction = String()
    year = Integer(allow_none=True)
    status = String()


class ExpertOut(Schema):
    id = Integer(required=True)
    reference = String(allow_none=True)
    full_name = String(required=True)
    role_type = String(required=True)
    headline = String()
    bio = String()
    firm = String(allow_none=True)
    profile_language = String(allow_none=True)
    jurisdictions = List(String())
    languages = List(String())
    dispute_types = List(String())
    industries = List(String())
    years_experience = Integer(allow_none=True)
    capacity = Integer()
    availability = String()
    absent_until = Date(allow_none=True)
    rapid_response = Boolean()
    verification_status = String()
    location_country = String(allow_none=True)
    admissions = List(Nested(AdmissionOut))
    updated_at = Stamp(required=True)


class ExpertListQuery(PageQuery):
    q = Text(100, metadata={"description": "Part of the name, headline or firm."})
    jurisdiction = Code(vocabulary.COMMON_JURISDICTIONS)
    dispute_type = Code(vocabulary.DISPUTE_TYPES)
    language = Code(vocabulary.COMMON_LANGUAGES)
    industry = Code(vocabulary.INDUSTRIES)


class ExpertPage(Schema):
    items = List(Nested(ExpertOut), required=True)
    next_page_token = String(allow_none=True)


class ProfilePatch(Strict):
    """Only the fields sent change; the rest stay as they are."""

    full_name = Text(160, min_length=1)
    role_type = Code(vocabulary.EXPERT_ROLE_TYPES)
    headline = Text(200)
    bio = Text(5000)
    firm = Text(200, allow_none=True)
    profile_language = Code(vocabulary.COMMON_LANGUAGES, allow_none=True)
    jurisdictions = List(Code(vocabulary.COMMON_JURISDICTIONS), validate=Length(max=50))
    languages = List(Code(vocabulary.COMMON_LANGUAGES), validate=Length(max=50))
    dispute_types = List(Code(vocabulary.DISPUTE_TYPES))
    industries = List(Code(vocabulary.INDUSTRIES))
    years_experience = Integer(validate=Range(0, 70), allow_none=True)
    capacity = Integer(validate=Range(1, 30))
    availability = Code(vocabulary.AVAILABILITY)
    absent_until = Date(allow_none=True)
    rapid_response = Boolean()
    location_country = String(validate=Regexp(r"^[A-Z]{2}$"), allow_none=True)


# -- rankings ----------------------------------------------------------------------------------


class RankingQuery(Lenient):
    top_k = Integer(load_default=10, validate=Range(1, 50))


class RankedExpertOut(Schema):
    rank = Integer(required=True)
    expert = Nested(ExpertOut, required=True)
    score = Float(required=True, metadata={"description": "The fused ranking score."})
    load = Integer(required=True)
    capacity = Integer(required=True)
    explanation = Dict(metadata={"description": "Why: the channels and matched facts."})


class ExcludedExpertOut(Schema):
    expert_id = Integer(required=True)
    full_name = String(required=True)
    reason_code = String(required=True)
    reason = String(required=True)


class RankingOut(Schema):
    case_id = Integer(allow_none=True)
    model = String(allow_none=True)
    degraded = Boolean(required=True, metadata={
        "description": "True when the text model was unavailable and only BM25 and the "
                       "structured fit ranked."})
    pool_size = Integer(required=True)
    ranked = List(Nested(RankedExpertOut), required=True)
    excluded = List(Nested(ExcludedExpertOut), required=True)


class AdHocRankingIn(Strict):
    title = Text(300, load_default="")
    description = Text(10_000, required=True, min_length=1)
    dispute_type = Code(vocabulary.DISPUTE_TYPES, allow_none=True)
    jurisdictions = List(Code(vocabulary.COMMON_JURISDICTIONS), validate=Length(max=50))
    languages = List(Code(vocabulary.COMMON_LANGUAGES), validate=Length(max=50))
    industry = Code(vocabulary.INDUSTRIES, allow_none=True)
    forum = Text(300, allow_none=True)
    counterparties = List(Nested(CounterpartyIn), validate=Length(max=20))
    top_k = Integer(load_default=10, validate=Range(1, 50))


# -- assignments -------------------------------------------------------------------------------


class AssignmentOut(Schema):
    id = Integer(required=True)
    case_id = Integer(required=True)
    expert_id = Integer(required=True)
    status = String(required=True)
    score = Float(allow_none=True)
    note = String(allow_none=True)
    decline_reason = String(allow_none=True)
    proposed_at = Stamp(required=True)
    responded_at = Stamp(allow_none=True)


class AssignmentPage(Schema):
    items = List(Nested(AssignmentOut), required=True)
    next_page_token = String(allow_none=True)


class ProposeIn(Strict):
    expert_id = Integer(required=True, validate=Range(1, 2**31 - 1))
    note = Text(1000, allow_none=True)


class AcceptIn(Strict):
    no_conflict = Boolean(required=True, metadata={
        "description": "The expert declares no conflict of interest with the parties."})


class DeclineIn(Strict):
    reason = Text(1000, required=True)


# -- centres and warnings ----------------------------------------------------------------------


class CentreOut(Schema):
    code = String(required=True)
    kind = String(required=True)
    name_zh = String(required=True)
    name_en = String(required=True)
    province = String(allow_none=True)
    city = String(allow_none=True)
    industry = String(allow_none=True)
    country = String(allow_none=True)
    contact_email = String(allow_none=True)
    contact_phone = String(allow_none=True)


class CentreList(Schema):
    items = List(Nested(CentreOut), required=True)


class WarningOut(Schema):
    id = Integer(required=True)
    title_zh = String(required=True)
    title_en = String(required=True)
    body_zh = String(required=True)
    body_en = String(required=True)
    industries = List(String())
    countries = List(String())
    forums = List(String())
    dispute_types = List(String())
    published_at = Stamp(required=True)
    expires_on = Date(allow_none=True)


class WarningList(Schema):
    items = List(Nested(WarningOut), required=True)
