"""The material and on-site review reports (材料评审报告, 现场评审报告) as PDFs.

One report per recorded consensus (a dossier in a stage), rendered by WeasyPrint in a Celery task after the
leader records the consensus (review/tasks_reports.py), in Chinese and Beijing time whatever the request's
language. It shows the organisation, the dossier number, the panel, the stage, the date, the category table (the
seven categories: points, agreed score, share of the points), the total out of the criteria's total points, a
radar chart drawn as SVG (review/radar.py; the on-site report draws the material review against the on-site
review), the agreed strengths and opportunities per category, and for the material review the issues to verify
on site. No expert's name appears: the report reads the consensus rows, never a seat, a sheet or who recorded it.

Storage: a private file ``review-reports/<dossier number>-<stage>.pdf`` in Consensus.report_pdf (served only by
permission-checked views). Generating is idempotent: running it again replaces the file of the same consensus,
so there is never more than one file per consensus. `reports_catch_up` (the beat sweeper) renders the reports
whose task never ran: recorded consensuses without a report, or with one older than their recording.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications import pdf
from applications.notifications import in_chinese
from mayor_award.core.services import audit_record

from . import scoring
from .consensus import ConsensusError, criteria_items, enqueue_report, scoring_items
from .enums import ConsensusState, ReviewStage
from .models import Consensus
from .radar import Series, radar_svg

logger = logging.getLogger(__name__)

TEMPLATE = "review/pdf/consensus_report.html"
FOLDER = "review-reports"

AUDIT_LABELS = {
    "consensus.report_generated": gettext_lazy("review report generated"),
    "consensus.report_requested": gettext_lazy("review report generation requested"),
    "consensus.report_downloaded": gettext_lazy("review report downloaded"),
}

TITLES = {
    ReviewStage.MATERIAL: gettext_lazy("Material review report"),
    ReviewStage.ONSITE: gettext_lazy("On-site review report"),
}


def report_title(stage: str):
    return TITLES[ReviewStage(stage)]


def report_name(consensus: Consensus) -> str:
    """The stored name: one file per dossier and stage, replaced when generated again."""
    return f"{FOLDER}/{consensus.dossier.number or consensus.dossier_id}-{consensus.stage}.pdf"


def report_download_name(consensus: Consensus) -> str:
    """The file name readers see, e.g. LH2026-001-材料评审报告.pdf."""
    with in_chinese():
        return f"{consensus.dossier.number}-{report_title(consensus.stage)}.pdf"


# --- what the report shows ---


@dataclass
class CategoryLine:
    code: str
    name: str
    points: int
    score: Decimal
    share: Decimal  # of the category's points, 0–1

    @property
    def score_display(self) -> str:
        return scoring.display(self.score)

    @property
    def share_display(self) -> str:
        return scoring.display(self.share * 100, places=1)


@dataclass
class Comment:
    code: str
    name: str
    strengths: str
    opportunities: str


def _lines(consensus: Consensus, items) -> tuple[list[CategoryLine], Decimal]:
    """The category table and the total of a recorded consensus, exact (scoring.category_totals)."""
    codes = {item.pk: item.code for item in items}
    percents = {codes[row.item_id]: row.percent for row in consensus.items.all() if row.item_id in codes}
    sheet = scoring.Sheet(expert_id=None, percents=percents, step=1)
    totals = scoring.category_totals(scoring_items(items), sheet)
    categories = {item.category.code: item.category for item in items}
    lines = [
        CategoryLine(
            code=code,
            name=categories[code].name,
            points=categories[code].points,
            score=score,
            share=score / categories[code].points if categories[code].points else Decimal(0),
        )
        for code, score in totals.items()
    ]
    return lines, sum(totals.values(), Decimal("0.00"))


def _comments(consensus: Consensus, items) -> list[dict]:
    """The agreed strengths and opportunities of each category's items (items without comments left out)."""
    rows = {row.item_id: row for row in consensus.items.all()}
    by_category: dict[str, dict] = {}
    for item in items:
        category = by_category.setdefault(
            item.category.code, {"code": item.category.code, "name": item.category.name, "items": []}
        )
        row = rows.get(item.pk)
        if row is not None and (row.strengths.strip() or row.opportunities.strip()):
            category["items"].append(
                Comment(code=item.code, name=item.name, strengths=row.strengths, opportunities=row.opportunities)
            )
    return list(by_category.values())


def _material_for(consensus: Consensus) -> Consensus | None:
    """The recorded material consensus of an on-site consensus' dossier (drawn beside it in the radar)."""
    if consensus.stage != ReviewStage.ONSITE:
        return None
    return (
        Consensus.objects.filter(
            dossier_id=consensus.dossier_id, stage=ReviewStage.MATERIAL, state=ConsensusState.RECORDED
        )
        .prefetch_related("items")
        .first()
    )


