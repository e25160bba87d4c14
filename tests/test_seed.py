"""The demo data set loads, is rich enough to evaluate ranking on, and loads only once."""

from __future__ import annotations

from sqlalchemy import func, select

from expertmatch import vocabulary
from expertmatch.extensions import db
from expertmatch.models import (
    Centre,
    DeclaredConflict,
    DisputeCase,
    ExpertProfile,
    Organisation,
    PastMatter,
    User,
)
from expertmatch.services import demo


def _counts() -> dict[str, int]:
    models = (Centre, Organisation, User, ExpertProfile, PastMatter, DeclaredConflict, DisputeCase)
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in models}


def test_seed_is_complete_and_idempotent(ctx):  # type: ignore[no-untyped-def]
    first = demo.seed()
    assert first["experts"] >= 80 and first["cases"] >= 30
    counts = _counts()
    assert demo.seed() == dict.fromkeys(first, 0)
    assert _counts() == counts

    experts = db.session.scalars(select(ExpertProfile)).all()
    jurisdictions = {j for e in experts for j in e.jurisdictions}
    assert len(jurisdictions) >= 15
    assert {d for e in experts for d in e.dispute_types} >= set(vocabulary.DISPUTE_TYPES)
    assert {i for e in experts for i in e.industries} >= set(vocabulary.INDUSTRIES)
    assert all(2 <= len(e.matters) <= 6 for e in experts)
    assert sum(e.profile_language == "zh" for e in experts) >= 10
    assert counts["DeclaredConflict"] > 0

    cases = db.session.scalars(select(DisputeCase)).all()
    assert sum(c.text_language == "zh" for c in cases) * 3 >= len(cases)
    assert all(c.centre_id is not None for c in cases)
    assert {c.dispute_type for c in cases} >= {
        "sep_frand",
        "ecommerce",
        "trademark",
        "trade_secret",
        "itc337",
        "customs",
    }


def test_demo_logins_cover_every_role(ctx):  # type: ignore[no-untyped-def]
    demo.seed()
    roles = [role for role, _email, _password in demo.demo_logins()]
    assert set(roles) == {"enterprise", "expert", "coordinator", "network", "admin"}
    for _role, email, password in demo.demo_logins():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.check_password(password)


def test_seed_command(runner, ctx):  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "experts: " in result.output
    assert "demo-pass-2026" in runner.invoke(args=["demo-logins"]).output
