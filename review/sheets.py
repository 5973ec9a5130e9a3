"""Score sheets (评分表): each expert scores each dossier of the panel, item by item, on their own (Art. 12).

A sheet is saved as a draft as often as the expert likes; submitting needs every item scored and locks it;
only the secretariat reopens a submitted sheet, with a reason that stays in the audit trail.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import CriteriaItem
from mayor_award.core.services import audit_record

from . import scoring
from .enums import ReviewStage, SeatStatus, SheetState
from .models import ItemScore, ScoreSheet, Seat

STAGE_PHASES = {ReviewStage.MATERIAL: CyclePhase.MATERIAL_REVIEW, ReviewStage.ONSITE: CyclePhase.ONSITE_REVIEW}
PERCENT_STEP = scoring.DEFAULT_STEP


class SheetError(Exception):
    """A sheet action was refused; the message says why, in the user's language."""


def seat_for(expert, dossier):
    """The expert's accepted seat on the dossier's panel, or None."""
    return (
        Seat.objects.filter(expert=expert, status=SeatStatus.ACCEPTED, panel__paneldossier__dossier=dossier)
        .select_related("panel")
        .first()
    )


@transaction.atomic
def sheet_open(*, seat: Seat, dossier, stage: str) -> ScoreSheet:
    """The sheet of this seat, dossier and stage, created with one row per scored item of the cycle's criteria."""
    sheet, created = ScoreSheet.objects.get_or_create(seat=seat, dossier=dossier, stage=stage)
    if created:
        ItemScore.objects.bulk_create(
            ItemScore(sheet=sheet, item=item)
            for item in CriteriaItem.objects.filter(category__criteria_id=dossier.cycle.criteria_id)
        )
    return sheet


def _refuse_unless_open(sheet: ScoreSheet):
    if sheet.state != SheetState.DRAFT:
        raise SheetError(_("This sheet has been submitted; only the secretariat can reopen it."))
    if sheet.dossier.cycle.phase != STAGE_PHASES[ReviewStage(sheet.stage)]:
        raise SheetError(_("This stage of the review is not open now."))


@transaction.atomic
def sheet_save(*, sheet: ScoreSheet, entries: dict[str, dict], by) -> ScoreSheet:
    """Save a draft: `entries` maps item codes to {percent, strengths, opportunities}."""
    sheet = ScoreSheet.objects.select_for_update().select_related("dossier__cycle").get(pk=sheet.pk)
    _refuse_unless_open(sheet)
    rows = {row.item.code: row for row in sheet.items.select_related("item")}
    for code, entry in entries.items():
        row = rows.get(code)
        if row is None:
            continue
        percent = entry.get("percent")
        if percent is not None:
            try:
                scoring.validate_percent(percent, step=PERCENT_STEP)
            except scoring.ScoreError as error:
                raise SheetError(f"{code}: {error}") from error
        row.percent = percent
        row.strengths = entry.get("strengths", "")
        row.opportunities = entry.get("opportunities", "")
        row._history_user = by
        row.save(update_fields=["percent", "strengths", "opportunities"])
    sheet._history_user = by
    sheet.save(update_fields=["updated_at"])
    return sheet


def sheet_total(sheet: ScoreSheet):
    """The sheet's points so far (a draft's running sum) and per category, as exact Decimals."""
    items, percents = _as_scoring(sheet)
    draft = scoring.Sheet(expert_id=sheet.seat.expert_id, percents=percents, step=PERCENT_STEP)
    return (
        scoring.sheet_total(items, draft, partial=True),
        scoring.category_totals(items, draft, partial=True),
    )


def _as_scoring(sheet):
    rows = list(sheet.items.select_related("item__category"))
    items = [scoring.Item(code=r.item.code, category=r.item.category.code, points=r.item.points) for r in rows]
    return items, {r.item.code: r.percent for r in rows}


@transaction.atomic
def sheet_submit(*, sheet: ScoreSheet, by) -> ScoreSheet:
    """Submit and lock: every item must be scored first (Art. 12)."""
    sheet = ScoreSheet.objects.select_for_update().select_related("dossier__cycle", "seat").get(pk=sheet.pk)
    _refuse_unless_open(sheet)
    items, percents = _as_scoring(sheet)
    try:
        scoring.require_complete(items, scoring.Sheet(expert_id=sheet.seat.expert_id, percents=percents))
    except scoring.ScoreError as error:
        raise SheetError(str(error)) from error
    sheet.state = SheetState.SUBMITTED
    sheet.submitted_at = timezone.now()
    sheet._history_user = by
    sheet.save(update_fields=["state", "submitted_at"])
    audit_record(actor=by, action="sheet.submitted", obj=sheet, data={"stage": sheet.stage})
    return sheet


@transaction.atomic
def sheet_reopen(*, sheet: ScoreSheet, reason: str, by) -> ScoreSheet:
    """The secretariat reopens a submitted sheet; the reason stays in the audit trail."""
    sheet = ScoreSheet.objects.select_for_update().get(pk=sheet.pk)
    if sheet.state != SheetState.SUBMITTED:
        raise SheetError(_("Only a submitted sheet can be reopened."))
    if not reason.strip():
        raise SheetError(_("Give the reason for reopening the sheet."))
    sheet.state = SheetState.DRAFT
    sheet.submitted_at = None
    sheet._history_user = by
    sheet.save(update_fields=["state", "submitted_at"])
    audit_record(actor=by, action="sheet.reopened", obj=sheet, data={"reason": reason})
    return sheet
