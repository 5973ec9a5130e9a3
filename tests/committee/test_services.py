"""The deliberation's services: committee, recusals, the secret vote, the ranking, the list and the approval."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from applications.enums import DossierState
from committee import services_voting as services
from committee.enums_voting import ListState, SessionState
from committee.models import BallotReceipt, GovernmentApproval, ProposedList, TallyResult, VoteCount, VotingSession
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent
from mayor_award.core.services import CycleTransitionRefused, cycle_advance
from tests.factories.applications import DossierFactory, pdf_bytes
from tests.factories.committee import CandidateFactory, CommitteeMemberFactory, RecusalFactory
from tests.factories.core import CycleFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def everyone_votes(cast, session, members, choices):
    for member in members:
        cast(session, member, choices)


# --- the committee and recusals ---


def test_member_needs_the_committee_role(secretariat_user):
    cycle = CycleFactory(phase="deliberation")
    member = CommitteeMemberFactory.build(cycle=cycle, user=UserFactory(roles=["expert"]))

    with pytest.raises(services.VotingError, match="committee member role"):
        services.committee_member_save(member=member, by=secretariat_user)


def test_member_added_with_an_audit_row(secretariat_user):
    cycle = CycleFactory(phase="deliberation")
    member = CommitteeMemberFactory.build(cycle=cycle, user=UserFactory(roles=["committee"]), office="deputy")

    services.committee_member_save(member=member, by=secretariat_user)

    event = AuditEvent.objects.get(action="committee.member_added")
    assert event.data == {"cycle": cycle.pk, "user": member.user_id, "office": "deputy"}


def test_committee_frozen_once_the_vote_opens(deliberation, open_session, secretariat_user):
    cycle, members, _candidates = deliberation(members=3)
    open_session(cycle)
    newcomer = CommitteeMemberFactory.build(cycle=cycle, user=UserFactory(roles=["committee"]))

    with pytest.raises(services.VotingError, match="cannot change once its vote has opened"):
        services.committee_member_save(member=newcomer, by=secretariat_user)
    with pytest.raises(services.VotingError):
        services.committee_member_remove(member=members[1], by=secretariat_user)


def test_recusal_needs_a_reason(deliberation, secretariat_user):
    _cycle, members, candidates = deliberation(members=3)

    with pytest.raises(services.VotingError, match="reason"):
        services.recusal_record(member=members[1], candidate=candidates[0], reason="  ", by=secretariat_user)


def test_recusal_refused_for_a_member_who_already_voted(deliberation, open_session, cast, secretariat_user):
    cycle, members, candidates = deliberation(members=3, scores=(800,))
    session = open_session(cycle)
    cast(session, members[1], {candidates[0]: "approve"})

    with pytest.raises(services.VotingError, match="already voted"):
        services.recusal_record(member=members[1], candidate=candidates[0], reason="亲属任职", by=secretariat_user)
    services.recusal_record(member=members[2], candidate=candidates[0], reason="亲属任职", by=secretariat_user)

    with pytest.raises(services.VotingError, match="recused"):
        cast(session, members[2], {candidates[0]: "approve"})


@pytest.mark.django_db(transaction=True)
def test_recusal_waits_for_a_ballot_in_flight(deliberation, secretariat_user):
    """A recusal takes the session's row for update, a ballot shares it: on PostgreSQL the recusal waits for the
    ballot to commit, then sees the receipt and is refused."""
    import threading

    from django.db import connection

    from tests.conftest import postgres_in_use, require

    require(postgres_in_use(), "needs PostgreSQL (DATABASE_URL=postgres://…): SQLite serialises every write")
    cycle, members, candidates = deliberation(members=3, scores=(800,))
    session = services.session_open(
        session=services.session_prepare(cycle=cycle, by=secretariat_user), by=secretariat_user
    )
    ballot_locked, recusal_started = threading.Event(), threading.Event()
    outcome = {}

    def recuse():
        try:
            ballot_locked.wait(5)
            recusal_started.set()
            with translation.override("en"):
                services.recusal_record(
                    member=members[1], candidate=candidates[0], reason="亲属任职", by=secretariat_user
                )
            outcome["recusal"] = "recorded"
        except services.VotingError as error:
            outcome["recusal"] = str(error)
        finally:
            connection.close()

    thread = threading.Thread(target=recuse)
    thread.start()
    with transaction.atomic():
        services._session_share_locked(session.pk)
        ballot_locked.set()
        recusal_started.wait(5)
        thread.join(0.5)  # the recusal blocks on the session's row meanwhile
        blocked = thread.is_alive()
        services.ballot_cast(
            session=session, member=members[1], choices={candidates[0].pk: "approve"}, by=members[1].user
        )
    thread.join(10)

    assert blocked
    assert "already voted" in outcome["recusal"]
    assert not members[1].recusals.exists()


def test_recusal_of_another_cycles_candidate_refused(deliberation, secretariat_user):
    _cycle, members, _candidates = deliberation(members=3)
    elsewhere = CandidateFactory()

    with pytest.raises(services.VotingError, match="not one of this cycle's candidates"):
        services.recusal_record(member=members[1], candidate=elsewhere, reason="x", by=secretariat_user)


# --- opening the vote ---


def test_session_opens_with_the_cycles_rules_fixed(deliberation, open_session):
    cycle, _members, candidates = deliberation(members=9, award_quota=5, slate_ratio=Decimal("1.25"))

    session = open_session(cycle)
    cycle.quorum_ratio = Decimal("0.9")
    cycle.save()

    session.refresh_from_db()
    assert (session.state, session.max_approvals, session.members_eligible) == (SessionState.OPEN, 6, 9)
    assert session.quorum_ratio == Decimal("0.6667")
    assert list(session.candidates.order_by("position")) == candidates
    assert AuditEvent.objects.get(action="vote.session_opened").data["max_approvals"] == 6


@pytest.mark.parametrize("phase", ["onsite_review", "approval"])
def test_session_opens_only_in_deliberation(deliberation, secretariat_user, phase):
    cycle, _members, _candidates = deliberation(members=3)
    session = services.session_prepare(cycle=cycle, by=secretariat_user)
    cycle.phase = phase
    cycle.save()

    with pytest.raises(services.VotingError, match="committee deliberation phase"):
        services.session_open(session=session, by=secretariat_user)


def test_session_needs_candidates_and_a_director(secretariat_user):
    cycle = CycleFactory(phase="deliberation")
    CommitteeMemberFactory(cycle=cycle)
    session = services.session_prepare(cycle=cycle, by=secretariat_user)

    assert services.session_open_problems(session) == [
        "No panel has handed over candidates yet (Art. 16).",
        "Record the committee's director (the vice-mayor in charge, Art. 5) before the vote.",
    ]


def test_second_live_session_refused(deliberation, secretariat_user):
    cycle, _members, _candidates = deliberation(members=3)
    services.session_prepare(cycle=cycle, by=secretariat_user)

    with pytest.raises(services.VotingError, match="already has a voting session"):
        services.session_prepare(cycle=cycle, by=secretariat_user)


# --- casting a ballot ---


def counts():
    """{candidate id: (approvals, disapprovals, abstentions)} of every counter."""
    rows = VoteCount.objects.values_list("candidate_id", "approvals", "disapprovals", "abstentions")
    return {row[0]: row[1:] for row in rows}


def test_ballot_writes_a_receipt_and_adds_to_the_counters(deliberation, open_session, cast):
    cycle, members, candidates = deliberation(members=3)
    session = open_session(cycle)

    cast(session, members[1], {candidates[0]: "approve", candidates[1]: "disapprove", candidates[2]: "abstain"})
    cast(session, members[2], {candidates[0]: "approve", candidates[1]: "approve", candidates[2]: "approve"})

    assert list(BallotReceipt.objects.values_list("member_id", flat=True)) == [members[1].pk, members[2].pk]
    assert counts() == {candidates[0].pk: (2, 0, 0), candidates[1].pk: (1, 1, 0), candidates[2].pk: (1, 0, 1)}


def test_ballot_refused_when_a_counter_is_missing(deliberation, open_session, cast):
    cycle, members, candidates = deliberation(members=3, scores=(800, 700))
    session = open_session(cycle)
    VoteCount.objects.filter(candidate=candidates[1]).delete()

    with pytest.raises(services.VotingError, match="ballot box of this vote is incomplete"):
        cast(session, members[1], {candidates[0]: "approve", candidates[1]: "approve"})

    assert (BallotReceipt.objects.count(), counts()) == (0, {candidates[0].pk: (0, 0, 0)})


def test_member_recused_from_every_candidate_cannot_cast_an_empty_ballot(
    deliberation, open_session, cast, secretariat_user
):
    cycle, members, candidates = deliberation(members=3, scores=(800, 700))
    for candidate in candidates:
        RecusalFactory(member=members[2], candidate=candidate)
    session = open_session(cycle)
    everyone_votes(cast, session, members[:1], {candidates[0]: "approve", candidates[1]: "approve"})

    with pytest.raises(services.VotingError, match="recused yourself from every candidate"):
        cast(session, members[2], {})

    session = services.session_close(session=session, by=secretariat_user)
    assert BallotReceipt.objects.count() == 1
    assert (session.state, session.ballots_cast) == (SessionState.VOID, 1)  # 1 of 3 misses the quorum of 2


def test_ballot_audit_row_says_who_voted_never_how(deliberation, open_session, cast):
    cycle, members, candidates = deliberation(members=3, scores=(800,))
    session = open_session(cycle)

    cast(session, members[1], {candidates[0]: "approve"})

    event = AuditEvent.objects.get(action="vote.ballot_cast")
    assert (event.actor, event.data) == (members[1].user, {"member": members[1].pk})
    assert "approve" not in str(AuditEvent.objects.values_list("data", flat=True))


def test_second_ballot_refused(deliberation, open_session, cast):
    cycle, members, candidates = deliberation(members=3, scores=(800,))
    session = open_session(cycle)
    cast(session, members[1], {candidates[0]: "approve"})

    with pytest.raises(services.VotingError, match="already cast"):
        cast(session, members[1], {candidates[0]: "disapprove"})

    assert counts() == {candidates[0].pk: (1, 0, 0)}


def test_database_refuses_a_second_receipt(deliberation, open_session, cast):
    cycle, members, candidates = deliberation(members=3, scores=(800,))
    session = open_session(cycle)
    cast(session, members[1], {candidates[0]: "approve"})

    with pytest.raises(IntegrityError), transaction.atomic():
        BallotReceipt.objects.create(session=session, member=members[1])


def test_ballot_over_the_slate_limit_refused_and_nothing_written(deliberation, open_session, cast):
    cycle, members, candidates = deliberation(
        members=3, scores=(800, 790, 780), award_quota=2, slate_ratio=Decimal("1")
    )
    session = open_session(cycle)

    with pytest.raises(services.VotingError, match="at most 2 candidates"):
        cast(session, members[1], dict.fromkeys(candidates, "approve"))

    assert (BallotReceipt.objects.count(), set(counts().values())) == (0, {(0, 0, 0)})


def test_ballot_exactly_at_the_slate_limit_accepted(deliberation, open_session, cast):
    cycle, members, candidates = deliberation(
        members=3, scores=(800, 790, 780), award_quota=2, slate_ratio=Decimal("1")
    )
    session = open_session(cycle)

    cast(session, members[1], {candidates[0]: "approve", candidates[1]: "approve", candidates[2]: "disapprove"})

    assert counts() == {candidates[0].pk: (1, 0, 0), candidates[1].pk: (1, 0, 0), candidates[2].pk: (0, 1, 0)}


def test_recused_candidate_cannot_be_voted_on(deliberation, open_session, cast):
    cycle, members, candidates = deliberation(members=3, scores=(800, 790))
    RecusalFactory(member=members[1], candidate=candidates[0])
    session = open_session(cycle)

    with pytest.raises(services.VotingError, match="recused"):
        cast(session, members[1], {candidates[0]: "approve", candidates[1]: "approve"})
    cast(session, members[1], {candidates[1]: "approve"})

    assert counts() == {candidates[0].pk: (0, 0, 0), candidates[1].pk: (1, 0, 0)}


def test_ballot_refused_once_the_vote_is_closed(deliberation, open_session, cast, secretariat_user):
    cycle, members, candidates = deliberation(members=3, scores=(800,))
    session = open_session(cycle)
    everyone_votes(cast, session, members[:2], {candidates[0]: "approve"})
    services.session_close(session=session, by=secretariat_user)

    with pytest.raises(services.VotingError, match="not open"):
        cast(session, members[2], {candidates[0]: "approve"})


def test_member_of_another_cycle_cannot_vote(deliberation, open_session, cast):
    cycle, _members, candidates = deliberation(members=3, scores=(800,))
    session = open_session(cycle)
    stranger = CommitteeMemberFactory(cycle=CycleFactory(phase="deliberation"))

    with pytest.raises(services.VotingError, match="not a member"):
        cast(session, stranger, {candidates[0]: "approve"})


# --- closing and counting ---


def test_vote_missing_its_quorum_is_void_and_says_so(deliberation, open_session, cast, secretariat_user):
    cycle, members, candidates = deliberation(members=9, scores=(800,))
    session = open_session(cycle)
    everyone_votes(cast, session, members[:5], {candidates[0]: "approve"})

    session = services.session_close(session=session, by=secretariat_user)

    assert session.state == SessionState.VOID
    assert session.outcome.startswith("Void: the quorum was missed. 5 of 9 members voted; at least 6")
    assert TallyResult.objects.count() == 0
    assert AuditEvent.objects.filter(action="vote.session_void").count() == 1
    services.session_prepare(cycle=cycle, by=secretariat_user)  # a new session may follow


def test_vote_meeting_its_quorum_exactly_is_counted(deliberation, open_session, cast, secretariat_user):
    cycle, members, candidates = deliberation(members=9, scores=(800, 700))
    session = open_session(cycle)
    for n, member in enumerate(members[:6]):
        cast(session, member, {candidates[0]: "approve" if n < 4 else "abstain", candidates[1]: "disapprove"})

    session = services.session_close(session=session, by=secretariat_user)

    assert (session.state, session.ballots_cast) == (SessionState.CLOSED, 6)
    first, second = TallyResult.objects.order_by("candidate__position")
    assert (first.ballots, first.approvals, first.abstentions, first.passed) == (6, 4, 2, True)
    assert (second.approvals, second.disapprovals, second.passed) == (0, 6, False)


def test_pass_ratio_boundary_in_a_counted_vote(deliberation, open_session, cast, secretariat_user):
    cycle, members, candidates = deliberation(members=10, scores=(800, 700))
    session = open_session(cycle)
    for n, member in enumerate(members):
        cast(
            session,
            member,
            {candidates[0]: "approve" if n < 5 else "disapprove", candidates[1]: "approve" if n < 6 else "abstain"},
        )

    services.session_close(session=session, by=secretariat_user)

    assert list(TallyResult.objects.order_by("candidate__position").values_list("approvals", "passed")) == [
        (5, False),  # exactly half of 10 is not more than half
        (6, True),
    ]


def test_recusal_in_the_count(deliberation, open_session, cast, secretariat_user):
    cycle, members, candidates = deliberation(members=3, scores=(800, 700))
    RecusalFactory(member=members[2], candidate=candidates[0])
    session = open_session(cycle)
    cast(session, members[0], {candidates[0]: "approve", candidates[1]: "approve"})
    cast(session, members[1], {candidates[0]: "approve", candidates[1]: "disapprove"})
    cast(session, members[2], {candidates[1]: "disapprove"})

    services.session_close(session=session, by=secretariat_user)

    first, second = TallyResult.objects.order_by("candidate__position")
    assert (first.members_eligible, first.recused, first.ballots, first.approvals, first.passed) == (2, 1, 2, 2, True)
    assert (second.members_eligible, second.ballots, second.approvals, second.passed) == (3, 3, 1, False)


# --- the ranking and the proposed list ---


@pytest.fixture
def counted(deliberation, open_session, cast, secretariat_user):
    """`counted(scores, approvals, members=5, **cycle)`: a closed vote where candidate i got approvals[i] of the
    members' ballots (the rest disapprove), with every member voting."""

    def make(scores, approvals, members=5, **cycle_fields):
        cycle, seats, candidates = deliberation(members=members, scores=scores, **cycle_fields)
        session = open_session(cycle)
        for n, member in enumerate(seats):
            cast(
                session,
                member,
                {c: "approve" if n < a else "disapprove" for c, a in zip(candidates, approvals, strict=True)},
            )
        return services.session_close(session=session, by=secretariat_user), candidates

    return make


