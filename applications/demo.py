"""Demo step of the applications app: twelve organisations in four industries, dossiers in every state.

The fourth cycle's applications are written and submitted while it is open, then its deadline passes, it
moves to the eligibility review, and the secretariat's decisions are recorded. applicant01 … applicant12 each
act for one organisation. Two organisations fail on purpose: one registered in Luohe less than five years
(Art. 8(1)), one with a loss in one of the last three years (Art. 8(3)).
"""

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from stdnum.cn import uscc

from mayor_award.core import services as core_services
from mayor_award.core.demo import local_time, registry
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import Cycle, User

from . import sections, services
from .enums import DossierState, EligibilityDecisionKind
from .models import Dossier, Membership, Organisation
from .precheck import dossier_refresh_precheck
from .timewords import add_years, previous_financial_years

# A one-page PDF: the demo's stand-in for scanned documents.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

# name, industry section, division, for-profit, years in Luohe, final state, what is special
ORGANISATIONS = [
    ("漯河双汇食品加工有限公司", "C", "13", True, 20, DossierState.ELIGIBLE, ""),
    ("漯河银鸽纸业股份有限公司", "C", "22", True, 18, DossierState.ELIGIBLE, ""),
    ("漯河卫龙食品科技有限公司", "C", "14", True, 12, DossierState.SUBMITTED, ""),
    ("漯河新兴智能装备有限公司", "C", "34", True, 4, DossierState.INELIGIBLE, "8(1)"),
    ("漯河市百货商业集团有限公司", "F", "52", True, 25, DossierState.ELIGIBLE, ""),
    ("漯河万家物流配送有限公司", "F", "51", True, 9, DossierState.INELIGIBLE, "8(3)"),
    ("漯河市惠民超市连锁有限公司", "F", "52", True, 7, DossierState.CORRECTION, ""),
    ("漯河城建集团有限公司", "E", "47", True, 15, DossierState.SUBMITTED, ""),
    ("漯河市第二建筑工程有限公司", "E", "47", True, 30, DossierState.WITHDRAWN, ""),
    ("漯河市路桥建设有限公司", "E", "48", True, 11, DossierState.DRAFT, ""),
    ("漯河市中心医院", "Q", "84", False, 40, DossierState.ELIGIBLE, ""),
    ("漯河医学高等专科学校附属医院", "Q", "84", False, 22, DossierState.SUBMITTED, ""),
]
DEADLINE_DAYS_AGO = 5
AREAS = ["yuanhui", "yancheng", "shaoling", "wuyang", "linying", "economic_zone"]


def credit_code(number: int) -> str:
    body = f"914111{number:011d}"
    return body + uscc.calc_check_digit(body)


@registry.step(20)
def organisations_and_dossiers(context):
    cycle = Cycle.objects.get(number=4)
    secretariat = context["secretariat"]
    for index, row in enumerate(ORGANISATIONS, start=1):
        organisation = _organisation(index, row, cycle)
        user = User.objects.get(username=f"applicant{index:02d}")
        Membership.objects.get_or_create(user=user, defaults={"organisation": organisation})
        if (
            cycle.phase == CyclePhase.OPEN
            and not Dossier.objects.filter(cycle=cycle, organisation=organisation).exists()
        ):
            _write_dossier(cycle, organisation, user, row)
    if cycle.phase == CyclePhase.OPEN:
        _close_applications(cycle, secretariat)
    if cycle.phase == CyclePhase.ELIGIBILITY:
        _decide(cycle, secretariat)


def _organisation(index, row, cycle):
    name, section, division, for_profit, years, _state, special = row
    deadline = timezone.localdate() - dt.timedelta(days=DEADLINE_DAYS_AGO)
    # The Art. 8(1) failure is one month short of five years at the deadline.
    since = add_years(deadline, -5) + dt.timedelta(days=30) if special == "8(1)" else add_years(deadline, -years)
    organisation, _ = Organisation.objects.get_or_create(
        credit_code=credit_code(index),
        defaults={
            "name": name,
            "kind": "for_profit" if for_profit else "non_profit",
            "legal_form": "enterprise" if for_profit else "institution",
            "registered_in_luohe_since": since,
            "registration_area": AREAS[index % len(AREAS)],
            "industry_section": section,
            "industry_division": division,
            "address": f"河南省漯河市{['源汇区', '郾城区', '召陵区'][index % 3]}人民路{index * 8}号",
            "legal_representative": "张建华",
            "contact_name": "李质量",
            "contact_phone": f"0395-52{index:05d}",
            "contact_email": f"quality{index:02d}@demo.luohe.example",
        },
    )
    return organisation


