"""The response network: referrals, centre scoping, shared capacity, clusters, risk warnings."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from expertmatch.extensions import db
from expertmatch.models import (
    Assignment,
    AuditEvent,
    Centre,
    DisputeCase,
    Entity,
    EntityAlias,
    ExpertProfile,
    Notification,
    Referral,
    RiskWarning,
    User,
    utcnow,
)
from expertmatch.services import assignments, clusters
from expertmatch.services import network as network_service
from tests import factories


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def net(ctx):  # type: ignore[no-untyped-def]
    """Three centres with a coordinator each, and one case at the first."""
    a = factories.centre(code="GD-SZ", name_en="Shenzhen centre")
    b = factories.centre(code="IND-ECOM", kind="industry", industry="consumer_goods",
                         province=None, name_en="E-commerce platform")
    c = factories.centre(code="ZJ-HZ", province="CN-ZJ", name_en="Hangzhou centre")
    users = {key: factories.user("coordinator", centre_id=centre.id)
             for key, centre in (("a", a), ("b", b), ("c", c))}
    org = factories.organisation(industry="consumer_goods", markets=["US"])
    case = factories.dispute_case(org.id, centre_id=a.id, title="Secret Schedule A matter",
                                  dispute_type="ecommerce", jurisdictions=["US"])
    return {"a": a, "b": b, "c": c, "users": users, "case": case, "org": org}


def refer(client, case_id, to_centre_id, reason="The platform handles this wave."):  # type: ignore[no-untyped-def]
    return client.post(f"/network/cases/{case_id}/refer",
                       data={"to_centre": to_centre_id, "reason": reason})


# -- referral workflow ----------------------------------------------------------------------


def test_refer_then_accept_moves_the_case_and_both_logs_show_it(client, login, net):  # type: ignore[no-untyped-def]
    case, a, b = net["case"], net["a"], net["b"]
    login(net["users"]["b"])
    assert client.get(f"/coordinator/cases/{case.id}").status_code == 404
    login(net["users"]["a"])
    response = refer(client, case.id, b.id)
    assert response.status_code == 302
    referral = db.session.scalar(select(Referral))
    assert (referral.status, referral.from_centre_id, referral.to_centre_id) == (
        "pending", a.id, b.id)
    assert db.session.scalar(select(Notification.kind).where(
        Notification.user_id == net["users"]["b"].id)) == "case.referred"

    login(net["users"]["b"])
    assert "Secret Schedule A matter" in client.get("/coordinator/").get_data(as_text=True)
    page = client.get(f"/coordinator/cases/{case.id}").get_data(as_text=True)
    assert "Accept: the case moves to your centre" in page
    assert client.post(f"/network/referrals/{referral.id}/accept").status_code == 302
    db.session.expire_all()
    assert db.session.get(DisputeCase, case.id).centre_id == b.id
    assert db.session.get(Referral, referral.id).status == "accepted"
    centres_logged = {
        (action, centre_id) for action, centre_id in db.session.execute(
            select(AuditEvent.action, AuditEvent.centre_id).where(
                AuditEvent.action.in_(("case.referred", "referral.accepted"))))
    }
    assert centres_logged == {("case.referred", a.id), ("case.referred", b.id),
                              ("referral.accepted", a.id), ("referral.accepted", b.id)}

    login(net["users"]["a"])  # the sender lost the case, but its audit log shows the move
    assert client.get(f"/coordinator/cases/{case.id}").status_code == 404
    log = client.get("/coordinator/audit").get_data(as_text=True)
    assert "Accepted a referred case" in log
    assert "Secret Schedule A matter" not in client.get("/coordinator/").get_data(as_text=True)


def test_return_needs_a_note_and_keeps_the_case_at_the_sender(client, login, net):  # type: ignore[no-untyped-def]
    case, a, b = net["case"], net["a"], net["b"]
    login(net["users"]["a"])
    refer(client, case.id, b.id)
    referral = db.session.scalar(select(Referral))
    login(net["users"]["b"])
    events = count(AuditEvent)
    response = client.post(f"/network/referrals/{referral.id}/return", data={"return-note": "  "})
    assert response.status_code == 200
    assert "Say why the case is returned." in response.get_data(as_text=True)
    assert count(AuditEvent) == events
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "pending"

    client.post(
        f"/network/referrals/{referral.id}/return", data={"return-note": "Not our industry."}
    )
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "returned"
    assert db.session.get(DisputeCase, case.id).centre_id == a.id
    assert client.get(f"/coordinator/cases/{case.id}").status_code == 404
    login(net["users"]["a"])
    page = client.get(f"/coordinator/cases/{case.id}").get_data(as_text=True)
    assert "Not our industry." in page
    assert db.session.scalar(select(Notification.kind).where(
        Notification.user_id == net["users"]["a"].id)) == "referral.returned"


def test_refer_refuses_bad_input_and_writes_nothing(client, login, net):  # type: ignore[no-untyped-def]
    case, b = net["case"], net["b"]
    closed = factories.centre(code="OUT-XX", kind="outpost", country="DE", active=False)
    login(net["users"]["a"])
    response = refer(client, case.id, b.id, reason="")
    assert "Say why the other centre should take the case." in response.get_data(as_text=True)
    response = refer(client, case.id, closed.id, reason="Kept text")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Kept text" in body
    assert count(Referral) == 0
    # Another centre's case: 404; the receiving centre cannot refer a pending case on.
    other = factories.dispute_case(net["org"].id, centre_id=net["c"].id)
    assert refer(client, other.id, b.id).status_code == 404
    refer(client, case.id, b.id)
    login(net["users"]["b"])
    refer(client, case.id, net["c"].id)
    assert count(Referral) == 1
    # A third centre neither sees nor answers the referral.
    login(net["users"]["c"])
    referral = db.session.scalar(select(Referral))
    assert client.post(f"/network/referrals/{referral.id}/accept").status_code == 404
    # The sender cannot answer its own referral.
    login(net["users"]["a"])
    assert client.post(f"/network/referrals/{referral.id}/accept").status_code == 403


def test_a_second_acceptance_supersedes_the_first(client, login, net):  # type: ignore[no-untyped-def]
    case, b, c = net["case"], net["b"], net["c"]
    login(net["users"]["a"])
    refer(client, case.id, b.id)
    login(net["users"]["b"])
    client.post(f"/network/referrals/{db.session.scalar(select(Referral.id))}/accept")
    refer(client, case.id, c.id)
    second = db.session.scalar(select(Referral).where(Referral.to_centre_id == c.id))
    login(net["users"]["c"])
    client.post(f"/network/referrals/{second.id}/accept")
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Referral.status))) == ["accepted", "superseded"]
    login(net["users"]["b"])
    assert client.get(f"/coordinator/cases/{case.id}").status_code == 404


# -- centre scoping -------------------------------------------------------------------------


def _case_routes(app):  # type: ignore[no-untyped-def]
    for rule in app.url_map.iter_rules():
        # The JSON API takes keys, not sessions (its centre scoping: tests/test_api.py).
        if "case_id" in rule.arguments and not rule.endpoint.startswith("api."):
            yield rule


def test_every_route_with_a_case_id_is_404_for_another_centre(app, client, login, net):  # type: ignore[no-untyped-def]
    case = net["case"]
    expert = factories.expert_profile()
    assignment = assignments.propose(case, expert, net["users"]["a"])
    login(net["users"]["b"])
    checked = 0
    for rule in _case_routes(app):
        values = {"case_id": case.id, "assignment_id": assignment.id}
        url = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]
        method = "GET" if "GET" in rule.methods else "POST"
        roles = getattr(app.view_functions[rule.endpoint], "allowed_roles", ())
        expected = 404 if "coordinator" in roles else 403  # other roles' pages: the role check
        response = client.open(url, method=method)
        assert response.status_code == expected, (rule.endpoint, response.status_code)
        checked += 1
    assert checked >= 8
    for url in ("/coordinator/", "/reports/dashboard", "/coordinator/audit", "/network/warnings",
                "/network/referrals", "/coordinator/?status=closed"):
        assert "Secret Schedule A matter" not in client.get(url).get_data(as_text=True), url


def test_network_staff_read_everything_but_act_on_nothing(client, login, net):  # type: ignore[no-untyped-def]
    case = net["case"]
    login(factories.user("network"))
    assert client.get(f"/coordinator/cases/{case.id}").status_code == 200
    assert client.get("/network/").status_code == 200
    assert refer(client, case.id, net["b"].id).status_code == 403
    assert count(Referral) == 0


# -- one shared pool: capacity across centres under concurrency --------------------------------


@pytest.mark.postgres
def test_two_centres_proposing_the_last_slot_store_one(pg_database):  # type: ignore[no-untyped-def]
    from tests.conftest import make_app

    app = make_app(pg_database, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10})
    with app.app_context():
        db.drop_all()
        db.create_all()
        centres = [factories.centre(), factories.centre(kind="industry", industry="telecom")]
        coordinators = [factories.user("coordinator", centre_id=c.id).id for c in centres]
        org = factories.organisation()
        cases = [factories.dispute_case(org.id, centre_id=c.id).id for c in centres]
        expert_id = factories.expert_profile(capacity=2, external_load=1).id
    attempts = 8
    barrier = threading.Barrier(attempts)

    def one(i: int) -> str:
        with app.app_context():
            barrier.wait()
            try:
                assignments.propose(db.session.get(DisputeCase, cases[i % 2]),
                                    db.session.get(ExpertProfile, expert_id),
                                    db.session.get(User, coordinators[i % 2]))
                return "stored"
            except assignments.AssignmentError as error:
                return error.code
            finally:
                db.session.remove()

    try:
        with ThreadPoolExecutor(max_workers=attempts) as pool:
            outcomes = list(pool.map(one, range(attempts)))
        assert outcomes.count("stored") == 1
        assert set(outcomes) - {"stored"} <= {"capacity", "duplicate"}
        with app.app_context():
            assert count(Assignment) == 1
            assert assignments.expert_load(expert_id) == 2
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


# -- cluster detection ----------------------------------------------------------------------


def _greystone_aliases() -> None:
    parent = Entity(name="Greystone Home Holdings Inc.")
    child = Entity(name="Greystone Brands LLC", parent=parent)
    child.aliases = [EntityAlias(name="格雷斯通品牌公司"),
                     EntityAlias(name="Greystone Brands, L.L.C.")]
    db.session.add_all([parent, child])
    db.session.commit()


def _wave(net, plaintiffs, forums=None):  # type: ignore[no-untyped-def]
    """One Schedule A case per plaintiff, each at another centre (the fixture's case aside)."""
    made = []
    for i, (plaintiff, centre_key) in enumerate(zip(plaintiffs, ("a", "b", "c"), strict=False)):
        org = factories.organisation(industry="consumer_goods", name_en=f"Seller {i} Ltd")
        made.append(factories.dispute_case(
            org.id, centre_id=net[centre_key].id, title=f"Wave case {i}",
            dispute_type="ecommerce", jurisdictions=["US"],
            forum=(forums or {}).get(i, f"Court number {i}"),
            counterparties=[{"name_en": plaintiff, "counsel": f"Firm {i} LLP"}],
            submitted_at=utcnow() - timedelta(days=i),
        ))
    return made


def test_three_cases_against_one_plaintiff_at_three_centres_give_one_suggestion(
    client, login, net,
):  # type: ignore[no-untyped-def]
    _greystone_aliases()
    made = _wave(net, ["Greystone Brands LLC", "Greystone Brands, L.L.C.", "格雷斯通品牌公司"])
    found = network_service.detect_clusters().found
    assert len(found) == 1
    assert set(found[0].case_ids) == {c.id for c in made}
    assert [r.kind for r in found[0].reasons] == ["counterparty"]

    login(net["users"]["a"])
    page = client.get("/network/warnings").get_data(as_text=True)
    assert "Possible wave: Greystone Brands LLC" in page
    assert "Wave case 0" in page
    assert "Wave case 1" not in page and "Wave case 2" not in page
    assert "Seller 1 Ltd" not in page and "Seller 2 Ltd" not in page
    assert "and 2 more cases at other centres" in page


def test_two_cases_or_three_plaintiffs_give_no_suggestion(ctx, net):  # type: ignore[no-untyped-def]
    _greystone_aliases()
    _wave(net, ["Greystone Brands LLC", "Greystone Brands, L.L.C."])
    assert network_service.detect_clusters().found == []
    _wave(net, ["Aurelia Home Products Inc.", "Brightline Toys LLC", "Kestrel Outdoor Gear Inc."])
    assert network_service.detect_clusters().found == []


def test_old_cases_and_common_parties_do_not_link(ctx, net):  # type: ignore[no-untyped-def]
    made = _wave(net, ["Amazon.com Services LLC"] * 3)
    assert network_service.detect_clusters().found == []
    for case in made:
        case.counterparties[0].name_en = "Brightline Toys LLC"
        case.submitted_at = utcnow() - timedelta(days=90)
    db.session.commit()
    assert network_service.detect_clusters().found == []


def test_forum_and_dispute_type_link_a_bilingual_forum_line(ctx):  # type: ignore[no-untyped-def]
    english = "U.S. District Court for the Northern District of Illinois (Schedule A)"
    bilingual = ("美国伊利诺伊北区联邦地区法院（附表A）/ "
                 "U.S. District Court for the Northern District of Illinois")
    assert clusters.forum_keys(english) & clusters.forum_keys(bilingual)


def test_dismissing_or_publishing_a_suggestion_settles_it(client, login, net):  # type: ignore[no-untyped-def]
    _greystone_aliases()
    _wave(net, ["Greystone Brands LLC", "Greystone Brands LLC", "格雷斯通品牌公司"])
    login(net["users"]["b"])
    [suggestion] = network_service.suggestions_for(net["users"]["b"])
    form = client.get(f"/network/warnings/new?suggestion={suggestion.key}").get_data(as_text=True)
    assert "Greystone Brands LLC" in form and "consumer_goods" in form
    assert client.get("/network/warnings/new?suggestion=" + "0" * 64).status_code == 404
    client.post(f"/network/suggestions/{suggestion.key}/dismiss")
    assert network_service.suggestions_for(net["users"]["b"]) == []
    assert len(network_service.suggestions_for(net["users"]["a"])) == 1  # other centres keep it
    login(net["users"]["a"])
    client.post("/network/warnings/new", data={
        "suggestion": suggestion.key, "title_zh": "格雷斯通附表A诉讼潮",
        "title_en": "Greystone wave",
        "body_zh": "请检查。", "body_en": "Check your listings.", "industries": ["consumer_goods"],
    })
    assert db.session.scalar(select(RiskWarning.suggestion_key)) == suggestion.key
    assert network_service.suggestions_for(net["users"]["a"]) == []


# -- risk warnings --------------------------------------------------------------------------


WARNING = {"title_zh": "光伏企业注意", "title_en": "PV sellers beware", "body_zh": "内容",
           "body_en": "Body", "industries": ["photovoltaics"], "countries": ["US"],
           "dispute_types": ["itc337"], "forums": ["USITC"]}


def test_a_warning_reaches_exactly_the_targeted_enterprises(client, login, ctx):  # type: ignore[no-untyped-def]
    coordinator = factories.user("coordinator")
    targeted = factories.organisation(industry="photovoltaics", markets=["US", "DE"])
    other_industry = factories.organisation(industry="telecom", markets=["US"])
    other_market = factories.organisation(industry="photovoltaics", markets=["BR"])
    users = {name: factories.user("enterprise", organisation_id=org.id)
             for name, org in (("yes", targeted), ("industry", other_industry),
                               ("market", other_market))}
    login(coordinator)
    assert client.post("/network/warnings/new", data=WARNING).status_code == 302
    warning = db.session.scalar(select(RiskWarning))
    notified = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "warning.published")))
    assert notified == {users["yes"].id}
    login(users["yes"])
    assert "PV sellers beware" in client.get("/home").get_data(as_text=True)
    assert client.get(f"/network/warnings/{warning.id}").status_code == 200
    for key in ("industry", "market"):
        login(users[key])
        assert "PV sellers beware" not in client.get("/home").get_data(as_text=True)
        assert "PV sellers beware" not in client.get("/network/warnings").get_data(as_text=True)
        assert client.get(f"/network/warnings/{warning.id}").status_code == 404
    login(factories.user("expert"))
    assert client.get(f"/network/warnings/{warning.id}").status_code == 403
    # The enterprise adds a market: the warning now reaches it; withdrawn, it reaches nobody.
    login(users["market"])
    client.post("/network/markets", data={"markets": ["BR", "US"]})
    assert "PV sellers beware" in client.get("/home").get_data(as_text=True)
    login(coordinator)
    client.post(f"/network/warnings/{warning.id}/withdraw")
    login(users["yes"])
    assert client.get(f"/network/warnings/{warning.id}").status_code == 404


