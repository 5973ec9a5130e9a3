"""Score sheets (评分表): each expert scores each dossier of the panel, item by item, on their own (Art. 12).

A sheet is saved as a draft as often as the expert likes, as a whole (the page's form) or one item at a time (the
page's autosave); percentages are whole numbers from 0 to 100 in the cycle's `score_step`. Submitting needs every
item scored and locks the sheet; only the secretariat reopens a submitted sheet, with a reason that stays in the
audit trail.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import CriteriaItem
from mayor_award.core.services import audit_record

from . import scoring
from .enums import ReviewStage, SeatStatus, SheetState
from .models import ItemScore, OnsiteVisit, ScoreSheet, Seat

STAGE_PHASES = {ReviewStage.MATERIAL: CyclePhase.MATERIAL_REVIEW, ReviewStage.ONSITE: CyclePhase.ONSITE_REVIEW}
ENTRY_FIELDS = ("percent", "strengths", "opportunities")


class SheetError(Exception):
    """A sheet action was refused; the message says why, in the user's language."""


class SheetClosed(SheetError):
    """The sheet is submitted, or its stage is not open: nothing on it can change now."""


class UnknownItem(SheetError):
    """The item code is not one of the cycle's criteria (no row on the sheet)."""


def seat_for(expert, dossier):
    """The expert's accepted seat on the dossier's panel, or None."""
    return (
        Seat.objects.filter(expert=expert, status=SeatStatus.ACCEPTED, panel__paneldossier__dossier=dossier)
        .select_related("panel")
        .first()
    )


def may_score(seat: Seat, dossier, stage: str) -> bool:
    """Whether the seat scores the dossier in `stage`: on site, when the dossier's visit names its team, only the
    team's seats do (the others did not visit; the consensus expects only the team's sheets)."""
    if stage != ReviewStage.ONSITE:
        return True
    team = set(OnsiteVisit.team.through.objects.filter(onsitevisit__dossier=dossier).values_list("seat_id", flat=True))
    return not team or seat.pk in team


def sheet_open(*, seat: Seat, dossier, stage: str) -> ScoreSheet:
    """The sheet of this seat, dossier and stage, created with one row per scored item of the cycle's criteria."""
    sheet = ScoreSheet.objects.filter(seat=seat, dossier=dossier, stage=stage).first()
    return sheet if sheet is not None else _sheet_create(seat=seat, dossier=dossier, stage=stage)


@transaction.atomic
def _sheet_create(*, seat, dossier, stage) -> ScoreSheet:
    sheet, created = ScoreSheet.objects.get_or_create(seat=seat, dossier=dossier, stage=stage)
    if created:
        ItemScore.objects.bulk_create(
            ItemScore(sheet=sheet, item=item)
            for item in CriteriaItem.objects.filter(category__criteria_id=dossier.cycle.criteria_id)
        )
    return sheet


def is_editable(sheet: ScoreSheet) -> bool:
    """A draft, in the cycle phase of its stage (`sheet.dossier.cycle` is read)."""
    return sheet.state == SheetState.DRAFT and sheet.dossier.cycle.phase == STAGE_PHASES[ReviewStage(sheet.stage)]


def _refuse_unless_open(sheet: ScoreSheet):
    if sheet.state != SheetState.DRAFT:
        raise SheetClosed(_("This sheet has been submitted; only the secretariat can reopen it."))
    if not is_editable(sheet):
        raise SheetClosed(_("This stage of the review is not open now."))


def _check_percent(code: str, percent, step: int):
    """Refuse a percentage outside 0–100 or off the cycle's step (None, not scored yet, passes)."""
    if percent is None:
        return
    try:
        scoring.validate_percent(percent, step=step)
    except scoring.ScoreError as error:
        raise SheetError(f"{code}: {error}") from error


def _locked(sheet: ScoreSheet) -> ScoreSheet:
    return ScoreSheet.objects.select_for_update().select_related("dossier__cycle").get(pk=sheet.pk)


