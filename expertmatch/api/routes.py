"""The API's views: thin, over the same services and access helpers as the web pages."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import joinedload, selectinload

from expertmatch.api import bp, serialize
from expertmatch.api import schemas as s
from expertmatch.api.core import (
    Problem,
    idempotent,
    paginate,
    principal,
    require_role,
    requires,
    service_errors,
)
from expertmatch.extensions import db
from expertmatch.models import (
    Assignment,
    Centre,
    Counterparty,
    DisputeCase,
    ExpertProfile,
    User,
)
from expertmatch.services import access, assignments, matching, network, profiles
from expertmatch.services import cases as case_service

RANKING_ROLES = ("coordinator", "network", "admin")


def _case_data(data: dict[str, Any]) -> case_service.CaseData:
    fields = {k: v for k, v in data.items()
              if k in case_service.CaseData.__dataclass_fields__ and k != "counterparties"}
    for name in ("jurisdictions", "languages"):
        fields[name] = list(fields.get(name) or [])
    fields["title"] = fields.get("title") or ""
    fields["description"] = fields.get("description") or ""
    return case_service.CaseData(
        **fields,
        counterparties=[
            case_service.CounterpartyData(p.get("name_en"), p.get("name_zh"), p.get("counsel"))
            for p in data.get("counterparties") or []
        ],
    )


def _case_problem(error: case_service.CaseError) -> Problem:
    return Problem(422, error.message, errors=service_errors(error.problems))


# -- cases -------------------------------------------------------------------------------------


@bp.get("/cases")
@requires("cases:read")
@bp.input(s.CaseListQuery, location="query", arg_name="query")
@bp.output(s.CasePage)
@bp.doc(tags=["Cases"], summary="List the cases this key may see",
        description="Oldest first, by id; follow next_page_token until it is null.")
def list_cases(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    return case_page(principal(), query.get("status"), query["page_size"],
                     query.get("page_token"))


def case_page(user: User, status: str | None, page_size: int,
              page_token: str | None) -> dict[str, Any]:
    """One page of the cases ``user`` may see (also what bench/bench_api.py times)."""
    statement = access.visible_cases(user).options(
        selectinload(DisputeCase.counterparties), selectinload(DisputeCase.assignments),
        joinedload(DisputeCase.centre), joinedload(DisputeCase.organisation),
    )
    filters = {"status": status}
    if status:
        statement = statement.where(DisputeCase.status == status)
    rows, token = paginate(statement, DisputeCase.id, page_size, page_token, filters)
    return {"items": [serialize.case(r, user) for r in rows], "next_page_token": token}


@bp.post("/cases")
@requires("cases:write")
@idempotent
@bp.input(s.IdempotencyHeader, location="headers", arg_name="headers")
@bp.input(s.CaseIn, arg_name="body")
@bp.output(s.CaseOut, status_code=201)
@bp.doc(tags=["Cases"], summary="Submit an intake", responses={
    409: {"description": "The same Idempotency-Key is still being processed"},
    422: {"description": "Invalid fields, with a message for each"}})
def create_case(headers: dict[str, Any], body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Validated by the same rules as the web intake form. An enterprise token files for its
    own organisation (``submit: false`` keeps a draft); a platform key files for the
    ``enterprise`` it names, and the case lands in the key's centre. A retry with the same
    ``Idempotency-Key`` returns the first result and never creates a second case."""
    user = principal()
    data = _case_data(body)
    try:
        if user.role == "enterprise":
            if body.get("enterprise"):
                raise Problem(422, errors=[{"field": "enterprise", "message": _(
                    "An enterprise files for its own organisation: leave this out.")}])
            case = case_service.save_draft(user, data, submit=body["submit"])
        elif user.role == "coordinator":
            enterprise = body.get("enterprise")
            if not enterprise:
                raise Problem(422, errors=[{"field": "enterprise.credit_code", "message": _(
                    "Name the enterprise this case is filed for.")}])
            if not body["submit"]:
                raise Problem(422, errors=[{"field": "submit", "message": _(
                    "A platform submits intakes; drafts are kept by enterprises.")}])
            case = case_service.file_for_enterprise(
                user, case_service.EnterpriseData(**enterprise), data
            )
        else:
            raise Problem(403)
    except case_service.CaseError as error:
        raise _case_problem(error) from None
    location = url_for("api.get_case", case_id=case.id)
    return serialize.case(case, user), 201, {"Location": location}


