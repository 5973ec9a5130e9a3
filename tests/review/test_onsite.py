"""The on-site stage: the selection applied to the material consensus (ties at the cut-off, exclusions with a
reason, letters to every applicant), the phase guards (Art. 12, 16), visits and their team, and the leader's
candidate list handed over to the committee in the order of the on-site consensus score (Art. 16).

Consensus rows are created directly (the consensus pages are another module's). Messages are compared in English
(under translation.override("en")), so these tests do not depend on the catalog.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from applications.enums import DossierState
from applications.models import Dossier
from mayor_award.core.admin import CycleAdmin
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent, Cycle
from mayor_award.core.services import CycleTransitionRefused, cycle_advance
from review import onsite, tasks_onsite
from review.models import Candidate, Consensus, OnsiteSelection, OnsiteVisit
from tests.conftest import postgres_in_use, require
from tests.factories.applications import MembershipFactory
from tests.factories.core import CycleFactory, UserFactory
from tests.factories.review import (
    ConflictFactory,
    ExpertFactory,
    PanelDossierFactory,
    PanelFactory,
    PledgeFactory,
    SeatFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Services and pages speak English here: the test's own language, and the browser's cookie."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


class World:
    """A cycle in its material review with one panel: a leader, four members, and dossiers in number order."""

    def __init__(self, *, count=3, top_n=None, min_score=None, number=7):
        self.cycle = CycleFactory(
            number=number, phase=CyclePhase.MATERIAL_REVIEW, onsite_top_n=top_n, onsite_min_score=min_score
        )
        self.panel = PanelFactory(cycle=self.cycle, name="食品制造组")
        self.leader = SeatFactory(panel=self.panel, accepted=True, leader=True)
        self.members = [SeatFactory(panel=self.panel, accepted=True) for _ in range(4)]
        for seat in [self.leader, *self.members]:
            PledgeFactory(expert=seat.expert, cycle=self.cycle)
        self.dossiers = [PanelDossierFactory(panel=self.panel).dossier for _ in range(count)]

    def material(self, *totals, panel=None):
        for dossier, total in zip(self.dossiers, totals, strict=False):
            record(panel or self.panel, dossier, "material", total)

    def set_phase(self, phase):
        Cycle.objects.filter(pk=self.cycle.pk).update(phase=phase)
        self.cycle.refresh_from_db()
        self.panel.refresh_from_db()


def record(panel, dossier, stage, total):
    Consensus.objects.create(
        panel=panel, dossier=dossier, stage=stage, state="recorded", total=D(str(total)), recorded_at=timezone.now()
    )
    after = DossierState.MATERIAL_REVIEWED if stage == "material" else DossierState.ONSITE_REVIEWED
    Dossier.objects.filter(pk=dossier.pk).update(state=after)


def outcomes(world):
    rows = OnsiteSelection.objects.filter(panel=world.panel)
    by_dossier = {row.dossier_id: row for row in rows}
    return [by_dossier[d.pk].outcome if d.pk in by_dossier else None for d in world.dossiers]


def states(world):
    return [Dossier.objects.get(pk=d.pk).state for d in world.dossiers]


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- the selection ---


def test_selection_top_n_selects_the_best_and_moves_the_dossiers(secretariat, django_capture_on_commit_callbacks):
    world = World(count=4, top_n=2)
    world.material(610, 820, 700, 590)

    with django_capture_on_commit_callbacks(execute=True):
        onsite.selection_apply(cycle=world.cycle, by=secretariat)

    assert outcomes(world) == ["not_selected", "selected", "selected", "not_selected"]
    assert states(world) == ["not_selected", "selected", "selected", "not_selected"]
    rows = {row.dossier_id: row for row in OnsiteSelection.objects.all()}
    assert [rows[d.pk].rank for d in world.dossiers] == [3, 1, 2, 4]
    assert [rows[d.pk].material_total for d in world.dossiers] == [D("610"), D("820"), D("700"), D("590")]
    assert AuditEvent.objects.filter(action="onsite.selection_applied", object_id=str(world.cycle.pk)).count() == 1


def test_selection_tie_at_the_cut_off_takes_both_and_flags_them(secretariat):
    world = World(count=4, top_n=2)
    world.material(800, 700, 700, 600)

    onsite.selection_apply(cycle=world.cycle, by=secretariat)

    assert outcomes(world) == ["selected", "selected", "selected", "not_selected"]
    flags = OnsiteSelection.objects.order_by("dossier__sequence").values_list("tied_at_cutoff", flat=True)
    assert list(flags) == [False, True, True, False]


def test_selection_minimum_score_exactly_met_is_selected(secretariat):
    world = World(count=3, min_score=D("600.00"))
    world.material("600.0000", "599.9999", "750")

    onsite.selection_apply(cycle=world.cycle, by=secretariat)

    assert outcomes(world) == ["selected", "not_selected", "selected"]


def test_selection_without_rule_selects_everyone(secretariat):
    world = World(count=2)
    world.material(300, 200)

    onsite.selection_apply(cycle=world.cycle, by=secretariat)

    assert outcomes(world) == ["selected", "selected"]


def test_selection_leaving_out_a_tied_dossier_needs_a_reason(secretariat):
    world = World(count=3, top_n=1)
    world.material(700, 700, 600)

    with pytest.raises(onsite.OnsiteError) as refused:
        onsite.selection_apply(cycle=world.cycle, by=secretariat, exclusions={world.dossiers[1].pk: "  "})

    assert str(refused.value) == (
        f"Give the reason for leaving out dossier {world.dossiers[1].number}, tied at the cut-off."
    )
    assert OnsiteSelection.objects.count() == 0
    assert states(world) == ["material_reviewed"] * 3


def test_selection_leaving_out_a_tied_dossier_records_the_reason(secretariat):
    world = World(count=3, top_n=1)
    world.material(700, 700, 600)

    onsite.selection_apply(cycle=world.cycle, by=secretariat, exclusions={world.dossiers[1].pk: "现场评审名额已满"})

    assert outcomes(world) == ["selected", "not_selected", "not_selected"]
    left_out = OnsiteSelection.objects.get(dossier=world.dossiers[1])
    assert (left_out.tied_at_cutoff, left_out.reason) == (True, "现场评审名额已满")
    event = AuditEvent.objects.get(action="onsite.selection_applied")
    assert event.data["left_out"] == {str(world.dossiers[1].pk): "现场评审名额已满"}


def test_selection_leaving_out_a_dossier_not_tied_is_refused(secretariat):
    world = World(count=2, top_n=1)
    world.material(800, 700)

    with pytest.raises(onsite.OnsiteError, match="not tied at the cut-off"):
        onsite.selection_apply(cycle=world.cycle, by=secretariat, exclusions={world.dossiers[0].pk: "理由"})


def test_selection_leaving_out_every_tied_dossier_is_refused(secretariat):
    world = World(count=3, top_n=1)
    world.material(700, 700, 600)
    everyone_tied = {world.dossiers[0].pk: "理由", world.dossiers[1].pk: "理由"}

    with pytest.raises(onsite.OnsiteError, match="must keep at least 1 selected"):
        onsite.selection_apply(cycle=world.cycle, by=secretariat, exclusions=everyone_tied)


def test_selection_refused_while_a_material_consensus_is_missing(secretariat):
    world = World(count=3, top_n=2)
    world.material(800, 700)  # the third has none
    Consensus.objects.create(panel=world.panel, dossier=world.dossiers[2], stage="material", state="draft")

    with pytest.raises(onsite.OnsiteError) as refused:
        onsite.selection_apply(cycle=world.cycle, by=secretariat)

    assert str(refused.value) == (
        "The selection needs the material consensus of every dossier on a panel (Art. 12); "
        f"not recorded yet: {world.dossiers[2].number}."
    )
    assert OnsiteSelection.objects.count() == 0


def test_selection_is_applied_once(secretariat):
    world = World(count=2, top_n=1)
    world.material(800, 700)
    onsite.selection_apply(cycle=world.cycle, by=secretariat)

    with pytest.raises(onsite.OnsiteError, match="already been applied"):
        onsite.selection_apply(cycle=world.cycle, by=secretariat)

    assert OnsiteSelection.objects.count() == 2


@pytest.mark.parametrize("phase", [CyclePhase.ELIGIBILITY, CyclePhase.ONSITE_REVIEW])
def test_selection_only_during_the_material_review(secretariat, phase):
    world = World(count=1)
    world.material(800)
    world.set_phase(phase)

    with pytest.raises(onsite.OnsiteError, match="end of the material review"):
        onsite.selection_apply(cycle=world.cycle, by=secretariat)


@pytest.mark.django_db(transaction=True)
def test_selection_applied_twice_at_once_writes_one_set(monkeypatch):
    """Two secretaries confirm at the same moment: the cycle's row lock lets one apply, the other is refused."""
    require(postgres_in_use(), "row locks need PostgreSQL (set DATABASE_URL); SQLite serialises writers anyway")
    world = World(count=3, top_n=1)
    world.material(800, 700, 600)
    users = [UserFactory(roles=["secretariat"]) for _ in range(2)]
    monkeypatch.setattr(onsite, "_enqueue_letter", lambda **kwargs: None)  # letters are not this test's business
    barrier = threading.Barrier(len(users))
    results = []

    def apply(user):
        try:
            barrier.wait(timeout=10)
            onsite.selection_apply(cycle=world.cycle, by=user)
            results.append("applied")
        except onsite.OnsiteError:
            results.append("refused")
        except Exception as error:  # collected and asserted below; a thread must not die silently
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=apply, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(map(str, results)) == ["applied", "refused"]
    assert OnsiteSelection.objects.count() == 3


