"""The demo data set (data/demo/): fictional centres, enterprises, experts and cases.

Seeding is idempotent: every row has a natural key (centre code, credit code,
email, expert reference, case reference) and existing rows are left alone, so
running it twice changes nothing. Dates in the files are written around the
anchor date in meta.json and shifted to today, so deadlines stay current.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from expertmatch.extensions import db
from expertmatch.models import (
    Admission,
    Centre,
    Counterparty,
    DeclaredConflict,
    DisputeCase,
    Entity,
    EntityAlias,
    ExpertProfile,
    Organisation,
    PastMatter,
    User,
)

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - fictional accounts of the demo data set
DEMO_DOMAIN = "demo.expertmatch.example"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
NETWORK_EMAIL = f"network@{DEMO_DOMAIN}"
# Centres that get a demo coordinator (others exist without staff).
COORDINATED_CENTRES = {
    "GD-SZ": "陈静 Chen Jing",
    "GD-GZ": "黄伟 Huang Wei",
    "ZJ-HZ": "王芳 Wang Fang",
    "SH": "李娜 Li Na",
    "BJ": "张磊 Zhang Lei",
    "JS-SZ": "刘洋 Liu Yang",
    "FJ-XM": "林晓 Lin Xiao",
    "IND-PV": "赵敏 Zhao Min",
    "IND-ECOM": "吴婷 Wu Ting",
    "IND-TEL": "孙浩 Sun Hao",
    "IND-AUTO": "周强 Zhou Qiang",
    "OUT-DE": "Anna Becker",
}


def coordinator_email(centre_code: str) -> str:
    return f"coord.{centre_code.lower()}@{DEMO_DOMAIN}"


def demo_dir() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "demo"


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


class _Shift:
    """Moves the demo's dates from the anchor date to today."""

    def __init__(self, anchor: date, today: date) -> None:
        self.delta = today - anchor

    def day(self, value: str | None) -> date | None:
        return date.fromisoformat(value) + self.delta if value else None

    def moment(self, value: str | None) -> datetime | None:
        if not value:
            return None
        parsed = datetime.fromisoformat(value)
        if len(value) <= 10:
            parsed = parsed.replace(hour=9)
        return parsed + self.delta


@lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    """Hashing is slow on purpose; every demo account shares one password, so one hash."""
    return generate_password_hash(DEMO_PASSWORD)


def _user(email: str, name: str, role: str, **kw: Any) -> tuple[User, bool]:
    existing = db.session.scalar(select(User).where(User.email == email.lower()))
    if existing:
        return existing, False
    user = User(email=email.lower(), display_name=name, role=role, **kw)
    user.password_hash = _demo_password_hash()
    db.session.add(user)
    db.session.flush()
    return user, True


def seed(today: date | None = None) -> dict[str, int]:
    """Load everything that is missing; return how many rows of each kind were added."""
    base = demo_dir()
    meta = json.loads((base / "meta.json").read_text(encoding="utf-8"))
    shift = _Shift(date.fromisoformat(meta["anchor_date"]), today or date.today())
    added = {k: 0 for k in ("centres", "entities", "organisations", "users", "experts", "cases")}
    try:
        centres = _seed_centres(base, added)
        _seed_entities(Path(current_app.config["DATA_DIR"]) / "entities.jsonl", added)
        organisations = _seed_organisations(base, added)
        _seed_staff(centres, added)
        _seed_experts(base, centres, shift, added)
        _seed_cases(base, organisations, shift, added)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return added


def _seed_centres(base: Path, added: dict[str, int]) -> dict[str, Centre]:
    centres = {c.code: c for c in db.session.scalars(select(Centre))}
    for row in _rows(base / "centres.jsonl"):
        if row["code"] in centres:
            continue
        centre = Centre(
            code=row["code"],
            kind=row["kind"],
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            province=row.get("province"),
            city=row.get("city"),
            industry=row.get("industry"),
            country=row.get("country"),
            contact_email=row.get("contact_email"),
            contact_phone=row.get("contact_phone"),
            active=row.get("active", True),
        )
        db.session.add(centre)
        centres[centre.code] = centre
        added["centres"] += 1
    db.session.flush()
    return centres


def _seed_entities(path: Path, added: dict[str, int]) -> None:
    if not path.exists():
        return
    rows = list(_rows(path))
    known = {e.name: e for e in db.session.scalars(select(Entity))}
    for row in rows:
        if row["name"] not in known:
            entity = Entity(name=row["name"])
            entity.aliases = [EntityAlias(name=a) for a in row.get("aliases", [])]
            db.session.add(entity)
            known[row["name"]] = entity
            added["entities"] += 1
    db.session.flush()
    for row in rows:
        parent = row.get("parent")
        if parent and parent in known and known[row["name"]].parent_id is None:
            known[row["name"]].parent_id = known[parent].id


