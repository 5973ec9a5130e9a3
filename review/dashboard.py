"""The secretariat's review dashboard (评审进度): progress, late experts, reminders, and the charts' data.

`review_dashboard(cycle, page)` shows the panels a page at a time (PANELS_PER_PAGE, by name) and reads what the
page shows in a fixed number of queries, whatever the number of panels, dossiers and experts: the cycle-wide
figures (totals per stage, the late experts' count, the spread per item over every panel) from database aggregates,
a row per panel, seat or item, never one per score; the rest from the rows of the page's panels only, in Python:

- progress per panel and stage: sheets submitted out of expected, where expected is every accepted seat times
  every dossier of the panel in that stage (the material review: the panel's dossiers still in the competition;
  the on-site review: those selected for it, none before the selection is made), less the pairs of an expert and
  an organisation in conflict (the expert never opens that dossier); and the consensuses recorded;
- late experts (of the page's panels; counted over every panel): accepted seats with sheets of the stage now
  open not submitted (drafts) or not started, and the days since the stage opened (the cycle's phase change);
- the charts' data of the page's panels (JSON, read by static/review/dashboard.js): per dossier the seven
  categories as shares of their points, material against on-site (the recorded consensus, or else the mean of the
  submitted sheets); per expert the signed difference of their percentages from the panel's aggregate per item
  (calibration); per item the spread of the percentages across experts.

`reminders_send` queues one reminder e-mail per chosen late expert (task_send_review_reminder, after commit);
`reminder_mail` sends it once and records "review.reminder_sent".
"""

import datetime as dt
import hashlib
import logging
import math
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import rules
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Avg, Count, Exists, F, Max, Min, OuterRef, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.enums import DossierState
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent, CriteriaItem, Cycle, User
from mayor_award.core.rules import is_secretariat
from mayor_award.core.services import audit_record

from . import scoring
from .enums import ConsensusState, ReviewStage, SeatStatus, SelectionOutcome, SheetState
from .models import Conflict, Consensus, ConsensusItem, ItemScore, Panel, PanelDossier, ScoreSheet, Seat

logger = logging.getLogger(__name__)

AUDIT_LABELS = {
    "review.reminder_requested": gettext_lazy("reminder to a late expert requested"),
    "review.reminder_sent": gettext_lazy("reminder sent to a late expert"),
    "review.reminder_skipped": gettext_lazy("reminder not sent: the expert is no longer late"),
    "review.scores_exported": gettext_lazy("scores exported to Excel"),
}
REMINDER_REQUESTED = "review.reminder_requested"
REMINDER_SENT = "review.reminder_sent"
REMINDER_SKIPPED = "review.reminder_skipped"
# A request older than this is no longer worth sending by the sweeper (the stage has usually moved on).
REMINDER_SWEEP_DAYS = 7

rules.add_perm("review.view_review_dashboard", is_secretariat)
rules.add_perm("review.remind_experts", is_secretariat)
rules.add_perm("review.export_scores", is_secretariat)

STAGES = (ReviewStage.MATERIAL, ReviewStage.ONSITE)
STAGE_PHASES = {ReviewStage.MATERIAL: CyclePhase.MATERIAL_REVIEW, ReviewStage.ONSITE: CyclePhase.ONSITE_REVIEW}
# Dossiers that never reached the review or left it: nobody scores them.
OUT_OF_REVIEW = (
    DossierState.DRAFT,
    DossierState.SUBMITTED,
    DossierState.CORRECTION,
    DossierState.INELIGIBLE,
    DossierState.WITHDRAWN,
)
CHART_PLACES = 1
CHARTS_CACHE_SECONDS = 6 * 60 * 60
# Panels per page of the dashboard: their progress rows, late experts, radars and calibration (7 seats and about
# 7 dossiers each) stay a page a browser renders at once.
PANELS_PER_PAGE = 10


class DashboardError(Exception):
    """A dashboard action was refused; the message says why, in the user's language."""


def current_stage(cycle) -> ReviewStage | None:
    """The stage whose sheets are being scored now, from the cycle's phase; None outside the review phases."""
    for stage, phase in STAGE_PHASES.items():
        if cycle.phase == phase:
            return stage
    return None


def dashboard_cycle(cycle_pk=None):
    """The cycle asked for, or the latest one with panels (else the latest one); None when there is none."""
    cycles = Cycle.objects.order_by("-number")
    if cycle_pk is not None:
        return cycles.filter(pk=cycle_pk).first()
    return cycles.filter(panels__isnull=False).distinct().first() or cycles.first()


