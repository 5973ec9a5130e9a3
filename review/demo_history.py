"""The demo's past cycles, reviewed: the second (2022) and third (2024) cycles from their announcement to the
candidate lists the panels hand over to the committee. committee/demo_history.py then decides them.

Every step goes through the services, on the cycle's own dates: `demo_clock` makes `django.utils.timezone.now` (and
so `localdate`, `auto_now` fields, history rows and every date check of the services) answer a moment of the
cycle's year while the step runs, so a 2024 cycle is applied for in April 2024, scored in July and visited in
August, and its records say so. The clock only moves forward and is put back when the step ends; the work queued
for after the commit (receipts, report PDFs, letters) runs on the real clock.

- The second cycle: 漯河宏远包装材料有限公司 (applicant16) and 漯河卫龙食品科技有限公司 before one panel; 宏远 wins,
  and its award is revoked for fraud the next year (committee/demo_history.py).
- The third cycle: six dossiers before two panels of five; 漯河银鸽纸业 stays below the on-site selection's minimum
  score, the other five are visited and handed over. Its winners are organisations that do not apply in the
  fourth cycle (a winner is barred for three cycles, Art. 25): 漯河恒瑞食品科技 (applicant13), 漯河嘉禾电子科技
  (applicant14) and 漯河市仁和医院 (applicant15).

Idempotent: each cycle is carried forward from the phase it is in, and nothing is done for a cycle past its
on-site review. A cycle an older demo left closed without dossiers stays as it is.
"""

import contextlib
import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications import sections
from applications import services as application_services
from applications.demo import DEMO_PDF, ORGANISATIONS, credit_code
from applications.enums import DossierState, EligibilityDecisionKind
from applications.models import Dossier, Membership, Organisation
from mayor_award.core import services as core_services
from mayor_award.core.demo import ANNOUNCEMENT, GIVEN, SURNAMES, demo_user, local_time
from mayor_award.core.enums import CriteriaKind, CyclePhase, NoticeKind, NoticeState, Role
from mayor_award.core.models import Cycle, Notice, User

from . import consensus, notifications, onsite, services, sheets
from .enums import ReviewStage, SeatStatus, SheetState
from .models import OnsiteVisit, Panel, PanelDossier

# --- the clock ---


class DemoClock:
    """A moment in the past that runs on with the real clock; `travel` only ever moves it forward."""

    def __init__(self, real_now):
        self._real_now = real_now
        self._offset = None

    def now(self):
        return self._real_now() + self._offset if self._offset is not None else self._real_now()

    def travel(self, moment):
        if self._offset is None or moment > self.now():
            self._offset = moment - self._real_now()


@contextlib.contextmanager
def demo_clock():
    """Within the block, django.utils.timezone.now answers the DemoClock's time (see the module's docstring)."""
    real_now = timezone.now
    clock = DemoClock(real_now)
    timezone.now = clock.now
    try:
        yield clock
    finally:
        timezone.now = real_now


def on(cycle, month, day, hour=9, minute=0):
    """A moment of the cycle's year, in Luohe's time."""
    return local_time(dt.date(cycle.year, month, day), hour) + dt.timedelta(minutes=minute)


# --- the plans ---

SHUANGHUI, YINGE, WEILONG, BAIHUO = (ORGANISATIONS[index][0] for index in (0, 1, 2, 4))
HENGRUI = "漯河恒瑞食品科技有限公司"
JIAHE = "漯河嘉禾电子科技有限公司"
RENHE = "漯河市仁和医院"
HONGYUAN = "漯河宏远包装材料有限公司"

# Organisations that appear only in the past cycles, each with a login (applicantNN, NN their number):
# number, name, industry section, division, for-profit, registered in Luohe since.
PAST_ORGANISATIONS = [
    (13, HENGRUI, "C", "14", True, dt.date(2009, 4, 16)),
    (14, JIAHE, "C", "39", True, dt.date(2012, 9, 3)),
    (15, RENHE, "Q", "84", False, dt.date(2003, 6, 1)),
    (16, HONGYUAN, "C", "22", True, dt.date(2010, 11, 20)),
]


@dataclass(frozen=True)
class Entrant:
    """An applicant of a past cycle and the level its panel finds, in percent, in each stage."""

    organisation: str
    material: int
    onsite: int | None = None  # None: not expected to be selected for the on-site review
    awards: tuple = ()  # the national or provincial quality awards it declares: (name, level, year)


