"""The secretariat's review dashboard: progress per panel and stage, late experts and their reminders, the
charts' data with a table beside each chart, and a fixed number of queries."""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import translation

from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent
from review import dashboard
from review.enums import ReviewStage
from review.models import Conflict
from review.tasks_dashboard import task_send_pending_reminders
from tests.factories.core import UserFactory
from tests.review.dashboard_data import OPENED_DAYS_AGO, agree, item_codes, score, scored_cycle, select

pytestmark = pytest.mark.django_db


def url(cycle):
    return reverse("admin:review_dashboard", args=[cycle.pk])


def progress_of(data, panel, stage):
    entry = next(entry for entry in data.panels if entry.panel == panel)
    return next(progress for progress in entry.stages if progress.stage == stage)


def chart_json(response) -> dict:
    pattern = r'<script id="review-chart-data" type="application/json">(.*?)</script>'
    match = re.search(pattern, response.content.decode())
    assert match, "the chart data is embedded with json_script"
    return json.loads(match.group(1))


# --- progress ---


def test_progress_counts_submitted_sheets_out_of_seats_times_dossiers():
    world = scored_cycle(dossiers=2, experts=5)
    seats, first = world.seats[0], world.dossiers[0][0]
    for seat in seats[:3]:
        score(seat, first)
    score(seats[3], first, submit=False)

    material = progress_of(dashboard.review_dashboard(world.cycle), world.panels[0], ReviewStage.MATERIAL)

    assert (material.dossiers, material.expected, material.submitted, material.drafts) == (2, 10, 3, 1)
    assert material.percent == 30


def test_progress_page_shows_the_bar_and_the_counts(client, secretariat):
    world = scored_cycle(dossiers=2, experts=5)
    score(world.seats[0][0], world.dossiers[0][0])
    client.force_login(secretariat)

    response = client.get(url(world.cycle))

    content = response.content.decode()
    assert response.status_code == 200
    assert '<progress max="10" value="1">10%</progress>' in content
    assert '<span class="review-count">1 / 10</span>' in content


def test_progress_onsite_waits_for_the_selection():
    world = scored_cycle(dossiers=2, experts=5, phase=CyclePhase.ONSITE_REVIEW)

    onsite = progress_of(dashboard.review_dashboard(world.cycle), world.panels[0], ReviewStage.ONSITE)

    assert (onsite.expected, onsite.dossiers, onsite.selection_made) == (0, 0, False)


def test_progress_onsite_expects_only_the_selected_dossiers():
    world = scored_cycle(dossiers=2, experts=5, phase=CyclePhase.ONSITE_REVIEW)
    panel, (taken, left) = world.panels[0], world.dossiers[0]
    select(panel, taken, selected=True, rank=1)
    select(panel, left, selected=False, rank=2)
    score(world.seats[0][0], taken, stage="onsite")

    onsite = progress_of(dashboard.review_dashboard(world.cycle), panel, ReviewStage.ONSITE)

    assert (onsite.dossiers, onsite.expected, onsite.submitted, onsite.selection_made) == (1, 5, 1, True)


def test_progress_leaves_out_a_dossier_the_expert_is_in_conflict_with():
    world = scored_cycle(dossiers=2, experts=5)
    dossier = world.dossiers[0][0]
    Conflict.objects.create(expert=world.seats[0][1].expert, organisation=dossier.organisation, kind="recorded")

    material = progress_of(dashboard.review_dashboard(world.cycle), world.panels[0], ReviewStage.MATERIAL)

    assert material.expected == 9
    late = next(entry for entry in dashboard.review_dashboard(world.cycle).late if entry.seat == world.seats[0][1])
    assert [d.pk for d in late.missing] == [world.dossiers[0][1].pk]


def test_progress_counts_recorded_consensuses():
    world = scored_cycle(dossiers=2, experts=5)
    agree(world.panels[0], world.dossiers[0][0])

    material = progress_of(dashboard.review_dashboard(world.cycle), world.panels[0], ReviewStage.MATERIAL)

    assert (material.consensus_recorded, material.dossiers) == (1, 2)


def test_progress_totals_add_up_the_panels():
    world = scored_cycle(panels=2, dossiers=1, experts=5)
    score(world.seats[0][0], world.dossiers[0][0])
    score(world.seats[1][0], world.dossiers[1][0])

    total = dashboard.review_dashboard(world.cycle).totals["material"]

    assert (total.expected, total.submitted) == (10, 2)


# --- late experts and reminders ---