@pytest.mark.parametrize(("change", "message"), [
    ({"title_zh": ""}, "Give the title in Chinese."),
    ({"body_en": ""}, "Write the warning in English."),
    ({"industries": [], "countries": []}, "Target at least one industry or one country"),
    ({"countries": ["XX"]}, "is not a valid choice for this field."),
    ({"title_en": "x" * 201}, "Field cannot be longer than 200 characters."),
])
def test_warning_form_refuses_bad_input(client, login, ctx, change, message):  # type: ignore[no-untyped-def]
    login(factories.user("coordinator"))
    response = client.post("/network/warnings/new", data={**WARNING, **change})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and message in body
    assert "光伏企业注意" in body or change.get("title_zh") == ""
    assert count(RiskWarning) == 0 and count(Notification) == 0


# -- centres and the network dashboard ------------------------------------------------------


def test_admin_manages_centres_with_clear_errors(client, login, ctx):  # type: ignore[no-untyped-def]
    factories.centre(code="BJ")
    login(factories.user("admin"))
    base = {"code": "OUT-JP", "kind": "outpost", "name_zh": "日本工作站",
            "name_en": "Japan outpost", "city": "Tokyo", "active": "y"}
    response = client.post("/network/centres/new", data=base)
    assert "An outpost needs the country it sits in." in response.get_data(as_text=True)
    response = client.post("/network/centres/new", data={**base, "country": "JP", "code": "bj"})
    assert "Another centre already uses this code." in response.get_data(as_text=True)
    assert count(Centre) == 1
    assert client.post("/network/centres/new", data={**base, "country": "JP"}).status_code == 302
    centre = db.session.scalar(select(Centre).where(Centre.code == "OUT-JP"))
    client.post(f"/network/centres/{centre.id}/deactivate")
    db.session.expire_all()
    assert not db.session.get(Centre, centre.id).active
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action.in_(("centre.created", "centre.deactivated")))) == 2
    login(factories.user("network"))
    assert client.get("/network/centres").status_code == 200
    assert client.get("/network/centres/new").status_code == 403
    login(factories.user("coordinator"))
    assert client.get("/network/centres").status_code == 403
    assert client.get("/network/").status_code == 403


