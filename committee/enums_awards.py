"""Choices of publicity, objections, awards and revocation; a leaf module that imports no model."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ObjectionState(models.TextChoices):
    """Where an objection (异议) stands: received, under investigation, then upheld or dismissed with a reply."""

    RECEIVED = "received", pgettext_lazy("objection state", "Received")
    INVESTIGATING = "investigating", pgettext_lazy("objection state", "Under investigation")
    UPHELD = "upheld", pgettext_lazy("objection state", "Upheld")
    DISMISSED = "dismissed", pgettext_lazy("objection state", "Dismissed")

    @classmethod
    def open(cls):
        """States that hold the publicity open: no decision and no written reply yet."""
        return (cls.RECEIVED, cls.INVESTIGATING)

    @classmethod
    def decided(cls):
        return (cls.UPHELD, cls.DISMISSED)


class PrizeRule(models.TextChoices):
    """Why a winner's prize (奖金) is what it is (Art. 19, 21, 25)."""

    FULL = "full", _("Full prize (Art. 19)")
    SAME_YEAR_PENDING = "art21_pending", _("A same-year national or provincial award is declared: to be confirmed")
    SAME_YEAR = "art21", _("No prize: national or provincial quality award in the same year (Art. 21)")
    REPEAT = "art25", _("No prize: repeat winner (Art. 25)")


class PaymentState(models.TextChoices):
    """Where the prize money stands."""

    NONE = "none", pgettext_lazy("prize payment", "No prize")
    PENDING = "pending", pgettext_lazy("prize payment", "Awaiting the Art. 21 check")
    DUE = "due", pgettext_lazy("prize payment", "Due")
    PAID = "paid", pgettext_lazy("prize payment", "Paid")
    CANCELLED = "cancelled", pgettext_lazy("prize payment", "Cancelled (award revoked)")


class RevocationState(models.TextChoices):
    """A revocation case (撤销, Art. 22): open until the city government decides."""

    OPEN = "open", pgettext_lazy("revocation state", "Open: awaiting the city government")
    REVOKED = "revoked", pgettext_lazy("revocation state", "Award revoked")
    REJECTED = "rejected", pgettext_lazy("revocation state", "Closed without revocation")

    @classmethod
    def live(cls):
        """States of the one case an award may have at a time."""
        return (cls.OPEN, cls.REVOKED)
