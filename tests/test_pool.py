"""The expert pool: directory, expert page scoping, invitations, CSV import."""

from __future__ import annotations

import csv
import io
import re
import sys
import types
from datetime import date, timedelta

import pytest
from flask import current_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from expertmatch.extensions import db
from expertmatch.models import Assignment, AuditEvent, ExpertProfile, Invitation
from expertmatch.services import imports
from tests import factories

HEADER = list(imports.COLUMN_NAMES)
ROW_LINK = re.compile(r'<th scope="row"><a href="/pool/experts/(\d+)">')


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def page_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def listed_ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(i) for i in ROW_LINK.findall(page_of(response))]


def assign(case, expert, status: str = "accepted") -> Assignment:  # type: ignore[no-untyped-def]
    assignment = Assignment(case_id=case.id, expert_id=expert.id, status=status)
    db.session.add(assignment)
    db.session.commit()
    return assignment


@pytest.fixture(autouse=True)
def import_setup(request, tmp_path_factory, monkeypatch):  # type: ignore[no-untyped-def]
    """Uploads go to a temporary folder; encoding runs inline and is recorded, never the
    real model (the matching module is stubbed when it is not there yet)."""
    if "app" not in request.fixturenames:
        return None
    app = request.getfixturevalue("app")
    tmp_path = tmp_path_factory.mktemp("import")
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
    try:
        import expertmatch.services.matching as matching
    except ImportError:
        import expertmatch.services as services_package

        matching = types.ModuleType("expertmatch.services.matching")
        monkeypatch.setitem(sys.modules, "expertmatch.services.matching", matching)
        monkeypatch.setattr(services_package, "matching", matching, raising=False)
    calls: list[list[int]] = []
    monkeypatch.setattr(
        matching, "experts_imported", lambda experts: calls.append(sorted(e.id for e in experts)),
        raising=False,
    )
    monkeypatch.setattr(matching, "model_status", lambda: {"loaded": True}, raising=False)
    monkeypatch.setattr(matching, "vectors_pending", lambda ids: (len(ids), len(ids)),
                        raising=False)
    return types.SimpleNamespace(calls=calls, matching=matching)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):  # type: ignore[no-untyped-def]
    """Test accounts need no brute-force resistance: a cheap hash keeps sign-ins fast."""
    from werkzeug.security import generate_password_hash

    from expertmatch.models import users

    monkeypatch.setattr(users, "generate_password_hash",
                        lambda password: generate_password_hash(password, "pbkdf2:sha256:1"))


# ---------------------------------------------------------------------------------------------
# Directory


@pytest.fixture
def pool(ctx):  # type: ignore[no-untyped-def]
    """A small pool with experts that each filter should find, or not."""
    centre = factories.centre(name_en="Shenzhen Centre")
    experts = {
        "albers": factories.expert_profile(
            full_name="Katrin Albers", headline="SEP litigator, Munich", firm="Albers IP",
            bio="Injunction defence for implementers.", jurisdictions=["DE", "UPC"],
            languages=["de", "en"], dispute_types=["sep_frand"], industries=["telecom"],
            role_type="lawyer", home_centre_id=centre.id, verification_status="verified",
        ),
        "lopez": factories.expert_profile(
            full_name="María López", headline="Marcas", bio="Oposiciones en México.",
            jurisdictions=["MX"], languages=["es"], dispute_types=["trademark"],
            industries=["consumer_goods"], role_type="lawyer", availability="absent",
            absent_until=date.today() + timedelta(days=30),
        ),
        "itc": factories.expert_profile(
            full_name="Brian Whitfield", headline="Section 337 trial counsel",
            jurisdictions=["USITC"], dispute_types=["itc337"], industries=["semiconductors"],
            role_type="lawyer",
        ),
        "us": factories.expert_profile(
            full_name="Carla Nguyen", headline="Schedule A defence", jurisdictions=["US"],
            dispute_types=["ecommerce"], industries=["consumer_goods"], role_type="lawyer",
            bio="Frozen PayPal balances released in the Northern District of Illinois.",
        ),
        "engineer": factories.expert_profile(
            full_name="Lars Øvergaard", headline="Essentiality of LTE patents",
            role_type="technical_expert", jurisdictions=["EPO"], dispute_types=["sep_frand"],
            languages=["en", "de"],
        ),
        "gone": factories.expert_profile(
            full_name="Katrin Deleted", headline="SEP litigator", deleted_at=factories.utcnow()
        ),
    }
    return experts