def proposed_numbers(proposed_list):
    return [e.candidate.dossier.number for e in proposed_list.entries.filter(proposed=True).order_by("position")]


def test_ranking_combines_both_orders(counted, secretariat_user):
    session, (a, b, c) = counted(scores=(900, 800, 700), approvals=(3, 5, 4), award_quota=2, slate_ratio=Decimal("1.5"))

    proposed_list = services.ranking_compute(session=session, by=secretariat_user)

    rows = list(
        proposed_list.entries.values_list("candidate_id", "score_rank", "vote_rank", "combined_index", "proposed")
    )
    assert rows == [
        (b.pk, 2, 1, Decimal("1.6000"), True),
        (a.pk, 1, 3, Decimal("1.8000"), True),
        (c.pk, 3, 2, Decimal("2.6000"), False),
    ]


def test_repeat_winner_found_by_the_eligibility_finding(counted, secretariat_user):
    session, (a, b) = counted(scores=(900, 800), approvals=(5, 5), award_quota=1, slate_ratio=Decimal("2"))
    a.dossier.precheck_findings = [{"code": "25-repeat", "article": "25", "outcome": "pass", "zh": "", "en": ""}]
    a.dossier.save()

    proposed_list = services.ranking_compute(session=session, by=secretariat_user)

    entries = list(proposed_list.entries.order_by("position"))
    assert [(e.candidate_id, e.repeat_winner, e.proposed) for e in entries] == [(a.pk, True, True), (b.pk, False, True)]
    assert services.places_taken(proposed_list) == 1


