"""The panel's consensus (评审组共识): the leader records agreed scores per item after the independent sheets.

After every expert of the panel has submitted their own sheet of a dossier in a stage (材料评审 or 现场评审), the
leader (组长) runs the consensus discussion (rules.md, "What this system adopts", 2):

- `aggregation` sums the submitted sheets up with `scoring.panel_result`: per item each expert's percentage
  (anonymised as 专家A, 专家B… by their seat's draw rank), the mean, the trimmed mean (five scores or more), the
  standard deviation, the range, the experts strictly more than the cycle's `outlier_points` from the mean, and
  the aggregate the cycle counts (`trimmed_aggregate`). Nothing is recomputed here: scoring.py does the sums.
- The form is prefilled with each item's aggregate rounded half up (四舍五入) to the nearest multiple of the
  cycle's `score_step` (`round_to_step`: 62.5 → 65 and 62.4 → 60 with a step of 5).
- `consensus_save` keeps a draft (agreed percentages, strengths and opportunities per item and overall, and for
  the material review the issues to verify on site); `consensus_record` records it. Recording needs every
  expected seat's sheet submitted and every item agreed (Art. 12); the consensus total is the exact
  `scoring.sheet_total` of the agreed percentages as one more Sheet with `expert_id=None`. It moves the dossier
  (material → "material review done", on-site → "on-site review done") through `dossier_transition`, locks the
  consensus and, after commit, queues its report PDF (review/reports.py).
- Only the secretariat reopens a recorded consensus (`consensus_reopen`, with a reason, audited); the dossier
  goes back to the state it had before, so that the leader can record again.

The experts' independent sheets are never changed here: they stay on record beside the consensus.

Expected seats: the panel's accepted seats, less the experts in conflict with the dossier's organisation (they
never open it); for the on-site review, when the dossier's visit names its team, the team's accepted seats.
"""

import logging
import string
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.enums import DossierState
from applications.models import Dossier
from applications.services import dossier_transition
from mayor_award.core.models import CriteriaItem
from mayor_award.core.services import audit_record

from . import scoring
from .enums import ConsensusState, ReviewStage, SeatStatus, SheetState
from .models import Conflict, Consensus, ConsensusItem, ItemScore, OnsiteVisit, Panel, PanelDossier, ScoreSheet, Seat
from .sheets import STAGE_PHASES

logger = logging.getLogger(__name__)

AUDIT_LABELS = {
    "consensus.recorded": gettext_lazy("panel consensus recorded"),
    "consensus.reopened": gettext_lazy("panel consensus reopened"),
}

# The dossier's state before and after a stage's consensus is recorded (a reopening goes back).
STATE_BEFORE = {ReviewStage.MATERIAL: DossierState.ELIGIBLE, ReviewStage.ONSITE: DossierState.SELECTED}
STATE_AFTER = {ReviewStage.MATERIAL: DossierState.MATERIAL_REVIEWED, ReviewStage.ONSITE: DossierState.ONSITE_REVIEWED}
AGGREGATE_PLACES = Decimal("0.0001")  # ConsensusItem.aggregate keeps four decimals, for the record
TEXT_LIMIT = 5000


class ConsensusError(Exception):
    """A consensus action was refused; the message says why, in the user's language."""


# --- pure helpers ---


