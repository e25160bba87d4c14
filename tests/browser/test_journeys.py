"""The three journeys of issue 4 in a real browser, in the order people live them.

An enterprise (interface in Chinese) files a Chinese-language trademark-squatting case and an
English SEP case; the coordinator of its centre (in Chinese) finds the SEP case in the queue,
reads the ranking and its explanations, compares two experts and proposes the best one who
is free; that expert (in English) sees only the redacted summary, declares no conflict,
accepts and then sees the whole case; the enterprise sees its expert. Every main page on the
way is screenshotted and checked with axe-core (test-artifacts/screenshots/journey-*).

One test, because each step needs the previous one's rows; each step is its own function.
Locators use ids, names and links; translated texts are only asserted, computed by the app
for the reader's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import (
    app_today,
    check_accessibility,
    code_name,
    demo_experts,
    gettext_in,
    shown_date,
    sign_in,
    use_language,
)

ENTERPRISE = "ipr@lianxin-comm.example.cn"  # Shenzhen Lianxin, Guangdong: routed to GD-SZ
ENTERPRISE_NAMES = ("Shenzhen Lianxin Communication", "深圳市联芯通信有限公司")
COORDINATOR = "coord.gd-sz@demo.expertmatch.example"
REFERENCE = re.compile(r"EM-\d{4}-\d{6}")

TRADEMARK = {
    "title": "墨西哥前经销商在IMPI抢注我司“蓝鲸BLUEWHALE”商标",
    "description": (
        "自2023年起，墨西哥蓝鲸分销公司（Distribuidora Ballena Azul S.A. de C.V.）作为我司在"
        "墨西哥的独家经销商销售“蓝鲸BLUEWHALE”品牌空气炸锅和电饭煲。合作终止后，我们发现该公司"
        "已以自己的名义向墨西哥工业产权局（IMPI）申请注册“BLUEWHALE”和“蓝鲸”商标（第7类和第11类），"
        "申请已在《工业产权公报》上公告；其关联公司太平洋蓝贸易公司正以该商标向当地零售商发送警告函，"
        "要求下架我司正品。我司希望在异议期内提出异议，主张恶意抢注和代理人未经授权注册，请求驳回"
        "其申请，并评估在墨西哥提起不正当竞争诉讼的可能。需要熟悉墨西哥商标异议和IMPI程序、能用中文"
        "或英文沟通的律师。"
    ),
    "forum": "墨西哥工业产权局（IMPI）商标异议程序（oposición，Gaceta 公告）",
    "docket_number": "MX/m/2026/081234",
    "counterparties": [
        (
            "Distribuidora Ballena Azul S.A. de C.V.",
            "蓝鲸分销股份有限公司",
            "Bufete Ramírez Ortega, S.C.",
        ),
        ("Comercializadora Azul Pacífico S.A. de C.V.", "太平洋蓝贸易有限公司", ""),
    ],
}
SEP_SECRET = "about EUR 120 million a year"  # in the description only: never in a redacted view
SEP = {
    "title": "Nordvik Telecom LTE injunction suit in Munich against our LX7 phones",
    "description": (
        "We were served, through the Hague Service Convention, with a statement of claim that "
        "Nordvik Telecom Oy filed before the Regional Court Munich I (7th Civil Chamber). Nordvik "
        "asserts two European patents it declared essential to the LTE standard at ETSI against "
        "our LX7 and LX8 4G smartphones sold in Germany and seeks an injunction, recall, "
        "destruction and damages. We have negotiated a portfolio licence since 2024; Nordvik's "
        "royalty demand is far above comparable licences. We made a written FRAND counter-offer "
        "and offered security, but the negotiation has stalled. An injunction would stop our "
        f"German and European sales ({SEP_SECRET}). We need a German patent litigator "
        "experienced in the FRAND defence under Huawei v ZTE and Sisvel v Haier before the Munich "
        "court, able to coordinate a nullity action before the Federal Patent Court and to assess "
        "our exposure before the Unified Patent Court."
    ),
    "forum": "Landgericht München I (Regional Court Munich I), 7th Civil Chamber",
    "docket_number": "21 O 4711/26",
    "counterparty": ("Nordvik Telecom Oy", "诺德维克电信", "Hartmann Vogel Rechtsanwälte"),
}


@dataclass
class Journey:
    """What one step leaves for the next: the pages of each person and the rows they made."""

    app: Flask
    enterprise: Page
    trademark_id: int = 0
    sep_id: int = 0
    sep_reference: str = ""
    expert_name: str = ""
    shots: list[str] = field(default_factory=list)

    def check(self, page: Page, name: str) -> None:
        check_accessibility(page, f"journey-{len(self.shots) + 1:02d}-{name}")
        self.shots.append(name)


def german_or_upc_sep_practitioners() -> set[str]:
    """From the demo data: experts who take SEP / FRAND cases before German courts or the UPC."""
    return {
        e["name"]
        for e in demo_experts()
        if "sep_frand" in e["dispute_types"] and {"DE", "UPC"} & set(e["jurisdictions"])
    }


def demo_email(name: str) -> str:
    return next(e["email"] for e in demo_experts() if e["name"] == name)


def case_id_from(page: Page, prefix: str) -> int:
    match = re.search(rf"{re.escape(prefix)}(\d+)", page.url)
    assert match, page.url
    return int(match.group(1))


def row_linking(table: Locator, href: str) -> Locator:
    """The table row that links to ``href`` (exactly one)."""
    row = table.locator("tbody tr").filter(has=table.page.locator(f'a[href="{href}"]'))
    expect(row).to_have_count(1)
    return row


def exactly(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def expert_name(row: Locator) -> str:
    """The ranked expert's name: the first line of the row header (headline and firm follow)."""
    return row.locator("th").inner_text().splitlines()[0].strip()


