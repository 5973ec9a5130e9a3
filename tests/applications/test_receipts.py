"""The submission receipt (申报回执): a Chinese PDF per submission, e-mailed once, swept when its task was lost.

The PDFs are really rendered (WeasyPrint, Pango, Noto CJK); tests that need the font skip with the reason on a
machine without it (and fail under CI=true, see tests.conftest.require).
"""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone, translation
from pypdf import PdfReader

from applications import pdf, receipts
from applications.enums import AttachmentPurpose, DossierState
from applications.models import Dossier
from applications.tasks import task_send_submission_receipt
from mayor_award.core.models import AuditEvent
from tests.conftest import require
from tests.factories.applications import (
    AttachmentFactory,
    DossierFactory,
    MembershipFactory,
    OrganisationFactory,
)
from tests.factories.core import CycleFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cjk_font():
    require(pdf.chinese_font_available(), f"no font for Chinese (fc-list :lang=zh is empty): {pdf.INSTALL_HINT}")


@pytest.fixture
def render_count(monkeypatch):
    """Counts the PDFs rendered (the real renderer still runs)."""
    calls = []
    real = pdf.render_pdf

    def counting(template_name, context):
        calls.append(template_name)
        return real(template_name, context)

    monkeypatch.setattr(pdf, "render_pdf", counting)
    return calls


@pytest.fixture
def dossier():
    """A submitted dossier of an organisation with two active users (one sharing the contact address) and an
    inactive one, and two PDF attachments."""
    organisation = OrganisationFactory(name="漯河市回执测试食品有限公司", contact_email="office@huizhi.example.com")
    MembershipFactory(organisation=organisation, user__email="zhang@huizhi.example.com")
    MembershipFactory(organisation=organisation, user__email="OFFICE@huizhi.example.com")
    MembershipFactory(organisation=organisation, user__email="former@huizhi.example.com", user__is_active=False)
    dossier = DossierFactory(
        organisation=organisation,
        cycle=CycleFactory(number=41, title="第四十一届漯河市市长质量奖"),
        submitted=True,
        submitted_at=dt.datetime(2026, 5, 30, 1, 15, tzinfo=dt.UTC),  # 09:15 in Beijing
        precheck_outcome="judgement",
        precheck_findings=[
            {"code": "8(1)-registration", "article": "8(1)", "outcome": "pass", "zh": "在漯河注册已满五年。", "en": ""},
            {
                "code": "8(3)-top-five",
                "article": "8(3)",
                "outcome": "judgement",
                "zh": "排名证明待秘书处认定。",
                "en": "",
            },
        ],
    )
    AttachmentFactory(dossier=dossier)
    AttachmentFactory(
        dossier=dossier,
        purpose=AttachmentPurpose.SELF_ASSESSMENT_REPORT,
        title="自评报告",
        original_name="自评报告.pdf",
        content=b"%PDF-1.7\n% another file\n%%EOF\n",
    )
    return dossier


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def pdf_font_names(content: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in page.get("/Resources", {}).get("/Font", {}).values():
            names.add(str(font.get_object().get("/BaseFont")))
    return names


def stored_receipt(dossier) -> bytes:
    dossier.refresh_from_db()
    with dossier.receipt_pdf.open("rb") as handle:
        return handle.read()


def test_receipt_pdf_states_the_submission_in_a_chinese_font(cjk_font, dossier):
    assert receipts.receipt_deliver(dossier_id=dossier.pk) is True

    content = stored_receipt(dossier)
    assert content.startswith(b"%PDF")
    assert dossier.receipt_pdf.name == f"receipts/{dossier.number}-20260530-091500.pdf"
    text = pdf_text(content)
    for expected in (
        "漯河市回执测试食品有限公司",
        dossier.number,
        "第四十一届漯河市市长质量奖",
        dossier.organisation.credit_code,
    ):
        assert expected in text, expected
    for attachment in dossier.attachments.all():
        assert attachment.sha256[:16] in text
        assert attachment.original_name in text
    assert "排名证明待秘书处认定。" in text  # the finding that needs the secretariat is listed
    assert "在漯河注册已满五年。" not in text  # passed findings are not
    fonts = pdf_font_names(content)
    assert any("CJK" in name for name in fonts), fonts


def test_receipt_is_chinese_in_beijing_time_whatever_the_task_runs_in(cjk_font, dossier):
    with translation.override("en"), timezone.override(dt.UTC):
        receipts.receipt_deliver(dossier_id=dossier.pk)

    text = pdf_text(stored_receipt(dossier))
    assert "2026年5月30日 09:15" in text  # Django's Chinese date format, Beijing time
    message = mail.outbox[0]
    assert "2026年5月30日 09:15" in message.body
    with translation.override("zh-hans"):
        title = translation.gettext("Application receipt of the Luohe Mayor's Quality Award")
    assert title in text  # 漯河市市长质量奖申报回执 once the catalog has it


def test_delivering_twice_renders_once_and_mails_once(cjk_font, dossier, render_count):
    assert receipts.receipt_deliver(dossier_id=dossier.pk) is True
    assert receipts.receipt_deliver(dossier_id=dossier.pk) is True

    assert render_count == [receipts.RECEIPT_TEMPLATE]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zhang@huizhi.example.com", "OFFICE@huizhi.example.com"]  # inactive user left out
    assert dossier.number in message.subject
    assert dossier.number in message.body and "第四十一届漯河市市长质量奖" in message.body
    assert f"/portal/dossiers/{dossier.pk}/" in message.body
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"{dossier.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert content == stored_receipt(dossier)
    [event] = AuditEvent.objects.filter(action=receipts.RECEIPT_SENT, object_id=str(dossier.pk))
    assert event.data["receipt"] == dossier.receipt_pdf.name
    assert event.data["submitted_at"] == dossier.submitted_at.isoformat()


def test_the_task_delivers_the_receipt(cjk_font, dossier):
    task_send_submission_receipt.delay(dossier_id=dossier.pk)

    assert len(mail.outbox) == 1
    dossier.refresh_from_db()
    assert receipts.receipt_is_current(dossier)


def test_a_resubmission_after_correction_gets_a_new_receipt(cjk_font, dossier, render_count):
    receipts.receipt_deliver(dossier_id=dossier.pk)
    dossier.refresh_from_db()
    first = dossier.receipt_pdf.name
    resubmitted = dossier.submitted_at + dt.timedelta(days=20)
    Dossier.objects.filter(pk=dossier.pk).update(submitted_at=resubmitted)

    assert receipts.receipt_deliver(dossier_id=dossier.pk) is True
    assert receipts.receipt_deliver(dossier_id=dossier.pk) is True

    dossier.refresh_from_db()
    assert dossier.receipt_pdf.name != first
    assert dossier.receipt_pdf.name.endswith("-20260619-091500.pdf")
    assert dossier.receipt_pdf.storage.exists(first)  # the first submission's receipt is kept
    assert len(render_count) == 2
    assert len(mail.outbox) == 2
    assert "2026年6月19日 09:15" in pdf_text(stored_receipt(dossier))


def test_a_receipt_rendered_but_not_mailed_is_mailed_without_rendering_again(cjk_font, dossier, render_count):
    content = receipts.receipt_render(dossier)
    receipts._store(dossier, content)

    assert receipts.receipt_deliver(dossier_id=dossier.pk) is True

    assert len(render_count) == 1
    assert mail.outbox[0].attachments[0][1] == content


@pytest.mark.parametrize("state", [DossierState.DRAFT, DossierState.WITHDRAWN])
def test_drafts_and_withdrawn_dossiers_get_no_receipt(state, render_count):
    traits = {"submitted": True} if state == DossierState.WITHDRAWN else {}
    dossier = DossierFactory(state=state, **traits)
    MembershipFactory(organisation=dossier.organisation)

    assert receipts.receipt_deliver(dossier_id=dossier.pk) is False

    dossier.refresh_from_db()
    assert not dossier.receipt_pdf
    assert mail.outbox == []
    assert render_count == []


def test_a_deleted_dossier_gets_no_receipt():
    assert receipts.receipt_deliver(dossier_id=987654) is False
    assert mail.outbox == []


def test_without_a_chinese_font_nothing_is_rendered_or_sent(monkeypatch, dossier):
    monkeypatch.setattr(pdf, "chinese_font_available", lambda: False)

    with pytest.raises(pdf.MissingChineseFont, match="apt-get install fonts-noto-cjk"):
        receipts.receipt_deliver(dossier_id=dossier.pk)

    dossier.refresh_from_db()
    assert not dossier.receipt_pdf
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action=receipts.RECEIPT_SENT).exists()