def test_late_experts_are_the_seats_with_sheets_not_submitted():
    world = scored_cycle(dossiers=2, experts=5)
    seats, (first, second) = world.seats[0], world.dossiers[0]
    for dossier in (first, second):
        score(seats[0], dossier)  # done
    score(seats[1], first)
    score(seats[1], second, submit=False)

    late = dashboard.review_dashboard(world.cycle).late

    assert [entry.seat for entry in late] == seats[1:]
    assert (late[0].not_started, [d.pk for d in late[0].drafts]) == ([], [second.pk])
    assert [d.pk for d in late[1].not_started] == [first.pk, second.pk]
    assert {entry.days for entry in late} == {OPENED_DAYS_AGO}


def test_no_expert_is_late_outside_the_review_phases():
    world = scored_cycle(dossiers=1, experts=5, phase=CyclePhase.DELIBERATION)

    data = dashboard.review_dashboard(world.cycle)

    assert (data.stage, data.late) == (None, [])


def test_late_experts_listed_on_the_page_with_a_checkbox(client, secretariat):
    world = scored_cycle(dossiers=1, experts=5)
    client.force_login(secretariat)

    content = client.get(url(world.cycle)).content.decode()

    for seat in world.seats[0]:
        assert f'<input type="checkbox" name="seat" value="{seat.pk}"' in content
    assert content.count('class="late-expert"') == 5


def test_remind_sends_one_mail_per_expert_chosen_and_audits_it(client, secretariat, django_capture_on_commit_callbacks):
    world = scored_cycle(dossiers=2, experts=5)
    seats, dossiers = world.seats[0], world.dossiers[0]
    score(seats[1], dossiers[0], submit=False)
    client.force_login(secretariat)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:review_dashboard_remind", args=[world.cycle.pk]), {"seat": [seats[0].pk, seats[1].pk]}
        )

    assert response.status_code == 302
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [seats[0].expert.user.email, seats[1].expert.user.email]
    )
    body = next(m.body for m in mail.outbox if m.to == [seats[1].expert.user.email])
    assert dossiers[0].number in body and dossiers[1].number in body
    events = AuditEvent.objects.filter(action="review.reminder_sent").order_by("object_id")
    assert [(e.actor, e.object_id) for e in events] == [
        (secretariat, str(seats[0].pk)),
        (secretariat, str(seats[1].pk)),
    ]
    second = events.get(object_id=str(seats[1].pk)).data
    assert (second["drafts"], second["not_started"], second["days"]) == (
        [dossiers[0].number],
        [dossiers[1].number],
        OPENED_DAYS_AGO,
    )
    with translation.override("zh-hans"):
        expected = translation.ngettext(
            "%(count)s reminder is being sent.", "%(count)s reminders are being sent.", 2
        ) % {"count": 2}
    assert [str(m) for m in get_messages(response.wsgi_request)] == [expected]


def test_remind_skips_an_expert_who_has_submitted_everything(client, secretariat, django_capture_on_commit_callbacks):
    world = scored_cycle(dossiers=1, experts=5)
    done = world.seats[0][0]
    score(done, world.dossiers[0][0])
    client.force_login(secretariat)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:review_dashboard_remind", args=[world.cycle.pk]), {"seat": [done.pk]})

    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="review.reminder_sent").exists()


def test_remind_refused_when_no_stage_is_open():
    world = scored_cycle(dossiers=1, experts=5, phase=CyclePhase.ELIGIBILITY)

    with pytest.raises(dashboard.DashboardError):
        dashboard.reminders_send(cycle=world.cycle, seat_ids=[world.seats[0][0].pk], by=None)


def test_remind_with_nobody_chosen_says_so(client, secretariat):
    world = scored_cycle(dossiers=1, experts=5)
    client.force_login(secretariat)

    response = client.post(reverse("admin:review_dashboard_remind", args=[world.cycle.pk]), {})

    assert response.status_code == 302
    assert len(list(get_messages(response.wsgi_request))) == 1
    assert mail.outbox == []


def test_reminder_is_sent_once_per_token():
    world = scored_cycle(dossiers=1, experts=5)
    seat = world.seats[0][0]

    first = dashboard.reminder_mail(seat_id=seat.pk, stage="material", by_id=None, token="t1")
    again = dashboard.reminder_mail(seat_id=seat.pk, stage="material", by_id=None, token="t1")

    assert (first, again, len(mail.outbox)) == (True, False, 1)


def test_reminder_skipped_once_the_stage_has_closed():
    world = scored_cycle(dossiers=1, experts=5)
    seat = world.seats[0][0]
    world.cycle.phase = CyclePhase.ONSITE_REVIEW
    world.cycle.save()

    assert dashboard.reminder_mail(seat_id=seat.pk, stage="material", by_id=None, token="t") is False
    assert mail.outbox == []


