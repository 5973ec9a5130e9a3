"""Score sheets (评分表): each expert scores each dossier of the panel, item by item, on their own (Art. 12).

A sheet is saved as a draft as often as the expert likes, as a whole (the page's form) or one item at a time (the
page's autosave); percentages are whole numbers from 0 to 100 in the cycle's `score_step`. Submitting needs every
item scored and locks the sheet; only the secretariat reopens a submitted sheet, with a reason that stays in the
audit trail.
"""

from dataclasses import dataclass, field

from django.core.validators import ProhibitNullCharactersValidator
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Dossier
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import Criteria, CriteriaItem, Cycle
from mayor_award.core.services import audit_record

from . import scoring
from .enums import ExpertStatus, ReviewStage, SeatStatus, SheetState
from .models import Conflict, Expert, ItemScore, OnsiteVisit, PanelDossier, Pledge, ScoreSheet, Seat
from .selectors import REVIEW_PHASES, UNDER_REVIEW_STATES

_OPEN_ITEM_MODELS = (ItemScore, ScoreSheet, Seat, Expert, Dossier, PanelDossier, Cycle, Criteria, CriteriaItem)
_OPEN_ITEM_MODELS += (Pledge, Conflict, OnsiteVisit)
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


def _check_text(code: str, entry: dict):
    """Refuse a NUL character, which PostgreSQL text cannot store (Django's message, as its forms give it)."""
    if any("\x00" in (entry.get(name) or "") for name in ("strengths", "opportunities")):
        raise SheetError(f"{code}: {ProhibitNullCharactersValidator.message}")


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
        _check_text(code, entry)
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
    _check_text(code, entry)
    _write(row, entry, by)
    sheet._history_user = by
    sheet.save(update_fields=["updated_at"])
    return row


# --- the lean reads of the score page and its autosave ---


@dataclass
class Layout:
    """A criteria version's scored items (with their categories) in order, and the same as scoring.Items.

    Built once per process and criteria version: a version is never edited once published (a correction is a new
    version), so the 23 items, their categories and points are read from the database once, not per request."""

    items: list[CriteriaItem]
    by_id: dict[int, CriteriaItem] = field(init=False)
    scoring_items: list[scoring.Item] = field(init=False)

    def __post_init__(self):
        self.by_id = {item.pk: item for item in self.items}
        self.scoring_items = [
            scoring.Item(code=item.code, category=item.category.code, points=item.points) for item in self.items
        ]


_layouts: dict[tuple, Layout] = {}


def criteria_layout(criteria) -> Layout:
    """The Layout of a Criteria row (its id and creation time are the key: a test database may reuse an id)."""
    return criteria_layout_of(criteria.pk, criteria.created_at)


def criteria_layout_of(criteria_id: int, created_at) -> Layout:
    """The Layout of the criteria version `criteria_id` created at `created_at` (as the database gave it)."""
    key = (criteria_id, created_at)
    layout = _layouts.get(key)
    if layout is None:
        items = CriteriaItem.objects.filter(category__criteria_id=criteria_id).select_related("category")
        layout = _layouts[key] = Layout(list(items.order_by("category__position", "position")))
    return layout


@dataclass
class Line:
    """One row of a sheet as the page shows it: the criteria item and what the expert entered."""

    item: CriteriaItem
    percent: int | None
    strengths: str
    opportunities: str
    points: object = None

    @property
    def item_id(self):
        return self.item.pk


def sheet_lines(sheet: ScoreSheet, layout: Layout) -> list[Line]:
    """The sheet's rows in the criteria's order, read as plain values (one query, no model per row)."""
    saved = {
        item_id: (percent, strengths, opportunities)
        for item_id, percent, strengths, opportunities in sheet.items.values_list(
            "item_id", "percent", "strengths", "opportunities"
        )
    }
    return [Line(item, *saved[item.pk]) for item in layout.items if item.pk in saved]


