"""A provincial-scale cycle's committee and decisions, built for `manage.py build_province` (省级规模评委会数据).

The committee is written in bulk; everything after it runs through the real services, each called once per cycle,
session or member, never per item: the session opens with its counters (VoteCount), every ballot is cast with
services_voting.ballot_cast (a BallotReceipt and the counters, no row per ballot: the secret-ballot design of
committee/models/voting.py), the session closes and is counted, the ranking is computed by committee/ranking.py
and confirmed, then the government's approval, the publicity, the mayor's approval, the announcement, the awards
and the certificates, rendered by the real certificate code.
"""

import datetime as dt
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile

from applications.enums import DossierState
from applications.models import Dossier
from applications.province import PROVINCE_PDF, bulk_users, person_name
from mayor_award.core import services as core_services
from mayor_award.core.enums import Role

from . import ranking, services_awards, services_voting
from .enums_voting import CommitteeOffice, DecidedBy, SessionState
from .models import Certificate, CertificateBatch, CommitteeMember, VotingSession

AFFILIATIONS = (
    "漯河市人民政府（分管质量工作副市长）",
    "漯河市人民政府办公室",
    "漯河市市场监督管理局",
    "漯河市发展和改革委员会",
    "漯河市工业和信息化局",
    "漯河市财政局",
    "漯河市质量协会",
    "河南工业大学",
)
MAYOR = "李明远"
CHANNEL = "漯河日报、漯河市人民政府网站"
TIE_REASON = "并列候选对象按申报编号先后排列。"


def _pdf(name):
    return SimpleUploadedFile(name, PROVINCE_PDF, content_type="application/pdf")


def build_committee(*, cycle, tag: str, count: int, password_hash: str) -> list[CommitteeMember]:
    """`count` members: the director (the vice-mayor in charge), two deputies, the others members (Art. 5)."""
    users = bulk_users(
        usernames=[f"{tag}-committee{i + 1:02d}" for i in range(count)],
        names=[person_name(i + 900) for i in range(count)],
        role=Role.COMMITTEE,
        password_hash=password_hash,
    )
    offices = [CommitteeOffice.DIRECTOR, CommitteeOffice.DEPUTY, CommitteeOffice.DEPUTY]
    return CommitteeMember.objects.bulk_create(
        [
            CommitteeMember(
                cycle=cycle,
                user=user,
                office=offices[i] if i < len(offices) else CommitteeOffice.MEMBER,
                affiliation=AFFILIATIONS[i % len(AFFILIATIONS)],
            )
            for i, user in enumerate(users)
        ]
    )