def test_repeat_winner_found_by_an_earlier_award(counted, secretariat_user):
    session, (a, b) = counted(scores=(900, 800), approvals=(5, 5), award_quota=1, slate_ratio=Decimal("2"))
    earlier = CycleFactory(number=a.dossier.cycle.number - 4 if a.dossier.cycle.number > 4 else 90, phase="closed")
    DossierFactory(cycle=earlier, organisation=b.dossier.organisation, submitted=True, state=DossierState.AWARDED)

    proposed_list = services.ranking_compute(session=session, by=secretariat_user)

    repeat = {e.candidate_id: e.repeat_winner for e in proposed_list.entries.all()}
    assert repeat[b.pk] is (earlier.number < b.dossier.cycle.number)


def test_nobody_above_the_minimum_proposes_nobody(counted, secretariat_user):
    session, _candidates = counted(scores=(700, 650), approvals=(5, 5), award_min_score=Decimal("750"))

    proposed_list = services.ranking_compute(session=session, by=secretariat_user)

    assert proposed_numbers(proposed_list) == []
    assert list(proposed_list.entries.values_list("reasons", flat=True)) == [["min_score"], ["min_score"]]


def test_tie_must_be_decided_before_confirming(counted, secretariat_user):
    session, (a, b) = counted(scores=(800, 800), approvals=(4, 4), award_quota=1, slate_ratio=Decimal("2"))
    proposed_list = services.ranking_compute(session=session, by=secretariat_user)

    assert proposed_numbers(proposed_list) == []
    with pytest.raises(services.VotingError, match="tied candidates"):
        services.list_confirm(proposed_list=proposed_list, by=secretariat_user)

    entries = {e.candidate_id: e for e in proposed_list.entries.all()}
    services.list_tie_decide(
        proposed_list=proposed_list,
        order=[entries[b.pk].pk, entries[a.pk].pk],
        decided_by="secretariat",
        reason="乙单位所在行业本届尚无获奖",
        by=secretariat_user,
    )

    assert proposed_numbers(proposed_list) == [b.dossier.number]
    adjustment = proposed_list.adjustments.get()
    assert (adjustment.kind, adjustment.data) == ("tie_order", {"order": [b.dossier.number, a.dossier.number]})


