"""The expert journey: profile, past matters, conflicts, proposals, accepted cases."""

from __future__ import annotations

import itertools
import sys
import types
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

import expertmatch.services
from expertmatch.extensions import db
from expertmatch.models import (
    Admission,
    Assignment,
    AuditEvent,
    DeclaredConflict,
    ExpertProfile,
    PastMatter,
    User,
)
from expertmatch.services import assignments
from tests import factories
from tests.conftest import make_app

TODAY = date.today()
SECRET_DESCRIPTION = "Our former engineer copied the wafer-bonding recipe onto a USB stick."
ORG_NAME = "Suzhou Jingrui Semiconductor Co., Ltd."
_accounts = itertools.count(1)


# --- helpers --------------------------------------------------------------------------------------


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def counts() -> dict[str, int]:
    """The rows an expert's forms may write; bad input must leave all of them unchanged."""
    return {
        "expert_profiles": count(ExpertProfile),
        "past_matters": count(PastMatter),
        "declared_conflicts": count(DeclaredConflict),
        "admissions": count(Admission),
    }


def audit_events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


# A cheap hash of the factories' password: signing in is then instant, and this module makes
# dozens of accounts (the real hashing cost is tested in test_auth).
FAST_HASH = generate_password_hash(factories.PASSWORD, method="pbkdf2:sha256:1000")


def expert(**profile) -> tuple[User, ExpertProfile]:  # type: ignore[no-untyped-def]
    """An expert account with its profile, optionally with some profile columns set."""
    n = next(_accounts)
    user = User(
        email=f"expert-{n}@example.com", display_name=f"Expert {n}", role="expert",
        password_hash=FAST_HASH,
    )
    db.session.add(user)
    db.session.commit()
    prof = factories.expert_profile(user_id=user.id, full_name=user.display_name, email=user.email)
    for name, value in profile.items():
        setattr(prof, name, value)
    db.session.commit()
    return user, prof


def profile_post(prof: ExpertProfile | None = None, **overrides) -> dict:  # type: ignore[no-untyped-def]
    """What the profile page posts when the expert changes nothing (or only ``overrides``)."""
    data: dict = {
        "full_name": prof.full_name if prof else "Dr. Katrin Albers",
        "role_type": prof.role_type if prof else "lawyer",
        "headline": prof.headline if prof else "SEP litigator, Munich and UPC",
        "bio": prof.bio if prof else "FRAND defence before the Munich Regional Court.",
        "firm": (prof.firm or "") if prof else "Albers Rechtsanwälte",
        "profile_language": (prof.profile_language or "en") if prof else "en",
        "jurisdictions": list(prof.jurisdictions) if prof else ["DE", "UPC"],
        "languages": list(prof.languages) if prof else ["de", "en"],
        "dispute_types": list(prof.dispute_types) if prof else ["sep_frand"],
        "industries": list(prof.industries) if prof else ["telecom"],
        "years_experience": (
            "12" if prof is None
            else ("" if prof.years_experience is None else str(prof.years_experience))
        ),
        "capacity": str(prof.capacity) if prof else "3",
        "availability": prof.availability if prof else "available",
        "absent_until": prof.absent_until.isoformat() if prof and prof.absent_until else "",
        "location_country": (prof.location_country or "") if prof else "DE",
    }
    if prof is None or prof.rapid_response:
        data["rapid_response"] = "y"
    rows = list(prof.admissions) if prof else []
    for i, adm in enumerate(rows):
        data[f"admissions-{i}-jurisdiction"] = adm.jurisdiction
        data[f"admissions-{i}-year"] = str(adm.year or "")
        data[f"admissions-{i}-status"] = adm.status
    blank = len(rows)
    data[f"admissions-{blank}-jurisdiction"] = ""
    data[f"admissions-{blank}-year"] = ""
    data[f"admissions-{blank}-status"] = "active"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def confidential_case(**kw):  # type: ignore[no-untyped-def]
    org = factories.organisation(name_en=ORG_NAME, name_zh="苏州晶锐半导体有限公司")
    return factories.dispute_case(
        org.id,
        title=kw.pop("title", "Wafer-bonding recipe taken to a competitor"),
        description=kw.pop("description", SECRET_DESCRIPTION),
        dispute_type="trade_secret",
        jurisdictions=["US"],
        forum="US District Court, N.D. California",
        docket_number="5:26-cv-01234",
        industry="semiconductors",
        amount=12_500_000,
        currency="USD",
        confidentiality="confidential",
        counterparties=[
            {"name_en": "Bayline Microsystems Inc.", "name_zh": "贝兰微系统公司",
             "counsel": "Harlow & Finch LLP"}
        ],
        **kw,
    )