def _seed_organisations(base: Path, added: dict[str, int]) -> dict[str, Organisation]:
    by_ref: dict[str, Organisation] = {}
    for row in _rows(base / "organisations.jsonl"):
        org = db.session.scalar(
            select(Organisation).where(Organisation.credit_code == row["credit_code"])
        )
        if org is None:
            org = Organisation(
                name_zh=row.get("name_zh"),
                name_en=row.get("name_en"),
                credit_code=row["credit_code"],
                industry=row.get("industry"),
                province=row.get("province"),
                size=row.get("size"),
                markets=row.get("markets") or _demo_markets(base).get(row["id"], []),
            )
            db.session.add(org)
            db.session.flush()
            added["organisations"] += 1
        by_ref[row["id"]] = org
        _, created = _user(
            row["contact_email"],
            row.get("contact_name") or row.get("name_en") or row["id"],
            "enterprise",
            organisation_id=org.id,
            locale="zh",
        )
        added["users"] += created
    return by_ref


def _demo_markets(base: Path) -> dict[str, list[str]]:
    """Demo enterprises sell where their demo cases are fought (countries only, not forums):
    risk warnings target markets, so the demo needs some."""
    markets: dict[str, set[str]] = {}
    for row in _rows(base / "cases.jsonl"):
        codes = {j for j in row.get("jurisdictions", []) if len(j) == 2 and j != "EU"}
        markets.setdefault(row["organisation"], set()).update(codes)
    return {ref: sorted(codes) for ref, codes in markets.items()}


def _seed_staff(centres: dict[str, Centre], added: dict[str, int]) -> None:
    added["users"] += _user(ADMIN_EMAIL, "Demo Administrator", "admin", locale="en")[1]
    added["users"] += _user(NETWORK_EMAIL, "网络办公室 Network Office", "network", locale="zh")[1]
    for code, name in COORDINATED_CENTRES.items():
        centre = centres.get(code)
        if centre is None:
            continue
        added["users"] += _user(
            coordinator_email(code),
            name,
            "coordinator",
            centre_id=centre.id,
            locale="zh" if centre.kind != "outpost" else "en",
        )[1]


def _conflict(item: Any, shift: _Shift) -> DeclaredConflict:
    if isinstance(item, str):
        return DeclaredConflict(entity_name=item, relation="client")
    return DeclaredConflict(
        entity_name=item["entity"],
        relation=item.get("relation") or "client",
        until=date.fromisoformat(item["until"]) if item.get("until") else None,
    )


def _seed_experts(
    base: Path, centres: dict[str, Centre], shift: _Shift, added: dict[str, int]
) -> None:
    path = base / "experts.jsonl"
    if not path.exists():
        return
    for row in _rows(path):
        if db.session.scalar(select(ExpertProfile.id).where(ExpertProfile.reference == row["id"])):
            continue
        user = None
        if row.get("email"):
            user, created = _user(
                row["email"],
                row.get("name") or row["id"],
                "expert",
                locale=row.get("profile_language") or "en",
            )
            added["users"] += created
        availability = row.get("availability") or (
            "available" if row.get("available", True) else "inactive"
        )
        home = centres.get(row.get("home_centre") or "")
        expert = ExpertProfile(
            user_id=user.id if user else None,
            reference=row["id"],
            full_name=row.get("name") or row["id"],
            email=row.get("email"),
            role_type=row.get("role_type") or "lawyer",
            headline=row.get("headline") or "",
            bio=row.get("bio") or "",
            firm=row.get("firm"),
            profile_language=row.get("profile_language"),
            jurisdictions=row.get("jurisdictions", []),
            languages=row.get("languages", []),
            dispute_types=row.get("dispute_types", []),
            industries=row.get("industries", []),
            years_experience=row.get("years_experience"),
            capacity=row.get("capacity") or 3,
            availability=availability,
            absent_until=shift.day(row.get("absent_until")),
            rapid_response=bool(row.get("rapid_response")),
            verification_status="verified",
            last_confirmed_at=shift.day(row.get("last_confirmed")) or date.today(),
            location_country=row.get("location_country"),
            home_centre_id=home.id if home else None,
            external_load=int(row.get("active_cases") or 0),
        )
        expert.admissions = [
            Admission(
                jurisdiction=a["jurisdiction"],
                year=a.get("year"),
                status=a.get("status") or "active",
            )
            for a in row.get("admissions", [])
        ]
        expert.matters = [
            PastMatter(
                title=m.get("title") or "",
                summary=m.get("summary") or "",
                year=m.get("year"),
                jurisdiction=m.get("jurisdiction"),
                dispute_type=m.get("dispute_type"),
                role=m.get("role"),
            )
            for m in row.get("matters", [])
        ]
        expert.conflicts = [_conflict(c, shift) for c in row.get("conflicts", [])]
        db.session.add(expert)
        added["experts"] += 1
    db.session.flush()