@pytest.fixture
def coordinator(ctx, login):  # type: ignore[no-untyped-def]
    return login(factories.user("coordinator"))


SEARCHES = [
    ({"q": "ALBERS"}, ["albers"]),  # name, any case
    ({"q": "sep litig"}, ["albers"]),  # headline; the deleted expert is not listed
    ({"q": "albers ip"}, ["albers"]),  # firm
    ({"q": "paypal"}, ["us"]),  # biography
    ({"q": "100%_"}, []),  # LIKE wildcards are taken literally
    ({"jurisdiction": "US"}, ["us"]),  # not the USITC expert
    ({"jurisdiction": "USITC"}, ["itc"]),
    ({"dispute_type": "sep_frand"}, ["albers", "engineer"]),
    ({"dispute_type": "sep_frand", "role_type": "technical_expert"}, ["engineer"]),
    ({"industry": "consumer_goods"}, ["lopez", "us"]),
    ({"language": "de"}, ["albers", "engineer"]),
    ({"availability": "absent"}, ["lopez"]),
    ({"q": "litigator", "jurisdiction": "MX"}, []),
]


def test_directory_search_and_filters(client, pool, coordinator):  # type: ignore[no-untyped-def]
    for query, expected in SEARCHES:
        response = client.get("/pool/experts", query_string=query)
        assert response.status_code == 200
        assert sorted(listed_ids(response)) == sorted(pool[k].id for k in expected), query
        if not expected:
            assert "No expert matches this search." in page_of(response)


def test_directory_rows_show_load_availability_centre_and_kept_filters(client, pool, coordinator):  # type: ignore[no-untyped-def]
    org = factories.organisation()
    for _ in range(2):
        assign(factories.dispute_case(org.id), pool["albers"], status="proposed")
    page = page_of(client.get("/pool/experts", query_string={"q": "", "dispute_type": "sep_frand"}))
    assert "2 of 3" in page  # load counted from assignments, against capacity
    assert "Shenzhen Centre" in page
    assert "Verified" in page
    assert '<option selected value="sep_frand">' in page  # the search is kept in the form
    lopez = page_of(client.get("/pool/experts", query_string={"q": "lópez"}))
    assert "Absent until" in lopez


def test_directory_bad_filter_value_is_reported_and_ignored(client, pool, coordinator):  # type: ignore[no-untyped-def]
    response = client.get("/pool/experts", query_string={"jurisdiction": "<script>x", "q": "a\x00"})
    page = page_of(response)
    assert response.status_code == 200
    assert "Not a valid choice" in page
    assert "characters that are not allowed" in page
    assert "<script>x" not in page
    assert len(listed_ids(response)) == 5  # every live expert: the bad filters were dropped


def test_directory_pagination(client, ctx, coordinator):  # type: ignore[no-untyped-def]
    for n in range(30):
        factories.expert_profile(full_name=f"Pool Expert {n:02d}")
    first = listed_ids(client.get("/pool/experts"))
    second_page = client.get("/pool/experts?page=2")
    second = listed_ids(second_page)
    assert len(first) == 25 and len(second) == 5
    assert not set(first) & set(second)
    assert 'aria-current="page">2<' in page_of(second_page)
    for odd in ("abc", "-3", "0", "99999999999999999999999"):
        response = client.get(f"/pool/experts?page={odd}")
        assert response.status_code == 200
    assert listed_ids(client.get("/pool/experts?page=abc")) == first


def test_directory_roles(client, ctx, login):  # type: ignore[no-untyped-def]
    expert = factories.expert_profile()
    anonymous = client.get("/pool/experts")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    for role, status in (("enterprise", 403), ("expert", 403), ("network", 200),
                         ("admin", 200)):
        login(factories.user(role))
        assert client.get("/pool/experts").status_code == status, role
        assert client.get(f"/pool/experts/{expert.id}").status_code == status, role


# ---------------------------------------------------------------------------------------------
# Expert page