# --- letters ---


def test_selection_letters_tell_every_applicant(secretariat, django_capture_on_commit_callbacks):
    world = World(count=3, top_n=1)
    world.material(800, 700, 600)
    member = MembershipFactory(organisation=world.dossiers[0].organisation)

    with django_capture_on_commit_callbacks(execute=True):
        onsite.selection_apply(cycle=world.cycle, by=secretariat)

    assert len(mail.outbox) == 3
    first = next(m for m in mail.outbox if world.dossiers[0].number in m.subject)
    assert first.to == [member.user.email, world.dossiers[0].organisation.contact_email]
    assert world.dossiers[0].organisation.name in first.body
    assert [OnsiteSelection.objects.get(dossier=d).applicant_notified_at is not None for d in world.dossiers] == [
        True
    ] * 3
    assert AuditEvent.objects.filter(action="onsite.selection_letter_sent").count() == 3


def test_selection_letter_is_sent_once(secretariat):
    world = World(count=1)
    world.material(800)
    onsite.selection_apply(cycle=world.cycle, by=secretariat)
    row = OnsiteSelection.objects.get()

    assert onsite.selection_letter_mail(selection_id=row.pk) is True
    assert onsite.selection_letter_mail(selection_id=row.pk) is True
    assert len(mail.outbox) == 1