@dataclass(frozen=True)
class PanelPlan:
    name: str
    industries: tuple[str, ...]
    entrants: tuple[Entrant, ...]


@dataclass(frozen=True)
class CyclePlan:
    number: int
    panels: tuple[PanelPlan, ...]
    onsite_min_score: Decimal | None = None
    award_min_score: Decimal | None = None

    @property
    def entrants(self) -> list[Entrant]:
        return [entrant for panel in self.panels for entrant in panel.entrants]


PAST_CYCLES = (
    CyclePlan(
        number=2,
        panels=(PanelPlan("制造业评审组", ("C",), (Entrant(HONGYUAN, 72, 76), Entrant(WEILONG, 63, 61))),),
    ),
    CyclePlan(
        number=3,
        onsite_min_score=Decimal(500),
        award_min_score=Decimal(600),
        panels=(
            PanelPlan(
                "制造业评审组",
                ("C",),
                (
                    Entrant(HENGRUI, 74, 78, awards=(("河南省省长质量奖", "provincial", 2024),)),
                    Entrant(JIAHE, 68, 71),
                    Entrant(SHUANGHUI, 62, 56),
                    Entrant(YINGE, 44),
                ),
            ),
            PanelPlan("服务业和社会事业评审组", ("F", "Q"), (Entrant(RENHE, 66, 73), Entrant(BAIHUO, 60, 65))),
        ),
    ),
)
PLANS = {plan.number: plan for plan in PAST_CYCLES}
REVIEW_PHASES = (
    CyclePhase.DRAFT,
    CyclePhase.OPEN,
    CyclePhase.ELIGIBILITY,
    CyclePhase.MATERIAL_REVIEW,
    CyclePhase.ONSITE_REVIEW,
)

# --- the texts the experts write ---

PROCESS_STRENGTHS = [
    "{name}方面建立了系统的方法，职责和流程清晰，并在主要部门和岗位展开。",
    "{name}有明确的目标和测量指标，近三年按PDCA循环持续改进。",
    "{name}与组织的战略目标协调一致，形成了闭环管理。",
    "{name}有创新做法并取得实效，部分经验已在行业内交流推广。",
]
PROCESS_OPPORTUNITIES = [
    "{name}的展开尚未覆盖全部分支机构和外包过程。",
    "{name}的评价主要依靠定性判断，缺少量化的测量和分析。",
    "{name}与其他管理过程的整合不够，信息共享有待加强。",
    "{name}的学习改进机制有待系统化，改进成果的固化和推广不足。",
]
RESULT_STRENGTHS = [
    "{name}的关键指标近三年保持上升趋势，处于本市同行业领先水平。",
    "{name}提供了较完整的数据，与主要竞争对手相比有明显优势。",
    "{name}的主要指标达到或超过了组织设定的目标值。",
]
RESULT_OPPORTUNITIES = [
    "{name}缺少与省内外标杆的对比数据，难以判断领先程度。",
    "{name}部分指标近三年有波动，原因分析不够深入。",
    "{name}的指标与战略目标的对应关系不够清晰，部分关键指标未提供数据。",
]
OVERALL_STRENGTHS = [
    "领导层重视卓越绩效管理，使命、愿景和价值观清晰，战略目标层层分解落实。",
    "以顾客为中心的经营理念贯穿主要业务过程，顾客满意度持续提升。",
    "关键过程识别充分，过程控制和改进的方法系统，质量指标近三年持续改善。",
    "重视人才培养和技术创新，研发投入逐年增加，创新成果转化较好。",
    "履行社会责任积极主动，在节能环保、公益支持等方面成效明显。",
]
OVERALL_OPPORTUNITIES = [
    "部分管理方法的展开尚未覆盖全部业务单元和供应链上下游。",
    "结果类指标缺少与行业标杆的系统对比，趋势分析有待加强。",
    "知识管理和经验分享机制不够完善，改进成果的固化推广不足。",
    "战略实施的监测和调整机制有待细化，关键绩效指标的分解不够到位。",
    "相关方关系管理以合同约束为主，与关键供方的协同改进不足。",
]
ISSUES_TO_VERIFY = (
    "1. 核实顾客满意度测评的方法、样本量及近三年数据；\n"
    "2. 核实主要产品或服务质量指标的统计口径与原始记录；\n"
    "3. 现场查看关键过程的控制记录及近一年的改进项目。"
)
VISIT_NOTES = "请申报单位安排汇报场地，准备近三年的质量、财务原始记录；评审组将查看生产经营现场并访谈员工。"
EXPERT_BIAS = (0, 5, -5, 5, -5)  # each seat's leaning, by draw order: the panel's mean stays on the level
WIGGLE = (-10, -5, 0, 5, 10)