def test_expert_page_names_only_the_viewers_cases(client, ctx, login):  # type: ignore[no-untyped-def]
    mine, theirs = factories.centre(), factories.centre()
    org = factories.organisation()
    expert = factories.expert_profile(
        full_name="Shared Expert", capacity=4,
        matters=[{"title": "Nokia v Oppo, Munich I", "summary": "FRAND defence", "year": 2023,
                  "jurisdiction": "DE", "dispute_type": "sep_frand"}],
        conflicts=[{"entity_name": "Nordvik Telecom Oy", "relation": "client"}],
    )
    own_case = factories.dispute_case(org.id, centre_id=mine.id, title="Alpha Munich injunction")
    other_case = factories.dispute_case(org.id, centre_id=theirs.id,
                                        title="Bravo confidential battery formula")
    assign(own_case, expert, "proposed")
    assign(other_case, expert, "accepted")
    login(factories.user("coordinator", centre_id=mine.id))
    page = page_of(client.get(f"/pool/experts/{expert.id}"))
    assert "Alpha Munich injunction" in page
    assert "Bravo confidential" not in page
    assert other_case.reference not in page
    assert "1 more case at other centres." in page
    assert "2 of 4" in page  # load counts every centre
    assert "Nokia v Oppo, Munich I" in page and "Nordvik Telecom Oy" in page

    login(factories.user("network"))
    network_page = page_of(client.get(f"/pool/experts/{expert.id}"))
    assert "Alpha Munich injunction" in network_page and "Bravo confidential" in network_page
    assert "at other centres" not in network_page


def test_expert_page_404_for_unknown_or_deleted_and_403_for_experts(client, ctx, login):  # type: ignore[no-untyped-def]
    login(factories.user("coordinator"))
    gone = factories.expert_profile(deleted_at=factories.utcnow())
    assert client.get(f"/pool/experts/{gone.id}").status_code == 404
    assert client.get("/pool/experts/999999").status_code == 404
    user = login(factories.user("expert"))
    own = db.session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))
    assert client.get(f"/pool/experts/{own.id}").status_code == 403


# ---------------------------------------------------------------------------------------------
# Invitations


def test_invitation_link_is_shown_once_and_works(client, ctx, coordinator):  # type: ignore[no-untyped-def]
    response = client.post("/pool/invitations",
                           data={"email": "New.Expert@example.com", "name": "Dr. New Expert"})
    page = page_of(response)
    assert response.status_code == 200
    match = re.search(r'value="(http://localhost/auth/invite/[^"]+)"', page)
    assert match, page[:2000]
    link = match.group(1)
    invitation = db.session.scalar(select(Invitation))
    assert invitation.email == "new.expert@example.com"
    assert invitation.created_by_id == coordinator.id
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "invitation.created")
    )
    listing = page_of(client.get("/pool/invitations"))
    assert "new.expert@example.com" in listing
    assert link not in listing  # only the hash is stored: the link cannot be shown again
    client.post("/auth/logout")
    assert client.get(link.replace("http://localhost", "")).status_code == 200


def test_invitation_refused_for_an_existing_account(client, ctx, coordinator):  # type: ignore[no-untyped-def]
    factories.user("expert", email="taken@example.com")
    response = client.post("/pool/invitations",
                           data={"email": "TAKEN@example.com", "name": "Someone"})
    page = page_of(response)
    assert "An account with this email already exists" in page
    assert 'value="TAKEN@example.com"' in page  # input kept
    assert count(Invitation) == 0


BAD_INVITATIONS = [
    ({"email": "not-an-email", "name": "X"}, "Enter a valid email address."),
    ({"email": "a@example.com", "name": ""}, "This field is required."),
    ({"email": "a@example.com", "name": "N\x00ul"}, "characters that are not allowed"),
    ({"email": "a@example.com", "name": "x" * 121}, "120 characters"),
    ({"email": "a@example.com", "name": "X", "expert_id": "abc"}, "Not a valid integer"),
    ({"email": "a@example.com", "name": "X", "expert_id": "999999"}, "no expert profile"),
]


def test_invitation_bad_input(client, ctx, coordinator):  # type: ignore[no-untyped-def]
    for data, message in BAD_INVITATIONS:
        response = client.post("/pool/invitations", data=data)
        assert response.status_code == 200
        page = page_of(response)
        assert message in page, data
        if "@" in data["email"]:
            assert f'value="{data["email"]}"' in page  # input kept
    assert count(Invitation) == 0


