"""The demo's past cycles, decided: the second (2022) and third (2024) cycles from the candidates their panels
handed over (review/demo_history.py) to the closed cycle, and the second cycle's award revoked the year after.

Each phase runs through the services on the cycle's own dates (review.demo_history.demo_clock):

- Deliberation in September: committee01 … committee09 sit on the committee (committee01, the vice-mayor in charge,
  as its director; committee02 and committee03 as deputies); a voting session opens, eight members vote
  (committee08 does not), committee05 recuses from one candidate of the third cycle, the vote is closed and
  counted, the ranking computed and the proposed list confirmed.
- The executive meeting's approval in October, then the publicity: seven days, both ends counted, published by the
  notice publication; in the third cycle one objection (against 嘉禾) is investigated and dismissed with a written
  reply.
- After the publicity, the vice-mayor's review and the mayor's signature, the award announcement, the awards and
  their certificates (rendered now, for the winners only). In the third cycle 恒瑞 declared the provincial quality
  award of the same year: the secretariat confirms it and its prize is nothing (Art. 21). Plaques are handed over,
  prizes paid, and the cycle is closed in December.
- The second cycle's winner, 漯河宏远包装材料有限公司, is found in 2023 to have forged its test reports: a case is
  opened, the city government approves the revocation, the certificate shows as revoked, the revocation notice is
  published, the prize is recovered, and the misconduct finding bars it from the next three cycles (Art. 9(5), 22).

Idempotent: each cycle is carried forward from the phase it is in; a closed cycle and a revoked award are left as
they are.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.demo import DEMO_PDF
from mayor_award.core import services as core_services
from mayor_award.core.demo import local_time, registry
from mayor_award.core.enums import CyclePhase, Role
from mayor_award.core.models import Cycle, User
from review import onsite
from review.demo_history import BAIHUO, HENGRUI, HONGYUAN, JIAHE, PAST_CYCLES, RENHE, SHUANGHUI, WEILONG, demo_clock, on

from . import ranking, services_awards, services_voting
from .enums_awards import ObjectionState
from .enums_voting import CommitteeOffice, DecidedBy, ListState, SessionState
from .models import (
    Award,
    AwardApproval,
    CertificateBatch,
    CommitteeMember,
    GovernmentApproval,
    Objection,
    ProposedList,
    Publicity,
    RevocationCase,
    VotingSession,
)

DECIDED_PHASES = (
    CyclePhase.ONSITE_REVIEW,
    CyclePhase.DELIBERATION,
    CyclePhase.APPROVAL,
    CyclePhase.PUBLICITY,
    CyclePhase.ANNOUNCED,
)
OFFICES = {"committee01": CommitteeOffice.DIRECTOR, "committee02": CommitteeOffice.DEPUTY}
OFFICES["committee03"] = CommitteeOffice.DEPUTY
AFFILIATIONS = {
    "committee01": "漯河市人民政府（分管质量工作副市长）",
    "committee02": "漯河市人民政府办公室",
    "committee03": "漯河市市场监督管理局",
    "committee04": "漯河市发展和改革委员会",
    "committee05": "漯河市工业和信息化局",
    "committee06": "漯河市财政局",
    "committee07": "漯河市质量协会",
    "committee08": "河南工业大学",
    "committee09": "漯河职业技术学院",
}
ABSENT = "committee08"  # does not vote: the turnout shows eight of nine
# Each candidate's ballots, in the voters' order (committee01 … committee09 without the absent member):
# A approve (同意), D disapprove (不同意), B abstain (弃权), - recused (回避).
VOTES = {
    2: {HONGYUAN: "AAAAAABA", WEILONG: "DDABDADB"},
    3: {
        HENGRUI: "AAAAABAA",
        JIAHE: "AAADAABA",
        RENHE: "AABAAABA",
        SHUANGHUI: "ADAABADA",  # passes the vote, but its on-site score is below the award's minimum
        BAIHUO: "DADA-BDA",  # committee05 recused; three of seven is not more than half
    },
}
CHOICES = {"A": ranking.APPROVE, "D": ranking.DISAPPROVE, "B": ranking.ABSTAIN}
RECUSAL_REASON = "本人近三年曾在该单位担任独立董事，申请回避。"
MEETINGS = {2: "漯河市人民政府第八次常务会议", 3: "漯河市人民政府第十二次常务会议"}
MAYOR = "李明远"
CHANNEL = "漯河日报、漯河市人民政府网站"
OBJECTION = {
    "name": "孙立新",
    "id_number": "",
    "organisation": "漯河市恒通电子商行",
    "phone": "13903950123",
    "email": "sunlixin@demo.luohe.example",
    "text": "反映该企业2023年有一批次产品因质量问题被客户退货，申报材料未如实说明，请予核查。",
}
OBJECTION_REPLY = (
    "经调查核实，您反映的退货系客户订单变更所致，经第三方检测机构检验，该批次产品质量合格，不属于质量事故，"
    "不影响评审结论。感谢您对市长质量奖评审工作的监督。"
)
SAME_YEAR_NOTE = "经核实，该单位于2024年获河南省省长质量奖，依照《管理办法》第二十一条不再发放奖金。"
FRAUD_REASON = (
    "经群众举报和调查核实，该单位在第二届市长质量奖申报中提供的产品检测报告和财务数据系伪造，"
    "以弄虚作假手段骗取荣誉（第二十二条）。"
)
FRAUD_EVIDENCE = "市市场监管局调查报告（漯市监调〔2023〕5号）；检测机构出具的报告真伪核查函；税务部门提供的纳税数据。"


def _pdf(name):
    return SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf")


@registry.step(60)
def past_cycles_decided(context):
    secretariat = context["secretariat"]
    for plan in PAST_CYCLES:
        cycle = Cycle.objects.filter(number=plan.number).first()
        if cycle is None or cycle.phase not in DECIDED_PHASES:
            continue
        if cycle.phase == CyclePhase.ONSITE_REVIEW and onsite.panels_not_handed_over(cycle).exists():
            continue  # the review demo has not finished it
        with demo_clock() as clock:
            _decide(cycle, secretariat, clock)


@registry.step(61)
def revoked_award(context):
    award = Award.objects.filter(cycle__number=2, organisation__name=HONGYUAN).select_related("cycle").first()
    if award is None or RevocationCase.objects.filter(award=award).exists():
        return
    with demo_clock() as clock:
        _revoke(award, context["secretariat"], clock)


def _decide(cycle, secretariat, clock):
    if cycle.phase == CyclePhase.ONSITE_REVIEW:
        cycle = _advance(cycle, CyclePhase.DELIBERATION, secretariat, clock, on(cycle, 9, 15))
    if cycle.phase == CyclePhase.DELIBERATION:
        _committee(cycle, secretariat, clock)
        _vote(cycle, secretariat, clock)
        cycle = _advance(cycle, CyclePhase.APPROVAL, secretariat, clock, on(cycle, 9, 28))
    if cycle.phase == CyclePhase.APPROVAL:
        if not GovernmentApproval.objects.filter(cycle=cycle).exists():
            clock.travel(on(cycle, 10, 12))
            services_voting.approval_record(
                proposed_list=ProposedList.objects.get(cycle=cycle),
                meeting=MEETINGS[cycle.number],
                meeting_date=dt.date(cycle.year, 10, 11),
                minutes_number=f"漯政常纪〔{cycle.year}〕{cycle.number * 4}号",
                upload=_pdf("常务会议纪要.pdf"),
                kind="pdf",
                by=secretariat,
            )
        cycle = _advance(cycle, CyclePhase.PUBLICITY, secretariat, clock, on(cycle, 10, 14))
    if cycle.phase == CyclePhase.PUBLICITY:
        _publicity(cycle, secretariat, clock)
        _announcement(cycle, secretariat, clock)
        cycle = _advance(cycle, CyclePhase.ANNOUNCED, secretariat, clock, on(cycle, 10, 28, 10, 30))
    if cycle.phase == CyclePhase.ANNOUNCED:
        _awards(cycle, secretariat, clock)
        _advance(cycle, CyclePhase.CLOSED, secretariat, clock, on(cycle, 12, 20))


def _advance(cycle, phase, secretariat, clock, moment):
    clock.travel(moment)
    return core_services.cycle_advance(cycle=cycle, to=phase, by=secretariat)


# --- the committee and its vote ---


def _committee(cycle, secretariat, clock):
    if CommitteeMember.objects.filter(cycle=cycle).exists() or services_voting.committee_frozen(cycle):
        return
    clock.travel(on(cycle, 9, 16))
    users = User.objects.filter(groups=Group.objects.get(name=Role.COMMITTEE), username__in=AFFILIATIONS)
    for user in users.order_by("username"):
        member = CommitteeMember(
            cycle=cycle,
            user=user,
            office=OFFICES.get(user.username, CommitteeOffice.MEMBER),
            affiliation=AFFILIATIONS[user.username],
        )
        services_voting.committee_member_save(member=member, by=secretariat)


def _voters(cycle):
    members = CommitteeMember.objects.filter(cycle=cycle).exclude(user__username=ABSENT).select_related("user")
    return list(members.order_by("user__username"))


def _vote(cycle, secretariat, clock):
    """Prepare, recuse, open, cast, close, rank, decide any tie, confirm: each part skipped once done."""
    if ProposedList.objects.filter(cycle=cycle, state=ListState.CONFIRMED).exists():
        return
    votes = VOTES[cycle.number]
    session = VotingSession.objects.filter(cycle=cycle, state=SessionState.CLOSED).first()
    if session is None:
        clock.travel(on(cycle, 9, 20))
        session = services_voting.live_session(cycle) or services_voting.session_prepare(cycle=cycle, by=secretariat)
        candidates = {c.dossier.organisation.name: c for c in services_voting.cycle_candidates(cycle)}
        voters = _voters(cycle)
        if session.state == SessionState.DRAFT:
            clock.travel(on(cycle, 9, 22))
            for name, marks in votes.items():
                for member, mark in zip(voters, marks, strict=True):
                    if mark == "-" and not member.recusals.filter(candidate=candidates[name]).exists():
                        services_voting.recusal_record(
                            member=member, candidate=candidates[name], reason=RECUSAL_REASON, by=secretariat
                        )
            clock.travel(on(cycle, 9, 25))
            session = services_voting.session_open(session=session, by=secretariat)
        voted = set(session.receipts.values_list("member_id", flat=True))
        for number, member in enumerate(voters):
            if member.pk in voted:
                continue
            clock.travel(on(cycle, 9, 25, 9, 10 + 7 * number))
            choices = {
                candidates[name].pk: CHOICES[marks[number]] for name, marks in votes.items() if marks[number] != "-"
            }
            services_voting.ballot_cast(session=session, member=member, choices=choices, by=member.user)
        clock.travel(on(cycle, 9, 25, 11))
        session = services_voting.session_close(session=session, by=secretariat)
    clock.travel(on(cycle, 9, 25, 11, 10))
    proposed_list = services_voting.ranking_compute(session=session, by=secretariat)
    for tie in services_voting.unresolved_ties(proposed_list):
        proposed_list = services_voting.list_tie_decide(
            proposed_list=proposed_list,
            order=[entry.pk for entry in sorted(tie, key=lambda entry: entry.candidate.dossier.sequence)],
            decided_by=DecidedBy.SECRETARIAT,
            reason="并列候选对象按申报编号先后排列。",
            by=secretariat,
        )
    clock.travel(on(cycle, 9, 25, 11, 30))
    services_voting.list_confirm(proposed_list=proposed_list, by=secretariat)


# --- publicity, objection, the mayor's approval and the announcement ---


def _publicity(cycle, secretariat, clock):
    publicity = Publicity.objects.filter(cycle=cycle, round=1).select_related("notice").first()
    if publicity is None:
        publicity = services_awards.publicity_create(
            cycle=cycle,
            starts_on=dt.date(cycle.year, 10, 16),
            ends_on=dt.date(cycle.year, 10, 22),
            channel=CHANNEL,
            by=secretariat,
        )
    if not publicity.notice.is_published:
        clock.travel(on(cycle, 10, 16, 8, 30))
        core_services.notice_publish(notice_id=publicity.notice_id, now=clock.now())
    if cycle.number == 3 and not Objection.objects.filter(cycle=cycle).exists():
        _objection(publicity, secretariat, clock)


def _objection(publicity, secretariat, clock):
    """A real-name objection against 嘉禾 during the publicity, investigated and dismissed with a written reply."""
    cycle = publicity.cycle
    candidate = publicity.candidates.get(dossier__organisation__name=JIAHE)
    clock.travel(on(cycle, 10, 18, 15))
    objection = services_awards.objection_submit(
        candidate=candidate,
        files=[(_pdf("退货情况说明.pdf"), "pdf")],
        client_address="203.0.113.7",
        **OBJECTION,
    )
    clock.travel(on(cycle, 10, 19))
    objection = services_awards.objection_investigate(objection=objection, by=secretariat)
    clock.travel(on(cycle, 10, 21, 16))
    services_awards.objection_decide(
        objection=objection, outcome=ObjectionState.DISMISSED, reply=OBJECTION_REPLY, by=secretariat
    )


def _announcement(cycle, secretariat, clock):
    if not AwardApproval.objects.filter(cycle=cycle).exists():
        clock.travel(on(cycle, 10, 25, 10))
        services_awards.award_approval_record(
            cycle=cycle,
            vice_mayor=CommitteeMember.objects.get(cycle=cycle, office=CommitteeOffice.DIRECTOR).user.name,
            reviewed_on=dt.date(cycle.year, 10, 23),
            mayor=MAYOR,
            signed_on=dt.date(cycle.year, 10, 25),
            upload=_pdf("市长签批件.pdf"),
            kind="pdf",
            by=secretariat,
        )
    notice = services_awards.award_notice(cycle, published_only=False)
    if notice is None:
        clock.travel(on(cycle, 10, 28, 9))
        notice = services_awards.announcement_schedule(cycle=cycle, publish_at=on(cycle, 10, 28, 10), by=secretariat)
    if not notice.is_published:
        clock.travel(notice.publish_at)
        core_services.notice_publish(notice_id=notice.pk, now=clock.now())


# --- awards and certificates ---


def _awards(cycle, secretariat, clock):
    """The awards (granted here rather than after the commit, so the certificates can be rendered now), the
    certificates, the Art. 21 finding, the plaques handed over at the ceremony and the prizes paid."""
    services_awards.awards_grant(cycle=cycle, by=secretariat)
    for batch in CertificateBatch.objects.filter(cycle=cycle, finished_at__isnull=True):
        services_awards.certificate_batch_run(batch_id=batch.pk)
    for award in Award.objects.filter(cycle=cycle, plaque_handed_on__isnull=True).order_by("number"):
        confirmed = True if award.same_year_award else None
        clock.travel(on(cycle, 12, 10))
        services_awards.award_update(
            award=award,
            same_year_award=award.same_year_award,
            same_year_confirmed=confirmed,
            same_year_note=SAME_YEAR_NOTE if confirmed else "",
            paid_on=None if confirmed else dt.date(cycle.year, 12, 10),
            plaque_handed_on=dt.date(cycle.year, 11, 18),
            by=secretariat,
        )


# --- the revocation (Art. 22) ---


def _revoke(award, secretariat, clock):
    year = award.cycle.year + 1
    clock.travel(local_time(dt.date(year, 4, 10), 9))
    case = services_awards.revocation_open(
        award=award,
        reason=FRAUD_REASON,
        evidence=FRAUD_EVIDENCE,
        upload=_pdf("调查报告.pdf"),
        kind="pdf",
        by=secretariat,
    )
    clock.travel(local_time(dt.date(year, 5, 20), 10))
    case = services_awards.revocation_approve(
        case=case,
        approved_on=dt.date(year, 5, 18),
        reference=f"漯政文〔{year}〕27号",
        upload=_pdf("市政府批复.pdf"),
        kind="pdf",
        by=secretariat,
    )
    services_awards.certificate_render(award_id=award.pk)  # now, marked revoked (the task after the commit skips it)
    publish_at = local_time(dt.date(year, 5, 25), 10)
    notice = services_awards.revocation_notice_schedule(case=case, publish_at=publish_at, by=secretariat)
    clock.travel(publish_at)
    core_services.notice_publish(notice_id=notice.pk, now=clock.now())
    clock.travel(local_time(dt.date(year, 7, 10), 10))
    services_awards.revocation_recovery_record(
        case=case,
        received=Decimal(case.recovery_due),
        received_on=dt.date(year, 7, 10),
        plaque_recovered_on=dt.date(year, 6, 20),
        certificate_recovered_on=dt.date(year, 6, 20),
        by=secretariat,
    )
