"""Awards (获奖) and their prize: Art. 19 (the cycle's prize), Art. 21 (no duplicate prize for a national or
provincial award of the same year, C8), Art. 25 (a repeat winner gets no prize and takes no place)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from applications.enums import DossierState
from committee import prize, services_awards
from committee.enums_awards import PaymentState, PrizeRule
from committee.models import Award, Certificate
from mayor_award.core.enums import CyclePhase, NoticeKind
from mayor_award.core.models import AuditEvent, Notice
from mayor_award.core.services import cycle_advance, notice_publish
from tests.factories.committee_awards import announce, approve, approved_cycle, finish_publicity

FULL = Decimal("500000")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --- the pure rule ---


def test_prize_is_the_cycles_prize_by_default():
    assert prize.prize(cycle_prize=FULL, repeat_winner=False, same_year_award=False, same_year_confirmed=None) == (
        prize.Prize(FULL, PrizeRule.FULL)
    )


def test_prize_follows_the_cycles_setting():
    result = prize.prize(
        cycle_prize=Decimal("300000"), repeat_winner=False, same_year_award=False, same_year_confirmed=None
    )

    assert result.amount == Decimal("300000")


def test_no_prize_for_a_confirmed_same_year_national_or_provincial_award():
    result = prize.prize(cycle_prize=FULL, repeat_winner=False, same_year_award=True, same_year_confirmed=True)

    assert result == prize.Prize(Decimal("0"), PrizeRule.SAME_YEAR)


def test_declared_same_year_award_waits_for_the_secretariat():
    result = prize.prize(cycle_prize=FULL, repeat_winner=False, same_year_award=True, same_year_confirmed=None)

    assert result == prize.Prize(FULL, PrizeRule.SAME_YEAR_PENDING)


def test_full_prize_when_the_secretariat_finds_the_award_does_not_count():
    result = prize.prize(cycle_prize=FULL, repeat_winner=False, same_year_award=True, same_year_confirmed=False)

    assert result == prize.Prize(FULL, PrizeRule.FULL)


def test_no_prize_for_a_repeat_winner():
    result = prize.prize(cycle_prize=FULL, repeat_winner=True, same_year_award=False, same_year_confirmed=None)

    assert result == prize.Prize(Decimal("0"), PrizeRule.REPEAT)


@pytest.mark.parametrize(
    ("level", "year", "counts"),
    [("provincial", 2026, True), ("national", 2026, True), ("provincial", 2025, False), ("municipal", 2026, False)],
)
def test_only_national_or_provincial_awards_of_the_award_year_count(level, year, counts):
    declared = prize.declared_awards([{"name": "质量奖", "level": level, "year": year}])

    assert bool(prize.same_year_awards(declared, 2026)) is counts


def test_repeat_winner_takes_no_place():
    assert prize.counts_toward_quota(repeat_winner=True) is False
    assert prize.counts_toward_quota(repeat_winner=False) is True


# --- granting the awards ---


def _provincial(year):
    return {"awards": [{"name": "河南省省长质量奖", "level": "provincial", "year": year}]}


@pytest.mark.django_db
def test_awards_are_granted_when_the_cycle_is_announced(secretariat_user, django_capture_on_commit_callbacks):
    approved = approved_cycle(proposed=2, spare=1)
    cycle = approved.cycle
    finish_publicity(cycle, by=secretariat_user)
    approve(cycle, by=secretariat_user)
    notice_publish(notice_id=services_awards.announcement_schedule(cycle=cycle, by=secretariat_user).pk)

    with django_capture_on_commit_callbacks(execute=True):
        cycle_advance(cycle=cycle, to=CyclePhase.ANNOUNCED, by=secretariat_user)

    awards = list(Award.objects.filter(cycle=cycle).order_by("number"))
    year = timezone.localdate().year
    assert [a.dossier for a in awards] == [e.candidate.dossier for e in approved.entries]
    assert {(a.award_year, a.prize_amount, a.prize_rule) for a in awards} == {(year, FULL, PrizeRule.FULL)}
    assert [d.state for d in (a.dossier for a in awards)] == [DossierState.AWARDED] * 2
    spare = approved.spare[0].candidate.dossier
    spare.refresh_from_db()
    assert spare.state == DossierState.NOT_AWARDED
    assert [c.serial for c in Certificate.objects.order_by("serial")] == [f"LHZLJ-{year}-01", f"LHZLJ-{year}-02"]
    assert AuditEvent.objects.filter(action="award.granted", actor=secretariat_user).count() == 2


@pytest.mark.django_db
def test_granting_twice_adds_nothing(secretariat_user):
    cycle = approved_cycle().cycle
    first = announce(cycle, by=secretariat_user)

    second = services_awards.awards_grant(cycle=cycle, by=secretariat_user)

    assert (len(first), second, Award.objects.count()) == (2, [], 2)


@pytest.mark.django_db
def test_award_year_is_the_year_the_announcement_was_published(secretariat_user):
    cycle = approved_cycle(proposed=1, spare=0).cycle
    finish_publicity(cycle, by=secretariat_user)
    approve(cycle, by=secretariat_user)
    notice = services_awards.announcement_schedule(cycle=cycle, by=secretariat_user)
    notice_publish(notice_id=notice.pk)
    new_year = dt.datetime(2031, 1, 1, 0, 30, tzinfo=services_awards.BEIJING)  # 2030-12-31 16:30 UTC
    Notice.objects.filter(pk=notice.pk).update(published_at=new_year)
    cycle_advance(cycle=cycle, to=CyclePhase.ANNOUNCED, by=secretariat_user)

    (award,) = services_awards.awards_grant(cycle=cycle, by=secretariat_user)

    assert award.award_year == 2031
    assert services_awards.certificate_serial(award) == "LHZLJ-2031-01"


@pytest.mark.django_db
def test_same_year_provincial_award_gives_no_prize_once_confirmed(secretariat_user):
    year = timezone.localdate().year
    cycle = approved_cycle(proposed=1, spare=0, declarations={1: _provincial(year)}).cycle
    (award,) = announce(cycle, by=secretariat_user)

    pending = (award.prize_rule, award.payment_state, award.same_year_award)
    confirmed = services_awards.award_update(
        award=award,
        same_year_award=award.same_year_award,
        same_year_confirmed=True,
        same_year_note="省市场监管局公告核实。",
        paid_on=None,
        plaque_handed_on=None,
        by=secretariat_user,
    )

    assert pending == (PrizeRule.SAME_YEAR_PENDING, PaymentState.PENDING, f"河南省省长质量奖（省级，{year}年）")
    assert (confirmed.prize_amount, confirmed.prize_rule, confirmed.payment_state) == (
        Decimal("0"),
        PrizeRule.SAME_YEAR,
        PaymentState.NONE,
    )
    assert Decimal(AuditEvent.objects.get(action="award.changed").data["after"]["prize"]) == 0


@pytest.mark.django_db
def test_provincial_award_of_another_year_keeps_the_full_prize(secretariat_user):
    cycle = approved_cycle(proposed=1, spare=0, declarations={1: _provincial(timezone.localdate().year - 1)}).cycle

    (award,) = announce(cycle, by=secretariat_user)

    assert (award.prize_amount, award.prize_rule, award.same_year_award) == (FULL, PrizeRule.FULL, "")


@pytest.mark.django_db
def test_repeat_winner_gets_no_prize_and_takes_no_place(secretariat_user):
    cycle = approved_cycle(proposed=2, spare=0, repeat=(2,), award_quota=1).cycle

    first, repeat = announce(cycle, by=secretariat_user)

    assert (first.prize_amount, first.repeat_winner) == (FULL, False)
    assert (repeat.prize_amount, repeat.prize_rule, repeat.repeat_winner) == (Decimal("0"), PrizeRule.REPEAT, True)
    assert services_awards.places_taken(cycle) == 1 == cycle.award_quota


@pytest.mark.django_db
def test_payment_waits_for_the_art21_finding(secretariat_user):
    year = timezone.localdate().year
    cycle = approved_cycle(proposed=1, spare=0, declarations={1: _provincial(year)}).cycle
    (award,) = announce(cycle, by=secretariat_user)

    with pytest.raises(services_awards.AwardError, match="Record the finding on the same-year award"):
        services_awards.award_update(
            award=award,
            same_year_award=award.same_year_award,
            same_year_confirmed=None,
            same_year_note="",
            paid_on=timezone.localdate(),
            plaque_handed_on=None,
            by=secretariat_user,
        )


@pytest.mark.django_db
def test_payment_and_plaque_are_recorded(secretariat_user):
    cycle = approved_cycle(proposed=1, spare=0).cycle
    (award,) = announce(cycle, by=secretariat_user)
    today = timezone.localdate()

    award = services_awards.award_update(
        award=award,
        same_year_award="",
        same_year_confirmed=None,
        same_year_note="",
        paid_on=today,
        plaque_handed_on=today,
        by=secretariat_user,
    )

    assert (award.payment_state, award.paid_on, award.plaque_handed_on) == (PaymentState.PAID, today, today)


@pytest.mark.django_db
def test_no_payment_for_a_repeat_winner(secretariat_user):
    cycle = approved_cycle(proposed=1, spare=0, repeat=(1,)).cycle
    (award,) = announce(cycle, by=secretariat_user)

    with pytest.raises(services_awards.AwardError, match="receives no prize money"):
        services_awards.award_update(
            award=award,
            same_year_award="",
            same_year_confirmed=None,
            same_year_note="",
            paid_on=timezone.localdate(),
            plaque_handed_on=None,
            by=secretariat_user,
        )


@pytest.mark.django_db
def test_the_announcement_names_the_winners_and_the_award_year(secretariat_user):
    approved = approved_cycle(proposed=2, spare=1)
    finish_publicity(approved.cycle, by=secretariat_user)
    approve(approved.cycle, by=secretariat_user)

    notice = services_awards.announcement_schedule(cycle=approved.cycle, by=secretariat_user)

    assert notice.kind == NoticeKind.AWARD_ANNOUNCEMENT
    assert f"获奖年度：{timezone.localdate().year}年" in notice.body
    assert all(e.candidate.dossier.organisation.name in notice.body for e in approved.entries)
    assert approved.spare[0].candidate.dossier.organisation.name not in notice.body


@pytest.mark.django_db
def test_secretariat_records_the_art21_finding_in_the_admin(client, secretariat_user):
    year = timezone.localdate().year
    cycle = approved_cycle(proposed=1, spare=0, declarations={1: _provincial(year)}).cycle
    (award,) = announce(cycle, by=secretariat_user)
    client.force_login(secretariat_user)

    response = client.post(
        f"/admin/committee/award/{award.pk}/change/",
        {
            "same_year_award": award.same_year_award,
            "same_year_confirmed": "true",
            "same_year_note": "已核实。",
            "paid_on": "",
            "plaque_handed_on": "",
        },
    )

    award.refresh_from_db()
    assert response.status_code == 302
    assert (award.prize_amount, award.prize_rule) == (Decimal("0"), PrizeRule.SAME_YEAR)
