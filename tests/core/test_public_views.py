"""The public site: what anonymous visitors, applicants and the secretariat see."""

import datetime as dt
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from mayor_award.core.enums import CyclePhase, NoticeState
from mayor_award.core.models import NoticeAttachment
from tests.factories.core import CycleFactory, NoticeFactory

from .conftest import PDF_BYTES

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def published_notice(title, hours_ago, **fields):
    moment = timezone.now() - dt.timedelta(hours=hours_ago)
    return NoticeFactory(title=title, state=NoticeState.PUBLISHED, publish_at=moment, published_at=moment, **fields)


def attachment_for(notice, *, original_name="申报指南.pdf", content=PDF_BYTES):
    attachment = NoticeAttachment(
        notice=notice,
        title="申报指南",
        original_name=original_name,
        content_type="application/pdf",
        size=len(content),
    )
    attachment.file.save("upload.pdf", ContentFile(content), save=True)
    return attachment


def parse_feed(response):
    return ET.fromstring(response.content)  # noqa: S314 - the feed is the site's own output, not untrusted input


def download(client, attachment):
    response = client.get(attachment.get_absolute_url())
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    response.close()
    return response, body


# --- home ---


def test_home_shows_the_current_cycle_not_a_draft(client):
    CycleFactory(number=1, phase=CyclePhase.CLOSED)
    current = CycleFactory(number=2, phase=CyclePhase.OPEN, title="第二届漯河市市长质量奖")
    CycleFactory(number=3, phase=CyclePhase.DRAFT, title="第三届（草稿）")

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert response.context["cycle"] == current
    assert "第二届漯河市市长质量奖" in response.text
    assert "第三届（草稿）" not in response.text


def test_home_without_public_cycle_shows_none(client):
    CycleFactory(number=1, phase=CyclePhase.DRAFT, title="第一届（草稿）")

    response = client.get(reverse("home"))

    assert response.context["cycle"] is None
    assert "第一届（草稿）" not in response.text


def test_home_lists_only_published_notices_newest_first(client):
    older = published_notice("较早的公告", hours_ago=5)
    newer = published_notice("较新的公告", hours_ago=1)
    NoticeFactory(title="草稿公告", state=NoticeState.DRAFT)
    NoticeFactory(title="待发布公告", state=NoticeState.SCHEDULED, publish_at=timezone.now() + dt.timedelta(days=1))

    response = client.get(reverse("home"))

    assert list(response.context["notices"]) == [newer, older]
    assert "草稿公告" not in response.text
    assert "待发布公告" not in response.text


def test_home_lists_the_eight_latest_notices(client):
    notices = [published_notice(f"公告{hours}", hours_ago=hours) for hours in range(1, 10)]

    response = client.get(reverse("home"))

    assert list(response.context["notices"]) == notices[:8]


@pytest.mark.parametrize("item_count", [1, 3])
def test_home_query_count_does_not_grow_with_notices(client, django_assert_num_queries, item_count):
    cycle = CycleFactory(phase=CyclePhase.OPEN)
    for hours in range(item_count):
        published_notice(f"公告{hours}", hours_ago=hours + 1, cycle=cycle)

    with django_assert_num_queries(4):  # savepoint (ATOMIC_REQUESTS), cycle, notices, release
        response = client.get(reverse("home"))

    assert len(response.context["notices"]) == item_count


# --- notice list ---


@pytest.mark.parametrize("item_count", [1, 3])
def test_notice_list_query_count_does_not_grow_with_notices(client, django_assert_num_queries, item_count):
    cycle = CycleFactory(phase=CyclePhase.OPEN)
    for hours in range(item_count):
        published_notice(f"公告{hours}", hours_ago=hours + 1, cycle=cycle)
    NoticeFactory(state=NoticeState.DRAFT)

    with django_assert_num_queries(4):  # savepoint (ATOMIC_REQUESTS), count, notices, release
        response = client.get(reverse("notice-list"))

    assert len(response.context["page"].object_list) == item_count


# --- notice detail ---


def test_notice_detail_published_visible_to_everyone(client):
    notice = published_notice("关于开展第四届评审工作的公告", hours_ago=1, body="<p>申报条件</p>")

    response = client.get(notice.get_absolute_url())

    assert response.status_code == 200
    assert response.context["notice"] == notice
    assert "<p>申报条件</p>" in response.text


