"""The feedback report (反馈报告) every applicant gets once the cycle is decided.

When: `feedback_released` is the rule. The cycle is decided (announced or closed) and the dossier reached the
material review, i.e. its panel recorded a material consensus. Before that nothing is shown, so nothing can leak
before the committee and the government have decided.

What: the agreed strengths (优势) and opportunities for improvement (改进机会) of the panel's consensus, per
category of GB/T 19580 (the category's items' texts) and overall; per category the score band reached (评分档次),
from the latest recorded consensus (on-site if the dossier got that far, else material); the radar chart; and which
stages the dossier reached. Exact points and percentages, and the cycle's median per category, only when the cycle
allows them (`Cycle.feedback_exact_scores`); otherwise they never enter the report at all, and the radar is drawn
at the middle of each category's band so its coordinates do not give the exact share away either.

Who wrote what stays out: the report reads consensus rows only, never a seat, an expert, a score sheet or who
recorded the consensus, so no reviewer's name can appear in it.

Bands: a category's share of its points is mapped to the GB/T 19580 bands of the criteria (the process bands'
ranges: 0–5 %, 10–25 %, 30–45 %, 50–65 %, 70–85 %, 90–100 %). The bands leave gaps between whole-step scores
(a category's share is a weighted mean and can be 47.5 %), so a band runs from its lower bound up to the next
band's lower bound: the band shown is the highest band whose lower bound the share reaches (`band_for`).
"""

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications import pdf
from applications.notifications import in_chinese
from applications.selectors import dossiers_for_applicant
from mayor_award.core.enums import CriteriaKind, CyclePhase
from mayor_award.core.models import CriteriaCategory, ScoringBand
from mayor_award.core.services import audit_record

from . import scoring
from .enums import ConsensusState, ReviewStage
from .models import Consensus, ConsensusItem
from .radar import Series, radar_svg

FEEDBACK_OPENED = "feedback.opened"
AUDIT_LABELS = {FEEDBACK_OPENED: gettext_lazy("feedback report opened by the applicant")}

PDF_TEMPLATE = "review/feedback/pdf.html"
# The cycle is decided: the award is announced (and later closed); feedback before that could leak the result.
RELEASE_PHASES = (CyclePhase.ANNOUNCED, CyclePhase.CLOSED)
STAGE_ORDER = (ReviewStage.MATERIAL, ReviewStage.ONSITE)
HUNDRED = Decimal(100)


# --- the rules, pure ---


def feedback_released(*, cycle_phase: str, material_consensus_recorded: bool) -> bool:
    """The feedback of a dossier is available once the cycle is decided (announced or closed), for every dossier
    that reached the material review (its panel recorded a material consensus)."""
    return cycle_phase in RELEASE_PHASES and bool(material_consensus_recorded)


@dataclass(frozen=True)
class Band:
    """A scoring band of GB/T 19580 (评分档次): its number and range in percent."""

    number: int
    min_percent: int
    max_percent: int

    @property
    def label(self) -> str:
        return f"{self.min_percent}–{self.max_percent}%"

    @property
    def middle(self) -> Decimal:
        return (Decimal(self.min_percent) + Decimal(self.max_percent)) / 2


def band_for(percent: Decimal, bands: Iterable[Band]) -> Band:
    """The highest band whose lower bound `percent` reaches (49.9 % is still 30–45 %, 50 % is 50–65 %).

    A share below every band (there is none with the standard's data, which starts at 0) gets the lowest band.
    """
    ordered = sorted(bands, key=lambda band: band.min_percent)
    if not ordered:
        raise ValueError("the criteria have no scoring bands")
    reached = [band for band in ordered if Decimal(band.min_percent) <= percent]
    return reached[-1] if reached else ordered[0]


def category_percents(items: Sequence[scoring.Item], percents: dict[str, int | None]) -> dict[str, Decimal]:
    """Each category's achieved share of its points, in percent (exact), from one consensus' item percentages.

    An item without an agreed percentage counts as 0 (a recorded consensus has them all).
    """
    sheet = scoring.Sheet(expert_id=None, percents=percents, step=1)
    achieved = scoring.category_totals(items, sheet, partial=True)
    possible: dict[str, int] = {}
    for item in items:
        possible[item.category] = possible.get(item.category, 0) + item.points
    with localcontext() as context:
        context.prec = scoring.PRECISION
        return {code: achieved[code] * HUNDRED / possible[code] for code in achieved}


def median(values: Sequence[Decimal]) -> Decimal | None:
    return statistics.median(values) if values else None


# --- what the report holds ---


@dataclass(frozen=True)
class Comment:
    """One agreed text of the panel: of an item (code and name), labelled by stage when two stages were reviewed."""

    item_code: str
    item_name: str
    stage: str
    text: str