def test_adjustment_needs_a_reason_and_is_kept_on_recompute(counted, secretariat_user):
    session, (a, b) = counted(scores=(900, 800), approvals=(5, 5), award_quota=1, slate_ratio=Decimal("2"))
    proposed_list = services.ranking_compute(session=session, by=secretariat_user)
    second = proposed_list.entries.get(candidate=b)

    with pytest.raises(services.VotingError, match="reason"):
        services.list_adjust(entry=second, proposed=True, decided_by="director", reason=" ", by=secretariat_user)
    services.list_adjust(
        entry=second, proposed=True, decided_by="director", reason="兼顾行业代表性", by=secretariat_user
    )
    services.ranking_compute(session=session, by=secretariat_user)

    assert proposed_numbers(proposed_list) == [a.dossier.number, b.dossier.number]
    second.refresh_from_db()
    assert (second.computed_proposed, second.proposed) == (False, True)


def test_adjustment_cannot_propose_a_candidate_that_failed_the_vote(counted, secretariat_user):
    session, (_a, b) = counted(scores=(900, 800), approvals=(5, 2))
    proposed_list = services.ranking_compute(session=session, by=secretariat_user)

    with pytest.raises(services.VotingError, match="passed the vote"):
        services.list_adjust(
            entry=proposed_list.entries.get(candidate=b),
            proposed=True,
            decided_by="director",
            reason="x",
            by=secretariat_user,
        )


