"""Load the demonstration: one login per role and a cycle open for applications. Safe to run again."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from mayor_award.core import services
from mayor_award.core.enums import CyclePhase, NoticeKind, NoticeState, Role
from mayor_award.core.models import Criteria, Cycle, Notice, User

DEMO_PASSWORD = "Luohe-Award-2026"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "秀英", "志强", "丽华", "海峰", "静", "伟", "敏", "晓东", "红梅", "新民", "雪"]

ANNOUNCEMENT = """根据《漯河市市长质量奖管理办法》（漯政办〔2018〕76号），现启动第四届漯河市市长质量奖评审工作。

一、申报条件：在漯河市行政区域内依法登记注册5年以上（含5年），导入卓越绩效管理模式1年以上，
上年度质量水平、营业收入、利税总额或总资产贡献率之一居本市同行业前5名，近三年无亏损。

二、申报方式：申报组织登录本系统注册，在线填写申报材料并上传证明文件，于申报截止时间前提交。

三、评审程序：资格审查、材料评审、现场评审、评审委员会审议，拟获奖名单经市政府常务会议研究后公示7天。

联系人：市市场监督管理局质量发展科"""


class Command(BaseCommand):
    help = "Load the demonstration data (idempotent). Refuses to run with DEBUG off unless --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this looks like production. Use --force to load demo data anyway.")
        with transaction.atomic():
            secretariat = self._users()
            self._cycles(secretariat)
        self.stdout.write(self.style.SUCCESS(f"Demo loaded. Every demo user's password: {DEMO_PASSWORD}"))

    def _user(self, username, name, role, *, staff=False):
        user, created = User.objects.get_or_create(username=username)
        user.name = name
        user.email = f"{username}@demo.luohe.example"
        user.is_staff = staff
        user.is_active = True
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=role))
        return user

    def _users(self):
        secretariat = self._user("secretariat", "市市场监管局秘书处", Role.SECRETARIAT, staff=True)
        people = [surname + given for given in GIVEN for surname in SURNAMES]
        for number in range(1, 41):
            self._user(f"expert{number:02d}", people[number - 1], Role.EXPERT)
        for number in range(1, 10):
            self._user(f"committee{number:02d}", people[100 + number], Role.COMMITTEE)
        for number in range(1, 13):
            self._user(f"applicant{number:02d}", people[150 + number], Role.APPLICANT)
        return secretariat

    def _cycles(self, secretariat):
        today = timezone.localdate()
        criteria = Criteria.objects.latest_published()
        for number, year in ((1, 2020), (2, 2022), (3, 2024)):
            Cycle.objects.get_or_create(
                number=number,
                defaults={
                    "year": year,
                    "title": f"第{'一二三'[number - 1]}届漯河市市长质量奖",
                    "phase": CyclePhase.CLOSED,
                    "criteria": criteria,
                    "applications_open_on": dt.date(year, 3, 1),
                    "application_deadline": _at(dt.date(year, 5, 31)),
                },
            )
        cycle, _ = Cycle.objects.get_or_create(
            number=4,
            defaults={
                "year": 2026,
                "title": "第四届漯河市市长质量奖",
                "criteria": criteria,
                "applications_open_on": today - dt.timedelta(days=20),
                "application_deadline": _at(today + dt.timedelta(days=60)),
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
            services.notice_publish(notice_id=notice.pk)
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
            services.notice_publish(notice_id=training.pk)
        if cycle.phase == CyclePhase.DRAFT:
            services.cycle_advance(cycle=cycle, to=CyclePhase.OPEN, by=secretariat)


def _at(day, hour=17):
    """A moment in Luohe's time zone: deadlines are announced as local times."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
