"""Excel export of every score of a cycle (评分汇总表), laid out for the file.

One sheet per stage with a row per item score (dossier, organisation, panel, expert, category, item, points earned,
percentage, the item's points, strengths, opportunities, the sheet's state and when it was submitted), and a
summary sheet with a row per dossier and stage: each expert's total of a submitted sheet, the panel's aggregate
(the cycle's aggregate over the submitted sheets, scoring.panel_result) and the recorded consensus total. Headers
are in Chinese (gettext under zh-hans), the header row is frozen, columns have widths.

The workbook is written in openpyxl's write-only mode into a temporary file (a large cycle is a few hundred
thousand rows), in a fixed number of queries.
"""

import datetime as dt
import tempfile
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from mayor_award.core.models import CriteriaItem, Cycle
from mayor_award.core.services import audit_record

from . import scoring
from .enums import ConsensusState, ReviewStage, SheetState
from .models import Consensus, ItemScore, PanelDossier

EXPORT_LANGUAGE = "zh-hans"
SPOOL_BYTES = 8 * 1024 * 1024

# (header, width) of the stages' sheets, in column order.
SCORE_COLUMNS = [
    (gettext_lazy("Dossier number"), 14),
    (gettext_lazy("Organisation"), 30),
    (gettext_lazy("Panel"), 18),
    (gettext_lazy("Expert"), 12),
    (gettext_lazy("Category"), 18),
    (gettext_lazy("Item code"), 10),
    (gettext_lazy("Item"), 28),
    (gettext_lazy("Points earned"), 10),
    (gettext_lazy("Percentage"), 10),
    (gettext_lazy("Item points"), 10),
    (gettext_lazy("Strengths"), 40),
    (gettext_lazy("Opportunities for improvement"), 40),
    (gettext_lazy("Sheet state"), 10),
    (gettext_lazy("Submitted at"), 18),
]
SUMMARY_COLUMNS = [
    (gettext_lazy("Dossier number"), 14),
    (gettext_lazy("Organisation"), 30),
    (gettext_lazy("Panel"), 18),
    (gettext_lazy("Stage"), 12),
    (gettext_lazy("Sheets submitted"), 10),
    (gettext_lazy("Panel aggregate"), 12),
    (gettext_lazy("Consensus total"), 12),
]
EXPERT_COLUMNS = [(gettext_lazy("Expert %(n)s"), 12), (gettext_lazy("Total %(n)s"), 10)]
SUMMARY_TITLE = pgettext_lazy("score export sheet", "Summary")
WIDE_PANEL = 9  # expert columns given a width; a larger panel still gets its columns
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
POINTS_FORMAT = "0.00"


def filename(cycle) -> str:
    with translation.override(EXPORT_LANGUAGE):
        return _("scores-cycle-%(number)s") % {"number": cycle.number} + ".xlsx"


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


class _Writer:
    """Cells for a write-only sheet: bold headers, text never read as a formula, numbers with formats."""

    def __init__(self, workbook):
        from openpyxl.styles import Alignment, Font, PatternFill

        self.workbook = workbook
        self.header_font = Font(bold=True)
        self.header_fill = PatternFill("solid", fgColor="DDEBF7")
        self.wrap = Alignment(wrap_text=True, vertical="top")

    def sheet(self, title, columns):
        sheet = self.workbook.create_sheet(title=str(title)[:31])
        sheet.freeze_panes = "A2"
        for index, (_header, width) in enumerate(columns, start=1):
            sheet.column_dimensions[_column_letter(index)].width = width
        return sheet

    def header(self, sheet, labels):
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for label in labels:
            cell = WriteOnlyCell(sheet, value=str(label))
            cell.font = self.header_font
            cell.fill = self.header_fill
            cells.append(cell)
        sheet.append(cells)

    def text(self, sheet, value, wrap=False):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("", str(value or ""))
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # "=…" typed by an expert stays text, never a formula
        if wrap:
            cell.alignment = self.wrap
        return cell

    def number(self, sheet, value, number_format=None):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        if number_format and value is not None:
            cell.number_format = number_format
        return cell

    def moment(self, sheet, value):
        from openpyxl.cell import WriteOnlyCell

        local = timezone.localtime(value).replace(tzinfo=None) if isinstance(value, dt.datetime) else None
        cell = WriteOnlyCell(sheet, value=local)
        if local is not None:
            cell.number_format = DATETIME_FORMAT
        return cell


def _score_rows(cycle):
    return (
        ItemScore.objects.filter(sheet__dossier__cycle=cycle)
        .order_by(
            "sheet__stage",
            "sheet__dossier__number",
            "sheet__dossier_id",
            "sheet__seat__expert__user__name",
            "sheet_id",
            "item__category__position",
            "item__position",
        )
        .values_list(
            "sheet_id",
            "sheet__stage",
            "sheet__state",
            "sheet__submitted_at",
            "sheet__seat__expert_id",
            "sheet__dossier_id",
            "sheet__dossier__number",
            "sheet__dossier__organisation__name",
            "sheet__seat__panel__name",
            "sheet__seat__expert__user__name",
            "sheet__seat__expert__user__username",
            "item_id",
            "percent",
            "strengths",
            "opportunities",
        )
    )


