"""Every write of the committee's deliberation: members and recusals, the vote, the ranking, the proposed list
and the government's approval. The rules themselves are in ranking.py (pure); these functions check, save,
audit and schedule.

The secret ballot (无记名投票): ballot_cast writes the member's BallotReceipt and adds the ballot to the
per-candidate counters (VoteCount) in one transaction; no row per ballot exists. Neither the audit row nor anything
else records a choice; see models/voting.py for why a choice cannot be joined to its member.
"""

import hashlib
import logging
from collections import Counter
from itertools import repeat

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.enums import DossierState
from applications.models import Dossier
from applications.selectors import WON_STATES
from applications.services import dossier_transition
from mayor_award.core.enums import CyclePhase, Role
from mayor_award.core.models import Cycle, User
from mayor_award.core.services import audit_record
from review.models import Candidate

from . import ranking
from .enums_voting import AdjustmentKind, DecidedBy, ListState, SessionState
from .models import (
    BallotReceipt,
    CommitteeMember,
    GovernmentApproval,
    ListAdjustment,
    ProposedList,
    RankingEntry,
    Recusal,
    TallyResult,
    VoteCount,
    VotingSession,
)

AUDIT_LABELS = {
    "committee.member_added": gettext_lazy("committee member added"),
    "committee.member_changed": gettext_lazy("committee member changed"),
    "committee.member_removed": gettext_lazy("committee member removed"),
    "committee.recusal_recorded": gettext_lazy("recusal recorded"),
    "committee.recusal_withdrawn": gettext_lazy("recusal withdrawn"),
    "vote.session_prepared": gettext_lazy("voting session prepared"),
    "vote.session_opened": gettext_lazy("voting session opened"),
    "vote.ballot_cast": gettext_lazy("ballot cast"),
    "vote.session_closed": gettext_lazy("voting session closed"),
    "vote.session_void": gettext_lazy("voting session void (quorum missed)"),
    "vote.minutes_printed": gettext_lazy("minutes printed"),
    "ranking.computed": gettext_lazy("ranking computed"),
    "ranking.tie_decided": gettext_lazy("tie decided"),
    "ranking.adjusted": gettext_lazy("proposed list adjusted"),
    "ranking.confirmed": gettext_lazy("proposed list confirmed"),
    "approval.recorded": gettext_lazy("government approval recorded"),
    "approval.document_opened": gettext_lazy("approval document opened"),
}

logger = logging.getLogger(__name__)

REPEAT_FINDING = "25-repeat"  # applications/eligibility.py Code.REPEAT
APPROVAL_KINDS = ("pdf", "png", "jpeg")


class VotingError(Exception):
    """A committee action was refused; the message says why, in the user's language."""


# --- reads the services share ---


def cycle_candidates(cycle: Cycle):
    """The candidates the panels handed over for `cycle` (Art. 16), in panel and position order."""
    return (
        Candidate.objects.filter(panel__cycle=cycle)
        .exclude(dossier__state__in=(DossierState.WITHDRAWN, DossierState.REVOKED))
        .select_related("panel", "dossier__organisation")
        .defer("panel__draw_record")  # the draw's record (every pool candidate) is never read here, and it is large
        .order_by("panel__name", "position")
    )


def live_session(cycle: Cycle) -> VotingSession | None:
    return VotingSession.objects.filter(cycle=cycle, state__in=SessionState.live()).first()


def committee_frozen(cycle: Cycle) -> bool:
    """Once a session opens, the committee and its recusals are part of its rules."""
    return VotingSession.objects.filter(cycle=cycle, state__in=(SessionState.OPEN, SessionState.CLOSED)).exists()


def _require(condition: bool, message: str):
    if not condition:
        raise VotingError(message)


# --- the committee (评委会) and recusals (回避) ---


