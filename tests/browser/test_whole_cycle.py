"""One whole award cycle in a real Chromium, in Chinese, through the pages people use (issue 8).

Each role logs in as itself through /accounts/login/: the secretariat works in the admin, the organisations in the
portal, the experts in /review/, the committee in /committee/, a member of the public in the publicity's form and
the verification page. Only what no page makes is made with the factories: the secretariat's account, the expert
pool and the committee members' user accounts. Calendar time (the application deadline, the seven days of the
publicity) passes through `Clock` (see cycle_steps.py). The secretariat opens the admin's pages by their address, as
the admin's sidebar links them. Every step leaves a full-page screenshot in
test-results/browser/cycle/; no page of the walk may break the Content Security Policy or raise a script error.
"""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from applications.enums import DossierState
from committee.enums_awards import ObjectionState
from committee.enums_voting import ListState
from committee.models import Award, AwardApproval, Certificate, Objection, ProposedList, Publicity, VotingSession
from mayor_award.core.enums import CyclePhase, NoticeKind, NoticeState, Role
from mayor_award.core.models import Cycle, Notice
from review.models import Panel
from tests.browser import cycle_steps as steps
from tests.browser.cycle_steps import Applicant, Clock, Walk, zh
from tests.factories.applications import pdf_bytes
from tests.factories.core import PASSWORD, UserFactory
from tests.factories.review import ExpertFactory

# live_server makes the test transactional; see the comment at the top of test_public_site.py.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

SECRETARIAT = "mishuchu-quanliucheng"
APPLICANT_PASSWORD = "Luohe-Award-2026"
APPLICANTS = [
    Applicant("漯河市沙澧食品科技有限公司", "91411102MA9F3K7Q2", "shali-quality", "quality@shali.example.cn", "王质量"),
    Applicant(
        "漯河市源汇调味品有限公司", "91411102MA9F3K8R1", "yuanhui-quality", "quality@yuanhui.example.cn", "李质量"
    ),
    Applicant(
        "漯河市郾城面业有限公司", "91411102MA9F3K9T5", "yancheng-quality", "quality@yancheng.example.cn", "张质量"
    ),
]
EXPERTS = [f"zhuanjia-{number:02d}" for number in range(1, 6)]
MATERIAL = [70, 60]  # each eligible dossier's level in the material review, in percent
ONSITE = [75, 65]
COMMITTEE = [
    ("weiyuan-01", "director", "漯河市人民政府（分管质量工作副市长）"),
    ("weiyuan-02", "deputy", "漯河市市场监督管理局"),
    ("weiyuan-03", "member", "漯河市质量协会"),
]


def pdf_file(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes()}


@pytest.fixture
def walk(live_server, new_context, screenshot_dir, settings):
    settings.SITE_URL = live_server.url  # the links in notices and e-mails point at the server under test
    directory = screenshot_dir / "cycle"
    directory.mkdir(exist_ok=True)
    for old in directory.glob("*.png"):
        old.unlink()
    return Walk(base=live_server.url, new_context=new_context, directory=directory)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def open_cycle(walk: Walk) -> Cycle:
    """The secretariat creates the cycle in the admin, publishes its announcement and opens applications."""
    UserFactory(username=SECRETARIAT, name="赵秘书", roles=["secretariat"], is_staff=True)
    walk.add_person(SECRETARIAT, PASSWORD)
    page = walk.as_user(SECRETARIAT)
    walk.shoot(page, "admin-index")
    today = timezone.localdate()
    deadline = today + dt.timedelta(days=20)

    page.goto(walk.url(reverse("admin:core_cycle_add")))
    page.fill("#id_number", "1")
    page.fill("#id_year", str(today.year))
    page.fill("#id_title", "第一届漯河市市长质量奖")
    page.fill("#id_applications_open_on", today.isoformat())
    page.fill("#id_application_deadline_0", deadline.isoformat())
    page.fill("#id_application_deadline_1", "17:00:00")
    walk.shoot(page, "admin-cycle-add")
    steps.admin_save(page)
    cycle = Cycle.objects.get(number=1)

    page.goto(walk.url(reverse("admin:core_notice_add")))
    page.select_option("#id_cycle", str(cycle.pk))
    page.select_option("#id_kind", NoticeKind.CYCLE_ANNOUNCEMENT.value)
    page.fill("#id_title", f"关于开展{cycle.title}评审工作的公告")
    page.fill("#id_body", "各有关单位：\n\n第一届漯河市市长质量奖评审工作现已启动，欢迎符合条件的组织申报。")
    page.select_option("#id_state", NoticeState.SCHEDULED.value)  # no time: due now, published on commit
    walk.shoot(page, "admin-notice-add")
    steps.admin_save(page)
    notice = Notice.objects.get(cycle=cycle, kind=NoticeKind.CYCLE_ANNOUNCEMENT)
    assert notice.state == NoticeState.PUBLISHED

    steps.advance_cycle(walk, page, cycle, CyclePhase.OPEN)
    walk.shoot(page, "admin-cycle-open")
    public = walk.browser("visitor")
    walk.prove_the_watch(public)
    public.goto(walk.url(notice.get_absolute_url()))
    expect(public.locator("article h1")).to_have_text(notice.title)
    walk.shoot(public, "public-notice")
    return cycle


