"""The committee (评委会), its voting sessions and ballots, the ranking and the proposed list.

The ballot is secret. A cast ballot leaves two things behind, written in one transaction:

- BallotReceipt says that a member has voted in a session (unique per session and member: the database refuses a
  second ballot, whatever the number of simultaneous requests);
- VoteCount holds the running totals of each candidate (approve, disapprove, abstain): the ballot adds one to the
  chosen counter of every candidate it votes on, in place. There is no row per ballot, so nothing can be joined to a
  receipt: no link, no key, no ordering, no timestamp, no shared transaction id that says more than "the last
  ballot touched these totals".

The member's choices are never stored anywhere else (no history table, no audit payload, no session data).
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..enums_voting import AdjustmentKind, CommitteeOffice, DecidedBy, ListState, SessionState

__all__ = [
    "BallotReceipt",
    "CommitteeMember",
    "GovernmentApproval",
    "ListAdjustment",
    "ProposedList",
    "RankingEntry",
    "Recusal",
    "TallyResult",
    "VoteCount",
    "VotingSession",
]


class CommitteeMember(models.Model):
    """A member of a cycle's review committee (评委会成员) and their office (Art. 5)."""

    cycle = models.ForeignKey(
        "core.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="committee_members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="committee_seats"
    )
    office = models.CharField(
        _("office"), max_length=20, choices=CommitteeOffice.choices, default=CommitteeOffice.MEMBER
    )
    affiliation = models.CharField(
        _("affiliation"), max_length=200, blank=True, help_text=_("Post, department or field (Art. 5).")
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        ordering = ["cycle", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "user"], name="committee_member_once_per_cycle"),
            models.UniqueConstraint(
                fields=["cycle"], condition=Q(office="director"), name="committee_one_director_per_cycle"
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_office_display()})"


class Recusal(models.Model):
    """A member stands aside from one candidate (回避): no vote on it, not counted toward its quorum."""

    member = models.ForeignKey(
        CommitteeMember, verbose_name=_("committee member"), on_delete=models.PROTECT, related_name="recusals"
    )
    candidate = models.ForeignKey(
        "review.Candidate", verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="recusals"
    )
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recusal")
        verbose_name_plural = _("recusals")
        ordering = ["member", "candidate"]
        constraints = [models.UniqueConstraint(fields=["member", "candidate"], name="recusal_once_per_candidate")]

    def __str__(self):
        return f"{self.member} · {self.candidate.dossier}"


def minutes_path(instance, filename):
    return f"committee/minutes/{uuid.uuid4().hex}.pdf"