def _seed_cases(
    base: Path, organisations: dict[str, Organisation], shift: _Shift, added: dict[str, int]
) -> None:
    from expertmatch.services import routing

    for row in _rows(base / "cases.jsonl"):
        reference = f"EM-DEMO-{row['id']}"
        if db.session.scalar(select(DisputeCase.id).where(DisputeCase.reference == reference)):
            continue
        org = organisations[row["organisation"]]
        contact = db.session.scalar(
            select(User).where(User.organisation_id == org.id).order_by(User.id)
        )
        submitted_at = shift.moment(row.get("submitted_at")) or shift.moment(
            row.get("service_date")
        )
        status = row.get("status") or "submitted"
        case = DisputeCase(
            reference=reference,
            organisation_id=org.id,
            created_by_id=contact.id if contact else None,
            contact_name=contact.display_name if contact else None,
            contact_email=contact.email if contact else None,
            our_role=row.get("our_role"),
            title=row["title"],
            description=row.get("description") or "",
            text_language=row.get("lang"),
            dispute_type=row.get("dispute_type"),
            jurisdictions=row.get("jurisdictions", []),
            forum=row.get("forum"),
            docket_number=row.get("docket_number"),
            sep_standard=row.get("sep_standard"),
            negotiation_stage=row.get("negotiation_stage"),
            industry=row.get("industry"),
            languages=row.get("languages", []),
            amount=Decimal(str(row["amount"])) if row.get("amount") is not None else None,
            currency=row.get("currency"),
            goal=row.get("goal"),
            service_date=shift.day(row.get("service_date")),
            tro_date=shift.day(row.get("tro_date")),
            hearing_date=shift.day(row.get("hearing_date")),
            deadline=shift.day(row.get("deadline")),
            deadline_basis=row.get("deadline_basis"),
            confidentiality=row.get("confidentiality") or "normal",
            consent_share=True,
            consent_conflict_check=True,
            status=status,
            submitted_at=submitted_at,
            triaged_at=submitted_at + timedelta(hours=20)
            if submitted_at and status != "submitted"
            else None,
        )
        case.counterparties = [
            Counterparty(
                position=i,
                name_en=p.get("name_en"),
                name_zh=p.get("name_zh"),
                counsel=p.get("counsel"),
            )
            if isinstance(p, dict)
            else Counterparty(position=i, name_en=p)
            for i, p in enumerate(row.get("counterparties", []))
        ]
        _explain_deadline(case)
        db.session.add(case)
        db.session.flush()
        routing.route_case(case, None)
        added["cases"] += 1


def _explain_deadline(case: DisputeCase) -> None:
    """Give the demo deadline its basis: the rule's when the rule gives that date,
    otherwise the enterprise set it (the descriptions say why: extensions, agreed
    timetables)."""
    from expertmatch.services import deadlines

    result = deadlines.compute_deadline(
        deadlines.app_rules(),
        dispute_type=case.dispute_type,
        jurisdictions=case.jurisdictions,
        forum=case.forum,
        service_date=case.service_date,
        tro_date=case.tro_date,
    )
    if case.deadline is None:
        case.deadline = result.deadline
    if result.deadline is not None and result.deadline == case.deadline:
        case.deadline_rule, case.deadline_basis = result.rule_id, result.basis
    elif case.deadline is not None:
        case.deadline_overridden = True
        case.deadline_basis = "Set by the enterprise"


def demo_logins() -> list[tuple[str, str, str]]:
    """One account per role for the README and `make run`: (role, email, password)."""
    logins = [
        ("coordinator", coordinator_email("GD-SZ"), DEMO_PASSWORD),
        ("network", NETWORK_EMAIL, DEMO_PASSWORD),
        ("admin", ADMIN_EMAIL, DEMO_PASSWORD),
    ]
    enterprise = db.session.scalar(select(User).where(User.role == "enterprise").order_by(User.id))
    expert = db.session.scalar(
        select(User)
        .join(ExpertProfile, ExpertProfile.user_id == User.id)
        .where(ExpertProfile.reference == "E001")
    )
    if enterprise:
        logins.insert(0, ("enterprise", enterprise.email, DEMO_PASSWORD))
    if expert:
        logins.insert(1, ("expert", expert.email, DEMO_PASSWORD))
    return logins
