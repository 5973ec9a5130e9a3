"""Demo step of the committee's deliberation: the fourth cycle's committee, a closed vote, the ranking and the
confirmed proposed list.

committee01 is the director (the vice-mayor in charge), committee02 and committee03 deputy directors, the others
members. The committee is recorded in any phase before its vote. Once the cycle is in its deliberation phase and
the panels have handed over candidates, the vote runs: committee09 recuses from the first candidate, eight of the
nine members cast a fixed ballot (committee08 does not vote, so the turnout shows a gap), the vote is closed and
counted, the ranking computed and the list confirmed. The cycle stays in deliberation; the next step (the
government's approval) is the secretariat's. Every part is skipped once done.
"""

from django.contrib.auth.models import Group

from mayor_award.core.demo import registry
from mayor_award.core.enums import CyclePhase, Role
from mayor_award.core.models import Cycle, User

from . import (
    demo_history,  # noqa: F401 - registers the past cycles' steps (60, 61)
    ranking,
    services_voting,
)
from .enums_voting import CommitteeOffice, SessionState
from .models import CommitteeMember, VotingSession

DEMO_CYCLE = 4
OFFICES = {"committee01": CommitteeOffice.DIRECTOR, "committee02": CommitteeOffice.DEPUTY}
OFFICES["committee03"] = CommitteeOffice.DEPUTY
AFFILIATIONS = {
    "committee01": "漯河市人民政府（分管质量工作副市长）",
    "committee02": "漯河市人民政府办公室",
    "committee03": "漯河市市场监督管理局",
}
OTHER_AFFILIATIONS = ["河南工业大学", "漯河职业技术学院", "漯河市质量协会", "漯河市工商业联合会", "漯河市统计局"]
ABSENT = "committee08"
RECUSED = "committee09"


@registry.step(50)
def committee_vote(context):
    cycle = Cycle.objects.filter(number=DEMO_CYCLE).first()
    if cycle is None:
        return
    secretariat = context["secretariat"]
    _committee(cycle, secretariat)
    if cycle.phase != CyclePhase.DELIBERATION or not services_voting.cycle_candidates(cycle).exists():
        return
    if VotingSession.objects.filter(cycle=cycle, state=SessionState.CLOSED).exists():
        return
    session = services_voting.live_session(cycle) or services_voting.session_prepare(cycle=cycle, by=secretariat)
    if session.state == SessionState.DRAFT:
        _recusal(cycle, secretariat)
        session = services_voting.session_open(session=session, by=secretariat)
    _ballots(session)
    session = services_voting.session_close(session=session, by=secretariat)
    proposed_list = services_voting.ranking_compute(session=session, by=secretariat)
    for tie in services_voting.unresolved_ties(proposed_list):
        services_voting.list_tie_decide(
            proposed_list=proposed_list,
            order=[entry.pk for entry in tie],
            decided_by="secretariat",
            reason="并列候选对象按申报编号先后排列（演示数据）。",
            by=secretariat,
        )
    services_voting.list_confirm(proposed_list=proposed_list, by=secretariat)


def _committee(cycle, secretariat):
    if services_voting.committee_frozen(cycle):
        return
    seated = set(CommitteeMember.objects.filter(cycle=cycle).values_list("user__username", flat=True))
    users = User.objects.filter(groups=Group.objects.get(name=Role.COMMITTEE), username__startswith="committee")
    for index, user in enumerate(users.exclude(username__in=seated).order_by("username")):
        member = CommitteeMember(
            cycle=cycle,
            user=user,
            office=OFFICES.get(user.username, CommitteeOffice.MEMBER),
            affiliation=AFFILIATIONS.get(user.username, OTHER_AFFILIATIONS[index % len(OTHER_AFFILIATIONS)]),
        )
        services_voting.committee_member_save(member=member, by=secretariat)


def _recusal(cycle, secretariat):
    member = CommitteeMember.objects.filter(cycle=cycle, user__username=RECUSED).first()
    candidate = services_voting.cycle_candidates(cycle).first()
    if member is not None and candidate is not None and not member.recusals.exists():
        services_voting.recusal_record(
            member=member, candidate=candidate, reason="近三年曾为该单位提供咨询服务（演示数据）。", by=secretariat
        )


def _ballots(session):
    """A fixed ballot per member: approvals in on-site order, some disapprovals and abstentions, at most K."""
    candidates = list(session.candidates.order_by("-onsite_total", "pk"))
    members = CommitteeMember.objects.filter(cycle=session.cycle).exclude(user__username=ABSENT).select_related("user")
    voted = set(session.receipts.values_list("member_id", flat=True))
    for number, member in enumerate(members.order_by("pk")):
        if member.pk in voted:
            continue
        recused = set(member.recusals.values_list("candidate_id", flat=True))
        choices = {}
        for index, candidate in enumerate(candidates):
            if candidate.pk in recused:
                continue
            mark = (index + number) % 5
            choices[candidate.pk] = (
                ranking.ABSTAIN if mark == 4 else ranking.DISAPPROVE if index >= 3 and mark >= 2 else ranking.APPROVE
            )
        approvals = [pk for pk, choice in choices.items() if choice == ranking.APPROVE]
        for pk in approvals[session.max_approvals :]:
            choices[pk] = ranking.DISAPPROVE
        services_voting.ballot_cast(session=session, member=member, choices=choices, by=member.user)