class VotingSession(models.Model):
    """A vote of the committee (评委会投票表决) on a cycle's candidates (Art. 16).

    The rules are copied from the cycle when the session opens and never change afterwards: they are shown on
    the ballot and printed in the minutes. Until it opens, the rule fields are empty.
    """

    cycle = models.ForeignKey(
        "core.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="voting_sessions"
    )
    state = models.CharField(_("state"), max_length=10, choices=SessionState.choices, default=SessionState.DRAFT)
    candidates = models.ManyToManyField(
        "review.Candidate", verbose_name=_("candidates on the ballot"), related_name="voting_sessions", blank=True
    )
    # The rules, fixed when the session opens.
    quorum_ratio = models.DecimalField(_("quorum"), max_digits=5, decimal_places=4, null=True, blank=True)
    pass_ratio = models.DecimalField(_("pass ratio"), max_digits=5, decimal_places=4, null=True, blank=True)
    slate_ratio = models.DecimalField(_("slate ratio"), max_digits=4, decimal_places=2, null=True, blank=True)
    award_quota = models.PositiveSmallIntegerField(_("number of awards"), null=True, blank=True)
    max_approvals = models.PositiveSmallIntegerField(_("approvals per ballot at most"), null=True, blank=True)
    onsite_score_weight = models.DecimalField(
        _("on-site score weight"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    award_min_score = models.DecimalField(
        _("minimum on-site score for an award"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    members_eligible = models.PositiveSmallIntegerField(_("members entitled to vote"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The result, written when the session closes.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ballots_cast = models.PositiveSmallIntegerField(_("ballots cast"), null=True, blank=True)
    outcome_note = models.TextField(_("outcome"), blank=True)
    minutes_pdf = models.FileField(_("minutes"), upload_to=minutes_path, blank=True)
    minutes_generated_at = models.DateTimeField(_("minutes generated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("prepared at"), auto_now_add=True)

    class Meta:
        verbose_name = _("voting session")
        verbose_name_plural = _("voting sessions")
        ordering = ["-cycle__number", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle"], condition=Q(state__in=SessionState.live()), name="one_live_session_per_cycle"
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(opened_at__isnull=False, max_approvals__isnull=False),
                name="session_rules_fixed_once_open",
            ),
        ]

    def __str__(self):
        return f"{self.cycle} · {self.get_state_display()} #{self.pk}"

    @property
    def is_open(self):
        return self.state == SessionState.OPEN

    @property
    def outcome(self) -> str:
        """The outcome in words, in the reader's language, from the counts (empty until the session closes)."""
        from ..ranking import quorum_required

        if self.state not in (SessionState.CLOSED, SessionState.VOID):
            return ""
        counts = {
            "cast": self.ballots_cast,
            "members": self.members_eligible,
            "required": quorum_required(self.members_eligible, self.quorum_ratio),
        }
        if self.state == SessionState.CLOSED:
            return gettext("Quorum met: %(cast)s of %(members)s members voted (at least %(required)s needed).") % counts
        return (
            gettext(
                "Void: the quorum was missed. %(cast)s of %(members)s members voted; at least %(required)s were "
                "needed. No result is counted; a new session may be prepared."
            )
            % counts
        )


class BallotReceipt(models.Model):
    """The fact that a member has cast their ballot in a session; nothing here says how they voted."""

    session = models.ForeignKey(
        VotingSession, verbose_name=_("voting session"), on_delete=models.PROTECT, related_name="receipts"
    )
    member = models.ForeignKey(
        CommitteeMember, verbose_name=_("committee member"), on_delete=models.PROTECT, related_name="receipts"
    )

    class Meta:
        verbose_name = _("ballot cast")
        verbose_name_plural = _("ballots cast")
        constraints = [models.UniqueConstraint(fields=["session", "member"], name="one_ballot_per_member")]

    def __str__(self):
        return f"{self.session} · {self.member}"


class VoteCount(models.Model):
    """The running totals of one candidate in one session (the ballot box): one row per candidate, created when the
    session opens, each ballot adding one to a counter in place (UPDATE ... SET approvals = approvals + 1).

    Every ballot rewrites the counters of every candidate of the session in the same statement (adding nothing to a
    candidate the member recused from), so a row's version only tells which ballot was the last one, never what it
    chose; the totals are all a snapshot of the table shows. The running totals are visible to a database
    administrator while the vote is open, never to any user: the application shows no count before the session
    closes, and then only the TallyResult computed from these rows. No admin page and no permission exist for it.
    """

    session = models.ForeignKey(
        VotingSession, verbose_name=_("voting session"), on_delete=models.PROTECT, related_name="counts"
    )
    candidate = models.ForeignKey(
        "review.Candidate", verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="+"
    )
    approvals = models.PositiveIntegerField(_("approve"), default=0)
    disapprovals = models.PositiveIntegerField(_("disapprove"), default=0)
    abstentions = models.PositiveIntegerField(_("abstain"), default=0)

    class Meta:
        verbose_name = _("running count")
        verbose_name_plural = _("running counts")
        default_permissions = ()  # nobody is granted any permission on the running counts, not even to view them
        constraints = [models.UniqueConstraint(fields=["session", "candidate"], name="one_count_per_candidate")]

    def __str__(self):
        return str(_("running count"))


class TallyResult(models.Model):
    """The count for one candidate, written when the session closes (计票结果)."""

    session = models.ForeignKey(
        VotingSession, verbose_name=_("voting session"), on_delete=models.PROTECT, related_name="tally"
    )
    candidate = models.ForeignKey(
        "review.Candidate", verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="+"
    )
    members_eligible = models.PositiveSmallIntegerField(_("members entitled to vote on it"))
    recused = models.PositiveSmallIntegerField(_("recused"))
    ballots = models.PositiveSmallIntegerField(_("ballots cast on it"))
    approvals = models.PositiveSmallIntegerField(_("approve"))
    disapprovals = models.PositiveSmallIntegerField(_("disapprove"))
    abstentions = models.PositiveSmallIntegerField(_("abstain"))
    quorum_met = models.BooleanField(_("quorum met"))
    passed = models.BooleanField(_("passed"))

    class Meta:
        verbose_name = _("tally")
        verbose_name_plural = _("tallies")
        ordering = ["session", "candidate__panel", "candidate__position"]
        constraints = [models.UniqueConstraint(fields=["session", "candidate"], name="one_tally_per_candidate")]

    def __str__(self):
        return f"{self.session} · {self.candidate.dossier}"


class ProposedList(models.Model):
    """The ranking (综合排序) and proposed list (拟奖名单) drawn from a closed session (Art. 16)."""

    session = models.OneToOneField(
        VotingSession, verbose_name=_("voting session"), on_delete=models.PROTECT, related_name="proposed_list"
    )
    cycle = models.OneToOneField(
        "core.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="proposed_list"
    )
    state = models.CharField(_("state"), max_length=10, choices=ListState.choices, default=ListState.DRAFT)
    computed_at = models.DateTimeField(_("computed at"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("computed by"), on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("proposed list")
        verbose_name_plural = _("proposed lists")
        ordering = ["-cycle__number"]

    def __str__(self):
        return f"{self.cycle} · {self.get_state_display()}"

    @property
    def is_confirmed(self):
        return self.state == ListState.CONFIRMED


class RankingEntry(models.Model):
    """One candidate's place in the ranking: both ranks, the combined index, and whether it is proposed."""

    proposed_list = models.ForeignKey(
        ProposedList, verbose_name=_("proposed list"), on_delete=models.CASCADE, related_name="entries"
    )
    candidate = models.ForeignKey(
        "review.Candidate", verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    onsite_total = models.DecimalField(_("on-site score"), max_digits=8, decimal_places=4)
    approvals = models.PositiveSmallIntegerField(_("approvals"))
    ballots = models.PositiveSmallIntegerField(_("ballots cast on it"))
    score_rank = models.PositiveSmallIntegerField(_("rank by on-site score"))
    vote_rank = models.PositiveSmallIntegerField(_("rank by votes"))
    combined_index = models.DecimalField(_("combined index"), max_digits=8, decimal_places=4)
    tie_group = models.PositiveSmallIntegerField(
        _("tie"), null=True, blank=True, help_text=_("Candidates with the same number are tied on every rule.")
    )
    tie_break = models.PositiveSmallIntegerField(_("order decided in the tie"), null=True, blank=True)
    quorum_met = models.BooleanField(_("quorum met"))
    passed = models.BooleanField(_("passed the vote"))
    meets_min_score = models.BooleanField(_("meets the minimum score"))
    repeat_winner = models.BooleanField(_("repeat winner (Art. 25)"), default=False)
    computed_proposed = models.BooleanField(_("proposed by the rules"))
    proposed = models.BooleanField(_("proposed"))
    reasons = models.JSONField(_("reasons"), default=list, blank=True)

    class Meta:
        verbose_name = _("ranking entry")
        verbose_name_plural = _("ranking entries")
        ordering = ["proposed_list", "position"]
        constraints = [
            models.UniqueConstraint(fields=["proposed_list", "candidate"], name="ranking_entry_once_per_candidate")
        ]

    def __str__(self):
        return f"{self.position}. {self.candidate.dossier}"

    @property
    def takes_place(self):
        """A proposed repeat winner does not count toward the number of awards (Art. 25)."""
        return self.proposed and not self.repeat_winner


class ListAdjustment(models.Model):
    """A recorded change to the computed list, with its reason; the minutes print every one."""

    proposed_list = models.ForeignKey(
        ProposedList, verbose_name=_("proposed list"), on_delete=models.CASCADE, related_name="adjustments"
    )
    entry = models.ForeignKey(
        RankingEntry,
        verbose_name=_("candidate"),
        on_delete=models.CASCADE,
        related_name="adjustments",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("change"), max_length=20, choices=AdjustmentKind.choices)
    decided_by = models.CharField(_("decided by"), max_length=20, choices=DecidedBy.choices)
    reason = models.TextField(_("reason"))
    data = models.JSONField(_("details"), default=dict, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("adjustment of the list")
        verbose_name_plural = _("adjustments of the list")
        ordering = ["proposed_list", "recorded_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.reason[:40]}"


def approval_path(instance, filename):
    """A random stored name: the uploaded name is display text only, never part of a path."""
    return f"committee/approvals/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:6]}"


class GovernmentApproval(models.Model):
    """The municipal government executive meeting's approval of the proposed list (市政府常务会议审定, Art. 16)."""

    cycle = models.OneToOneField(
        "core.Cycle", verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="government_approval"
    )
    proposed_list = models.OneToOneField(
        ProposedList, verbose_name=_("proposed list"), on_delete=models.PROTECT, related_name="approval"
    )
    meeting = models.CharField(_("meeting"), max_length=200, help_text=_("e.g. the 12th executive meeting"))
    meeting_date = models.DateField(_("meeting date"))
    minutes_number = models.CharField(_("minutes number"), max_length=100)
    document = models.FileField(_("document"), upload_to=approval_path)
    document_name = models.CharField(_("file name"), max_length=200)
    document_content_type = models.CharField(_("content type"), max_length=100)
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("government approval")
        verbose_name_plural = _("government approvals")
        ordering = ["-cycle__number"]

    def __str__(self):
        return f"{self.cycle} · {self.meeting} ({self.minutes_number})"
