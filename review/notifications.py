"""E-mails of the review app, in Chinese, each sent once (an AuditEvent records the sending)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from mayor_award.core.models import AuditEvent
from mayor_award.core.services import audit_record

from .enums import SeatStatus
from .models import Seat

logger = logging.getLogger(__name__)

INVITATION_SENT = "seat.invitation_sent"


def _sent(seat_id: int) -> bool:
    return AuditEvent.objects.filter(action=INVITATION_SENT, data__seat=seat_id).exists()


@transaction.atomic
def seat_invitation_mail(*, seat_id: int) -> bool:
    seat = Seat.objects.select_for_update().select_related("panel__cycle", "expert__user").filter(pk=seat_id).first()
    if seat is None or seat.status != SeatStatus.INVITED or _sent(seat_id) or not seat.expert.user.email:
        return False
    with translation.override("zh-hans"):
        context = {
            "seat": seat,
            "link": settings.SITE_URL + reverse("review:seat-reply", args=[seat.pk]),
        }
        subject = render_to_string("review/email/invitation_subject.txt", context).strip()
        body = render_to_string("review/email/invitation_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [seat.expert.user.email])
    audit_record(actor=None, action=INVITATION_SENT, obj=seat.panel, data={"seat": seat.pk})
    return True


def invitations_catch_up() -> int:
    sent = 0
    for seat_id in Seat.objects.filter(status=SeatStatus.INVITED).values_list("pk", flat=True):
        try:
            sent += seat_invitation_mail(seat_id=seat_id)
        except Exception:
            logger.exception("The invitation of seat %s could not be sent; the next sweep tries again.", seat_id)
    return sent
