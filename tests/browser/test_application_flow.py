"""An organisation applies and the secretariat finds it eligible, end to end in a real Chromium, in Chinese.

The issue's flow through the real pages: register, fill every section, upload, submit, see the receipt; the
secretariat marks the dossier eligible; the applicant sees the result. Only the two things nobody does in a page
are done with the ORM: setting up the cycle and the secretariat's account, and letting the deadline pass.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect
from stdnum.cn import uscc

from applications import sections
from applications.eligibility import Outcome
from applications.enums import (
    AttachmentPurpose,
    DossierSectionKey,
    DossierState,
    EligibilityDecisionKind,
    IndustrySection,
    LegalForm,
    OrganisationKind,
    RegistrationArea,
)
from applications.models import Dossier, EligibilityDecision, Organisation
from applications.timewords import add_years
from mayor_award.core.articles import article_label
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import Cycle, User
from tests.factories.applications import pdf_bytes
from tests.factories.core import PASSWORD, CycleFactory, UserFactory

# live_server makes the test transactional; see the comment at the top of test_public_site.py.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

ORGANISATION = "漯河市沙澧食品科技有限公司"
USERNAME = "shali-quality"
APPLICANT_EMAIL = "wang.zhiliang@shali-food.example.cn"
APPLICANT_PASSWORD = "Luohe-Award-2026"
ATTACHMENTS = [
    (AttachmentPurpose.BUSINESS_LICENCE, "营业执照"),
    (AttachmentPurpose.SELF_ASSESSMENT_REPORT, "自评报告"),
    (AttachmentPurpose.COMMITMENT_LETTER, "承诺书"),
    (AttachmentPurpose.TOP_FIVE_EVIDENCE, "行业排名证明"),
]


def zh(message, **values):
    """The catalog's Chinese for `message` (a msgid or a lazy label), with %-placeholders filled in."""
    with translation.override("zh-hans"):
        text = str(gettext(message) if isinstance(message, str) else message)
    return text % values if values else text


def shoot(page, directory, name):
    page.screenshot(path=directory / f"application-{name}.png", full_page=True)


def credit_code() -> str:
    first17 = "91411102MA9F3K7Q2"  # 91 enterprise, 411102 源汇区, a nine-character organisation code
    return first17 + uscc.calc_check_digit(first17)


def success_message(page):
    return page.locator("main .messages .alert-success")


def progress_entry(page, dossier, key):
    if key == DossierSectionKey.ATTACHMENTS:
        url = reverse("applications:attachments", args=[dossier.pk])
    else:
        url = reverse("applications:section", args=[dossier.pk, key])
    return page.locator(f'nav.list-group a[href="{url}"]')


def expect_complete(page, dossier, key):
    expect(progress_entry(page, dossier, key).locator(".badge")).to_have_text(zh("complete"))


def save_section(page, dossier, key):
    page.get_by_role("button", name=zh("Save draft")).click()
    page.wait_for_url(f"**{reverse('applications:section', args=[dossier.pk, key])}")
    expect(success_message(page)).to_have_text(zh("Saved as a draft."))


def log_in(page, base_url, username, password):
    page.goto(base_url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: reverse("login") not in url)  # each role lands in its own workspace


@pytest.fixture
def secretariat_page(new_context):
    """A second browser, the secretariat's: its own cookies, closed by pytest-playwright after the test."""
    return new_context().new_page()