def applications_submitted(walk: Walk, cycle: Cycle) -> list:
    dossiers = []
    for number, who in enumerate(APPLICANTS):
        page = steps.register(walk, who, APPLICANT_PASSWORD, mail.outbox)
        if number == 0:
            walk.shoot(page, "registered")
        dossiers.append(steps.apply(walk, who, cycle, pdf_bytes(), shoot=number == 0))
    assert [d.state for d in dossiers] == [DossierState.SUBMITTED] * 3
    return dossiers


def eligibility_reviewed(walk: Walk, clock: Clock, cycle: Cycle, dossiers: list) -> list:
    """The deadline passes; the secretariat finds two dossiers eligible and the third ineligible."""
    clock.advance(dt.timedelta(days=21))  # past the application deadline the cycle was given (Art. 15)
    walk.sessions_expired()
    page = walk.as_user(SECRETARIAT)
    steps.advance_cycle(walk, page, cycle, CyclePhase.ELIGIBILITY)
    walk.shoot(page, "admin-cycle-eligibility")
    for number, dossier in enumerate(dossiers):
        steps.decide_eligibility(walk, page, dossier, eligible=number < 2, shoot=number >= 1)
    walk.shoot(page, "admin-eligibility-decided")
    for dossier in dossiers:
        dossier.refresh_from_db()
    assert [d.state for d in dossiers] == [DossierState.ELIGIBLE, DossierState.ELIGIBLE, DossierState.INELIGIBLE]
    return dossiers[:2]


def panel_drawn(walk: Walk, cycle: Cycle, eligible: list) -> Panel:
    """The secretariat forms a panel for the two eligible dossiers and draws its five experts."""
    for number in range(len(EXPERTS)):
        user = UserFactory(username=EXPERTS[number], name=f"专家{number + 1}", roles=[Role.EXPERT])
        ExpertFactory(user=user)
        walk.add_person(user.username, PASSWORD)
    page = walk.as_user(SECRETARIAT)
    page.goto(walk.url(reverse("admin:review_panel_add")))
    page.select_option("#id_cycle", str(cycle.pk))
    page.fill("#id_name", "制造业评审组")
    page.check('input[name="industries"][value="C"]')
    page.fill("#id_size", "5")
    for dossier in eligible:
        page.check(f'input[name="assigned_dossiers"][value="{dossier.pk}"]')
    walk.shoot(page, "admin-panel-add")
    steps.admin_save(page)
    panel = Panel.objects.get(cycle=cycle)
    page.goto(walk.url(reverse("admin:review_panel_change", args=[panel.pk])))
    page.locator("#draw-form input[type=submit]").click()
    expect(page.locator("#draw-members tbody tr")).to_have_count(5)
    walk.shoot(page, "admin-panel-drawn")
    return panel


def material_review(walk: Walk, cycle: Cycle, panel: Panel, eligible: list):
    for number, username in enumerate(EXPERTS):
        steps.seat_accepted(walk, username, cycle, shoot=number == 0)
    page = walk.as_user(SECRETARIAT)
    steps.advance_cycle(walk, page, cycle, CyclePhase.MATERIAL_REVIEW)
    walk.shoot(page, "admin-cycle-material-review")
    leader = panel.seats.get(is_leader=True).expert.user.username
    for position, dossier in enumerate(eligible):
        for number, username in enumerate(EXPERTS):
            shoot_as = "expert-material-score" if (position, number) == (0, 0) else ""
            steps.score_sheet(walk, username, dossier, "material", MATERIAL[position], shoot_as=shoot_as)
        steps.record_consensus(
            walk, leader, panel, dossier, "material", shoot_as="leader-material-consensus" * (position == 0)
        )
    return leader


