"""Factories and flow helpers for publicity, objections, awards, certificates and revocation.

Row factories make plain valid rows with no side effects (no audit event, no task, no e-mail):

    approved = approved_cycle(proposed=2, spare=1)     # a cycle in publicity with a confirmed, approved list
    approved.entries                                    # the proposed RankingEntry rows, in order
    approved.spare                                      # entries that passed but were not proposed
    AwardFactory(cycle=cycle)                            # an award of an announced cycle (full prize)
    CertificateFactory(award=award)                      # its certificate with a stored (one-page) PDF

Flow helpers call the services, as the secretariat and the public would:

    publicity = publicise(cycle, by=user)               # today + 6 days, its notice published now
    objection = object_to(publicity.candidates.first())  # a real-name objection with one PDF of evidence
    finish_publicity(cycle, by=user)                     # a publicity that ran from 10 to 4 days ago
    announce(cycle, by=user)                             # approval, published announcement, cycle announced,
                                                         # awards granted (certificates not rendered)
"""

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.enums import DossierState
from committee import services_awards
from committee.enums_voting import ListState, SessionState
from committee.models import (
    Award,
    AwardApproval,
    Certificate,
    CertificateBatch,
    GovernmentApproval,
    Objection,
    ProposedList,
    Publicity,
    PublicityCandidate,
    RankingEntry,
    RevocationCase,
    VotingSession,
)
from mayor_award.core.enums import CyclePhase, NoticeKind, Role
from mayor_award.core.services import cycle_advance, notice_publish

from .applications import DossierFactory, OrganisationFactory, pdf_bytes
from .committee import CandidateFactory
from .core import CycleFactory, NoticeFactory, UserFactory
from .review import PanelFactory


def pdf_upload(name="证据.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def _secretariat():
    return UserFactory(username="awards-secretariat", roles=[Role.SECRETARIAT], is_staff=True)


# --- the approved list (issue 6's rows, made directly) ---


class ClosedSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VotingSession

    cycle = factory.SubFactory(CycleFactory, phase=CyclePhase.PUBLICITY)
    state = SessionState.CLOSED
    opened_at = factory.LazyFunction(timezone.now)
    closed_at = factory.LazyFunction(timezone.now)
    max_approvals = 6
    award_quota = 5
    members_eligible = 9
    ballots_cast = 9


class ProposedListFactory(factory.django.DjangoModelFactory):
    """A confirmed proposed list."""

    class Meta:
        model = ProposedList

    session = factory.SubFactory(ClosedSessionFactory)
    cycle = factory.SelfAttribute("session.cycle")
    state = ListState.CONFIRMED
    computed_at = factory.LazyFunction(timezone.now)
    computed_by = factory.LazyFunction(_secretariat)
    confirmed_at = factory.LazyFunction(timezone.now)
    confirmed_by = factory.LazyFunction(_secretariat)


class RankingEntryFactory(factory.django.DjangoModelFactory):
    """An entry that met its quorum, passed and reached the minimum score; `proposed` says if it is on the list."""

    class Meta:
        model = RankingEntry

    proposed_list = factory.SubFactory(ProposedListFactory)
    candidate = factory.SubFactory(CandidateFactory, panel__cycle=factory.SelfAttribute("...proposed_list.cycle"))
    position = factory.Sequence(lambda n: n + 1)
    onsite_total = Decimal("800")
    approvals = 7
    ballots = 9
    score_rank = factory.SelfAttribute("position")
    vote_rank = factory.SelfAttribute("position")
    combined_index = factory.LazyAttribute(lambda entry: Decimal(entry.position))
    quorum_met = True
    passed = True
    meets_min_score = True
    repeat_winner = False
    computed_proposed = factory.SelfAttribute("proposed")
    proposed = True


class GovernmentApprovalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GovernmentApproval

    proposed_list = factory.SubFactory(ProposedListFactory)
    cycle = factory.SelfAttribute("proposed_list.cycle")
    meeting = "市政府第12次常务会议"
    meeting_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=20))
    minutes_number = "〔2026〕12号"
    document = factory.LazyFunction(lambda: ContentFile(pdf_bytes(), name="纪要.pdf"))
    document_name = "纪要.pdf"
    document_content_type = "application/pdf"
    document_sha256 = factory.LazyFunction(lambda: hashlib.sha256(pdf_bytes()).hexdigest())
    recorded_by = factory.LazyFunction(_secretariat)