@bp.get("/cases/<int:case_id>")
@requires("cases:read")
@bp.output(s.CaseOut)
@bp.doc(tags=["Cases"], summary="A case's status and history")
def get_case(case_id: int):  # type: ignore[no-untyped-def]
    user = principal()
    return serialize.case(access.get_case_or_404(case_id, user), user)


# -- rankings ----------------------------------------------------------------------------------


@bp.get("/cases/<int:case_id>/ranking")
@requires("rankings:read")
@bp.input(s.RankingQuery, location="query", arg_name="query")
@bp.output(s.RankingOut)
@bp.doc(tags=["Rankings"], summary="The ranked, explained experts for an open case",
        responses={409: {"description": "The case is not open"}})
def case_ranking(case_id: int, query: dict[str, Any]):  # type: ignore[no-untyped-def]
    require_role(*RANKING_ROLES)
    case = access.get_case_or_404(case_id, principal())
    if not case.is_open:
        raise Problem(409, _("This case is not open."))
    return serialize.ranking(matching.rank_case(case, query["top_k"]), case.id)


@bp.post("/rankings")
@requires("rankings:read")
@idempotent
@bp.input(s.IdempotencyHeader, location="headers", arg_name="headers")
@bp.input(s.AdHocRankingIn, arg_name="body")
@bp.output(s.RankingOut)
@bp.doc(tags=["Rankings"], summary="Rank the pool for a free-text description",
        description="Nothing is stored: the description is ranked as a case would be.",
        responses={409: {"description": "The same Idempotency-Key is still being processed"}})
def ad_hoc_ranking(headers: dict[str, Any], body: dict[str, Any]):  # type: ignore[no-untyped-def]
    require_role(*RANKING_ROLES)
    data = _case_data({**body, "submit": False})
    case = DisputeCase(
        title=data.title, description=data.description, dispute_type=data.dispute_type,
        jurisdictions=data.jurisdictions, languages=data.languages, industry=data.industry,
        forum=data.forum, text_language=case_service.text_language(data),
        counterparties=[Counterparty(name_en=p.name_en, name_zh=p.name_zh, counsel=p.counsel)
                        for p in data.counterparties if not p.is_blank],
    )
    return serialize.ranking(matching.rank_case(case, body["top_k"]), None)


# -- experts -----------------------------------------------------------------------------------


def _visible_experts():  # type: ignore[no-untyped-def]
    user = principal()
    statement = select(ExpertProfile).where(ExpertProfile.deleted_at.is_(None))
    if user.role in ("coordinator", *access.NETWORK_ROLES):
        return statement
    if user.role == "expert":
        return statement.where(ExpertProfile.user_id == user.id)
    raise Problem(403)


def _has_code(column: Any, code: str) -> Any:
    """A JSON list of codes contains ``code`` (portable: SQLite and PostgreSQL)."""
    return cast(column, String).like(f'%"{code}"%')


