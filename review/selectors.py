"""Reads of the review app, scoped to who asks: an expert sees only the dossiers of panels they sit on."""

from django.db.models import Exists, OuterRef, Prefetch

from applications.models import Attachment, Dossier, DossierSection

from .enums import SeatStatus
from .models import Conflict, Expert, Pledge, Seat


def expert_for_user(user):
    return getattr(user, "expert", None) if user.is_authenticated else None


def seats_for_expert(expert):
    return (
        Seat.objects.filter(expert=expert)
        .select_related("panel__cycle")
        .prefetch_related(
            Prefetch("panel__dossiers", queryset=Dossier.objects.select_related("organisation").order_by("number"))
        )
        .order_by("-panel__cycle__number", "panel__name")
    )


def has_signed_pledge(expert, cycle) -> bool:
    return Pledge.objects.filter(expert=expert, cycle=cycle).exists()


def dossiers_for_expert(user):
    """Dossiers of the panels on which the user holds an accepted seat, after the pledge, without conflicts."""
    expert = expert_for_user(user)
    if expert is None:
        return Dossier.objects.none()
    return (
        Dossier.objects.filter(
            panel_assignment__panel__seats__expert=expert,
            panel_assignment__panel__seats__status=SeatStatus.ACCEPTED,
        )
        .filter(Exists(Pledge.objects.filter(expert=expert, cycle=OuterRef("cycle"))))
        .exclude(Exists(Conflict.objects.filter(expert=expert, organisation=OuterRef("organisation"))))
        .select_related("cycle", "organisation")
        .distinct()
    )


def dossier_for_expert(user, pk):
    return (
        dossiers_for_expert(user)
        .prefetch_related(
            Prefetch("sections", queryset=DossierSection.objects.order_by("pk")),
            Prefetch("attachments", queryset=Attachment.objects.order_by("purpose", "pk")),
        )
        .filter(pk=pk)
        .first()
    )


def experts_in_pool():
    return Expert.objects.select_related("user")