def _write_dossier(cycle, organisation, user, row):
    _name, _section, _division, for_profit, _years, state, special = row
    dossier = services.dossier_start(cycle=cycle, organisation=organisation, by=user)
    # The figures cover the years required at the deadline as it stands now and as it will stand once moved
    # into the past (the two may differ across a new year); the loss of the Art. 8(3) case is in one of the latter.
    final_years = previous_financial_years(timezone.localdate() - dt.timedelta(days=DEADLINE_DAYS_AGO))
    years = sorted(set(sections.result_years(cycle)) | set(final_years), reverse=True)
    section_data = {
        "basics": {
            "excellence_model_since": dt.date(years[-1], 1, 1),
            "certificates": "ISO 9001:2015\nISO 14001:2015",
            "overview": f"{organisation.name}成立以来坚持质量第一，导入卓越绩效管理模式，建立了完善的质量管理体系。",
            "competitors": ["河南某同行企业"],
            "customers": ["郑州某集团"],
            "suppliers": ["漯河某原料公司"],
        },
        "results": {
            "years": {
                str(year): {
                    "operating_revenue": Decimal(50000 + 5000 * position),
                    "total_profit_and_tax": Decimal(6000 + 400 * position),
                    "net_profit": Decimal(-800)
                    if special == "8(3)" and position == 1
                    else Decimal(3000 + 200 * position),
                    "asset_contribution_rate": Decimal("12.5"),
                    "quality_indicators": "产品一次交验合格率99.6%，顾客满意度92分",
                }
                for position, year in enumerate(years)
            },
            **(
                {"top_five_indicator": "operating_revenue", "top_five_rank": 2}
                if for_profit
                else {"social_contribution": "承担全市公共卫生应急任务，年服务群众120万人次。"}
            ),
        },
        "self_assessment": {
            "items": {
                item.code: {"narrative": f"{item.name}：建立了系统的方法并全面展开，定期评价改进。", "percent": 55}
                for item in sections.scored_items(cycle)
            }
        },
        "declarations": {
            **dict.fromkeys(sections.DECLARATION_ARTICLES, "affirmed"),
            "licences": ["食品生产许可证"] if organisation.industry_section == "C" else [],
            "awards": [],
        },
    }
    for key, data in section_data.items():
        section = dossier.sections.get(key=key)
        services.section_save(dossier=dossier, key=key, data=data, version=section.version, by=user)
    for purpose, title in (
        ("business_licence", "营业执照"),
        ("self_assessment_report", "自评报告"),
        ("commitment_letter", "承诺书"),
        ("top_five_evidence", "行业排名证明"),
    ):
        services.attachment_add(
            dossier=dossier,
            purpose=purpose,
            title=title,
            upload=SimpleUploadedFile(f"{title}.pdf", DEMO_PDF),
            kind="pdf",
            by=user,
        )
    if state == DossierState.DRAFT:
        return
    services.dossier_submit(dossier=dossier, by=user)
    if state == DossierState.WITHDRAWN:
        services.dossier_withdraw(dossier=dossier, reason="本年度经营调整，决定下届再申报。", by=user)


def _close_applications(cycle, secretariat):
    """The deadline passes: applications close and the eligibility review begins (Art. 15)."""
    today = timezone.localdate()
    Cycle.objects.filter(pk=cycle.pk).update(
        applications_open_on=today - dt.timedelta(days=65),
        application_deadline=local_time(today - dt.timedelta(days=DEADLINE_DAYS_AGO)),
    )
    cycle.refresh_from_db()
    core_services.cycle_advance(cycle=cycle, to=CyclePhase.ELIGIBILITY, by=secretariat)
    cycle.refresh_from_db()
    # The pre-checks were recorded against the deadline as it stood at submission; judge them at the real one.
    for dossier in Dossier.objects.filter(cycle=cycle, state=DossierState.SUBMITTED):
        dossier_refresh_precheck(dossier=dossier, by=secretariat)


def _decide(cycle, secretariat):
    by_name = {row[0]: row for row in ORGANISATIONS}
    for dossier in Dossier.objects.filter(cycle=cycle, state=DossierState.SUBMITTED).select_related("organisation"):
        _name, _section, _division, _profit, _years, state, special = by_name[dossier.organisation.name]
        if state == DossierState.ELIGIBLE:
            services.eligibility_decide(
                dossier=dossier,
                kind=EligibilityDecisionKind.ELIGIBLE,
                by=secretariat,
                judgements={"9(1)-declaration": True, "9(2)-declaration": True},
            )
        elif state == DossierState.INELIGIBLE:
            services.eligibility_decide(
                dossier=dossier,
                kind=EligibilityDecisionKind.INELIGIBLE,
                by=secretariat,
                articles=[special],
                note="经审核，不符合《漯河市市长质量奖管理办法》规定的申报条件。",
            )
        elif state == DossierState.CORRECTION:
            services.eligibility_decide(
                dossier=dossier,
                kind=EligibilityDecisionKind.CORRECTION,
                by=secretariat,
                correction_sections=["attachments"],
                correction_until=timezone.now() + dt.timedelta(days=10),
                note="请补充上传有效期内的食品经营许可证。",
            )