def test_remind_get_not_allowed(client, secretariat):
    world = scored_cycle(dossiers=1, experts=5)
    client.force_login(secretariat)

    assert client.get(reverse("admin:review_dashboard_remind", args=[world.cycle.pk])).status_code == 405


# --- who may see it ---


@pytest.mark.parametrize("role", ["expert", "applicant", "committee"])
def test_dashboard_sends_other_roles_to_the_admin_login(client, role):
    world = scored_cycle(dossiers=1, experts=5)
    client.force_login(UserFactory(roles=[role]))

    response = client.get(url(world.cycle))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_dashboard_refuses_staff_outside_the_secretariat(client):
    world = scored_cycle(dossiers=1, experts=5)
    client.force_login(UserFactory(roles=["expert"], is_staff=True))

    assert client.get(url(world.cycle)).status_code == 403
    response = client.post(
        reverse("admin:review_dashboard_remind", args=[world.cycle.pk]), {"seat": [world.seats[0][0].pk]}
    )
    assert response.status_code == 403
    assert mail.outbox == []


def test_dashboard_without_a_cycle_opens_the_latest_with_panels(client, secretariat):
    world = scored_cycle(dossiers=1, experts=5, number=1)
    scored_cycle(panels=0, number=2)
    client.force_login(secretariat)

    response = client.get(reverse("admin:review_dashboard"))

    assert response["Location"] == url(world.cycle)


def test_dashboard_of_an_unknown_cycle_is_not_found(client, secretariat):
    client.force_login(secretariat)

    assert client.get(reverse("admin:review_dashboard", args=[999])).status_code == 404


def test_admin_index_links_to_the_dashboard(client, secretariat):
    client.force_login(secretariat)

    content = client.get(reverse("admin:index")).content.decode()

    assert f'href="{reverse("admin:review_dashboard")}"' in content


# --- charts ---


def test_chart_data_radar_has_seven_categories_material_from_sheets_onsite_from_consensus(client, secretariat):
    world = scored_cycle(dossiers=1, experts=5, phase=CyclePhase.ONSITE_REVIEW)
    dossier = world.dossiers[0][0]
    for seat in world.seats[0]:
        score(seat, dossier, percent=50)
    agree(world.panels[0], dossier, stage="onsite", percent=80)
    client.force_login(secretariat)

    data = chart_json(client.get(url(world.cycle)))

    assert len(data["categories"]) == 7
    [entry] = data["radar"]
    assert entry["dossier"] == dossier.number
    assert entry["series"]["material"]["shares"] == [50.0] * 7
    assert (entry["series"]["material"]["source"], entry["series"]["material"]["sheets"]) == ("sheets", 5)
    assert entry["series"]["onsite"]["shares"] == [80.0] * 7
    assert entry["series"]["onsite"]["source"] == "consensus"


def test_chart_data_radar_prefers_the_recorded_consensus():
    world = scored_cycle(dossiers=1, experts=5)
    dossier = world.dossiers[0][0]
    for seat in world.seats[0]:
        score(seat, dossier, percent=50)
    agree(world.panels[0], dossier, stage="material", percent=70)

    [entry] = dashboard.review_dashboard(world.cycle).charts["radar"]

    assert entry["series"]["material"]["shares"] == [70.0] * 7
    assert "onsite" not in entry["series"]


def test_chart_data_calibration_is_the_difference_from_the_panel_aggregate():
    world = scored_cycle(dossiers=2, experts=5)
    generous, *others = world.seats[0]
    for dossier in world.dossiers[0]:
        score(generous, dossier, percent=60)
        for seat in others:
            score(seat, dossier, percent=50)

    material = dashboard.review_dashboard(world.cycle).charts["stages"][0]

    rows = {row["expert"]: row for row in material["calibration"]}
    # Five scores [50, 50, 50, 50, 60]: the trimmed aggregate leaves out one 50 and the 60, so it is 50.
    assert rows[str(generous.expert)] == {
        "expert": str(generous.expert),
        "panel": world.panels[0].name,
        "count": 46,
        "mean": 10.0,
        "std_dev": 0.0,
        "box": [10.0] * 5,
    }
    assert {rows[str(seat.expert)]["mean"] for seat in others} == {0.0}


def test_chart_data_calibration_uses_the_mean_when_the_cycle_does_not_trim():
    world = scored_cycle(dossiers=1, experts=5)
    world.cycle.trimmed_aggregate = False
    world.cycle.save()
    generous, *others = world.seats[0]
    score(generous, world.dossiers[0][0], percent=60)
    for seat in others:
        score(seat, world.dossiers[0][0], percent=50)

    material = dashboard.review_dashboard(world.cycle).charts["stages"][0]

    rows = {row["expert"]: row["mean"] for row in material["calibration"]}
    assert rows[str(generous.expert)] == 8.0  # 60 - 52
    assert rows[str(others[0].expert)] == -2.0


