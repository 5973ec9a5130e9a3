"""The applicants' feedback report (反馈报告): page and PDF, before and after release.

Released: a dossier of the world's organisation in a cycle already announced, with a recorded material consensus.
Its organisation opens it; another organisation finds nothing (404); experts, the panel's leader, the committee and
the secretariat have no organisation and are refused (403). Not released: the world's dossier, in a cycle still
open for applications, is not found even by its own organisation.
"""

from django.utils import timezone

from applications.models import Dossier, DossierSection
from applications.sections import EDITABLE_SECTIONS
from mayor_award.core.models import CriteriaItem, Cycle
from review.models import Consensus, ConsensusItem, Panel, PanelDossier
from tests.security.matrix_kit import Row, own_organisation

NOT_RELEASED = own_organisation(expected=404, other=404, staff=403)


def _released(world):
    return {"pk": world["feedback_dossier"].pk}


def _not_released(world):
    return {"pk": world["dossier"].pk}


ROWS = [
    Row("review:feedback", own_organisation(), _released, variant="released"),
    Row("review:feedback", NOT_RELEASED, _not_released, variant="not-released"),
    Row("review:feedback-pdf", own_organisation(), _released, variant="released"),
    Row("review:feedback-pdf", NOT_RELEASED, _not_released, variant="not-released"),
]


def extend_world(world):
    open_cycle = world["open_cycle"]
    cycle = Cycle.objects.create(
        number=41,
        year=2100,
        title="第41届漯河市市长质量奖（反馈矩阵）",
        phase="announced",
        applications_open_on=open_cycle.applications_open_on,
        application_deadline=open_cycle.application_deadline,
        criteria_id=open_cycle.criteria_id,
    )
    dossier = Dossier.objects.create(
        cycle=cycle,
        organisation=world["organisation"],
        state="not_selected",
        number="LH2100-001",
        sequence=1,
        submitted_at=timezone.now(),
    )
    DossierSection.objects.bulk_create(DossierSection(dossier=dossier, key=key, data={}) for key in EDITABLE_SECTIONS)
    panel = Panel.objects.create(cycle=cycle, name="反馈矩阵组", industries=["C"], size=5)
    PanelDossier.objects.create(panel=panel, dossier=dossier)
    consensus = Consensus.objects.create(
        panel=panel,
        dossier=dossier,
        stage="material",
        state="recorded",
        strengths="总体优势",
        opportunities="总体改进机会",
        recorded_at=timezone.now(),
    )
    ConsensusItem.objects.bulk_create(
        ConsensusItem(consensus=consensus, item=item, percent=55, strengths="优势", opportunities="改进")
        for item in CriteriaItem.objects.filter(category__criteria_id=cycle.criteria_id)
    )
    return {"feedback_dossier": dossier}