def report_context(consensus: Consensus) -> dict:
    """Everything the report shows (render inside in_chinese(): names and labels follow the language)."""
    dossier = consensus.dossier
    cycle = dossier.cycle
    items = criteria_items(cycle)
    lines, total = _lines(consensus, items)
    labels = [line.name for line in lines]
    series = []
    material = _material_for(consensus)
    material_lines: list[CategoryLine] = []
    material_total = None
    if material is not None:
        material_lines, material_total = _lines(material, items)
        series.append(Series(name=str(ReviewStage.MATERIAL.label), shares=tuple(m.share for m in material_lines)))
    series.append(Series(name=str(ReviewStage(consensus.stage).label), shares=tuple(line.share for line in lines)))
    by_code = {line.code: line for line in material_lines}
    return {
        "consensus": consensus,
        "title": report_title(consensus.stage),
        "stage_label": ReviewStage(consensus.stage).label,
        "is_material": consensus.stage == ReviewStage.MATERIAL,
        "dossier": dossier,
        "organisation": dossier.organisation,
        "cycle": cycle,
        "panel": consensus.panel,
        "rows": [{"line": line, "material": by_code.get(line.code)} for line in lines],
        "total": scoring.display(total),
        "material_total": scoring.display(material_total) if material_total is not None else None,
        "total_points": cycle.criteria.total_points if cycle.criteria_id else 1000,
        "radar": mark_safe(radar_svg(labels, series, title=str(_("Scores by category")))),  # noqa: S308 - escaped
        "comments": _comments(consensus, items),
        "carried_issues": material.issues_to_verify if material is not None else "",
        "recorded_at": consensus.recorded_at,
        "printed_at": timezone.now(),
    }


def _load(consensus_id: int, *, lock: bool) -> Consensus | None:
    queryset = Consensus.objects.select_related(
        "dossier__organisation", "dossier__cycle__criteria", "panel"
    ).prefetch_related("items")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.filter(pk=consensus_id).first()


def report_render(consensus: Consensus) -> bytes:
    """The report as PDF bytes, in Chinese and Beijing time. Raises pdf.MissingChineseFont without a CJK font."""
    with in_chinese():
        return pdf.render_pdf(TEMPLATE, report_context(consensus))


# --- generating and storing ---


def report_generate(*, consensus_id: int) -> bool:
    """Render the report of a recorded consensus and store it, replacing the file of an earlier run.

    Returns False when there is nothing to render (the consensus is gone or not recorded, e.g. reopened).
    Idempotent: the file's name is fixed per consensus, so a second run replaces it. The row lock makes two
    workers (the task and the sweeper) run one after the other.
    """
    with transaction.atomic():
        consensus = _load(consensus_id, lock=True)
        if consensus is None:
            logger.warning("Consensus %s no longer exists: no report.", consensus_id)
            return False
        if consensus.state != ConsensusState.RECORDED:
            logger.info("Consensus %s is not recorded: no report.", consensus_id)
            return False
        content = report_render(consensus)
        name = report_name(consensus)
        storage = consensus.report_pdf.storage
        previous = consensus.report_pdf.name
        if storage.exists(name):  # the earlier run's file, or one left by a run that rolled back
            storage.delete(name)
        stored = storage.save(name, ContentFile(content))
        try:
            # No history row: the file is excluded from the history, and the time says when it was made.
            Consensus.objects.filter(pk=consensus.pk).update(report_pdf=stored, report_generated_at=timezone.now())
            audit_record(actor=None, action="consensus.report_generated", obj=consensus, data={"file": stored})
        except BaseException:
            storage.delete(stored)
            raise
        if previous and previous != stored:  # a name given by an older rule: remove it once the change commits
            transaction.on_commit(partial(_delete_quietly, storage, previous), robust=True)
    return True


def _delete_quietly(storage, name: str) -> None:
    if storage.exists(name):
        storage.delete(name)


@transaction.atomic
def report_regenerate(*, consensus: Consensus, by) -> Consensus:
    """The secretariat asks for the report again (after a font was installed, say); it is rendered after commit."""
    consensus = Consensus.objects.select_for_update().get(pk=consensus.pk)
    if consensus.state != ConsensusState.RECORDED:
        raise ConsensusError(_("Only a recorded consensus has a report."))
    audit_record(actor=by, action="consensus.report_requested", obj=consensus, data={"stage": consensus.stage})
    transaction.on_commit(partial(enqueue_report, consensus_id=consensus.pk), robust=True)
    return consensus


def reports_pending():
    """Recorded consensuses whose report is missing or older than their recording."""
    return (
        Consensus.objects.filter(state=ConsensusState.RECORDED)
        .filter(Q(report_pdf="") | Q(report_generated_at__isnull=True) | Q(report_generated_at__lt=F("recorded_at")))
        .order_by("recorded_at", "pk")
    )


def reports_catch_up() -> int:
    """The sweeper (for beat): render every pending report; returns how many were made.

    One failing report is logged and tried again at the next sweep; a missing Chinese font stops the sweep (every
    report would fail the same way), and so does the task's soft time limit.
    """
    made = 0
    for consensus_id in reports_pending().values_list("pk", flat=True):
        try:
            made += report_generate(consensus_id=consensus_id)
        except (pdf.MissingChineseFont, SoftTimeLimitExceeded):
            raise
        except Exception:
            logger.exception("The report of consensus %s could not be made; the next sweep tries again.", consensus_id)
    return made