def _pick(options, *key):
    """One of `options`, fixed by `key` (the demo is the same on every run)."""
    digest = hashlib.sha256("/".join(str(part) for part in key).encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def _round5(value: int) -> int:
    return min(100, max(0, (value + 2) // 5 * 5))


# --- the step ---


def review_past_cycles(context):
    """Run each past cycle from where it stands to the candidates handed over (see the module's docstring)."""
    secretariat = context["secretariat"]
    for plan in PAST_CYCLES:
        cycle = Cycle.objects.filter(number=plan.number).first()
        if cycle is None or cycle.phase not in REVIEW_PHASES:
            if cycle is not None and context.get("stdout") and not cycle.dossiers.exists():
                context["stdout"].write(
                    f"Cycle {cycle.number} was loaded closed by an earlier demo and stays empty; "
                    "load the demo into a new database to see it run through its phases."
                )
            continue
        with demo_clock() as clock:
            _review(plan, cycle, secretariat, clock)


def _review(plan, cycle, secretariat, clock):
    if cycle.phase == CyclePhase.DRAFT:
        _announce(cycle, secretariat, clock)
        cycle = _advance(cycle, CyclePhase.OPEN, secretariat, clock, on(cycle, 3, 1))
    if cycle.phase == CyclePhase.OPEN:
        _applications(plan, cycle, clock)
        cycle = _advance(cycle, CyclePhase.ELIGIBILITY, secretariat, clock, on(cycle, 6, 3))
    if cycle.phase == CyclePhase.ELIGIBILITY:
        _eligibility(cycle, secretariat, clock)
        _panels(plan, cycle, secretariat, clock)
        clock.travel(on(cycle, 6, 25))
        cycle.onsite_min_score, cycle.award_min_score = plan.onsite_min_score, plan.award_min_score
        cycle.reviews_end_on = dt.date(cycle.year, 9, 15)
        cycle.announcement_expected_on = dt.date(cycle.year, 11, 30)
        core_services.cycle_save(cycle=cycle, by=secretariat)
        cycle = _advance(cycle, CyclePhase.MATERIAL_REVIEW, secretariat, clock, on(cycle, 7, 1))
    if cycle.phase == CyclePhase.MATERIAL_REVIEW:
        _stage(plan, cycle, ReviewStage.MATERIAL, clock)
        if not onsite.selection_applied(cycle):
            clock.travel(on(cycle, 7, 30))
            onsite.selection_apply(cycle=cycle, by=secretariat)
        _visits(cycle, secretariat, clock)
        cycle = _advance(cycle, CyclePhase.ONSITE_REVIEW, secretariat, clock, on(cycle, 8, 5))
    if cycle.phase == CyclePhase.ONSITE_REVIEW:
        _stage(plan, cycle, ReviewStage.ONSITE, clock)
        clock.travel(on(cycle, 9, 10))
        for panel in onsite.panels_not_handed_over(cycle):
            onsite.candidates_hand_over(panel=panel, by=_leader(panel).expert.user)


def _advance(cycle, phase, secretariat, clock, moment):
    clock.travel(moment)
    return core_services.cycle_advance(cycle=cycle, to=phase, by=secretariat)


def _announce(cycle, secretariat, clock):
    if cycle.notices.filter(kind=NoticeKind.CYCLE_ANNOUNCEMENT).exists():
        return
    publish_at = on(cycle, 2, 20, 10)
    clock.travel(publish_at)
    notice = Notice(
        cycle=cycle,
        kind=NoticeKind.CYCLE_ANNOUNCEMENT,
        title=f"关于开展{cycle.title}评审工作的公告",
        body=ANNOUNCEMENT.replace("第四届", cycle.title.removesuffix("漯河市市长质量奖")),
        state=NoticeState.SCHEDULED,
        publish_at=publish_at,
    )
    core_services.notice_save(notice=notice, by=secretariat)
    core_services.notice_publish(notice_id=notice.pk, now=publish_at)


# --- applications and eligibility ---


def _past_organisation(number):
    """A past cycle's own organisation and its applicant, made when it first applies."""
    _number, name, section, division, for_profit, since = next(row for row in PAST_ORGANISATIONS if row[0] == number)
    organisation, _ = Organisation.objects.get_or_create(
        credit_code=credit_code(number),
        defaults={
            "name": name,
            "kind": "for_profit" if for_profit else "non_profit",
            "legal_form": "enterprise" if for_profit else "institution",
            "registered_in_luohe_since": since,
            "registration_area": ["yuanhui", "yancheng", "shaoling", "economic_zone"][number % 4],
            "industry_section": section,
            "industry_division": division,
            "address": f"河南省漯河市{['源汇区', '郾城区', '召陵区'][number % 3]}黄河路{number * 6}号",
            "legal_representative": "王振华",
            "contact_name": "赵质量",
            "contact_phone": f"0395-53{number:05d}",
            "contact_email": f"quality{number:02d}@demo.luohe.example",
        },
    )
    people = [surname + given for given in GIVEN for surname in SURNAMES]
    user = demo_user(f"applicant{number:02d}", people[150 + number], Role.APPLICANT)
    Membership.objects.get_or_create(user=user, defaults={"organisation": organisation})
    return organisation, user


def _applicant(name):
    """The organisation called `name` and the applicant who acts for it."""
    past = next((row[0] for row in PAST_ORGANISATIONS if row[1] == name), None)
    if past is not None:
        return _past_organisation(past)
    index = next(index for index, row in enumerate(ORGANISATIONS, start=1) if row[0] == name)
    organisation = Organisation.objects.get(credit_code=credit_code(index))
    return organisation, User.objects.get(username=f"applicant{index:02d}")


def _applications(plan, cycle, clock):
    for number, entrant in enumerate(plan.entrants):
        clock.travel(on(cycle, 4, 6 + 2 * number, 10))
        organisation, user = _applicant(entrant.organisation)
        dossier = Dossier.objects.filter(cycle=cycle, organisation=organisation).first()
        if dossier is None:
            dossier = _write_dossier(cycle, organisation, user, entrant)
        if dossier.state == DossierState.DRAFT:
            clock.travel(on(cycle, 5, 10 + number, 15))
            application_services.dossier_submit(dossier=dossier, by=user)


def _write_dossier(cycle, organisation, user, entrant):
    dossier = application_services.dossier_start(cycle=cycle, organisation=organisation, by=user)
    years = sorted(sections.result_years(cycle), reverse=True)
    for_profit = organisation.kind == "for_profit"
    level = _round5(entrant.material + 10)  # applicants rate themselves a little higher than the panel
    section_data = {
        "basics": {
            "excellence_model_since": dt.date(years[-1] - 2, 1, 1),
            "certificates": "ISO 9001:2015\nISO 14001:2015\nISO 45001:2018",
            "overview": f"{organisation.name}坚持质量兴企，导入卓越绩效管理模式，以顾客为中心持续改进。",
            "competitors": ["河南某同行企业"],
            "customers": ["郑州某集团"],
            "suppliers": ["漯河某原料公司"],
        },
        "results": {
            "years": {
                str(year): {
                    "operating_revenue": Decimal(40000 + 6000 * position),
                    "total_profit_and_tax": Decimal(5000 + 500 * position),
                    "net_profit": Decimal(2500 + 300 * position),
                    "asset_contribution_rate": Decimal("13.2"),
                    "quality_indicators": "产品一次交验合格率99.5%，顾客满意度91分",
                }
                for position, year in enumerate(years)
            },
            **(
                {"top_five_indicator": "operating_revenue", "top_five_rank": 1}
                if for_profit
                else {"social_contribution": "承担全市医疗急救和公共卫生任务，年门诊量60万人次。"}
            ),
        },
        "self_assessment": {
            "items": {
                item.code: {"narrative": f"{item.name}：方法系统，展开充分，定期评价改进。", "percent": level}
                for item in sections.scored_items(cycle)
            }
        },
        "declarations": {
            **dict.fromkeys(sections.DECLARATION_ARTICLES, "affirmed"),
            "licences": ["食品生产许可证"] if organisation.industry_division in ("13", "14") else [],
            "awards": [{"name": name, "level": level, "year": year} for name, level, year in entrant.awards],
        },
    }
    for key, data in section_data.items():
        section = dossier.sections.get(key=key)
        application_services.section_save(dossier=dossier, key=key, data=data, version=section.version, by=user)
    purposes = [
        ("business_licence", "营业执照"),
        ("self_assessment_report", "自评报告"),
        ("commitment_letter", "承诺书"),
    ]
    if for_profit:
        purposes.append(("top_five_evidence", "行业排名证明"))
    for purpose, title in purposes:
        application_services.attachment_add(
            dossier=dossier,
            purpose=purpose,
            title=title,
            upload=SimpleUploadedFile(f"{title}.pdf", DEMO_PDF),
            kind="pdf",
            by=user,
        )
    return dossier


def _eligibility(cycle, secretariat, clock):
    clock.travel(on(cycle, 6, 10))
    for dossier in Dossier.objects.filter(cycle=cycle, state=DossierState.SUBMITTED).order_by("sequence"):
        application_services.eligibility_decide(
            dossier=dossier,
            kind=EligibilityDecisionKind.ELIGIBLE,
            by=secretariat,
            judgements={"9(1)-declaration": True, "9(2)-declaration": True},
        )


# --- panels ---


def _panels(plan, cycle, secretariat, clock):
    """One panel of five per plan, drawn with a fixed seed; every member accepts and signs the pledge."""
    for index, panel_plan in enumerate(plan.panels, start=1):
        if Panel.objects.filter(cycle=cycle, name=panel_plan.name).exists():
            continue
        clock.travel(on(cycle, 6, 14 + index))
        dossiers = [
            Dossier.objects.get(cycle=cycle, organisation=_applicant(entrant.organisation)[0])
            for entrant in panel_plan.entrants
        ]
        panel = services.panel_create(
            cycle=cycle,
            name=panel_plan.name,
            industries=list(panel_plan.industries),
            dossiers=dossiers,
            size=cycle.panel_min_size,
            by=secretariat,
        )
        panel = services.panel_draw(panel=panel, by=secretariat, seed=f"demo-{cycle.number}-{index}")
        clock.travel(on(cycle, 6, 17 + index, 10))
        for seat in panel.seats.select_related("expert__user").order_by("rank"):
            notifications.seat_invitation_mail(seat_id=seat.pk)  # now: after the commit it would be pointless
            user = seat.expert.user
            services.seat_reply(seat=seat, accept=True, by=user)
            services.pledge_sign(
                expert=seat.expert, cycle=cycle, ip_address="127.0.0.1", user_agent="演示数据", by=user
            )


def _seats(panel):
    return list(panel.seats.filter(status=SeatStatus.ACCEPTED).select_related("expert__user").order_by("rank"))


def _leader(panel):
    return panel.seats.select_related("expert__user").get(is_leader=True, status=SeatStatus.ACCEPTED)


# --- scoring ---


def _level(plan, dossier, stage):
    entrant = next(e for e in plan.entrants if e.organisation == dossier.organisation.name)
    return entrant.material if stage == ReviewStage.MATERIAL else entrant.onsite or entrant.material


def _comment(item, kind, *key):
    if kind == "strengths":
        options = RESULT_STRENGTHS if item.kind == CriteriaKind.RESULTS else PROCESS_STRENGTHS
    else:
        options = RESULT_OPPORTUNITIES if item.kind == CriteriaKind.RESULTS else PROCESS_OPPORTUNITIES
    return _pick(options, kind, item.code, *key).format(name=item.name)


def _entries(items, level, dossier, stage, position):
    """One expert's sheet: the level, the expert's leaning and each item's own variation; the first dossier of
    a panel gets two scores far from the panel from its last expert, for the consensus discussion."""
    entries = {}
    for number, item in enumerate(items):
        percent = level + EXPERT_BIAS[position % len(EXPERT_BIAS)] + _pick(WIGGLE, dossier.pk, stage, item.code)
        percent -= 3 if item.kind == CriteriaKind.RESULTS else 0
        if position == 4 and number in (5, 6) and dossier.sequence % 3 == 1:
            percent += 25
        entries[item.code] = {
            "percent": _round5(percent),
            "strengths": _comment(item, "strengths", dossier.pk, stage, position),
            "opportunities": _comment(item, "opportunities", dossier.pk, stage, position),
        }
    return entries


def _stage_work(cycle, stage):
    """(panel, dossier) pairs of the stage: by panel for the material review, by visit date on site."""
    assignments = PanelDossier.objects.filter(panel__cycle=cycle).select_related("panel", "dossier__organisation")
    if stage == ReviewStage.ONSITE:
        assignments = assignments.filter(dossier__onsite_visit__isnull=False).order_by(
            "dossier__onsite_visit__starts_on", "dossier__sequence"
        )
    else:
        assignments = assignments.order_by("panel_id", "dossier__sequence")
    return [(row.panel, row.dossier) for row in assignments]


def _stage(plan, cycle, stage, clock):
    """Every expected expert's sheet of every dossier of the stage, submitted, then the leader's consensus: in
    July for the material review (a dossier a day, the consensus meetings after them all), on site on the last
    day of each visit and the consensus the day after."""
    items = consensus.criteria_items(cycle)
    work = _stage_work(cycle, stage)
    if stage == ReviewStage.MATERIAL:
        for number, (panel, dossier) in enumerate(work):
            _sheets(plan, panel, dossier, stage, items, clock, on(cycle, 7, 5 + number, 9))
        for number, (panel, dossier) in enumerate(work):
            clock.travel(on(cycle, 7, 22 + number // 3, 10, 30 * number))
            _consensus(panel, dossier, stage)
        return
    for panel, dossier in work:
        ends_on = dossier.onsite_visit.ends_on
        _sheets(plan, panel, dossier, stage, items, clock, local_time(ends_on, 14))
        clock.travel(local_time(ends_on + dt.timedelta(days=1), 10))
        _consensus(panel, dossier, stage)


def _sheets(plan, panel, dossier, stage, items, clock, start):
    users = {seat.pk: seat.expert.user for seat in _seats(panel)}
    level = _level(plan, dossier, stage)
    for position, seat in enumerate(consensus.expected_seats(panel=panel, dossier=dossier, stage=stage)):
        clock.travel(start + dt.timedelta(minutes=30 * position))
        sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage=stage)
        if sheet.state != SheetState.DRAFT:
            continue
        sheet = sheets.sheet_save(
            sheet=sheet, entries=_entries(items, level, dossier, stage, position), by=users[seat.pk]
        )
        sheets.sheet_submit(sheet=sheet, by=users[seat.pk])


def _consensus(panel, dossier, stage):
    """The leader agrees each item at the panel's aggregate (the prefill) and records the panel's comments."""
    summed = consensus.aggregation(panel=panel, dossier=dossier, stage=stage)
    if summed.recorded:
        return
    leader = _leader(panel).expert.user
    entries = {
        row.item.code: {
            "percent": row.prefill,
            "strengths": _comment(row.item, "strengths", dossier.pk, stage, "panel"),
            "opportunities": _comment(row.item, "opportunities", dossier.pk, stage, "panel"),
        }
        for row in summed.rows
    }
    strengths = [_pick(OVERALL_STRENGTHS, dossier.pk, stage, n) for n in range(3)]
    opportunities = [_pick(OVERALL_OPPORTUNITIES, dossier.pk, stage, n) for n in range(3)]
    recorded = consensus.consensus_save(
        panel=panel,
        dossier=dossier,
        stage=stage,
        entries=entries,
        strengths="\n".join(dict.fromkeys(strengths)),
        opportunities="\n".join(dict.fromkeys(opportunities)),
        issues_to_verify=ISSUES_TO_VERIFY if stage == ReviewStage.MATERIAL else "",
        by=leader,
    )
    consensus.consensus_record(consensus=recorded, by=leader)


# --- the visits ---


def _visits(cycle, secretariat, clock):
    """Each selected dossier's visit: two days in August, the whole panel as the team."""
    clock.travel(on(cycle, 8, 2))
    selected = Dossier.objects.filter(
        cycle=cycle, state=DossierState.SELECTED, onsite_visit__isnull=True
    ).select_related("organisation")
    for number, dossier in enumerate(selected.order_by("panel_assignment__panel_id", "sequence")):
        starts_on = dt.date(cycle.year, 8, 12) + dt.timedelta(days=3 * number)
        visit = OnsiteVisit(
            dossier=dossier,
            starts_on=starts_on,
            ends_on=starts_on + dt.timedelta(days=1),
            place=dossier.organisation.address,
            notes=VISIT_NOTES,
        )
        onsite.visit_save(visit=visit, team=list(onsite.team_choices(dossier)), by=secretariat)
