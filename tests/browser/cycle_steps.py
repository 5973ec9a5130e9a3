"""Helpers of the whole-cycle browser walk (tests/browser/test_whole_cycle.py): the people, their browsers, the
clock, the screenshots and the watch for Content-Security-Policy violations and script errors on every page.
"""

import contextlib
import datetime as dt
import re
import time
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect
from stdnum.cn import uscc

import applications.receivers

FAVICON = re.compile(r"/favicon\.ico$")  # no icon is served; the browser's own request, not the page's
PAGE_PROBLEM = re.compile(r"Content Security Policy|Refused to", re.IGNORECASE)


def zh(message, **values):
    """The catalog's Chinese for `message` (a msgid or a lazy label), with %-placeholders filled in."""
    with translation.override("zh-hans"):
        text = str(gettext(message) if isinstance(message, str) else message)
    return text % values if values else text


def credit_code(first17: str) -> str:
    return first17 + uscc.calc_check_digit(first17)


class Clock:
    """`django.utils.timezone.now`, moved forward on demand, in the test and the live server thread alike.

    The walk cannot wait for real calendar days: the application deadline and the seven days of the publicity
    (Art. 15, 17) pass by moving this clock, as review/demo_history.py's demo_clock does. The live server runs in
    a thread of this process, so it reads the same patched function; `applications.receivers` imported `now` by
    name and is patched too. Only forward, and put back when the test ends.
    """

    def __init__(self, monkeypatch):
        self._real_now = timezone.now
        self.offset = dt.timedelta(0)
        monkeypatch.setattr(timezone, "now", self.now)
        monkeypatch.setattr(applications.receivers, "now", self.now)

    def now(self):
        return self._real_now() + self.offset

    def advance(self, delta: dt.timedelta):
        assert delta > dt.timedelta(0), "the clock only moves forward"
        self.offset += delta


@dataclass
class Person:
    username: str
    password: str
    page: object = None
    logged_in: bool = False


