"""Selection for the on-site review (现场评审入围) by the cycle's rule, as pure functions (no models, no database).

The regulation leaves the rule open (rules.md, "Gaps"); each cycle fixes one before material scores open
(Cycle.onsite_top_n, Cycle.onsite_min_score), and it is applied per panel to the material consensus totals:

- top N: the N highest totals of the panel. Places are shared by equal totals (1, 2, 2, 4, as
  `scoring.standings`), and a dossier is within the top N when its place is N or better, so when the Nth and the
  (N+1)th dossier have the same total both are taken. Those dossiers are marked `tied_at_cutoff`: the
  secretariat may leave one out, but only with a recorded reason (`exclusion_problems`).
- a minimum score: a total of at least the minimum is enough (an exact hit is selected; "at least" includes it).
- both: a dossier must satisfy both.
- no rule: every dossier goes on to the on-site review.

Totals are compared exactly (Decimals); rounding for display never changes a selection.
"""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from . import scoring


@dataclass(frozen=True)
class Placement:
    """One dossier's place in its panel under the cycle's rule."""

    key: Hashable
    total: Decimal
    rank: int  # shared by equal totals: 1, 2, 2, 4
    selected: bool
    tied_at_cutoff: bool  # taken only because it ties with the last place within the top N


def _check_rule(top_n, min_score) -> None:
    if top_n is not None and (not isinstance(top_n, int) or isinstance(top_n, bool) or top_n < 0):
        raise ValueError(f"top N is a whole number of 0 or more, or None; not {top_n!r}")
    if min_score is not None and not (isinstance(min_score, Decimal | int) and not isinstance(min_score, bool)):
        raise TypeError(f"the minimum score is an exact Decimal or None, not {type(min_score).__name__}")


def select(
    entries: Iterable[tuple[Hashable, Decimal]], top_n: int | None = None, min_score: Decimal | None = None
) -> dict[Hashable, Placement]:
    """Apply the rule to one panel's (key, total) entries; returns each key's Placement, best first.

    Equal totals share a place and keep the order they were given in, so pass the entries in a deterministic order
    (ascending dossier number). Each key appears once (ValueError otherwise); totals are exact (TypeError for a
    float, as in `scoring`).
    """
    _check_rule(top_n, min_score)
    entries = list(entries)
    totals = dict(entries)
    places = scoring.standings(entries)  # validates the keys and the totals

    # The tie at the cut-off: the group of equal totals that holds the Nth position and the (N+1)th one as well.
    cutoff_total = None
    if top_n and len(places) > top_n:
        nth, following = places[top_n - 1][0], places[top_n][0]
        if totals[nth] == totals[following]:
            cutoff_total = totals[nth]

    result: dict[Hashable, Placement] = {}
    for key, place in places:
        total = totals[key]
        within_rank = top_n is None or place <= top_n
        within_score = min_score is None or total >= min_score
        selected = within_rank and within_score
        result[key] = Placement(
            key=key,
            total=total,
            rank=place,
            selected=selected,
            tied_at_cutoff=selected and cutoff_total is not None and total == cutoff_total,
        )
    return result


def guaranteed_places(placements: dict[Hashable, Placement], top_n: int | None) -> int:
    """How many dossiers the rule takes in any case: those within the first N positions that are selected.

    Leaving out dossiers tied at the cut-off may not bring the panel below this number (the rule promises N).
    """
    ordered = list(placements.values())
    within = ordered if top_n is None else ordered[:top_n]
    return sum(1 for placement in within if placement.selected)


# Codes of exclusion_problems; the service words them for the secretariat.
NOT_TIED = "not_tied"
NO_REASON = "no_reason"
TOO_FEW = "too_few"


def exclusion_problems(
    placements: dict[Hashable, Placement], exclusions: dict[Hashable, str], top_n: int | None
) -> list[tuple[str, Hashable | None]]:
    """Why the secretariat may not leave out these dossiers of one panel: a list of (code, key), empty when allowed.

    Only a dossier selected because it ties at the cut-off may be left out (NOT_TIED otherwise), each with a reason
    that is not blank (NO_REASON), and the panel keeps at least its guaranteed places (TOO_FEW, key None).
    """
    problems: list[tuple[str, Hashable | None]] = []
    mine = {key: reason for key, reason in exclusions.items() if key in placements}
    for key, reason in mine.items():
        if not placements[key].tied_at_cutoff:
            problems.append((NOT_TIED, key))
        elif not str(reason or "").strip():
            problems.append((NO_REASON, key))
    remaining = sum(1 for key, placement in placements.items() if placement.selected and key not in mine)
    if mine and remaining < guaranteed_places(placements, top_n):
        problems.append((TOO_FEW, None))
    return problems