def non_voters(count: int) -> int:
    """Members who have not voted yet in a build stopped at the deliberation: five of a full committee."""
    return min(5, max(1, count // 3))


def ballot_choices(ordered: list[int], limit: int, member_number: int, voters: int) -> dict[int, str]:
    """One member's ballot over the candidates `ordered` by on-site score (best first).

    The best `limit - 1` are approved by most members: the i-th best by all but the first i members (at most as
    many as still leave it more than half of the ballots), who abstain on it, so the approvals fall with the score
    and ties on every rule stay rare. The last approval moves between the next three candidates (they split the
    votes and fail), three more abstentions follow, and the rest are disapproved.
    """
    top = ordered[: max(limit - 1, 0)]
    last = ordered[min(limit - 1 + member_number % 3, len(ordered) - 1)] if len(ordered) > len(top) else None
    spare = (voters - 1) // 2  # members who may abstain while the candidate keeps more than half the ballots
    choices = {}
    abstained = 0
    for position, candidate in enumerate(ordered):
        if position < len(top):
            choices[candidate] = ranking.ABSTAIN if member_number < min(position, spare) else ranking.APPROVE
        elif candidate == last and limit >= 1:
            choices[candidate] = ranking.APPROVE
        elif abstained < 3:
            choices[candidate] = ranking.ABSTAIN
            abstained += 1
        else:
            choices[candidate] = ranking.DISAPPROVE
    return choices


def build_vote(*, cycle, members, secretariat, absent: int) -> VotingSession:
    """Prepare and open the session; every member but the last `absent` ones casts a ballot."""
    session = services_voting.session_prepare(cycle=cycle, by=secretariat)
    session = services_voting.session_open(session=session, by=secretariat)
    rows = services_voting.cycle_candidates(cycle).values_list("pk", "onsite_total", "dossier__sequence")
    ordered = [pk for pk, _total, _sequence in sorted(rows, key=lambda row: (-row[1], row[2]))]
    voters = members[: len(members) - absent]
    for number, member in enumerate(voters):
        services_voting.ballot_cast(
            session=session,
            member=member,
            choices=ballot_choices(ordered, session.max_approvals, number, len(voters)),
            by=member.user,
        )
    return session


def build_decision(*, session: VotingSession, secretariat):
    """Close and count the vote, rank, order any tie by dossier number, confirm the proposed list.

    The minutes are not printed on the way (each step would queue a rendering of every candidate's tally, seconds
    each): the secretariat prints them from the session's admin page when it needs them.
    """
    with mock.patch.object(services_voting, "minutes_schedule", _no_minutes):
        return _decide(session=session, secretariat=secretariat)


def _no_minutes(session):
    return None


def _decide(*, session: VotingSession, secretariat):
    session = services_voting.session_close(session=session, by=secretariat)
    if session.state != SessionState.CLOSED:
        raise services_voting.VotingError(session.outcome)
    proposed_list = services_voting.ranking_compute(session=session, by=secretariat)
    ties = services_voting.unresolved_ties(proposed_list)
    for tie in ties:
        proposed_list = services_voting.list_tie_decide(
            proposed_list=proposed_list,
            order=[entry.pk for entry in sorted(tie, key=lambda entry: entry.candidate.dossier.sequence)],
            decided_by=DecidedBy.SECRETARIAT,
            reason=TIE_REASON,
            by=secretariat,
        )
    proposed_list = services_voting.list_confirm(proposed_list=proposed_list, by=secretariat)
    proposed_list.ties_decided = len(ties)
    return proposed_list


def build_approval(*, cycle, proposed_list, secretariat):
    """The municipal government executive meeting approves the confirmed list (Art. 16)."""
    today = services_awards.beijing_today()
    return services_voting.approval_record(
        proposed_list=proposed_list,
        meeting="漯河市人民政府常务会议",
        meeting_date=today - dt.timedelta(days=1),
        minutes_number=f"漯政常纪〔{cycle.year}〕{cycle.number}号",
        upload=_pdf("常务会议纪要.pdf"),
        kind="pdf",
        by=secretariat,
    )


def build_publicity(*, cycle, secretariat, clock):
    """The publicity (公示) of seven days from today, its notice published now; the clock then moves past it."""
    today = services_awards.beijing_today()
    publicity = services_awards.publicity_create(
        cycle=cycle,
        starts_on=today,
        ends_on=today + dt.timedelta(days=cycle.publicity_min_days - 1),
        channel=CHANNEL,
        by=secretariat,
    )
    core_services.notice_publish(notice_id=publicity.notice_id, now=clock.now())
    return publicity


def build_announcement(*, cycle, publicity, secretariat, clock):
    """After the publicity: the vice-mayor's review and the mayor's signature, the award announcement published."""
    ends_on = publicity.ends_on
    director = CommitteeMember.objects.select_related("user").get(cycle=cycle, office=CommitteeOffice.DIRECTOR)
    services_awards.award_approval_record(
        cycle=cycle,
        vice_mayor=director.user.name,
        reviewed_on=ends_on + dt.timedelta(days=1),
        mayor=MAYOR,
        signed_on=ends_on + dt.timedelta(days=2),
        upload=_pdf("市长签批件.pdf"),
        kind="pdf",
        by=secretariat,
    )
    notice = services_awards.announcement_schedule(cycle=cycle, publish_at=clock.now(), by=secretariat)
    core_services.notice_publish(notice_id=notice.pk, now=clock.now())
    return notice


def build_awards(*, cycle, secretariat) -> list[Certificate]:
    """The awards (awards_grant, as on entering the announced phase) and their certificates, rendered now."""
    # The dossiers left behind are not awarded: one statement rather than awards_grant's transition per dossier.
    winners = services_awards.winners(cycle).values("dossier_id")
    Dossier.objects.filter(cycle=cycle, state__in=services_awards.UNDECIDED_STATES).exclude(pk__in=winners).update(
        state=DossierState.NOT_AWARDED
    )
    services_awards.awards_grant(cycle=cycle, by=secretariat)
    for batch in CertificateBatch.objects.filter(cycle=cycle, finished_at__isnull=True):
        services_awards.certificate_batch_run(batch_id=batch.pk)
    return list(Certificate.objects.filter(award__cycle=cycle).order_by("award__number"))


def advance(cycle, phase: str, secretariat):
    """Move the cycle on through the core service, so every guard of the phases checks the built data."""
    return core_services.cycle_advance(cycle=cycle, to=phase, by=secretariat)
