"""A provincial-scale cycle's applicants, built in bulk (省级规模申报数据): organisations, their users, complete
dossiers (every section, the required PDF attachments) and the eligibility decisions.

Used by `manage.py build_province` (committee/management/commands/build_province.py) to load a large cycle in
seconds for benchmarks and page checks. Rows are written with bulk_create in few round trips; the data is what the
services would write (section JSON through sections.to_json, the organisation's profile in the basics, dossier
numbers as dossier_submit numbers them, the pre-check computed by the real rules). History rows and audit events
are not written per row: the build is one recorded act of the secretariat, not thousands of user actions.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from stdnum.cn import uscc

from mayor_award.core.enums import Role
from mayor_award.core.models import User

from . import eligibility, sections, services
from .enums import (
    AttachmentPurpose,
    DossierSectionKey,
    DossierState,
    EligibilityDecisionKind,
    IndustrySection,
    LegalForm,
    OrganisationKind,
    RegistrationArea,
)
from .models import Attachment, Dossier, DossierSection, EligibilityDecision, Membership, Organisation

BATCH = 2000
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = ["建国", "秀英", "志强", "丽华", "海峰", "静", "伟", "敏", "晓东", "红梅", "新民", "雪", "国庆", "玉兰"]
PLACES = ["源汇", "郾城", "召陵", "舞阳", "临颍", "经开", "西城", "东城"]
# A one-page PDF: the stand-in for scanned documents.
PROVINCE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PDF_SHA256 = hashlib.sha256(PROVINCE_PDF).hexdigest()
ATTACHMENTS = (
    (AttachmentPurpose.BUSINESS_LICENCE, "营业执照"),
    (AttachmentPurpose.SELF_ASSESSMENT_REPORT, "自评报告"),
    (AttachmentPurpose.COMMITMENT_LETTER, "承诺书"),
)


def person_name(number: int) -> str:
    return SURNAMES[number % len(SURNAMES)] + GIVEN[(number // len(SURNAMES)) % len(GIVEN)]


def industry_sections(count: int) -> list[str]:
    """The first `count` GB/T 4754-2017 sections (A, B, C …), the international organisations (T) left out."""
    usable = [section for section in IndustrySection.values if section != IndustrySection.T]
    if not 1 <= count <= len(usable):
        raise ValueError(f"between 1 and {len(usable)} industries, not {count}")
    return usable[:count]


def bulk_users(*, usernames: list[str], names: list[str], role: str, password_hash: str, staff=False) -> list[User]:
    """Users with one password hash (hashing is slow on purpose: once for all) and the role's group."""
    users = User.objects.bulk_create(
        [
            User(
                username=username,
                name=name,
                email=f"{username}@province.luohe.example",
                password=password_hash,
                is_staff=staff,
                is_active=True,
            )
            for username, name in zip(usernames, names, strict=True)
        ],
        batch_size=BATCH,
    )
    group = Group.objects.get(name=role)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=user.pk, group_id=group.pk) for user in users], batch_size=BATCH
    )
    return users


def credit_code(number: int) -> str:
    body = f"914111{number:011d}"
    return body + uscc.calc_check_digit(body)


@dataclass
class Applicants:
    organisations: list[Organisation]
    users: list[User]
    dossiers: list[Dossier]
    attachments: int
    sections: int


def _organisation(tag: str, index: int, section: str, code_base: int, since: dt.date) -> Organisation:
    for_profit = index % 10 != 9  # one in ten is a non-profit (hospital, school…), judged by its own results
    place = PLACES[index % len(PLACES)]
    return Organisation(
        name=f"{tag}-漯河{place}{section}{index + 1:04d}{'有限公司' if for_profit else '服务中心'}",
        credit_code=credit_code(code_base + index + 1),
        kind=OrganisationKind.FOR_PROFIT if for_profit else OrganisationKind.NON_PROFIT,
        legal_form=LegalForm.ENTERPRISE if for_profit else LegalForm.INSTITUTION,
        registered_in_luohe_since=since - dt.timedelta(days=index % 3000),
        registration_area=list(RegistrationArea.values)[index % len(RegistrationArea.values)],
        industry_section=section,
        address=f"河南省漯河市{place}区人民路{index + 1}号",
        legal_representative=person_name(index + 7),
        contact_name=person_name(index + 11),
        contact_phone=f"0395-6{index:06d}",
        contact_email=f"{tag}-quality{index + 1:04d}@province.luohe.example",
    )


