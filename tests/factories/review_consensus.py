"""Factories for the panel's consensus: score sheets with their 23 item scores, consensuses, and a scored panel.

Plain rows, no side effects (no audit event, no task, no state change): to exercise a service, build the rows here
and call the service.

    sheet = ScoreSheetFactory(seat=seat, dossier=dossier)                 # a draft with no item rows
    submitted_sheet(seat, dossier, percents=60)                           # submitted, every item at 60 %
    submitted_sheet(seat, dossier, percents={"4.1.2": 80}, default=50)    # one item at 80 %, the others at 50 %
    world = scored_panel(experts=5)                                       # material review, five accepted seats
    world.submit_all(percents=[40, 50, 60, 70, 80])                       # every expert's sheet, one level each
    ConsensusFactory(panel=panel, dossier=dossier)                        # a draft consensus without items
"""

from dataclasses import dataclass

import factory
from django.utils import timezone

from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import CriteriaItem
from review.enums import ConsensusState, ReviewStage, SheetState
from review.models import Consensus, ConsensusItem, ItemScore, ScoreSheet

from .core import CycleFactory
from .review import PanelDossierFactory, PanelFactory, PledgeFactory, SeatFactory


class ScoreSheetFactory(factory.django.DjangoModelFactory):
    """A draft sheet of a seat, for a dossier of its panel, in the material review (no item rows)."""

    class Meta:
        model = ScoreSheet

    seat = factory.SubFactory(SeatFactory, accepted=True)
    dossier = factory.LazyAttribute(lambda sheet: PanelDossierFactory(panel=sheet.seat.panel).dossier)
    stage = ReviewStage.MATERIAL
    state = SheetState.DRAFT


def criteria_codes(cycle) -> list[str]:
    return list(
        CriteriaItem.objects.filter(category__criteria_id=cycle.criteria_id)
        .order_by("category__position", "position")
        .values_list("code", flat=True)
    )


def submitted_sheet(seat, dossier, *, percents=50, default=None, stage=ReviewStage.MATERIAL) -> ScoreSheet:
    """A submitted sheet with every item scored: `percents` is one percentage for all, or a dict by item code
    (items not in it get `default`, or stay unscored when `default` is None)."""
    sheet = ScoreSheetFactory(
        seat=seat, dossier=dossier, stage=stage, state=SheetState.SUBMITTED, submitted_at=timezone.now()
    )
    items = CriteriaItem.objects.filter(category__criteria_id=dossier.cycle.criteria_id)
    ItemScore.objects.bulk_create(
        ItemScore(
            sheet=sheet,
            item=item,
            percent=percents.get(item.code, default) if isinstance(percents, dict) else percents,
            strengths=f"{item.code} 方法系统",
            opportunities=f"{item.code} 展开不足",
        )
        for item in items
    )
    return sheet


class ConsensusFactory(factory.django.DjangoModelFactory):
    """A draft consensus of a panel's dossier in the material review (no item rows)."""

    class Meta:
        model = Consensus

    panel = factory.SubFactory(PanelFactory)
    dossier = factory.LazyAttribute(lambda consensus: PanelDossierFactory(panel=consensus.panel).dossier)
    stage = ReviewStage.MATERIAL
    state = ConsensusState.DRAFT


class ConsensusItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsensusItem

    consensus = factory.SubFactory(ConsensusFactory)
    item = factory.LazyFunction(lambda: CriteriaItem.objects.order_by("pk").first())
    percent = 50


@dataclass
class ScoredPanel:
    """A panel in a review phase with one dossier, its accepted and pledged seats (the first is the leader)."""

    cycle: object
    panel: object
    dossier: object
    seats: list

    @property
    def leader(self):
        return self.seats[0]

    def submit_all(self, percents=50, stage=ReviewStage.MATERIAL, skip=0):
        """Every seat's sheet submitted (but the last `skip`); `percents` is one value or one per seat."""
        values = percents if isinstance(percents, list) else [percents] * len(self.seats)
        seats = self.seats[: len(self.seats) - skip]
        return [
            submitted_sheet(seat, self.dossier, percents=value, stage=stage)
            for seat, value in zip(seats, values, strict=False)
        ]


def scored_panel(*, experts=5, phase=CyclePhase.MATERIAL_REVIEW, cycle=None, **dossier_state) -> ScoredPanel:
    """`experts` accepted, pledged seats (ranked 1, 2, …; the first leads) on a panel with one eligible dossier."""
    cycle = cycle or CycleFactory(phase=phase)
    panel = PanelFactory(cycle=cycle, size=max(experts, 5))
    assignment = PanelDossierFactory(panel=panel, **{f"dossier__{k}": v for k, v in dossier_state.items()})
    seats = []
    for rank in range(1, experts + 1):
        seat = SeatFactory(panel=panel, accepted=True, leader=rank == 1, rank=rank)
        PledgeFactory(expert=seat.expert, cycle=cycle)
        seats.append(seat)
    return ScoredPanel(cycle=cycle, panel=panel, dossier=assignment.dossier, seats=seats)