def test_the_font_check_asks_fontconfig(monkeypatch):
    check = pdf.chinese_font_available.__wrapped__  # the uncached check
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    assert check() is False  # no fontconfig at all: treated as no font


class RefusingEmailBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def test_a_failed_mail_leaves_neither_file_nor_record(cjk_font, dossier, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingEmailBackend"

    with pytest.raises(ConnectionRefusedError):
        receipts.receipt_deliver(dossier_id=dossier.pk)

    dossier.refresh_from_db()
    assert not dossier.receipt_pdf
    assert not dossier.receipt_pdf.storage.exists(receipts.receipt_name(dossier))
    assert not AuditEvent.objects.filter(action=receipts.RECEIPT_SENT).exists()


def test_the_sweeper_delivers_pending_receipts_once(cjk_font, dossier):
    draft = DossierFactory()
    withdrawn = DossierFactory(submitted=True, state=DossierState.WITHDRAWN)
    decided = DossierFactory(submitted=True, state=DossierState.ELIGIBLE)

    assert list(receipts.receipts_pending()) == [dossier]
    assert receipts.receipts_catch_up() == 1

    assert list(receipts.receipts_pending()) == []
    assert receipts.receipts_catch_up() == 0
    assert len(mail.outbox) == 1
    for other in (draft, withdrawn, decided):
        other.refresh_from_db()
        assert not other.receipt_pdf


def test_the_sweeper_finds_a_resubmission_whose_receipt_is_missing(cjk_font, dossier):
    receipts.receipt_deliver(dossier_id=dossier.pk)
    Dossier.objects.filter(pk=dossier.pk).update(submitted_at=dossier.submitted_at + dt.timedelta(days=3))

    assert list(receipts.receipts_pending()) == [dossier]
    assert receipts.receipts_catch_up() == 1
    assert len(mail.outbox) == 2