def test_selection_letters_survive_a_broker_failure(secretariat, monkeypatch, django_capture_on_commit_callbacks):
    world = World(count=2, top_n=1)
    world.material(800, 700)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks_onsite.task_send_selection_letter, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        onsite.selection_apply(cycle=world.cycle, by=secretariat)

    assert mail.outbox == []
    assert OnsiteSelection.objects.filter(applicant_notified_at__isnull=True).count() == 2

    assert tasks_onsite.task_send_pending_selection_letters() == 2
    assert tasks_onsite.task_send_pending_selection_letters() == 0
    assert len(mail.outbox) == 2


def test_selection_sweeper_is_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "review.tasks.task_send_pending_selection_letters" in tasks


# --- phase guards ---


def test_leaving_the_material_review_needs_the_selection(secretariat):
    world = World(count=2, top_n=1)
    world.material(800, 700)

    with pytest.raises(CycleTransitionRefused) as refused:
        cycle_advance(cycle=world.cycle, to=CyclePhase.ONSITE_REVIEW, by=secretariat)

    numbers = ", ".join(d.number for d in world.dossiers)
    assert refused.value.reasons == [
        "The material review ends with the on-site selection (Art. 12); 2 dossiers on a panel have no selection "
        f"yet: {numbers}. Apply the on-site selection first."
    ]


def test_leaving_the_material_review_after_the_selection(secretariat):
    world = World(count=2, top_n=1)
    world.material(800, 700)
    onsite.selection_apply(cycle=world.cycle, by=secretariat)

    cycle_advance(cycle=world.cycle, to=CyclePhase.ONSITE_REVIEW, by=secretariat)

    assert Cycle.objects.get(pk=world.cycle.pk).phase == CyclePhase.ONSITE_REVIEW