def in_stage(dossier, stage) -> bool:
    """Whether the dossier is scored in `stage`: still in the competition and, on site, selected for it."""
    if dossier.state in OUT_OF_REVIEW:
        return False
    if stage == ReviewStage.ONSITE:
        selection = _selection(dossier)
        return selection is not None and selection.outcome == SelectionOutcome.SELECTED
    return True


def _selection(dossier):
    # A reverse one-to-one without a row raises RelatedObjectDoesNotExist, an AttributeError.
    return getattr(dossier, "onsite_selection", None)


# --- what the page shows ---


@dataclass
class StageProgress:
    stage: ReviewStage
    dossiers: int  # dossiers of the panel scored in this stage
    expected: int  # sheets: accepted seats x dossiers, less conflicts
    submitted: int
    drafts: int
    consensus_recorded: int
    selection_made: bool = True  # on site: whether the selection for the on-site review exists yet

    @property
    def label(self):
        return self.stage.label

    @property
    def percent(self) -> int:
        return self.submitted * 100 // self.expected if self.expected else 0

    @property
    def complete(self) -> bool:
        return self.expected > 0 and self.submitted == self.expected


@dataclass
class PanelProgress:
    panel: Panel
    seats: list
    dossiers: list
    stages: list = field(default_factory=list)


@dataclass
class LateExpert:
    seat: Seat
    stage: ReviewStage
    not_started: list  # dossiers without a sheet
    drafts: list  # dossiers with a draft sheet
    days: int | None  # since the stage opened

    @property
    def missing(self) -> list:
        return sorted(self.not_started + self.drafts, key=lambda dossier: dossier.number or "")


@dataclass
class Dashboard:
    cycle: Cycle
    stage: ReviewStage | None  # the stage open now
    stage_opened_at: dt.datetime | None
    panels: list
    late: list
    charts: dict  # of the panels on the page
    totals: dict  # of every panel
    page: object = None  # the page of panels (django.core.paginator.Page)
    late_only: bool = False  # the pages list only the panels with a late expert
    late_count: int = 0  # late experts in every panel
    late_panel_count: int = 0
    panel_count: int = 0
    spread: list = field(default_factory=list)  # per stage: {"code", "label", "rows"}, every panel's scores per item


@dataclass
class _Rows:
    """Everything read for one cycle: one query each."""

    panels: list
    assignments: list
    seats: list
    conflicts: set
    sheets: list  # (pk, seat_id, dossier_id, stage, state, submitted_at)
    consensuses: list  # (pk, dossier_id, stage, state, recorded_at)
    items: list
    percents: dict = field(default_factory=dict)  # submitted sheet pk -> {item_id: percent}, read by _read_scores
    agreed: dict = field(default_factory=dict)  # recorded consensus pk -> {item_id: percent}, read by _read_scores


# The JSON fields the page never shows: decoding every panel's draw record once per seat cost most of a request.
SEAT_JSON = (
    "panel__draw_record",
    "panel__industries",
    "expert__former_employers",
    "expert__qualifications",
    "expert__industries",
)


def _read(cycle, panel_ids=None) -> _Rows:
    """The rows of the cycle's panels, or of the panels `panel_ids` only (a page of the dashboard)."""
    on_panels = {} if panel_ids is None else {"panel__in": list(panel_ids)}
    on_seat_panels = {} if panel_ids is None else {"seat__panel__in": list(panel_ids)}
    panels = list(
        Panel.objects.filter(cycle=cycle, **({} if panel_ids is None else {"pk__in": list(panel_ids)}))
        .defer("draw_record")
        .order_by("name")
    )
    assignments = list(
        PanelDossier.objects.filter(panel__cycle=cycle, **on_panels)
        .select_related("dossier__organisation", "dossier__onsite_selection")
        .defer("dossier__correction_sections", "dossier__precheck_findings")
        .order_by("dossier__number", "dossier_id")
    )
    seats = list(
        Seat.objects.filter(panel__cycle=cycle, status=SeatStatus.ACCEPTED, **on_panels)
        .select_related("panel", "expert__user")
        .defer(*SEAT_JSON)
        .order_by("panel__name", "rank", "pk")
    )
    conflicts = set(
        Conflict.objects.filter(
            expert__seats__panel__cycle=cycle,
            expert__seats__status=SeatStatus.ACCEPTED,
            **({} if panel_ids is None else {"expert__seats__panel__in": list(panel_ids)}),
        )
        .values_list("expert_id", "organisation_id")
        .distinct()
    )
    sheets = list(
        ScoreSheet.objects.filter(seat__panel__cycle=cycle, **on_seat_panels).values_list(
            "pk", "seat_id", "dossier_id", "stage", "state", "submitted_at"
        )
    )
    consensuses = list(
        Consensus.objects.filter(panel__cycle=cycle, **on_panels).values_list(
            "pk", "dossier_id", "stage", "state", "recorded_at"
        )
    )
    items = list(
        CriteriaItem.objects.filter(category__criteria_id=cycle.criteria_id)
        .select_related("category")
        .order_by("category__position", "position")
    )
    return _Rows(panels, assignments, seats, conflicts, sheets, consensuses, items)


