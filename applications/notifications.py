"""E-mails to applicant organisations: the eligibility decision, and the helpers the receipt shares.

Every e-mail to an organisation goes to its active users and to its contact address, in Chinese (the award's
language), with times in Beijing time, whatever language and time zone the calling task runs in. The sending
functions are idempotent: an AuditEvent records each e-mail sent, and a second call finds it and sends nothing.
"""

import logging
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils import timezone, translation

from mayor_award.core.models import AuditEvent, User
from mayor_award.core.services import audit_record

from .enums import DossierSectionKey, EligibilityDecisionKind
from .models import Dossier, EligibilityDecision

logger = logging.getLogger(__name__)

MAIL_LANGUAGE = "zh-hans"
MAIL_TIME_ZONE = ZoneInfo("Asia/Shanghai")
DECISION_MAILED = "dossier.decision_mailed"


@contextmanager
def in_chinese():
    """Render in Simplified Chinese and Beijing time, whatever the task's language and time zone."""
    with translation.override(MAIL_LANGUAGE), timezone.override(MAIL_TIME_ZONE):
        yield


def organisation_recipients(organisation) -> list[str]:
    """The addresses of the organisation's active users, then its contact address, each once (case-insensitive)."""
    user_emails = (
        User.objects.filter(membership__organisation=organisation, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    recipients, seen = [], set()
    for email in [*user_emails, organisation.contact_email or ""]:
        email = email.strip()
        if email and email.lower() not in seen:
            seen.add(email.lower())
            recipients.append(email)
    return recipients


def dossier_link(dossier: Dossier) -> str:
    """The dossier's page in the applicants' portal, as an absolute address (no request in a task)."""
    try:
        path = dossier.get_absolute_url()
    except NoReverseMatch:  # the portal's addresses are not installed (e.g. a reduced URLconf)
        path = "/"
    return f"{settings.SITE_URL}{path}"


def render_mail(prefix: str, context: dict) -> tuple[str, str]:
    """Subject and body from templates/applications/email/<prefix>_subject.txt and <prefix>_body.txt."""
    subject = render_to_string(f"applications/email/{prefix}_subject.txt", context)
    body = render_to_string(f"applications/email/{prefix}_body.txt", context)
    return " ".join(subject.split()), body.strip() + "\n"


def dossier_audit_events(dossier_id: int, action: str):
    return AuditEvent.objects.filter(object_type=Dossier._meta.label_lower, object_id=str(dossier_id), action=action)


# --- the eligibility decision ---


def _correction_terms(decision: EligibilityDecision) -> tuple[list[str], object]:
    """The sections reopened by a correction request and their due date, as the decision recorded them."""
    return list(decision.correction_sections or []), decision.correction_until


def _section_labels(keys) -> list[str]:
    labels = dict(DossierSectionKey.choices)
    return [str(labels.get(key, key)) for key in keys]


def eligibility_decision_mail(*, decision_id: int) -> bool:
    """E-mail the organisation the secretariat's eligibility decision; True when it is (or was already) sent.

    Eligible; ineligible with the articles not met and the secretariat's note; or a correction request with the
    reopened sections and the date they must be submitted again by. Sent once per decision: the AuditEvent
    "dossier.decision_mailed" with {"decision": id} marks it sent. False when the decision no longer exists.
    """
    with transaction.atomic():
        decision = (
            EligibilityDecision.objects.select_for_update(of=("self",))
            .select_related("dossier__cycle", "dossier__organisation")
            .filter(pk=decision_id)
            .first()
        )
        if decision is None:
            logger.warning("Eligibility decision %s no longer exists: no e-mail sent.", decision_id)
            return False
        dossier = decision.dossier
        if dossier_audit_events(dossier.pk, DECISION_MAILED).filter(data__decision=decision.pk).exists():
            logger.info("The e-mail on eligibility decision %s was already sent.", decision_id)
            return True
        recipients = organisation_recipients(dossier.organisation)
        if not recipients:
            logger.error(
                "Organisation %s has no e-mail address: decision %s not sent.", dossier.organisation_id, decision_id
            )
            return False

        sections, until = ([], None)
        if decision.kind == EligibilityDecisionKind.CORRECTION:
            sections, until = _correction_terms(decision)
        with in_chinese():
            context = {
                "decision": decision,
                "kind": decision.kind,
                "dossier": dossier,
                "cycle": dossier.cycle,
                "organisation": dossier.organisation,
                "articles": list(decision.articles or []),
                "sections": _section_labels(sections),
                "until": until,
                "note": decision.note.strip(),
                "link": dossier_link(dossier),
            }
            subject, body = render_mail("decision", context)
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients).send()
        audit_record(
            actor=None,
            action=DECISION_MAILED,
            obj=dossier,
            data={"decision": decision.pk, "kind": decision.kind, "to": recipients},
        )
    return True


def decision_mails_pending():
    """Decisions whose e-mail never went out (the broker was down, or the task gave up)."""
    mailed = {event.data.get("decision") for event in AuditEvent.objects.filter(action=DECISION_MAILED).only("data")}
    return EligibilityDecision.objects.exclude(pk__in=[pk for pk in mailed if pk]).order_by("pk")


def decision_mails_catch_up() -> int:
    """The sweeper (for beat): send every decision e-mail still pending; returns how many were sent."""
    sent = 0
    for decision_id in decision_mails_pending().values_list("pk", flat=True):
        try:
            sent += eligibility_decision_mail(decision_id=decision_id)
        except Exception:
            logger.exception("The e-mail of decision %s could not be sent; the next sweep tries again.", decision_id)
    return sent