@dataclass
class CategoryFeedback:
    code: str
    name: str
    points: int
    band: Band
    strengths: list[Comment] = field(default_factory=list)
    opportunities: list[Comment] = field(default_factory=list)
    # Only when the cycle allows exact scores; None otherwise (never handed to a template).
    achieved_points: str | None = None
    percent: str | None = None
    median_percent: str | None = None


@dataclass(frozen=True)
class StageFeedback:
    """One stage the dossier reached, with the panel's overall texts (and its total when exact scores show)."""

    stage: str
    label: str
    strengths: str
    opportunities: str
    total: str | None = None


@dataclass
class FeedbackReport:
    dossier: object
    cycle: object
    organisation: object
    exact_scores: bool
    stages: list[StageFeedback]
    basis: StageFeedback
    categories: list[CategoryFeedback]
    radar: str
    total_points: int

    @property
    def reached_onsite(self) -> bool:
        return any(stage.stage == ReviewStage.ONSITE for stage in self.stages)

    @property
    def two_stages(self) -> bool:
        return len(self.stages) > 1


# --- reads ---


def _material_recorded():
    return Exists(
        Consensus.objects.filter(dossier=OuterRef("pk"), stage=ReviewStage.MATERIAL, state=ConsensusState.RECORDED)
    )


def dossier_for_feedback(user, pk):
    """The user's organisation's dossier `pk` if its feedback is released, else None (one query).

    Ownership is checked by the portal's own selector (`dossiers_for_applicant`): another organisation's
    dossier is simply not found.
    """
    dossier = dossiers_for_applicant(user).annotate(material_recorded=_material_recorded()).filter(pk=pk).first()
    if dossier is None or not feedback_released(
        cycle_phase=dossier.cycle.phase, material_consensus_recorded=dossier.material_recorded
    ):
        return None
    return dossier


def feedback_url(dossier) -> str:
    """The address of the dossier's feedback report once released, else "" (no query before the cycle is decided)."""
    if dossier.cycle.phase not in RELEASE_PHASES:
        return ""
    recorded = Consensus.objects.filter(
        dossier=dossier, stage=ReviewStage.MATERIAL, state=ConsensusState.RECORDED
    ).exists()
    if not feedback_released(cycle_phase=dossier.cycle.phase, material_consensus_recorded=recorded):
        return ""
    return reverse("review:feedback", kwargs={"pk": dossier.pk})


def _categories(cycle, item_ids):
    queryset = CriteriaCategory.objects.prefetch_related("items").order_by("position")
    if cycle.criteria_id:
        return list(queryset.filter(criteria_id=cycle.criteria_id))
    return list(queryset.filter(items__id__in=item_ids).distinct())


def _bands(criteria_id) -> list[Band]:
    rows = ScoringBand.objects.filter(criteria_id=criteria_id, kind=CriteriaKind.PROCESS).order_by("band")
    return [Band(number=row.band, min_percent=row.min_percent, max_percent=row.max_percent) for row in rows]


def _latest_by_dossier(rows) -> dict[int, dict[str, int | None]]:
    """Per dossier, the item percentages of its latest recorded consensus, from (dossier, stage, item, percent)."""
    by_stage: dict[int, dict[str, dict[int, int | None]]] = {}
    for dossier_id, stage, item_id, percent in rows:
        by_stage.setdefault(dossier_id, {}).setdefault(stage, {})[item_id] = percent
    return {
        dossier_id: stages.get(ReviewStage.ONSITE, stages[ReviewStage.MATERIAL])
        for dossier_id, stages in by_stage.items()
        if ReviewStage.MATERIAL in stages  # only dossiers that reached the material review
    }


def _cycle_medians(cycle, items, codes_by_id) -> dict[str, Decimal | None]:
    """The median share (percent) per category over the cycle's dossiers, each by its latest consensus."""
    rows = ConsensusItem.objects.filter(
        consensus__dossier__cycle=cycle, consensus__state=ConsensusState.RECORDED
    ).values_list("consensus__dossier_id", "consensus__stage", "item_id", "percent")
    shares: dict[str, list[Decimal]] = {item.category: [] for item in items}
    for percents in _latest_by_dossier(rows).values():
        by_code = {codes_by_id[item_id]: value for item_id, value in percents.items() if item_id in codes_by_id}
        for code, value in category_percents(items, by_code).items():
            shares[code].append(value)
    return {code: median(values) for code, values in shares.items()}


def _comments(consensus_items, items_by_id, attribute, stage_label) -> dict[str, list[Comment]]:
    by_category: dict[str, list[Comment]] = {}
    for row in consensus_items:
        text = getattr(row, attribute).strip()
        item = items_by_id.get(row.item_id)
        if text and item is not None:
            comment = Comment(item_code=item.code, item_name=item.name, stage=stage_label, text=text)
            by_category.setdefault(item.category.code, []).append(comment)
    return by_category


def _percents(consensus_items, codes_by_id) -> dict[str, int | None]:
    return {codes_by_id[row.item_id]: row.percent for row in consensus_items if row.item_id in codes_by_id}


