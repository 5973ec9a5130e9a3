"""The demonstration data: a registry of steps, run in order by `manage.py seed_demo`.

The core registers its own steps here (users for every role, cycles, notices); each app adds its steps in a
module named `demo` (discovered like admin modules), so the core never imports an app. Every step is
idempotent: running the demo twice leaves the same data.
"""

import datetime as dt
import functools
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from . import services
from .enums import CyclePhase, NoticeKind, NoticeState, Role
from .models import Criteria, Cycle, Notice, User

DEMO_PASSWORD = "Luohe-Award-2026"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "秀英", "志强", "丽华", "海峰", "静", "伟", "敏", "晓东", "红梅", "新民", "雪"]

ANNOUNCEMENT = """根据《漯河市市长质量奖管理办法》（漯政办〔2018〕76号），现启动第四届漯河市市长质量奖评审工作。

一、申报条件：在漯河市行政区域内依法登记注册5年以上（含5年），导入卓越绩效管理模式1年以上，
上年度质量水平、营业收入、利税总额或总资产贡献率之一居本市同行业前5名，近三年无亏损。

二、申报方式：申报组织登录本系统注册，在线填写申报材料并上传证明文件，于申报截止时间前提交。

三、评审程序：资格审查、材料评审、现场评审、评审委员会审议，拟获奖名单经市政府常务会议研究后公示7天。

联系人：市市场监督管理局质量发展科"""


@dataclass
class DemoStep:
    order: int
    name: str
    run: object


@dataclass
class DemoRegistry:
    steps: list[DemoStep] = field(default_factory=list)

    def step(self, order: int):
        """Register `function(context)` to run at `order` (core steps use 10-19, applications 20-29, …)."""

        def register(function):
            if not any(existing.name == function.__qualname__ for existing in self.steps):
                self.steps.append(DemoStep(order, function.__qualname__, function))
            return function

        return register

    def run(self, context: dict):
        for demo_step in sorted(self.steps, key=lambda s: s.order):
            demo_step.run(context)


registry = DemoRegistry()


@registry.step(10)
def core_users(context):
    context["secretariat"] = _users()


@registry.step(11)
def core_cycles(context):
    context["cycle"] = _cycles(context["secretariat"])


@functools.cache
def _demo_password_hash():
    # Hashing is slow on purpose; one hash serves every demo user and keeps the demo quick. A fixed salt makes
    # it the same on every run, so an unchanged user is not saved (and its history not grown) again.
    return make_password(DEMO_PASSWORD, salt="luohedemo2026")


def demo_user(username, name, role, *, staff=False):
    user, _created = User.objects.get_or_create(username=username)
    wanted = {
        "name": name,
        "email": f"{username}@demo.luohe.example",
        "is_staff": staff,
        "is_active": True,
        "password": _demo_password_hash(),  # a changed demo password is restored, without slow checks
    }
    if any(getattr(user, field) != value for field, value in wanted.items()):
        for field, value in wanted.items():
            setattr(user, field, value)
        user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


def _users():
    secretariat = demo_user("secretariat", "市市场监管局秘书处", Role.SECRETARIAT, staff=True)
    people = [surname + given for given in GIVEN for surname in SURNAMES]
    for number in range(1, 41):
        demo_user(f"expert{number:02d}", people[number - 1], Role.EXPERT)
    for number in range(1, 10):
        demo_user(f"committee{number:02d}", people[100 + number], Role.COMMITTEE)
    for number in range(1, 13):
        demo_user(f"applicant{number:02d}", people[150 + number], Role.APPLICANT)
    return secretariat


def _cycles(secretariat):
    today = timezone.localdate()
    criteria = Criteria.objects.latest_published()
    for number, year in ((1, 2020), (2, 2022), (3, 2024)):
        Cycle.objects.get_or_create(
            number=number,
            defaults={
                "year": year,
                "title": f"第{'一二三'[number - 1]}届漯河市市长质量奖",
                # The second and third cycles start as drafts: the review and committee demos run them through
                # every phase (review/demo_history.py, committee/demo_history.py) and close them.
                "phase": CyclePhase.CLOSED if number == 1 else CyclePhase.DRAFT,
                "criteria": criteria,
                "applications_open_on": dt.date(year, 3, 1),
                "application_deadline": local_time(dt.date(year, 5, 31)),
            },
        )
    cycle, _ = Cycle.objects.get_or_create(
        number=4,
        defaults={
            "year": 2026,
            "title": "第四届漯河市市长质量奖",
            "criteria": criteria,
            "applications_open_on": today - dt.timedelta(days=20),
            "application_deadline": local_time(today + dt.timedelta(days=60)),
            "reviews_end_on": today + dt.timedelta(days=150),
            "announcement_expected_on": today + dt.timedelta(days=200),
        },
    )
    if not Notice.objects.filter(cycle=cycle, kind=NoticeKind.CYCLE_ANNOUNCEMENT).exists():
        notice = Notice(
            cycle=cycle,
            kind=NoticeKind.CYCLE_ANNOUNCEMENT,
            title="关于开展第四届漯河市市长质量奖评审工作的公告",
            body=ANNOUNCEMENT,
            state=NoticeState.SCHEDULED,
            publish_at=timezone.now() - dt.timedelta(days=20),
        )
        services.notice_save(notice=notice, by=secretariat)
        services.notice_publish(notice_id=notice.pk, now=notice.publish_at)
    if not Notice.objects.filter(title="市长质量奖申报培训会通知").exists():
        training = Notice(
            cycle=cycle,
            kind=NoticeKind.GENERAL,
            title="市长质量奖申报培训会通知",
            body="定于下周三上午9:00在市民之家三楼会议室举办卓越绩效模式及申报材料填写培训，欢迎各申报组织派员参加。",
            state=NoticeState.SCHEDULED,
            publish_at=timezone.now() - dt.timedelta(days=5),
        )
        services.notice_save(notice=training, by=secretariat)
        services.notice_publish(notice_id=training.pk, now=training.publish_at)
    if cycle.phase == CyclePhase.DRAFT:
        services.cycle_advance(cycle=cycle, to=CyclePhase.OPEN, by=secretariat)
    return cycle


def local_time(day, hour=17):
    """A moment in Luohe's time zone: deadlines are announced as local times."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