def _read_scores(cycle, rows: _Rows):
    """The submitted sheets' and recorded consensuses' percentages (the charts only): every score of the panels
    read in `rows` (a page's panels on the dashboard)."""
    panel_ids = [panel.pk for panel in rows.panels]
    percents: dict = defaultdict(dict)
    for sheet_id, item_id, percent in ItemScore.objects.filter(
        sheet__seat__panel__cycle=cycle,
        sheet__seat__panel__in=panel_ids,
        sheet__state=SheetState.SUBMITTED,
        percent__isnull=False,
    ).values_list("sheet_id", "item_id", "percent"):
        percents[sheet_id][item_id] = percent
    agreed: dict = defaultdict(dict)
    for consensus_id, item_id, percent in ConsensusItem.objects.filter(
        consensus__panel__cycle=cycle,
        consensus__panel__in=panel_ids,
        consensus__state=ConsensusState.RECORDED,
        percent__isnull=False,
    ).values_list("consensus_id", "item_id", "percent"):
        agreed[consensus_id][item_id] = percent
    rows.percents, rows.agreed = dict(percents), dict(agreed)


def _days_since(moment) -> int | None:
    return None if moment is None else max((timezone.now() - moment).days, 0)


def _panel_progress(cycle, rows: _Rows, open_stage, days) -> tuple[list, list]:
    """Progress per panel and stage of the panels read in `rows`, and their late experts (in the seats' order)."""
    dossiers_of = defaultdict(list)
    for assignment in rows.assignments:
        dossiers_of[assignment.panel_id].append(assignment.dossier)
    seats_of = defaultdict(list)
    for seat in rows.seats:
        seats_of[seat.panel_id].append(seat)
    sheet_state = {(seat_id, dossier_id, stage): state for _pk, seat_id, dossier_id, stage, state, _at in rows.sheets}
    recorded = {
        (dossier_id, stage)
        for _pk, dossier_id, stage, state, _at in rows.consensuses
        if state == ConsensusState.RECORDED
    }
    progress, late_by_seat = [], {}
    for panel in rows.panels:
        entry = PanelProgress(panel=panel, seats=seats_of[panel.pk], dossiers=dossiers_of[panel.pk])
        for stage in STAGES:
            stage_dossiers = [dossier for dossier in entry.dossiers if in_stage(dossier, stage)]
            counts = {"expected": 0, "submitted": 0, "drafts": 0}
            for seat in entry.seats:
                for dossier in stage_dossiers:
                    if (seat.expert_id, dossier.organisation_id) in rows.conflicts:
                        continue
                    counts["expected"] += 1
                    state = sheet_state.get((seat.pk, dossier.pk, stage))
                    if state == SheetState.SUBMITTED:
                        counts["submitted"] += 1
                        continue
                    if state == SheetState.DRAFT:
                        counts["drafts"] += 1
                    if stage == open_stage:
                        late = late_by_seat.setdefault(
                            seat.pk, LateExpert(seat=seat, stage=stage, not_started=[], drafts=[], days=days)
                        )
                        (late.drafts if state == SheetState.DRAFT else late.not_started).append(dossier)
            entry.stages.append(
                StageProgress(
                    stage=stage,
                    dossiers=len(stage_dossiers),
                    consensus_recorded=sum((dossier.pk, stage) in recorded for dossier in stage_dossiers),
                    selection_made=stage != ReviewStage.ONSITE
                    or any(_selection(dossier) is not None for dossier in entry.dossiers),
                    **counts,
                )
            )
        progress.append(entry)
    return progress, list(late_by_seat.values())