def write_workbook(cycle: Cycle, stream) -> int:
    """Write the cycle's scores as an .xlsx into `stream`; returns the number of item-score rows."""
    from openpyxl import Workbook

    items = {
        item.pk: item
        for item in CriteriaItem.objects.filter(category__criteria_id=cycle.criteria_id).select_related("category")
    }
    scoring_items = [
        scoring.Item(code=item.code, category=item.category.code, points=item.points)
        for item in sorted(items.values(), key=lambda item: (item.category.position, item.position))
    ]
    aggregate = scoring.Aggregate.TRIMMED_MEAN if cycle.trimmed_aggregate else scoring.Aggregate.MEAN

    workbook = Workbook(write_only=True)
    cells = _Writer(workbook)
    summary = cells.sheet(SUMMARY_TITLE, SUMMARY_COLUMNS + EXPERT_COLUMNS * WIDE_PANEL)
    stage_sheets = {}
    for stage in ReviewStage:
        stage_sheets[stage.value] = sheet = cells.sheet(stage.label, SCORE_COLUMNS)
        cells.header(sheet, [header for header, _width in SCORE_COLUMNS])

    # Submitted sheets for the summary: (dossier, stage) -> {sheet_id: (expert name, {code: percent})}.
    submitted = defaultdict(dict)
    any_sheet = set()
    count = 0
    for (
        sheet_id,
        stage,
        state,
        submitted_at,
        _expert_id,
        dossier_id,
        number,
        organisation,
        panel,
        name,
        username,
        item_id,
        percent,
        strengths,
        opportunities,
    ) in _score_rows(cycle).iterator(chunk_size=2000):
        item = items.get(item_id)
        sheet = stage_sheets.get(stage)
        if item is None or sheet is None:
            continue
        expert = name or username
        any_sheet.add((dossier_id, stage))
        if state == SheetState.SUBMITTED:
            entry = submitted[(dossier_id, stage)].setdefault(sheet_id, (expert, {}))
            entry[1][item.code] = percent
        earned = scoring.item_points(item.points, percent) if percent is not None else None
        sheet.append(
            [
                cells.text(sheet, number),
                cells.text(sheet, organisation),
                cells.text(sheet, panel),
                cells.text(sheet, expert),
                cells.text(sheet, f"{item.category.code} {item.category.name}"),
                cells.text(sheet, item.code),
                cells.text(sheet, item.name),
                cells.number(sheet, earned, POINTS_FORMAT),
                cells.number(sheet, percent),
                cells.number(sheet, item.points),
                cells.text(sheet, strengths, wrap=True),
                cells.text(sheet, opportunities, wrap=True),
                cells.text(sheet, SheetState(state).label),
                cells.moment(sheet, submitted_at),
            ]
        )
        count += 1

    consensus = {
        (dossier_id, stage): total
        for dossier_id, stage, total in Consensus.objects.filter(
            dossier__cycle=cycle, state=ConsensusState.RECORDED
        ).values_list("dossier_id", "stage", "total")
    }
    assignments = list(
        PanelDossier.objects.filter(panel__cycle=cycle)
        .order_by("dossier__number", "dossier_id")
        .values_list("dossier_id", "dossier__number", "dossier__organisation__name", "panel__name")
    )
    rows = []
    for dossier_id, number, organisation, panel in assignments:
        for stage in ReviewStage:
            key = (dossier_id, stage.value)
            if stage != ReviewStage.MATERIAL and key not in any_sheet and key not in consensus:
                continue
            sheets = sorted(submitted.get(key, {}).values(), key=lambda entry: entry[0])
            totals = []
            scoring_sheets = []
            for index, (expert, percents) in enumerate(sheets):
                scored = scoring.Sheet(expert_id=index, percents=percents, step=1)
                totals.append((expert, scoring.sheet_total(scoring_items, scored, partial=True)))
                scoring_sheets.append(scored)
            try:
                panel_total = (
                    scoring.panel_result(scoring_items, scoring_sheets, aggregate, cycle.outlier_points).total
                    if scoring_sheets
                    else None
                )
            except scoring.ScoreError:  # a submitted sheet missing an item: no aggregate can be given
                panel_total = None
            rows.append((number, organisation, panel, stage.label, totals, panel_total, consensus.get(key)))

    widest = max((len(row[4]) for row in rows), default=0)
    headers = [header for header, _width in SUMMARY_COLUMNS]
    for n in range(1, widest + 1):
        headers += [str(label) % {"n": n} for label, _width in EXPERT_COLUMNS]
    cells.header(summary, headers)
    for number, organisation, panel, stage_label, totals, panel_total, consensus_total in rows:
        line = [
            cells.text(summary, number),
            cells.text(summary, organisation),
            cells.text(summary, panel),
            cells.text(summary, stage_label),
            cells.number(summary, len(totals)),
            cells.number(summary, _rounded(panel_total), "0.0000"),
            cells.number(summary, consensus_total, POINTS_FORMAT),
        ]
        for expert, total in totals:
            line += [cells.text(summary, expert), cells.number(summary, total, POINTS_FORMAT)]
        summary.append(line)
    workbook.save(stream)
    return count


def _rounded(value: Decimal | None):
    """An aggregate to four places (a mean over three experts has no finite decimal form), for the cell."""
    return None if value is None else Decimal(scoring.display(value, 4))


@transaction.atomic
def scores_export(*, cycle: Cycle, by):
    """Write every score of the cycle into a workbook (评分汇总表) and record "review.scores_exported".

    Returns an open temporary file positioned at its start (the caller streams it and closes it) and its name.
    """
    stream = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by the FileResponse
    with translation.override(EXPORT_LANGUAGE):
        count = write_workbook(cycle, stream)
    stream.seek(0)
    audit_record(actor=by, action="review.scores_exported", obj=cycle, data={"rows": count})
    return stream, filename(cycle)