def normal_case(**kw):  # type: ignore[no-untyped-def]
    org = factories.organisation(name_en="Ningbo Haitao Appliances Co., Ltd.")
    return factories.dispute_case(
        org.id,
        title=kw.pop("title", "Schedule A suit against our Amazon store"),
        description=kw.pop("description", "A TRO froze our seller account in Illinois."),
        dispute_type="ecommerce",
        jurisdictions=["US"],
        **kw,
    )


def propose(case, prof: ExpertProfile, status: str = "proposed") -> Assignment:  # type: ignore[no-untyped-def]
    """A proposal as the coordinator's service leaves it (written directly: this module tests
    the expert's side, not the coordinator's checks)."""
    assignment = Assignment(case_id=case.id, expert_id=prof.id, status=status)
    if case.status in ("submitted", "triaged"):
        case.status = "matched"
    db.session.add(assignment)
    db.session.commit()
    return assignment


@pytest.fixture
def fake_matching(monkeypatch):  # type: ignore[no-untyped-def]
    """Replace the matching service with a recorder (or a failing stub) for plumbing tests."""

    def install(fail: bool = False):  # type: ignore[no-untyped-def]
        calls: list[tuple[int, str | None]] = []

        def expert_changed(profile: ExpertProfile) -> int:
            # What the database holds at call time, read on a separate connection: the
            # engine must be told only after the commit.
            with db.engine.connect() as conn:
                committed = conn.execute(
                    text("SELECT headline FROM expert_profiles WHERE id = :id"), {"id": profile.id}
                ).scalar()
            calls.append((profile.id, committed))
            if fail:
                raise RuntimeError("embedding model missing")
            return 1

        module = types.SimpleNamespace(expert_changed=expert_changed)
        monkeypatch.setitem(sys.modules, "expertmatch.services.matching", module)
        monkeypatch.setattr(expertmatch.services, "matching", module, raising=False)
        return calls

    return install


# --- profile -----------------------------------------------------------------------------------


def test_new_invitee_gets_a_profile_on_first_save(client, ctx, login, fake_matching):  # type: ignore[no-untyped-def]
    calls = fake_matching()
    user, prof = expert()
    db.session.delete(prof)
    db.session.commit()
    login(user)
    form_page = page(client.get("/expert/profile"))
    assert user.display_name in form_page  # the name is offered from the account
    data = profile_post(**{"admissions-0-jurisdiction": "DE", "admissions-0-year": "2008"})
    response = client.post("/expert/profile", data=data)
    assert response.status_code == 302
    created = db.session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))
    assert created is not None
    assert created.jurisdictions == ["DE", "UPC"] and created.dispute_types == ["sep_frand"]
    assert created.last_confirmed_at == TODAY
    assert [(a.jurisdiction, a.year) for a in created.admissions] == [("DE", 2008)]
    assert [e.object_id for e in audit_events("profile.created")] == [created.id]
    assert calls == [(created.id, "SEP litigator, Munich and UPC")]


def test_saving_records_the_changed_fields_and_confirms_the_profile(  # type: ignore[no-untyped-def]
    client, ctx, login, fake_matching
):
    calls = fake_matching()
    user, prof = expert(
        profile_language="en", last_confirmed_at=TODAY - timedelta(days=400),
        verification_status="expired",
    )
    login(user)
    data = profile_post(prof, headline="FRAND and SEP injunctions", jurisdictions=["DE", "UPC"])
    response = client.post("/expert/profile", data=data, follow_redirects=True)
    assert "Your profile is saved and confirmed as current." in page(response)
    db.session.refresh(prof)
    assert prof.headline == "FRAND and SEP injunctions"
    assert prof.last_confirmed_at == TODAY
    assert prof.verification_status == "verified"
    [event] = audit_events("profile.updated")
    assert event.detail == {"fields": ["headline", "jurisdictions"]}
    assert event.actor_id == user.id
    # The engine heard of it after the commit: it read the new headline from the database.
    assert calls == [(prof.id, "FRAND and SEP injunctions")]


def test_saving_an_unchanged_profile_still_confirms_it(client, ctx, login, fake_matching):  # type: ignore[no-untyped-def]
    fake_matching()
    user, prof = expert(profile_language="en", last_confirmed_at=TODAY - timedelta(days=200))
    login(user)
    client.post("/expert/profile", data=profile_post(prof))
    db.session.refresh(prof)
    assert prof.last_confirmed_at == TODAY
    assert audit_events("profile.updated")[-1].detail == {"fields": []}