def committee_member_problems(*, cycle: Cycle, user: User) -> list[str]:
    """Why `user` cannot be put on (or changed on) `cycle`'s committee now (empty: they can)."""
    problems = []
    if committee_frozen(cycle):
        problems.append(
            _("The committee cannot change once its vote has opened: its members are counted for the quorum.")
        )
    if not user.groups.filter(name=Role.COMMITTEE.value).exists():
        problems.append(_("Only users with the committee member role can sit on the committee."))
    return problems


@transaction.atomic
def committee_member_save(*, member: CommitteeMember, by: User) -> CommitteeMember:
    """Add a member to a cycle's committee or change their office (Art. 5); frozen once a vote has opened."""
    Cycle.objects.select_for_update().get(pk=member.cycle_id)
    problems = committee_member_problems(cycle=member.cycle, user=member.user)
    if problems:
        raise VotingError(" ".join(problems))
    is_new = member.pk is None
    member.full_clean()
    member.save()
    audit_record(
        actor=by,
        action="committee.member_added" if is_new else "committee.member_changed",
        obj=member,
        data={"cycle": member.cycle_id, "user": member.user_id, "office": member.office},
    )
    return member


@transaction.atomic
def committee_member_remove(*, member: CommitteeMember, by: User):
    Cycle.objects.select_for_update().get(pk=member.cycle_id)
    _require(
        not committee_frozen(member.cycle) and not member.receipts.exists(),
        _("The committee cannot change once its vote has opened: its members are counted for the quorum."),
    )
    audit_record(
        actor=by,
        action="committee.member_removed",
        obj=member,
        data={"cycle": member.cycle_id, "user": member.user_id, "office": member.office},
    )
    member.recusals.all().delete()
    member.delete()


def recusal_problems(*, member: CommitteeMember, candidate: Candidate, reason: str) -> list[str]:
    """Why this recusal cannot be recorded now (empty: it can)."""
    cycle = member.cycle
    problems = []
    if not reason.strip():
        problems.append(_("Give the reason for the recusal."))
    if not cycle_candidates(cycle).filter(pk=candidate.pk).exists():
        problems.append(_("The candidate is not one of this cycle's candidates."))
    session = live_session(cycle)
    if session is not None and session.state == SessionState.CLOSED:
        problems.append(_("The vote has closed: a recusal can no longer be recorded."))
    if (
        session is not None
        and session.state == SessionState.OPEN
        and BallotReceipt.objects.filter(session=session, member=member).exists()
    ):
        problems.append(_("This member has already voted: a recusal can no longer be recorded for them."))
    if Recusal.objects.filter(member=member, candidate=candidate).exists():
        problems.append(_("This recusal is already recorded."))
    return problems


@transaction.atomic
def recusal_record(*, member: CommitteeMember, candidate: Candidate, reason: str, by: User) -> Recusal:
    """A member stands aside from a candidate for a conflict of interest: no vote on it, no quorum count.

    Recorded before the vote opens. While it is open, only for a member who has not voted yet (their ballot then
    leaves the candidate out); never after the vote has closed.

    Locks the cycle's live session for update first (as session_open does, then the cycle): a ballot share-locks
    the same row, so a recusal and a ballot of the same member never interleave; whichever comes second sees the
    other (the receipt, or the recusal) and is refused or leaves the candidate out.
    """
    _lock_live_sessions(member.cycle_id)
    Cycle.objects.select_for_update().get(pk=member.cycle_id)
    problems = recusal_problems(member=member, candidate=candidate, reason=reason)
    if problems:
        raise VotingError(" ".join(problems))
    recusal = Recusal.objects.create(member=member, candidate=candidate, reason=reason.strip(), recorded_by=by)
    audit_record(
        actor=by,
        action="committee.recusal_recorded",
        obj=recusal,
        data={"member": member.pk, "candidate": candidate.pk, "reason": recusal.reason},
    )
    return recusal