# --- cycle-wide figures, from database aggregates (a row per panel, seat or item, never one per score) ---


@dataclass
class CycleSummary:
    """The figures of every panel of the cycle: the totals per stage and which panels have a late expert."""

    panel_ids: list  # every panel, by name
    totals: dict  # stage value -> StageProgress
    late_seats: dict  # seat pk -> panel pk, in the stage open now

    @property
    def late_panels(self) -> set:
        return set(self.late_seats.values())


def _in_stage_flags(state, outcome) -> dict:
    in_review = state not in OUT_OF_REVIEW
    return {
        ReviewStage.MATERIAL: in_review,
        ReviewStage.ONSITE: in_review and outcome == SelectionOutcome.SELECTED,
    }


def _sheet_counts(cycle) -> list:
    """(seat pk, stage, state, count) of the sheets that count for progress: an accepted seat's sheet of a dossier
    of its own panel, in the review in that stage, with no conflict between the expert and the organisation."""
    conflicted = Conflict.objects.filter(
        expert_id=OuterRef("seat__expert_id"), organisation_id=OuterRef("dossier__organisation_id")
    )
    return list(
        ScoreSheet.objects.filter(
            seat__panel__cycle=cycle,
            seat__status=SeatStatus.ACCEPTED,
            dossier__panel_assignment__panel_id=F("seat__panel_id"),
            state__in=[SheetState.SUBMITTED, SheetState.DRAFT],
        )
        .exclude(dossier__state__in=OUT_OF_REVIEW)
        .filter(Q(stage=ReviewStage.MATERIAL) | Q(dossier__onsite_selection__outcome=SelectionOutcome.SELECTED))
        .exclude(Exists(conflicted))
        .values("seat_id", "stage", "state")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("seat_id", "stage", "state", "count")
    )


def cycle_summary(cycle, open_stage) -> CycleSummary:
    """Totals per stage over every panel and the late seats of the stage open now, in five queries."""
    panel_ids = list(Panel.objects.filter(cycle=cycle).order_by("name", "pk").values_list("pk", flat=True))
    dossiers_of = defaultdict(list)  # panel -> [(organisation, {stage: in it})]
    for panel_id, organisation_id, state, outcome in PanelDossier.objects.filter(panel__cycle=cycle).values_list(
        "panel_id", "dossier__organisation_id", "dossier__state", "dossier__onsite_selection__outcome"
    ):
        dossiers_of[panel_id].append((organisation_id, _in_stage_flags(state, outcome)))
    seats = list(
        Seat.objects.filter(panel__cycle=cycle, status=SeatStatus.ACCEPTED).values_list("pk", "panel_id", "expert_id")
    )
    conflicts = set(
        Conflict.objects.filter(expert__seats__panel__cycle=cycle, expert__seats__status=SeatStatus.ACCEPTED)
        .values_list("expert_id", "organisation_id")
        .distinct()
    )
    counted = defaultdict(int)  # (seat, stage, state) -> sheets
    for seat_id, stage, state, count in _sheet_counts(cycle):
        counted[(seat_id, stage, state)] += count
    recorded = defaultdict(int)
    for stage, count in (
        Consensus.objects.filter(panel__cycle=cycle, state=ConsensusState.RECORDED)
        .exclude(dossier__state__in=OUT_OF_REVIEW)
        .filter(Q(stage=ReviewStage.MATERIAL) | Q(dossier__onsite_selection__outcome=SelectionOutcome.SELECTED))
        .values("stage")
        .annotate(count=Count("dossier_id", distinct=True))
        .order_by()
        .values_list("stage", "count")
    ):
        recorded[stage] = count

    totals = {stage.value: StageProgress(stage, 0, 0, 0, 0, recorded[stage.value]) for stage in STAGES}
    late_seats = {}
    for stage in STAGES:
        total = totals[stage.value]
        total.dossiers = sum(flags[stage] for entries in dossiers_of.values() for _org, flags in entries)
        for seat_id, panel_id, expert_id in seats:
            expected = sum(
                1 for org, flags in dossiers_of[panel_id] if flags[stage] and (expert_id, org) not in conflicts
            )
            submitted = counted[(seat_id, stage.value, SheetState.SUBMITTED)]
            total.expected += expected
            total.submitted += submitted
            total.drafts += counted[(seat_id, stage.value, SheetState.DRAFT)]
            if stage == open_stage and submitted < expected:
                late_seats[seat_id] = panel_id
    return CycleSummary(panel_ids=panel_ids, totals=totals, late_seats=late_seats)


