"""Factories for core rows: plain defaults, no surprises."""

import datetime as dt

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from mayor_award.core.enums import CyclePhase, NoticeKind, NoticeState
from mayor_award.core.models import Criteria, Cycle, Notice, User

PASSWORD = "Test-Password-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:03d}")
    name = factory.Sequence(lambda n: f"测试用户{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create, names, **kwargs):
        for name in names or ():
            self.groups.add(Group.objects.get(name=name))


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cycle
        django_get_or_create = ["number"]

    number = factory.Sequence(lambda n: n + 1)
    year = factory.LazyAttribute(lambda cycle: 2018 + 2 * cycle.number)
    title = factory.LazyAttribute(lambda cycle: f"第{cycle.number}届漯河市市长质量奖")
    phase = CyclePhase.DRAFT
    applications_open_on = factory.LazyAttribute(lambda cycle: dt.date(cycle.year, 3, 1))
    criteria = factory.LazyFunction(lambda: Criteria.objects.latest_published())
    application_deadline = factory.LazyAttribute(
        lambda cycle: dt.datetime(cycle.year, 5, 31, 17, 0, tzinfo=timezone.get_default_timezone())
    )


class NoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notice

    kind = NoticeKind.GENERAL
    title = factory.Sequence(lambda n: f"公告{n}")
    body = "公告正文。"
    state = NoticeState.DRAFT

    class Params:
        published = factory.Trait(
            state=NoticeState.PUBLISHED,
            publish_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1)),
            published_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1)),
        )
        due = factory.Trait(
            state=NoticeState.SCHEDULED,
            publish_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1)),
        )
