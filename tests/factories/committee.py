"""Factories for the committee's deliberation: candidates, members, recusals, sessions and panel reports.

Plain rows with valid defaults and no side effects (no audit event, no task): to exercise a service, build the
rows here and call the service.

    cycle = CycleFactory(phase="deliberation")
    candidate = CandidateFactory(panel__cycle=cycle, onsite_total=Decimal("720"))   # a candidate dossier
    member = CommitteeMemberFactory(cycle=cycle)                                    # an ordinary member (委员)
    CommitteeMemberFactory(cycle=cycle, office="director")
    RecusalFactory(member=member, candidate=candidate)
    session = VotingSessionFactory(cycle=cycle)                                     # being prepared
    OnsiteConsensusFactory(candidate=candidate, report=True)          # recorded, every item at 70 %, a report PDF
"""

from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from applications.enums import DossierState
from committee.enums_voting import CommitteeOffice
from committee.models import CommitteeMember, Recusal, VoteCount, VotingSession
from mayor_award.core.enums import Role
from mayor_award.core.models import CriteriaItem
from review.enums import ConsensusState, ReviewStage
from review.models import Candidate, Consensus, ConsensusItem

from .applications import DossierFactory, pdf_bytes
from .core import CycleFactory, UserFactory
from .review import PanelFactory


class CandidateFactory(factory.django.DjangoModelFactory):
    """A candidate handed over by its panel: a submitted dossier of the panel's cycle, in the candidate state."""

    class Meta:
        model = Candidate

    panel = factory.SubFactory(PanelFactory, cycle=factory.SubFactory(CycleFactory, phase="deliberation"))
    dossier = factory.SubFactory(
        DossierFactory, cycle=factory.SelfAttribute("..panel.cycle"), submitted=True, state=DossierState.CANDIDATE
    )
    position = factory.Sequence(lambda n: n + 1)
    onsite_total = Decimal("700.0000")
    material_total = Decimal("680.0000")
    handed_over_by = factory.SubFactory(UserFactory, roles=[Role.EXPERT])


class CommitteeMemberFactory(factory.django.DjangoModelFactory):
    """A member (委员) of a cycle's committee, with the committee role."""

    class Meta:
        model = CommitteeMember

    cycle = factory.SubFactory(CycleFactory, phase="deliberation")
    user = factory.SubFactory(UserFactory, roles=[Role.COMMITTEE])
    office = CommitteeOffice.MEMBER
    affiliation = "漯河市质量协会"


class RecusalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recusal

    member = factory.SubFactory(CommitteeMemberFactory)
    candidate = factory.SubFactory(CandidateFactory, panel__cycle=factory.SelfAttribute("...member.cycle"))
    reason = "曾在该单位任职。"
    recorded_by = factory.SubFactory(UserFactory, roles=[Role.SECRETARIAT], is_staff=True)


def open_vote(cycle, candidates, *, by, opened_at=None) -> VotingSession:
    """An open vote on `candidates` with a ballot box (counters) each, as services_voting.session_open leaves it,
    without the service's checks: for worlds built once for many cases (the security matrices)."""
    session = VotingSession.objects.create(
        cycle=cycle,
        state="open",
        quorum_ratio=Decimal("0.6667"),
        pass_ratio=Decimal("0.5"),
        slate_ratio=Decimal("1.2"),
        award_quota=5,
        max_approvals=6,
        onsite_score_weight=Decimal("0.6"),
        members_eligible=1,
        opened_at=opened_at or timezone.now(),
        opened_by=by,
    )
    session.candidates.set(candidates)
    VoteCount.objects.bulk_create(VoteCount(session=session, candidate=candidate) for candidate in candidates)
    return session


class VotingSessionFactory(factory.django.DjangoModelFactory):
    """A session being prepared; open it with services_voting.session_open."""

    class Meta:
        model = VotingSession

    cycle = factory.SubFactory(CycleFactory, phase="deliberation")


class OnsiteConsensusFactory(factory.django.DjangoModelFactory):
    """The panel's recorded on-site consensus of a candidate: every item agreed at `percent`.

    `report=True` attaches a one-page report PDF; `stage="material"` makes it the material review's;
    `items=80` agrees every item at 80 %.
    """

    class Meta:
        model = Consensus
        exclude = ["candidate"]
        skip_postgeneration_save = True

    candidate = factory.SubFactory(CandidateFactory)
    panel = factory.LazyAttribute(lambda o: o.candidate.panel)
    dossier = factory.LazyAttribute(lambda o: o.candidate.dossier)
    stage = ReviewStage.ONSITE
    state = ConsensusState.RECORDED
    total = factory.LazyAttribute(lambda o: o.candidate.onsite_total)
    recorded_at = factory.LazyFunction(timezone.now)

    class Params:
        report = factory.Trait(
            report_pdf=factory.LazyFunction(lambda: ContentFile(pdf_bytes(), name="report.pdf")),
            report_generated_at=factory.LazyFunction(timezone.now),
        )

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        if not create:
            return
        percent = 70 if extracted is None else extracted
        ConsensusItem.objects.bulk_create(
            ConsensusItem(consensus=self, item=item, percent=percent)
            for item in CriteriaItem.objects.filter(category__criteria_id=self.dossier.cycle.criteria_id)
        )
