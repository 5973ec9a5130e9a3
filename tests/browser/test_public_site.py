"""The public site and the secretariat's notice workflow in a real Chromium, in Chinese.

What only a browser shows: Chinese characters drawn with a real CJK font (not boxes), the login form,
the admin's own pages and the round trip from the admin to the public home page.
"""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from mayor_award.core.enums import CyclePhase, NoticeKind, NoticeState
from mayor_award.core.models import Notice
from tests.factories.core import PASSWORD, CycleFactory, NoticeFactory, UserFactory

# live_server makes these tests transactional; the flush after each one empties every table, and the core's
# post_migrate hook (mayor_award/core/reference_data.py) puts the role groups and the criteria back.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

SITE_TITLE = "漯河市市长质量奖"

# Draws each character on a canvas in the page's own font stack and returns its alpha mask. A missing
# glyph is drawn as the font's .notdef box, so with no CJK font every character gives the same mask.
GLYPH_MASKS_JS = """(chars) => {
  const family = getComputedStyle(document.body).fontFamily;
  return chars.map((ch) => {
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 64;
    const ctx = canvas.getContext('2d');
    ctx.font = `48px ${family}`;
    ctx.textBaseline = 'top';
    ctx.fillText(ch, 8, 8);
    const alpha = ctx.getImageData(0, 0, 64, 64).data.filter((_, i) => i % 4 === 3);
    return Array.from(alpha).join(',');
  });
}"""


def platform_fonts(page, selector):
    """The fonts Chromium really used to draw the text of `selector` (DevTools CSS domain)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()


def shoot(page, directory, name):
    page.screenshot(path=directory / name, full_page=True)


def test_home_page_draws_chinese_with_a_cjk_font(live_server, page, screenshot_dir):
    cycle = CycleFactory(phase=CyclePhase.OPEN)
    notice = NoticeFactory(
        published=True,
        cycle=cycle,
        kind=NoticeKind.CYCLE_ANNOUNCEMENT,
        title=f"关于开展{cycle.title}评审工作的公告",
    )

    page.goto(live_server.url + "/")
    expect(page.locator("#cycle-heading")).to_have_text(cycle.title)
    latest = page.locator("section[aria-labelledby=notices-heading]")
    expect(latest.get_by_role("link", name=notice.title)).to_be_visible()
    shoot(page, screenshot_dir, "home-glyphs.png")

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    # The site title, from the translation catalog.
    expect(page.locator(".navbar-brand")).to_have_text(SITE_TITLE)
    expect(page).to_have_title(SITE_TITLE)

    # 1. Chromium drew the heading and the brand with Noto Sans CJK, glyph by glyph, and nothing else.
    for selector in ("#cycle-heading", ".navbar-brand"):
        fonts = platform_fonts(page, selector)
        assert fonts, selector
        assert all("CJK" in font["familyName"] for font in fonts), (selector, fonts)

    # 2. Real glyphs, not boxes: distinct characters give distinct bitmaps, each unlike the .notdef box
    #    drawn for a private-use character. (Comparing widths does not work here: Noto Sans CJK's
    #    .notdef is one em wide, as wide as an ideograph; and document.fonts.check() answers true even
    #    for a font name that is not installed, so neither proves anything.)
    chars = ["漯", "河", "长", "质", "量", "\ue000"]  # the last one is in the private-use area: no glyph
    masks = page.evaluate(GLYPH_MASKS_JS, chars)
    assert len(set(masks)) == len(chars), "CJK characters are drawn as identical boxes"
    assert all(len(set(mask.split(","))) > 2 for mask in masks[:-1]), "a CJK character drew nothing"


def test_secretariat_publishes_a_notice_from_the_admin(live_server, page, screenshot_dir):
    cycle = CycleFactory(phase=CyclePhase.OPEN)
    clerk = UserFactory(username="mishuchu", name="李秘书", roles=["secretariat"], is_staff=True)
    title = f"关于{cycle.title}申报材料提交要求的通知"
    body = "各申报单位：\n\n请于申报截止日前提交全部申报材料。\n\n漯河市市长质量奖秘书处"
    admin_index = reverse("admin:index")
    notice_add = reverse("admin:core_notice_add")
    with translation.override("zh-hans"):
        scheduled_label = str(NoticeState.SCHEDULED.label)

    # 1. The project's own login page; its field labels are Django's, shipped in Chinese.
    page.goto(live_server.url + reverse("login"))
    expect(page.locator("label[for=id_username]")).to_contain_text("用户名")
    expect(page.locator("label[for=id_password]")).to_contain_text("密码")
    page.fill("#id_username", clerk.username)
    page.fill("#id_password", PASSWORD)
    shoot(page, screenshot_dir, "notice-01-login.png")
    page.locator("main form button[type=submit]").click()
    # 2. The secretariat lands in its workspace, the admin.
    page.wait_for_url(live_server.url + admin_index)
    shoot(page, screenshot_dir, "notice-02-logged-in.png")
    expect(page.locator(f'a[href="{notice_add}"]')).to_be_visible()
    shoot(page, screenshot_dir, "notice-03-admin-index.png")

    # 3. A new notice, scheduled with no time: published at once.
    page.locator(f'a[href="{notice_add}"]').click()
    page.wait_for_url(live_server.url + notice_add)
    page.select_option("#id_cycle", str(cycle.pk))
    page.select_option("#id_kind", NoticeKind.GENERAL.value)
    page.fill("#id_title", title)
    page.fill("#id_body", body)
    page.select_option("#id_state", label=scheduled_label)
    expect(page.locator("#id_state")).to_have_value(NoticeState.SCHEDULED.value)
    expect(page.locator("#id_publish_at_0")).to_have_value("")
    expect(page.locator("#id_publish_at_1")).to_have_value("")
    save = page.locator("input[name=_save]")
    expect(save).to_have_value("保存")
    shoot(page, screenshot_dir, "notice-04-add-form.png")
    save.click()

    # 4. Django's own success message, in Chinese, and the notice is on the public record.
    page.wait_for_url(live_server.url + reverse("admin:core_notice_changelist"))
    messages = page.locator("ul.messagelist")
    expect(messages.locator("li.success")).to_contain_text("成功添加了")
    expect(messages.locator("li.success")).to_contain_text(title)
    shoot(page, screenshot_dir, "notice-05-saved.png")
    notice = Notice.objects.get(title=title)
    assert notice.state == NoticeState.PUBLISHED
    assert notice.published_at is not None
    assert notice.created_by == clerk

    # 5. The home page (the admin's “view site” link) lists it among the latest notices.
    page.locator(f'#user-tools a[href="{reverse("home")}"]').click()
    page.wait_for_url(live_server.url + reverse("home"))
    latest = page.locator("section[aria-labelledby=notices-heading]")
    link = latest.locator(f'a[href="{notice.get_absolute_url()}"]')
    expect(link).to_have_text(title)
    shoot(page, screenshot_dir, "notice-06-home.png")

    # 6. Its page, public: no preview warning.
    link.click()
    page.wait_for_url(live_server.url + notice.get_absolute_url())
    expect(page.locator("article h1")).to_have_text(title)
    expect(page.locator(".notice-body")).to_contain_text("请于申报截止日前提交全部申报材料。")
    expect(page.locator("article time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(page.locator("article .alert-warning")).to_have_count(0)
    shoot(page, screenshot_dir, "notice-07-detail.png")