@dataclass
class Approved:
    cycle: object
    proposed_list: ProposedList
    entries: list  # proposed, in order
    spare: list  # passed, not proposed, in order


def approved_cycle(*, proposed=2, spare=1, repeat=(), declarations=None, phase=CyclePhase.PUBLICITY, **cycle_fields):
    """A cycle (in publicity by default) whose confirmed list the government approved: `proposed` proposed
    entries (dossiers PROPOSED), then `spare` entries that passed without being proposed (dossiers CANDIDATE).
    `repeat`: positions (1-based) of repeat winners; `declarations`: {position: declarations section data}."""
    cycle = CycleFactory(phase=phase, **cycle_fields)
    proposed_list = ProposedListFactory(session__cycle=cycle)
    panel = PanelFactory(cycle=cycle)
    entries = []
    for position in range(1, proposed + spare + 1):
        is_proposed = position <= proposed
        dossier = DossierFactory(
            cycle=cycle,
            submitted=True,
            state=DossierState.PROPOSED if is_proposed else DossierState.CANDIDATE,
            sections={"declarations": (declarations or {}).get(position, {})},
        )
        candidate = CandidateFactory(panel=panel, dossier=dossier, position=position)
        entries.append(
            RankingEntryFactory(
                proposed_list=proposed_list,
                candidate=candidate,
                position=position,
                proposed=is_proposed,
                repeat_winner=position in repeat,
            )
        )
    GovernmentApprovalFactory(proposed_list=proposed_list)
    return Approved(cycle=cycle, proposed_list=proposed_list, entries=entries[:proposed], spare=entries[proposed:])


# --- flows through the services ---


def publicise(cycle, *, by, starts_on=None, days=7, publish=True, now=None):
    """Publicise the approved list from `starts_on` (today) for `days` days; publish its notice at its time."""
    starts_on = starts_on or services_awards.beijing_today(now)
    publicity = services_awards.publicity_create(
        cycle=cycle,
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=days - 1),
        channel="漯河日报",
        by=by,
        now=now,
    )
    if publish:
        notice_publish(notice_id=publicity.notice_id, now=max(publicity.notice.publish_at, now or timezone.now()))
    return publicity


def finish_publicity(cycle, *, by):
    """A publicity that ran seven days, from 10 to 4 days ago, its notice published then."""
    earlier = timezone.now() - dt.timedelta(days=10)
    return publicise(cycle, by=by, now=earlier)


def object_to(candidate, *, now=None, address="203.0.113.7", **fields):
    """A complete real-name objection with one PDF of evidence, through the service."""
    data = {
        "name": "王建国",
        "id_number": "",
        "organisation": "漯河市某食品有限公司",
        "phone": "13800000000",
        "email": "objector@example.com",
        "text": "该单位近三年存在产品抽检不合格情况。",
        "files": [(pdf_upload(), "pdf")],
        **fields,
    }
    return services_awards.objection_submit(candidate=candidate, client_address=address, now=now, **data)


def approve(cycle, *, by):
    """The vice-mayor's review and the mayor's signature, after a finished publicity."""
    today = services_awards.beijing_today()
    return services_awards.award_approval_record(
        cycle=cycle,
        vice_mayor="李副市长",
        reviewed_on=today - dt.timedelta(days=3),
        mayor="张市长",
        signed_on=today - dt.timedelta(days=2),
        upload=pdf_upload("签批件.pdf"),
        kind="pdf",
        by=by,
    )


def announce(cycle, *, by, publicity=True):
    """From an approved cycle in publicity to granted awards: a finished publicity, the approval, the published
    announcement, the cycle announced. The certificates are not rendered (the batch runs after a commit that a
    test transaction never makes). Returns the awards."""
    if publicity:
        finish_publicity(cycle, by=by)
    approve(cycle, by=by)
    notice = services_awards.announcement_schedule(cycle=cycle, by=by)
    notice_publish(notice_id=notice.pk)
    cycle_advance(cycle=cycle, to=CyclePhase.ANNOUNCED, by=by)
    cycle.refresh_from_db()
    return services_awards.awards_grant(cycle=cycle, by=by)


