"""Authorization rows of the on-site stage: the leader's candidate list, the selection page, and its admin models."""

import datetime as dt
from decimal import Decimal

from review.models import Candidate, OnsiteSelection, OnsiteVisit
from tests.security.matrix_kit import LOGIN, Row, everyone, secretariat_only


def _leader_panel(world):
    return {"pk": world["leader_seat"].panel_id}


def _open_cycle(world):
    return {"cycle_id": world["open_cycle"].pk}


# Only the panel's leader opens the candidate list; the expert of another panel gets 404, other roles 403.
LEADER_ONLY = {**everyone(403), "anonymous": LOGIN, "expert": 404}

ROWS = [
    Row("review:candidates", {**LEADER_ONLY, "panel_leader": 200}, _leader_panel),
    # The hand-over is refused while the cycle is open (a message, back to the page).
    Row("review:candidates", {**LEADER_ONLY, "panel_leader": 302}, _leader_panel, method="post", variant="post"),
    # The cycle is not in its material review: the page shows why and offers no confirmation.
    Row("admin:review_onsiteselection_apply", secretariat_only(), _open_cycle),
    Row("admin:review_onsiteselection_apply", secretariat_only(), _open_cycle, method="post", variant="post"),
]

ADMIN_MODELS = {
    # Written once by "apply the on-site selection"; shown only.
    "review.onsiteselection": {
        "changelist": 200,
        "add": 403,
        "change": 200,
        "history": 200,
        "delete": 403,
        "simple_history": 200,
    },
    # Planned and rescheduled through visit_save; never deleted (the audit keeps who went).
    "review.onsitevisit": {
        "changelist": 200,
        "add": 200,
        "change": 200,
        "history": 200,
        "delete": 403,
        "simple_history": 200,
    },
    # The handed-over lists are fixed (Art. 16).
    "review.candidate": {"changelist": 200, "add": 403, "change": 200, "history": 200, "delete": 403},
}


def extend_world(world):
    secretariat = world["users"]["secretariat"]
    seat = world["expert_seat"]
    dossier = world["other_dossier"]
    selection = OnsiteSelection.objects.create(
        dossier=dossier,
        panel=seat.panel,
        outcome="selected",
        material_total=Decimal("712.5"),
        rank=1,
        decided_by=secretariat,
    )
    visit = OnsiteVisit.objects.create(
        dossier=dossier, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 9, 2), place="乙公司厂区"
    )
    visit.team.set([seat])
    candidate = Candidate.objects.create(
        panel=seat.panel,
        dossier=dossier,
        position=1,
        onsite_total=Decimal("730"),
        material_total=Decimal("712.5"),
        handed_over_by=world["users"]["expert"],
    )
    return {
        "objects": {
            "review.onsiteselection": selection,
            "review.onsitevisit": visit,
            "review.candidate": candidate,
        }
    }
