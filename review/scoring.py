"""Scoring of the material and on-site reviews against GB/T 19580-2012 (Art. 10, 12, 16), as pure functions.

No models and no database: the caller turns the cycle's criteria into `Item`s (code, category, points, as stored
in the criteria data, never as constants in code) and each expert's score sheet into a `Sheet`, and gets back
exact `Decimal`s. Rounding happens only in `display()`.

The arithmetic (gbt19580-2012.json, "scoring"):

- An expert scores each item as a whole percentage from 0 to 100 in steps of `step`, a setting of the cycle
  (default 5: 0, 5, 10, ... 100). The step divides 100, so that 100 % can be given. `validate_percent` checks one
  value; a `Sheet` checks all of its own on construction, so a sheet that exists is a valid one.
- Item score = item points x percentage / 100 (`item_points`, exact: 15 points x 35 % = 5.25). Category subtotal =
  the sum of its items; total = the sum of every item (at most the sum of the points, 1000 for GB/T 19580-2012).
- Art. 12: material and on-site review are each scored item by item before an overall evaluation, so a total is
  only final when every item is scored. `missing_items` lists the items not yet scored, `require_complete` refuses
  a sheet with any (what submitting a sheet calls), and `sheet_total` / `category_totals` refuse an incomplete
  sheet unless asked for a `partial` (draft) sum.

Independent, then consensus scoring (rules.md, "What this system adopts", 2):

1. Each expert of the panel scores alone: one `Sheet` each. `panel_result` summarises them per item
   (`item_stats`): the mean, the trimmed mean (去掉一个最高分和一个最低分), the population standard deviation and
   the range of the percentages, and the experts far from the panel.
2. The trimmed mean drops exactly one highest and one lowest score, one instance each even when several experts
   gave the same score ([50, 50, 50, 80, 80] -> mean of [50, 50, 80] = 60). It exists from five scores on (Art. 7:
   a panel has five experts or more); below five it is None. The cycle chooses which aggregate counts
   (`Aggregate`, default the trimmed mean); an item with fewer than five scores (an expert excused from it) falls
   back to the mean, and `PanelResult.item_aggregate` records which aggregate each item used.
3. An expert is flagged on an item (`ItemStats.outliers`) when their percentage lies strictly more than
   `outlier_threshold` percentage points (default 20) from the mean of all the item's scores, their own included:
   20 points away is not flagged, 20.5 is. A flag is an item for the consensus discussion, not an exclusion: the
   flagged score still counts in every aggregate.
4. The panel leader then runs the consensus round, which gives one agreed percentage per item: that is one more
   `Sheet` (with `expert_id=None`), and its `sheet_total` is the panel's score. Both the independent sheets and the
   consensus sheet are kept for audit.

Exactness. Every sum, mean and subtotal is computed exactly, as a fraction (`fractions.Fraction`), and turned
into a `Decimal` once, at the end. A single sheet gives exact Decimals with at most two places; a mean that has no
finite decimal expansion (a mean over three experts, say) is correct to `PRECISION` (28) significant digits. That
one rounding is monotone and applied to the exact value, so equal exact values always give equal Decimals and
distinct ones keep their order (two distinct totals differ by far more than 1e-20). The standard deviation is a
square root and is given to `PRECISION` significant digits as well.

Ranking (Art. 16: the candidate list is ordered by the on-site review score). `rank` orders candidates by their
exact total, highest first; equal totals keep the order the candidates were given in, so the caller passes them in
a deterministic, recorded order (e.g. ascending application number) and ties never depend on chance. `standings`
gives the same order with shared places (1, 2, 2, 4) so that a tie is visible to the committee. Rounding for
display never changes a ranking: the ranking is computed from the exact Decimals, never from the displayed
strings, and `display` rounds half up (四舍五入) only when a value is shown; two totals that display alike
(812.344 and 812.336 both show 812.34) still rank by their exact values.
"""

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from fractions import Fraction

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mayor_award.core.lazytext import format_lazy as _format
from mayor_award.core.lazytext import join_lazy

