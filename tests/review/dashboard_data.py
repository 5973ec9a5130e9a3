"""A scored cycle for the dashboard and export tests: panels with dossiers and accepted experts, and sheets.

world = scored_cycle(panels=1, dossiers=2, experts=5)        # material review open three days ago
score(world.seats[0][0], world.dossiers[0][0], percent=50)   # a submitted material sheet, every item at 50 %
score(seat, dossier, percent=50, submit=False)               # a draft
score(seat, dossier, stage="onsite", percents={"4.1.2": 60}) # one item at 60 %, the others at `percent`
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import CriteriaItem
from review import sheets
from review.enums import ConsensusState, SelectionOutcome, SheetState
from review.models import Consensus, ConsensusItem, ItemScore, OnsiteSelection
from tests.factories.core import CycleFactory, UserFactory
from tests.factories.review import PanelDossierFactory, PanelFactory, SeatFactory

OPENED_DAYS_AGO = 3


@dataclass
class World:
    cycle: object
    panels: list
    dossiers: list  # per panel
    seats: list  # per panel, accepted, in rank order


def scored_cycle(*, panels=1, dossiers=1, experts=5, phase=CyclePhase.MATERIAL_REVIEW, number=1) -> World:
    cycle = CycleFactory(
        number=number,
        year=2018 + 2 * number,
        phase=phase,
        phase_changed_at=timezone.now() - dt.timedelta(days=OPENED_DAYS_AGO, hours=1),
    )
    world = World(cycle=cycle, panels=[], dossiers=[], seats=[])
    for index in range(panels):
        panel = PanelFactory(cycle=cycle, name=f"评审组{index + 1}", size=max(experts, 5))
        world.panels.append(panel)
        world.dossiers.append([PanelDossierFactory(panel=panel).dossier for _ in range(dossiers)])
        world.seats.append([SeatFactory(panel=panel, accepted=True, leader=rank == 0) for rank in range(experts)])
    return world


def item_codes(cycle) -> list[str]:
    return list(
        CriteriaItem.objects.filter(category__criteria_id=cycle.criteria_id)
        .order_by("category__position", "position")
        .values_list("code", flat=True)
    )


def score(seat, dossier, *, stage="material", percent=50, percents=None, submit=True, strengths="方法系统"):
    """A sheet with every item at `percent` (or as `percents` says), submitted unless `submit` is False."""
    sheet = sheets.sheet_open(seat=seat, dossier=dossier, stage=stage)
    percents = percents or {}
    for row in ItemScore.objects.filter(sheet=sheet).select_related("item"):
        row.percent = percents.get(row.item.code, percent)
        row.strengths = strengths
        row.opportunities = "加强展开"
        row.save()
    if submit:
        sheet.state = SheetState.SUBMITTED
        sheet.submitted_at = timezone.now()
        sheet.save()
    return sheet


def agree(panel, dossier, *, stage="material", percent=80, by=None):
    """A recorded consensus with every item at `percent`."""
    by = by or UserFactory()
    items = list(CriteriaItem.objects.filter(category__criteria_id=dossier.cycle.criteria_id))
    total = sum(Decimal(item.points * percent) / 100 for item in items)
    consensus = Consensus.objects.create(
        panel=panel,
        dossier=dossier,
        stage=stage,
        state=ConsensusState.RECORDED,
        total=total,
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    ConsensusItem.objects.bulk_create(
        ConsensusItem(consensus=consensus, item=item, aggregate=Decimal(percent), percent=percent) for item in items
    )
    return consensus


def select(panel, dossier, *, selected=True, rank=1, by=None):
    return OnsiteSelection.objects.create(
        dossier=dossier,
        panel=panel,
        outcome=SelectionOutcome.SELECTED if selected else SelectionOutcome.NOT_SELECTED,
        material_total=Decimal("600"),
        rank=rank,
        decided_by=by or UserFactory(),
    )
