"""Authorization rows of the committee's deliberation: the members' pages and the secretariat's admin tools.

The world gains a cycle in deliberation whose committee includes the matrix's committee user, with one candidate
(and its panel report) and an open vote; a cycle whose vote is closed with a draft proposed list and a recorded
government approval; a draft and a void session (with minutes) on the world's first cycle; and a member with a
recusal on the open cycle, where the committee can still change.
"""

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from committee.models import (
    CommitteeMember,
    GovernmentApproval,
    ProposedList,
    RankingEntry,
    Recusal,
    VotingSession,
)
from mayor_award.core.enums import Role
from tests.factories.applications import OrganisationFactory, valid_credit_code
from tests.factories.committee import CandidateFactory, OnsiteConsensusFactory, open_vote
from tests.factories.core import CycleFactory, UserFactory
from tests.factories.review import PanelFactory
from tests.security.matrix_kit import LOGIN, PDF, Row, everyone, secretariat_only

# A member of the committee in deliberation opens the pages; other signed-in roles are refused.
MEMBER_ONLY = {**everyone(403), "anonymous": LOGIN}


def _pk(key):
    return lambda world: {"object_id": world["committee_voting"][key].pk}


ROWS = [
    Row("committee:home", {**MEMBER_ONLY, "committee": 200}),
    Row("committee:ballot", {**MEMBER_ONLY, "committee": 200}),
    # Without the "final" box ticked: refused, the form again with a message.
    Row("committee:ballot", {**MEMBER_ONLY, "committee": 400}, method="post", variant="post"),
    Row("committee:report", {**MEMBER_ONLY, "committee": 200}, lambda w: {"pk": w["committee_voting"]["report"].pk}),
    Row("committee:report", {**MEMBER_ONLY, "committee": 404}, {"pk": 0}, variant="unknown"),
    # The admin's buttons: each refuses or acts with a message and returns to the page.
    Row("admin:committee_votingsession_open", secretariat_only(302), _pk("draft_session"), method="post"),
    Row("admin:committee_votingsession_close", secretariat_only(302), _pk("open_session"), method="post"),
    Row("admin:committee_votingsession_rank", secretariat_only(302), _pk("open_session"), method="post"),
    Row("admin:committee_votingsession_minutes", secretariat_only(), _pk("void_session")),
    Row("admin:committee_votingsession_print_minutes", secretariat_only(302), _pk("void_session"), method="post"),
    Row("admin:committee_proposedlist_adjust", secretariat_only(302), _pk("proposed_list"), method="post"),
    Row("admin:committee_proposedlist_tie", secretariat_only(302), _pk("proposed_list"), method="post"),
    Row("admin:committee_proposedlist_confirm", secretariat_only(302), _pk("proposed_list"), method="post"),
    Row("admin:committee_governmentapproval_document", secretariat_only(), _pk("approval")),
]

ADMIN_MODELS = {
    # The committee and its recusals change until a vote opens (the world's objects are on the open cycle).
    "committee.committeemember": {"changelist": 200, "add": 200, "change": 200, "history": 200, "delete": 200},
    "committee.recusal": {"changelist": 200, "add": 200, "change": 200, "history": 200, "delete": 200},
    # A session changes through its buttons; only one being prepared can be deleted.
    "committee.votingsession": {"changelist": 200, "add": 200, "change": 200, "history": 200, "delete": 200},
    # Computed from a closed vote; changed only through its buttons, never deleted.
    "committee.proposedlist": {"changelist": 200, "add": 403, "change": 200, "history": 200, "delete": 403},
    # The approval is a record: added once, shown, never changed or deleted.
    "committee.governmentapproval": {"changelist": 200, "add": 200, "change": 200, "history": 200, "delete": 403},
}


def _candidate(cycle, panel_name, serial):
    """A candidate of its own organisation (the factories' sequences could meet the world's organisations)."""
    organisation = OrganisationFactory(credit_code=valid_credit_code(970000 + serial), name=f"审定测试单位{serial}")
    return CandidateFactory(panel=PanelFactory(cycle=cycle, name=panel_name), dossier__organisation=organisation)