def _write(row: ItemScore, entry: dict, by):
    """Set the entry's fields on the row (a missing key leaves its field as it is) and save them."""
    fields = [name for name in ENTRY_FIELDS if name in entry]
    for name in fields:
        setattr(row, name, entry[name] if name == "percent" else (entry[name] or ""))
    row._history_user = by
    row.save(update_fields=fields)


@transaction.atomic
def sheet_save(*, sheet: ScoreSheet, entries: dict[str, dict], by) -> ScoreSheet:
    """Save a draft: `entries` maps item codes to {percent, strengths, opportunities}.

    Every percentage is checked before anything is written, so a refused form loses nothing already saved.
    """
    sheet = _locked(sheet)
    _refuse_unless_open(sheet)
    step = sheet.dossier.cycle.score_step
    for code, entry in entries.items():
        _check_percent(code, entry.get("percent"), step)
    rows = {row.item.code: row for row in sheet.items.select_related("item")}
    for code, entry in entries.items():
        if code in rows:
            _write(rows[code], {"strengths": "", "opportunities": "", "percent": None} | entry, by)
    sheet._history_user = by
    sheet.save(update_fields=["updated_at"])
    return sheet


@transaction.atomic
def sheet_save_item(*, sheet: ScoreSheet, code: str, entry: dict, by) -> ItemScore:
    """Save one item of a draft (the page's autosave): `entry` holds any of percent, strengths, opportunities.

    An item not in the cycle's criteria is refused with UnknownItem; a submitted sheet or a closed stage with
    SheetError, like the whole form.
    """
    sheet = _locked(sheet)
    row = sheet.items.select_related("item").filter(item__code=code).first()
    if row is None:
        raise UnknownItem(_("%(code)s is not an item of this cycle's criteria.") % {"code": code})
    _refuse_unless_open(sheet)
    _check_percent(code, entry.get("percent"), sheet.dossier.cycle.score_step)
    _write(row, entry, by)
    sheet._history_user = by
    sheet.save(update_fields=["updated_at"])
    return row


def sheet_rows(sheet: ScoreSheet) -> list[ItemScore]:
    """The sheet's rows with their items and categories, in the criteria's order (one query)."""
    return list(sheet.items.select_related("item__category").order_by("item__category__position", "item__position"))


def sheet_total(sheet: ScoreSheet, rows: list[ItemScore] | None = None):
    """The sheet's points so far (a draft's running sum) and per category code, as exact Decimals.

    `rows` are the sheet's rows when the caller has them already (sheet_rows). The stored percentages were checked
    against the cycle's step when saved; a sum never refuses them (a step changed later shows in the sum as it is).
    """
    items, percents = _as_scoring(sheet_rows(sheet) if rows is None else rows)
    draft = scoring.Sheet(expert_id=None, percents=percents, step=1)
    return (
        scoring.sheet_total(items, draft, partial=True),
        scoring.category_totals(items, draft, partial=True),
    )


def _as_scoring(rows):
    items = [scoring.Item(code=r.item.code, category=r.item.category.code, points=r.item.points) for r in rows]
    return items, {r.item.code: r.percent for r in rows}


@transaction.atomic
def sheet_submit(*, sheet: ScoreSheet, by) -> ScoreSheet:
    """Submit and lock: every item must be scored first (Art. 12), each in the cycle's step."""
    sheet = ScoreSheet.objects.select_for_update().select_related("dossier__cycle", "seat").get(pk=sheet.pk)
    _refuse_unless_open(sheet)
    rows = sheet_rows(sheet)
    for row in rows:
        _check_percent(row.item.code, row.percent, sheet.dossier.cycle.score_step)
    items, percents = _as_scoring(rows)
    try:
        scoring.require_complete(items, scoring.Sheet(expert_id=sheet.seat.expert_id, percents=percents, step=1))
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


def panel_scores_visible(cycle, sheet: ScoreSheet | None) -> bool:
    """Independent review: with the cycle's `independent_scoring`, the panel's scores show to an expert only once
    their own sheet of the dossier and stage is submitted."""
    return not cycle.independent_scoring or (sheet is not None and sheet.state == SheetState.SUBMITTED)