def test_a_failed_re_encoding_keeps_the_saved_profile(client, ctx, login, fake_matching):  # type: ignore[no-untyped-def]
    fake_matching(fail=True)
    user, prof = expert(profile_language="en")
    login(user)
    response = client.post(
        "/expert/profile", data=profile_post(prof, headline="Trade secrets, California"),
        follow_redirects=True,
    )
    body = page(response)
    assert "Your profile is saved" in body
    assert "Rankings will include it shortly" in body
    db.session.expire_all()
    assert db.session.get(ExpertProfile, prof.id).headline == "Trade secrets, California"
    assert len(audit_events("profile.updated")) == 1


def test_admissions_are_added_and_removed(client, ctx, login, fake_matching):  # type: ignore[no-untyped-def]
    fake_matching()
    user, prof = expert(profile_language="en")
    prof.admissions.append(Admission(jurisdiction="DE", year=2005, status="active"))
    prof.admissions.append(Admission(jurisdiction="UPC", year=2023, status="active"))
    db.session.commit()
    login(user)
    data = profile_post(prof)
    data["admissions-0-remove"] = "y"  # drop DE
    data["admissions-2-jurisdiction"] = "EPO"  # the blank row
    data["admissions-2-year"] = "2010"
    data["admissions-2-status"] = "active"
    assert client.post("/expert/profile", data=data).status_code == 302
    db.session.expire_all()
    rows = db.session.scalars(
        select(Admission).where(Admission.expert_id == prof.id).order_by(Admission.year)
    ).all()
    assert [(a.jurisdiction, a.year) for a in rows] == [("EPO", 2010), ("UPC", 2023)]
    assert "admissions" in audit_events("profile.updated")[-1].detail["fields"]


LONG_HEADLINE = "SEP" + "x" * 198
BAD_PROFILES = [
    # (overrides, message shown next to the field, text that must still be on the page)
    ({"headline": LONG_HEADLINE}, "Field cannot be longer than 200 characters.", LONG_HEADLINE),
    ({"bio": "b" * 5001}, "Field cannot be longer than 5000 characters.", "b" * 5001),
    ({"full_name": ""}, "This field is required.", "SEP litigator"),
    ({"headline": "SEP\x00litigator"}, "characters that are not allowed", "Albers"),
    ({"capacity": "0"}, "Enter a number from 1 to 30.", "Albers"),
    ({"capacity": "31"}, "Enter a number from 1 to 30.", 'value="31"'),
    ({"capacity": "many"}, "Not a valid integer value.", 'value="many"'),
    ({"years_experience": "71"}, "Enter a number from 0 to 70.", 'value="71"'),
    ({"years_experience": "9" * 400}, "at most 6 digits", "9" * 400),
    ({"availability": "absent", "absent_until": ""},
     "Give the date until which you are absent.", "Albers"),
    ({"availability": "absent", "absent_until": (TODAY - timedelta(days=1)).isoformat()},
     "The date must be in the future.", (TODAY - timedelta(days=1)).isoformat()),
    ({"availability": "absent", "absent_until": TODAY.isoformat()},
     "The date must be in the future.", TODAY.isoformat()),
    ({"availability": "absent", "absent_until": "2031-02-30"},
     "Enter a real date as YYYY-MM-DD", "2031-02-30"),
    ({"jurisdictions": []}, "Choose at least one jurisdiction.", "Albers"),
    ({"languages": []}, "Choose at least one language.", "Albers"),
    ({"dispute_types": []}, "Choose at least one dispute type.", "Albers"),
    ({"jurisdictions": ["DE", "XX"]}, "not a valid choice", "Albers"),
    ({"role_type": "astrologer"}, "Not a valid choice", "Albers"),
    ({"admissions-0-year": "2008"}, "Choose where you are admitted, or clear the year.",
     'value="2008"'),
    ({"admissions-0-jurisdiction": "DE", "admissions-0-year": "1800"},
     "Enter a year from 1940 to", 'value="1800"'),
]


def test_bad_profile_input_is_refused_next_to_the_field(client, ctx, login, fake_matching):  # type: ignore[no-untyped-def]
    # One account for every case: each case is a separate POST of the whole form.
    calls = fake_matching()
    user, prof = expert(
        full_name="Dr. Katrin Albers", headline="SEP litigator", profile_language="en"
    )
    login(user)
    before = counts()
    for overrides, message, kept in BAD_PROFILES:
        response = client.post("/expert/profile", data=profile_post(prof, **overrides))
        body = page(response)
        assert response.status_code == 200, overrides
        assert message in body, overrides
        assert 'class="error"' in body and "Please correct the following:" in body, overrides
        assert kept in body, overrides
        assert counts() == before, overrides
        db.session.expire_all()
        assert db.session.get(ExpertProfile, prof.id).headline == "SEP litigator", overrides
    assert audit_events("profile.updated") == [] and calls == []


