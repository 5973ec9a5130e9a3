"""The regulation's time words as pure date arithmetic (rules.md C2-C6; no models, no database).

- Periods of years and months end on the corresponding day of the last month; when that day does not exist
  (29 February, 31st of a short month) the period ends on the last day of that month (Civil Code Art. 201-202,
  rules.md C3).
- 以上 / 以内 / 届满 include the number (Civil Code Art. 1259, rules.md C2): a period "of five years or more" is
  complete on the fifth anniversary itself.
- "Within the last three years" covers `D - 3 years <= E <= D` (rules.md C4), where `D` is the reference date,
  the cycle's application deadline (rules.md C1).
- Financial years are calendar years; "the last three years" are `Y-1, Y-2, Y-3` for a deadline in year `Y`
  (rules.md C5). Cycles (届) are numbered consecutively; "the last three cycles" before cycle `N` are
  `N-1, N-2, N-3` (rules.md C6).
"""

import calendar
from datetime import date

MONTHS_PER_YEAR = 12


def add_months(day: date, months: int) -> date:
    """The corresponding day `months` calendar months later (earlier when negative).

    When the target month is too short for the day (31 January + 1 month, 29 February + 12 months), the result is
    the last day of the target month (Civil Code Art. 202).
    """
    index = day.year * MONTHS_PER_YEAR + (day.month - 1) + months
    year, month_index = divmod(index, MONTHS_PER_YEAR)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    """The same calendar date `years` years later (earlier when negative); 29 February becomes 28 February in a
    year without it (Civil Code Art. 201-202, rules.md C3)."""
    return add_months(day, years * MONTHS_PER_YEAR)


def completed_months(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end`: the largest m with add_months(start, m) <= end.

    Consistent with `has_lasted_years`: the months reach 12 * N exactly when a period of N years has lasted.
    """
    if end < start:
        raise ValueError(f"the end {end} lies before the start {start}")
    months = (end.year - start.year) * MONTHS_PER_YEAR + (end.month - start.month)
    if add_months(start, months) > end:
        months -= 1
    return months


def completed_years_and_months(start: date, end: date) -> tuple[int, int]:
    """Whole years and the remaining whole months from `start` to `end` (for messages such as 4年11个月)."""
    return divmod(completed_months(start, end), MONTHS_PER_YEAR)


def has_lasted_years(start: date, reference: date, years: int) -> bool:
    """Whether a period begun on `start` has lasted `years` years or more (以上, inclusive) by `reference`."""
    return add_years(start, years) <= reference


def within_last_years(event: date, reference: date, years: int) -> bool:
    """Whether `event` falls within the `years` years up to `reference`, both ends included (rules.md C4)."""
    return add_years(reference, -years) <= event <= reference


def previous_financial_years(reference: date, count: int = 3) -> list[int]:
    """The `count` completed financial (calendar) years before the year of `reference`, latest first (C5)."""
    return [reference.year - offset for offset in range(1, count + 1)]


def previous_cycles(cycle_number: int, count: int = 3) -> list[int]:
    """The numbers of the `count` cycles before cycle `cycle_number`, latest first (rules.md C6).

    Numbers below 1 are kept: they name no cycle, so nothing can match them.
    """
    return [cycle_number - offset for offset in range(1, count + 1)]