# --- rows of the later steps, made directly ---


class PublicityFactory(factory.django.DjangoModelFactory):
    """A first-round publicity of the last seven days up to today, its notice published."""

    class Meta:
        model = Publicity

    cycle = factory.SubFactory(CycleFactory, phase=CyclePhase.PUBLICITY)
    round = 1
    notice = factory.SubFactory(
        NoticeFactory, cycle=factory.SelfAttribute("..cycle"), kind=NoticeKind.PUBLICITY, published=True
    )
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=6))
    ends_on = factory.LazyFunction(timezone.localdate)
    channel = "漯河日报"
    created_by = factory.LazyFunction(_secretariat)


class PublicityCandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublicityCandidate

    publicity = factory.SubFactory(PublicityFactory)
    entry = factory.SubFactory(
        RankingEntryFactory, proposed_list__session__cycle=factory.SelfAttribute("....publicity.cycle")
    )
    dossier = factory.SelfAttribute("entry.candidate.dossier")
    position = factory.Sequence(lambda n: n + 1)


class ObjectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objection

    candidate = factory.SubFactory(PublicityCandidateFactory)
    publicity = factory.SelfAttribute("candidate.publicity")
    cycle = factory.SelfAttribute("publicity.cycle")
    sequence = factory.Sequence(lambda n: n + 1)
    reference = factory.LazyAttribute(lambda o: f"YY{o.cycle.year}-{o.sequence:04d}")
    name = "王建国"
    organisation = "漯河市某食品有限公司"
    phone = "13800000000"
    email = "objector@example.com"
    text = "异议内容。"


class AwardApprovalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AwardApproval

    cycle = factory.SubFactory(CycleFactory, phase=CyclePhase.ANNOUNCED)
    vice_mayor = "李副市长"
    reviewed_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=3))
    mayor = "张市长"
    signed_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=2))
    document = factory.LazyFunction(lambda: ContentFile(pdf_bytes(), name="签批件.pdf"))
    document_name = "签批件.pdf"
    document_content_type = "application/pdf"
    document_sha256 = factory.LazyFunction(lambda: hashlib.sha256(pdf_bytes()).hexdigest())
    recorded_by = factory.LazyFunction(_secretariat)


class AwardFactory(factory.django.DjangoModelFactory):
    """An award with the full prize, in an announced cycle; its dossier is awarded."""

    class Meta:
        model = Award

    cycle = factory.SubFactory(CycleFactory, phase=CyclePhase.ANNOUNCED)
    organisation = factory.SubFactory(OrganisationFactory)
    dossier = factory.SubFactory(
        DossierFactory,
        cycle=factory.SelfAttribute("..cycle"),
        organisation=factory.SelfAttribute("..organisation"),
        submitted=True,
        state=DossierState.AWARDED,
    )
    award_year = factory.LazyAttribute(lambda award: award.cycle.year)
    number = factory.Sequence(lambda n: n + 1)
    prize_amount = Decimal("500000")
    prize_rule = "full"


class CertificateFactory(factory.django.DjangoModelFactory):
    """A certificate with a stored one-page PDF (not a rendered certificate)."""

    class Meta:
        model = Certificate

    award = factory.SubFactory(AwardFactory)
    serial = factory.LazyAttribute(lambda c: services_awards.certificate_serial(c.award))
    pdf = factory.LazyAttribute(lambda c: ContentFile(pdf_bytes(), name=f"{c.serial}.pdf"))
    rendered_at = factory.LazyFunction(timezone.now)


class CertificateBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CertificateBatch

    cycle = factory.SubFactory(CycleFactory, phase=CyclePhase.ANNOUNCED)
    total = 1


class RevocationCaseFactory(factory.django.DjangoModelFactory):
    """An open case."""

    class Meta:
        model = RevocationCase

    award = factory.SubFactory(AwardFactory)
    reason = "申报材料中财务数据造假。"
    evidence = "审计报告与申报数据不符。"
    opened_by = factory.LazyFunction(_secretariat)