def test_leaving_the_onsite_review_needs_every_candidate_list(secretariat):
    world = World(count=2, top_n=1)
    world.material(800, 700)
    onsite.selection_apply(cycle=world.cycle, by=secretariat)
    world.set_phase(CyclePhase.ONSITE_REVIEW)

    with pytest.raises(CycleTransitionRefused) as refused:
        cycle_advance(cycle=world.cycle, to=CyclePhase.DELIBERATION, by=secretariat)

    assert refused.value.reasons == [
        "The committee deliberates on the candidate lists of the panels (Art. 16); 1 panel has not handed over "
        "its list yet: 食品制造组."
    ]


def test_leaving_the_onsite_review_after_the_hand_over(secretariat):
    world = World(count=2, top_n=1)
    world.material(800, 700)
    onsite.selection_apply(cycle=world.cycle, by=secretariat)
    world.set_phase(CyclePhase.ONSITE_REVIEW)
    record(world.panel, world.dossiers[0], "onsite", 780)
    onsite.candidates_hand_over(panel=world.panel, by=world.leader.expert.user)

    cycle_advance(cycle=world.cycle, to=CyclePhase.DELIBERATION, by=secretariat)

    assert Cycle.objects.get(pk=world.cycle.pk).phase == CyclePhase.DELIBERATION


def test_panel_without_selected_dossiers_needs_no_hand_over(secretariat):
    world = World(count=1, min_score=D("900"))
    world.material(800)
    onsite.selection_apply(cycle=world.cycle, by=secretariat)
    world.set_phase(CyclePhase.ONSITE_REVIEW)

    cycle_advance(cycle=world.cycle, to=CyclePhase.DELIBERATION, by=secretariat)

    assert Cycle.objects.get(pk=world.cycle.pk).phase == CyclePhase.DELIBERATION


# --- the rule is fixed once the material review starts ---


@pytest.mark.parametrize(("phase", "fixed"), [(CyclePhase.ELIGIBILITY, False), (CyclePhase.MATERIAL_REVIEW, True)])
def test_selection_rule_fixed_from_the_material_review(phase, fixed, rf, secretariat):
    cycle = CycleFactory(number=9, phase=phase, onsite_top_n=5)
    cycle.onsite_top_n = 6

    if fixed:
        with pytest.raises(ValidationError) as refused:
            cycle.full_clean()
        assert set(refused.value.message_dict) == {"onsite_top_n"}
    else:
        cycle.full_clean()
    request = rf.get("/")
    request.user = secretariat
    readonly = CycleAdmin(Cycle, None).get_readonly_fields(request, cycle)
    assert ("onsite_top_n" in readonly, "onsite_min_score" in readonly) == (fixed, fixed)


def test_selection_rule_unchanged_passes_clean_in_the_material_review():
    cycle = CycleFactory(number=9, phase=CyclePhase.MATERIAL_REVIEW, onsite_min_score=D("600.00"))
    cycle.onsite_min_score = D("600")
    cycle.title = "第9届（更正）"

    cycle.full_clean()


# --- the admin's selection page ---


@pytest.fixture
def secretariat_client(client, secretariat):
    client.force_login(secretariat)
    return client


def apply_url(cycle):
    return reverse("admin:review_onsiteselection_apply", kwargs={"cycle_id": cycle.pk})


def test_admin_apply_page_shows_ranks_totals_and_ties(secretariat_client):
    world = World(count=3, top_n=1)
    world.material("700.125", "700.125", 600)

    response = secretariat_client.get(apply_url(world.cycle))

    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("<strong>· tied at the cut-off</strong>") == 2
    assert "700.13" in content
    assert f'name="reason_{world.dossiers[0].pk}"' in content
    assert f'name="reason_{world.dossiers[2].pk}"' not in content
    assert "Confirm and apply the on-site selection" in content
    changelist = secretariat_client.get(reverse("admin:review_onsiteselection_changelist")).content.decode()
    assert apply_url(world.cycle) in changelist


def test_admin_apply_without_a_reason_keeps_the_choice_and_saves_nothing(secretariat_client):
    world = World(count=3, top_n=1)
    world.material(700, 700, 600)
    tied = world.dossiers[1].pk

    response = secretariat_client.post(apply_url(world.cycle), {"leave_out": [tied], f"reason_{tied}": ""})

    assert response.status_code == 200
    assert messages_of(response) == [
        f"Give the reason for leaving out dossier {world.dossiers[1].number}, tied at the cut-off."
    ]
    assert f'value="{tied}" checked' in response.content.decode()
    assert OnsiteSelection.objects.count() == 0