def _spread_key(cycle) -> str:
    """What the cycle-wide spread is computed from: a submitted sheet is locked, and submitting again after a
    reopening gives it a new time, so the count, the ids and the latest time per stage stand for the scores."""
    fingerprint = list(
        ScoreSheet.objects.filter(seat__panel__cycle=cycle, state=SheetState.SUBMITTED)
        .values("stage")
        .annotate(count=Count("pk"), ids=Sum("pk"), last=Max("submitted_at"))
        .order_by("stage")
        .values_list("stage", "count", "ids", "last")
    )
    return (
        "review-dashboard-spread:"
        + hashlib.sha256(
            repr((cycle.pk, cycle.criteria_id, translation.get_language(), fingerprint)).encode()
        ).hexdigest()
    )


def cycle_spread(cycle, items) -> list:
    """Per stage, per item of the criteria, the submitted percentages of every panel (评分离散度): how many, their
    mean, population standard deviation, lowest and highest. One GROUP BY in the database; the standard deviation
    from the mean of the squares (SQLite has no StdDev)."""
    rows = (
        ItemScore.objects.filter(
            sheet__seat__panel__cycle=cycle, sheet__state=SheetState.SUBMITTED, percent__isnull=False
        )
        .values("sheet__stage", "item_id")
        .annotate(
            count=Count("pk"),
            mean=Avg("percent"),
            squares=Avg(F("percent") * F("percent")),
            lowest=Min("percent"),
            highest=Max("percent"),
        )
        .order_by()
    )
    figures = {(row["sheet__stage"], row["item_id"]): row for row in rows}
    spread = []
    for stage in STAGES:
        stage_rows = []
        spread.append({"code": stage.value, "label": str(stage.label), "rows": stage_rows})
        for item in items:
            row = figures.get((stage.value, item.pk))
            if row is None:
                continue
            mean = Decimal(str(row["mean"]))
            variance = max(Decimal(str(row["squares"])) - mean * mean, Decimal(0))
            stage_rows.append(
                {
                    "item": item.code,
                    "title": item.name,
                    "count": row["count"],
                    "mean": _float(mean),
                    "std_dev": _float(variance.sqrt()),
                    "lowest": _float(row["lowest"]),
                    "highest": _float(row["highest"]),
                }
            )
    return spread


def _cycle_spread_cached(cycle, items) -> list:
    key = _spread_key(cycle)
    spread = cache.get(key)
    if spread is None:
        spread = cycle_spread(cycle, items)
        cache.set(key, spread, CHARTS_CACHE_SECONDS)
    return spread


def review_dashboard(cycle, page=1, late_only=False) -> Dashboard:
    """One page of the dashboard of one cycle: the progress, late experts and charts of PANELS_PER_PAGE panels
    (only those with a late expert when `late_only`), and the cycle-wide totals and spread per item, in a fixed
    number of queries whatever the number of panels, dossiers and experts."""
    open_stage = current_stage(cycle)
    days = _days_since(cycle.phase_changed_at) if open_stage else None
    summary = cycle_summary(cycle, open_stage)
    listed = summary.panel_ids
    if late_only:
        late_panels = summary.late_panels
        listed = [pk for pk in listed if pk in late_panels]
    panel_page = Paginator(listed, PANELS_PER_PAGE).get_page(page)
    rows = _read(cycle, list(panel_page.object_list))
    progress, late = _panel_progress(cycle, rows, open_stage, days)
    panel_names = {panel.pk: panel.name for panel in rows.panels}
    return Dashboard(
        cycle=cycle,
        stage=open_stage,
        stage_opened_at=cycle.phase_changed_at if open_stage else None,
        panels=progress,
        late=late,
        charts=_charts(cycle, rows, panel_names),
        totals=summary.totals,
        page=panel_page,
        late_only=late_only,
        late_count=len(summary.late_seats),
        late_panel_count=len(summary.late_panels),
        panel_count=len(summary.panel_ids),
        spread=_cycle_spread_cached(cycle, rows.items),
    )


# --- the charts' data ---