def test_invitation_links_an_imported_profile(client, ctx, coordinator):  # type: ignore[no-untyped-def]
    named = factories.expert_profile(full_name="Imported One")
    by_email = factories.expert_profile(full_name="Imported Two", email="two@example.com")
    with_account = factories.user("expert")
    own_profile = db.session.scalar(
        select(ExpertProfile).where(ExpertProfile.user_id == with_account.id)
    )
    prefilled = page_of(client.get(f"/pool/invitations?expert_id={named.id}"))
    assert 'value="Imported One"' in prefilled
    client.post("/pool/invitations",
                data={"email": "one@example.com", "name": "Imported One", "expert_id": named.id})
    client.post("/pool/invitations", data={"email": "two@example.com", "name": "Imported Two"})
    refused = client.post("/pool/invitations", data={
        "email": "three@example.com", "name": "X", "expert_id": own_profile.id})
    assert "already has an account" in page_of(refused)
    linked = dict(db.session.execute(select(Invitation.email, Invitation.expert_id)).all())
    assert linked == {"one@example.com": named.id, "two@example.com": by_email.id}


def test_network_staff_cannot_invite_or_import(client, ctx, login):  # type: ignore[no-untyped-def]
    login(factories.user("network"))
    assert client.get("/pool/invitations").status_code == 403
    response = client.post("/pool/invitations", data={"email": "a@example.com", "name": "A"})
    assert response.status_code == 403
    assert client.get("/pool/import").status_code == 403
    assert upload(client, csv_bytes([row("A")])).status_code == 403
    assert client.post("/pool/import/confirm", data={"ticket": "x"}).status_code == 403
    assert (count(Invitation), count(ExpertProfile)) == (0, 0)


# ---------------------------------------------------------------------------------------------
# CSV import


def csv_bytes(rows: list[list[str]], header: list[str] | None = None, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode()


def row(name: str, email: str = "", **cells: str) -> list[str]:
    values = {"name": name, "email": email, **cells}
    return [values.get(column, "") for column in HEADER]


def upload(client, data: bytes, filename: str = "experts.csv"):  # type: ignore[no-untyped-def]
    return client.post(
        "/pool/import", data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def ticket_of(response) -> str | None:  # type: ignore[no-untyped-def]
    match = re.search(r'name="ticket" type="hidden" value="([^"]+)"', page_of(response))
    return match.group(1) if match else None


GOOD_AND_BAD = [
    row("Dr. Henrike Vossberg", "h.vossberg@example.com", role_type="lawyer",
        jurisdictions="DE;UPC", languages="de;en", dispute_types="sep_frand",
        industries="telecom", years_experience="17", capacity="4", rapid_response="yes"),
    row("", "nameless@example.com"),
    row("Bad Codes", "codes@example.com", jurisdictions="DE;XX", dispute_types="spaceflight",
        capacity="many"),
    row("周文韬", "zhou@example.com", bio="代理多起商业秘密纠纷。", jurisdictions="CN",
        languages="zh", dispute_types="trade_secret"),
    row("Twice", "H.Vossberg@example.com"),
]


def test_preview_lists_problems_per_row_and_writes_nothing(client, ctx, coordinator):  # type: ignore[no-untyped-def]
    before = count(ExpertProfile)
    response = upload(client, csv_bytes(GOOD_AND_BAD, bom=True))
    page = page_of(response)
    assert response.status_code == 200
    assert "5 rows, 2 valid, 3 with problems" in page
    assert "The name is missing." in page
    assert "Unknown jurisdiction code “XX”." in page
    assert "Unknown dispute type “spaceflight”." in page
    assert "“many” is not a whole number." in page
    assert "The same email is on line 2 of this file." in page
    assert "Import 2 valid rows" in page
    assert count(ExpertProfile) == before


def test_confirm_imports_exactly_the_valid_rows(client, ctx, coordinator, import_setup):  # type: ignore[no-untyped-def]
    factories.expert_profile(full_name="Already Here", email="zhou@example.com")
    before = count(ExpertProfile)
    preview = upload(client, csv_bytes(GOOD_AND_BAD))
    assert "An expert or account with this email already exists." in page_of(preview)
    response = client.post("/pool/import/confirm", data={"ticket": ticket_of(preview)})
    assert response.status_code == 302
    names = set(db.session.scalars(select(ExpertProfile.full_name)))
    assert count(ExpertProfile) == before + 1
    assert "Dr. Henrike Vossberg" in names and "Bad Codes" not in names and "Twice" not in names
    imported = db.session.scalar(
        select(ExpertProfile).where(ExpertProfile.full_name == "Dr. Henrike Vossberg")
    )
    assert imported.jurisdictions == ["DE", "UPC"] and imported.capacity == 4
    assert imported.rapid_response is True and imported.home_centre_id == coordinator.centre_id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "experts.imported"))
    assert event.detail["created"] == 1 and event.detail["skipped"] == 4
    assert import_setup.calls == [[imported.id]]  # handed to the matching engine after commit
    status = client.get(response.headers["Location"])
    assert status.status_code == 200
    assert "The import of 1 expert has started." in page_of(status)
    assert "Done" in page_of(status)  # the job ran (in process, in tests)
    # The same preview cannot be imported twice.
    again = client.post("/pool/import/confirm", data={"ticket": ticket_of(preview)},
                        follow_redirects=True)
    assert "already done or has expired" in page_of(again)
    assert count(ExpertProfile) == before + 1