def onsite_review(walk: Walk, cycle: Cycle, panel: Panel, eligible: list, leader: str):
    """Selection, visits by a team of three, their sheets and consensus, then the leader hands over the list."""
    page = walk.as_user(SECRETARIAT)
    steps.apply_onsite_selection(walk, page, cycle)
    walk.shoot(page, "admin-onsite-selection-applied")
    for dossier in eligible:
        dossier.refresh_from_db()
    assert [d.state for d in eligible] == [DossierState.SELECTED] * 2
    seats = list(panel.seats.select_related("expert__user").order_by("rank"))
    team = seats[:3]  # the leader (rank 1) and two more
    for number, dossier in enumerate(eligible):
        steps.plan_visit(walk, page, dossier, team, timezone.localdate() + dt.timedelta(days=3 + 3 * number))
        if number == 0:
            walk.shoot(page, "admin-onsite-visit")
        steps.admin_save(page)
    steps.advance_cycle(walk, page, cycle, CyclePhase.ONSITE_REVIEW)
    walk.shoot(page, "admin-cycle-onsite-review")
    for position, dossier in enumerate(eligible):
        for number, seat in enumerate(team):
            shoot_as = "expert-onsite-score" if (position, number) == (0, 1) else ""
            steps.score_sheet(walk, seat.expert.user.username, dossier, "onsite", ONSITE[position], shoot_as=shoot_as)
        steps.record_consensus(
            walk, leader, panel, dossier, "onsite", shoot_as="leader-onsite-consensus" * (position == 0)
        )
    page = walk.as_user(leader)
    page.goto(walk.url(reverse("review:dashboard")))
    page.locator(f'a[href="{reverse("review:candidates", args=[panel.pk])}"]').click()
    page.wait_for_url(walk.url(reverse("review:candidates", args=[panel.pk])))
    page.get_by_role("button", name=zh("Hand over to the committee")).click()
    expect(page.locator("main .messages .alert-success")).to_have_text(
        zh("The candidate list is handed over to the committee; it is now fixed.")
    )
    walk.shoot(page, "leader-candidates-handed-over")


def committee_votes(walk: Walk, cycle: Cycle):
    """The committee of three is recorded, the vote opened, cast by each member, closed and ranked; the proposed
    list is confirmed."""
    page = walk.as_user(SECRETARIAT)
    steps.advance_cycle(walk, page, cycle, CyclePhase.DELIBERATION)
    for number, (username, office, affiliation) in enumerate(COMMITTEE):
        user = UserFactory(username=username, name=f"委员{number + 1}", roles=[Role.COMMITTEE])
        walk.add_person(username, PASSWORD)
        steps.add_committee_member(walk, page, cycle, user, office, affiliation)
        if number == 0:
            walk.shoot(page, "admin-committee-member")
        steps.admin_save(page)
    page.goto(walk.url(reverse("admin:committee_votingsession_add")))
    page.select_option("#id_cycle", str(cycle.pk))
    steps.admin_save(page)
    session = VotingSession.objects.get(cycle=cycle)
    session_url = walk.url(reverse("admin:committee_votingsession_change", args=[session.pk]))
    page.goto(session_url)
    walk.shoot(page, "admin-vote-prepared")
    page.get_by_role("button", name=zh("Open the vote")).click()
    page.wait_for_url(session_url)
    expect(steps.admin_success(page)).to_be_visible()

    for number, (username, _office, _affiliation) in enumerate(COMMITTEE):
        page = steps.cast_ballot(walk, username, approve=True, shoot=number == 0)
        if number == 0:
            walk.shoot(page, "committee-ballot-cast")

    page = walk.as_user(SECRETARIAT)
    page.goto(session_url)
    page.get_by_role("button", name=zh("Close the vote and count it")).click()
    page.wait_for_url(session_url)
    expect(steps.admin_success(page).first).to_be_visible()
    walk.shoot(page, "admin-vote-closed")
    page.get_by_role("button", name=zh("Compute the ranking")).click()
    page.wait_for_load_state()
    page.goto(session_url)
    page.get_by_role("link", name=zh("Ranking and proposed list")).click()
    page.wait_for_url(lambda url: "/proposedlist/" in url)
    walk.shoot(page, "admin-ranking")
    page.get_by_role("button", name=zh("Confirm the proposed list")).click()
    page.wait_for_load_state()
    expect(steps.admin_success(page).first).to_be_visible()
    walk.shoot(page, "admin-proposed-list-confirmed")
    assert ProposedList.objects.get(cycle=cycle).state == ListState.CONFIRMED


