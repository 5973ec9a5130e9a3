"""The review services: panels (Art. 6, 7) and their random draw, invitations and replies with ranked alternates,
one panel per expert and cycle, and the pledge (Art. 23).

Invitations leave by e-mail after the commit, through a Celery task run eagerly: tests that count e-mails run
the service inside `django_capture_on_commit_callbacks(execute=True)`.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from applications.enums import DossierState
from mayor_award.core.models import AuditEvent
from review import draw, services
from review.enums import ConflictKind, ExpertStatus, SeatStatus
from review.models import Conflict, Panel, PanelDossier, Pledge, Seat
from tests.factories.applications import DossierFactory
from tests.factories.core import CycleFactory, UserFactory
from tests.factories.review import ConflictFactory, ExpertFactory

pytestmark = pytest.mark.django_db

SEED = "luohe-test-seed"


def message(msgid, **params):
    """A service's refusal as the user reads it: the catalog's text in the active language, filled in."""
    text = gettext(msgid)
    return text % params if params else text


def eligible_dossier(cycle, **kwargs):
    return DossierFactory(cycle=cycle, submitted=True, state=DossierState.ELIGIBLE, **kwargs)


@pytest.fixture
def cycle():
    return CycleFactory(number=1, year=2020)


@pytest.fixture
def dossier(cycle):
    return eligible_dossier(cycle)


@pytest.fixture
def make_panel(cycle, secretariat):
    def make(dossiers=None, name="制造业（C）", size=5):
        return services.panel_create(
            cycle=cycle,
            name=name,
            industries=["C"],
            dossiers=dossiers if dossiers is not None else [eligible_dossier(cycle)],
            size=size,
            by=secretariat,
        )

    return make


@pytest.fixture
def panel(make_panel, dossier):
    return make_panel([dossier])


@pytest.fixture
def draw_panel(secretariat, django_capture_on_commit_callbacks):
    """`draw_panel(panel)`: the draw with SEED, its invitations sent."""

    def run(panel, seed=SEED):
        with django_capture_on_commit_callbacks(execute=True):
            return services.panel_draw(panel=panel, by=secretariat, seed=seed)

    return run


@pytest.fixture
def reply(django_capture_on_commit_callbacks):
    """`reply(seat, accept=…)`: the seat's expert answers; an alternate's invitation is sent."""

    def run(seat, *, accept, conflict_with=None, note=""):
        with django_capture_on_commit_callbacks(execute=True):
            return services.seat_reply(
                seat=seat, accept=accept, conflict_with=conflict_with, note=note, by=seat.expert.user
            )

    return run


def seats(panel):
    return list(Seat.objects.filter(panel=panel).order_by("rank"))


def result_of(panel):
    panel.refresh_from_db()
    return draw.DrawResult.from_record(panel.draw_record["result"])


# --- panel_create ---


def test_panel_create_assigns_the_dossiers_and_is_audited(cycle, secretariat, dossier):
    other = eligible_dossier(cycle)

    panel = services.panel_create(
        cycle=cycle, name="制造业（C）", industries=["C", "C"], dossiers=[dossier, other], size=5, by=secretariat
    )

    assert (panel.cycle, panel.name, panel.industries, panel.size, panel.is_drawn) == (
        cycle,
        "制造业（C）",
        ["C"],
        5,
        False,
    )
    assert list(panel.dossiers.order_by("pk")) == [dossier, other]
    assert list(AuditEvent.objects.filter(action="panel.created").values_list("actor", "object_id", "data")) == [
        (secretariat.pk, str(panel.pk), {"dossiers": [dossier.pk, other.pk]})
    ]


@pytest.mark.parametrize(
    "state", [DossierState.SUBMITTED, DossierState.CORRECTION, DossierState.INELIGIBLE, DossierState.WITHDRAWN]
)
def test_panel_create_refuses_a_dossier_that_is_not_eligible(cycle, make_panel, state):
    eligible = eligible_dossier(cycle)
    not_eligible = DossierFactory(cycle=cycle, submitted=True, state=state)

    with pytest.raises(services.ReviewError) as refusal:
        make_panel([eligible, not_eligible])

    assert str(refusal.value) == message(
        "Only eligible dossiers of this cycle go to a panel: %(numbers)s.", numbers=not_eligible.number
    )
    assert Panel.objects.count() == 0


def test_panel_create_refuses_a_dossier_of_another_cycle(make_panel):
    other_cycle_dossier = eligible_dossier(CycleFactory(number=2, year=2022))

    with pytest.raises(services.ReviewError):
        make_panel([other_cycle_dossier])

    assert Panel.objects.count() == 0


def test_panel_create_size_below_five_refused(make_panel):
    with pytest.raises(services.ReviewError) as refusal:
        make_panel(size=4)

    assert str(refusal.value) == message("A panel has at least %(minimum)s experts (Art. 7).", minimum=5)
    assert Panel.objects.count() == 0


@pytest.mark.parametrize("size", [5, 7])
def test_panel_create_size_of_five_or_more_accepted(make_panel, size):
    panel = make_panel(size=size)

    assert Panel.objects.get().size == panel.size == size


def test_panel_create_size_below_a_larger_cycle_minimum_refused(cycle, make_panel):
    cycle.panel_min_size = 7
    cycle.save()

    with pytest.raises(services.ReviewError) as refusal:
        make_panel(size=6)

    assert str(refusal.value) == message("A panel has at least %(minimum)s experts (Art. 7).", minimum=7)


def test_panel_create_refuses_a_dossier_already_on_a_panel(make_panel, panel, dossier):
    with pytest.raises(services.ReviewError) as refusal:
        make_panel([dossier], name="第二组")

    assert str(refusal.value) == message("Dossier %(number)s is already on a panel.", number=dossier.number)
    assert list(Panel.objects.all()) == [panel]
    assert list(PanelDossier.objects.values_list("panel", "dossier")) == [(panel.pk, dossier.pk)]


# --- panel_draw ---


def test_panel_draw_stores_the_seed_and_a_record_anyone_can_verify(panel, secretariat, draw_panel):
    ExpertFactory.create_batch(9)

    draw_panel(panel)

    panel.refresh_from_db()
    record = panel.draw_record
    result = draw.DrawResult.from_record(record["result"])
    assert (panel.seed, record["seed"], result.seed, panel.drawn_by) == (SEED, SEED, SEED, secretariat)
    assert panel.is_drawn
    assert result.to_record() == record["result"]
    candidates = [
        draw.Candidate(
            expert_id=row["expert_id"],
            name=row["name"],
            industries=frozenset(row["industries"]),
            active=row["active"],
            is_committee_member=row["committee"],
            conflicted_organisation_ids=frozenset(row["conflicts"]),
            seated_in_cycle=row["seated"],
        )
        for row in record["candidates"]
    ]
    request = draw.PanelRequest(
        group=panel.name,
        industries=frozenset(record["request"]["industries"]),
        dossier_organisation_ids=frozenset(record["request"]["organisations"]),
        size=record["request"]["size"],
        minimum_size=record["request"]["minimum_size"],
    )
    assert draw.verify(candidates, request, SEED, result) is True
    assert (len(result.members), len(result.alternates)) == (5, 4)


@pytest.mark.parametrize("size", [5, 6])
def test_panel_draw_seats_the_members_in_rank_order_the_first_leads(make_panel, draw_panel, size):
    ExpertFactory.create_batch(11)
    panel = make_panel(size=size)

    draw_panel(panel)

    result = result_of(panel)
    assert len(result.members) == size
    assert [(s.expert_id, s.rank, s.is_leader, s.status) for s in seats(panel)] == [
        (expert_id, rank, rank == 1, SeatStatus.INVITED) for rank, expert_id in enumerate(result.members, start=1)
    ]
    assert all(seat.reply_by - seat.invited_at == dt.timedelta(days=services.REPLY_DAYS) for seat in seats(panel))


def test_panel_draw_sends_one_invitation_per_seat(panel, draw_panel):
    ExpertFactory.create_batch(9)

    draw_panel(panel)

    invited = seats(panel)
    assert sorted(message.to for message in mail.outbox) == sorted([seat.expert.user.email] for seat in invited)
    links = {message.to[0]: message.body for message in mail.outbox}
    assert all(
        settings.SITE_URL + reverse("review:seat-reply", args=[seat.pk]) in links[seat.expert.user.email]
        for seat in invited
    )
    assert sorted(
        AuditEvent.objects.filter(action="seat.invitation_sent").values_list("data__seat", flat=True)
    ) == sorted(seat.pk for seat in invited)


def test_panel_draw_never_seats_conflicted_inactive_or_committee_experts(panel, dossier, draw_panel):
    qualified = ExpertFactory.create_batch(6)
    conflicted = ConflictFactory(organisation=dossier.organisation).expert
    employed = ExpertFactory(employer=dossier.organisation.name)  # an automatic conflict, found by the draw
    suspended = ExpertFactory(status=ExpertStatus.SUSPENDED)
    retired = ExpertFactory(status=ExpertStatus.RETIRED)
    deactivated = ExpertFactory(user__is_active=False)
    committee = ExpertFactory(user=UserFactory(roles=["expert", "committee"]))
    other_industry = ExpertFactory(industries=["F"])

    draw_panel(panel)

    result = result_of(panel)
    assert {seat.expert_id for seat in seats(panel)} | set(result.alternates) == {e.pk for e in qualified}
    assert result.excluded == {
        conflicted.pk: draw.Reason.CONFLICT,
        employed.pk: draw.Reason.CONFLICT,
        suspended.pk: draw.Reason.INACTIVE,
        retired.pk: draw.Reason.INACTIVE,
        deactivated.pk: draw.Reason.INACTIVE,
        committee.pk: draw.Reason.COMMITTEE,
        other_industry.pk: draw.Reason.NO_EXPERTISE,
    }


def test_panel_draw_twice_refused(panel, secretariat, draw_panel):
    ExpertFactory.create_batch(9)
    draw_panel(panel)
    before = [(seat.pk, seat.expert_id) for seat in seats(panel)]
    mail.outbox.clear()

    with pytest.raises(services.ReviewError) as refusal:
        draw_panel(panel, seed="another-seed")

    assert str(refusal.value) == message("This panel has already been drawn.")
    assert [(seat.pk, seat.expert_id) for seat in seats(panel)] == before
    assert Panel.objects.get(pk=panel.pk).seed == SEED
    assert mail.outbox == []


def test_panel_draw_without_dossiers_refused(cycle, secretariat):
    ExpertFactory.create_batch(9)
    empty = Panel.objects.create(cycle=cycle, name="空组", industries=["C"], size=5)

    with pytest.raises(services.ReviewError):
        services.panel_draw(panel=empty, by=secretariat, seed=SEED)

    assert seats(empty) == []


def test_panel_draw_shortage_names_the_group_and_the_numbers(panel, dossier, draw_panel):
    ExpertFactory.create_batch(4)
    ConflictFactory(organisation=dossier.organisation)

    with pytest.raises(services.ReviewError) as refusal:
        draw_panel(panel)

    assert str(refusal.value) == str(draw.SHORTAGE) % {"group": "制造业（C）", "needed": 5, "available": 4}
    panel.refresh_from_db()
    assert (panel.is_drawn, panel.seed, panel.draw_record, seats(panel), mail.outbox) == (False, "", {}, [], [])


def test_panel_draw_an_expert_sits_on_one_panel_per_cycle(cycle, make_panel, panel, draw_panel):
    pool = ExpertFactory.create_batch(10)
    draw_panel(panel)
    second = make_panel(name="制造业（C）二组")

    draw_panel(second)

    first_members = {seat.expert_id for seat in seats(panel)}
    second_members = {seat.expert_id for seat in seats(second)}
    assert first_members | second_members == {expert.pk for expert in pool}
    assert first_members & second_members == set()
    assert {
        expert_id for expert_id, reason in result_of(second).excluded.items() if reason == draw.Reason.ALREADY_SEATED
    } == first_members


def test_panel_draw_an_expert_who_declined_may_sit_on_another_panel(make_panel, panel, draw_panel, reply):
    ExpertFactory.create_batch(5)
    draw_panel(panel)
    declined = seats(panel)[1]
    reply(declined, accept=False, note="出差")
    ExpertFactory.create_batch(4)
    second = make_panel(name="制造业（C）二组")

    draw_panel(second)

    assert result_of(second).excluded.get(declined.expert_id) is None
    assert declined.expert_id in result_of(second).candidate_ids


def test_panel_draw_one_panel_per_expert_off_lets_experts_sit_on_two_panels(cycle, make_panel, panel, draw_panel):
    cycle.one_panel_per_expert = False
    cycle.save()
    pool = ExpertFactory.create_batch(5)
    draw_panel(panel)
    second = make_panel(name="制造业（C）二组")

    draw_panel(second)

    assert {seat.expert_id for seat in seats(second)} == {expert.pk for expert in pool}


# --- seat_reply and the alternates ---


@pytest.fixture
def drawn(panel, draw_panel):
    """A drawn panel of five with four ranked alternates; the invitations are sent and the outbox emptied."""
    ExpertFactory.create_batch(9)
    draw_panel(panel)
    mail.outbox.clear()
    return panel


def test_seat_reply_accept(drawn, reply):
    seat = seats(drawn)[1]

    reply(seat, accept=True, note="")

    seat.refresh_from_db()
    assert (seat.status, seat.replied_at is not None) == (SeatStatus.ACCEPTED, True)
    assert len(seats(drawn)) == 5
    assert mail.outbox == []
    assert list(AuditEvent.objects.filter(action="seat.replied").values_list("actor", "data")) == [
        (seat.expert.user.pk, {"seat": seat.pk, "status": "accepted"})
    ]


def test_seat_reply_twice_refused(drawn, reply):
    seat = seats(drawn)[1]
    reply(seat, accept=True)

    with pytest.raises(services.ReviewError) as refusal:
        reply(seat, accept=False, note="改变主意")

    assert str(refusal.value) == message("This invitation has already been answered.")
    assert Seat.objects.get(pk=seat.pk).status == SeatStatus.ACCEPTED


def test_seat_reply_decline_invites_the_first_alternate(drawn, reply):
    declined = seats(drawn)[1]

    reply(declined, accept=False, note="出差在外")

    declined.refresh_from_db()
    replacement = seats(drawn)[-1]
    alternate = result_of(drawn).alternates[0]
    assert (declined.status, declined.reply_note) == (SeatStatus.DECLINED, "出差在外")
    assert (replacement.expert_id, replacement.replaces, replacement.rank) == (alternate, declined, 6)
    assert (replacement.status, replacement.is_leader, replacement.invited_at is not None) == (
        SeatStatus.INVITED,
        False,
        True,
    )
    assert [message.to for message in mail.outbox] == [[replacement.expert.user.email]]


def test_seat_reply_second_decline_invites_the_next_alternate(drawn, reply):
    first, second = seats(drawn)[1:3]
    reply(first, accept=False, note="出差在外")

    reply(second, accept=False, note="身体原因")

    alternates = result_of(drawn).alternates
    assert [(seat.expert_id, seat.replaces_id) for seat in seats(drawn)[5:]] == [
        (alternates[0], first.pk),
        (alternates[1], second.pk),
    ]
    assert len(mail.outbox) == 2


def test_seat_reply_an_alternate_declining_calls_the_next_one(drawn, reply):
    reply(seats(drawn)[1], accept=False, note="出差在外")
    called = seats(drawn)[-1]

    reply(called, accept=False, note="时间冲突")

    latest = seats(drawn)[-1]
    assert (latest.expert_id, latest.replaces) == (result_of(drawn).alternates[1], called)


def test_seat_reply_declared_conflict_records_it_and_invites_an_alternate(drawn, dossier, reply):
    seat = seats(drawn)[2]

    reply(seat, accept=False, conflict_with=dossier.organisation, note="本人配偶在该单位任职")

    seat.refresh_from_db()
    assert seat.status == SeatStatus.CONFLICT
    assert list(Conflict.objects.values_list("expert", "organisation", "kind", "note", "recorded_by")) == [
        (seat.expert_id, dossier.organisation_id, ConflictKind.DECLARED, "本人配偶在该单位任职", seat.expert.user_id)
    ]
    replacement = seats(drawn)[-1]
    assert (replacement.expert_id, replacement.replaces) == (result_of(drawn).alternates[0], seat)
    assert [message.to for message in mail.outbox] == [[replacement.expert.user.email]]


def test_seat_reply_leader_declining_passes_leadership_to_the_replacement(drawn, reply):
    leader = seats(drawn)[0]

    reply(leader, accept=False, note="另有任务")

    replacement = seats(drawn)[-1]
    assert (replacement.replaces, replacement.is_leader) == (leader, True)
    assert list(Seat.objects.filter(panel=drawn, is_leader=True)) == [replacement]


def test_seat_reply_alternates_exhausted_leaves_the_place_empty_and_says_so(panel, draw_panel, reply):
    ExpertFactory.create_batch(5)
    draw_panel(panel)
    mail.outbox.clear()
    declined = seats(panel)[3]

    reply(declined, accept=False, note="出差在外")

    assert len(seats(panel)) == 5
    assert mail.outbox == []
    assert list(AuditEvent.objects.filter(action="panel.alternates_exhausted").values_list("object_id", "data")) == [
        (str(panel.pk), {"seat": declined.pk})
    ]


def test_seat_reply_skips_an_alternate_seated_on_another_panel_since_the_draw(
    drawn, make_panel, secretariat, reply, django_capture_on_commit_callbacks
):
    first_alternate, second_alternate = result_of(drawn).alternates[:2]
    other = make_panel(name="其他组")
    Seat.objects.create(panel=other, expert_id=first_alternate, rank=1, status=SeatStatus.ACCEPTED)

    reply(seats(drawn)[1], accept=False, note="出差在外")

    assert seats(drawn)[-1].expert_id == second_alternate


# --- the pledge ---


def test_pledge_sign_records_time_address_and_browser(cycle):
    expert = ExpertFactory()
    before = timezone.now()

    pledge = services.pledge_sign(
        expert=expert, cycle=cycle, ip_address="10.1.2.3", user_agent="Mozilla/5.0 (X11)", by=expert.user
    )

    pledge.refresh_from_db()
    assert (pledge.expert, pledge.cycle, pledge.ip_address, pledge.user_agent, pledge.text) == (
        expert,
        cycle,
        "10.1.2.3",
        "Mozilla/5.0 (X11)",
        str(services.PLEDGE_TEXT),
    )
    assert before <= pledge.signed_at <= timezone.now()
    assert list(AuditEvent.objects.filter(action="pledge.signed").values_list("actor", "data")) == [
        (expert.user.pk, {"ip": "10.1.2.3"})
    ]


def test_pledge_sign_twice_keeps_the_first_signature(cycle):
    expert = ExpertFactory()
    first = services.pledge_sign(expert=expert, cycle=cycle, ip_address="10.1.2.3", user_agent="A", by=expert.user)

    second = services.pledge_sign(expert=expert, cycle=cycle, ip_address="10.9.9.9", user_agent="B", by=expert.user)

    assert second == first
    assert list(Pledge.objects.values_list("ip_address", "user_agent")) == [("10.1.2.3", "A")]
    assert AuditEvent.objects.filter(action="pledge.signed").count() == 1


def test_pledge_sign_long_user_agent_is_cut_to_the_field(cycle):
    expert = ExpertFactory()

    pledge = services.pledge_sign(expert=expert, cycle=cycle, ip_address=None, user_agent="x" * 500, by=expert.user)

    assert len(Pledge.objects.get(pk=pledge.pk).user_agent) == 300


def test_invitations_lapse_after_the_reply_date_brings_in_the_next_alternate(drawn_panel_for_lapse):
    panel, seat = drawn_panel_for_lapse
    just_before = seat.reply_by - dt.timedelta(seconds=1)

    # All five members were invited together, so all five lapse.
    assert services.invitations_lapse(now=just_before) == 0
    assert services.invitations_lapse(now=seat.reply_by + dt.timedelta(seconds=1)) == 5

    seat.refresh_from_db()
    replacement = Seat.objects.get(panel=panel, replaces=seat)
    assert (seat.status, replacement.status) == (SeatStatus.DECLINED, SeatStatus.INVITED)
    assert AuditEvent.objects.filter(action="seat.lapsed").count() == 5


@pytest.fixture
def drawn_panel_for_lapse(panel, draw_panel):
    ExpertFactory.create_batch(9)
    draw_panel(panel)
    return panel, seats(panel)[0]