MAX_PERCENT = 100
DEFAULT_STEP = 5  # gbt19580-2012.json scoring.increment_rule: a setting of the cycle, default on
TRIM_MINIMUM = 5  # the trimmed mean needs five scores or more (Art. 7: a panel has five experts or more)
DEFAULT_OUTLIER_THRESHOLD = 20  # percentage points from the panel's mean, flagged when strictly more
PRECISION = 28  # significant digits of a Decimal that has no finite exact form (a mean over three experts)
DISPLAY_PLACES = 2


class Aggregate(StrEnum):
    """Which aggregate of the independent scores counts for an item: a setting of the cycle."""

    MEAN = "mean"
    TRIMMED_MEAN = "trimmed_mean"

    @property
    def label(self) -> Promise:
        return AGGREGATE_LABELS[self]


AGGREGATE_LABELS: dict[Aggregate, Promise] = {
    Aggregate.MEAN: pgettext_lazy("score aggregate", "Mean"),
    Aggregate.TRIMMED_MEAN: pgettext_lazy("score aggregate", "Mean without the highest and the lowest score"),
}


# --- lazy messages ---


NOT_A_PERCENT = _("%(value)s is not a percentage from 0 to 100 in steps of %(step)s.")
INCOMPLETE = _("Every item is scored before the sheet is submitted (Art. 12); not scored yet: %(items)s.")


class ScoreError(Exception):
    """A score or a sheet is refused. `message` is a lazy string; `code` is stable.

    Codes: "percent" (not a percentage in the cycle's steps; `value` and `step` are set), "incomplete" (a sheet
    with items not scored, Art. 12; `missing` holds their codes in the criteria's order, `expert_id` the sheet's).
    """

    def __init__(self, code: str, message: Promise, **details):
        super().__init__(message)
        self.code = code
        self.message = message
        self.value = details.get("value")
        self.step = details.get("step")
        self.missing: tuple[str, ...] = tuple(details.get("missing", ()))
        self.expert_id = details.get("expert_id")

    def __str__(self) -> str:
        return str(self.message)


# --- percentages and items ---


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_step(step) -> None:
    if not _is_int(step) or step < 1 or MAX_PERCENT % step:
        raise ValueError(f"the step of the percentages divides 100 (1, 2, 4, 5, 10, 20, 25, 50, 100), not {step!r}")


def validate_percent(value, step: int = DEFAULT_STEP) -> None:
    """Refuse anything but a whole percentage from 0 to 100 that is a multiple of `step` (ScoreError "percent").

    0, 5 and 100 pass with the default step of 5; -5, 105 and 7 are refused, as are 5.0, "5" and True. A `step`
    that does not divide 100 is a configuration error (ValueError), not a refused score.
    """
    _check_step(step)
    if not _is_int(value) or not 0 <= value <= MAX_PERCENT or value % step:
        raise ScoreError("percent", _format(NOT_A_PERCENT, value=value, step=step), value=value, step=step)


@dataclass(frozen=True)
class Item:
    """A scored item of the criteria (e.g. "4.1.2", category "4.1", 50 points)."""

    code: str
    category: str
    points: int

    def __post_init__(self):
        if not isinstance(self.code, str) or not self.code:
            raise ValueError(f"an item's code is a non-empty string, not {self.code!r}")
        if not _is_int(self.points) or self.points < 1:
            raise ValueError(f"item {self.code}: points are a positive whole number, not {self.points!r}")


def item_points(points: int, percent: int) -> Decimal:
    """The points an item earns: `points` x `percent` / 100, exact, with two places (15 x 35 % = 5.25)."""
    if not _is_int(points) or points < 0:
        raise ValueError(f"points are a whole number of 0 or more, not {points!r}")
    validate_percent(percent, step=1)
    return Decimal(points * percent).scaleb(-2)


