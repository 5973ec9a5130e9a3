"""The prize (奖金) of one winner, as pure functions over plain data (no models, no database).

- Art. 19: the cycle's prize, 500,000 yuan by default.
- Art. 21: nothing for a winner that received a national or provincial quality award in the same year. "Same year"
  is the calendar year in which the municipal award is announced (rules.md C8). The dossier's declarations list the
  awards received (name, level, year); a declared award of the award year counts only once the secretariat has
  confirmed it. Until then the prize waits (no payment can be recorded).
- Art. 25: nothing for a repeat winner (an organisation that won an earlier cycle); it also takes no place in the
  cycle's number of awards.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .enums_awards import PrizeRule

COUNTING_LEVELS = ("national", "provincial")  # Art. 21: 国家级或省级质量奖


@dataclass(frozen=True)
class DeclaredAward:
    """A quality award the applicant declared in its dossier."""

    name: str
    level: str
    year: int


@dataclass(frozen=True)
class Prize:
    amount: Decimal
    rule: PrizeRule


def declared_awards(data: Iterable[dict]) -> list[DeclaredAward]:
    """The declarations section's `awards` entries as DeclaredAward; malformed entries are left out."""
    awards = []
    for entry in data or ():
        try:
            awards.append(DeclaredAward(name=str(entry["name"]), level=str(entry["level"]), year=int(entry["year"])))
        except (KeyError, TypeError, ValueError):
            continue
    return awards


def same_year_awards(declared: Iterable[DeclaredAward], award_year: int) -> list[DeclaredAward]:
    """The declared national or provincial quality awards of the award year (Art. 21, C8)."""
    return [award for award in declared if award.level in COUNTING_LEVELS and award.year == award_year]


def prize(
    *,
    cycle_prize: Decimal,
    repeat_winner: bool,
    same_year_award: bool,
    same_year_confirmed: bool | None,
) -> Prize:
    """The winner's prize and the rule that decides it.

    `same_year_award`: a national or provincial award of the award year is declared (or recorded by the
    secretariat); `same_year_confirmed`: the secretariat's finding on it (None while it has not decided).
    """
    if repeat_winner:
        return Prize(Decimal("0"), PrizeRule.REPEAT)
    if same_year_award and same_year_confirmed is None:
        return Prize(Decimal(cycle_prize), PrizeRule.SAME_YEAR_PENDING)
    if same_year_award and same_year_confirmed:
        return Prize(Decimal("0"), PrizeRule.SAME_YEAR)
    return Prize(Decimal(cycle_prize), PrizeRule.FULL)


def counts_toward_quota(*, repeat_winner: bool) -> bool:
    """A repeat winner does not count toward the cycle's number of winners (Art. 25)."""
    return not repeat_winner
