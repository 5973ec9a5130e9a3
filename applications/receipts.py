"""The submission receipt (申报回执): a PDF made for each submission and e-mailed to the organisation.

One receipt per submission. A submission is identified by the dossier's `submitted_at`; a dossier submitted
again after a correction request gets a new receipt, rendered and mailed afresh. Two records tie a receipt to its
submission, so that delivering is idempotent and can be retried or swept at any time:

- the file: stored as ``receipts/<number>-<submitted_at in Beijing time, %Y%m%d-%H%M%S>.pdf``. The receipt is
  current when `dossier.receipt_pdf` has exactly the name derived from the dossier's `submitted_at`; the receipt of
  an earlier submission stays on disk (the audit trail names it) and is simply replaced in `receipt_pdf`.
  Applicants download it as ``<number>.pdf``.
- the e-mail: an AuditEvent "dossier.receipt_sent" whose data hold the receipt's file name and the submission
  time (ISO). It exists for the current submission only when the e-mail for that submission went out; its time
  is therefore never earlier than `submitted_at`. Exact matching on the submission, not a comparison of clocks,
  is what decides, so a worker whose clock lags the web server's cannot cause a second e-mail.

Rendering, saving and mailing run in one transaction holding the dossier's row lock: two workers delivering the
same receipt (the task after commit and the sweeper) run one after the other, and the second finds it done.
If the e-mail fails, the transaction rolls back, the new file is removed and Celery's retry starts again.
"""

import datetime as dt
import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from mayor_award.core.models import AuditEvent
from mayor_award.core.services import audit_record

from . import pdf
from .eligibility import Outcome
from .enums import DossierState
from .models import Attachment, Dossier, DossierSection
from .notifications import MAIL_TIME_ZONE, dossier_audit_events, dossier_link, in_chinese, organisation_recipients
from .notifications import render_mail as _render_mail
from .sections import EDITABLE_SECTIONS

logger = logging.getLogger(__name__)

RECEIPT_TEMPLATE = "applications/pdf/receipt.html"
RECEIPT_SENT = "dossier.receipt_sent"
NOT_SUBMITTED_STATES = (DossierState.DRAFT, DossierState.WITHDRAWN)


def receipt_name(dossier: Dossier) -> str:
    """The stored name of the receipt of the dossier's current submission (see the module's docstring)."""
    stamp = timezone.localtime(dossier.submitted_at, MAIL_TIME_ZONE).strftime("%Y%m%d-%H%M%S")
    return f"receipts/{dossier.number}-{stamp}.pdf"


def receipt_download_name(dossier: Dossier) -> str:
    """The file name applicants see (download and e-mail attachment)."""
    return f"{dossier.number}.pdf"


def is_submitted(dossier: Dossier) -> bool:
    return dossier.state not in NOT_SUBMITTED_STATES and bool(dossier.number) and dossier.submitted_at is not None


def receipt_is_current(dossier: Dossier) -> bool:
    """True when `receipt_pdf` holds the receipt of the dossier's current submission."""
    return bool(dossier.receipt_pdf) and dossier.receipt_pdf.name == receipt_name(dossier)


def receipt_was_sent(dossier: Dossier) -> bool:
    """True when the receipt of the current submission was e-mailed (an AuditEvent records it)."""
    return any(
        _submission_of(data) == dossier.submitted_at
        for data in dossier_audit_events(dossier.pk, RECEIPT_SENT).values_list("data", flat=True)
    )


def _submission_of(event_data) -> dt.datetime | None:
    """The submission time a "dossier.receipt_sent" event was recorded for (an aware datetime), or None."""
    try:
        return dt.datetime.fromisoformat((event_data or {})["submitted_at"])
    except (KeyError, TypeError, ValueError):
        return None


def _load(dossier_id: int, *, lock: bool) -> Dossier | None:
    queryset = Dossier.objects.select_related("cycle", "organisation").prefetch_related(
        Prefetch("sections", queryset=DossierSection.objects.order_by("pk")),
        Prefetch("attachments", queryset=Attachment.objects.order_by("purpose", "pk")),
    )
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.filter(pk=dossier_id).first()


def _precheck(dossier: Dossier) -> dict:
    """The pre-check recorded at submission: its label and the findings that did not pass (Chinese text)."""
    try:
        outcome = Outcome(dossier.precheck_outcome)
    except ValueError:
        return {"outcome": "", "label": "", "findings": []}
    findings = [
        {"article": f.get("article", ""), "outcome": Outcome(f["outcome"]).label, "text": f.get("zh", "")}
        for f in dossier.precheck_findings or []
        if f.get("outcome") in (Outcome.FAIL, Outcome.JUDGEMENT)
    ]
    return {"outcome": outcome.value, "label": outcome.label, "findings": findings}


def receipt_context(dossier: Dossier) -> dict:
    """Everything the receipt shows; dates stay datetimes so the template formats them in Chinese."""
    order = {key: index for index, key in enumerate(EDITABLE_SECTIONS)}
    sections = sorted(dossier.sections.all(), key=lambda row: order.get(row.key, len(order)))
    return {
        "dossier": dossier,
        "cycle": dossier.cycle,
        "organisation": dossier.organisation,
        "sections": sections,
        "attachments": [
            {"attachment": attachment, "sha256_short": attachment.sha256[:16]}
            for attachment in dossier.attachments.all()
        ],
        "precheck": _precheck(dossier),
        "issued_at": timezone.now(),
        "link": dossier_link(dossier),
    }