def _float(value, places=CHART_PLACES) -> float:
    return float(scoring.display(Decimal(value), places))


def box(values) -> list[float]:
    """[minimum, lower quartile, median, upper quartile, maximum] of `values`, by linear interpolation."""
    ordered = sorted(Decimal(value) for value in values)
    if not ordered:
        return []

    def quantile(share: Decimal) -> Decimal:
        position = (len(ordered) - 1) * share
        low, high = math.floor(position), math.ceil(position)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return [_float(quantile(Decimal(q))) for q in ("0", "0.25", "0.5", "0.75", "1")]


def _mean_and_spread(values) -> tuple[float, float]:
    values = [Decimal(value) for value in values]
    mean = sum(values, Decimal(0)) / len(values)
    variance = sum(((value - mean) ** 2 for value in values), Decimal(0)) / len(values)
    return _float(mean), _float(variance.sqrt())


def _category_shares(categories, items, percent_of) -> list:
    """Each category's points earned as a share (%) of its points; None where an item has no percentage."""
    shares = []
    for category in categories:
        earned, complete = Decimal(0), True
        for item in items:
            if item.category_id != category.pk:
                continue
            percent = percent_of(item.pk)
            if percent is None:
                complete = False
                break
            earned += Decimal(item.points) * Decimal(percent) / 100
        shares.append(_float(earned * 100 / category.points) if complete and category.points else None)
    return shares


def _charts_key(cycle, rows: _Rows, panel_names: dict) -> str:
    """What the charts are computed from, but the percentages themselves: a submitted sheet and a recorded
    consensus are locked, and reopening and submitting again gives them a new time, so their ids and times stand
    for their percentages."""
    fingerprint = (
        cycle.pk,
        cycle.criteria_id,
        cycle.trimmed_aggregate,
        cycle.outlier_points,
        translation.get_language(),
        [row for row in rows.sheets if row[4] == SheetState.SUBMITTED],
        [row for row in rows.consensuses if row[3] == ConsensusState.RECORDED],
        [(a.panel_id, a.dossier_id, a.dossier.number, a.dossier.organisation.name) for a in rows.assignments],
        [(seat.pk, seat.panel_id, str(seat.expert)) for seat in rows.seats],
        sorted(panel_names.items()),
    )
    return "review-dashboard-charts:" + hashlib.sha256(repr(fingerprint).encode()).hexdigest()


def _charts(cycle, rows: _Rows, panel_names: dict) -> dict:
    """chart_data, cached until a sheet is submitted or reopened, a consensus recorded, or the panels change: the
    charts read every score of the cycle, the rest of the page a row per sheet."""
    key = _charts_key(cycle, rows, panel_names)
    charts = cache.get(key)
    if charts is None:
        _read_scores(cycle, rows)
        charts = chart_data(cycle, rows, panel_names)
        cache.set(key, charts, CHARTS_CACHE_SECONDS)
    return charts