def test_bad_input_from_a_new_invitee_creates_no_profile(client, ctx, login, fake_matching):  # type: ignore[no-untyped-def]
    fake_matching()
    user, prof = expert()
    db.session.delete(prof)
    db.session.commit()
    login(user)
    before = counts()
    response = client.post("/expert/profile", data=profile_post(capacity="0"))
    assert "Enter a number from 1 to 30." in page(response)
    assert counts() == before


def test_an_absence_date_is_cleared_when_available_again(client, ctx, login, fake_matching):  # type: ignore[no-untyped-def]
    fake_matching()
    user, prof = expert(
        profile_language="en", availability="absent", absent_until=TODAY + timedelta(days=9)
    )
    login(user)
    client.post("/expert/profile", data=profile_post(prof, availability="available"))
    db.session.refresh(prof)
    assert prof.availability == "available" and prof.absent_until is None


def test_a_stored_rare_jurisdiction_survives_a_save(client, ctx, login, fake_matching):  # type: ignore[no-untyped-def]
    fake_matching()
    user, prof = expert(profile_language="en", jurisdictions=["DE", "AT"])
    login(user)
    assert 'value="AT"' in page(client.get("/expert/profile"))
    assert client.post("/expert/profile", data=profile_post(prof)).status_code == 302
    db.session.refresh(prof)
    assert prof.jurisdictions == ["DE", "AT"]


# --- past matters ---------------------------------------------------------------------------------


GOOD_MATTER = {
    "title": "LTE SEP injunction, Regional Court Munich I",
    "summary": "Defended a handset maker; FRAND counter-offer and security.",
    "year": "2024",
    "jurisdiction": "DE",
    "dispute_type": "sep_frand",
    "role": "Lead counsel for the defendant",
}


def test_a_matter_is_added_edited_and_removed(client, ctx, login, fake_matching):  # type: ignore[no-untyped-def]
    calls = fake_matching()
    user, prof = expert()
    login(user)
    assert client.post("/expert/matters/new", data=GOOD_MATTER).status_code == 302
    matter = db.session.scalar(select(PastMatter).where(PastMatter.expert_id == prof.id))
    assert (matter.title, matter.year, matter.dispute_type) == (
        GOOD_MATTER["title"], 2024, "sep_frand"
    )
    edit_page = page(client.get(f"/expert/matters/{matter.id}"))
    assert GOOD_MATTER["summary"] in edit_page
    response = client.post(
        f"/expert/matters/{matter.id}", data={**GOOD_MATTER, "year": "2023", "role": ""}
    )
    assert response.status_code == 302
    db.session.refresh(matter)
    assert (matter.year, matter.role) == (2023, None)
    assert audit_events("matter.updated")[-1].detail["fields"] == ["year", "role"]
    profile_page = page(client.get("/expert/profile"))
    assert GOOD_MATTER["title"] in profile_page
    assert f'action="/expert/matters/{matter.id}/remove"' in profile_page
    assert "data-confirm=" in profile_page
    assert client.post(f"/expert/matters/{matter.id}/remove").status_code == 302
    assert count(PastMatter) == 0
    assert [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "past_matter").order_by(AuditEvent.id)
    )] == ["matter.added", "matter.updated", "matter.removed"]
    assert len(calls) == 3


BAD_MATTERS = [
    ({"title": ""}, "This field is required.", GOOD_MATTER["summary"]),
    ({"title": "t" * 301}, "Field cannot be longer than 300 characters.", "t" * 301),
    ({"summary": "s" * 4001}, "Field cannot be longer than 4000 characters.", "s" * 4001),
    ({"year": "1969"}, "Enter a year from 1970 to", 'value="1969"'),
    ({"year": str(TODAY.year + 1)}, "Enter a year from 1970 to", f'value="{TODAY.year + 1}"'),
    ({"year": "last year"}, "Not a valid integer value.", 'value="last year"'),
    ({"year": "2" * 40}, "at most 6 digits", "2" * 40),
    ({"jurisdiction": "Atlantis"}, "Not a valid choice", GOOD_MATTER["title"]),
    ({"role": "r" * 201}, "Field cannot be longer than 200 characters.", "r" * 201),
]