def round_to_step(value: Decimal, step: int) -> int:
    """`value` (a percentage) rounded half up to the nearest multiple of `step`, within 0–100.

    62.5 → 65 and 62.4 → 60 with a step of 5; 57.5 → 60; 66.6667 → 67 with a step of 1.
    """
    steps = (Decimal(value) / Decimal(step)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return min(max(int(steps) * step, 0), scoring.MAX_PERCENT)


def reviewer_letter(position: int) -> str:
    """A, B, … Z, then AA, AB…: the anonymous name of the expert at `position` (from 0)."""
    letters = string.ascii_uppercase
    if position < len(letters):
        return letters[position]
    return reviewer_letter(position // len(letters) - 1) + letters[position % len(letters)]


def aggregate_of(cycle) -> scoring.Aggregate:
    return scoring.Aggregate.TRIMMED_MEAN if cycle.trimmed_aggregate else scoring.Aggregate.MEAN


# --- reading: who is expected, what was submitted, what the panel's numbers are ---


def criteria_items(cycle) -> list[CriteriaItem]:
    """The cycle's scored items with their categories, in the criteria's order."""
    return list(
        CriteriaItem.objects.filter(category__criteria_id=cycle.criteria_id)
        .select_related("category")
        .order_by("category__position", "position")
    )


def scoring_items(items) -> list[scoring.Item]:
    return [scoring.Item(code=item.code, category=item.category.code, points=item.points) for item in items]


def _is_expected(seat_id: int, expert_id: int, conflicted_experts: set[int], team: set[int]) -> bool:
    """An accepted seat is expected unless its expert is in conflict, or (on site) a team is named without it."""
    return expert_id not in conflicted_experts and (not team or seat_id in team)


def expected_seats(*, panel: Panel, dossier: Dossier, stage: str) -> list[Seat]:
    """The seats whose sheets the consensus waits for, in draw order (see the module's docstring)."""
    seats = list(Seat.objects.filter(panel=panel, status=SeatStatus.ACCEPTED).order_by("rank", "pk"))
    conflicted = set(
        Conflict.objects.filter(
            expert_id__in=[seat.expert_id for seat in seats], organisation_id=dossier.organisation_id
        ).values_list("expert_id", flat=True)
    )
    team = set()
    if stage == ReviewStage.ONSITE:
        visits = OnsiteVisit.team.through.objects.filter(onsitevisit__dossier=dossier)
        team = set(visits.values_list("seat_id", flat=True))
    return [seat for seat in seats if _is_expected(seat.pk, seat.expert_id, conflicted, team)]


@dataclass(frozen=True)
class Reviewer:
    """An expected seat, anonymised: 专家A, 专家B… in the panel's draw order."""

    seat_id: int
    letter: str
    submitted: bool

    @property
    def label(self) -> str:
        return _("Expert %(letter)s") % {"letter": self.letter}


@dataclass
class Score:
    reviewer: Reviewer
    percent: int | None
    flagged: bool


@dataclass
class ItemRow:
    """One item of the aggregation: the experts' percentages, the panel's statistics and the agreed values."""

    item: CriteriaItem
    scores: list[Score]
    stats: scoring.ItemStats | None
    aggregate: Decimal | None
    aggregate_used: scoring.Aggregate | None
    prefill: int | None
    agreed: ConsensusItem | None

    @property
    def outlier_count(self) -> int:
        return sum(score.flagged for score in self.scores)


@dataclass
class Aggregation:
    panel: Panel
    dossier: Dossier
    stage: str
    reviewers: list[Reviewer]
    result: scoring.PanelResult | None
    rows: list[ItemRow]
    consensus: Consensus | None
    items: list[CriteriaItem] = field(repr=False)

    @property
    def expected(self) -> int:
        return len(self.reviewers)

    @property
    def submitted(self) -> int:
        return sum(reviewer.submitted for reviewer in self.reviewers)

    @property
    def complete(self) -> bool:
        """Every expected sheet is in (and there is at least one)."""
        return self.expected > 0 and self.submitted == self.expected

    @property
    def recorded(self) -> bool:
        return self.consensus is not None and self.consensus.state == ConsensusState.RECORDED


def aggregation(*, panel: Panel, dossier: Dossier, stage: str) -> Aggregation:
    """The panel's submitted sheets of `dossier` in `stage`, summed up by scoring.panel_result.

    A fixed number of queries whatever the number of experts: the items, the expected seats (and, on site, the
    visit's team), the submitted sheets, their item percentages, the consensus and its items.
    """
    cycle = dossier.cycle
    items = criteria_items(cycle)
    seats = expected_seats(panel=panel, dossier=dossier, stage=stage)
    seat_ids = [seat.pk for seat in seats]
    submitted_ids = set(
        ScoreSheet.objects.filter(
            dossier=dossier, stage=stage, state=SheetState.SUBMITTED, seat_id__in=seat_ids
        ).values_list("seat_id", flat=True)
    )
    reviewers = [
        Reviewer(seat_id=seat.pk, letter=reviewer_letter(position), submitted=seat.pk in submitted_ids)
        for position, seat in enumerate(seats)
    ]
    codes = {item.pk: item.code for item in items}
    percents: dict[int, dict[str, int | None]] = {seat_id: {} for seat_id in submitted_ids}
    for seat_id, item_id, percent in ItemScore.objects.filter(
        sheet__dossier=dossier, sheet__stage=stage, sheet__state=SheetState.SUBMITTED, sheet__seat_id__in=seat_ids
    ).values_list("sheet__seat_id", "item_id", "percent"):
        if item_id in codes:
            percents[seat_id][codes[item_id]] = percent
    sheets = [scoring.Sheet(expert_id=seat_id, percents=percents[seat_id], step=1) for seat_id in sorted(percents)]
    result = None
    if sheets:
        result = scoring.panel_result(
            scoring_items(items), sheets, aggregate=aggregate_of(cycle), outlier_threshold=cycle.outlier_points
        )
    consensus = Consensus.objects.filter(dossier=dossier, stage=stage).prefetch_related("items").first()
    agreed = {row.item_id: row for row in consensus.items.all()} if consensus else {}
    rows = []
    for item in items:
        stats = result.item_stats[item.code] if result else None
        outliers = set(stats.outliers) if stats else set()
        value = result.item_percent[item.code] if result else None
        rows.append(
            ItemRow(
                item=item,
                scores=[
                    Score(
                        reviewer=reviewer,
                        percent=percents.get(reviewer.seat_id, {}).get(item.code),
                        flagged=reviewer.seat_id in outliers,
                    )
                    for reviewer in reviewers
                ],
                stats=stats,
                aggregate=value,
                aggregate_used=result.item_aggregate[item.code] if result else None,
                prefill=round_to_step(value, cycle.score_step) if value is not None else None,
                agreed=agreed.get(item.pk),
            )
        )
    return Aggregation(
        panel=panel,
        dossier=dossier,
        stage=stage,
        reviewers=reviewers,
        result=result,
        rows=rows,
        consensus=consensus,
        items=items,
    )


# --- writing ---


def _locked_dossier(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_for_update(of=("self",)).select_related("cycle").get(pk=dossier.pk)


def _refuse_unless_leader(panel: Panel, dossier: Dossier, by) -> None:
    if not PanelDossier.objects.filter(panel=panel, dossier=dossier).exists():
        raise ConsensusError(_("This dossier is not reviewed by this panel."))
    if not Seat.objects.filter(panel=panel, expert__user=by, is_leader=True, status=SeatStatus.ACCEPTED).exists():
        raise ConsensusError(_("Only the panel leader records the panel's consensus."))


def _refuse_unless_open(dossier: Dossier, stage: str) -> None:
    if dossier.cycle.phase != STAGE_PHASES[ReviewStage(stage)]:
        raise ConsensusError(_("This stage of the review is not open now."))


def _refuse_unless_state(dossier: Dossier, stage: str) -> None:
    if dossier.state != STATE_BEFORE[ReviewStage(stage)]:
        raise ConsensusError(
            _("The dossier is “%(state)s”; this consensus is recorded for a dossier that is “%(expected)s”.")
            % {"state": dossier.get_state_display(), "expected": STATE_BEFORE[ReviewStage(stage)].label}
        )


def _refuse_if_recorded(consensus: Consensus) -> None:
    if consensus.state == ConsensusState.RECORDED:
        raise ConsensusError(_("The consensus is recorded and locked; only the secretariat can reopen it."))


def _text(value) -> str:
    return str(value or "")[:TEXT_LIMIT]


@transaction.atomic
def consensus_save(
    *,
    panel: Panel,
    dossier: Dossier,
    stage: str,
    entries: dict[str, dict],
    strengths: str = "",
    opportunities: str = "",
    issues_to_verify: str = "",
    by,
) -> Consensus:
    """Save the leader's draft consensus of `dossier` in `stage`: created on the first save, with one row per item.

    `entries` maps item codes to {percent (None while not agreed), strengths, opportunities}; a percentage must be
    a multiple of the cycle's score step. Each item row also keeps the panel's aggregate at the time (four
    decimals). Refused outside the stage's phase, for anyone but the panel's leader and once recorded.
    Side effects: history rows (simple-history); no audit event for a draft.
    """
    dossier = _locked_dossier(dossier)
    stage = ReviewStage(stage)
    _refuse_unless_leader(panel, dossier, by)
    _refuse_unless_open(dossier, stage)
    consensus = Consensus.objects.filter(dossier=dossier, stage=stage).select_for_update().first()
    if consensus is not None:
        _refuse_if_recorded(consensus)
    _refuse_unless_state(dossier, stage)
    step = dossier.cycle.score_step
    for code, entry in entries.items():
        percent = entry.get("percent")
        if percent is not None:
            try:
                scoring.validate_percent(percent, step=step)
            except scoring.ScoreError as error:
                raise ConsensusError(f"{code}: {error}") from error
    if consensus is None:
        consensus = Consensus(panel=panel, dossier=dossier, stage=stage)
    consensus.strengths = _text(strengths)
    consensus.opportunities = _text(opportunities)
    consensus.issues_to_verify = _text(issues_to_verify) if stage == ReviewStage.MATERIAL else ""
    consensus._history_user = by
    consensus.save()

    summed = aggregation(panel=panel, dossier=dossier, stage=stage)
    existing = {row.item_id: row for row in consensus.items.all()}
    for row in summed.rows:
        agreed = existing.get(row.item.pk) or ConsensusItem(consensus=consensus, item=row.item)
        entry = entries.get(row.item.code)
        if entry is not None:
            agreed.percent = entry.get("percent")
            agreed.strengths = _text(entry.get("strengths"))
            agreed.opportunities = _text(entry.get("opportunities"))
        agreed.aggregate = (
            row.aggregate.quantize(AGGREGATE_PLACES, rounding=ROUND_HALF_UP) if row.aggregate is not None else None
        )
        agreed._history_user = by
        agreed.save()
    return consensus


def consensus_total(consensus: Consensus, items=None) -> Decimal:
    """The exact total of a consensus whose items are all agreed (scoring.sheet_total of the agreed sheet)."""
    items = items if items is not None else criteria_items(consensus.dossier.cycle)
    codes = {item.pk: item.code for item in items}
    percents = {codes[row.item_id]: row.percent for row in consensus.items.all() if row.item_id in codes}
    sheet = scoring.Sheet(expert_id=None, percents=percents, step=consensus.dossier.cycle.score_step)
    return scoring.sheet_total(scoring_items(items), sheet)


@transaction.atomic
def consensus_record(*, consensus: Consensus, by) -> Consensus:
    """Record the saved draft: the panel's result of the dossier in the stage, locked from now on.

    Needs every expected seat's sheet submitted and every item agreed (Art. 12). Stores the exact total, moves
    the dossier (material → material review done, on-site → on-site review done) with dossier_transition,
    writes the audit row "consensus.recorded" and queues the report PDF after commit.
    """
    dossier = _locked_dossier(Dossier(pk=consensus.dossier_id))
    consensus = Consensus.objects.select_for_update().select_related("panel").get(pk=consensus.pk)
    stage = ReviewStage(consensus.stage)
    _refuse_unless_leader(consensus.panel, dossier, by)
    _refuse_unless_open(dossier, stage)
    _refuse_if_recorded(consensus)
    _refuse_unless_state(dossier, stage)
    summed = aggregation(panel=consensus.panel, dossier=dossier, stage=stage)
    if not summed.complete:
        raise ConsensusError(
            _(
                "The consensus is recorded once every expert of the panel has submitted their sheet: "
                "%(submitted)s of %(expected)s are in."
            )
            % {"submitted": summed.submitted, "expected": summed.expected}
        )
    missing = [row.item.code for row in summed.rows if row.agreed is None or row.agreed.percent is None]
    if missing:
        raise ConsensusError(
            _("Every item needs an agreed percentage before the consensus is recorded (Art. 12); missing: %(items)s.")
            % {"items": "、".join(missing)}
        )
    consensus.dossier = dossier
    total = consensus_total(consensus, summed.items)
    consensus.state = ConsensusState.RECORDED
    consensus.total = total
    consensus.recorded_by = by
    consensus.recorded_at = timezone.now()
    consensus._history_user = by
    consensus.save(update_fields=["state", "total", "recorded_by", "recorded_at", "updated_at"])
    dossier_transition(dossier=dossier, to=STATE_AFTER[stage], by=by, data={"consensus": consensus.pk})
    audit_record(
        actor=by,
        action="consensus.recorded",
        obj=consensus,
        data={"stage": stage.value, "total": str(total), "sheets": summed.submitted},
    )
    transaction.on_commit(partial(enqueue_report, consensus_id=consensus.pk), robust=True)
    return consensus


@transaction.atomic
def consensus_reopen(*, consensus: Consensus, reason: str, by) -> Consensus:
    """The secretariat reopens a recorded consensus, with a reason kept in the audit trail.

    Only during the stage's phase and before the dossier moved on (on-site selection, candidate list); the
    dossier goes back to the state it had before the consensus, so that the leader can record it again. The
    report on file stays until the next recording replaces it.
    """
    dossier = _locked_dossier(Dossier(pk=consensus.dossier_id))
    consensus = Consensus.objects.select_for_update().get(pk=consensus.pk)
    stage = ReviewStage(consensus.stage)
    if consensus.state != ConsensusState.RECORDED:
        raise ConsensusError(_("Only a recorded consensus can be reopened."))
    if not reason.strip():
        raise ConsensusError(_("Give the reason for reopening the consensus."))
    _refuse_unless_open(dossier, stage)
    if dossier.state != STATE_AFTER[stage]:
        raise ConsensusError(
            _("The dossier has moved on (“%(state)s”); its consensus can no longer be reopened.")
            % {"state": dossier.get_state_display()}
        )
    consensus.state = ConsensusState.DRAFT
    consensus._history_user = by
    consensus.save(update_fields=["state", "updated_at"])
    dossier_transition(dossier=dossier, to=STATE_BEFORE[stage], by=by, data={"consensus": consensus.pk})
    audit_record(
        actor=by, action="consensus.reopened", obj=consensus, data={"stage": stage.value, "reason": reason.strip()}
    )
    return consensus


def enqueue_report(*, consensus_id: int) -> None:
    """Queue the report PDF (after commit). With the broker down (or, tasks running in-process, the rendering
    failing) the error is logged and the report sweeper renders it later: the recording stands either way."""
    from .tasks_reports import task_render_consensus_report

    try:
        task_render_consensus_report.apply_async(kwargs={"consensus_id": consensus_id})
    except Exception:  # kombu and redis raise a family of errors for an unreachable broker
        logger.exception("The report of consensus %s was not made now; the sweeper tries again.", consensus_id)


# --- the leader's overview of the panel ---

# Dossiers that went on to the on-site review (and beyond): the on-site stage applies to them.
ONSITE_STATES = (
    DossierState.SELECTED,
    DossierState.ONSITE_REVIEWED,
    DossierState.CANDIDATE,
    DossierState.PROPOSED,
    DossierState.AWARDED,
    DossierState.NOT_AWARDED,
)


@dataclass
class StageProgress:
    stage: ReviewStage
    applies: bool
    expected: int
    submitted: int
    consensus: Consensus | None

    @property
    def recorded(self) -> bool:
        return self.consensus is not None and self.consensus.state == ConsensusState.RECORDED


@dataclass
class DossierProgress:
    dossier: Dossier
    stages: list[StageProgress]
    conflicted_experts: frozenset[int] = frozenset()  # the panel's experts in conflict with the applicant


def panel_overview(panel: Panel) -> list[DossierProgress]:
    """Each dossier of the panel by stage: sheets submitted out of expected, and the consensus.

    Six queries whatever the number of dossiers and experts. The on-site stage applies to the dossiers selected
    for the on-site review (and those that went further).
    """
    dossiers = list(panel.dossiers.select_related("organisation", "cycle").order_by("number"))
    seats = list(Seat.objects.filter(panel=panel, status=SeatStatus.ACCEPTED).values_list("pk", "expert_id"))
    conflicts: dict[int, set[int]] = {}
    for expert_id, organisation_id in Conflict.objects.filter(
        expert_id__in=[expert_id for _seat_id, expert_id in seats],
        organisation_id__in=[dossier.organisation_id for dossier in dossiers],
    ).values_list("expert_id", "organisation_id"):
        conflicts.setdefault(organisation_id, set()).add(expert_id)
    teams: dict[int, set[int]] = {}
    for dossier_id, seat_id in OnsiteVisit.team.through.objects.filter(onsitevisit__dossier__in=dossiers).values_list(
        "onsitevisit__dossier_id", "seat_id"
    ):
        teams.setdefault(dossier_id, set()).add(seat_id)
    submitted: dict[tuple[int, str], set[int]] = {}
    for dossier_id, stage, seat_id in ScoreSheet.objects.filter(
        dossier__in=dossiers, state=SheetState.SUBMITTED, seat__panel=panel
    ).values_list("dossier_id", "stage", "seat_id"):
        submitted.setdefault((dossier_id, stage), set()).add(seat_id)
    consensuses = {(c.dossier_id, c.stage): c for c in Consensus.objects.filter(dossier__in=dossiers)}
    overview = []
    for dossier in dossiers:
        stages = []
        for stage in ReviewStage:
            team = teams.get(dossier.pk, set()) if stage == ReviewStage.ONSITE else set()
            expected = {
                seat_id
                for seat_id, expert_id in seats
                if _is_expected(seat_id, expert_id, conflicts.get(dossier.organisation_id, set()), team)
            }
            applies = stage == ReviewStage.MATERIAL or dossier.state in ONSITE_STATES
            stages.append(
                StageProgress(
                    stage=stage,
                    applies=applies,
                    expected=len(expected),
                    submitted=len(expected & submitted.get((dossier.pk, stage.value), set())),
                    consensus=consensuses.get((dossier.pk, stage.value)),
                )
            )
        overview.append(
            DossierProgress(
                dossier=dossier,
                stages=stages,
                conflicted_experts=frozenset(conflicts.get(dossier.organisation_id, ())),
            )
        )
    return overview