def chart_data(cycle, rows: _Rows, panel_names: dict) -> dict:
    """The data of the three charts, as plain JSON-ready values (percentages rounded for display)."""
    categories = []
    for item in rows.items:
        if not categories or categories[-1].pk != item.category_id:
            categories.append(item.category)
    aggregate = scoring.Aggregate.TRIMMED_MEAN if cycle.trimmed_aggregate else scoring.Aggregate.MEAN
    seats = {seat.pk: seat for seat in rows.seats}
    item_by_pk = {item.pk: item for item in rows.items}

    # Submitted sheets per (dossier, stage): {seat_id: {item_id: percent}}.
    submitted = defaultdict(dict)
    for pk, seat_id, dossier_id, stage, state, _at in rows.sheets:
        if state == SheetState.SUBMITTED and pk in rows.percents:
            submitted[(dossier_id, stage)][seat_id] = rows.percents[pk]
    agreed = {
        (dossier_id, stage): rows.agreed[pk]
        for pk, dossier_id, stage, state, _at in rows.consensuses
        if state == ConsensusState.RECORDED and pk in rows.agreed
    }

    radar = []
    for assignment in rows.assignments:
        dossier = assignment.dossier
        series = {}
        for stage in STAGES:
            key = (dossier.pk, stage.value)
            if key in agreed:
                values = _category_shares(categories, rows.items, agreed[key].get)
                series[stage.value] = {"label": str(stage.label), "shares": values, "source": "consensus"}
            elif submitted.get(key):
                sheets = list(submitted[key].values())

                def mean_of(item_id, sheets=sheets):
                    scores = [sheet[item_id] for sheet in sheets if item_id in sheet]
                    return sum(Decimal(s) for s in scores) / len(scores) if scores else None

                values = _category_shares(categories, rows.items, mean_of)
                series[stage.value] = {
                    "label": str(stage.label),
                    "shares": values,
                    "source": "sheets",
                    "sheets": len(sheets),
                }
        radar.append(
            {
                "dossier": dossier.number or str(dossier.pk),
                "organisation": dossier.organisation.name,
                "panel": panel_names.get(assignment.panel_id, ""),
                "series": series,
            }
        )

    differences = {stage.value: defaultdict(list) for stage in STAGES}
    percents_per_item = {stage.value: defaultdict(list) for stage in STAGES}
    item_sd = {stage.value: defaultdict(list) for stage in STAGES}
    for (_dossier_id, stage), by_seat in submitted.items():
        if stage not in differences:
            continue
        item_ids = {item_id for sheet in by_seat.values() for item_id in sheet}
        for item_id in item_ids:
            if item_id not in item_by_pk:
                continue
            scores = {seat_id: sheet[item_id] for seat_id, sheet in by_seat.items() if item_id in sheet}
            percents_per_item[stage][item_id].extend(scores.values())
            if len(scores) < 2:
                continue
            stats = scoring.item_stats(item_by_pk[item_id].code, scores, cycle.outlier_points)
            item_sd[stage][item_id].append(stats.std_dev)
            value = stats.value(aggregate)
            for seat_id, percent in scores.items():
                differences[stage][seat_id].append(Decimal(percent) - value)

    stages = []
    for stage in STAGES:
        rows_out = []
        for seat_id, values in differences[stage.value].items():
            seat = seats.get(seat_id)
            mean, std_dev = _mean_and_spread(values)
            rows_out.append(
                {
                    "expert": str(seat.expert) if seat else _("seat %(pk)s") % {"pk": seat_id},
                    "panel": panel_names.get(seat.panel_id, "") if seat else "",
                    "count": len(values),
                    "mean": mean,
                    "std_dev": std_dev,
                    "box": box(values),
                }
            )
        calibration = sorted(rows_out, key=lambda row: (row["panel"], row["expert"]))
        spread = []
        for item in rows.items:
            values = percents_per_item[stage.value].get(item.pk)
            if not values:
                continue
            mean, _std = _mean_and_spread(values)
            within = item_sd[stage.value].get(item.pk)
            spread.append(
                {
                    "item": item.code,
                    "title": item.name,
                    "count": len(values),
                    "mean": mean,
                    "within_dossier_sd": _float(sum(within, Decimal(0)) / len(within)) if within else None,
                    "box": box(values),
                }
            )
        stages.append({"code": stage.value, "label": str(stage.label), "calibration": calibration, "spread": spread})
    return {
        "stages": stages,
        "categories": [{"code": category.code, "name": category.name} for category in categories],
        "radar": radar,
        "labels": {
            "share": _("Share of the category's points (%)"),
            "difference": _("Difference from the panel's aggregate (percentage points)"),
            "percent": _("Percentage"),
            "consensus": _("consensus"),
            "sheets": _("mean of the submitted sheets"),
        },
    }


# --- reminders to late experts ---


def late_for_seat(seat: Seat, stage) -> LateExpert | None:
    """The seat's dossiers of `stage` whose sheet is not submitted, or None when nothing is missing."""
    dossiers = [
        assignment.dossier
        for assignment in PanelDossier.objects.filter(panel_id=seat.panel_id)
        .select_related("dossier__organisation", "dossier__onsite_selection")
        .order_by("dossier__number", "dossier_id")
    ]
    conflicted = set(Conflict.objects.filter(expert_id=seat.expert_id).values_list("organisation_id", flat=True))
    states = dict(ScoreSheet.objects.filter(seat=seat, stage=stage).values_list("dossier_id", "state"))
    late = LateExpert(seat=seat, stage=ReviewStage(stage), not_started=[], drafts=[], days=None)
    for dossier in dossiers:
        if not in_stage(dossier, stage) or dossier.organisation_id in conflicted:
            continue
        state = states.get(dossier.pk)
        if state == SheetState.DRAFT:
            late.drafts.append(dossier)
        elif state != SheetState.SUBMITTED:
            late.not_started.append(dossier)
    return late if late.missing else None