def test_bad_matter_input_is_refused(client, ctx, login, fake_matching):  # type: ignore[no-untyped-def]
    calls = fake_matching()
    user, prof = expert()
    existing = PastMatter(expert_id=prof.id, title="INPI opposition", summary="Kept.", year=2020)
    db.session.add(existing)
    db.session.commit()
    login(user)
    before = counts()
    for overrides, message, kept in BAD_MATTERS:
        for url in ("/expert/matters/new", f"/expert/matters/{existing.id}"):
            response = client.post(url, data={**GOOD_MATTER, **overrides})
            body = page(response)
            assert response.status_code == 200, (url, overrides)
            assert message in body and 'class="error"' in body, (url, overrides)
            assert kept in body, (url, overrides)
    assert counts() == before
    db.session.refresh(existing)
    assert (existing.title, existing.year) == ("INPI opposition", 2020)
    assert calls == []


# --- declared conflicts ---------------------------------------------------------------------------


def test_a_conflict_is_declared_and_removed(client, ctx, login, fake_matching):  # type: ignore[no-untyped-def]
    calls = fake_matching()
    user, _prof = expert()
    login(user)
    until = TODAY + timedelta(days=365)
    response = client.post(
        "/expert/conflicts/new",
        data={"entity_name": "华为技术有限公司", "relation": "client", "until": until.isoformat()},
    )
    assert response.status_code == 302
    conflict = db.session.scalar(select(DeclaredConflict))
    assert (conflict.entity_name, conflict.relation, conflict.until) == (
        "华为技术有限公司", "client", until
    )
    profile_page = page(client.get("/expert/profile"))
    assert "华为技术有限公司" in profile_page
    assert f'action="/expert/conflicts/{conflict.id}/remove"' in profile_page
    assert client.post(f"/expert/conflicts/{conflict.id}/remove").status_code == 302
    assert count(DeclaredConflict) == 0
    assert [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "declared_conflict")
    )] == ["conflict.declared", "conflict.removed"]
    assert len(calls) == 2


BAD_CONFLICTS = [
    ({"entity_name": ""}, "This field is required."),
    ({"entity_name": "e" * 301}, "Field cannot be longer than 300 characters."),
    ({"relation": ""}, "This field is required."),
    ({"relation": "friend"}, "Not a valid choice"),
    ({"until": (TODAY - timedelta(days=1)).isoformat()},
     "This date has passed: the conflict no longer applies."),
    ({"until": "2030-13-01"}, "Enter a real date as YYYY-MM-DD"),
]


def test_bad_conflict_input_is_refused(client, ctx, login, fake_matching):  # type: ignore[no-untyped-def]
    calls = fake_matching()
    user, _prof = expert()
    login(user)
    before = counts()
    for overrides, message in BAD_CONFLICTS:
        data = {
            "entity_name": "Bayline Microsystems Inc.", "relation": "adverse_party", "until": "",
            **overrides,
        }
        response = client.post("/expert/conflicts/new", data=data)
        body = page(response)
        assert response.status_code == 200, overrides
        assert message in body and 'class="error"' in body, overrides
        if "entity_name" not in overrides:
            assert "Bayline Microsystems Inc." in body, overrides  # input kept
        if overrides.get("until"):
            assert f'value="{overrides["until"]}"' in body, overrides
    assert counts() == before and calls == []


def test_matters_and_conflicts_wait_for_a_profile(client, ctx, login):  # type: ignore[no-untyped-def]
    user, prof = expert()
    db.session.delete(prof)
    db.session.commit()
    login(user)
    response = client.post("/expert/matters/new", data=GOOD_MATTER)
    assert response.status_code == 302 and response.headers["Location"].endswith("/expert/profile")
    assert count(PastMatter) == 0


def test_another_experts_matters_and_conflicts_are_404(client, ctx, login):  # type: ignore[no-untyped-def]
    _owner, prof = expert()
    matter = PastMatter(expert_id=prof.id, title="Owner's matter")
    conflict = DeclaredConflict(expert_id=prof.id, entity_name="Nordvik", relation="client")
    db.session.add_all([matter, conflict])
    db.session.commit()
    intruder, _ = expert()
    login(intruder)
    before = counts()
    assert client.get(f"/expert/matters/{matter.id}").status_code == 404
    assert client.post(f"/expert/matters/{matter.id}", data=GOOD_MATTER).status_code == 404
    assert client.post(f"/expert/matters/{matter.id}/remove").status_code == 404
    assert client.post(f"/expert/conflicts/{conflict.id}/remove").status_code == 404
    assert client.get("/expert/matters/999999").status_code == 404
    assert counts() == before
    assert db.session.get(PastMatter, matter.id).title == "Owner's matter"