@pytest.mark.parametrize("state", [NoticeState.DRAFT, NoticeState.SCHEDULED], ids=str)
def test_notice_detail_unpublished_not_found_for_anonymous(client, state):
    notice = NoticeFactory(state=state, publish_at=timezone.now() + dt.timedelta(days=1))

    assert client.get(notice.get_absolute_url()).status_code == 404


def test_notice_detail_draft_not_found_for_applicant(applicant_client):
    notice = NoticeFactory(state=NoticeState.DRAFT)

    assert applicant_client.get(notice.get_absolute_url()).status_code == 404


def test_notice_detail_draft_previewed_by_secretariat(secretariat_client):
    notice = NoticeFactory(state=NoticeState.DRAFT, title="尚未发布的公告")
    secretariat_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = secretariat_client.get(notice.get_absolute_url())

    assert response.status_code == 200
    assert "Preview for the secretariat: this notice is not public yet (Draft)." in response.text


def test_notice_detail_published_has_no_preview_banner(secretariat_client):
    notice = published_notice("已发布的公告", hours_ago=1)

    response = secretariat_client.get(notice.get_absolute_url())

    assert 'class="alert alert-warning"' not in response.text


def test_notice_detail_body_is_sanitised(client):
    notice = published_notice("公告", hours_ago=1, body='<p>正文</p><script>alert("x")</script>')

    response = client.get(notice.get_absolute_url())

    assert 'alert("x")' not in response.text


# --- attachments ---


def test_notice_attachment_of_published_notice_downloaded_with_its_name(client):
    attachment = attachment_for(published_notice("公告", hours_ago=1))

    response, body = download(client, attachment)

    assert response.status_code == 200
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('申报指南.pdf')}"
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body == PDF_BYTES


def test_notice_attachment_ascii_name_in_plain_filename(client):
    attachment = attachment_for(published_notice("公告", hours_ago=1), original_name="guide.pdf")

    response, _body = download(client, attachment)

    assert response["Content-Disposition"] == 'attachment; filename="guide.pdf"'


@pytest.mark.parametrize("state", [NoticeState.DRAFT, NoticeState.SCHEDULED], ids=str)
def test_notice_attachment_of_unpublished_notice_not_found_for_the_public(client, state):
    attachment = attachment_for(NoticeFactory(state=state, publish_at=timezone.now() + dt.timedelta(days=1)))

    response, body = download(client, attachment)

    assert (response.status_code, body) == (404, b"")


def test_notice_attachment_of_draft_not_found_for_applicant(applicant_client):
    attachment = attachment_for(NoticeFactory(state=NoticeState.DRAFT))

    response, _body = download(applicant_client, attachment)

    assert response.status_code == 404


def test_notice_attachment_of_draft_downloaded_by_secretariat(secretariat_client):
    attachment = attachment_for(NoticeFactory(state=NoticeState.DRAFT))

    response, body = download(secretariat_client, attachment)

    assert (response.status_code, body) == (200, PDF_BYTES)


def test_notice_attachment_under_another_notice_not_found(client):
    attachment = attachment_for(NoticeFactory(state=NoticeState.DRAFT))
    public = published_notice("公告", hours_ago=1)

    response = client.get(reverse("notice-attachment", kwargs={"notice_pk": public.pk, "pk": attachment.pk}))

    assert response.status_code == 404


# --- Atom feed ---


def test_notice_feed_lists_published_notices_only(client):
    older = published_notice("较早的公告", hours_ago=5)
    newer = published_notice("较新的公告", hours_ago=1)
    NoticeFactory(title="草稿公告", state=NoticeState.DRAFT)
    NoticeFactory(title="待发布公告", state=NoticeState.SCHEDULED, publish_at=timezone.now() + dt.timedelta(days=1))

    response = client.get(reverse("notice-feed"))

    feed = parse_feed(response)
    entries = feed.findall(f"{ATOM}entry")
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [newer.title, older.title]
    assert [entry.find(f"{ATOM}link").get("href") for entry in entries] == [
        f"http://testserver{newer.get_absolute_url()}",
        f"http://testserver{older.get_absolute_url()}",
    ]


def test_notice_feed_bodies_are_sanitised(client):
    published_notice("公告", hours_ago=1, body='<p>正文</p><script>alert("x")</script>')

    response = client.get(reverse("notice-feed"))

    summary = parse_feed(response).find(f"{ATOM}entry/{ATOM}summary")
    assert summary.text == "<p>正文</p>"


# --- error pages ---


def test_page_not_found_uses_the_project_template(english_client):
    response = english_client.get("/no-such-page/")

    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    assert f'<a href="{reverse("home")}">Back to the home page</a>' in response.text