def _items(items: Iterable[Item]) -> tuple[Item, ...]:
    items = tuple(items)
    codes = [item.code for item in items]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"each item is listed once; repeated codes {duplicates}")
    return items


def _decimal(value: Fraction) -> Decimal:
    """The exact value as a Decimal: exact when it has a finite form within PRECISION digits, else rounded once."""
    with localcontext() as context:
        context.prec = PRECISION
        context.rounding = ROUND_HALF_EVEN
        return Decimal(value.numerator) / Decimal(value.denominator)


# --- one sheet ---


@dataclass(frozen=True)
class Sheet:
    """One expert's percentages, keyed by item code; None (or no key) is an item not scored yet.

    `expert_id` is None for the panel's consensus sheet. Every given percentage is checked against `step` (the
    cycle's setting) on construction, so an invalid sheet cannot exist (ScoreError "percent").
    """

    expert_id: int | None
    percents: Mapping[str, int | None]
    step: int = DEFAULT_STEP

    def __post_init__(self):
        percents = dict(self.percents)
        for value in percents.values():
            if value is not None:
                validate_percent(value, self.step)
        object.__setattr__(self, "percents", percents)


def _check_known(items: tuple[Item, ...], sheet: Sheet) -> None:
    known = {item.code for item in items}
    unknown = sorted(code for code in sheet.percents if code not in known)
    if unknown:
        raise ValueError(f"the sheet of expert {sheet.expert_id} scores items not in the criteria: {unknown}")


def missing_items(items: Iterable[Item], sheet: Sheet) -> list[str]:
    """The codes of the items the sheet has not scored yet, in the order of `items`."""
    return [item.code for item in _items(items) if sheet.percents.get(item.code) is None]


def require_complete(items: Iterable[Item], sheet: Sheet) -> None:
    """Refuse a sheet with an item not scored (Art. 12; ScoreError "incomplete"), or with an unknown item."""
    items = _items(items)
    _check_known(items, sheet)
    missing = missing_items(items, sheet)
    if missing:
        message = _format(INCOMPLETE, items=join_lazy(missing))
        raise ScoreError("incomplete", message, missing=missing, expert_id=sheet.expert_id)


def _scored(items: Iterable[Item], sheet: Sheet, partial: bool) -> tuple[tuple[Item, ...], dict[str, Decimal]]:
    items = _items(items)
    if partial:
        _check_known(items, sheet)
    else:
        require_complete(items, sheet)
    scored = {
        item.code: item_points(item.points, sheet.percents[item.code])
        for item in items
        if sheet.percents.get(item.code) is not None
    }
    return items, scored


def sheet_total(items: Iterable[Item], sheet: Sheet, *, partial: bool = False) -> Decimal:
    """The sheet's total points, exact. An incomplete sheet is refused unless `partial` (a draft's running sum)."""
    _, scored = _scored(items, sheet, partial)
    return sum(scored.values(), Decimal("0.00"))


def category_totals(items: Iterable[Item], sheet: Sheet, *, partial: bool = False) -> dict[str, Decimal]:
    """Each category's subtotal, in the order the categories first appear in `items` (every category listed)."""
    items, scored = _scored(items, sheet, partial)
    totals: dict[str, Decimal] = {}
    for item in items:
        totals[item.category] = totals.get(item.category, Decimal("0.00")) + scored.get(item.code, Decimal("0.00"))
    return totals


# --- a panel's independent sheets ---