def test_confirmed_list_proposes_its_dossiers(counted, secretariat_user):
    session, (a, b) = counted(scores=(900, 800), approvals=(5, 1))
    proposed_list = services.ranking_compute(session=session, by=secretariat_user)

    services.list_confirm(proposed_list=proposed_list, by=secretariat_user)

    a.dossier.refresh_from_db()
    b.dossier.refresh_from_db()
    assert (a.dossier.state, b.dossier.state) == (DossierState.PROPOSED, DossierState.CANDIDATE)
    proposed_list.refresh_from_db()
    assert proposed_list.state == ListState.CONFIRMED
    with pytest.raises(services.VotingError, match="confirmed"):
        services.ranking_compute(session=session, by=secretariat_user)


def test_empty_list_can_be_confirmed(counted, secretariat_user):
    session, _candidates = counted(scores=(700,), approvals=(1,))
    proposed_list = services.ranking_compute(session=session, by=secretariat_user)

    services.list_confirm(proposed_list=proposed_list, by=secretariat_user)

    assert proposed_numbers(proposed_list) == []


def test_ranking_refused_for_a_void_vote(deliberation, open_session, secretariat_user):
    cycle, _members, _candidates = deliberation(members=3)
    session = services.session_close(session=open_session(cycle), by=secretariat_user)

    with pytest.raises(services.VotingError, match="closed, valid vote"):
        services.ranking_compute(session=session, by=secretariat_user)