def lines_total(layout: Layout, percents: dict[str, int | None]):
    """sheet_total's figures from the item codes' percentages (a draft's running sum, and per category code)."""
    draft = scoring.Sheet(expert_id=None, percents=percents, step=1)
    return (
        scoring.sheet_total(layout.scoring_items, draft, partial=True),
        scoring.category_totals(layout.scoring_items, draft, partial=True),
    )


def _scorable(user, dossier_pk, stage: str, prefix: str = "") -> Q:
    """The conditions under which the review pages let `user` score the dossier in `stage` on a sheet (the path to
    ScoreSheet is `prefix`): what dossiers_for_expert, seat_for and may_score check, as one filter."""
    p = prefix
    conditions = Q(
        **{
            f"{p}seat__expert__user": user,
            f"{p}seat__expert__status": ExpertStatus.ACTIVE,
            f"{p}seat__status": SeatStatus.ACCEPTED,
            f"{p}dossier_id": dossier_pk,
            f"{p}dossier__panel_assignment__panel_id": F(f"{p}seat__panel_id"),
            f"{p}dossier__cycle__phase__in": REVIEW_PHASES,
            f"{p}dossier__state__in": UNDER_REVIEW_STATES,
            f"{p}stage": stage,
        }
    )
    conditions &= Q(
        Exists(Pledge.objects.filter(expert=OuterRef(f"{p}seat__expert"), cycle=OuterRef(f"{p}dossier__cycle")))
    )
    conditions &= ~Q(
        Exists(
            Conflict.objects.filter(
                expert=OuterRef(f"{p}seat__expert"), organisation=OuterRef(f"{p}dossier__organisation")
            )
        )
    )
    if stage == ReviewStage.ONSITE:
        team = OnsiteVisit.team.through.objects.filter(onsitevisit__dossier=OuterRef(f"{p}dossier"))
        conditions &= ~Q(Exists(team)) | Q(Exists(team.filter(seat=OuterRef(f"{p}seat"))))
    return conditions


def scorable_sheet(user, dossier_pk, stage: str) -> ScoreSheet | None:
    """The user's sheet of the dossier and stage when they may score it (see _scorable); one query. None when the
    sheet is not made yet or the user may not: the caller then takes the long way (which tells them apart)."""
    return (
        ScoreSheet.objects.filter(_scorable(user, dossier_pk, stage))
        .select_related("dossier__cycle__criteria", "dossier__organisation")
        .first()
    )


@dataclass
class OpenItem:
    """What the autosave needs of a row it may write: the row, its sheet (locked), the cycle's step and the
    criteria's Layout."""

    row: ItemScore
    sheet: ScoreSheet
    step: int
    layout: Layout