@dataclass(frozen=True)
class ItemStats:
    """How a panel scored one item, in percentages.

    `scores` ascending; `trimmed_mean` None below five scores; `std_dev` the population standard deviation;
    `range` the highest minus the lowest score; `outliers` the ids of the experts strictly more than the threshold
    away from `mean`, ascending.
    """

    code: str
    scores: tuple[int, ...]
    mean: Decimal
    trimmed_mean: Decimal | None
    std_dev: Decimal
    range: int
    outliers: tuple[int, ...]

    def aggregate_used(self, aggregate: Aggregate | str) -> Aggregate:
        """The aggregate that counts: the one asked for, or the mean when the trimmed mean does not exist."""
        aggregate = Aggregate(aggregate)
        if aggregate == Aggregate.TRIMMED_MEAN and self.trimmed_mean is None:
            return Aggregate.MEAN
        return aggregate

    def value(self, aggregate: Aggregate | str) -> Decimal:
        """The item's percentage under `aggregate` (see `aggregate_used`)."""
        if self.aggregate_used(aggregate) == Aggregate.TRIMMED_MEAN:
            return self.trimmed_mean
        return self.mean


def _exact_mean(scores: tuple[int, ...]) -> Fraction:
    return Fraction(sum(scores), len(scores))


def _exact_trimmed_mean(scores: tuple[int, ...]) -> Fraction | None:
    if len(scores) < TRIM_MINIMUM:
        return None
    ordered = sorted(scores)
    return _exact_mean(tuple(ordered[1:-1]))  # one lowest and one highest instance, even when tied


def _threshold(value) -> Fraction:
    if not (_is_int(value) or isinstance(value, Decimal)) or not Decimal(value).is_finite() or value < 0:
        raise ValueError(f"the outlier threshold is a whole number or a Decimal of 0 or more, not {value!r}")
    return Fraction(value)


def item_stats(
    code: str, scores_by_expert: Mapping[int, int], outlier_threshold: int | Decimal = DEFAULT_OUTLIER_THRESHOLD
) -> ItemStats:
    """The statistics of one item's independent scores (a percentage per expert id, at least one)."""
    if not scores_by_expert:
        raise ValueError(f"item {code}: no scores")
    threshold = _threshold(outlier_threshold)
    for score in scores_by_expert.values():
        validate_percent(score, step=1)
    scores = tuple(sorted(scores_by_expert.values()))
    mean = _exact_mean(scores)
    trimmed = _exact_trimmed_mean(scores)
    variance = sum((score - mean) ** 2 for score in scores) / len(scores)
    with localcontext() as context:
        context.prec = PRECISION
        context.rounding = ROUND_HALF_EVEN
        std_dev = (Decimal(variance.numerator) / Decimal(variance.denominator)).sqrt()
    outliers = tuple(sorted(expert for expert, score in scores_by_expert.items() if abs(score - mean) > threshold))
    return ItemStats(
        code=code,
        scores=scores,
        mean=_decimal(mean),
        trimmed_mean=None if trimmed is None else _decimal(trimmed),
        std_dev=std_dev,
        range=scores[-1] - scores[0],
        outliers=outliers,
    )


@dataclass(frozen=True)
class PanelResult:
    """A panel's independent sheets summed up, every dict in the order of the items (or of their categories).

    `item_percent` is the aggregate that counts per item (`item_aggregate` says which one it is); `item_points`,
    `category_points` and `total` are computed exactly from it.
    """

    item_stats: dict[str, ItemStats]
    item_percent: dict[str, Decimal]
    item_aggregate: dict[str, Aggregate]
    item_points: dict[str, Decimal]
    category_points: dict[str, Decimal]
    total: Decimal

    @property
    def outliers(self) -> dict[str, tuple[int, ...]]:
        """The consensus discussion's agenda: each item with flagged experts, and their ids."""
        return {code: stats.outliers for code, stats in self.item_stats.items() if stats.outliers}