# --- the phases: deliberation and approval (cycle_phase_exit) ---


def test_deliberation_cannot_end_without_a_counted_vote_and_a_confirmed_list(counted, secretariat_user):
    session, _candidates = counted(scores=(900,), approvals=(5,))
    cycle = session.cycle

    with pytest.raises(CycleTransitionRefused, match="proposed list is not confirmed"):
        cycle_advance(cycle=cycle, to=CyclePhase.APPROVAL, by=secretariat_user)

    services.list_confirm(
        proposed_list=services.ranking_compute(session=session, by=secretariat_user), by=secretariat_user
    )
    cycle_advance(cycle=cycle, to=CyclePhase.APPROVAL, by=secretariat_user)


def test_deliberation_cannot_end_before_the_vote(deliberation, secretariat_user):
    cycle, _members, _candidates = deliberation(members=3)

    with pytest.raises(CycleTransitionRefused, match="has not voted yet"):
        cycle_advance(cycle=cycle, to=CyclePhase.APPROVAL, by=secretariat_user)


@pytest.fixture
def approved_list(counted, secretariat_user):
    session, _candidates = counted(scores=(900,), approvals=(5,))
    proposed_list = services.list_confirm(
        proposed_list=services.ranking_compute(session=session, by=secretariat_user), by=secretariat_user
    )
    cycle_advance(cycle=session.cycle, to=CyclePhase.APPROVAL, by=secretariat_user)
    proposed_list.cycle.refresh_from_db()
    return proposed_list


