"""The expert's score page (issue 5, "Scoring an item"): items save themselves (htmx), in the cycle's step, only on
the expert's own open sheet; the panel's scores show after one's own sheet is in (independent review)."""

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from applications.enums import DossierState
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import CriteriaItem
from review import sheets
from review.models import ItemScore, OnsiteVisit, ScoreSheet
from tests.factories.core import CycleFactory
from tests.factories.review import PanelDossierFactory, PanelFactory, PledgeFactory, SeatFactory

pytestmark = pytest.mark.django_db

EN = {"accept-language": "en"}


def make_panel(*, number=3, dossiers=1, experts=5, **cycle_settings):
    """A panel in the material review with `dossiers` dossiers and `experts` accepted, pledged experts."""
    cycle = CycleFactory(number=number, year=2018 + 2 * number, phase=CyclePhase.MATERIAL_REVIEW, **cycle_settings)
    panel = PanelFactory(cycle=cycle, size=max(experts, 5))
    files = [PanelDossierFactory(panel=panel).dossier for _ in range(dossiers)]
    seats = [SeatFactory(panel=panel, accepted=True, leader=rank == 0) for rank in range(experts)]
    for seat in seats:
        PledgeFactory(expert=seat.expert, cycle=cycle)
    return SimpleNamespace(cycle=cycle, panel=panel, dossiers=files, dossier=files[0], seats=seats, seat=seats[0])


@pytest.fixture
def panel():
    return make_panel()


def codes(cycle):
    return list(
        CriteriaItem.objects.filter(category__criteria_id=cycle.criteria_id)
        .order_by("category__position", "position")
        .values_list("code", flat=True)
    )


def submit(seat, dossier, percent=50, **percents):
    """The seat's sheet of `dossier`, every item at `percent` (or as `percents` says, "4_1_2": 100), submitted."""
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage="material")
    given = {code.replace("_", "."): value for code, value in percents.items()}
    entries = {
        code: {"percent": given.get(code, percent), "strengths": "方法系统", "opportunities": "加强展开"}
        for code in codes(dossier.cycle)
    }
    sheets.sheet_save(sheet=sheet, entries=entries, by=seat.expert.user)
    return sheets.sheet_submit(sheet=sheet, by=seat.expert.user)


def score_url(dossier, stage="material"):
    return reverse("review:score", args=[dossier.pk, stage])


def item_url(dossier, code="4.1.2", stage="material"):
    return reverse("review:score-item", args=[dossier.pk, stage, code])


def panel_url(dossier, stage="material"):
    return reverse("review:panel-scores", args=[dossier.pk, stage])


def row(seat, dossier, code="4.1.2"):
    return ItemScore.objects.get(sheet__seat=seat, sheet__dossier=dossier, item__code=code)


# --- the page ---


def test_score_page_wires_the_autosave_of_every_item(client, panel):
    client.force_login(panel.seat.expert.user)

    content = client.get(score_url(panel.dossier), headers=EN).content.decode()

    assert "vendor/htmx/htmx.min.js" in content
    assert "review/score.js" in content
    assert 'id="save-summary"' in content and 'data-unsaved="Not saved yet:"' in content
    for code in codes(panel.cycle):
        assert f'hx-post="{item_url(panel.dossier, code)}"' in content
        assert f'hx-params="csrfmiddlewaretoken,p_{code},s_{code},o_{code}"' in content
    assert content.count('hx-trigger="change, score:typed delay:1500ms, score:retry"') == 23
    assert content.count('class="item-unsaved badge text-bg-warning" hidden') == 23


def test_the_scripts_exist_and_handle_lost_connections():
    assert finders.find("vendor/htmx/htmx.min.js")
    script = Path(finders.find("review/score.js")).read_text(encoding="utf-8")

    for wired in ("htmx:sendError", "htmx:responseError", "htmx:timeout", "beforeunload", "X-Score-Saved", "online"):
        assert wired in script


@pytest.mark.parametrize("step", [1, 10])
def test_score_page_uses_the_cycles_step(client, step):
    world = make_panel(score_step=step)
    client.force_login(world.seat.expert.user)

    content = client.get(score_url(world.dossier), headers=EN).content.decode()

    assert content.count(f'step="{step}"') == 23
    assert f"a percentage in steps of {step}," in content