def panel_result(
    items: Iterable[Item],
    sheets: Iterable[Sheet],
    aggregate: Aggregate | str = Aggregate.TRIMMED_MEAN,
    outlier_threshold: int | Decimal = DEFAULT_OUTLIER_THRESHOLD,
) -> PanelResult:
    """Sum up a panel's independent sheets. Every sheet must be complete (Art. 12; ScoreError "incomplete")."""
    items = _items(items)
    sheets = tuple(sheets)
    aggregate = Aggregate(aggregate)
    if not sheets:
        raise ValueError("a panel result needs at least one sheet")
    experts = [sheet.expert_id for sheet in sheets]
    repeated = sorted({expert for expert in experts if experts.count(expert) > 1}, key=repr)
    if repeated:
        raise ValueError(f"each expert gives one sheet; repeated expert ids {repeated}")
    for sheet in sheets:
        require_complete(items, sheet)

    stats: dict[str, ItemStats] = {}
    used: dict[str, Aggregate] = {}
    percents: dict[str, Fraction] = {}
    points: dict[str, Fraction] = {}
    categories: dict[str, Fraction] = {}
    for item in items:
        scores = {sheet.expert_id: sheet.percents[item.code] for sheet in sheets}
        stats[item.code] = item_stats(item.code, scores, outlier_threshold)
        used[item.code] = stats[item.code].aggregate_used(aggregate)
        ordered = stats[item.code].scores
        exact = _exact_trimmed_mean(ordered) if used[item.code] == Aggregate.TRIMMED_MEAN else _exact_mean(ordered)
        percents[item.code] = exact
        points[item.code] = item.points * exact / MAX_PERCENT
        categories[item.category] = categories.get(item.category, Fraction(0)) + points[item.code]
    return PanelResult(
        item_stats=stats,
        item_percent={code: _decimal(value) for code, value in percents.items()},
        item_aggregate=used,
        item_points={code: _decimal(value) for code, value in points.items()},
        category_points={code: _decimal(value) for code, value in categories.items()},
        total=_decimal(sum(points.values(), Fraction(0))),
    )


# --- ranking and display ---


def _check_total(key, total) -> None:
    if not (_is_int(total) or isinstance(total, Decimal)):
        raise TypeError(f"candidate {key!r}: a total is an exact Decimal, not {type(total).__name__}")
    if isinstance(total, Decimal) and not total.is_finite():
        raise ValueError(f"candidate {key!r}: the total {total} is not a number")


def _entries(candidates: Iterable[tuple[Hashable, Decimal]]) -> list[tuple[Hashable, Decimal]]:
    entries = [(key, total) for key, total in candidates]
    keys = [key for key, _ in entries]
    if len(set(keys)) != len(keys):
        raise ValueError("each candidate is ranked once")
    for key, total in entries:
        _check_total(key, total)
    return entries


def rank(candidates: Iterable[tuple[Hashable, Decimal]]) -> list[Hashable]:
    """The candidates' keys by exact total, highest first; equal totals keep the order they were given in.

    Art. 16 orders the candidate list by the on-site (consensus) score. Pass the candidates in a deterministic
    order (e.g. ascending application number) so that ties are broken the same way every time. The exact totals
    decide: rounding for display never changes a ranking.
    """
    return [key for key, _ in sorted(_entries(candidates), key=lambda entry: entry[1], reverse=True)]


def standings(candidates: Iterable[tuple[Hashable, Decimal]]) -> list[tuple[Hashable, int]]:
    """`rank`'s order with each candidate's place; equal exact totals share a place (1, 2, 2, 4)."""
    ordered = sorted(_entries(candidates), key=lambda entry: entry[1], reverse=True)
    result: list[tuple[Hashable, int]] = []
    for position, (key, total) in enumerate(ordered, start=1):
        place = result[-1][1] if result and ordered[position - 2][1] == total else position
        result.append((key, place))
    return result


def display(value: Decimal, places: int = DISPLAY_PLACES) -> str:
    """`value` rounded half up (四舍五入) to `places` decimals, as text ("812.35"); the only rounding here."""
    if not (_is_int(value) or isinstance(value, Decimal)):
        raise TypeError(f"only exact numbers are displayed, not {type(value).__name__}")
    if not _is_int(places) or places < 0:
        raise ValueError(f"places is a whole number of 0 or more, not {places!r}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{value} is not a number")
    with localcontext() as context:
        context.prec = max(PRECISION, value.adjusted() + places + 2)
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = abs(rounded)
    return f"{rounded:f}"
