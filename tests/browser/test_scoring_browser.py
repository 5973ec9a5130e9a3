"""An expert scores a dossier in a real Chromium, in Chinese: each item saves itself (htmx), the total follows,
and a change made while the connection is lost is marked "not saved yet" and saved once the browser is back online.

The rows nobody makes in these pages (the cycle in the material review, the panel, the accepted seat, the pledge,
the eligible dossier) come from the factories; the expert logs in through the real login page and clicks through
their workspace to the score sheet (templates/review/expert/score.html, static/review/score.js).
"""

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from mayor_award.core.enums import CyclePhase, Role
from mayor_award.core.models import CriteriaItem
from review.models import ItemScore
from tests.factories.core import PASSWORD, CycleFactory, UserFactory
from tests.factories.review import ExpertFactory, PanelDossierFactory, PanelFactory, PledgeFactory, SeatFactory

# live_server makes these tests transactional; see the comment at the top of test_public_site.py.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

ORGANISATION = "漯河市源汇食品有限公司"
EXPERT_USERNAME = "zhuanjia-li"
SAVE_WAIT_MS = 10_000  # a save answers in well under a second here; back online, the retry goes at once


def zh(message, **values):
    """The catalog's Chinese for `message`, with %-placeholders filled in."""
    with translation.override("zh-hans"):
        text = gettext(message)
    return text % values if values else text


def shoot(page, directory, name):
    page.screenshot(path=directory / f"scoring-{name}.png", full_page=True)


def log_in(page, base_url, username, password):
    page.goto(base_url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: reverse("login") not in url)  # each role lands in its own workspace


def saved_at_pattern():
    """The row's saved marker from the autosave's answer: "已于HH:MM保存"."""
    return re.compile(re.escape(zh("Saved at %(time)s", time="TIME")).replace("TIME", r"\d{2}:\d{2}"))


def shown(points: Decimal) -> str:
    """Points as both the page's script and the server show a whole number of points."""
    assert points == points.to_integral_value(), "pick a percentage that gives whole points"
    return str(int(points))


def item_row(page, code):
    return page.locator(f'#score-form tr[data-item="{code}"]')


def stored(panel, code) -> ItemScore:
    return ItemScore.objects.get(sheet__seat=panel.seat, sheet__dossier=panel.dossier, item__code=code)


@pytest.fixture
def panel():
    """An accepted, pledged expert on a panel of a cycle in the material review, with one eligible dossier."""
    cycle = CycleFactory(phase=CyclePhase.MATERIAL_REVIEW)
    board = PanelFactory(cycle=cycle)
    dossier = PanelDossierFactory(panel=board, dossier__organisation__name=ORGANISATION).dossier  # eligible
    user = UserFactory(username=EXPERT_USERNAME, name="李评审", roles=[Role.EXPERT])
    expert = ExpertFactory(user=user)
    seat = SeatFactory(panel=board, expert=expert, accepted=True)
    PledgeFactory(expert=expert, cycle=cycle)
    items = list(
        CriteriaItem.objects.filter(category__criteria_id=cycle.criteria_id).order_by("category__position", "position")
    )
    return SimpleNamespace(cycle=cycle, dossier=dossier, user=user, seat=seat, items=items)


def open_score_sheet(page, base, panel):
    """Log in as the expert and click through the workspace and the dossier to the material review sheet."""
    log_in(page, base, panel.user.username, PASSWORD)
    page.goto(base + reverse("review:dashboard"))
    page.locator(f'main a[href="{reverse("review:dossier", args=[panel.dossier.pk])}"]').click()
    page.wait_for_url(base + reverse("review:dossier", args=[panel.dossier.pk]))
    page.get_by_role("link", name=zh("Score the material review")).click()
    page.wait_for_url(base + reverse("review:score", args=[panel.dossier.pk, "material"]))
    expect(page.locator("main h1")).to_contain_text(ORGANISATION)
    expect(page.locator("#save-summary")).to_have_text(zh("Every change is saved."))
    expect(page.locator("output#self-total")).to_have_text("0")