def publicity_run(walk: Walk, clock: Clock, cycle: Cycle):
    """Government approval, the publicity and an objection dismissed with a reply; seven days pass."""
    page = walk.as_user(SECRETARIAT)
    steps.advance_cycle(walk, page, cycle, CyclePhase.APPROVAL)
    page.goto(walk.url(reverse("admin:committee_governmentapproval_add")))
    page.select_option("#id_proposed_list", str(ProposedList.objects.get(cycle=cycle).pk))
    page.fill("#id_meeting", "漯河市人民政府第五次常务会议")
    page.fill("#id_meeting_date", timezone.localdate().isoformat())
    page.fill("#id_minutes_number", f"漯政常纪〔{cycle.year}〕5号")
    page.set_input_files("#id_document", files=[pdf_file("常务会议纪要.pdf")])
    walk.shoot(page, "admin-government-approval")
    steps.admin_save(page)
    steps.advance_cycle(walk, page, cycle, CyclePhase.PUBLICITY)

    today = timezone.localdate()
    page.goto(walk.url(reverse("admin:committee_publicity_add")))
    page.select_option("#id_cycle", str(cycle.pk))
    page.fill("#id_starts_on", today.isoformat())
    page.fill("#id_ends_on", (today + dt.timedelta(days=6)).isoformat())  # seven days, both ends counted
    page.fill("#id_channel", "漯河日报、漯河市人民政府网站")
    walk.shoot(page, "admin-publicity-add")
    steps.admin_save(page)
    publicity = Publicity.objects.select_related("notice").get(cycle=cycle)
    assert publicity.notice.is_published  # due at once: published by the notice publication on commit

    # A member of the public finds the publicity from the home page: its notice links to the objection form.
    public = walk.browser("visitor")
    public.goto(walk.url(reverse("home")))
    public.locator(f'main a[href="{publicity.notice.get_absolute_url()}"]').first.click()
    public.wait_for_url(walk.url(publicity.notice.get_absolute_url()))
    walk.shoot(public, "public-publicity-notice")
    publicity_url = reverse("committee:publicity", args=[cycle.number])
    public.locator(f'.notice-body a[href="{walk.url(publicity_url)}"]').click()
    public.wait_for_url(walk.url(publicity_url))
    walk.shoot(public, "public-publicity")
    form = public.locator("section[aria-labelledby=objection-form] form")
    form.locator("select[name=candidate]").select_option(index=1)
    form.locator("input[name=name]").fill("孙立新")
    form.locator("input[name=organisation]").fill("漯河市恒通电子商行")
    form.locator("input[name=phone]").fill("13903950123")
    form.locator("input[name=email]").fill("sunlixin@example.cn")
    form.locator("textarea[name=text]").fill(
        "反映该企业2023年有一批次产品因质量问题被客户退货，申报材料未如实说明，请予核查。"
    )
    form.locator("input[type=file]").set_input_files(files=[pdf_file("退货情况说明.pdf")])
    walk.shoot(public, "public-objection-form")
    form.locator("button[type=submit]").click()
    public.wait_for_load_state()
    walk.shoot(public, "public-objection-sent")
    objection = Objection.objects.get(cycle=cycle)

    page = walk.as_user(SECRETARIAT)
    change_url = walk.url(reverse("admin:committee_objection_change", args=[objection.pk]))
    page.goto(walk.url(reverse("admin:committee_objection_changelist")))
    page.locator(f'#result_list a[href$="/{objection.pk}/change/"]').click()
    page.wait_for_url(change_url)
    page.get_by_role("button", name=zh("Mark as under investigation")).click()
    page.wait_for_url(change_url)
    page.check('input[name="outcome"][value="dismissed"]')
    page.fill("textarea[name=reply]", "经调查核实，您反映的退货系客户订单变更所致，不属于质量事故，不影响评审结论。")
    walk.shoot(page, "admin-objection-decide")
    page.get_by_role("button", name=zh("Record the decision and send the reply")).click()
    page.wait_for_url(change_url)
    walk.shoot(page, "admin-objection-dismissed")
    objection.refresh_from_db()
    assert objection.state == ObjectionState.DISMISSED
    assert any("sunlixin@example.cn" in message.to for message in mail.outbox)

    clock.advance(dt.timedelta(days=8))  # the publicity's seven days pass (Art. 17)
    walk.sessions_expired()