def extend_world(world):
    secretariat = world["users"]["secretariat"]
    now = timezone.now()

    # The deliberation: the matrix's committee user sits on it; one candidate with a report; the vote is open.
    deliberation = CycleFactory(number=9, phase="deliberation")
    candidate = _candidate(deliberation, "审定组", 1)
    report = OnsiteConsensusFactory(candidate=candidate, report=True)
    CommitteeMember.objects.create(cycle=deliberation, user=world["users"]["committee"], office="director")
    open_session = open_vote(deliberation, [candidate], by=secretariat, opened_at=now)

    # Sessions on the world's first cycle: one being prepared, one void with its minutes.
    draft_session = VotingSession.objects.create(cycle=world["cycle"])
    void_session = VotingSession.objects.create(
        cycle=world["cycle"],
        state="void",
        quorum_ratio=Decimal("0.6667"),
        pass_ratio=Decimal("0.5"),
        slate_ratio=Decimal("1.2"),
        award_quota=5,
        max_approvals=6,
        onsite_score_weight=Decimal("0.6"),
        members_eligible=3,
        ballots_cast=1,
        opened_at=now,
        closed_at=now,
    )
    void_session.minutes_pdf.save("minutes.pdf", ContentFile(PDF))

    # A counted vote with its draft list, and the government's approval on record.
    counted = CycleFactory(number=10, phase="approval")
    counted_candidate = _candidate(counted, "已表决组", 2)
    closed_session = VotingSession.objects.create(
        cycle=counted,
        state="closed",
        quorum_ratio=Decimal("0.6667"),
        pass_ratio=Decimal("0.5"),
        slate_ratio=Decimal("1.2"),
        award_quota=5,
        max_approvals=6,
        onsite_score_weight=Decimal("0.6"),
        members_eligible=1,
        ballots_cast=1,
        opened_at=now,
        closed_at=now,
    )
    proposed_list = ProposedList.objects.create(
        session=closed_session, cycle=counted, computed_at=now, computed_by=secretariat
    )
    RankingEntry.objects.create(
        proposed_list=proposed_list,
        candidate=counted_candidate,
        position=1,
        onsite_total=counted_candidate.onsite_total,
        approvals=1,
        ballots=1,
        score_rank=1,
        vote_rank=1,
        combined_index=Decimal("1"),
        quorum_met=True,
        passed=True,
        meets_min_score=True,
        computed_proposed=True,
        proposed=True,
    )
    approval = GovernmentApproval(
        cycle=counted,
        proposed_list=proposed_list,
        meeting="市政府第12次常务会议",
        meeting_date=dt.date(2026, 11, 20),
        minutes_number="漯政纪〔2026〕12号",
        document_name="纪要.pdf",
        document_content_type="application/pdf",
        document_sha256="0" * 64,
        recorded_by=secretariat,
    )
    approval.document.save("approval.pdf", ContentFile(PDF), save=False)
    approval.save()

    # The open cycle's committee can still change: a member and a recusal there can be deleted.
    member = CommitteeMember.objects.create(
        cycle=world["open_cycle"], user=UserFactory(username="matrix-committee-2", roles=[Role.COMMITTEE])
    )
    recusal = Recusal.objects.create(
        member=member,
        candidate=_candidate(world["open_cycle"], "回避组", 3),
        reason="曾任职",
        recorded_by=secretariat,
    )
    return {
        "committee_voting": {
            "report": report,
            "open_session": open_session,
            "draft_session": draft_session,
            "void_session": void_session,
            "proposed_list": proposed_list,
            "approval": approval,
        },
        "objects": {
            "committee.committeemember": member,
            "committee.recusal": recusal,
            "committee.votingsession": draft_session,
            "committee.proposedlist": proposed_list,
            "committee.governmentapproval": approval,
        },
    }