def test_import_is_all_or_nothing(client, ctx, coordinator, monkeypatch):  # type: ignore[no-untyped-def]
    before = count(ExpertProfile)
    rows = [row(f"Expert {n}", f"e{n}@example.com") for n in range(5)]
    preview = upload(client, csv_bytes(rows))

    def fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        from sqlalchemy.exc import OperationalError

        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(imports.audit, "record", fail)
    response = client.post("/pool/import/confirm", data={"ticket": ticket_of(preview)},
                           follow_redirects=True)
    page = page_of(response)
    assert "Waiting for a worker" in page and "disk full" in page  # to be retried
    assert count(ExpertProfile) == before
    monkeypatch.undo()
    # The job kept the file: once the fault is gone its retry imports every row, once.
    from expertmatch.services import jobs

    jobs.recover(stale_seconds=0)
    assert count(ExpertProfile) == before + 5
    jobs.recover(stale_seconds=0)
    assert count(ExpertProfile) == before + 5
    assert "Done" in page_of(client.get(response.request.path))


def test_encoding_failure_does_not_lose_the_import(client, ctx, coordinator, monkeypatch,
                                                   import_setup):  # type: ignore[no-untyped-def]
    def broken(experts):  # type: ignore[no-untyped-def]
        raise RuntimeError("model not available")

    monkeypatch.setattr(import_setup.matching, "experts_imported", broken)
    preview = upload(client, csv_bytes([row("Kept Anyway", "kept@example.com")]))
    response = client.post("/pool/import/confirm", data={"ticket": ticket_of(preview)})
    assert response.status_code == 302
    assert db.session.scalar(select(ExpertProfile).where(ExpertProfile.full_name == "Kept Anyway"))


def test_confirm_validates_again(client, ctx, coordinator):  # type: ignore[no-untyped-def]
    preview = upload(client, csv_bytes([row("First", "first@example.com"),
                                        row("Second", "second@example.com")]))
    factories.expert_profile(full_name="Added meanwhile", email="second@example.com")
    before = count(ExpertProfile)
    response = client.post("/pool/import/confirm", data={"ticket": ticket_of(preview)})
    page = page_of(response)
    assert "The pool changed since the preview" in page
    assert "Import 1 valid row" in page
    assert count(ExpertProfile) == before


def test_forged_or_foreign_ticket_imports_nothing(client, ctx, login):  # type: ignore[no-untyped-def]
    login(factories.user("coordinator"))
    preview = upload(client, csv_bytes([row("Someone", "someone@example.com")]))
    ticket = ticket_of(preview)
    login(factories.user("coordinator"))
    before = count(ExpertProfile)
    for forged in (ticket, ticket[:-3] + "abc", "nonsense"):
        response = client.post("/pool/import/confirm", data={"ticket": forged},
                               follow_redirects=True)
        assert "This preview has expired" in page_of(response)
    # Only the ticket travels through the browser: rows cannot be smuggled in.
    smuggled = client.post("/pool/import/confirm", data={
        "ticket": "", "name": "Smuggled", "rows": '[{"full_name": "Smuggled"}]'})
    assert smuggled.status_code == 302
    assert count(ExpertProfile) == before


