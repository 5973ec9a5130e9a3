"""Factories for the review app: experts of the pool, conflicts, panels, their dossiers and seats, pledges.

Plain rows with valid defaults and no side effects (no draw, no e-mail, no audit event): to exercise a service,
build the rows here and call the service.

    expert = ExpertFactory()                                   # active, manufacturing (C), user in the expert group
    ExpertFactory(industries=["F"], status="suspended")
    ConflictFactory(expert=expert, organisation=organisation)  # recorded by the secretariat
    panel = PanelFactory(cycle=cycle)                          # five places, manufacturing (C), not drawn
    PanelDossierFactory(panel=panel)                           # an eligible dossier of the panel's cycle
    SeatFactory(panel=panel, expert=expert)                    # invited now, reply within five days
    SeatFactory(panel=panel, accepted=True, leader=True)
    PledgeFactory(expert=expert, cycle=cycle)
"""

import datetime as dt

import factory
from django.utils import timezone

from applications.enums import DossierState
from mayor_award.core.enums import Role
from review.enums import ConflictKind, ExpertStatus, Qualification, SeatStatus
from review.models import Conflict, Expert, Panel, PanelDossier, Pledge, Seat

from .applications import DossierFactory, OrganisationFactory
from .core import CycleFactory, UserFactory


class ExpertFactory(factory.django.DjangoModelFactory):
    """An active manufacturing (C) expert whose employer is no applicant (no automatic conflict)."""

    class Meta:
        model = Expert

    user = factory.SubFactory(UserFactory, roles=[Role.EXPERT])
    employer = factory.Sequence(lambda n: f"郑州质量咨询研究院{n}")
    employer_credit_code = ""
    position = "质量总监"
    professional_title = "高级工程师"
    qualifications = factory.LazyFunction(lambda: [Qualification.CERTIFIED_ASSESSOR.value])
    industries = factory.LazyFunction(lambda: ["C"])
    status = ExpertStatus.ACTIVE


class ConflictFactory(factory.django.DjangoModelFactory):
    """A conflict recorded by the secretariat between an expert and an organisation."""

    class Meta:
        model = Conflict

    expert = factory.SubFactory(ExpertFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    kind = ConflictKind.RECORDED
    note = "秘书处登记的利益关系。"


class PanelFactory(factory.django.DjangoModelFactory):
    """A panel of five for manufacturing (C), not drawn yet and without dossiers (see PanelDossierFactory)."""

    class Meta:
        model = Panel

    cycle = factory.SubFactory(CycleFactory)
    name = factory.Sequence(lambda n: f"制造业评审组{n}")
    industries = factory.LazyFunction(lambda: ["C"])
    size = 5


class PanelDossierFactory(factory.django.DjangoModelFactory):
    """A dossier on a panel: by default a new eligible dossier of the panel's cycle."""

    class Meta:
        model = PanelDossier

    panel = factory.SubFactory(PanelFactory)
    dossier = factory.SubFactory(
        DossierFactory, cycle=factory.SelfAttribute("..panel.cycle"), submitted=True, state=DossierState.ELIGIBLE
    )


class SeatFactory(factory.django.DjangoModelFactory):
    """An invitation to sit on a panel, sent now. Traits: `accepted=True` (answered now), `leader=True`."""

    class Meta:
        model = Seat

    panel = factory.SubFactory(PanelFactory)
    expert = factory.SubFactory(ExpertFactory)
    status = SeatStatus.INVITED
    rank = factory.Sequence(lambda n: n + 1)
    invited_at = factory.LazyFunction(timezone.now)
    reply_by = factory.LazyAttribute(lambda seat: seat.invited_at + dt.timedelta(days=5))

    class Params:
        accepted = factory.Trait(status=SeatStatus.ACCEPTED, replied_at=factory.LazyFunction(timezone.now))
        leader = factory.Trait(is_leader=True)


class PledgeFactory(factory.django.DjangoModelFactory):
    """The expert's signed pledge for a cycle."""

    class Meta:
        model = Pledge

    expert = factory.SubFactory(ExpertFactory)
    cycle = factory.SubFactory(CycleFactory)
    text = "本人承诺对申报材料保密，廉洁公正评审。"
    ip_address = "127.0.0.1"
    user_agent = "pytest"
