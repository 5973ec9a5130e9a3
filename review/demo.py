"""Demo step of the review app: the expert pool, and the fourth cycle's panels drawn and answered.

expert01 … expert40 get profiles spread over the demo's four industries (C, F, E, Q: ten each, so every industry
keeps at least seven qualified experts). expert01 works for an applicant (双汇), which the draw finds as an
automatic conflict; expert39 and expert40 are suspended. Then, once the fourth cycle's eligible dossiers are
known and while it has no panel, one panel of five per industry group is created and drawn with a fixed seed
(reproducible), the first four members accept and sign the pledge, and the fifth declines, so that an
alternate is invited in their place.

Step 40 runs the second and third cycles (2022, 2024) from their announcement to the candidates handed over, on
their own dates (demo_history.py); the committee's demo decides them.
"""

from django.contrib.auth.models import Group

from applications.demo import ORGANISATIONS, credit_code
from mayor_award.core.demo import registry
from mayor_award.core.enums import Role
from mayor_award.core.models import Cycle, User

from . import demo_history, notifications, services
from .enums import ExpertStatus, Qualification
from .models import Expert, Panel

DEMO_CYCLE = 4
INDUSTRIES = "CFEQ"
SUSPENDED = {"expert39", "expert40"}
EMPLOYED_BY_AN_APPLICANT = "expert01"  # the automatic conflict the demo shows
PANEL_SIZE = 5

# Ten employers per industry, none of them an applicant or a business partner named in the demo dossiers.
EMPLOYERS = {
    "C": [
        "河南省产品质量监督检验院",
        "河南工业大学",
        "郑州轻工业大学",
        "河南省食品工业科学研究所有限公司",
        "许昌瑞祥机械制造有限公司",
        "平顶山华瑞纸业有限公司",
        "河南省标准化研究院",
        "驻马店天中食品有限公司",
        "河南中原卓越质量管理咨询有限公司",
        "河南质量工程职业学院",
    ],
    "F": [
        "河南财经政法大学",
        "郑州华联商厦有限公司",
        "洛阳新都汇商贸有限公司",
        "河南省商业经济学会",
        "许昌万家福超市有限公司",
        "开封鼓楼商业管理有限公司",
        "河南商务职业学院",
        "南阳百货大楼有限公司",
        "河南省连锁经营协会",
        "新乡平原商场有限公司",
    ],
    "E": [
        "河南省建筑科学研究院有限公司",
        "郑州大学土木工程学院",
        "河南省建设工程质量监督总站",
        "许昌市建筑设计研究院有限公司",
        "平顶山第一建设有限公司",
        "河南工程学院",
        "周口市住房和城乡建设局质量安全站",
        "河南省工程咨询有限公司",
        "华北水利水电大学",
        "信阳建工有限公司",
    ],
    "Q": [
        "河南省人民医院",
        "郑州大学第一附属医院",
        "河南省卫生健康委医疗质量控制中心",
        "许昌市中心医院",
        "平顶山市第一人民医院",
        "新乡医学院",
        "驻马店市中心医院",
        "河南中医药大学",
        "周口市中心医院",
        "南阳市第二人民医院",
    ],
}
TITLES = ["正高级工程师", "高级工程师", "教授", "副教授", "高级经济师", "高级工程师", "研究员", "高级会计师"]
MEDICAL_TITLES = ["主任医师", "副主任医师", "研究员", "教授"]
POSITIONS = ["质量总监", "总工程师", "院长", "系主任", "技术负责人", "质量部部长", "首席专家"]
QUALIFICATIONS = [
    [Qualification.NATIONAL_REVIEWER],
    [Qualification.PROVINCIAL_REVIEWER, Qualification.CERTIFIED_ASSESSOR],
    [Qualification.CERTIFIED_ASSESSOR],
    [Qualification.PROVINCIAL_REVIEWER, Qualification.MANAGEMENT_SYSTEM_AUDITOR],
    [Qualification.MANAGEMENT_SYSTEM_AUDITOR],
]
PANEL_NAMES = {"C": "制造业评审组", "F": "批发和零售业评审组", "E": "建筑业评审组", "Q": "卫生和社会工作评审组"}
DECLINE_NOTE = "评审期间需赴外地参加项目验收，无法参加本次评审。"


@registry.step(30)
def expert_pool_and_panels(context):
    secretariat = context["secretariat"]
    _experts(secretariat)
    cycle = Cycle.objects.filter(number=DEMO_CYCLE).first()
    if cycle is not None and not Panel.objects.filter(cycle=cycle).exists():
        _panels(cycle, secretariat)


def _experts(secretariat):
    """A profile for every demo expert who has none; existing profiles are left as they are."""
    with_profile = set(Expert.objects.values_list("user__username", flat=True))
    users = User.objects.filter(groups=Group.objects.get(name=Role.EXPERT), username__startswith="expert")
    for user in users.exclude(username__in=with_profile).order_by("username"):
        services.expert_save(expert=_profile(user), by=secretariat)


def _profile(user):
    number = int(user.username.removeprefix("expert"))
    industry = INDUSTRIES[(number - 1) % len(INDUSTRIES)]
    place = (number - 1) // len(INDUSTRIES)
    employer, employer_code = EMPLOYERS[industry][place % len(EMPLOYERS[industry])], ""
    if user.username == EMPLOYED_BY_AN_APPLICANT:
        applicant = next(index for index, row in enumerate(ORGANISATIONS, start=1) if row[1] == industry)
        employer, employer_code = ORGANISATIONS[applicant - 1][0], credit_code(applicant)
    titles = MEDICAL_TITLES if industry == "Q" else TITLES
    return Expert(
        user=user,
        employer=employer,
        employer_credit_code=employer_code,
        position=POSITIONS[number % len(POSITIONS)],
        professional_title=titles[number % len(titles)],
        qualifications=[value.value for value in QUALIFICATIONS[number % len(QUALIFICATIONS)]],
        industries=[industry],
        status=ExpertStatus.SUSPENDED if user.username in SUSPENDED else ExpertStatus.ACTIVE,
        phone=f"1390395{number:04d}",
    )


def _panels(cycle, secretariat):
    for section, dossiers in services.suggested_groups(cycle).items():
        panel = services.panel_create(
            cycle=cycle,
            name=PANEL_NAMES.get(section, f"{section}门类评审组"),
            industries=[section],
            dossiers=dossiers,
            size=PANEL_SIZE,
            by=secretariat,
        )
        panel = services.panel_draw(panel=panel, by=secretariat, seed=f"demo-{cycle.number}-{section}")
        _answer(panel, cycle)


def _answer(panel, cycle):
    """The invitations go out; four members accept and sign the pledge, the fifth declines (an alternate follows)."""
    seats = list(panel.seats.select_related("expert__user").order_by("rank"))
    for seat in seats:
        # Sent now rather than after the demo's commit, when the answers below would make it pointless.
        notifications.seat_invitation_mail(seat_id=seat.pk)
    for seat in seats[:-1]:
        user = seat.expert.user
        services.seat_reply(seat=seat, accept=True, by=user)
        services.pledge_sign(expert=seat.expert, cycle=cycle, ip_address="127.0.0.1", user_agent="演示数据", by=user)
    services.seat_reply(seat=seats[-1], accept=False, note=DECLINE_NOTE, by=seats[-1].expert.user)


@registry.step(40)
def past_cycles_reviewed(context):
    demo_history.review_past_cycles(context)
