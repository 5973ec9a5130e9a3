"""The expert's score page (issue 5): each item's autosave and the panel's scores.

Besides the rows with no such dossier (pk 0, like review:score's), the world gains a cycle in its material review
where the matrix's expert sits on the panel of a dossier and the panel leader on another panel of the same cycle:
the expert may save their own item and is told the panel's scores wait for their own sheet; the leader, an expert
of another panel, finds nothing.
"""

from mayor_award.core.enums import CyclePhase
from review.models import Expert
from tests.factories.core import CycleFactory
from tests.factories.review import PanelDossierFactory, PanelFactory, PledgeFactory, SeatFactory
from tests.security.matrix_kit import LOGIN, Row, everyone


def experts_only(expert, panel_leader):
    return {**everyone(403), "anonymous": LOGIN, "expert": expert, "panel_leader": panel_leader}


def extend_world(world):
    cycle = CycleFactory(number=27, year=2072, phase=CyclePhase.MATERIAL_REVIEW)
    assert cycle.phase == CyclePhase.MATERIAL_REVIEW, "cycle number 27 is taken by another matrix module"
    experts = {role: Expert.objects.get(user=world["users"][role]) for role in ("expert", "panel_leader")}
    scored = PanelDossierFactory(panel=PanelFactory(cycle=cycle))  # a new applicant: no conflict of the expert's
    SeatFactory(panel=scored.panel, expert=experts["expert"], accepted=True)
    SeatFactory(panel=PanelFactory(cycle=cycle), expert=experts["panel_leader"], accepted=True, leader=True)
    for expert in experts.values():
        PledgeFactory(expert=expert, cycle=cycle)
    return {"scored_dossier": scored.dossier}


ROWS = [
    Row(
        "review:score-item",
        experts_only(404, 404),
        {"pk": 0, "stage": "material", "code": "4.1.2"},
        method="post",
        data={"p_4.1.2": "50"},
    ),
    Row(
        "review:score-item",
        experts_only(200, 404),
        lambda w: {"pk": w["scored_dossier"].pk, "stage": "material", "code": "4.1.2"},
        method="post",
        data={"p_4.1.2": "50"},
        variant="own panel",
    ),
    Row("review:panel-scores", experts_only(404, 404), {"pk": 0, "stage": "material"}),
    Row(
        "review:panel-scores",
        experts_only(403, 404),  # independent review: the expert's own sheet is not submitted yet
        lambda w: {"pk": w["scored_dossier"].pk, "stage": "material"},
        variant="own panel",
    ),
]