def feedback_report(dossier) -> FeedbackReport:
    """Everything the feedback report shows, in the active language; a fixed number of queries.

    The dossier must be released (`dossier_for_feedback`); it comes with its cycle and organisation.
    """
    cycle = dossier.cycle
    exact = bool(cycle.feedback_exact_scores)
    consensuses = {
        consensus.stage: consensus
        for consensus in Consensus.objects.filter(dossier=dossier, state=ConsensusState.RECORDED).prefetch_related(
            Prefetch("items", queryset=ConsensusItem.objects.order_by("pk"))
        )
    }
    reached = [stage for stage in STAGE_ORDER if stage in consensuses]
    basis_stage = reached[-1]
    item_ids = {row.item_id for consensus in consensuses.values() for row in consensus.items.all()}
    categories = _categories(cycle, item_ids)
    items_by_id = {item.pk: item for category in categories for item in category.items.all()}
    for item in items_by_id.values():  # the category is already in hand: no query per item
        item.category = next(category for category in categories if category.pk == item.category_id)
    scoring_items = [
        scoring.Item(code=item.code, category=item.category.code, points=item.points) for item in items_by_id.values()
    ]
    codes_by_id = {item.pk: item.code for item in items_by_id.values()}
    bands = _bands(categories[0].criteria_id)

    basis = consensuses[basis_stage]
    percents = category_percents(scoring_items, _percents(basis.items.all(), codes_by_id))
    medians = _cycle_medians(cycle, scoring_items, codes_by_id) if exact else {}

    two_stages = len(reached) > 1
    strengths: dict[str, list[Comment]] = {}
    opportunities: dict[str, list[Comment]] = {}
    stages = []
    for stage in reached:
        consensus = consensuses[stage]
        label = str(ReviewStage(stage).label)
        stage_label = label if two_stages else ""
        rows = list(consensus.items.all())
        for code, comments in _comments(rows, items_by_id, "strengths", stage_label).items():
            strengths.setdefault(code, []).extend(comments)
        for code, comments in _comments(rows, items_by_id, "opportunities", stage_label).items():
            opportunities.setdefault(code, []).extend(comments)
        total = None
        if exact:
            sheet = scoring.Sheet(expert_id=None, percents=_percents(rows, codes_by_id), step=1)
            total = scoring.display(scoring.sheet_total(scoring_items, sheet, partial=True))
        stages.append(
            StageFeedback(
                stage=stage,
                label=label,
                strengths=consensus.strengths.strip(),
                opportunities=consensus.opportunities.strip(),
                total=total,
            )
        )

    rows = []
    for category in categories:
        percent = percents.get(category.code, Decimal(0))
        band = band_for(percent, bands)
        row = CategoryFeedback(
            code=category.code,
            name=category.name,
            points=category.points,
            band=band,
            strengths=strengths.get(category.code, []),
            opportunities=opportunities.get(category.code, []),
        )
        if exact:
            row.percent = scoring.display(percent, 1)
            row.achieved_points = scoring.display(percent * category.points / HUNDRED)
            category_median = medians.get(category.code)
            row.median_percent = None if category_median is None else scoring.display(category_median, 1)
        rows.append(row)

    radar = _radar(categories, percents, medians, bands, exact)
    return FeedbackReport(
        dossier=dossier,
        cycle=cycle,
        organisation=dossier.organisation,
        exact_scores=exact,
        stages=stages,
        basis=next(stage for stage in stages if stage.stage == basis_stage),
        categories=rows,
        radar=radar,
        total_points=sum(category.points for category in categories),
    )


def _radar(categories, percents, medians, bands, exact) -> str:
    labels = [category.name for category in categories]

    def share(value: Decimal) -> Decimal:
        return value / HUNDRED

    if exact:
        own = [share(percents.get(category.code, Decimal(0))) for category in categories]
    else:  # the band's middle: the chart must not give the exact share away through its coordinates
        own = [share(band_for(percents.get(category.code, Decimal(0)), bands).middle) for category in categories]
    series = [Series(name=_("This dossier"), shares=tuple(own))]
    if exact and all(medians.get(category.code) is not None for category in categories):
        series.append(Series(name=_("Median of the cycle"), shares=tuple(share(medians[c.code]) for c in categories)))
    return mark_safe(radar_svg(labels, series, title=_("Score profile by category")))  # noqa: S308 - escaped by radar_svg


# --- the PDF and the audit trail ---


def feedback_pdf(dossier) -> bytes:
    """The feedback report as PDF bytes, in Chinese and Beijing time. Raises pdf.MissingChineseFont."""
    with in_chinese():
        return pdf.render_pdf(PDF_TEMPLATE, {"report": feedback_report(dossier)})


def feedback_opened(*, dossier, by, fmt: str) -> None:
    """Record that the applicant opened the feedback report (`fmt`: "page" or "pdf")."""
    audit_record(actor=by, action=FEEDBACK_OPENED, obj=dossier, data={"format": fmt})