def test_an_item_saves_itself_and_the_total_follows(live_server, page, panel, screenshot_dir):
    base = live_server.url
    open_score_sheet(page, base, panel)
    item = panel.items[0]
    row = item_row(page, item.code)
    percent = 60
    points = shown(Decimal(item.points) * percent / 100)
    strengths = "高层领导确定了清晰的使命、愿景和价值观，并通过季度经营分析会推进落实。"

    # The percentage: the total follows as it is typed, and leaving the box saves the item.
    row.locator(f'[name="p_{item.code}"]').fill(str(percent))
    expect(page.locator("output#self-total")).to_have_text(points)
    expect(row.locator("output.item-points")).to_have_text(points)
    row.locator(f'[name="p_{item.code}"]').press("Tab")
    expect(row.locator(".item-status")).to_have_text(saved_at_pattern(), timeout=SAVE_WAIT_MS)
    expect(page.locator("#save-summary")).to_have_text(zh("Every change is saved."))
    expect(row.locator(".item-unsaved")).to_be_hidden()
    expect(page.locator("output#self-total")).to_have_text(points)  # the saved total, from the answer

    # The strengths: marked not saved while typed, saved a moment after typing stops (no button pressed).
    row.locator(f'[name="s_{item.code}"]').fill(strengths)
    expect(row.locator(".item-unsaved")).to_be_visible()
    expect(row.locator(".item-unsaved")).to_have_text(zh("Not saved yet"))
    expect(page.locator("#save-summary")).to_have_text(f"{zh('Not saved yet:')} {item.code}.")
    expect(row.locator(".item-unsaved")).to_be_hidden(timeout=SAVE_WAIT_MS)
    expect(page.locator("#save-summary")).to_have_text(zh("Every change is saved."))
    expect(row.locator(".item-status")).to_have_text(saved_at_pattern())
    shoot(page, screenshot_dir, "01-item-saved")
    saved = stored(panel, item.code)
    assert (saved.percent, saved.strengths, saved.opportunities) == (percent, strengths, "")

    # Reloaded from the server: the stored values and the total computed from them.
    page.reload()
    row = item_row(page, item.code)
    expect(row.locator(f'[name="p_{item.code}"]')).to_have_value(str(percent))
    expect(row.locator(f'[name="s_{item.code}"]')).to_have_value(strengths)
    expect(page.locator("output#self-total")).to_have_text(points)
    expect(row.locator(".item-unsaved")).to_be_hidden()
    shoot(page, screenshot_dir, "02-reloaded")


def test_a_change_made_offline_is_marked_and_saved_once_back_online(live_server, page, panel, screenshot_dir):
    base = live_server.url
    open_score_sheet(page, base, panel)
    item = panel.items[1]
    row = item_row(page, item.code)
    percent = 40
    points = shown(Decimal(item.points) * percent / 100)

    page.context.set_offline(True)
    row.locator(f'[name="p_{item.code}"]').fill(str(percent))
    row.locator(f'[name="p_{item.code}"]').press("Tab")
    # The save failed: the row and the list at the top say so, and a retry is announced.
    expect(row.locator(".item-unsaved")).to_be_visible()
    summary = page.locator("#save-summary")
    expect(summary).to_contain_text(f"{zh('Not saved yet:')} {item.code}.")
    expect(summary).to_contain_text(zh("The connection was lost: saving again shortly. Keep this page open."))
    expect(row.locator(".item-status")).to_have_text("")
    expect(page.locator("output#self-total")).to_have_text(points)  # the page's own sum, not saved yet
    shoot(page, screenshot_dir, "03-offline-not-saved")
    assert stored(panel, item.code).percent is None

    page.context.set_offline(False)
    expect(row.locator(".item-unsaved")).to_be_hidden(timeout=SAVE_WAIT_MS)
    expect(row.locator(".item-status")).to_have_text(saved_at_pattern())
    expect(summary).to_have_text(zh("Every change is saved."))
    shoot(page, screenshot_dir, "04-back-online-saved")
    assert stored(panel, item.code).percent == percent