@contextmanager
def app_with(database_url: str, **config):  # type: ignore[no-untyped-def]
    """An app with settings of its own (the shared fixture's are fixed), on a fresh schema."""
    app = make_app(database_url, **config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        try:
            yield app
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def login_with_csrf(client, user: User) -> str:  # type: ignore[no-untyped-def]
    token = page(client.get("/auth/login")).split('name="csrf_token" type="hidden" value="')[1]
    token = token.split('"')[0]
    client.post(
        "/auth/login",
        data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token},
    )
    return token


def test_removal_needs_a_post_with_a_csrf_token(database_url):  # type: ignore[no-untyped-def]
    with app_with(database_url, WTF_CSRF_ENABLED=True) as app:
        user, prof = expert()
        matter = PastMatter(expert_id=prof.id, title="Keep me")
        db.session.add(matter)
        db.session.commit()
        client = app.test_client()
        login_with_csrf(client, user)
        assert 'name="csrf_token"' in page(client.get("/expert/profile"))
        assert client.get(f"/expert/matters/{matter.id}/remove").status_code == 405
        assert client.post(f"/expert/matters/{matter.id}/remove").status_code == 400
        assert count(PastMatter) == 1


def test_without_the_model_the_profile_saves_and_ranking_catches_up(database_url):  # type: ignore[no-untyped-def]
    with app_with(database_url, EMBEDDING_MODEL="/nonexistent/model-folder") as app:
        user, prof = expert(profile_language="en")
        client = app.test_client()
        client.post("/auth/login", data={"email": user.email, "password": factories.PASSWORD})
        response = client.post(
            "/expert/profile", data=profile_post(prof, headline="Customs seizures, EU"),
            follow_redirects=True,
        )
        body = page(response)
        assert "Your profile is saved" in body and "Rankings will include it shortly" in body
        db.session.expire_all()
        assert db.session.get(ExpertProfile, prof.id).headline == "Customs seizures, EU"


# --- my cases and proposals ----------------------------------------------------------------------


def test_my_cases_lists_proposals_first_then_accepted_then_past(client, ctx, login):  # type: ignore[no-untyped-def]
    user, prof = expert(capacity=10)
    past = propose(normal_case(title="Declined one"), prof, status="declined")
    accepted = propose(normal_case(title="Accepted one"), prof, status="accepted")
    later = propose(normal_case(title="Later deadline", deadline=TODAY + timedelta(days=30)), prof)
    sooner = propose(normal_case(title="Sooner deadline", deadline=TODAY + timedelta(days=3)), prof)
    secret = propose(confidential_case(), prof)
    login(user)
    body = page(client.get("/expert/cases"))
    positions = [body.index(t) for t in (
        "Sooner deadline", "Later deadline", "Accepted one", "Declined one"
    )]
    assert positions == sorted(positions)
    assert f"/expert/proposals/{sooner.id}" in body and f"/expert/proposals/{later.id}" in body
    assert f"/expert/cases/{accepted.case_id}" in body
    assert f"/expert/proposals/{past.id}" in body
    # A confidential proposal is listed without its title.
    assert f"/expert/proposals/{secret.id}" in body
    assert "Wafer-bonding" not in body and "Confidential case" in body