def receipt_render(dossier: Dossier) -> bytes:
    """The receipt as PDF bytes, in Chinese and Beijing time whatever the caller's language."""
    with in_chinese():
        return pdf.render_pdf(RECEIPT_TEMPLATE, receipt_context(dossier))


def _store(dossier: Dossier, content: bytes) -> str:
    """Save the PDF under the submission's receipt name and point the dossier at it; returns the name."""
    name = receipt_name(dossier)
    storage = dossier.receipt_pdf.storage
    if storage.exists(name):  # left by an attempt that rolled back: the database never pointed to it
        storage.delete(name)
    stored = storage.save(name, ContentFile(content))
    Dossier.objects.filter(pk=dossier.pk).update(receipt_pdf=stored)  # no history row: the field is excluded
    dossier.receipt_pdf.name = stored
    return stored


def _send(dossier: Dossier, content: bytes) -> list[str]:
    recipients = organisation_recipients(dossier.organisation)
    if not recipients:
        logger.error(
            "Organisation %s has no e-mail address: receipt of %s not sent.", dossier.organisation_id, dossier.number
        )
        return []
    with in_chinese():
        subject, body = _render_mail(
            "receipt",
            {
                "dossier": dossier,
                "cycle": dossier.cycle,
                "organisation": dossier.organisation,
                "precheck": _precheck(dossier),
                "link": dossier_link(dossier),
            },
        )
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    message.attach(receipt_download_name(dossier), content, "application/pdf")
    message.send()
    return recipients


def receipt_deliver(*, dossier_id: int) -> bool:
    """Make the receipt of the dossier's current submission if missing, and e-mail it once; idempotent.

    Returns True when the receipt exists and was sent (now or earlier), False when there is nothing to deliver:
    the dossier is gone, not submitted (draft, withdrawn) or its organisation has no e-mail address.
    Raises pdf.MissingChineseFont when the machine cannot render Chinese (the task retries, then fails loudly).
    """
    with transaction.atomic():
        dossier = _load(dossier_id, lock=True)
        if dossier is None:
            logger.warning("Dossier %s no longer exists: no receipt.", dossier_id)
            return False
        if not is_submitted(dossier):
            logger.info("Dossier %s is %s, not submitted: no receipt.", dossier_id, dossier.state)
            return False
        rendered = not receipt_is_current(dossier)
        if not rendered and receipt_was_sent(dossier):
            return True
        if rendered:
            content = receipt_render(dossier)
            name = _store(dossier, content)
        else:
            with dossier.receipt_pdf.open("rb") as stored:
                content = stored.read()
            name = dossier.receipt_pdf.name
        try:
            recipients = _send(dossier, content)
            if recipients:
                audit_record(
                    actor=None,
                    action=RECEIPT_SENT,
                    obj=dossier,
                    data={
                        "receipt": name,
                        "submitted_at": dossier.submitted_at.isoformat(),
                        "to": recipients,
                    },
                )
        except BaseException:
            if rendered:  # the database change rolls back with the transaction: do not leave the file behind
                dossier.receipt_pdf.storage.delete(name)
            raise
    return bool(recipients)


def receipts_pending():
    """Dossiers awaiting their eligibility decision whose current submission has no receipt sent yet.

    Only the state "submitted" is swept: a receipt that did not go out before the eligibility decision is
    superseded by the decision's e-mail, and dossiers of past cycles (or seeded without receipts) are never
    mailed out of the blue. A dossier's current receipt is judged as receipt_deliver does, in Python: the few
    dossiers awaiting a decision are read with one query and their receipt events with a second.
    """
    candidates = list(
        Dossier.objects.filter(state=DossierState.SUBMITTED, number__isnull=False, submitted_at__isnull=False).only(
            "pk", "number", "submitted_at", "receipt_pdf"
        )
    )
    events = AuditEvent.objects.filter(
        object_type=Dossier._meta.label_lower, object_id__in=[str(d.pk) for d in candidates], action=RECEIPT_SENT
    ).values_list("object_id", "data")
    sent = {(object_id, _submission_of(data)) for object_id, data in events}  # aware datetimes: equal instants
    pending = [
        dossier.pk
        for dossier in candidates
        if not receipt_is_current(dossier) or (str(dossier.pk), dossier.submitted_at) not in sent
    ]
    return Dossier.objects.filter(pk__in=pending).order_by("submitted_at", "pk")


def receipts_catch_up() -> int:
    """The sweeper (for beat): deliver every pending receipt; returns how many were delivered.

    One failing dossier (e.g. the mail server refusing it) does not stop the others; it is logged and tried
    again at the next sweep. A missing Chinese font stops the sweep (every receipt would fail the same way), and
    so does the task's soft time limit (the next sweep goes on where this one stopped).
    """
    delivered = 0
    for dossier_id in receipts_pending().values_list("pk", flat=True):
        try:
            delivered += receipt_deliver(dossier_id=dossier_id)
        except (pdf.MissingChineseFont, SoftTimeLimitExceeded):
            raise
        except Exception:
            logger.exception(
                "The receipt of dossier %s could not be delivered; the next sweep tries again.", dossier_id
            )
    return delivered