# -- the steps ---------------------------------------------------------------------------------


def fill_fields(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.locator(f"#{name}").fill(value)


def fill_counterparty(page: Page, index: int, names: tuple[str, str, str]) -> None:
    for suffix, value in zip(("name_en", "name_zh", "counsel"), names, strict=True):
        page.locator(f"#counterparties-{index}-{suffix}").fill(value)


def tick(page: Page, name: str, *values: str) -> None:
    for value in values:
        page.locator(f'input[name="{name}"][value="{value}"]').check()


def enterprise_files_trademark_case(journey: Journey) -> None:
    """(a) In Chinese: a squatted mark at IMPI, two counterparties, a computed deadline."""
    page, app = journey.enterprise, journey.app
    today = app_today(app)
    journey.check(page, "enterprise-landing-zh")
    page.locator('header nav a[href="/cases/new"]').click()
    expect(page.locator("form.intake")).to_be_visible()
    # The contact is prefilled from the account; the rest is typed as the enterprise would.
    expect(page.locator("#contact_email")).to_have_value(ENTERPRISE)
    expect(page.locator("#contact_name")).not_to_have_value("")
    # Every field is labelled in the reader's language (what a screen reader announces).
    for role, label, field_id in (
        ("textbox", "Short title", "title"),
        ("combobox", "Type of dispute", "dispute_type"),
        ("textbox", "What happened", "description"),
        ("textbox", "Docket or case number", "docket_number"),
    ):
        named = page.get_by_role(role, name=gettext_in(app, "zh", label), exact=True)
        expect(named).to_have_id(field_id)
    fill_fields(page, {
        "contact_phone": "+86 755 8888 1234",
        "title": TRADEMARK["title"],
        "forum": TRADEMARK["forum"],
        "docket_number": TRADEMARK["docket_number"],
        "description": TRADEMARK["description"],
        "service_date": (today - timedelta(days=5)).isoformat(),
        "amount": "3500000",
    })
    page.locator("#our_role").select_option("claimant")
    page.locator("#dispute_type").select_option("trademark")
    page.locator("#industry").select_option("home_appliances")
    page.locator("#goal").select_option("registration_cancelled")
    page.locator("#currency").select_option("MXN")
    tick(page, "jurisdictions", "MX")
    tick(page, "languages", "zh", "es")
    tick(page, "confidentiality", "normal")
    tick(page, "consent_share", "y")
    tick(page, "consent_conflict_check", "y")
    fill_counterparty(page, 0, TRADEMARK["counterparties"][0])

    # "Add another counterparty" goes to the server and back: everything typed is kept.
    expect(page.locator("#counterparties-1-name_en")).to_have_count(0)
    page.locator("#add_counterparty").click()
    expect(page.locator("#counterparties-1-name_en")).to_be_visible()
    expect(page.locator("#title")).to_have_value(TRADEMARK["title"])
    expect(page.locator("#description")).to_have_value(TRADEMARK["description"])
    expect(page.locator("#counterparties-0-name_zh")).to_have_value("蓝鲸分销股份有限公司")
    expect(page.locator('input[name="jurisdictions"][value="MX"]')).to_be_checked()
    expect(page.locator("#consent_conflict_check")).to_be_checked()
    fill_counterparty(page, 1, TRADEMARK["counterparties"][1])
    journey.check(page, "enterprise-intake-filled-zh")

    page.locator("#submit_case").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    expect(page.locator(".flash-success")).to_contain_text(REFERENCE)
    journey.trademark_id = case_id_from(page, "/cases/")
    expect(page.locator("h1")).to_have_text(TRADEMARK["title"])
    # IMPI opposition: one month from publication in the Gaceta (the rule table, 30 days).
    deadline = today - timedelta(days=5) + timedelta(days=30)
    expect(page.locator(".deadline strong")).to_have_text(shown_date(app, "zh", deadline, "long"))
    expect(page.locator(".deadline-basis")).to_be_visible()
    parties = page.locator('section[aria-labelledby="h-counterparties"] tbody tr')
    expect(parties).to_have_count(2)
    expect(parties.nth(1)).to_contain_text("太平洋蓝贸易有限公司")
    journey.check(page, "enterprise-case-submitted-zh")

    page.locator('header nav a[href="/cases/"]').click()
    row = row_linking(page.locator("main table"), f"/cases/{journey.trademark_id}")
    expect(row).to_contain_text(code_name(app, "zh", "status", "submitted"))
    expect(row).to_contain_text(shown_date(app, "zh", deadline))
    journey.check(page, "enterprise-my-cases-zh")


def enterprise_files_sep_case(journey: Journey) -> None:
    """(b) An English SEP case in Munich: LTE, injunction, confidential, deadline near."""
    page, app = journey.enterprise, journey.app
    today = app_today(app)
    page.locator('header nav a[href="/cases/new"]').click()
    fill_fields(page, {
        "title": SEP["title"],
        "forum": SEP["forum"],
        "docket_number": SEP["docket_number"],
        "description": SEP["description"],
        "service_date": (today - timedelta(days=8)).isoformat(),
        "amount": "15000000",
    })
    page.locator("#our_role").select_option("respondent")
    page.locator("#dispute_type").select_option("sep_frand")
    page.locator("#industry").select_option("telecom")
    page.locator("#goal").select_option("licence")
    page.locator("#sep_standard").select_option("4g")
    page.locator("#negotiation_stage").select_option("stalled")
    page.locator("#currency").select_option("EUR")
    tick(page, "jurisdictions", "DE")
    tick(page, "languages", "zh", "en", "de")
    tick(page, "confidentiality", "confidential")
    tick(page, "consent_share", "y")
    tick(page, "consent_conflict_check", "y")
    fill_counterparty(page, 0, SEP["counterparty"])
    page.locator("#submit_case").click()

    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    journey.sep_id = case_id_from(page, "/cases/")
    flash = page.locator(".flash-success").inner_text()
    journey.sep_reference = REFERENCE.search(flash).group(0)  # type: ignore[union-attr]
    # German civil procedure: two weeks from service to announce the defence, so six days
    # are left and the case is flagged as at risk.
    deadline = today - timedelta(days=8) + timedelta(days=14)
    expect(page.locator(".deadline strong")).to_have_text(shown_date(app, "zh", deadline, "long"))
    expect(page.locator(".deadline .risk")).to_be_visible()
    expect(page.locator("main .meta .tag")).to_have_text(
        code_name(app, "zh", "confidentiality", "confidential")
    )


def coordinator_ranks_and_proposes(journey: Journey, page: Page) -> None:
    """(c) In Chinese: queue, the SEP case, ranking with explanations, compare, propose."""
    app = journey.app
    journey.check(page, "coordinator-landing-zh")
    page.locator('header nav a[href="/coordinator/"]').click()
    case_href = f"/coordinator/cases/{journey.sep_id}"
    # Both new cases of the Guangdong enterprise reached this centre's queue.
    row_linking(page.locator("table.queue"), f"/coordinator/cases/{journey.trademark_id}")
    row = row_linking(page.locator("table.queue"), case_href)
    expect(row.locator(".flag-risk")).to_be_visible()
    expect(row).to_contain_text(code_name(app, "zh", "confidentiality", "confidential"))
    journey.check(page, "coordinator-queue-zh")

    row.locator(f'a[href="{case_href}"]').click()
    expect(page.locator("h1")).to_have_text(SEP["title"])
    ranked = page.locator("table.ranking tbody tr")
    expect(ranked.first).to_be_visible()
    assert 3 <= ranked.count() <= 10
    sep_tag = code_name(app, "zh", "dispute_type", "sep_frand")
    germany = code_name(app, "zh", "jurisdiction", "DE")
    matches, shared = gettext_in(app, "zh", "Matches:"), gettext_in(app, "zh", "Shared terms:")
    for position in range(3):
        why = ranked.nth(position).locator("td.why")
        # The engine's explanation: best matching text, matched attributes, evidence channels.
        expect(why.locator("p").first).to_be_visible()
        matched = why.locator("p", has_text=matches)
        expect(matched.locator(".tag", has_text=exactly(sep_tag))).to_have_count(1)
        expect(matched.locator(".tag", has_text=exactly(germany))).to_have_count(1)
        expect(why.locator("p", has_text=shared).locator(".tag").first).to_be_visible()
        expect(why.locator("p.meta")).to_be_visible()
    top = [expert_name(ranked.nth(i)) for i in range(3)]
    practitioners = german_or_upc_sep_practitioners()
    assert set(top) <= practitioners, f"top 3 {top} are not all German/UPC SEP practitioners"
    # The expert with a declared conflict against Nordvik is excluded, with the reason.
    excluded = page.locator("details.excluded")
    excluded.locator("summary").click()
    expect(excluded.locator("tbody tr", has_text="Dr. Matthias Vogel")).to_have_count(1)
    journey.check(page, "coordinator-case-ranking-zh")

    first, second = (ranked.nth(i).locator('input[name="expert"]') for i in (0, 1))
    first.check()
    second.check()
    page.locator("#compare-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"{case_href}/compare\?"))
    expect(page.locator("main table thead th[scope=col]")).to_have_text(top[:2])
    journey.check(page, "coordinator-compare-zh")

    page.locator(f'main a[href^="{case_href}"]').click()
    eligible = ranked.filter(has=page.locator('input[name="experts"]')).first
    journey.expert_name = expert_name(eligible)
    assert journey.expert_name in practitioners
    eligible.locator('input[name="experts"]').check()
    page.locator("#note").fill("慕尼黑法院要求两周内表明应诉意向，请尽快答复。")
    page.locator("#propose-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text(journey.expert_name)
    proposal = page.locator("#assignments + table tbody tr", has_text=journey.expert_name)
    expect(proposal).to_contain_text(code_name(app, "zh", "assignment_status", "proposed"))
    expect(page.locator("main p.meta strong").first).to_have_text(
        code_name(app, "zh", "status", "matched")
    )


def expert_accepts(journey: Journey, page: Page) -> None:
    """(d) In English: notification, redacted proposal, no conflict, accept, full case."""
    expect(page.locator('header nav a[href="/notifications"] .badge')).to_be_visible()
    journey.check(page, "expert-landing-en")
    page.locator('header nav a[href="/notifications"]').click()
    note = page.locator("main ul.notifications a", has_text=journey.sep_reference)
    expect(note).to_have_count(1)
    journey.check(page, "expert-notifications-en")

    note.click()
    expect(page).to_have_url(re.compile(r"/expert/proposals/\d+$"))
    main = page.locator("main")
    # What the conflict check needs is there ...
    expect(main).to_contain_text(SEP["counterparty"][0])
    expect(main).to_contain_text(SEP["forum"])
    # ... and nothing else: no title, no description, no enterprise.
    expect(main).not_to_contain_text(SEP_SECRET)
    expect(main).not_to_contain_text(SEP["title"])
    for name in ENTERPRISE_NAMES:
        expect(main).not_to_contain_text(name)
    journey.check(page, "expert-proposal-redacted-en")

    page.locator("#no_conflict").check()
    page.locator('form[action$="/accept"] button[type=submit]').click()
    expect(page).to_have_url(re.compile(rf"/expert/cases/{journey.sep_id}$"))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("h1")).to_have_text(SEP["title"])
    expect(main).to_contain_text(SEP_SECRET)
    expect(main).to_contain_text(ENTERPRISE_NAMES[0])
    journey.check(page, "expert-full-case-en")


def enterprise_sees_expert(journey: Journey) -> None:
    """(e) The enterprise is told, and its case page names the expert who accepted."""
    page, app = journey.enterprise, journey.app
    page.goto("/home")
    expect(page.locator('header nav a[href="/notifications"] .badge')).to_be_visible()
    page.locator('header nav a[href="/cases/"]').click()
    row = row_linking(page.locator("main table"), f"/cases/{journey.sep_id}")
    expect(row).to_contain_text(code_name(app, "zh", "status", "assigned"))
    row.locator("a").first.click()
    expert = page.locator('section[aria-labelledby="h-expert"]')
    expect(expert).to_contain_text(journey.expert_name)
    journey.check(page, "enterprise-case-assigned-zh")


def coordinator_sees_acceptance(journey: Journey, page: Page) -> None:
    """The coordinator is told of the acceptance; the audit log holds the expert's views."""
    from expertmatch.coordinator.routes import ACTION_LABELS
    from tests.browser.conftest import in_locale

    page.goto(f"/coordinator/cases/{journey.sep_id}")
    proposal = page.locator("#assignments + table tbody tr", has_text=journey.expert_name)
    expect(proposal).to_contain_text(code_name(journey.app, "zh", "assignment_status", "accepted"))
    page.goto(f"/coordinator/audit?case={journey.sep_id}")
    viewed = in_locale(journey.app, "zh", lambda: str(ACTION_LABELS["case.viewed"]))
    views = page.locator("table.audit tbody tr", has_text=viewed)
    expect(views.filter(has_text=journey.expert_name)).to_have_count(2)  # redacted, then full
    journey.check(page, "coordinator-audit-log-zh")


def test_enterprise_coordinator_and_expert_journeys(page_for, live_app):  # type: ignore[no-untyped-def]
    enterprise = page_for("zh-CN")
    sign_in(enterprise, ENTERPRISE)
    use_language(enterprise, "zh-CN")
    journey = Journey(app=live_app, enterprise=enterprise)

    enterprise_files_trademark_case(journey)
    enterprise_files_sep_case(journey)

    coordinator = page_for("zh-CN")
    sign_in(coordinator, COORDINATOR)
    use_language(coordinator, "zh-CN")
    coordinator_ranks_and_proposes(journey, coordinator)

    expert = page_for("en-GB")
    sign_in(expert, demo_email(journey.expert_name))
    use_language(expert, "en-GB")
    expert_accepts(journey, expert)

    enterprise_sees_expert(journey)
    coordinator_sees_acceptance(journey, coordinator)
