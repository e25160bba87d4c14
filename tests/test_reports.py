"""The dashboard: numbers scoped to the coordinator's centre, charts as SVG with tables."""

from __future__ import annotations

import base64
import codecs
import csv
import io
import re
import time
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from expertmatch.extensions import db
from expertmatch.models import Assignment, utcnow
from expertmatch.services import charts, exports
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


def two_centres() -> dict:
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


@pytest.fixture
def network(ctx):  # type: ignore[no-untyped-def]
    return two_centres()


def sign_in_outside_app_context(app, login, **user) -> None:  # type: ignore[no-untyped-def]
    """Data made in a context of its own, then requests without one around them: each request
    picks its language as in production (a shared context would keep the first one's)."""
    with app.app_context():
        centres = two_centres()
        email = factories.user("coordinator", centre_id=centres["ours"].id, **user).email
    login(SimpleNamespace(email=email))


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


def test_chinese_dashboard_renders_quickly(app, client, login):  # type: ignore[no-untyped-def]
    sign_in_outside_app_context(app, login, locale="zh")
    client.get("/reports/dashboard")  # warm: fonts loaded once per process
    started = time.perf_counter()
    response = client.get("/reports/dashboard")
    assert response.status_code == 200
    assert time.perf_counter() - started < 5
    page = page_of(response)
    # The page itself, not only the language switch's button, is in Chinese.
    assert '<html lang="zh-Hans">' in page and "<h1>数据看板</h1>" in page


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


# ---------------------------------------------------------------------------------------------
# The dashboard's tables as CSV files.

def csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The rows of a CSV download, after checking it is a UTF-8 file with a BOM."""
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=expertmatch-")
    assert response.data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def all_tables(client) -> dict[str, list[list[str]]]:  # type: ignore[no-untyped-def]
    return {name: csv_rows(client.get(f"/reports/tables/{name}.csv"))
            for name in exports.DASHBOARD_TABLES}


def test_coordinator_csv_holds_only_own_centre_numbers(client, network, login):  # type: ignore[no-untyped-def]
    login(factories.user("coordinator", centre_id=network["ours"].id))
    tables = all_tables(client)
    assert tables["status"] == [["Status", "Cases"], ["Submitted", "2"], ["Closed", "1"]]
    assert tables["dispute_type"][0] == ["Dispute type", "Cases"]
    assert [row[1] for row in tables["dispute_type"][1:]] == ["3"]  # the centre's SEP cases only
    assert tables["speed"][1:] == [["Median time (hours)", "10.0"], ["Cases measured", "1"]]
    deadlines = tables["deadlines"]
    assert "Centre" not in deadlines[0]  # a coordinator's table has no centre column
    assert [(row[1], row[3]) for row in deadlines[1:]] == [("Alpha due soon", "3")]
    assert len(tables["recovered"]) == 2
    currency, amount, closed = tables["recovered"][1]
    assert (currency, Decimal(amount), closed) == ("USD", Decimal("1000"), "1")
    # The pool is shared: the expert's load counts the other centre's case, by name only.
    assert tables["expert_load"][1] == ["Busy Expert", "2", "3"]
    everything = "\n".join(",".join(row) for rows in tables.values() for row in rows)
    for other_centre in ("Bravo", "Centre B", "Trademark", "5000", "6000", "20.0"):
        assert other_centre not in everything, other_centre


def test_network_csv_covers_every_centre(client, network, login):  # type: ignore[no-untyped-def]
    login(factories.user("network"))
    tables = all_tables(client)
    assert ["Submitted", "5"] in tables["status"]
    assert [row[1] for row in tables["dispute_type"][1:]] == ["4", "3"]
    assert tables["speed"][1] == ["Median time (hours)", "20.0"]
    deadlines = tables["deadlines"]
    assert deadlines[0][-1] == "Centre"
    centres = sorted(row[-1] for row in deadlines[1:])
    assert centres == ["Centre A", "Centre B", "Centre B", "Centre B"]
    assert Decimal(tables["recovered"][1][1]) == Decimal("6000")


def test_csv_in_chinese(app, client, login):  # type: ignore[no-untyped-def]
    sign_in_outside_app_context(app, login, locale="zh")
    assert csv_rows(client.get("/reports/tables/status.csv")) == [
        ["状态", "案件"], ["已提交", "2"], ["已结案", "1"],
    ]
    speed = csv_rows(client.get("/reports/tables/speed.csv"))
    assert speed[1] == ["中位时间（小时）", "10.0"]
    deadlines = csv_rows(client.get("/reports/tables/deadlines.csv"))
    assert deadlines[0] == ["编号", "标题", "期限", "剩余天数（逾期为负数）", "状态"]


def test_csv_cells_never_run_as_formulas():
    for text in ("=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"):
        assert exports.safe_cell(text) == "'" + text
    assert exports.safe_cell("Alpha = beta") == "Alpha = beta"
    assert exports.safe_cell(-3) == "-3"  # a number we computed stays a number
    assert exports.safe_cell(Decimal("-2.5")) == "-2.5"
    assert exports.safe_cell(None) == ""
    table = exports.Table("t", ("=Name", "Days"), (("=cmd|' /C calc'!A0", -2),))
    text = exports.to_csv(table).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["'=Name", "Days"],
                                                   ["'=cmd|' /C calc'!A0", "-2"]]
    assert text.endswith("\r\n")


def test_case_title_written_as_text_not_formula(client, network, login):  # type: ignore[no-untyped-def]
    factories.dispute_case(factories.organisation().id, centre_id=network["ours"].id,
                           title="=1+1", submitted_at=utcnow(),
                           deadline=date.today() + timedelta(days=1))
    login(factories.user("coordinator", centre_id=network["ours"].id))
    titles = [row[1] for row in csv_rows(client.get("/reports/tables/deadlines.csv"))[1:]]
    assert "'=1+1" in titles and "=1+1" not in titles


def test_dashboard_links_each_table_to_its_csv(client, network, login):  # type: ignore[no-untyped-def]
    login(factories.user("coordinator", centre_id=network["ours"].id))
    page = page_of(client.get("/reports/dashboard"))
    for name in exports.DASHBOARD_TABLES:
        assert f'href="/reports/tables/{name}.csv"' in page, name
    assert ('Download CSV<span class="visually-hidden">: Cases by status</span>') in page


def test_csv_roles_and_unknown_tables(client, ctx, login):  # type: ignore[no-untyped-def]
    anonymous = client.get("/reports/tables/status.csv")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    for role in ("enterprise", "expert"):
        login(factories.user(role))
        assert client.get("/reports/tables/status.csv").status_code == 403, role
    login(factories.user("coordinator"))
    assert client.get("/reports/tables/nonsense.csv").status_code == 404
    assert client.get("/reports/tables/Dashboard.csv").status_code == 404
    # An empty table is still a file with its header.
    assert csv_rows(client.get("/reports/tables/status.csv")) == [["Status", "Cases"]]