def test_a_submitted_sheet_is_read_only_without_autosave(client, panel):
    submit(panel.seat, panel.dossier)
    client.force_login(panel.seat.expert.user)

    content = client.get(score_url(panel.dossier), headers=EN).content.decode()

    assert "hx-post" not in content and "htmx.min.js" not in content
    assert "This sheet is read-only." in content


def test_without_javascript_a_refused_form_shows_what_was_typed_and_saves_nothing(client, panel):
    client.force_login(panel.seat.expert.user)
    form = {"p_4.1.2": "7", "s_4.1.2": "领导重视质量", "p_4.1.3": "50", "action": "save"}

    response = client.post(score_url(panel.dossier), form, headers=EN)

    assert response.status_code == 422
    content = response.content.decode()
    assert 'value="7"' in content and "领导重视质量" in content and "steps of 5" in content
    assert set(ItemScore.objects.filter(sheet__seat=panel.seat).values_list("percent", flat=True)) == {None}


# --- one item saves itself ---


def test_item_autosave_saves_and_returns_the_points_subtotal_and_total(client, panel):
    client.force_login(panel.seat.expert.user)
    item = CriteriaItem.objects.get(category__criteria_id=panel.cycle.criteria_id, code="4.1.2")  # 50 points

    response = client.post(item_url(panel.dossier), {"p_4.1.2": "60", "s_4.1.2": "优势", "o_4.1.2": "改进"})
    client.post(item_url(panel.dossier, "4.1.3"), {"p_4.1.3": "50"})  # 30 points: 15
    last = client.post(item_url(panel.dossier, "4.7.2"), {"p_4.7.2": "25"})  # 80 points: 20

    assert response.status_code == 200 and response["X-Score-Saved"] == "1"
    content = response.content.decode()
    assert f'id="points-{item.pk}" hx-swap-oob="true">30</output>' in content
    assert f'id="category-total-{item.category_id}" data-category="4.1" hx-swap-oob="true">30</output>' in content
    assert 'id="self-total" aria-live="polite" hx-swap-oob="true">30</output>' in content
    assert 'id="self-total" aria-live="polite" hx-swap-oob="true">65</output>' in last.content.decode()
    saved = row(panel.seat, panel.dossier)
    assert (saved.percent, saved.strengths, saved.opportunities) == (60, "优势", "改进")
    assert ItemScore.objects.filter(sheet__seat=panel.seat, percent__isnull=False).count() == 3


@pytest.mark.parametrize(("step", "percent", "status"), [(10, "15", 422), (5, "15", 200), (5, "105", 422)])
def test_item_autosave_checks_the_cycles_step_and_range(client, step, percent, status):
    world = make_panel(score_step=step)
    client.force_login(world.seat.expert.user)

    response = client.post(item_url(world.dossier), {"p_4.1.2": percent}, headers=EN)

    assert response.status_code == status
    assert row(world.seat, world.dossier).percent == (int(percent) if status == 200 else None)
    if status == 422:
        assert f"4.1.2: {percent} is not a percentage from 0 to 100 in steps of {step}." in response.content.decode()
        assert "X-Score-Saved" not in response


def test_item_autosave_refused_after_submit_and_nothing_is_lost(client, panel):
    submit(panel.seat, panel.dossier, percent=55)
    client.force_login(panel.seat.expert.user)

    response = client.post(item_url(panel.dossier), {"p_4.1.2": "0", "s_4.1.2": ""}, headers=EN)

    assert response.status_code == 409
    assert "This sheet has been submitted; only the secretariat can reopen it." in response.content.decode()
    assert set(ItemScore.objects.filter(sheet__seat=panel.seat).values_list("percent", "strengths")) == {
        (55, "方法系统")
    }


def test_item_autosave_refused_in_a_stage_that_is_not_open(client, panel):
    client.force_login(panel.seat.expert.user)

    response = client.post(item_url(panel.dossier, stage="onsite"), {"p_4.1.2": "50"}, headers=EN)

    assert response.status_code == 409
    assert "This stage of the review is not open now." in response.content.decode()