def record_approval(proposed_list, by, **overrides):
    arguments = {
        "proposed_list": proposed_list,
        "meeting": "市政府第12次常务会议",
        "meeting_date": timezone.localdate() - dt.timedelta(days=1),
        "minutes_number": "漯政纪〔2026〕12号",
        "upload": SimpleUploadedFile("纪要.pdf", pdf_bytes()),
        "kind": "pdf",
        "by": by,
        **overrides,
    }
    return services.approval_record(**arguments)


def test_approval_phase_cannot_end_without_the_governments_approval(approved_list, secretariat_user):
    cycle = approved_list.cycle

    with pytest.raises(CycleTransitionRefused, match="executive meeting"):
        cycle_advance(cycle=cycle, to=CyclePhase.PUBLICITY, by=secretariat_user)

    approval = record_approval(approved_list, secretariat_user)
    cycle_advance(cycle=cycle, to=CyclePhase.PUBLICITY, by=secretariat_user)

    assert approval.document.name.startswith("committee/approvals/")
    assert len(approval.document_sha256) == 64
    assert AuditEvent.objects.get(action="approval.recorded").data["minutes_number"] == "漯政纪〔2026〕12号"


def test_approval_refuses_a_future_meeting_and_other_files(approved_list, secretariat_user):
    with pytest.raises(services.VotingError, match="future"):
        record_approval(approved_list, secretariat_user, meeting_date=timezone.localdate() + dt.timedelta(days=1))
    with pytest.raises(services.VotingError, match="PDF or an image"):
        record_approval(approved_list, secretariat_user, kind="docx")

    assert GovernmentApproval.objects.count() == 0


def test_approval_needs_the_approval_phase(counted, secretariat_user):
    session, _candidates = counted(scores=(900,), approvals=(5,))
    proposed_list = services.list_confirm(
        proposed_list=services.ranking_compute(session=session, by=secretariat_user), by=secretariat_user
    )

    with pytest.raises(services.VotingError, match="government approval phase"):
        record_approval(proposed_list, secretariat_user)


# --- the minutes ---


def test_minutes_print_the_rules_tally_and_ranking_never_a_ballot(
    counted, secretariat_user, django_capture_on_commit_callbacks
):
    from pypdf import PdfReader

    from applications.pdf import chinese_font_available
    from tests.conftest import require

    require(chinese_font_available(), "no Chinese font installed (fc-list :lang=zh)")
    session, (a, _b) = counted(scores=(900, 800), approvals=(5, 2))
    with django_capture_on_commit_callbacks(execute=True):
        proposed_list = services.ranking_compute(session=session, by=secretariat_user)
        services.list_adjust(
            entry=proposed_list.entries.get(candidate=a),
            proposed=False,
            decided_by="director",
            reason="行业代表性调整",
            by=secretariat_user,
        )

    session = VotingSession.objects.get(pk=session.pk)
    assert session.minutes_generated_at is not None
    with session.minutes_pdf.open("rb") as handle:
        text = "".join(page.extract_text() for page in PdfReader(handle).pages).replace("\n", "")
    with translation.override("zh-hans"):  # the minutes are printed in Chinese
        turnout = session.outcome
    assert "行业代表性调整" in text
    assert turnout.replace("\n", "") in text
    assert a.dossier.number in text
    assert ProposedList.objects.get().pk == proposed_list.pk