def test_a_confidential_proposal_is_redacted_until_accepted(client, ctx, login):  # type: ignore[no-untyped-def]
    user, prof = expert()
    case = confidential_case()
    assignment = propose(case, prof)
    login(user)
    body = page(client.get(f"/expert/proposals/{assignment.id}"))
    for hidden in (SECRET_DESCRIPTION, ORG_NAME, "苏州晶锐半导体有限公司", "5:26-cv-01234",
                   "12,500,000", "Wafer-bonding recipe taken"):
        assert hidden not in body
    for shown in ("Trade secret", "United States", "N.D. California", "Semiconductors",
                  "Bayline Microsystems Inc.", "贝兰微系统公司", "Harlow &amp; Finch LLP"):
        assert shown in body
    [viewed] = audit_events("case.viewed")
    assert (viewed.object_id, viewed.actor_id) == (case.id, user.id)
    assert viewed.detail == {"redacted": True}
    # Before acceptance the full case is not open.
    assert client.get(f"/expert/cases/{case.id}").status_code == 404

    response = client.post(f"/expert/proposals/{assignment.id}/accept", data={"no_conflict": "y"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/expert/cases/{case.id}")
    full = page(client.get(f"/expert/cases/{case.id}"))
    for shown in (SECRET_DESCRIPTION, ORG_NAME, "5:26-cv-01234", "12,500,000",
                  "Wafer-bonding recipe taken"):
        assert shown in full
    assert [e.detail for e in audit_events("case.viewed")] == [
        {"redacted": True}, {"redacted": False}
    ]
    db.session.refresh(assignment)
    assert assignment.status == "accepted" and assignment.no_conflict_declared


def test_a_normal_proposal_shows_title_and_description_but_not_the_client(client, ctx, login):  # type: ignore[no-untyped-def]
    user, prof = expert()
    case = normal_case(amount=80_000, currency="USD", docket_number="1:26-cv-04411")
    assignment = propose(case, prof)
    login(user)
    body = page(client.get(f"/expert/proposals/{assignment.id}"))
    assert "Schedule A suit against our Amazon store" in body
    assert "A TRO froze our seller account in Illinois." in body
    assert "Ningbo Haitao" not in body and "1:26-cv-04411" not in body and "80,000" not in body
    assert audit_events("case.viewed") == []  # only confidential views are audited


def test_accepting_needs_the_no_conflict_declaration(client, ctx, login):  # type: ignore[no-untyped-def]
    user, prof = expert()
    assignment = propose(confidential_case(), prof)
    login(user)
    response = client.post(f"/expert/proposals/{assignment.id}/accept", data={})
    body = page(response)
    assert response.status_code == 200
    assert "Confirm that you have no conflict of interest before accepting." in body
    assert 'id="no_conflict-error"' in body
    assert SECRET_DESCRIPTION not in body  # the re-rendered page is still redacted
    db.session.refresh(assignment)
    assert assignment.status == "proposed" and not assignment.no_conflict_declared
    assert audit_events("assignment.accepted") == []


def test_declining_needs_a_reason(client, ctx, login):  # type: ignore[no-untyped-def]
    user, prof = expert()
    assignment = propose(normal_case(), prof)
    login(user)
    for reason, message in [
        ("", "Give a reason so the coordinator can re-route."),
        ("   ", "Give a reason so the coordinator can re-route."),
        ("r" * 1001, "Field cannot be longer than 1000 characters."),
    ]:
        response = client.post(
            f"/expert/proposals/{assignment.id}/decline", data={"reason": reason}
        )
        body = page(response)
        assert response.status_code == 200 and message in body, reason
        assert 'id="reason-error"' in body
        if reason.strip():
            assert reason in body  # input kept
    db.session.refresh(assignment)
    assert assignment.status == "proposed" and assignment.decline_reason is None
    assert audit_events("assignment.declined") == []


def test_declining_with_a_reason_frees_the_slot(client, ctx, login):  # type: ignore[no-untyped-def]
    user, prof = expert()
    assignment = propose(normal_case(), prof)
    login(user)
    load_before = assignments.expert_load(prof.id)
    response = client.post(
        f"/expert/proposals/{assignment.id}/decline",
        data={"reason": "Conflict: I act for Nordvik."},
    )
    assert response.status_code == 302
    db.session.refresh(assignment)
    assert assignment.status == "declined"
    assert assignment.decline_reason == "Conflict: I act for Nordvik."
    assert assignments.expert_load(prof.id) == load_before - 1
    # Answered proposals cannot be answered again.
    again = client.post(f"/expert/proposals/{assignment.id}/accept", data={"no_conflict": "y"},
                        follow_redirects=True)
    assert "no longer open" in page(again)
    db.session.refresh(assignment)
    assert assignment.status == "declined"


def test_accepting_does_not_change_the_load(client, ctx, login):  # type: ignore[no-untyped-def]
    user, prof = expert(capacity=2)
    assignment = propose(normal_case(), prof)
    login(user)
    load_before = assignments.expert_load(prof.id)
    assert load_before == 1  # the proposal already holds the slot
    client.post(f"/expert/proposals/{assignment.id}/accept", data={"no_conflict": "y"})
    db.session.refresh(assignment)
    assert assignment.status == "accepted"
    assert assignments.expert_load(prof.id) == load_before


def test_an_expert_cannot_see_or_answer_another_experts_proposal(client, ctx, login):  # type: ignore[no-untyped-def]
    _owner, owner_prof = expert()
    case = confidential_case()
    assignment = propose(case, owner_prof)
    accepted = propose(normal_case(), owner_prof, status="accepted")
    intruder, intruder_prof = expert()
    unproposed = normal_case()
    declined = propose(normal_case(), intruder_prof, status="declined")
    login(intruder)
    assert client.get(f"/expert/proposals/{assignment.id}").status_code == 404
    assert client.post(
        f"/expert/proposals/{assignment.id}/accept", data={"no_conflict": "y"}
    ).status_code == 404
    assert client.post(
        f"/expert/proposals/{assignment.id}/decline", data={"reason": "no"}
    ).status_code == 404
    assert client.get(f"/expert/cases/{case.id}").status_code == 404
    assert client.get(f"/expert/cases/{accepted.case_id}").status_code == 404
    assert client.get(f"/expert/cases/{unproposed.id}").status_code == 404
    assert client.get(f"/expert/cases/{declined.case_id}").status_code == 404  # never accepted
    assert client.get("/expert/proposals/999999").status_code == 404
    db.session.refresh(assignment)
    assert assignment.status == "proposed"
    assert audit_events("case.viewed") == []
    assert SECRET_DESCRIPTION not in page(client.get("/expert/cases"))


def test_other_roles_are_refused(client, ctx, login):  # type: ignore[no-untyped-def]
    for role in ("enterprise", "coordinator"):
        login(factories.user(role))
        for url in ("/expert/profile", "/expert/cases", "/expert/matters/new",
                    "/expert/conflicts/new"):
            assert client.get(url).status_code == 403, (role, url)


def test_a_completed_case_stays_readable(client, ctx, login):  # type: ignore[no-untyped-def]
    user, prof = expert()
    case = confidential_case(status="closed")
    propose(case, prof, status="completed")
    login(user)
    assert SECRET_DESCRIPTION in page(client.get(f"/expert/cases/{case.id}"))
    assert audit_events("case.viewed")[-1].detail == {"redacted": False}


# --- landing --------------------------------------------------------------------------------------


def test_landing_shows_proposals_load_and_a_stale_profile(client, ctx, login):  # type: ignore[no-untyped-def]
    user, prof = expert(capacity=4, last_confirmed_at=TODAY - timedelta(days=181))
    propose(normal_case(), prof)
    propose(normal_case(), prof)
    propose(normal_case(), prof, status="accepted")
    login(user)
    body = page(client.get("/home"))
    assert "2 proposals are waiting for your answer" in body
    assert "3 of 4 slots taken" in body
    assert "more than 180 days ago" in body
    prof.last_confirmed_at = TODAY - timedelta(days=10)
    prof.availability, prof.absent_until = "absent", TODAY + timedelta(days=5)
    db.session.commit()
    body = page(client.get("/home"))
    assert "more than 180 days ago" not in body
    assert "Absent until a date" in body


def test_landing_asks_a_new_invitee_to_complete_the_profile(client, ctx, login):  # type: ignore[no-untyped-def]
    user, prof = expert()
    db.session.delete(prof)
    db.session.commit()
    login(user)
    assert "Your profile is not complete yet" in page(client.get("/home"))


# --- the real matching service -----------------------------------------------------------------


def test_editing_one_matter_re_encodes_only_that_matter(client, ctx, login, monkeypatch):  # type: ignore[no-untyped-def]
    matching = pytest.importorskip("expertmatch.services.matching")
    user, prof = expert(profile_language="en", matters=[])
    for title in ("LTE SEP injunction, Munich", "UPC infringement action"):
        db.session.add(PastMatter(expert_id=prof.id, title=title, summary="Defended a maker."))
    db.session.commit()
    matching.expert_changed(prof)  # everything encoded once
    encoded: list[int] = []
    real = matching.expert_changed

    def spy(profile: ExpertProfile) -> int:
        encoded.append(real(profile))
        return encoded[-1]

    monkeypatch.setattr(matching, "expert_changed", spy)
    login(user)
    matter = db.session.scalars(select(PastMatter).where(PastMatter.expert_id == prof.id)).first()
    response = client.post(
        f"/expert/matters/{matter.id}",
        data={"title": matter.title, "summary": "Defended a handset maker; FRAND counter-offer.",
              "year": "", "jurisdiction": "", "dispute_type": "", "role": ""},
    )
    assert response.status_code == 302
    assert encoded == [1]
    client.post("/expert/profile", data=profile_post(prof, bio="Now also trade secrets."))
    assert encoded == [1, 1]  # the profile text only; the matters are unchanged


def test_a_profile_change_is_seen_by_the_next_ranking(client, ctx, login):  # type: ignore[no-untyped-def]
    matching = pytest.importorskip("expertmatch.services.matching")
    user, prof = expert(
        profile_language="en", dispute_types=["trademark"], jurisdictions=["BR"],
        headline="Trademark oppositions in Brazil", bio="INPI oppositions.",
    )
    case = normal_case()
    before = matching.rank_case(case, top_k=0)
    assert prof.id in [r.expert.id for r in before.ranked]
    login(user)
    client.post(
        "/expert/conflicts/new",
        data={"entity_name": "Nordvik Telecom Oy", "relation": "adverse_party", "until": ""},
    )
    after = matching.rank_case(case, top_k=0)
    assert prof.id not in [r.expert.id for r in after.ranked]
    assert prof.id in [e.expert.id for e in after.excluded]