@pytest.mark.parametrize("code", ["4.1.1", "9.9.9", "p_4.1.2"])
def test_item_autosave_of_a_code_not_in_the_criteria_is_not_found(client, panel, code):
    client.force_login(panel.seat.expert.user)

    assert client.post(item_url(panel.dossier, code), {f"p_{code}": "50"}).status_code == 404


def test_item_autosave_with_tampered_ids_is_not_found(client, panel):
    other = make_panel(number=4)
    client.force_login(panel.seat.expert.user)

    assert client.post(item_url(other.dossier), {"p_4.1.2": "50"}).status_code == 404  # another panel's dossier
    assert client.post(item_url(panel.dossier, stage="final"), {"p_4.1.2": "50"}).status_code == 404
    assert client.get(item_url(panel.dossier)).status_code == 405
    assert not ItemScore.objects.filter(sheet__dossier=other.dossier).exists()


def test_item_autosave_writes_only_the_experts_own_sheet(client, panel):
    colleague = panel.seats[1]
    submit(colleague, panel.dossier, percent=80)
    client.force_login(panel.seat.expert.user)

    assert client.post(item_url(panel.dossier), {"p_4.1.2": "20"}).status_code == 200

    assert row(panel.seat, panel.dossier).percent == 20
    assert row(colleague, panel.dossier).percent == 80


# --- the panel's scores (independent review) ---


def test_panel_scores_hidden_until_ones_own_sheet_is_submitted(client, panel):
    for colleague in panel.seats[1:]:
        submit(colleague, panel.dossier, percent=70)
    client.force_login(panel.seat.expert.user)

    hidden = client.get(panel_url(panel.dossier), headers=EN)
    score_page = client.get(score_url(panel.dossier), headers=EN).content.decode()

    assert hidden.status_code == 403
    assert "the panel's scores show once you have submitted your own sheet" in hidden.content.decode()
    assert 'id="panel-scores"' not in hidden.content.decode()
    assert panel_url(panel.dossier) not in score_page


def test_panel_scores_after_submitting_name_no_colleague_and_flag_outliers(client, panel):
    submit(panel.seat, panel.dossier, percent=50)
    submit(panel.seats[1], panel.dossier, percent=50, **{"4_1_2": 100})
    for colleague in panel.seats[2:]:
        submit(colleague, panel.dossier, percent=50)
    client.force_login(panel.seat.expert.user)

    response = client.get(panel_url(panel.dossier), headers=EN)

    assert response.status_code == 200
    content = response.content.decode()
    first = response.context["lines"][0]["row"]  # 4.1.2: 50, 100, 50, 50, 50
    assert (first.item.code, first.aggregate, first.aggregate_used) == ("4.1.2", 50, "trimmed_mean")  # 100, 50 out
    assert [score.flagged for score in first.scores] == [False, True, False, False, False]
    assert "Expert B" in content and "Expert E" in content and "You" in content
    for colleague in panel.seats[1:]:
        assert colleague.expert.user.username not in content and colleague.expert.user.name not in content
    assert content.count("table-warning outlier") == 1  # 100 against a mean of 60: more than 20 points away
    assert "500 / 1000" in content
    assert panel_url(panel.dossier) in client.get(score_url(panel.dossier)).content.decode()


def test_panel_scores_before_submitting_when_the_cycle_does_not_ask_for_independence(client):
    world = make_panel(independent_scoring=False)
    submit(world.seats[1], world.dossier, percent=70)
    client.force_login(world.seat.expert.user)

    response = client.get(panel_url(world.dossier), headers=EN)

    assert response.status_code == 200
    assert response.context["table"].submitted == 1
    assert panel_url(world.dossier) in client.get(score_url(world.dossier)).content.decode()


def test_panel_scores_of_another_panel_are_not_found(client, panel):
    other = make_panel(number=4)
    submit(other.seat, other.dossier)
    submit(panel.seat, panel.dossier)
    client.force_login(panel.seat.expert.user)

    assert client.get(panel_url(other.dossier)).status_code == 404
    assert client.get(panel_url(panel.dossier, stage="final")).status_code == 404