def test_chart_data_spread_per_item_across_experts():
    world = scored_cycle(dossiers=1, experts=5)
    dossier = world.dossiers[0][0]
    for seat, percent in zip(world.seats[0], (30, 40, 50, 60, 70), strict=True):
        score(seat, dossier, percents={"4.1.2": percent}, percent=50)

    material = dashboard.review_dashboard(world.cycle).charts["stages"][0]

    assert [row["item"] for row in material["spread"]] == item_codes(world.cycle)
    first = material["spread"][0]
    assert (first["item"], first["count"], first["mean"], first["box"]) == (
        "4.1.2",
        5,
        50.0,
        [30.0, 40.0, 50.0, 60.0, 70.0],
    )
    assert first["within_dossier_sd"] == 14.1  # sqrt(200)
    assert material["spread"][1]["box"] == [50.0] * 5


def test_every_chart_has_a_table(client, secretariat):
    world = scored_cycle(dossiers=1, experts=5)
    for seat in world.seats[0]:
        score(seat, world.dossiers[0][0], percent=50)
    client.force_login(secretariat)

    content = client.get(url(world.cycle)).content.decode()

    assert 'id="radar-chart"' in content and 'id="radar-table"' in content
    assert 'id="calibration-chart-material"' in content and 'class="calibration-table" data-stage="material"' in content
    assert 'id="spread-chart-material"' in content and 'class="spread-table" data-stage="material"' in content
    assert content.count(f'<tr data-dossier="{world.dossiers[0][0].number}"') == 1
    for seat in world.seats[0]:
        assert f'<th scope="row">{seat.expert}</th>' in content
    assert "<script>" not in content.split('id="content-main"')[1]  # the page's own scripts are files


def test_box_is_min_quartiles_median_max():
    assert dashboard.box([1, 2, 3, 4]) == [1.0, 1.8, 2.5, 3.3, 4.0]  # 1.75 and 3.25 shown to one place
    assert dashboard.box([]) == []


# --- query counts ---


@pytest.mark.parametrize(("panels", "dossiers", "experts"), [(1, 1, 5), (3, 3, 7)])
def test_dashboard_queries_fixed(client, secretariat, django_assert_num_queries, panels, dossiers, experts):
    world = scored_cycle(panels=panels, dossiers=dossiers, experts=experts)
    for panel, panel_seats, panel_dossiers in zip(world.panels, world.seats, world.dossiers, strict=True):
        score(panel_seats[0], panel_dossiers[0])
        score(panel_seats[1], panel_dossiers[0], submit=False)
        agree(panel, panel_dossiers[0])
    client.force_login(secretariat)

    # The session and the user; a savepoint pair around the user's roles, the cycle, the dashboard's seventeen
    # reads (six cycle-wide counts, the spread per item and its fingerprint, seven reads of the page's panels and
    # their percentages), the model permissions of the user and of their groups (asked once, then cached) and the
    # cycles of the switcher; then the session saved again inside its own savepoint pair.
    with django_assert_num_queries(29):
        response = client.get(url(world.cycle))

    assert len(response.context["dashboard"].panels) == panels
    done = panels if dossiers == 1 else 0  # the first expert of each panel submitted their only dossier
    assert len(response.context["dashboard"].late) == panels * experts - done


def test_reminder_requested_while_the_broker_is_down_is_sent_by_the_sweeper_once(secretariat):
    """The request is audited in the secretariat's transaction (the outbox); the queued task never ran."""
    world = scored_cycle(dossiers=1, experts=5)
    seat = world.seats[0][0]

    dashboard.reminders_send(cycle=world.cycle, seat_ids=[seat.pk], by=secretariat)  # on_commit never runs here

    assert mail.outbox == []
    assert task_send_pending_reminders() == 1
    assert task_send_pending_reminders() == 0
    assert [message.to for message in mail.outbox] == [[seat.expert.user.email]]
    sent = AuditEvent.objects.get(action="review.reminder_sent")
    assert sent.actor == secretariat


def test_sweeper_leaves_a_reminder_whose_expert_caught_up():
    world = scored_cycle(dossiers=1, experts=5)
    seat = world.seats[0][0]
    dashboard.reminders_send(cycle=world.cycle, seat_ids=[seat.pk], by=None)
    score(seat, world.dossiers[0][0])

    assert task_send_pending_reminders() == 0
    assert task_send_pending_reminders() == 0
    assert mail.outbox == []
    assert AuditEvent.objects.filter(action="review.reminder_skipped").count() == 1