def _lock_live_sessions(cycle_id: int):
    """Lock the cycle's live sessions for update, in key order (at most one, by the constraint)."""
    list(
        VotingSession.objects.select_for_update()
        .filter(cycle_id=cycle_id, state__in=SessionState.live())
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def recusal_withdraw(*, recusal: Recusal, by: User):
    Cycle.objects.select_for_update().get(pk=recusal.member.cycle_id)
    _require(
        not committee_frozen(recusal.member.cycle),
        _("A recusal cannot be withdrawn once the vote has opened."),
    )
    audit_record(
        actor=by,
        action="committee.recusal_withdrawn",
        obj=recusal,
        data={"member": recusal.member_id, "candidate": recusal.candidate_id},
    )
    recusal.delete()


# --- the voting session (投票表决) ---


@transaction.atomic
def session_prepare(*, cycle: Cycle, by: User) -> VotingSession:
    """A draft session for `cycle`; its rules are copied from the cycle when it opens."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _require(
        live_session(cycle) is None,
        _("This cycle already has a voting session; a new one can be prepared only after a void one."),
    )
    session = VotingSession.objects.create(cycle=cycle, created_by=by)
    audit_record(actor=by, action="vote.session_prepared", obj=session, data={"cycle": cycle.pk})
    return session


def session_open_problems(session: VotingSession) -> list[str]:
    """Why the session cannot open now (empty: it can)."""
    cycle = session.cycle
    problems = []
    if session.state != SessionState.DRAFT:
        problems.append(_("Only a session being prepared can open."))
    if cycle.phase != CyclePhase.DELIBERATION:
        problems.append(_("The committee votes during the committee deliberation phase (Art. 16)."))
    if not cycle_candidates(cycle).exists():
        problems.append(_("No panel has handed over candidates yet (Art. 16)."))
    members = CommitteeMember.objects.filter(cycle=cycle)
    if not members.exists():
        problems.append(_("The committee has no members for this cycle (Art. 5)."))
    elif not members.filter(office="director").exists():
        problems.append(_("Record the committee's director (the vice-mayor in charge, Art. 5) before the vote."))
    try:
        ranking.check_weight(cycle.onsite_score_weight)
    except ranking.RankingError as error:
        problems.append(str(error))
    if ranking.max_approvals(cycle.award_quota, cycle.slate_ratio) < 1:
        problems.append(_("With these settings a ballot could approve nobody: check the number of awards."))
    return problems


@transaction.atomic
def session_open(*, session: VotingSession, by: User) -> VotingSession:
    """Open the vote: fix its rules from the cycle (quorum, pass ratio, slate K, weight, minimum score), its
    candidates and the number of members entitled to vote. None of it changes afterwards."""
    session = VotingSession.objects.select_for_update().select_related("cycle").get(pk=session.pk)
    Cycle.objects.select_for_update().get(pk=session.cycle_id)
    problems = session_open_problems(session)
    if problems:
        raise VotingError(" ".join(problems))
    cycle = session.cycle
    session.quorum_ratio = cycle.quorum_ratio
    session.pass_ratio = cycle.pass_ratio
    session.slate_ratio = cycle.slate_ratio
    session.award_quota = cycle.award_quota
    session.max_approvals = ranking.max_approvals(cycle.award_quota, cycle.slate_ratio)
    session.onsite_score_weight = cycle.onsite_score_weight
    session.award_min_score = cycle.award_min_score
    session.members_eligible = CommitteeMember.objects.filter(cycle=cycle).count()
    session.state = SessionState.OPEN
    session.opened_at = timezone.now()
    session.opened_by = by
    session.save()
    candidates = list(cycle_candidates(cycle))
    session.candidates.set(candidates)
    VoteCount.objects.bulk_create(VoteCount(session=session, candidate=candidate) for candidate in candidates)
    audit_record(actor=by, action="vote.session_opened", obj=session, data=session_rules(session))
    return session


def session_rules(session: VotingSession) -> dict:
    """The rules fixed at opening, as plain data (for the audit row)."""
    return {
        "quorum_ratio": str(session.quorum_ratio),
        "pass_ratio": str(session.pass_ratio),
        "slate_ratio": str(session.slate_ratio),
        "award_quota": session.award_quota,
        "max_approvals": session.max_approvals,
        "onsite_score_weight": str(session.onsite_score_weight),
        "award_min_score": None if session.award_min_score is None else str(session.award_min_score),
        "members_eligible": session.members_eligible,
    }


def _session_share_locked(pk: int) -> VotingSession:
    """The session, read after taking a shared lock on its row (PostgreSQL: FOR SHARE; elsewhere the database
    serialises writers anyway). Under READ COMMITTED the read that follows the lock sees the committed state."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(VotingSession._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR SHARE", [pk])  # noqa: S608 - a model's table
    else:
        VotingSession.objects.select_for_update().filter(pk=pk).exists()
    return VotingSession.objects.get(pk=pk)