def reminders_send(*, cycle: Cycle, seat_ids, by) -> int:
    """Queue a reminder e-mail (催办提醒) to each chosen expert still late in the stage open now.

    Side effects: "review.reminder_requested" audited per expert in the caller's transaction (the outbox: the
    sweeper sends any request the broker never delivered) and one task_send_review_reminder per expert, after
    commit; the task records "review.reminder_sent" or "review.reminder_skipped". Seats not late (any more) are
    skipped. Returns how many reminders were queued.
    """
    from mayor_award.core.tasks import enqueue_on_commit

    from .tasks_dashboard import task_send_review_reminder

    stage = current_stage(cycle)
    if stage is None:
        raise DashboardError(_("No review stage is open: there is nobody to remind."))
    chosen = {int(pk) for pk in seat_ids}
    if not chosen:
        raise DashboardError(_("Choose at least one late expert to remind."))
    seats = Seat.objects.filter(pk__in=chosen, panel__cycle=cycle, status=SeatStatus.ACCEPTED).select_related(
        "panel", "expert__user"
    )
    queued = 0
    for seat in seats:
        if late_for_seat(seat, stage) is None:
            continue
        token = uuid.uuid4().hex
        audit_record(actor=by, action=REMINDER_REQUESTED, obj=seat, data={"token": token, "stage": stage.value})
        enqueue_on_commit(
            task_send_review_reminder, seat_id=seat.pk, stage=stage.value, by_id=getattr(by, "pk", None), token=token
        )
        queued += 1
    if not queued:
        raise DashboardError(_("None of the chosen experts is late any more: no reminder was sent."))
    return queued


@transaction.atomic
def reminder_mail(*, seat_id: int, stage: str, by_id: int | None, token: str) -> bool:
    """Send one reminder, once per token; skipped when the expert is no longer late or the stage has closed."""
    seat = (
        Seat.objects.select_for_update()
        .select_related("panel__cycle", "expert__user")
        .filter(pk=seat_id, status=SeatStatus.ACCEPTED)
        .first()
    )
    if seat is None:
        logger.info("Reminder for seat %s skipped: no accepted seat.", seat_id)
        return False
    if AuditEvent.objects.filter(action__in=[REMINDER_SENT, REMINDER_SKIPPED], data__token=token).exists():
        return False
    cycle = seat.panel.cycle
    late = late_for_seat(seat, stage) if current_stage(cycle) == stage and seat.expert.user.email else None
    if late is None:
        audit_record(actor=None, action=REMINDER_SKIPPED, obj=seat, data={"token": token, "stage": stage})
        return False
    late.days = _days_since(cycle.phase_changed_at)
    with translation.override("zh-hans"):
        context = {
            "seat": seat,
            "cycle": cycle,
            "stage": ReviewStage(stage).label,
            "late": late,
            "link": settings.SITE_URL + reverse("review:dashboard"),
        }
        subject = render_to_string("review/email/reminder_subject.txt", context).strip()
        body = render_to_string("review/email/reminder_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [seat.expert.user.email])
    audit_record(
        actor=User.objects.filter(pk=by_id).first() if by_id else None,
        action=REMINDER_SENT,
        obj=seat,
        data={
            "token": token,
            "stage": stage,
            "not_started": [dossier.number for dossier in late.not_started],
            "drafts": [dossier.number for dossier in late.drafts],
            "days": late.days,
        },
    )
    return True


def reminders_pending() -> list[dict]:
    """Reminders requested in the last REMINDER_SWEEP_DAYS and neither sent nor skipped: the task never reached
    the queue (broker down) or gave up. Each as the keyword arguments of task_send_review_reminder."""
    since = timezone.now() - dt.timedelta(days=REMINDER_SWEEP_DAYS)
    recent = AuditEvent.objects.filter(at__gte=since)
    done = set(recent.filter(action__in=[REMINDER_SENT, REMINDER_SKIPPED]).values_list("data__token", flat=True))
    requests = recent.filter(action=REMINDER_REQUESTED).order_by("pk")
    return [
        {
            "seat_id": int(event.object_id),
            "stage": event.data["stage"],
            "by_id": event.actor_id,
            "token": event.data["token"],
        }
        for event in requests
        if event.data.get("token") not in done
    ]