def test_admin_apply_with_a_reason_applies(secretariat_client):
    world = World(count=3, top_n=1)
    world.material(700, 700, 600)
    tied = world.dossiers[1].pk

    response = secretariat_client.post(apply_url(world.cycle), {"leave_out": [tied], f"reason_{tied}": "名额"})

    assert response.status_code == 302
    assert outcomes(world) == ["selected", "not_selected", "not_selected"]


def test_admin_apply_ignores_posted_keys_that_are_no_numbers(secretariat_client):
    world = World(count=3, top_n=1)
    world.material(700, 650, 600)

    # "²" passes str.isdigit() but int() refuses it: it must be ignored, not answered with a server error
    response = secretariat_client.post(apply_url(world.cycle), {"leave_out": ["²", "x"], "reason_²": "名额"})

    assert response.status_code == 302
    assert outcomes(world) == ["selected", "not_selected", "not_selected"]


# --- visits ---


def selected_world(secretariat, count=2, top_n=None):
    world = World(count=count, top_n=top_n)
    world.material(*[800 - 10 * index for index in range(count)])
    onsite.selection_apply(cycle=world.cycle, by=secretariat)
    return world


def visit_for(world, dossier, team, **extra):
    visit = OnsiteVisit(
        dossier=dossier,
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2026, 9, 2),
        place="漯河市源汇区测试路1号",
        **extra,
    )
    return onsite.visit_save(visit=visit, team=team, by=UserFactory(roles=["secretariat"]))


def test_visit_is_planned_with_a_team_of_the_panel(secretariat):
    world = selected_world(secretariat)

    visit = visit_for(world, world.dossiers[0], [world.leader, world.members[0]])

    assert set(visit.team.all()) == {world.leader, world.members[0]}
    assert AuditEvent.objects.filter(action="onsite.visit_saved", object_id=str(world.dossiers[0].pk)).count() == 1


def test_visit_team_from_another_panel_is_refused(secretariat):
    world = selected_world(secretariat)
    stranger = SeatFactory(panel=PanelFactory(cycle=world.cycle), accepted=True)

    with pytest.raises(onsite.OnsiteError, match="cannot go"):
        visit_for(world, world.dossiers[0], [stranger])


def test_visit_team_member_in_conflict_is_refused(secretariat):
    world = selected_world(secretariat)
    ConflictFactory(expert=world.members[0].expert, organisation=world.dossiers[0].organisation)

    with pytest.raises(onsite.OnsiteError, match="cannot go"):
        visit_for(world, world.dossiers[0], [world.members[0]])


def test_visit_for_a_dossier_not_selected_is_refused(secretariat):
    world = selected_world(secretariat, count=2, top_n=1)

    with pytest.raises(onsite.OnsiteError, match="Only a dossier selected"):
        visit_for(world, world.dossiers[1], [world.leader])