UNUSABLE_FILES = [
    (b"", "experts.csv", "The file is empty."),
    (b"\n\n", "experts.csv", "The file is empty."),
    (b"name\nA\n", "experts.xlsx", "Upload a .csv file"),
    (b"\xff\xfe\x00n\x00a", "experts.csv", "not UTF-8"),
    (b"nom;courriel\nA;b\n", "experts.csv", "include “name”"),
    (b"name,name\nA,B\n", "experts.csv", "appears twice"),
    (b"name,email\n", "experts.csv", "no rows"),
]


def test_unusable_files_get_a_clear_message(client, app, ctx, coordinator):  # type: ignore[no-untyped-def]
    for data, filename, message in UNUSABLE_FILES:
        response = upload(client, data, filename)
        assert response.status_code == 200
        assert message in page_of(response), (data, message)
    no_file = client.post("/pool/import", data={}, content_type="multipart/form-data")
    assert "Choose a CSV file to upload." in page_of(no_file)
    app.config["IMPORT_MAX_ROWS"] = 3
    too_many = upload(client, csv_bytes([row(f"E{n}") for n in range(4)]))
    assert "more than 3 rows" in page_of(too_many)
    assert count(ExpertProfile) == 0


def test_huge_and_malformed_cells_get_row_messages(client, ctx, coordinator):  # type: ignore[no-untyped-def]
    data = csv_bytes([
        row("Huge Cell", bio="x" * 200_000),  # beyond the CSV reader's field limit
        row("Long Bio", bio="y" * (imports.MAX_BIO_CHARS + 1)),
        row("Long Name" * 30),
        ["Too", "few"],
        row("Fine", "fine@example.com"),
    ])
    response = upload(client, data)
    page = page_of(response)
    assert response.status_code == 200
    assert "This row cannot be read" in page
    assert f"Too long: {imports.MAX_BIO_CHARS + 1} characters" in page
    assert "at most 160" in page
    assert "Cells in this row: 2; columns in the header: 14." in page
    assert "Import 1 valid row" in page
    assert count(ExpertProfile) == 0


def test_file_too_large(client, ctx, coordinator):  # type: ignore[no-untyped-def]
    current_app.config["IMPORT_MAX_BYTES"] = 2 * 1024 * 1024
    big = csv_bytes([row("Big", bio="x" * 10_000)] * 230)  # about 2.3 MB, under the app limit
    assert 2 * 1024 * 1024 < len(big) < 3 * 1024 * 1024
    response = upload(client, big)
    assert response.status_code == 200
    assert "larger than 2 MB" in page_of(response)
    huge = upload(client, b"name\n" + b"x" * (5 * 1024 * 1024))  # over the app-wide limit
    assert huge.status_code == 413
    assert "larger than 2 MB" in page_of(huge)
    assert count(ExpertProfile) == 0


def test_import_page_documents_the_columns_and_serves_the_example(client, ctx, coordinator):  # type: ignore[no-untyped-def]
    page = page_of(client.get("/pool/import"))
    for column in imports.COLUMN_NAMES:
        assert f"<code>{column}</code>" in page
    example = client.get("/pool/import/example.csv")
    assert example.status_code == 200
    parsed = imports.parse_experts_csv(example.data, max_rows=100)
    assert len(parsed.valid_rows) == len(parsed.rows) >= 5


def test_import_status_is_scoped(client, ctx, login):  # type: ignore[no-untyped-def]
    login(factories.user("coordinator"))
    preview = upload(client, csv_bytes([row("Status Expert", "status@example.com")]))
    location = client.post("/pool/import/confirm",
                           data={"ticket": ticket_of(preview)}).headers["Location"]
    assert "Status Expert" not in page_of(client.get(location))  # numbers, not names
    assert client.get(location).status_code == 200
    login(factories.user("coordinator"))  # another centre
    assert client.get(location).status_code == 404
    assert client.get("/pool/imports/999999").status_code == 404