def test_network_dashboard_counts_per_centre_and_flags_overload(client, login, net):  # type: ignore[no-untyped-def]
    lonely = factories.centre(code="FJ-XM", province="CN-FJ", name_en="Xiamen centre")
    factories.dispute_case(net["org"].id, centre_id=lonely.id)
    login(net["users"]["a"])
    refer(client, net["case"].id, net["b"].id)
    login(factories.user("admin"))
    data = network_service.network_dashboard(db.session.scalar(
        select(User).where(User.role == "admin")))
    rows = {row.centre.code: row for row in data.rows}
    assert rows["GD-SZ"].open_cases == 1 and rows["GD-SZ"].referrals_out == 1
    assert rows["IND-ECOM"].pending_in == 1
    assert rows["FJ-XM"].overloaded and not rows["GD-SZ"].overloaded
    page = client.get("/network/").get_data(as_text=True)
    assert "Cases by province" in page and 'data-province="CN-GD"' in page
    assert "open cases but no active coordinator" in page


def test_a_pending_referral_can_be_read_but_not_acted_on(client, login, net):  # type: ignore[no-untyped-def]
    case, b = net["case"], net["b"]
    expert = factories.expert_profile()
    login(net["users"]["a"])
    refer(client, case.id, b.id)
    login(net["users"]["b"])
    assert client.get(f"/coordinator/cases/{case.id}").status_code == 200
    response = client.post(f"/coordinator/cases/{case.id}/propose", data={"experts": [expert.id]})
    assert response.status_code == 403
    assert count(Assignment) == 0


def test_the_referral_panel_has_unique_field_ids(client, login, net):  # type: ignore[no-untyped-def]
    case, b = net["case"], net["b"]
    login(net["users"]["a"])
    refer(client, case.id, b.id)
    login(net["users"]["b"])
    page = client.get(f"/coordinator/cases/{case.id}").get_data(as_text=True)
    assert page.count('id="note"') <= 1
    assert 'for="return-note"' in page and 'id="return-note"' in page