def _open_item_sql(stage: str) -> str:
    """The one statement of open_item: the same conditions as _scorable (the access of dossiers_for_expert,
    seat_for and may_score) plus an open draft, written out once rather than built by the ORM per request
    (building that query cost more than the rest of the autosave). test_scale_pages checks that each condition
    refuses."""
    qn = connection.ops.quote_name
    table = {model.__name__: qn(model._meta.db_table) for model in (*_OPEN_ITEM_MODELS, OnsiteVisit.team.through)}
    sheet_columns = ", ".join(f"s.{qn(field.column)}" for field in ScoreSheet._meta.concrete_fields)
    team = table[OnsiteVisit.team.through.__name__]
    # Table names from the models' _meta, every value a parameter: nothing from a request is spliced in.
    onsite = (
        f" AND (NOT EXISTS (SELECT 1 FROM {team} t JOIN {table['OnsiteVisit']} v ON v.id = t.onsitevisit_id"  # noqa: S608
        f" WHERE v.dossier_id = d.id) OR EXISTS (SELECT 1 FROM {team} t JOIN {table['OnsiteVisit']} v"
        " ON v.id = t.onsitevisit_id WHERE v.dossier_id = d.id AND t.seat_id = s.seat_id))"
        if stage == ReviewStage.ONSITE
        else ""
    )
    states = ", ".join(["%s"] * len(UNDER_REVIEW_STATES))
    lock = " FOR UPDATE OF s" if connection.features.has_select_for_update_of else ""
    return (
        f"SELECT {sheet_columns}, i.id AS row_id, i.item_id AS row_item_id, i.percent AS row_percent,"  # noqa: S608
        " i.strengths AS row_strengths, i.opportunities AS row_opportunities, c.score_step AS cycle_step,"
        " c.criteria_id AS cycle_criteria_id, cr.created_at AS criteria_created_at"
        f" FROM {table['ItemScore']} i"
        f" JOIN {table['ScoreSheet']} s ON s.id = i.sheet_id"
        f" JOIN {table['Seat']} st ON st.id = s.seat_id"
        f" JOIN {table['Expert']} e ON e.id = st.expert_id"
        f" JOIN {table['Dossier']} d ON d.id = s.dossier_id"
        f" JOIN {table['PanelDossier']} pd ON pd.dossier_id = d.id AND pd.panel_id = st.panel_id"
        f" JOIN {table['Cycle']} c ON c.id = d.cycle_id"
        f" JOIN {table['Criteria']} cr ON cr.id = c.criteria_id"
        f" JOIN {table['CriteriaItem']} ci ON ci.id = i.item_id"
        " WHERE e.user_id = %s AND e.status = %s AND st.status = %s AND s.dossier_id = %s AND s.stage = %s"
        f" AND s.state = %s AND c.phase = %s AND d.state IN ({states}) AND ci.code = %s"
        f" AND EXISTS (SELECT 1 FROM {table['Pledge']} p WHERE p.expert_id = e.id AND p.cycle_id = d.cycle_id)"
        f" AND NOT EXISTS (SELECT 1 FROM {table['Conflict']} k"
        " WHERE k.expert_id = e.id AND k.organisation_id = d.organisation_id)"
        f"{onsite}{lock}"
    )


_open_item_statements: dict[tuple, str] = {}


def open_item(user, dossier_pk, stage: str, code: str) -> OpenItem | None:
    """The row of item `code` on the user's draft sheet of the dossier and stage, when its stage is open and they
    may score it, with its sheet locked (as sheet_save_item locks it); one query, in a transaction. None
    otherwise: the caller then takes the long way, which refuses with the reason."""
    stage = ReviewStage(stage)
    key = (connection.vendor, stage)
    sql = _open_item_statements.get(key) or _open_item_statements.setdefault(key, _open_item_sql(stage))
    params = [user.pk, ExpertStatus.ACTIVE, SeatStatus.ACCEPTED, dossier_pk, stage, SheetState.DRAFT]
    params += [STAGE_PHASES[stage], *UNDER_REVIEW_STATES, code]
    plain = [str(value) if isinstance(value, str) else value for value in params]  # choices as their values
    found = next(iter(ScoreSheet.objects.raw(sql, plain)), None)
    if found is None:
        return None
    row = ItemScore(
        pk=found.row_id,
        sheet=found,
        item_id=found.row_item_id,
        percent=found.row_percent,
        strengths=found.row_strengths,
        opportunities=found.row_opportunities,
    )
    row._state.adding = False
    row._state.db = found._state.db
    layout = criteria_layout_of(found.cycle_criteria_id, found.criteria_created_at)
    row.item = layout.by_id[row.item_id]
    return OpenItem(row=row, sheet=found, step=found.cycle_step, layout=layout)


@transaction.atomic(savepoint=False)
def open_item_save(*, opened: OpenItem, entry: dict, by) -> ItemScore:
    """sheet_save_item for a row from open_item (its sheet locked and open): check, write, and touch the sheet."""
    row, sheet = opened.row, opened.sheet
    _check_percent(row.item.code, entry.get("percent"), opened.step)
    _check_text(row.item.code, entry)
    _write(row, entry, by)
    sheet._history_user = by
    sheet.save(update_fields=["updated_at"])
    return row


def sheet_percents(sheet_id: int, layout: Layout) -> dict[str, int | None]:
    """The sheet's percentages by item code (one query of two columns)."""
    return {
        layout.by_id[item_id].code: percent
        for item_id, percent in ItemScore.objects.filter(sheet_id=sheet_id).values_list("item_id", "percent")
        if item_id in layout.by_id
    }


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