@bp.get("/experts")
@requires("experts:read")
@bp.input(s.ExpertListQuery, location="query", arg_name="query")
@bp.output(s.ExpertPage)
@bp.doc(tags=["Experts"], summary="Search the expert pool (public profile fields)")
def list_experts(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    statement = _visible_experts()
    filters = {k: query.get(k) for k in ("q", "jurisdiction", "dispute_type", "language",
                                         "industry")}
    if filters["q"]:
        pattern = "%" + filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_") + "%"
        statement = statement.where(or_(
            ExpertProfile.full_name.ilike(pattern, escape="\\"),
            ExpertProfile.headline.ilike(pattern, escape="\\"),
            ExpertProfile.firm.ilike(pattern, escape="\\"),
        ))
    for name, column in (("jurisdiction", ExpertProfile.jurisdictions),
                         ("dispute_type", ExpertProfile.dispute_types),
                         ("language", ExpertProfile.languages),
                         ("industry", ExpertProfile.industries)):
        if filters[name]:
            statement = statement.where(_has_code(column, filters[name]))
    rows, token = paginate(statement.options(selectinload(ExpertProfile.admissions)),
                           ExpertProfile.id, query["page_size"], query.get("page_token"),
                           filters)
    return {"items": [serialize.expert(r) for r in rows], "next_page_token": token}


def _own_profile() -> ExpertProfile:
    require_role("expert")
    profile = access.expert_profile_of(principal())
    if profile is None:
        raise Problem(404, _("You have no expert profile yet: create it on the web first."))
    return profile


@bp.get("/experts/me")
@requires("experts:read")
@bp.output(s.ExpertOut)
@bp.doc(tags=["Experts"], summary="The calling expert's own profile")
def my_profile():  # type: ignore[no-untyped-def]
    return serialize.expert(_own_profile())


@bp.patch("/experts/me")
@requires("experts:write")
@bp.input(s.ProfilePatch, arg_name="body")
@bp.output(s.ExpertOut)
@bp.doc(tags=["Experts"], summary="Update one's own profile (only the fields sent)")
def update_my_profile(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    profile = _own_profile()
    current = {name: getattr(profile, name) for name in profiles.ProfileData.__dataclass_fields__
               if name != "admissions"}
    current.update(body)
    for name in ("jurisdictions", "languages", "dispute_types", "industries"):
        current[name] = list(current.get(name) or [])
    current["headline"] = current.get("headline") or ""
    current["bio"] = current.get("bio") or ""
    data = profiles.ProfileData(
        **current,
        admissions=[profiles.AdmissionData(a.jurisdiction, a.year, a.status)
                    for a in profile.admissions],
    )
    try:
        saved = profiles.save_profile(principal(), data)
    except profiles.ProfileError as error:
        raise Problem(422, error.message, errors=[
            {"field": error.field or "", "message": error.message}]) from None
    return serialize.expert(saved.obj)


@bp.get("/experts/<int:expert_id>")
@requires("experts:read")
@bp.output(s.ExpertOut)
@bp.doc(tags=["Experts"], summary="An expert's public profile")
def get_expert(expert_id: int):  # type: ignore[no-untyped-def]
    if principal().role == "enterprise":
        raise Problem(403)
    return serialize.expert(access.get_expert_or_404(expert_id, principal()))


# -- assignments -------------------------------------------------------------------------------


def _assignment_problem(error: assignments.AssignmentError, field: str | None = None) -> Problem:
    if field:
        return Problem(422, error.message, errors=[{"field": field, "message": error.message}])
    return Problem(409, error.message)


@bp.post("/cases/<int:case_id>/assignments")
@requires("assignments:write")
@idempotent
@bp.input(s.IdempotencyHeader, location="headers", arg_name="headers")
@bp.input(s.ProposeIn, arg_name="body")
@bp.output(s.AssignmentOut, status_code=201)
@bp.doc(tags=["Assignments"], summary="Propose an expert for a case",
        description="The hard rules (conflicts, availability, capacity) are re-checked; the "
                    "expert's place and reasons in the current ranking are kept.",
        responses={409: {"description": "Refused: the reason is in detail"}})
def propose(case_id: int, headers: dict[str, Any], body: dict[str, Any]):  # type: ignore[no-untyped-def]
    user = principal()
    case = access.get_case_or_404(case_id, user)
    if not access.can_act_on_case(user, case):
        raise Problem(403)
    expert = access.get_expert_or_404(body["expert_id"], user, include_deleted=True)
    from flask import current_app

    (outcome,) = assignments.propose_ranked(
        case, [expert], user, top_k=int(current_app.config["RANKING_TOP_K"]),
        note=body.get("note"),
    )
    if outcome.error is not None:
        raise _assignment_problem(outcome.error)
    location = url_for("api.get_assignment", assignment_id=outcome.assignment.id)
    return serialize.assignment(outcome.assignment), 201, {"Location": location}


@bp.get("/assignments")
@requires("assignments:read")
@bp.input(s.PageQuery, location="query", arg_name="query")
@bp.output(s.AssignmentPage)
@bp.doc(tags=["Assignments"], summary="Assignments this key may see",
        description="An expert's own proposals and cases; a centre's assignments.")
def list_assignments(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    user = principal()
    statement = select(Assignment)
    if user.role == "expert":
        profile = access.expert_profile_of(user)
        statement = statement.where(Assignment.expert_id == (profile.id if profile else -1))
    else:
        statement = statement.where(Assignment.case_id.in_(
            select(DisputeCase.id).where(access.case_filter(user))))
    rows, token = paginate(statement, Assignment.id, query["page_size"],
                           query.get("page_token"), {})
    return {"items": [serialize.assignment(r) for r in rows], "next_page_token": token}


@bp.get("/assignments/<int:assignment_id>")
@requires("assignments:read")
@bp.output(s.AssignmentOut)
@bp.doc(tags=["Assignments"], summary="One assignment")
def get_assignment(assignment_id: int):  # type: ignore[no-untyped-def]
    return serialize.assignment(access.get_assignment_or_404(assignment_id, principal()))


def _own_assignment(assignment_id: int) -> Assignment:
    require_role("expert")
    return access.get_assignment_or_404(assignment_id, principal())


@bp.post("/assignments/<int:assignment_id>/accept")
@requires("assignments:write")
@idempotent
@bp.input(s.IdempotencyHeader, location="headers", arg_name="headers")
@bp.input(s.AcceptIn, arg_name="body")
@bp.output(s.AssignmentOut)
@bp.doc(tags=["Assignments"], summary="The expert accepts a proposal",
        responses={409: {"description": "Refused: the reason is in detail"}})
def accept(assignment_id: int, headers: dict[str, Any], body: dict[str, Any]):  # type: ignore[no-untyped-def]
    assignment = _own_assignment(assignment_id)
    try:
        assignments.accept(assignment, principal(), body["no_conflict"])
    except assignments.AssignmentError as error:
        raise _assignment_problem(error, "no_conflict" if error.code == "conflict"
                                  else None) from None
    return serialize.assignment(assignment)


@bp.post("/assignments/<int:assignment_id>/decline")
@requires("assignments:write")
@idempotent
@bp.input(s.IdempotencyHeader, location="headers", arg_name="headers")
@bp.input(s.DeclineIn, arg_name="body")
@bp.output(s.AssignmentOut)
@bp.doc(tags=["Assignments"], summary="The expert declines a proposal, with a reason",
        responses={409: {"description": "Refused: the reason is in detail"}})
def decline(assignment_id: int, headers: dict[str, Any], body: dict[str, Any]):  # type: ignore[no-untyped-def]
    assignment = _own_assignment(assignment_id)
    try:
        assignments.decline(assignment, principal(), body["reason"])
    except assignments.AssignmentError as error:
        raise _assignment_problem(error, "reason" if error.code == "reason" else None) from None
    return serialize.assignment(assignment)


# -- centres and warnings ----------------------------------------------------------------------


@bp.get("/centres")
@bp.output(s.CentreList)
@bp.doc(tags=["Centres"], summary="The network's active centres")
def list_centres():  # type: ignore[no-untyped-def]
    rows = db.session.scalars(select(Centre).where(Centre.active.is_(True)).order_by(Centre.id))
    return {"items": [serialize.centre(r) for r in rows]}


@bp.get("/warnings")
@bp.output(s.WarningList)
@bp.doc(tags=["Warnings"], summary="Current risk warnings for this key",
        description="An enterprise gets the warnings that target it; centre staff all current "
                    "ones; experts none.")
def list_warnings():  # type: ignore[no-untyped-def]
    user = principal()
    if user.role == "enterprise":
        rows = network.warnings_for(user)
    elif user.role in ("coordinator", *access.NETWORK_ROLES):
        rows = network.current_warnings()
    else:
        rows = []
    return {"items": [serialize.warning(r) for r in rows]}