@dataclass
class Walk:
    """The browsers of everyone in the walk, the numbered screenshots and the problems seen on any page."""

    base: str
    new_context: object
    directory: object
    number: int = 0
    people: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    visited: set = field(default_factory=set)
    screenshot_seconds: float = 0.0

    def url(self, path: str) -> str:
        return self.base + path

    def watch(self, page, who: str):
        def on_console(message):
            if PAGE_PROBLEM.search(message.text):
                self.problems.append(f"{who} {page.url}: console {message.type}: {message.text}")
            elif message.type == "error" and not FAVICON.search(message.location.get("url", "")):
                self.problems.append(f"{who} {page.url}: console error: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"{who} {page.url}: page error: {error}"))
        page.on("load", lambda loaded: self._check_language(loaded, who))
        return page

    def _check_language(self, page, who):
        with contextlib.suppress(Exception):  # a page already replaced by the next navigation
            lang, content_type = page.evaluate("() => [document.documentElement.lang, document.contentType]")
            if content_type != "text/html":
                return  # a PDF or a download
            self.visited.add(page.url)
            if lang != "zh-hans":
                self.problems.append(f"{who} {page.url}: lang={lang!r}, not zh-hans")

    def browser(self, who: str):
        """A browser of its own (cookies apart) for `who`, or a visitor's when `who` has no account."""
        person = self.people.setdefault(who, Person(who, ""))
        if person.page is None:
            person.page = self.watch(self.new_context().new_page(), who)
        return person.page

    def add_person(self, username: str, password: str):
        self.people[username] = Person(username, password)

    def as_user(self, username: str):
        """`username`'s browser, logged in through the login page (again after the clock moved on)."""
        person = self.people[username]
        page = self.browser(username)
        if not person.logged_in:
            page.goto(self.url(reverse("login")))
            page.fill("#id_username", username)
            page.fill("#id_password", person.password)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(lambda url: reverse("login") not in url)  # each role lands in its own workspace
            person.logged_in = True
        return page

    def sessions_expired(self):
        """After the clock jumped by days, every session has expired (SESSION_COOKIE_AGE): all log in again."""
        for person in self.people.values():
            if person.page is not None:
                person.page.context.clear_cookies()
            person.logged_in = False

    def shoot(self, page, step: str):
        self.number += 1
        started = time.perf_counter()
        page.screenshot(path=self.directory / f"{self.number:02d}-{step}.png", full_page=True)
        self.screenshot_seconds += time.perf_counter() - started

    def prove_the_watch(self, page):
        """The page is served with the Content Security Policy, and a violation on it would be caught: an inline
        style added to the page is refused by the browser, and the watch reports it (then forgets it)."""
        response = page.goto(self.url(reverse("home")))
        assert "style-src 'self'" in response.headers["content-security-policy"]
        seen = len(self.problems)
        page.evaluate("() => document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
        for _ in range(100):
            if len(self.problems) > seen:
                break
            page.wait_for_timeout(20)
        caught = self.problems[seen:]
        assert any("Content Security Policy" in problem for problem in caught), caught
        del self.problems[seen:]

    def expect_no_problems(self):
        assert not self.problems, "\n".join(self.problems)


# --- the admin ---


def admin_success(page):
    return page.locator("ul.messagelist li.success")


def admin_save(page):
    page.locator("input[name=_save]").click()
    page.wait_for_load_state()
    errors = page.locator(".errornote, .errorlist")
    assert not errors.count(), errors.all_inner_texts()


def advance_cycle(walk: Walk, page, cycle, phase):
    """The secretariat moves the cycle on with the button of its admin page, and the page says it did."""
    page.goto(walk.url(reverse("admin:core_cycle_change", args=[cycle.pk])))
    advance = page.locator("#advance-form input[type=submit]")
    expect(advance).to_have_value(zh("Move to the next phase: %(phase)s", phase=zh(phase.label)))
    advance.click()
    page.wait_for_url(walk.url(reverse("admin:core_cycle_change", args=[cycle.pk])))
    errors = page.locator("ul.messagelist li.error")
    assert not errors.count(), errors.all_inner_texts()
    expect(admin_success(page)).to_have_text(
        zh("%(cycle)s is now in phase “%(phase)s”.", cycle=cycle.title, phase=zh(phase.label))
    )
    cycle.refresh_from_db()
    assert cycle.phase == phase


# --- the applicants' portal ---


@dataclass(frozen=True)
class Applicant:
    organisation: str
    first17: str  # of the credit code: 91 (enterprise), 411102 (源汇区), a nine-character organisation code
    username: str
    email: str
    person: str

    @property
    def credit_code(self) -> str:
        return credit_code(self.first17)


ATTACHMENTS = [
    ("business_licence", "营业执照"),
    ("self_assessment_report", "自评报告"),
    ("commitment_letter", "承诺书"),
    ("top_five_evidence", "行业排名证明"),
]


def register(walk: Walk, who: Applicant, password: str, mailbox):
    """The organisation registers at /register/ and its first user confirms the e-mail address."""
    from applications.timewords import add_years

    page = walk.browser(who.username)
    page.goto(walk.url("/"))
    page.locator(f'main a[href="{reverse("applications:register")}"]').first.click()
    page.wait_for_url(walk.url(reverse("applications:register")))
    page.fill("#id_name", who.organisation)
    page.fill("#id_credit_code", who.credit_code)
    page.select_option("#id_kind", "for_profit")
    page.select_option("#id_legal_form", "enterprise")
    page.fill("#id_registered_in_luohe_since", add_years(timezone.localdate(), -10).isoformat())
    page.select_option("#id_registration_area", "yuanhui")
    page.select_option("#id_industry_section", "C")
    page.fill("#id_industry_division", "14")
    page.fill("#id_address", "河南省漯河市源汇区沙澧大道88号")
    page.fill("#id_legal_representative", "王建国")
    page.fill("#id_contact_name", who.person)
    page.fill("#id_contact_phone", "0395-3126688")
    page.fill("#id_contact_email", who.email)
    page.fill("#id_username", who.username)
    page.fill("#id_user_name", who.person)
    page.fill("#id_email", who.email)
    page.fill("#id_password1", password)
    page.fill("#id_password2", password)
    page.get_by_role("button", name=zh("Register"), exact=True).click()
    expect(page.locator("main h1")).to_have_text(zh("Check your e-mail"))
    confirmation = next(m for m in reversed(mailbox) if who.email in m.to)
    link = re.search(r"https?://\S+/register/confirm/\S+/", confirmation.body).group(0)
    page.goto(link)
    page.wait_for_url(walk.url(reverse("login")))
    walk.add_person(who.username, password)
    return page


def _save_section(page, key):
    page.get_by_role("button", name=zh("Save draft")).click()
    page.wait_for_url(re.compile(rf".*/sections/{key}/$"))
    expect(page.locator("main .messages .alert-success")).to_have_text(zh("Saved as a draft."))


def _section_link(page, dossier_pk, key):
    page.locator(f'nav.list-group a[href="{reverse("applications:section", args=[dossier_pk, key])}"]').click()
    page.wait_for_url(re.compile(rf".*/sections/{key}/$"))


# The 23 items of the self-assessment in one go (as the score sheets below): 46 boxes typed one by one would cost
# the walk its time budget; tests/browser/test_application_flow.py types them. The input event drives the total.
FILL_SELF_ASSESSMENT_JS = """({percent, narrative}) => {
  document.querySelectorAll('input.self-percent').forEach((input) => {
    input.value = percent;
    input.dispatchEvent(new Event('input', {bubbles: true}));
  });
  document.querySelectorAll('[name^="n_"]').forEach((box) => { box.value = narrative; });
}"""


def apply(walk: Walk, who: Applicant, cycle, pdf: bytes, shoot: bool = False):
    """The applicant starts the dossier in the portal, fills every section, uploads the files and submits."""
    from applications import sections
    from applications.models import Dossier
    from applications.timewords import add_years

    page = walk.as_user(who.username)
    page.goto(walk.url(reverse("applications:dashboard")))
    page.get_by_role("button", name=zh("Start our application")).click()
    page.wait_for_url(re.compile(r".*/portal/dossiers/\d+/$"))
    dossier = Dossier.objects.get(organisation__credit_code=who.credit_code, cycle=cycle)

    _section_link(page, dossier.pk, "basics")
    page.fill("#id_excellence_model_since", add_years(timezone.localdate(), -3).isoformat())
    page.fill("#id_certificates", "ISO 9001:2015 00121Q30566R3M")
    page.fill("#id_overview", f"{who.organisation}主营休闲食品，2023年导入卓越绩效管理模式。")
    page.fill("#id_competitors", "河南某食品股份有限公司")
    page.fill("#id_customers", "漯河市百货商业集团有限公司")
    page.fill("#id_suppliers", "漯河某面粉厂")
    _save_section(page, "basics")
    if shoot:
        walk.shoot(page, "portal-basics")

    _section_link(page, dossier.pk, "results")
    for position, year in enumerate(sections.result_years(cycle)):
        page.fill(f"#id_y{year}_operating_revenue", str(62000 - 4000 * position))
        page.fill(f"#id_y{year}_total_profit_and_tax", str(7300 - 500 * position))
        page.fill(f"#id_y{year}_net_profit", str(3600 - 300 * position))
        page.fill(f"#id_y{year}_asset_contribution_rate", "13.5")
        page.fill(f"#id_y{year}_quality_indicators", "产品一次交验合格率99.7%")
    page.select_option("#id_top_five_indicator", "operating_revenue")
    page.fill("#id_top_five_rank", "3")
    _save_section(page, "results")
    if shoot:
        walk.shoot(page, "portal-results")

    _section_link(page, dossier.pk, "self_assessment")
    page.evaluate(FILL_SELF_ASSESSMENT_JS, {"percent": "60", "narrative": "方法系统，展开充分，定期评价改进。"})
    expect(page.locator("output#self-total")).to_have_text("600")  # the page's live total of the 23 items
    _save_section(page, "self_assessment")
    if shoot:
        walk.shoot(page, "portal-self-assessment")

    _section_link(page, dossier.pk, "declarations")
    for article in sections.DECLARATION_ARTICLES:
        page.check(f'input[name="{article}"][value="affirmed"]')
    page.fill("#id_licences", "食品生产许可证 SC10641110200123")
    _save_section(page, "declarations")
    if shoot:
        walk.shoot(page, "portal-declarations")

    page.locator(f'nav.list-group a[href="{reverse("applications:attachments", args=[dossier.pk])}"]').click()
    page.wait_for_url(walk.url(reverse("applications:attachments", args=[dossier.pk])))
    for purpose, title in ATTACHMENTS:
        page.select_option("#id_purpose", purpose)
        page.fill("#id_title", title)
        page.set_input_files("#id_file", files=[{"name": f"{title}.pdf", "mimeType": "application/pdf", "buffer": pdf}])
        page.get_by_role("button", name=zh("Upload"), exact=True).click()
        expect(page.locator("main .messages .alert-success")).to_have_text(zh("The file was uploaded."))
    if shoot:
        walk.shoot(page, "portal-attachments")

    page.locator(f'nav.list-group a[href="{reverse("applications:submit", args=[dossier.pk])}"]').click()
    page.wait_for_url(walk.url(reverse("applications:submit", args=[dossier.pk])))
    page.get_by_role("button", name=zh("Submit the application")).click()
    page.wait_for_url(walk.url(dossier.get_absolute_url()))
    expect(page.locator("main .messages .alert-success")).to_have_text(
        zh("The dossier was submitted. A receipt is on its way to your e-mail.")
    )
    if shoot:
        walk.shoot(page, "portal-submitted")
    dossier.refresh_from_db()
    return dossier


# --- the review ---


def decide_eligibility(walk: Walk, page, dossier, eligible: bool, shoot: bool = False):
    """The secretariat's decision in the dossier's admin page: the checklist answered, then the decision."""
    change_url = walk.url(reverse("admin:applications_dossier_change", args=[dossier.pk]))
    page.goto(change_url)
    checklist = page.locator("#decision-checklist input[type=radio][value=yes]")
    for number in range(checklist.count()):
        checklist.nth(number).check()
    form = page.locator("#decision-form")
    if eligible:
        form.locator('input[name="kind"][value="eligible"]').check()
    else:
        form.locator('input[name="kind"][value="ineligible"]').check()
        form.locator('input[name="articles"]').first.check()
        form.locator('textarea[name="note"]').fill("经审查，申报单位近三年内发生质量安全事故，不符合申报条件。")
    if shoot:
        walk.shoot(page, "admin-eligibility-" + ("eligible" if eligible else "ineligible"))
    form.locator("input[type=submit]").click()
    page.wait_for_url(change_url)
    errors = page.locator("ul.messagelist li.error, #decision-form .errorlist")
    assert not errors.count(), errors.all_inner_texts()
    expect(admin_success(page)).to_be_visible()


def seat_accepted(walk: Walk, username: str, cycle, shoot: bool = False):
    """The expert answers the invitation from the workspace and signs the pledge."""
    page = walk.as_user(username)
    page.goto(walk.url(reverse("review:dashboard")))
    if shoot:
        walk.shoot(page, "expert-invited")
    page.get_by_role("link", name=zh("Answer the invitation")).click()
    page.wait_for_url(re.compile(r".*/review/invitations/\d+/$"))
    page.locator('input[name="answer"][value="accept"]').check()
    if shoot:
        walk.shoot(page, "expert-seat-reply")
    page.get_by_role("button", name=zh("Send my answer")).click()
    page.wait_for_url(walk.url(reverse("review:dashboard")))
    page.get_by_role("link", name=zh("Sign the pledge")).first.click()
    page.wait_for_url(walk.url(reverse("review:pledge", args=[cycle.pk])))
    page.check("#agree")
    if shoot:
        walk.shoot(page, "expert-pledge")
    page.get_by_role("button", name=zh("Sign")).click()
    page.wait_for_url(lambda url: reverse("review:pledge", args=[cycle.pk]) not in url)
    return page


# The sheet is filled in one go and posted whole by its submit button (which saves every item, Art. 12). Typing
# item by item would fire an autosave per item (tests/browser/test_scoring_browser.py covers those): 23 requests
# per sheet at once, which the live server's threads would race on SQLite's single writer, and 20 sheets of them
# would not fit the walk's time budget. The input event still drives the page's live total.
FILL_SHEET_JS = """({percent, strengths, gaps}) => {
  document.querySelectorAll('#score-form input.self-percent').forEach((input) => {
    input.value = percent;
    input.dispatchEvent(new Event('input', {bubbles: true}));
  });
  document.querySelectorAll('#score-form textarea[name^="s_"]').forEach((box) => { box.value = strengths; });
  document.querySelectorAll('#score-form textarea[name^="o_"]').forEach((box) => { box.value = gaps; });
}"""


def score_sheet(walk: Walk, username: str, dossier, stage: str, percent: int, shoot_as: str = ""):
    """The expert opens the dossier from the workspace, scores all 23 items and submits the sheet."""
    page = walk.as_user(username)
    page.goto(walk.url(reverse("review:dashboard")))
    page.locator(f'main a[href="{reverse("review:dossier", args=[dossier.pk])}"]').first.click()
    page.wait_for_url(walk.url(reverse("review:dossier", args=[dossier.pk])))
    score_url = reverse("review:score", args=[dossier.pk, stage])
    page.locator(f'main a[href="{score_url}"]').first.click()
    page.wait_for_url(walk.url(score_url))
    expect(page.locator("#score-form input.self-percent")).to_have_count(23)
    page.evaluate(
        FILL_SHEET_JS, {"percent": str(percent), "strengths": "方法系统，展开充分。", "gaps": "量化分析有待加强。"}
    )
    expect(page.locator("output#self-total")).to_have_text(str(10 * percent))  # the page's live total
    if shoot_as:
        walk.shoot(page, shoot_as)
    page.get_by_role("button", name=zh("Submit the sheet")).click()
    page.wait_for_url(walk.url(score_url))
    expect(page.locator("main .alert-secondary")).to_have_text(zh("This sheet is read-only."))
    return page


def record_consensus(walk: Walk, username: str, panel, dossier, stage: str, shoot_as: str = ""):
    """The panel leader opens the consensus from the panel page, keeps the prefilled aggregate and records it."""
    page = walk.as_user(username)
    page.goto(walk.url(reverse("review:dashboard")))
    page.locator(f'main a[href="{reverse("review:panel", args=[panel.pk])}"]').first.click()
    page.wait_for_url(walk.url(reverse("review:panel", args=[panel.pk])))
    consensus_url = reverse("review:consensus", args=[panel.pk, dossier.pk, stage])
    page.locator(f'main a[href="{consensus_url}"]').click()
    page.wait_for_url(walk.url(consensus_url))
    page.locator("textarea[name=strengths]").fill("领导层重视卓越绩效管理，战略目标层层分解落实。")
    page.locator("textarea[name=opportunities]").fill("结果类指标缺少与行业标杆的系统对比。")
    issues = page.locator("textarea[name=issues_to_verify]")
    if issues.count():
        issues.fill("核实顾客满意度测评的方法和样本量。")
    if shoot_as:
        walk.shoot(page, shoot_as)
    page.get_by_role("button", name=zh("Record the consensus")).click()
    page.wait_for_load_state()
    errors = page.locator("main .alert-danger, main .invalid-feedback")
    assert not errors.count(), errors.all_inner_texts()
    return page


def apply_onsite_selection(walk: Walk, page, cycle):
    """The secretariat applies the on-site selection from the selections' list (its object tool)."""
    page.goto(walk.url(reverse("admin:review_onsiteselection_changelist")))
    page.locator("a.apply-selection-link").click()
    page.wait_for_url(walk.url(reverse("admin:review_onsiteselection_apply", args=[cycle.pk])))
    walk.shoot(page, "admin-onsite-selection")
    page.locator("#apply-selection-form input[type=submit]").click()
    page.wait_for_load_state()
    errors = page.locator("ul.messagelist li.error, .errornote")
    assert not errors.count(), errors.all_inner_texts()


def plan_visit(walk: Walk, page, dossier, team_seats, starts_on):
    """The secretariat plans a selected dossier's visit and its team in the admin."""
    page.goto(walk.url(reverse("admin:review_onsitevisit_add")))
    page.select_option("#id_dossier", str(dossier.pk))
    page.fill("#id_starts_on", starts_on.isoformat())
    page.fill("#id_ends_on", (starts_on + dt.timedelta(days=1)).isoformat())
    page.fill("#id_place", "河南省漯河市源汇区沙澧大道88号")
    page.fill("#id_notes", "请申报单位准备近三年的质量、财务原始记录。")
    for seat in team_seats:
        page.check(f'input[name="team"][value="{seat.pk}"]')
    return page


# --- the committee ---


def add_committee_member(walk: Walk, page, cycle, user, office: str, affiliation: str):
    page.goto(walk.url(reverse("admin:committee_committeemember_add")))
    page.select_option("#id_cycle", str(cycle.pk))
    page.select_option("#id_user", str(user.pk))
    page.select_option("#id_office", office)
    page.fill("#id_affiliation", affiliation)
    return page


def cast_ballot(walk: Walk, username: str, approve: bool, shoot: bool = False):
    """The member opens the committee's page, goes to the ballot, approves every candidate and casts it."""
    page = walk.as_user(username)
    page.goto(walk.url(reverse("committee:home")))
    if shoot:
        walk.shoot(page, "committee-candidates")
    page.get_by_role("link", name=zh("Go to the ballot")).click()
    page.wait_for_url(walk.url(reverse("committee:ballot")))
    radios = page.locator(
        "#ballot-form input[type=radio][value=approve]" if approve else "#ballot-form input[type=radio][value=abstain]"
    )
    for number in range(radios.count()):
        radios.nth(number).check()
    page.check("#ballot-final")
    if shoot:
        walk.shoot(page, "committee-ballot")
    page.get_by_role("button", name=zh("Cast my ballot")).click()
    page.wait_for_load_state()
    errors = page.locator("main .alert-danger, main .invalid-feedback")
    assert not errors.count(), errors.all_inner_texts()
    return page


class StageTimer:
    """Seconds per stage of the walk, printed at the end (the walk has a time budget in CI)."""

    def __init__(self):
        self.seconds = {}

    @contextlib.contextmanager
    def __call__(self, stage: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = time.perf_counter() - started

    def report(self):
        parts = ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in self.seconds.items())
        print(f"\nwhole cycle walk: {sum(self.seconds.values()):.1f}s ({parts})")
