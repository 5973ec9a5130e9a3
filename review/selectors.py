"""Reads of the review app, scoped to who asks: an expert sees only the dossiers of panels they sit on."""

from django.db.models import Exists, OuterRef, Prefetch

from applications.enums import DossierState
from applications.models import Attachment, Dossier, DossierSection
from mayor_award.core.enums import CyclePhase

from .enums import ExpertStatus, SeatStatus
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


# The review runs in these cycle phases; before and after them no expert reads a dossier.
REVIEW_PHASES = (CyclePhase.MATERIAL_REVIEW, CyclePhase.ONSITE_REVIEW)
# Dossiers still in the competition (an ineligible, withdrawn or revoked one leaves the experts' desks).
UNDER_REVIEW_STATES = (
    DossierState.ELIGIBLE,
    DossierState.MATERIAL_REVIEWED,
    DossierState.SELECTED,
    DossierState.NOT_SELECTED,
    DossierState.ONSITE_REVIEWED,
    DossierState.CANDIDATE,
)


def dossiers_for_expert(user):
    """Dossiers an expert may read: an accepted seat on their panel, the cycle's pledge signed, no conflict,
    an active expert, the cycle in its review phases and the dossier still under review."""
    expert = expert_for_user(user)
    if expert is None or expert.status != ExpertStatus.ACTIVE:
        return Dossier.objects.none()
    return (
        Dossier.objects.filter(
            panel_assignment__panel__seats__expert=expert,
            panel_assignment__panel__seats__status=SeatStatus.ACCEPTED,
            cycle__phase__in=REVIEW_PHASES,
            state__in=UNDER_REVIEW_STATES,
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