# --- queries: the same for one dossier and five experts as for three dossiers and seven ---


@pytest.mark.parametrize(("dossiers", "experts"), [(1, 5), (3, 7)])
def test_score_page_and_item_autosave_queries_fixed(client, django_assert_num_queries, dossiers, experts):
    world = make_panel(dossiers=dossiers, experts=experts)
    for dossier in world.dossiers:
        for colleague in world.seats[1:]:
            submit(colleague, dossier)
    client.force_login(world.seat.expert.user)
    client.get(score_url(world.dossier))  # opens the sheet and fills the caches (bands, content types)
    client.post(item_url(world.dossier, "4.1.3"), {"p_4.1.3": "50"})

    # Each: the session and the user, a savepoint pair (ATOMIC_REQUESTS), then the session saved in its own
    # savepoint pair (SESSION_SAVE_EVERY_REQUEST); and the page: the sheet (with every access check in one query),
    # its rows as values, the user's roles (the menu); the criteria's items and bands are read once per process.
    with django_assert_num_queries(10):
        assert client.get(score_url(world.dossier)).status_code == 200
    # the autosave: the row with its sheet locked (every check in one query), its update and history, the sheet's,
    # the sheet's percentages
    with django_assert_num_queries(13):
        assert client.post(item_url(world.dossier), {"p_4.1.2": "60", "s_4.1.2": "优势"}).status_code == 200
    submit(world.seat, world.dossier)
    # the items, the seats, conflicts, submitted sheets, their percentages, the consensus, the user's roles
    with django_assert_num_queries(18):
        assert client.get(panel_url(world.dossier)).status_code == 200


# --- on site, only the visit's team scores (independent scoring; the consensus expects the team's sheets) ---


def onsite_panel(*, team=True):
    """A panel in the on-site review whose dossier was selected; its visit's team is the first three seats."""
    world = make_panel(number=5)
    world.cycle.phase = CyclePhase.ONSITE_REVIEW
    world.cycle.save(update_fields=["phase"])
    world.dossier.state = DossierState.SELECTED
    world.dossier.save(update_fields=["state"])
    if team:
        visit = OnsiteVisit.objects.create(
            dossier=world.dossier, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 9, 2), place="漯河市源汇区"
        )
        visit.team.set(world.seats[:3])
    return world


def test_a_member_outside_the_visit_team_cannot_score_on_site_nor_see_the_team(client):
    world = onsite_panel()
    outsider = world.seats[3]
    client.force_login(outsider.expert.user)

    page = client.get(score_url(world.dossier, "onsite"))
    posted = client.post(score_url(world.dossier, "onsite"), {"action": "submit"})
    autosave = client.post(item_url(world.dossier, stage="onsite"), {"p_4.1.2": "50"})
    team_scores = client.get(panel_url(world.dossier, "onsite"))
    dossier_page = client.get(reverse("review:dossier", args=[world.dossier.pk]), headers=EN)

    assert [page.status_code, posted.status_code, autosave.status_code, team_scores.status_code] == [404] * 4
    assert not ScoreSheet.objects.filter(seat=outsider, stage="onsite").exists()
    assert dossier_page.status_code == 200
    assert score_url(world.dossier, "onsite") not in dossier_page.content.decode()


def test_a_member_of_the_visit_team_scores_on_site(client):
    world = onsite_panel()
    member = world.seats[2]
    client.force_login(member.expert.user)

    page = client.get(score_url(world.dossier, "onsite"), headers=EN)
    autosave = client.post(item_url(world.dossier, stage="onsite"), {"p_4.1.2": "50"}, headers=EN)
    dossier_page = client.get(reverse("review:dossier", args=[world.dossier.pk]), headers=EN)

    assert (page.status_code, autosave.status_code) == (200, 200)
    assert row(member, world.dossier).percent == 50
    assert score_url(world.dossier, "onsite") in dossier_page.content.decode()


def test_without_a_named_team_every_panel_member_scores_on_site(client):
    world = onsite_panel(team=False)
    client.force_login(world.seats[3].expert.user)

    assert client.get(score_url(world.dossier, "onsite"), headers=EN).status_code == 200