def test_admin_plans_a_visit_and_shows_the_issues_to_verify(secretariat_client, secretariat):
    world = selected_world(secretariat)
    Consensus.objects.filter(dossier=world.dossiers[0], stage="material").update(issues_to_verify="核实三年财务数据")

    response = secretariat_client.post(
        reverse("admin:review_onsitevisit_add"),
        {
            "dossier": world.dossiers[0].pk,
            "starts_on": "2026-09-01",
            "ends_on": "2026-09-03",
            "place": "企业总部",
            "team": [world.leader.pk, world.members[1].pk],
            "notes": "请准备原始记录。",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    visit = OnsiteVisit.objects.get()
    assert set(visit.team.all()) == {world.leader, world.members[1]}
    page = secretariat_client.get(reverse("admin:review_onsitevisit_change", args=[visit.pk])).content.decode()
    assert "核实三年财务数据" in page


def test_admin_visit_form_refuses_a_conflicted_expert(secretariat_client, secretariat):
    world = selected_world(secretariat)
    ConflictFactory(expert=world.members[0].expert, organisation=world.dossiers[0].organisation)

    response = secretariat_client.post(
        reverse("admin:review_onsitevisit_add"),
        {
            "dossier": world.dossiers[0].pk,
            "starts_on": "2026-09-01",
            "ends_on": "2026-09-01",
            "place": "企业总部",
            "team": [world.members[0].pk],
        },
    )

    assert response.status_code == 200
    assert OnsiteVisit.objects.count() == 0


def test_team_sees_the_visit_on_the_dashboard_and_others_do_not(client, secretariat):
    world = selected_world(secretariat)
    visit_for(world, world.dossiers[0], [world.members[0]])
    world.set_phase(CyclePhase.ONSITE_REVIEW)

    client.force_login(world.members[0].expert.user)
    on_team = client.get(reverse("review:dashboard")).content.decode()
    client.force_login(world.members[1].expert.user)
    not_on_team = client.get(reverse("review:dashboard")).content.decode()

    assert "漯河市源汇区测试路1号" in on_team
    assert "漯河市源汇区测试路1号" not in not_on_team
    assert "You are not on the team of an on-site visit." in not_on_team


def test_leader_finds_the_candidate_list_on_the_dashboard(client, secretariat):
    world = selected_world(secretariat)
    world.set_phase(CyclePhase.ONSITE_REVIEW)
    client.force_login(world.leader.expert.user)

    content = client.get(reverse("review:dashboard")).content.decode()

    assert reverse("review:candidates", kwargs={"pk": world.panel.pk}) in content


def test_applicant_sees_dates_and_place_but_not_the_team(client, secretariat):
    world = selected_world(secretariat)
    visit_for(world, world.dossiers[0], [world.leader])
    member = MembershipFactory(organisation=world.dossiers[0].organisation)
    client.force_login(member.user)

    content = client.get(reverse("applications:dossier", kwargs={"pk": world.dossiers[0].pk})).content.decode()

    assert "漯河市源汇区测试路1号" in content
    assert "On-site review visit" in content
    assert str(world.leader.expert.user.name) not in content


@pytest.mark.parametrize("count", [1, 3])
def test_expert_dashboard_with_visits_queries_fixed(client, secretariat, django_assert_num_queries, count):
    world = selected_world(secretariat, count=count)
    for dossier in world.dossiers:
        visit_for(world, dossier, [world.members[0]])
    world.set_phase(CyclePhase.ONSITE_REVIEW)
    client.force_login(world.members[0].expert.user)

    # The dashboard's twelve, and one for the visits.
    with django_assert_num_queries(13):
        response = client.get(reverse("review:dashboard"))

    assert response.content.decode().count("漯河市源汇区测试路1号") == count


# --- the candidate list (Art. 16) ---


def onsite_world(secretariat, onsite_totals, material_totals=None, top_n=None):
    world = World(count=len(onsite_totals), top_n=top_n)
    world.material(*(material_totals or [800 - 10 * index for index in range(len(onsite_totals))]))
    onsite.selection_apply(cycle=world.cycle, by=secretariat)
    world.set_phase(CyclePhase.ONSITE_REVIEW)
    for dossier, total in zip(world.dossiers, onsite_totals, strict=True):
        if total is not None:
            record(world.panel, dossier, "onsite", total)
    return world


def candidates_url(world):
    return reverse("review:candidates", kwargs={"pk": world.panel.pk})


def test_candidate_list_is_ordered_by_the_onsite_score_with_shared_places(client, secretariat):
    world = onsite_world(secretariat, [700, 820, 700], material_totals=[810, 780, 790])
    client.force_login(world.leader.expert.user)

    response = client.get(candidates_url(world))

    rows = response.context["listing"].rows
    assert [row.dossier for row in rows] == [world.dossiers[1], world.dossiers[0], world.dossiers[2]]
    assert [row.place for row in rows] == [1, 2, 2]
    assert [row.material_display for row in rows] == ["780.00", "810.00", "790.00"]
    assert response.context["refusal"] is None


def test_hand_over_writes_the_fixed_list_and_moves_the_dossiers(client, secretariat):
    world = onsite_world(secretariat, [700, 820, 700])
    client.force_login(world.leader.expert.user)

    response = client.post(candidates_url(world))

    assert response.status_code == 302
    candidates = list(Candidate.objects.order_by("position"))
    assert [(c.position, c.dossier_id, c.onsite_total) for c in candidates] == [
        (1, world.dossiers[1].pk, D("820")),
        (2, world.dossiers[0].pk, D("700")),
        (3, world.dossiers[2].pk, D("700")),
    ]
    assert [c.material_total for c in candidates] == [D("790"), D("800"), D("780")]
    assert states(world) == [DossierState.CANDIDATE] * 3
    assert AuditEvent.objects.filter(action="panel.candidates_handed_over").count() == 1
    assert list(onsite.candidates_for_cycle(world.cycle)) == candidates


def test_hand_over_is_fixed_once_done(client, secretariat):
    world = onsite_world(secretariat, [700, 820])
    client.force_login(world.leader.expert.user)
    client.post(candidates_url(world))
    client.get(candidates_url(world))  # shows the success message
    Consensus.objects.filter(dossier=world.dossiers[0], stage="onsite").update(total=D("900"))

    again = client.post(candidates_url(world))
    page = client.get(candidates_url(world))

    assert messages_of(again) == ["The candidate list has been handed over to the committee; it is fixed."]
    assert Candidate.objects.count() == 2
    assert [row.dossier for row in page.context["listing"].rows] == [world.dossiers[1], world.dossiers[0]]
    assert page.context["listing"].handed_over is True
    assert "Hand over to the committee" not in page.content.decode()


def test_hand_over_refused_while_a_selected_dossier_lacks_its_onsite_consensus(client, secretariat):
    world = onsite_world(secretariat, [700, None])
    client.force_login(world.leader.expert.user)

    response = client.post(candidates_url(world))

    assert messages_of(response) == [
        "Every selected dossier needs its recorded on-site consensus first (Art. 16); missing: "
        f"{world.dossiers[1].number}."
    ]
    assert Candidate.objects.count() == 0


def test_hand_over_refused_outside_the_onsite_review(client, secretariat):
    world = onsite_world(secretariat, [700])
    world.set_phase(CyclePhase.DELIBERATION)
    client.force_login(world.leader.expert.user)

    response = client.post(candidates_url(world))

    assert messages_of(response) == ["The candidate list is handed over during the on-site review (Art. 16)."]
    assert Candidate.objects.count() == 0


def test_hand_over_by_a_panel_member_is_not_found(client, secretariat):
    world = onsite_world(secretariat, [700])
    client.force_login(world.members[0].expert.user)

    assert client.get(candidates_url(world)).status_code == 404
    assert client.post(candidates_url(world)).status_code == 404
    assert Candidate.objects.count() == 0


def test_hand_over_by_another_expert_or_role(client, secretariat):
    world = onsite_world(secretariat, [700])
    client.force_login(ExpertFactory().user)
    assert client.post(candidates_url(world)).status_code == 404
    client.force_login(secretariat)
    assert client.post(candidates_url(world)).status_code == 403
    assert Candidate.objects.count() == 0


def test_hand_over_service_refuses_anyone_but_the_leader(secretariat):
    world = onsite_world(secretariat, [700])

    with pytest.raises(onsite.OnsiteError, match="Only the panel's leader"):
        onsite.candidates_hand_over(panel=world.panel, by=world.members[0].expert.user)


def test_candidate_list_leaves_out_dossiers_not_selected(client, secretariat):
    world = onsite_world(secretariat, [700, 650], top_n=1)
    client.force_login(world.leader.expert.user)

    response = client.get(candidates_url(world))

    assert [row.dossier for row in response.context["listing"].rows] == [world.dossiers[0]]


@pytest.mark.parametrize("count", [1, 3])
def test_candidate_page_queries_fixed(client, secretariat, django_assert_num_queries, count):
    world = onsite_world(secretariat, [700 + index for index in range(count)])
    client.force_login(world.leader.expert.user)

    # Session and user; a savepoint pair (ATOMIC_REQUESTS) around the expert, the panel, the pledge, the fixed list
    # (none yet), the on-site consensuses with dossiers, organisations and selections, the selected dossiers still
    # without one, and the user's roles (the menu); then the session saved in its own savepoint pair.
    with django_assert_num_queries(14):
        response = client.get(candidates_url(world))

    assert len(response.context["listing"].rows) == count


@pytest.mark.parametrize("count", [1, 3])
def test_candidate_page_after_hand_over_queries_fixed(client, secretariat, django_assert_num_queries, count):
    world = onsite_world(secretariat, [700 + index for index in range(count)])
    client.force_login(world.leader.expert.user)
    client.post(candidates_url(world))

    # As above, with the fixed list in place of the consensuses and the dossiers missing one.
    with django_assert_num_queries(12):
        response = client.get(candidates_url(world))

    assert len(response.context["listing"].rows) == count
