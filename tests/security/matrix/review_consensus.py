"""Authorization rows of the panel's consensus: the leader's overview and consensus pages, the report (PDF), and
the consensus admin (read-only pages, report download, regenerate, reopen).

The world gains a cycle in the material review whose panel is led by the matrix's panel leader, with the matrix's
expert as a plain member; its dossier (the other organisation's) has a recorded consensus with a report on file.
A second recorded consensus sits on the world's other dossier (the expert's panel, in the open cycle), which no
expert reads outside the review phases.
"""

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from applications.models import Dossier, DossierSection
from applications.sections import EDITABLE_SECTIONS
from mayor_award.core.models import CriteriaItem, Cycle
from review.models import Consensus, ConsensusItem, Expert, Panel, PanelDossier, Pledge, Seat
from tests.security.matrix_kit import LOGIN, PDF, Row, everyone, secretariat_only

# Experts who are not the panel's leader get 404; roles that are no expert 403.
LEADER_ONLY = {**everyone(403), "anonymous": LOGIN, "expert": 404, "panel_leader": 200}
# The report: the panel's experts and the secretariat; committee members only during the deliberation.
REPORT = {**everyone(403), "anonymous": LOGIN, "expert": 200, "panel_leader": 200, "committee": 404, "secretariat": 200}
OTHER_PANELS_REPORT = {**REPORT, "expert": 404, "panel_leader": 404}


def _panel(world):
    return {"pk": world["consensus_panel"].pk}


def _consensus_page(world):
    return {"pk": world["consensus_panel"].pk, "dossier_pk": world["consensus_dossier"].pk, "stage": "material"}


def _consensus(world):
    return {"object_id": world["objects"]["review.consensus"].pk}


ROWS = [
    Row("review:panel", LEADER_ONLY, _panel),
    Row("review:consensus", LEADER_ONLY, _consensus_page),
    # A POST by anyone but the leader changes nothing: the same answers; the leader's is refused (recorded).
    Row(
        "review:consensus",
        {**LEADER_ONLY, "panel_leader": 302},
        _consensus_page,
        method="post",
        data={"action": "save"},
        variant="post",
    ),
    Row("review:consensus-report", REPORT, lambda w: {"pk": w["objects"]["review.consensus"].pk}),
    Row(
        "review:consensus-report",
        OTHER_PANELS_REPORT,
        lambda w: {"pk": w["other_consensus"].pk},
        variant="other-panel",
    ),
    Row("admin:review_consensus_report", secretariat_only(), _consensus),
    Row("admin:review_consensus_regenerate_report", secretariat_only(302), _consensus, method="post"),
    Row(
        "admin:review_consensus_reopen",
        secretariat_only(302),
        _consensus,
        method="post",
        data={"reason": "分数录入有误"},
    ),
]

ADMIN_MODELS = {
    "review.consensus": {
        "changelist": 200,
        "add": 403,
        "change": 200,
        "history": 200,
        "delete": 403,
        "simple_history": 200,
    },
}


def _recorded(panel, dossier, name):
    consensus = Consensus.objects.create(
        panel=panel,
        dossier=dossier,
        stage="material",
        state="recorded",
        total="550.0000",
        strengths="总体优势",
        recorded_at=timezone.now(),
    )
    ConsensusItem.objects.bulk_create(
        ConsensusItem(consensus=consensus, item=item, percent=55)
        for item in CriteriaItem.objects.filter(category__criteria_id=dossier.cycle.criteria_id)
    )
    consensus.report_pdf.save(name, ContentFile(PDF), save=False)
    Consensus.objects.filter(pk=consensus.pk).update(report_pdf=consensus.report_pdf.name)
    consensus.refresh_from_db()
    return consensus


def extend_world(world):
    open_cycle = world["open_cycle"]
    cycle = Cycle.objects.create(
        number=32000,  # far beyond CycleFactory's sequence, which would otherwise get_or_create this cycle
        year=2080,
        title="漯河市市长质量奖（共识矩阵）",
        phase="material_review",
        applications_open_on=dt.date(2080, 3, 1),
        application_deadline=open_cycle.application_deadline,
        criteria_id=open_cycle.criteria_id,
    )
    dossier = Dossier.objects.create(
        cycle=cycle,
        organisation=world["other_organisation"],  # the world's expert is in conflict with the world organisation
        state="material_reviewed",
        number="LH2080-001",
        sequence=1,
        submitted_at=timezone.now(),
    )
    DossierSection.objects.bulk_create(DossierSection(dossier=dossier, key=key, data={}) for key in EDITABLE_SECTIONS)
    panel = Panel.objects.create(cycle=cycle, name="共识矩阵组", industries=["C"], size=5)
    PanelDossier.objects.create(panel=panel, dossier=dossier)
    users = world["users"]
    for rank, role in enumerate(("panel_leader", "expert"), start=1):
        expert = Expert.objects.get(user=users[role])
        Seat.objects.create(panel=panel, expert=expert, status="accepted", is_leader=role == "panel_leader", rank=rank)
        Pledge.objects.create(expert=expert, cycle=cycle, text="承诺")
    consensus = _recorded(panel, dossier, "LH2080-001-material.pdf")
    other_consensus = _recorded(world["expert_seat"].panel, world["other_dossier"], "other-material.pdf")
    return {
        "consensus_panel": panel,
        "consensus_dossier": dossier,
        "other_consensus": other_consensus,
        "objects": {"review.consensus": consensus},
    }