def _already_voted():
    return VotingError(_("Your ballot is already cast; a ballot is final."))


COUNTER = {ranking.APPROVE: "approvals", ranking.DISAPPROVE: "disapprovals", ranking.ABSTAIN: "abstentions"}


def _nothing_to_vote_on():
    return VotingError(
        _(
            "You recused yourself from every candidate on the ballot: there is nothing to vote on, so no ballot is "
            "cast and you are not counted as having voted."
        )
    )


@transaction.atomic
def ballot_cast(*, session: VotingSession, member: CommitteeMember, choices: dict[int, str], by: User) -> None:
    """Cast `member`'s ballot: `choices` maps each candidate's id to approve, disapprove or abstain.

    One transaction writes the receipt (that the member voted) and adds one to the chosen counter of each candidate
    voted on: a single UPDATE rewrites every counter row of the session (adding nothing where the member recused),
    so no row is written per ballot and no row version tells more than which ballot came last. The session row is
    share-locked, so ballots go in side by side but never into a session that is closing (session_close locks it for
    update) nor past a recusal being recorded (recusal_record locks it for update). Two ballots of one member that
    arrive at once both pass the check below; the unique receipt per member and session then refuses the second in
    the database. A member recused from every candidate has nothing to vote on: refused, it does not count toward
    the quorum. Returns nothing: the choices are not handed back.
    """
    session = _session_share_locked(session.pk)
    _require(session.state == SessionState.OPEN, _("The vote is not open."))
    _require(member.cycle_id == session.cycle_id, _("You are not a member of this cycle's committee."))
    if BallotReceipt.objects.filter(session=session, member=member).exists():
        raise _already_voted()
    candidate_ids = set(session.candidates.values_list("pk", flat=True))
    recused = set(Recusal.objects.filter(member=member).values_list("candidate_id", flat=True)) & candidate_ids
    if not candidate_ids - recused:
        raise _nothing_to_vote_on()
    problems = ranking.ballot_problems(
        choices=choices, candidates=candidate_ids, recused=recused, limit=session.max_approvals
    )
    if problems:
        raise VotingError(" ".join(problems))
    try:
        with transaction.atomic():
            BallotReceipt.objects.create(session=session, member=member)
    except IntegrityError:  # the database's guard, should two requests pass the check above together
        logger.info("A second ballot of member %s in session %s was refused by the database.", member.pk, session.pk)
        raise _already_voted() from None
    increments = {  # approvals = approvals + CASE WHEN candidate_id IN (…) THEN 1 ELSE 0 END, and so on
        field: F(field)
        + Case(
            When(candidate_id__in=[c for c, choice in choices.items() if COUNTER[choice] == field], then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        for field in COUNTER.values()
    }
    updated = VoteCount.objects.filter(session=session).update(**increments)
    if updated != len(candidate_ids):  # a session opened without its counters: refuse rather than lose a vote
        logger.error("Session %s has %s counters for %s candidates.", session.pk, updated, len(candidate_ids))
        raise VotingError(_("The ballot box of this vote is incomplete; the ballot is not cast. Tell the secretariat."))
    audit_record(actor=by, action="vote.ballot_cast", obj=session, data={"member": member.pk})


@transaction.atomic
def session_close(*, session: VotingSession, by: User) -> VotingSession:
    """Close the vote and count it. A session that missed its quorum is void (and says so); otherwise each
    candidate's tally is written. The minutes are printed after the commit."""
    session = VotingSession.objects.select_for_update().select_related("cycle").get(pk=session.pk)
    _require(session.state == SessionState.OPEN, _("Only an open vote can be closed."))
    candidates = list(session.candidates.order_by("panel__name", "position").values_list("pk", flat=True))
    votes = [
        (count.candidate_id, choice)
        for count in VoteCount.objects.filter(session=session, candidate_id__in=candidates)
        for choice, field in COUNTER.items()
        for _i in repeat(None, getattr(count, field))
    ]
    recused = Counter(
        Recusal.objects.filter(member__cycle=session.cycle, candidate_id__in=candidates).values_list(
            "candidate_id", flat=True
        )
    )
    result = ranking.tally(
        candidates=candidates,
        votes=votes,
        recused=dict(recused),
        members_eligible=session.members_eligible,
        ballots_cast=session.receipts.count(),
        quorum_ratio=session.quorum_ratio,
        pass_ratio=session.pass_ratio,
    )
    session.ballots_cast = result.ballots_cast
    session.closed_at = timezone.now()
    session.closed_by = by
    if result.valid:
        session.state = SessionState.CLOSED
        TallyResult.objects.bulk_create(
            TallyResult(
                session=session,
                candidate_id=one.candidate,
                members_eligible=one.members_eligible,
                recused=one.recused,
                ballots=one.ballots,
                approvals=one.approvals,
                disapprovals=one.disapprovals,
                abstentions=one.abstentions,
                quorum_met=one.quorum_met,
                passed=one.passed,
            )
            for one in result.tallies
        )
    else:
        session.state = SessionState.VOID
    session.save()
    audit_record(
        actor=by,
        action="vote.session_closed" if result.valid else "vote.session_void",
        obj=session,
        data={
            "ballots_cast": result.ballots_cast,
            "members_eligible": result.members_eligible,
            "quorum_required": result.quorum_required,
        },
    )
    minutes_schedule(session)
    return session


def minutes_schedule(session: VotingSession):
    from mayor_award.core.tasks import enqueue_on_commit

    from .tasks_voting import task_render_minutes

    enqueue_on_commit(task_render_minutes, session_id=session.pk)


# --- the ranking (综合排序) and the proposed list (拟奖名单) ---


def repeat_winner_dossiers(dossiers) -> set[int]:
    """Ids of the dossiers whose organisation won in an earlier cycle (Art. 25): the eligibility check's
    "25-repeat" finding, or an earlier awarded dossier of the same organisation."""
    dossiers = list(dossiers)
    found = {
        dossier.pk
        for dossier in dossiers
        if any(entry.get("code") == REPEAT_FINDING for entry in dossier.precheck_findings or [])
    }
    earlier = set(
        Dossier.objects.filter(
            organisation_id__in=[d.organisation_id for d in dossiers],
            state__in=WON_STATES,
        ).values_list("organisation_id", "cycle__number")
    )
    for dossier in dossiers:
        if any(org == dossier.organisation_id and number < dossier.cycle.number for org, number in earlier):
            found.add(dossier.pk)
    return found


def _refuse_unless_editable(proposed_list: ProposedList):
    _require(proposed_list.state == ListState.DRAFT, _("The proposed list is confirmed and can no longer change."))
    _require(
        proposed_list.cycle.phase == CyclePhase.DELIBERATION,
        _("The proposed list is drawn up during the committee deliberation phase."),
    )


@transaction.atomic
def ranking_compute(*, session: VotingSession, by: User) -> ProposedList:
    """Rank the candidates of a closed session and propose the list (Art. 4, 16, 25).

    Computing again keeps the orders decided in ties and the recorded adjustments.
    """
    session = VotingSession.objects.select_for_update().select_related("cycle").get(pk=session.pk)
    _require(session.state == SessionState.CLOSED, _("The ranking needs a closed, valid vote."))
    proposed_list = ProposedList.objects.select_for_update().filter(session=session).first()
    if proposed_list is None:
        proposed_list = ProposedList(session=session, cycle=session.cycle)
    else:
        _refuse_unless_editable(proposed_list)
    _require(
        session.cycle.phase == CyclePhase.DELIBERATION,
        _("The proposed list is drawn up during the committee deliberation phase."),
    )
    proposed_list.computed_at = timezone.now()
    proposed_list.computed_by = by
    proposed_list.save()

    tallies = list(TallyResult.objects.filter(session=session).select_related("candidate__dossier__cycle"))
    repeats = repeat_winner_dossiers(t.candidate.dossier for t in tallies)
    existing = {entry.candidate_id: entry for entry in proposed_list.entries.all()}
    standings = [
        ranking.Standing(
            candidate=t.candidate_id,
            onsite_total=t.candidate.onsite_total,
            approvals=t.approvals,
            quorum_met=t.quorum_met,
            passed=t.passed,
            repeat_winner=t.candidate.dossier_id in repeats,
            tie_break=existing[t.candidate_id].tie_break if t.candidate_id in existing else None,
        )
        for t in tallies
    ]
    rules = ranking.RankingRules(
        onsite_score_weight=session.onsite_score_weight,
        award_quota=session.award_quota,
        award_min_score=session.award_min_score,
    )
    overrides = _proposal_overrides(proposed_list)
    ballots = {t.candidate_id: t.ballots for t in tallies}
    for ranked in ranking.rank(standings, rules):
        entry = existing.get(ranked.candidate) or RankingEntry(
            proposed_list=proposed_list, candidate_id=ranked.candidate
        )
        entry.position = ranked.position
        entry.onsite_total = ranked.onsite_total
        entry.approvals = ranked.approvals
        entry.ballots = ballots[ranked.candidate]
        entry.score_rank = ranked.score_rank
        entry.vote_rank = ranked.vote_rank
        entry.combined_index = ranked.combined_index
        entry.tie_group = ranked.tie_group
        entry.quorum_met = ranked.quorum_met
        entry.passed = ranked.passed
        entry.meets_min_score = ranked.meets_min_score
        entry.repeat_winner = ranked.repeat_winner
        entry.computed_proposed = ranked.proposed
        entry.proposed = overrides.get(ranked.candidate, ranked.proposed)
        entry.reasons = list(ranked.reasons)
        entry.save()
    audit_record(
        actor=by,
        action="ranking.computed",
        obj=proposed_list,
        data={"proposed": list(proposed_list.entries.filter(proposed=True).values_list("candidate_id", flat=True))},
    )
    minutes_schedule(session)
    return proposed_list


def _proposal_overrides(proposed_list: ProposedList) -> dict[int, bool]:
    """The last recorded decision to put a candidate on the list or take it off, per candidate."""
    overrides = {}
    for adjustment in proposed_list.adjustments.filter(
        kind__in=(AdjustmentKind.PROPOSE, AdjustmentKind.WITHDRAW)
    ).order_by("recorded_at", "pk"):
        overrides[adjustment.entry.candidate_id] = adjustment.kind == AdjustmentKind.PROPOSE
    return overrides


def unresolved_ties(proposed_list: ProposedList) -> list[list[RankingEntry]]:
    """Groups of tied entries whose order must be decided before the list is confirmed.

    A tie needs a decision when the tied candidates could be proposed (met the quorum, passed, minimum score)
    and their order is not recorded yet.
    """
    groups: dict[int, list[RankingEntry]] = {}
    for entry in proposed_list.entries.select_related("candidate__dossier__organisation").order_by("position"):
        if entry.tie_group is not None:
            groups.setdefault(entry.tie_group, []).append(entry)
    return [
        entries
        for entries in groups.values()
        if any(e.quorum_met and e.passed and e.meets_min_score for e in entries)
        and (None in {e.tie_break for e in entries} or len({e.tie_break for e in entries}) != len(entries))
    ]


def _check_decision(decided_by: str, reason: str):
    _require(decided_by in DecidedBy.values, _("Say who decided: the committee's director or the secretariat."))
    _require(bool(reason.strip()), _("Give the reason; the minutes print it."))


@transaction.atomic
def list_tie_decide(
    *, proposed_list: ProposedList, order: list[int], decided_by: str, reason: str, by: User
) -> ProposedList:
    """Record the order of candidates tied on every rule (`order`: their ranking entries' ids, first first)."""
    proposed_list = ProposedList.objects.select_for_update().select_related("cycle", "session").get(pk=proposed_list.pk)
    _refuse_unless_editable(proposed_list)
    _check_decision(decided_by, reason)
    entries = {e.pk: e for e in proposed_list.entries.filter(pk__in=order).select_related("candidate__dossier")}
    groups = {e.tie_group for e in entries.values()}
    _require(
        len(entries) == len(order) == len(set(order)) and len(groups) == 1 and None not in groups,
        _("Order exactly the candidates of one tie."),
    )
    group = groups.pop()
    _require(
        proposed_list.entries.filter(tie_group=group).count() == len(order),
        _("Order every candidate of the tie."),
    )
    for place, pk in enumerate(order, start=1):
        entries[pk].tie_break = place
        entries[pk].save(update_fields=["tie_break"])
    ListAdjustment.objects.create(
        proposed_list=proposed_list,
        kind=AdjustmentKind.TIE_ORDER,
        decided_by=decided_by,
        reason=reason.strip(),
        data={"order": [entries[pk].candidate.dossier.number for pk in order]},
        recorded_by=by,
    )
    audit_record(
        actor=by,
        action="ranking.tie_decided",
        obj=proposed_list,
        data={"order": order, "decided_by": decided_by, "reason": reason.strip()},
    )
    return ranking_compute(session=proposed_list.session, by=by)


@transaction.atomic
def list_adjust(*, entry: RankingEntry, proposed: bool, decided_by: str, reason: str, by: User) -> RankingEntry:
    """Put a candidate on the list or take it off, with the reason (Art. 16: industry representativeness).

    Only a candidate that met its quorum, passed the vote and reached the minimum score can be put on it: those
    rules are the regulation's, not a weighing. The number of awards is "about five" (Art. 4), so going beyond
    it is possible with the reason recorded.
    """
    proposed_list = (
        ProposedList.objects.select_for_update().select_related("cycle", "session").get(pk=entry.proposed_list_id)
    )
    _refuse_unless_editable(proposed_list)
    _check_decision(decided_by, reason)
    entry = RankingEntry.objects.select_related("candidate__dossier").get(pk=entry.pk)
    _require(entry.proposed != proposed, _("The list already says so; nothing to change."))
    if proposed:
        _require(
            entry.quorum_met and entry.passed and entry.meets_min_score,
            _(
                "Only a candidate that met its quorum, passed the vote and reached the minimum on-site score can "
                "be proposed (Art. 4, 16)."
            ),
        )
    entry.proposed = proposed
    entry.save(update_fields=["proposed"])
    ListAdjustment.objects.create(
        proposed_list=proposed_list,
        entry=entry,
        kind=AdjustmentKind.PROPOSE if proposed else AdjustmentKind.WITHDRAW,
        decided_by=decided_by,
        reason=reason.strip(),
        data={"dossier": entry.candidate.dossier.number},
        recorded_by=by,
    )
    audit_record(
        actor=by,
        action="ranking.adjusted",
        obj=proposed_list,
        data={"entry": entry.pk, "proposed": proposed, "decided_by": decided_by, "reason": reason.strip()},
    )
    minutes_schedule(proposed_list.session)
    return entry


def places_taken(proposed_list: ProposedList) -> int:
    """Proposed candidates that count toward the number of awards (repeat winners do not, Art. 25)."""
    return proposed_list.entries.filter(proposed=True, repeat_winner=False).count()


@transaction.atomic
def list_confirm(*, proposed_list: ProposedList, by: User) -> ProposedList:
    """Confirm the proposed list: its dossiers become proposed for the award. It can be empty (Art. 4)."""
    proposed_list = ProposedList.objects.select_for_update().select_related("cycle", "session").get(pk=proposed_list.pk)
    _refuse_unless_editable(proposed_list)
    _require(
        not unresolved_ties(proposed_list),
        _("Record the order of the tied candidates first (Art. 16: the secretariat decides, with a reason)."),
    )
    proposed_list.state = ListState.CONFIRMED
    proposed_list.confirmed_at = timezone.now()
    proposed_list.confirmed_by = by
    proposed_list.save()
    entries = list(proposed_list.entries.filter(proposed=True).select_related("candidate__dossier"))
    for entry in entries:
        dossier_transition(
            dossier=entry.candidate.dossier,
            to=DossierState.PROPOSED,
            by=by,
            data={"proposed_list": proposed_list.pk, "position": entry.position},
        )
    audit_record(
        actor=by,
        action="ranking.confirmed",
        obj=proposed_list,
        data={"proposed": [entry.candidate.dossier.number for entry in entries]},
    )
    minutes_schedule(proposed_list.session)
    return proposed_list


# --- the government's approval (市政府常务会议审定) ---


def approval_problems(*, proposed_list: ProposedList, meeting: str, meeting_date, minutes_number: str, kind) -> list:
    """Why the approval cannot be recorded as given (empty: it can)."""
    cycle = proposed_list.cycle
    problems = []
    if not proposed_list.is_confirmed:
        problems.append(_("Only a confirmed proposed list goes to the government."))
    if cycle.phase != CyclePhase.APPROVAL:
        problems.append(_("The government's approval is recorded in the government approval phase."))
    if GovernmentApproval.objects.filter(cycle=cycle).exists():
        problems.append(_("The approval is already recorded."))
    if not meeting.strip() or not minutes_number.strip():
        problems.append(_("Name the meeting and its minutes number."))
    if kind not in APPROVAL_KINDS:
        problems.append(_("The document must be a PDF or an image (PNG, JPEG)."))
    if meeting_date is None or meeting_date > timezone.localdate():
        problems.append(_("The meeting date cannot be in the future."))
    return problems


@transaction.atomic
def approval_record(
    *,
    proposed_list: ProposedList,
    meeting: str,
    meeting_date,
    minutes_number: str,
    upload,
    kind: str,
    by: User,
) -> GovernmentApproval:
    """Record the executive meeting's approval of the confirmed list (Art. 16); the cycle may then move on to
    publicity. `upload` is the meeting's document, `kind` what its content was recognised as (pdf, png, jpeg)."""
    from mayor_award.core.uploads import KINDS

    proposed_list = ProposedList.objects.select_for_update().select_related("cycle").get(pk=proposed_list.pk)
    problems = approval_problems(
        proposed_list=proposed_list,
        meeting=meeting,
        meeting_date=meeting_date,
        minutes_number=minutes_number,
        kind=kind,
    )
    if problems:
        raise VotingError(" ".join(problems))
    cycle = proposed_list.cycle
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    approval = GovernmentApproval(
        cycle=cycle,
        proposed_list=proposed_list,
        meeting=meeting.strip(),
        meeting_date=meeting_date,
        minutes_number=minutes_number.strip(),
        document_name=upload.name[:200],
        document_content_type=KINDS[kind][0],
        document_sha256=digest.hexdigest(),
        recorded_by=by,
    )
    approval.document.save(upload.name, upload, save=False)
    approval.save()
    audit_record(
        actor=by,
        action="approval.recorded",
        obj=approval,
        data={
            "meeting": approval.meeting,
            "meeting_date": meeting_date.isoformat(),
            "minutes_number": approval.minutes_number,
            "sha256": approval.document_sha256,
        },
    )
    return approval
