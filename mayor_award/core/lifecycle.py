"""The rules of a cycle's life, as pure functions over plain data (no models, no database).

The regulation fixes the order of the phases (Art. 12-18), the two-year rhythm of the cycles (Art. 4),
the date it applies from (Art. 27) and the bounds of the per-cycle settings (Art. 7, 16, 17, 19).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise

from django.utils.translation import gettext_lazy as _

from .enums import CyclePhase

PHASE_ORDER: tuple[CyclePhase, ...] = tuple(CyclePhase)

# Each phase may move only to the next one: a step back would reopen decisions already published.
TRANSITIONS: dict[CyclePhase, frozenset[CyclePhase]] = {
    phase: frozenset({following}) for phase, following in pairwise(PHASE_ORDER)
}
TRANSITIONS[CyclePhase.CLOSED] = frozenset()

REGULATION_EFFECTIVE = date(2019, 1, 1)  # Art. 27
YEARS_BETWEEN_CYCLES = 2  # Art. 4

DEFAULT_AWARD_QUOTA = 5  # Art. 4: about five winners per cycle
DEFAULT_PRIZE_YUAN = Decimal("500000")  # Art. 19
MIN_PANEL_SIZE = 5  # Art. 7: no fewer than five experts per panel
MIN_PUBLICITY_DAYS = 7  # Art. 17: publicity lasts at least seven days
DEFAULT_ONSITE_WEIGHT = Decimal("0.60")  # Art. 16: strictly above 50 %
DEFAULT_SLATE_RATIO = Decimal("1.20")
DEFAULT_PASS_RATIO = Decimal("0.50")  # more than half of the ballots cast
DEFAULT_QUORUM_RATIO = Decimal("0.6667")  # two thirds of the members
DEFAULT_SCORE_STEP = 5  # percentage points per step on a score sheet
DEFAULT_OUTLIER_POINTS = 20  # distance from the panel that is flagged for the consensus discussion


def next_phase(phase: str) -> CyclePhase | None:
    """The phase that follows `phase`, or None once the cycle is closed."""
    following = TRANSITIONS[CyclePhase(phase)]
    return next(iter(following)) if following else None


def transition_problems(*, current: str, target: str, announcement_published: bool) -> list[str]:
    """Why the core refuses to move a cycle from `current` to `target` (empty: allowed).

    Apps add their own reasons for the phases they own through the cycle_phase_exit signal.
    """
    if CyclePhase(target) not in TRANSITIONS[CyclePhase(current)]:
        return [
            _("A cycle cannot move from “%(current)s” to “%(target)s”; phases follow the order of the regulation.")
            % {"current": CyclePhase(current).label, "target": CyclePhase(target).label}
        ]
    if CyclePhase(target) == CyclePhase.OPEN and not announcement_published:
        return [_("The cycle announcement must be published before applications open (Art. 14).")]
    return []


@dataclass(frozen=True)
class CycleNumbering:
    """A cycle's place in the series: its number (届次) and its year."""

    number: int
    year: int


def numbering_problems(*, cycle: CycleNumbering, previous: CycleNumbering | None) -> dict[str, str]:
    """Field errors for a cycle's number and year, given the cycle numbered just before it (if any)."""
    problems: dict[str, str] = {}
    if cycle.year < REGULATION_EFFECTIVE.year:
        problems["year"] = _("The regulation applies from 1 January 2019 (Art. 27).")
    if cycle.number < 1:
        problems["number"] = _("Cycles are numbered from 1.")
    if previous is None:
        return problems
    if cycle.number != previous.number + 1:
        problems["number"] = _("Cycles are numbered consecutively: the next cycle is number %(number)s.") % {
            "number": previous.number + 1
        }
    elif cycle.year != previous.year + YEARS_BETWEEN_CYCLES:
        problems["year"] = _(
            "The award runs every two years (Art. 4): cycle %(previous)s was in %(previous_year)s, "
            "so this one is in %(year)s."
        ) % {"previous": previous.number, "previous_year": previous.year, "year": previous.year + 2}
    return problems


@dataclass(frozen=True)
class CycleRules:
    """The settings the regulation leaves to each cycle, with its bounds."""

    award_quota: int
    prize_amount: Decimal
    panel_min_size: int
    publicity_min_days: int
    onsite_score_weight: Decimal
    slate_ratio: Decimal
    pass_ratio: Decimal
    quorum_ratio: Decimal


def rules_problems(rules: CycleRules) -> dict[str, str]:
    """Field errors for a cycle's settings: each bound cites the article that sets it."""
    problems: dict[str, str] = {}
    if rules.award_quota < 0:
        problems["award_quota"] = _("The number of awards cannot be negative; places may stay empty (Art. 4).")
    if rules.prize_amount < 0:
        problems["prize_amount"] = _("The prize cannot be negative (Art. 19).")
    if rules.panel_min_size < MIN_PANEL_SIZE:
        problems["panel_min_size"] = _("A panel has at least five experts (Art. 7).")
    if rules.publicity_min_days < MIN_PUBLICITY_DAYS:
        problems["publicity_min_days"] = _("Publicity lasts at least seven days (Art. 17).")
    if not Decimal("0.5") < rules.onsite_score_weight < 1:
        problems["onsite_score_weight"] = _(
            "The on-site score weighs more than 50%% and the vote less than 50%% (Art. 16): "
            "the weight must lie strictly between 0.5 and 1."
        )
    if rules.slate_ratio < 1:
        problems["slate_ratio"] = _("The slate cannot be smaller than the number of awards.")
    if not 0 <= rules.pass_ratio < 1:
        problems["pass_ratio"] = _("The pass ratio lies between 0 and 1.")
    if not 0 < rules.quorum_ratio <= 1:
        problems["quorum_ratio"] = _("The quorum lies above 0 and at most 1.")
    return problems


def publicity_days(first_day: date, last_day: date) -> int:
    """Days of a publicity period, counting both the first and the last day (rules.md C7)."""
    return (last_day - first_day).days + 1