def _section_data(cycle, organisation, items, index: int) -> dict:
    years = sections.result_years(cycle)
    for_profit = organisation.kind == OrganisationKind.FOR_PROFIT
    level = 50 + (index * 7) % 35 // 5 * 5
    basics = sections.to_json(
        DossierSectionKey.BASICS,
        {
            "excellence_model_since": dt.date(years[-1] - 1, 1, 1),
            "certificates": "ISO 9001:2015\nISO 14001:2015",
            "overview": f"{organisation.name}坚持质量第一，导入卓越绩效管理模式，建立了完善的质量管理体系。",
            "competitors": ["河南某同行企业"],
            "customers": ["郑州某集团"],
            "suppliers": ["漯河某原料公司"],
        },
    )
    basics["profile"] = sections.organisation_profile(organisation)
    results = {
        "years": {
            str(year): {
                "operating_revenue": Decimal(50000 + 97 * index - 3000 * position),
                "total_profit_and_tax": Decimal(6000 + 11 * index - 300 * position),
                "net_profit": Decimal(3000 + 5 * index - 150 * position),
                "asset_contribution_rate": Decimal("12.5"),
                "quality_indicators": "产品一次交验合格率99.6%，顾客满意度92分",
            }
            for position, year in enumerate(years)
        },
        **(
            {"top_five_indicator": "operating_revenue", "top_five_rank": 1 + index % 5}
            if for_profit
            else {"social_contribution": "承担全市公共服务任务，年服务群众50万人次。"}
        ),
    }
    return {
        DossierSectionKey.BASICS: basics,
        DossierSectionKey.RESULTS: sections.to_json(DossierSectionKey.RESULTS, results),
        DossierSectionKey.SELF_ASSESSMENT: {
            "items": {
                item.code: {"narrative": f"{item.name_zh}：方法系统，全面展开，定期评价改进。", "percent": level}
                for item in items
            }
        },
        DossierSectionKey.DECLARATIONS: {
            **dict.fromkeys(sections.DECLARATION_ARTICLES, "affirmed"),
            "licences": ["食品生产许可证"] if organisation.industry_section == "C" else [],
            "awards": [],
        },
        DossierSectionKey.ATTACHMENTS: {},
    }


def build_applicants(
    *, cycle, tag: str, count: int, industries: list[str], password_hash: str, secretariat, code_base: int
) -> Applicants:
    """`count` organisations spread over `industries`, each with an applicant user and an eligible dossier.

    Dossiers are submitted at the cycle's deadline minus a few days, numbered like dossier_submit numbers them,
    and found eligible by the secretariat. `code_base` keeps credit codes unique across builds in one database.
    """
    deadline = timezone.localtime(cycle.application_deadline).date()
    since = deadline.replace(year=deadline.year - 10)
    organisations = Organisation.objects.bulk_create(
        [_organisation(tag, i, industries[i % len(industries)], code_base, since) for i in range(count)],
        batch_size=BATCH,
    )
    users = bulk_users(
        usernames=[f"{tag}-applicant{i + 1:04d}" for i in range(count)],
        names=[person_name(i) for i in range(count)],
        role=Role.APPLICANT,
        password_hash=password_hash,
    )
    Membership.objects.bulk_create(
        [Membership(user=user, organisation=org) for user, org in zip(users, organisations, strict=True)],
        batch_size=BATCH,
    )
    submitted_at = cycle.application_deadline - dt.timedelta(days=3)
    dossiers = Dossier.objects.bulk_create(
        [
            Dossier(
                cycle=cycle,
                organisation=org,
                state=DossierState.SUBMITTED,
                number=f"LH{cycle.year}-{i + 1:03d}",
                sequence=i + 1,
                submitted_at=submitted_at,
            )
            for i, org in enumerate(organisations)
        ],
        batch_size=BATCH,
    )
    items = sections.scored_items(cycle)
    rows = []
    for i, (dossier, org, user) in enumerate(zip(dossiers, organisations, users, strict=True)):
        dossier.organisation, dossier.cycle = org, cycle
        for key, data in _section_data(cycle, org, items, i).items():
            rows.append(DossierSection(dossier=dossier, key=key, data=data, version=1, updated_by=user))
    DossierSection.objects.bulk_create(rows, batch_size=BATCH)
    attachments = _attachments(dossiers, users)
    _precheck(dossiers)
    EligibilityDecision.objects.bulk_create(
        [
            EligibilityDecision(
                dossier=dossier,
                kind=EligibilityDecisionKind.ELIGIBLE,
                judgements={"9(1)-declaration": True, "9(2)-declaration": True},
                decided_by=secretariat,
            )
            for dossier in dossiers
        ],
        batch_size=BATCH,
    )
    Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).update(state=DossierState.ELIGIBLE)
    for dossier in dossiers:
        dossier.state = DossierState.ELIGIBLE
    return Applicants(organisations, users, dossiers, attachments=attachments, sections=len(rows))


def _attachments(dossiers, users) -> int:
    """The required PDFs of each dossier, stored once per dossier in its own folder and shared by its rows (the
    dossier is past its editing, so no row of it is removed alone; another dossier's files are never touched)."""
    rows = []
    for dossier, user in zip(dossiers, users, strict=True):
        name = default_storage.save(f"dossiers/{dossier.pk}/documents-{dossier.pk}.pdf", ContentFile(PROVINCE_PDF))
        for purpose, title in ATTACHMENTS:
            row = Attachment(
                dossier=dossier,
                purpose=purpose,
                title=title,
                original_name=f"{title}.pdf",
                content_type="application/pdf",
                size=len(PROVINCE_PDF),
                sha256=PDF_SHA256,
                uploaded_by=user,
            )
            row.file.name = name
            rows.append(row)
    Attachment.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _precheck(dossiers):
    """The pre-check by the real rules: dossiers are built alike, so the first one of each kind of organisation
    (for-profit, non-profit) gives the findings of all of its kind."""
    by_kind = {}
    for dossier in dossiers:
        by_kind.setdefault(dossier.organisation.kind, []).append(dossier.pk)
    for ids in by_kind.values():
        first = Dossier.objects.select_related("cycle", "organisation").get(pk=ids[0])
        findings = services.dossier_precheck(first)
        Dossier.objects.filter(pk__in=ids).update(
            precheck_outcome=str(eligibility.summary(findings)),
            precheck_findings=services.findings_to_json(findings),
        )
