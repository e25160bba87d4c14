"""The dashboard: numbers scoped to the coordinator's centre, charts as SVG with tables."""

from __future__ import annotations

import base64
import re
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest

from expertmatch.extensions import db
from expertmatch.models import Assignment, utcnow
from expertmatch.services import charts
from tests import factories


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):  # type: ignore[no-untyped-def]
    """Test accounts need no brute-force resistance: a cheap hash keeps sign-ins fast."""
    from werkzeug.security import generate_password_hash

    from expertmatch.models import users

    monkeypatch.setattr(users, "generate_password_hash",
                        lambda password: generate_password_hash(password, "pbkdf2:sha256:1"))


def page_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def cell(page: str, attribute: str, value: str) -> str | None:
    """The text of the table cell marked ``attribute="value"``."""
    match = re.search(rf'{attribute}="{re.escape(value)}">([^<]*)<', page)
    return match.group(1).strip() if match else None


def accepted(case, expert, after_hours: float) -> Assignment:  # type: ignore[no-untyped-def]
    """An assignment the expert accepted ``after_hours`` after the case was submitted."""
    assignment = Assignment(
        case_id=case.id, expert_id=expert.id, status="accepted", no_conflict_declared=True,
        responded_at=case.submitted_at + timedelta(hours=after_hours),
    )
    db.session.add(assignment)
    db.session.commit()
    return assignment


@pytest.fixture
def network(ctx):  # type: ignore[no-untyped-def]
    """Two centres: ours (A) with SEP cases, theirs (B) with trademark cases."""
    ours, theirs = factories.centre(name_en="Centre A"), factories.centre(name_en="Centre B")
    org = factories.organisation()
    today = date.today()
    submitted = utcnow() - timedelta(days=5)
    busy = factories.expert_profile(full_name="Busy Expert", capacity=3)
    a1 = factories.dispute_case(org.id, centre_id=ours.id, title="Alpha due soon",
                                submitted_at=submitted, deadline=today + timedelta(days=3))
    factories.dispute_case(org.id, centre_id=ours.id, title="Alpha later",
                           submitted_at=submitted, deadline=today + timedelta(days=60))
    factories.dispute_case(org.id, centre_id=ours.id, status="closed", currency="USD",
                           amount_recovered=Decimal("1000"), submitted_at=submitted)
    b_cases = [
        factories.dispute_case(org.id, centre_id=theirs.id, dispute_type="trademark",
                               title=f"Bravo overdue {n}", submitted_at=submitted,
                               deadline=today - timedelta(days=2))
        for n in range(3)
    ]
    factories.dispute_case(org.id, centre_id=theirs.id, status="closed", currency="USD",
                           amount_recovered=Decimal("5000"), dispute_type="trademark",
                           submitted_at=submitted)
    factories.dispute_case(org.id, centre_id=ours.id, status="draft", title="Alpha draft")
    accepted(a1, busy, after_hours=10)
    accepted(b_cases[0], busy, after_hours=30)
    return {"ours": ours, "theirs": theirs, "busy": busy}


def test_coordinator_sees_only_own_centre_numbers(client, network, login):  # type: ignore[no-untyped-def]
    login(factories.user("coordinator", centre_id=network["ours"].id))
    response = client.get("/reports/dashboard")
    page = page_of(response)
    assert response.status_code == 200
    assert cell(page, "data-status", "submitted") == "2"
    assert cell(page, "data-status", "closed") == "1"
    assert cell(page, "data-status", "draft") is None  # drafts are not filed cases
    assert cell(page, "data-dispute-type", "sep_frand") == "3"
    assert cell(page, "data-dispute-type", "trademark") is None
    assert cell(page, "data-median-hours", "10.0") == "10 hours"
    assert "1,000.00" in cell(page, "data-currency", "USD")
    assert "Alpha due soon" in page and "Alpha later" not in page
    assert "Bravo" not in page
    # The pool is shared: the expert's load counts the other centre's case, by name only.
    assert "Busy Expert" in page and "2</td>" in page


def test_network_staff_see_every_centre(client, network, login):  # type: ignore[no-untyped-def]
    login(factories.user("network"))
    page = page_of(client.get("/reports/dashboard"))
    assert cell(page, "data-status", "submitted") == "5"
    assert cell(page, "data-dispute-type", "trademark") == "4"
    assert cell(page, "data-median-hours", "20.0") == "20 hours"
    assert "6,000.00" in cell(page, "data-currency", "USD")
    assert page.count("days late") == 3 and "Centre B" in page


def test_charts_are_svg_with_alt_text_and_scoped(client, network, login):  # type: ignore[no-untyped-def]
    login(factories.user("coordinator", centre_id=network["ours"].id))
    page = page_of(client.get("/reports/dashboard"))
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', page)
    assert len(images) == 4
    alts = [alt for _, alt in images]
    assert any(alt.startswith("Cases by status: Submitted 2, Closed 1") for alt in alts)
    assert not any("Trademark" in alt for alt in alts)
    svg = base64.b64decode(images[0][0]).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<script" not in svg
    for name in charts.DASHBOARD_CHARTS:
        response = client.get(f"/reports/charts/{name}.svg")
        assert response.status_code == 200, name
        assert response.mimetype == "image/svg+xml"
        assert b"<svg" in response.data
    assert client.get("/reports/charts/nonsense.svg").status_code == 404


def test_chinese_dashboard_renders_quickly(client, network, login):  # type: ignore[no-untyped-def]
    user = factories.user("coordinator", centre_id=network["ours"].id, locale="zh")
    login(user)
    client.get("/reports/dashboard")  # warm: fonts loaded once per process
    started = time.perf_counter()
    response = client.get("/reports/dashboard")
    assert response.status_code == 200
    assert time.perf_counter() - started < 5
    assert 'lang="zh-Hans"' in page_of(response)


def test_empty_dashboard_and_missing_charts(client, ctx, login):  # type: ignore[no-untyped-def]
    login(factories.user("coordinator"))
    page = page_of(client.get("/reports/dashboard"))
    assert "No cases yet." in page and "No case has an accepted assignment yet." in page
    assert client.get("/reports/charts/status.svg").status_code == 404


def test_dashboard_roles(client, ctx, login):  # type: ignore[no-untyped-def]
    anonymous = client.get("/reports/dashboard")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    for role, status in (("enterprise", 403), ("expert", 403), ("admin", 200)):
        login(factories.user(role))
        assert client.get("/reports/dashboard").status_code == status, role
        assert client.get("/reports/charts/status.svg").status_code in (status, 404), role