def test_organisation_applies_and_is_found_eligible(live_server, page, secretariat_page, screenshot_dir):
    base = live_server.url
    now = timezone.now()
    today = timezone.localdate()
    deadline = now + dt.timedelta(days=30)
    cycle = CycleFactory(
        phase=CyclePhase.OPEN,
        year=timezone.localtime(deadline).year,
        applications_open_on=today - dt.timedelta(days=30),
        application_deadline=deadline,
    )
    clerk = UserFactory(username="mishuchu-zige", name="赵秘书", roles=["secretariat"], is_staff=True)
    code = credit_code()
    assert uscc.is_valid(code)

    # --- 1. Registration: the organisation and its first user, confirmed by e-mail ---------------------------
    page.goto(base + "/")
    expect(page.locator("#cycle-heading")).to_have_text(cycle.title)
    expect(page.locator("#cycle-heading + p .badge")).to_have_text(zh(CyclePhase.OPEN.label))
    shoot(page, screenshot_dir, "01-home")
    page.locator(f'main a[href="{reverse("applications:register")}"]').click()
    page.wait_for_url(base + reverse("applications:register"))
    expect(page.locator("main h1")).to_have_text(zh("Register your organisation"))
    credit_code_label = zh(Organisation._meta.get_field("credit_code").verbose_name)
    assert credit_code_label == "统一社会信用代码"
    expect(page.locator("label[for=id_credit_code]")).to_contain_text(credit_code_label)

    page.fill("#id_name", ORGANISATION)
    page.fill("#id_credit_code", code)
    page.select_option("#id_kind", OrganisationKind.FOR_PROFIT.value)
    page.select_option("#id_legal_form", LegalForm.ENTERPRISE.value)
    registered_since = add_years(today, -10)
    page.fill("#id_registered_in_luohe_since", registered_since.isoformat())  # a date input takes the ISO value
    page.select_option("#id_registration_area", label=zh(RegistrationArea.YUANHUI.label))
    page.select_option("#id_industry_section", label=zh(IndustrySection.C.label))
    page.fill("#id_industry_division", "14")
    page.fill("#id_address", "河南省漯河市源汇区沙澧大道88号")
    page.fill("#id_legal_representative", "王建国")
    page.fill("#id_contact_name", "王质量")
    page.fill("#id_contact_phone", "0395-3126688")
    page.fill("#id_contact_email", "quality@shali-food.example.cn")
    page.fill("#id_username", USERNAME)
    page.fill("#id_user_name", "王质量")
    page.fill("#id_email", APPLICANT_EMAIL)
    page.fill("#id_password1", APPLICANT_PASSWORD)
    page.fill("#id_password2", APPLICANT_PASSWORD)
    shoot(page, screenshot_dir, "02-register")
    page.get_by_role("button", name=zh("Register"), exact=True).click()

    expect(page.locator("main h1")).to_have_text(zh("Check your e-mail"))
    expect(page.locator("main")).to_contain_text(APPLICANT_EMAIL)
    shoot(page, screenshot_dir, "03-check-email")
    organisation = Organisation.objects.get(credit_code=code)
    assert organisation.name == ORGANISATION
    assert organisation.registered_in_luohe_since == registered_since
    assert organisation.industry_section == IndustrySection.C
    applicant = User.objects.get(username=USERNAME)
    assert not applicant.is_active
    assert applicant.membership.organisation == organisation

    assert len(mail.outbox) == 1
    confirmation = mail.outbox[0]
    assert confirmation.to == [APPLICANT_EMAIL]
    assert confirmation.subject == zh("Confirm your e-mail address: Luohe Mayor's Quality Award")
    link = re.search(r"https?://\S+/register/confirm/\S+/", confirmation.body).group(0)
    page.goto(link)
    page.wait_for_url(base + reverse("login"))
    expect(success_message(page)).to_have_text(zh("Your e-mail address is confirmed. Please log in."))
    applicant.refresh_from_db()
    assert applicant.is_active
    shoot(page, screenshot_dir, "04-confirmed-login")
    log_in(page, base, USERNAME, APPLICANT_PASSWORD)

    # --- 2. The portal: the application starts ---------------------------------------------------------------
    page.locator(f'#main-nav a[href="{reverse("applications:dashboard")}"]').click()
    page.wait_for_url(base + reverse("applications:dashboard"))
    expect(page.locator("main h1")).to_have_text(ORGANISATION)
    shoot(page, screenshot_dir, "05-dashboard")
    page.get_by_role("button", name=zh("Start our application")).click()
    dossier = Dossier.objects.get(organisation=organisation, cycle=cycle)
    page.wait_for_url(base + dossier.get_absolute_url())
    progress = page.locator("nav.list-group a")
    expect(progress).to_have_count(len(sections.EDITABLE_SECTIONS) + 1)  # the sections, then review and submit
    for key in sections.EDITABLE_SECTIONS:
        expect(progress_entry(page, dossier, key)).to_contain_text(zh(key.label))
        expect(progress_entry(page, dossier, key).locator(".badge")).to_have_text(zh("incomplete"))
    shoot(page, screenshot_dir, "06-dossier-started")

    # --- 3. Basic facts ---
    progress_entry(page, dossier, DossierSectionKey.BASICS).click()
    page.wait_for_url(f"**{reverse('applications:section', args=[dossier.pk, 'basics'])}")
    expect(page.locator("main h2")).to_have_text(zh(DossierSectionKey.BASICS.label))
    model_since = add_years(today, -3)
    page.fill("#id_excellence_model_since", model_since.isoformat())
    page.fill("#id_certificates", "ISO 9001:2015 00121Q30566R3M\nISO 22000:2018 00121F30211R2M")
    page.fill(
        "#id_overview",
        f"{ORGANISATION}始建于2006年，主营休闲食品和调味品，2023年导入卓越绩效管理模式，建立了覆盖全过程的质量管理体系。",
    )
    page.fill("#id_competitors", "河南某食品股份有限公司\n郑州某调味品有限公司")
    page.fill("#id_customers", "漯河市百货商业集团有限公司；郑州某连锁超市")
    page.fill("#id_suppliers", "漯河某面粉厂\n驻马店某包装材料有限公司")
    save_section(page, dossier, DossierSectionKey.BASICS)
    expect_complete(page, dossier, DossierSectionKey.BASICS)
    shoot(page, screenshot_dir, "07-basics-saved")
    basics = dossier.sections.get(key=DossierSectionKey.BASICS).data
    assert basics["excellence_model_since"] == model_since.isoformat()
    assert basics["customers"] == ["漯河市百货商业集团有限公司", "郑州某连锁超市"]

    # --- 4. Results: three years of figures and the top-five claim ---
    progress_entry(page, dossier, DossierSectionKey.RESULTS).click()
    page.wait_for_url(f"**{reverse('applications:section', args=[dossier.pk, 'results'])}")
    years = sections.result_years(cycle)
    assert len(years) == 3
    for position, year in enumerate(years):
        page.fill(f"#id_y{year}_operating_revenue", str(62000 - 4000 * position))
        page.fill(f"#id_y{year}_total_profit_and_tax", str(7300 - 500 * position))
        page.fill(f"#id_y{year}_net_profit", str(3600 - 300 * position))
        page.fill(f"#id_y{year}_asset_contribution_rate", "13.5")
        page.fill(f"#id_y{year}_quality_indicators", "产品一次交验合格率99.7%，顾客满意度93分")
    page.select_option("#id_top_five_indicator", "operating_revenue")
    page.fill("#id_top_five_rank", "3")
    save_section(page, dossier, DossierSectionKey.RESULTS)
    expect_complete(page, dossier, DossierSectionKey.RESULTS)
    shoot(page, screenshot_dir, "08-results-saved")
    results = dossier.sections.get(key=DossierSectionKey.RESULTS).data
    assert Decimal(results["years"][str(years[0])]["operating_revenue"]) == 62000
    assert results["top_five_indicator"] == "operating_revenue"
    assert results["top_five_rank"] == 3

    # --- 5. Self-assessment: 23 narratives and percentages, with the live total ---
    progress_entry(page, dossier, DossierSectionKey.SELF_ASSESSMENT).click()
    page.wait_for_url(f"**{reverse('applications:section', args=[dossier.pk, 'self_assessment'])}")
    items = sections.scored_items(cycle)
    assert len(items) == 23
    assert sum(item.points for item in items) == 1000
    total = page.locator("output#self-total")
    expect(total).to_have_text("0")
    first = items[0]
    page.fill(f'[name="p_{first.code}"]', "50")
    expect(total).to_have_text(f"{first.points * 50 / 100:.2f}".removesuffix(".00"))
    for item in items:
        page.fill(f'[name="n_{item.code}"]', f"{item.name}：建立了系统的方法，全面展开并定期评价改进。")
        page.fill(f'[name="p_{item.code}"]', "50")
    expect(total).to_have_text("500")
    shoot(page, screenshot_dir, "09-self-assessment-filled")
    save_section(page, dossier, DossierSectionKey.SELF_ASSESSMENT)
    expect(total).to_have_text("500")  # recomputed from the saved values on load
    saved_items = dossier.sections.get(key=DossierSectionKey.SELF_ASSESSMENT).data["items"]
    assert set(saved_items) == {item.code for item in items}
    assert all(entry["percent"] == 50 and entry["narrative"] for entry in saved_items.values())

    # --- 6. Declarations: each of the six Art. 9 exclusions answered ---
    progress_entry(page, dossier, DossierSectionKey.DECLARATIONS).click()
    page.wait_for_url(f"**{reverse('applications:section', args=[dossier.pk, 'declarations'])}")
    for article in sections.DECLARATION_ARTICLES:
        radios = page.locator(f'input[name="{article}"]')
        expect(radios).to_have_count(2)
        expect(radios.and_(page.locator(":checked"))).to_have_count(0)  # nothing is pre-selected
        page.check(f'input[name="{article}"][value="affirmed"]')
    page.fill("#id_licences", "食品生产许可证 SC10641110200123")
    save_section(page, dossier, DossierSectionKey.DECLARATIONS)
    shoot(page, screenshot_dir, "10-declarations-saved")
    declarations = dossier.sections.get(key=DossierSectionKey.DECLARATIONS).data
    assert all(declarations[article] == "affirmed" for article in sections.DECLARATION_ARTICLES)

    # --- 7. Attachments: four real PDFs ---
    progress_entry(page, dossier, DossierSectionKey.ATTACHMENTS).click()
    page.wait_for_url(base + reverse("applications:attachments", args=[dossier.pk]))
    for purpose, title in ATTACHMENTS:
        page.select_option("#id_purpose", purpose.value)
        page.fill("#id_title", title)
        page.set_input_files(
            "#id_file", files=[{"name": f"{title}.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
        )
        page.get_by_role("button", name=zh("Upload"), exact=True).click()
        expect(success_message(page)).to_have_text(zh("The file was uploaded."))
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(len(ATTACHMENTS))
    for purpose, title in ATTACHMENTS:
        expect(rows.filter(has_text=zh(purpose.label))).to_contain_text(f"{title}.pdf")
    for key in sections.EDITABLE_SECTIONS:  # the report and the letter completed their sections too
        expect_complete(page, dossier, key)
    shoot(page, screenshot_dir, "11-attachments")
    assert sorted(dossier.attachments.values_list("purpose", flat=True)) == sorted(p for p, _ in ATTACHMENTS)
    assert all(size == len(pdf_bytes()) for size in dossier.attachments.values_list("size", flat=True))

    # --- 8. Review and submit ---
    page.locator(f'nav.list-group a[href="{reverse("applications:submit", args=[dossier.pk])}"]').click()
    page.wait_for_url(base + reverse("applications:submit", args=[dossier.pk]))
    completeness = page.locator("main ul.list-group li")
    expect(completeness).to_have_count(len(sections.EDITABLE_SECTIONS))
    expect(completeness.locator(".text-bg-success")).to_have_count(len(sections.EDITABLE_SECTIONS))
    expect(completeness.locator(".text-danger")).to_have_count(0)
    expect(page.locator("main h3").nth(1)).to_have_text(zh("Automatic eligibility pre-check"))
    findings = page.locator("main table tbody tr")
    expect(findings.first).to_be_visible()
    expect(page.locator("main table tbody tr.table-danger")).to_have_count(0)
    judgement_rows = page.locator("main table tbody tr.table-warning")  # 9(1) and 9(2): declaration + judgement
    expect(judgement_rows).to_have_count(2)
    expect(judgement_rows.locator("td").first).to_have_text(article_label("9(1)", "zh-hans"))
    shoot(page, screenshot_dir, "12-review")
    page.get_by_role("button", name=zh("Submit the application")).click()

    page.wait_for_url(base + dossier.get_absolute_url())
    expect(success_message(page)).to_have_text(zh("The dossier was submitted. A receipt is on its way to your e-mail."))
    dossier.refresh_from_db()
    number = f"LH{cycle.year}-001"
    assert dossier.number == number
    assert dossier.state == DossierState.SUBMITTED
    assert dossier.precheck_outcome == Outcome.JUDGEMENT
    expect(page.locator("main h1 small")).to_have_text(number)
    expect(page.locator("main .badge").first).to_have_text(zh(DossierState.SUBMITTED.label))
    receipt_link = page.locator(f'main a[href="{reverse("applications:receipt", args=[dossier.pk])}"]')
    if not receipt_link.count():  # the receipt is rendered after commit; give it one reload
        page.reload()
    expect(receipt_link).to_have_text(zh("Download the receipt (PDF)"))
    shoot(page, screenshot_dir, "13-submitted")
    with page.expect_download() as download_info:
        receipt_link.click()
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    with open(download.path(), "rb") as receipt:
        assert receipt.read(5) == b"%PDF-"
    download.save_as(screenshot_dir / "application-13-receipt.pdf")  # kept for review beside the screenshots
    receipt_mails = [message for message in mail.outbox if number in message.subject]
    assert len(receipt_mails) == 1
    assert APPLICANT_EMAIL in receipt_mails[0].to
    assert [(a.filename, a.mimetype) for a in receipt_mails[0].attachments] == [(f"{number}.pdf", "application/pdf")]

    # --- 9. The deadline passes (ORM); the secretariat opens the eligibility review in the cycle admin ---
    Cycle.objects.filter(pk=cycle.pk).update(application_deadline=timezone.now() - dt.timedelta(minutes=1))
    admin_page = secretariat_page
    log_in(admin_page, base, clerk.username, PASSWORD)
    admin_page.goto(base + reverse("admin:core_cycle_change", args=[cycle.pk]))
    advance = admin_page.locator("#advance-form input[type=submit]")
    expect(advance).to_have_value(zh("Move to the next phase: %(phase)s", phase=zh(CyclePhase.ELIGIBILITY.label)))
    advance.click()
    admin_page.wait_for_url(base + reverse("admin:core_cycle_change", args=[cycle.pk]))
    expect(admin_page.locator("ul.messagelist li.success")).to_have_text(
        zh("%(cycle)s is now in phase “%(phase)s”.", cycle=cycle.title, phase=zh(CyclePhase.ELIGIBILITY.label))
    )
    shoot(admin_page, screenshot_dir, "14-cycle-eligibility")
    cycle.refresh_from_db()
    assert cycle.phase == CyclePhase.ELIGIBILITY

    # --- 10. The secretariat reviews the dossier: pre-check, checklist, decision ---
    change_url = base + reverse("admin:applications_dossier_change", args=[dossier.pk])
    admin_page.goto(change_url)
    expect(admin_page.locator("#precheck-findings h2")).to_have_text(zh("Pre-check findings"))
    expect(admin_page.locator("#precheck-findings tbody tr")).to_have_count(len(dossier.precheck_findings))
    expect(admin_page.locator("#precheck-findings tr.finding-fail")).to_have_count(0)
    expect(admin_page.locator("#dossier-attachments tbody tr")).to_have_count(len(ATTACHMENTS))
    checklist = admin_page.locator("#decision-checklist")
    expect(checklist.locator("h2")).to_have_text(zh("Checklist: findings that need the secretariat's judgement"))
    judgement_codes = [f["code"] for f in dossier.precheck_findings if f["outcome"] == Outcome.JUDGEMENT]
    assert judgement_codes == ["9(1)-declaration", "9(2)-declaration"]
    expect(checklist.locator("input[type=radio]")).to_have_count(2 * len(judgement_codes))
    for judgement in judgement_codes:
        checklist.locator(f'input[name="judgement-{judgement}"][value="yes"]').check()
    admin_page.check(f'#decision-form input[name="kind"][value="{EligibilityDecisionKind.ELIGIBLE.value}"]')
    shoot(admin_page, screenshot_dir, "15-admin-decision")
    admin_page.locator("#decision-form input[type=submit]").click()

    admin_page.wait_for_url(change_url)
    eligible = zh(EligibilityDecisionKind.ELIGIBLE.label)
    expect(admin_page.locator("ul.messagelist li.success")).to_have_text(
        zh("The decision on %(dossier)s is recorded: %(decision)s.", dossier=number, decision=eligible)
    )
    expect(admin_page.locator("#eligibility-decisions tbody tr")).to_have_count(1)
    expect(admin_page.locator("#eligibility-decisions tbody tr")).to_contain_text(eligible)
    shoot(admin_page, screenshot_dir, "16-admin-decided")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.ELIGIBLE
    decision = EligibilityDecision.objects.get(dossier=dossier)
    assert decision.kind == EligibilityDecisionKind.ELIGIBLE
    assert decision.decided_by == clerk
    assert decision.judgements == dict.fromkeys(judgement_codes, True)

    # --- 11. The applicant sees the decision, on the page and in the mailbox ---
    page.reload()
    expect(page.locator("#decision-heading")).to_have_text(f"{zh('Eligibility decision:')} {eligible}")
    expect(page.locator("main .badge").first).to_have_text(zh(DossierState.ELIGIBLE.label))
    shoot(page, screenshot_dir, "17-applicant-sees-decision")
    subject = zh(
        "Eligibility decision on your application %(number)s to the Luohe Mayor's Quality Award", number=number
    )
    decision_mails = [message for message in mail.outbox if message.subject == subject]
    assert len(decision_mails) == 1
    assert APPLICANT_EMAIL in decision_mails[0].to
    assert dossier.get_absolute_url() in decision_mails[0].body