def test_import_status_shows_the_encoding_progress(client, ctx, coordinator, monkeypatch,
                                                   import_setup):  # type: ignore[no-untyped-def]
    rows = [row(f"Encoded {n}", f"enc{n}@example.com") for n in range(5)]
    preview = upload(client, csv_bytes(rows))
    location = client.post("/pool/import/confirm",
                           data={"ticket": ticket_of(preview)}).headers["Location"]
    job_page = page_of(client.get(location))
    assert "Done" in job_page and "See the result" in job_page
    location = re.search(r'class="job-result"[^>]*><a href="([^"]+)"', job_page).group(1)
    monkeypatch.setattr(import_setup.matching, "vectors_pending", lambda ids: (1, len(ids)))
    running = client.get(location)
    assert "Encoding texts: 1 of 5 experts done" in page_of(running)
    assert "Refresh" not in running.headers  # the jobs page shows live progress instead
    monkeypatch.setattr(import_setup.matching, "vectors_pending", lambda ids: (5, 5))
    done = client.get(location)
    assert "all 5 experts are encoded" in page_of(done) and "Refresh" not in done.headers
    monkeypatch.setattr(import_setup.matching, "model_status", lambda: {"loaded": False})
    degraded = client.get(location)
    assert "embedding model is not available" in page_of(degraded)
    assert "Refresh" not in degraded.headers


# Cells a hostile or careless file may hold: any Unicode (RTL, emoji, CJK), NUL and other
# control characters, quotes and separators, huge values.
CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "DE;UPC", "xx", "سعيد", "\u202eevil", "😀", "周文韬", "yes", "-1",
                     "1e9", "\x00", '"', ",", "\n", "a\r\nb"]),
    st.text(alphabet="ab\x00\u202e", min_size=200, max_size=300),
)
ROWS = st.lists(st.lists(CELL, min_size=0, max_size=len(HEADER) + 2), max_size=6)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=ROWS, bom=st.booleans())
def test_hostile_files_never_fail_and_import_only_valid_rows(client, ctx, coordinator, rows, bom):  # type: ignore[no-untyped-def]
    data = csv_bytes(rows, bom=bom)
    before = count(ExpertProfile)
    response = upload(client, data)
    assert response.status_code == 200
    assert count(ExpertProfile) == before
    ticket = ticket_of(response)
    if ticket is None:
        return
    expected = len(imports.preview_upload(data).valid_rows)
    confirmed = client.post("/pool/import/confirm", data={"ticket": ticket})
    assert confirmed.status_code == 302
    assert count(ExpertProfile) == before + expected


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=400), max_rows=st.integers(1, 5))
def test_parser_never_raises_and_valid_rows_are_clean(text, max_rows):  # type: ignore[no-untyped-def]
    data = (",".join(HEADER) + "\n" + text).encode("utf-8", "surrogatepass")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        data = text.encode("utf-8", "replace")
    preview = imports.parse_experts_csv(data, max_rows=max_rows)
    assert len(preview.rows) <= max_rows
    for parsed in preview.valid_rows:
        values = parsed.values
        assert values["full_name"] and len(values["full_name"]) <= 160
        assert not re.search(r"[\x00-\x1f\x7f]", values["full_name"])
        assert 1 <= values["capacity"] <= 50
        assert all(len(code) <= 8 for code in values["jurisdictions"])


def test_removing_an_expert_is_a_soft_delete_that_keeps_assignments(client, ctx, login):  # type: ignore[no-untyped-def]
    from expertmatch.models import Assignment, AuditEvent, ExpertProfile
    from expertmatch.services import assignments as assignment_service

    coordinator = factories.user("coordinator")
    org = factories.organisation()
    expert = factories.expert_profile()
    past = factories.dispute_case(org.id, centre_id=coordinator.centre_id)
    open_case = factories.dispute_case(org.id, centre_id=coordinator.centre_id)
    done = assignment_service.propose(past, expert, coordinator)
    assignment_service.accept(done, coordinator, no_conflict=True)
    pending = assignment_service.propose(open_case, expert, coordinator)
    login(coordinator)

    refused = client.post(f"/pool/experts/{expert.id}/remove", data={"reason": ""})
    assert refused.status_code == 302
    assert db.session.get(ExpertProfile, expert.id).deleted_at is None

    response = client.post(f"/pool/experts/{expert.id}/remove", data={"reason": "Retired"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ExpertProfile, expert.id).deleted_at is not None
    assert db.session.get(Assignment, done.id).status == "accepted"
    assert db.session.get(Assignment, pending.id).status == "withdrawn"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "profile.deleted"))
    assert client.get(f"/pool/experts/{expert.id}").status_code == 404
    assert expert.full_name not in client.get("/pool/experts").get_data(as_text=True)
