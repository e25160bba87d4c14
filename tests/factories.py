"""Small factories for rows; each returns a committed object."""

from __future__ import annotations

import functools
import itertools
from datetime import date, timedelta

from werkzeug.security import generate_password_hash

from expertmatch.extensions import db
from expertmatch.models import (
    Centre,
    Counterparty,
    DeclaredConflict,
    DisputeCase,
    ExpertProfile,
    Organisation,
    PastMatter,
    User,
    utcnow,
)

PASSWORD = "correct-horse-9"


@functools.lru_cache(maxsize=8)
def _quick_hash(password: str) -> str:
    """Test accounts are furniture: one PBKDF2 round instead of scrypt keeps tests fast
    (real hashing is exercised by registration in test_auth)."""
    return generate_password_hash(password, method="pbkdf2:sha256:1")
_seq = itertools.count(1)


def centre(**kw) -> Centre:  # type: ignore[no-untyped-def]
    n = next(_seq)
    obj = Centre(
        code=kw.pop("code", f"C{n}"),
        kind=kw.pop("kind", "regional"),
        name_zh=kw.pop("name_zh", f"测试中心{n}"),
        name_en=kw.pop("name_en", f"Test centre {n}"),
        province=kw.pop("province", "CN-GD"),
        **kw,
    )
    db.session.add(obj)
    db.session.commit()
    return obj


def organisation(**kw) -> Organisation:  # type: ignore[no-untyped-def]
    n = next(_seq)
    obj = Organisation(
        name_zh=kw.pop("name_zh", f"测试企业{n}有限公司"),
        name_en=kw.pop("name_en", f"Test Enterprise {n} Co., Ltd."),
        credit_code=kw.pop("credit_code", f"91440300{n:010d}"),
        industry=kw.pop("industry", "telecom"),
        province=kw.pop("province", "CN-GD"),
        markets=kw.pop("markets", []),
        **kw,
    )
    db.session.add(obj)
    db.session.commit()
    return obj


def user(role: str = "enterprise", **kw) -> User:  # type: ignore[no-untyped-def]
    n = next(_seq)
    if role == "enterprise" and "organisation_id" not in kw:
        kw["organisation_id"] = organisation().id
    if role == "coordinator" and "centre_id" not in kw:
        kw["centre_id"] = centre().id
    password = kw.pop("password", PASSWORD)
    obj = User(
        email=kw.pop("email", f"{role}{n}@example.com"),
        display_name=kw.pop("display_name", f"{role.title()} {n}"),
        role=role,
        **kw,
    )
    obj.password_hash = _quick_hash(password)
    db.session.add(obj)
    db.session.commit()
    if role == "expert":
        expert_profile(user_id=obj.id, full_name=obj.display_name, email=obj.email)
    return obj


def expert_profile(**kw) -> ExpertProfile:  # type: ignore[no-untyped-def]
    n = next(_seq)
    matters = kw.pop("matters", [])
    conflicts = kw.pop("conflicts", [])
    obj = ExpertProfile(
        full_name=kw.pop("full_name", f"Expert {n}"),
        reference=kw.pop("reference", f"T{n:04d}"),
        headline=kw.pop("headline", "Patent litigator"),
        bio=kw.pop("bio", "Patent litigation in Germany and at the UPC."),
        jurisdictions=kw.pop("jurisdictions", ["DE"]),
        languages=kw.pop("languages", ["en"]),
        dispute_types=kw.pop("dispute_types", ["patent_infringement"]),
        industries=kw.pop("industries", ["telecom"]),
        capacity=kw.pop("capacity", 3),
        **kw,
    )
    for m in matters:
        obj.matters.append(PastMatter(**m))
    for c in conflicts:
        obj.conflicts.append(DeclaredConflict(**c))
    db.session.add(obj)
    db.session.commit()
    return obj


def dispute_case(organisation_id: int, **kw) -> DisputeCase:  # type: ignore[no-untyped-def]
    n = next(_seq)
    counterparties = kw.pop("counterparties", [{"name_en": "Nordvik Telecom Oy"}])
    status = kw.pop("status", "submitted")
    obj = DisputeCase(
        organisation_id=organisation_id,
        reference=kw.pop("reference", f"EM-TEST-{n:04d}"),
        title=kw.pop("title", f"SEP injunction {n}"),
        description=kw.pop("description", "LTE SEP injunction in Munich."),
        dispute_type=kw.pop("dispute_type", "sep_frand"),
        jurisdictions=kw.pop("jurisdictions", ["DE"]),
        languages=kw.pop("languages", ["en"]),
        status=status,
        submitted_at=kw.pop("submitted_at", utcnow() if status != "draft" else None),
        deadline=kw.pop("deadline", date.today() + timedelta(days=20)),
        **kw,
    )
    for i, c in enumerate(counterparties):
        obj.counterparties.append(Counterparty(position=i, **c))
    db.session.add(obj)
    db.session.commit()
    return obj
