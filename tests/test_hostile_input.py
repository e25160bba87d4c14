"""Hostile input never breaks anything: no 500, a clear message, no partial write.

Hypothesis throws arbitrary Unicode (Chinese, right-to-left, emoji, NUL and other
control characters), huge values and wrong types at the intake form, the expert
profile form and the matter form; the row counts before and after prove that a
refused submission wrote nothing.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from expertmatch.extensions import db
from expertmatch.models import (
    Admission,
    Counterparty,
    DisputeCase,
    ExpertProfile,
    PastMatter,
)
from expertmatch.services import profiles
from tests import factories

EXAMPLES = 60
TEXT = st.one_of(
    st.text(max_size=400),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=60),
    st.sampled_from(
        [
            "诺德维克电信 起诉 我司",
            "شركة الاتصالات",  # right-to-left
            "‮evil‬",
            "🔥📱💥",
            "a\x00b",
            "\x00",
            "x" * 20000,
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "9" * 400,
            "-1",
            "1e309",
            "NaN",
            "2026-02-30",
            "",
        ]
    ),
)
FIELD_VALUE = st.one_of(TEXT, st.lists(TEXT, max_size=3))

INTAKE_FIELDS = [
    "contact_name",
    "contact_email",
    "contact_phone",
    "title",
    "our_role",
    "dispute_type",
    "industry",
    "goal",
    "jurisdictions",
    "forum",
    "docket_number",
    "sep_standard",
    "negotiation_stage",
    "counterparties-0-name_en",
    "counterparties-0-name_zh",
    "counterparties-0-counsel",
    "counterparties-7-name_en",
    "description",
    "service_date",
    "tro_date",
    "hearing_date",
    "deadline_override",
    "amount",
    "currency",
    "languages",
    "confidentiality",
    "consent_share",
    "consent_conflict_check",
]
PROFILE_FIELDS = [
    *profiles.PROFILE_FIELDS,
    "admissions-0-jurisdiction",
    "admissions-0-year",
    "admissions-0-status",
]
MATTER_FIELDS = list(profiles.MATTER_FIELDS)

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _counts(*models) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in models)


def _payload(fields: list[str], values: dict) -> dict:  # type: ignore[type-arg]
    return {name: value for name, value in values.items() if name in fields}


def _check(response) -> str:  # type: ignore[no-untyped-def]
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 302, 400, 413), response.status_code
    assert "Traceback" not in page
    return page


@SETTINGS
@given(
    values=st.dictionaries(st.sampled_from(INTAKE_FIELDS), FIELD_VALUE, max_size=12),
    button=st.sampled_from(["save_draft", "submit_case", "add_counterparty"]),
)
def test_intake_form_survives_anything(client, ctx, login, values, button):  # type: ignore[no-untyped-def]
    user = factories.user("enterprise")
    login(user)
    before = _counts(DisputeCase, Counterparty)
    response = client.post("/cases/new", data={**_payload(INTAKE_FIELDS, values), button: "1"})
    page = _check(response)
    if response.status_code == 200:
        # Refused (or "add another counterparty"): the form is shown again, nothing stored.
        assert _counts(DisputeCase, Counterparty) == before
        if button != "add_counterparty":
            assert 'class="error"' in page or "error-summary" in page


@SETTINGS
@given(values=st.dictionaries(st.sampled_from(PROFILE_FIELDS), FIELD_VALUE, max_size=12))
def test_profile_form_survives_anything(client, ctx, login, values):  # type: ignore[no-untyped-def]
    user = factories.user("expert")
    login(user)
    profile = db.session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))
    snapshot = (profile.full_name, profile.bio, profile.capacity, _counts(Admission))
    response = client.post("/expert/profile", data=_payload(PROFILE_FIELDS, values))
    page = _check(response)
    if response.status_code == 200:
        db.session.expire_all()
        profile = db.session.get(ExpertProfile, profile.id)
        assert (profile.full_name, profile.bio, profile.capacity, _counts(Admission)) == snapshot
        assert 'class="error"' in page or "error-summary" in page


@SETTINGS
@given(values=st.dictionaries(st.sampled_from(MATTER_FIELDS), FIELD_VALUE, max_size=6))
def test_matter_form_survives_anything(client, ctx, login, values):  # type: ignore[no-untyped-def]
    login(factories.user("expert"))
    before = _counts(PastMatter)
    response = client.post("/expert/matters/new", data=_payload(MATTER_FIELDS, values))
    _check(response)
    if response.status_code == 200:
        assert _counts(PastMatter) == before