def announced(walk: Walk, cycle: Cycle) -> str:
    """The mayor's signature, the announcement, the awards and their certificates; one is verified publicly."""
    page = walk.as_user(SECRETARIAT)
    today = timezone.localdate()
    page.goto(walk.url(reverse("admin:committee_awardapproval_add")))
    page.select_option("#id_cycle", str(cycle.pk))
    page.fill("#id_vice_mayor", "委员1")
    page.fill("#id_reviewed_on", (today - dt.timedelta(days=1)).isoformat())
    page.fill("#id_mayor", "李明远")
    page.fill("#id_signed_on", today.isoformat())
    page.set_input_files("#id_document", files=[pdf_file("市长签批件.pdf")])
    walk.shoot(page, "admin-award-approval")
    steps.admin_save(page)
    approval = AwardApproval.objects.get(cycle=cycle)
    page.goto(walk.url(reverse("admin:committee_awardapproval_change", args=[approval.pk])))
    page.get_by_role("button", name=zh("Schedule the award announcement")).click()  # no time: published now
    page.wait_for_load_state()
    walk.shoot(page, "admin-announcement")
    steps.advance_cycle(walk, page, cycle, CyclePhase.ANNOUNCED)
    assert Award.objects.filter(cycle=cycle).count() == 2

    page.goto(walk.url(reverse("admin:committee_award_changelist")))
    page.select_option("#id_cycle", str(cycle.pk))
    page.get_by_role("button", name=zh("Render every certificate")).click()
    page.wait_for_load_state()
    walk.shoot(page, "admin-certificates")
    certificate = Certificate.objects.filter(award__cycle=cycle).order_by("serial").first()
    assert certificate is not None

    # The public: the home page's latest notices, the award announcement, its link to the winners, and from there
    # the certificate's verification page (where its QR code leads too).
    announcement = Notice.objects.get(cycle=cycle, kind=NoticeKind.AWARD_ANNOUNCEMENT, state=NoticeState.PUBLISHED)
    public = walk.browser("visitor")
    public.goto(walk.url(reverse("home")))
    public.locator(f'main a[href="{announcement.get_absolute_url()}"]').first.click()
    public.wait_for_url(walk.url(announcement.get_absolute_url()))
    walk.shoot(public, "public-award-announcement")
    winners_url = reverse("committee:winners")
    public.locator(f'.notice-body a[href="{walk.url(winners_url)}"]').click()
    public.wait_for_url(walk.url(winners_url))
    walk.shoot(public, "public-winners")
    verify_url = reverse("committee:verify", args=[certificate.serial])
    public.locator(f'main a[href="{verify_url}"]').click()
    public.wait_for_url(walk.url(verify_url))
    expect(public.locator("main")).to_contain_text(certificate.award.organisation.name)
    expect(public.locator("main")).to_contain_text(certificate.serial)
    walk.shoot(public, "public-verify")
    return certificate.serial


def test_a_whole_cycle_through_the_pages(walk, clock):
    timer = steps.StageTimer()
    with timer("open"):
        cycle = open_cycle(walk)
    with timer("applications"):
        dossiers = applications_submitted(walk, cycle)
    with timer("eligibility"):
        eligible = eligibility_reviewed(walk, clock, cycle, dossiers)
    with timer("panel"):
        panel = panel_drawn(walk, cycle, eligible)
    with timer("material review"):
        leader = material_review(walk, cycle, panel, eligible)
    with timer("on-site review"):
        onsite_review(walk, cycle, panel, eligible, leader)
    with timer("deliberation"):
        committee_votes(walk, cycle)
    with timer("publicity"):
        publicity_run(walk, clock, cycle)
    with timer("announcement"):
        announced(walk, cycle)
    timer.report()  # figures, not assertions: the budget is watched in CI's log
    print(f"{walk.number} screenshots: {walk.screenshot_seconds:.1f}s; {len(walk.visited)} pages checked")

    cycle.refresh_from_db()
    assert cycle.phase == CyclePhase.ANNOUNCED
    assert len(walk.visited) > 60, sorted(walk.visited)  # the language was checked on every page of the walk
    walk.expect_no_problems()
