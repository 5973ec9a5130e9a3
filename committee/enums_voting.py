"""Choices of the committee's deliberation; a leaf module that imports no model."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CommitteeOffice(models.TextChoices):
    """A member's office on the committee (评委会, Art. 5)."""

    DIRECTOR = "director", pgettext_lazy("committee office", "Director")  # 主任: the vice-mayor in charge
    DEPUTY = "deputy", pgettext_lazy("committee office", "Deputy director")  # 副主任
    MEMBER = "member", pgettext_lazy("committee office", "Member")  # 委员


class SessionState(models.TextChoices):
    """Where a voting session (表决) stands."""

    DRAFT = "draft", pgettext_lazy("voting session state", "Being prepared")
    OPEN = "open", pgettext_lazy("voting session state", "Open")
    CLOSED = "closed", pgettext_lazy("voting session state", "Closed")
    VOID = "void", pgettext_lazy("voting session state", "Void")

    @classmethod
    def live(cls):
        """States of the one session a cycle may have at a time (a void one leaves room for a new one)."""
        return (cls.DRAFT, cls.OPEN, cls.CLOSED)


class VoteChoice(models.TextChoices):
    """A member's choice on one candidate (同意 / 不同意 / 弃权)."""

    APPROVE = "approve", pgettext_lazy("vote", "Approve")
    DISAPPROVE = "disapprove", pgettext_lazy("vote", "Disapprove")
    ABSTAIN = "abstain", pgettext_lazy("vote", "Abstain")


class ListState(models.TextChoices):
    """The proposed list (拟奖名单): computed and adjusted, then confirmed."""

    DRAFT = "draft", pgettext_lazy("proposed list state", "Draft")
    CONFIRMED = "confirmed", pgettext_lazy("proposed list state", "Confirmed")


class AdjustmentKind(models.TextChoices):
    """A recorded change to the computed list (Art. 16: industry representativeness; ties)."""

    PROPOSE = "propose", _("Put on the list")
    WITHDRAW = "withdraw", _("Taken off the list")
    TIE_ORDER = "tie_order", _("Order of tied candidates decided")


class DecidedBy(models.TextChoices):
    """Who decided an adjustment: the committee's director or the secretariat (Art. 16)."""

    DIRECTOR = "director", _("The committee's director")
    SECRETARIAT = "secretariat", _("The secretariat")
