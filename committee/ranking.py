"""The committee's vote and the combined ranking (综合排序), as pure functions over plain data (Art. 4, 16, 25).

No model, no database: the services read the rows, call these functions and write what they return.

Readings the regulation leaves open (../shared/domain/rules.md, "按照一定的比例进行投票表决"), fixed here:

- **Ratios.** The quorum and the pass ratio are stored as decimals with four places, so two thirds is stored
  as 0.6667. A stored ratio within half a unit of its last place of a fraction with a denominator up to 12 is
  read as that fraction (0.6667 → 2/3, 0.5 → 1/2); any other as written (0.51 → 51/100). Comparisons are
  exact: 6 ballots of 9 members meet a two-thirds quorum, which the decimal 0.6667 × 9 = 6.0003 would refuse.
- **Quorum (法定人数).** A session is valid when the ballots cast are at least quorum × the members entitled to
  vote (以上 is inclusive). For one candidate, a member who recused from it counts neither among its ballots nor
  among its members: its quorum is ballots on it ≥ quorum × (members − recused). A candidate that misses its own
  quorum is not proposed.
- **Pass ratio (通过比例).** A candidate passes when its approvals are strictly more than pass ratio × the
  ballots cast on it (超过半数: more than half). Abstentions are ballots cast: they count in the denominator.
- **Slate (差额).** A ballot approves at most K = ⌊award quota × slate ratio⌋ candidates. Rounding down keeps a
  ballot within the ratio the cycle set; as the slate ratio is at least 1 (core/lifecycle.py), K is never
  below the quota, so every member can always approve a full set of winners.
- **Ranks.** Candidates are ranked by on-site score (higher first) and by approvals (more first), both as
  competition ranks (1, 2, 2, 4). The combined index is w × score rank + (1 − w) × vote rank with the cycle's
  on-site weight w, strictly between 0.5 and 1 (Art. 16); the lower index comes first. Ties: the higher on-site
  score, then more approvals, then an order the secretariat records with a reason (`tie_break`).
- **Proposal (拟奖).** A candidate is proposed only if it met its quorum, passed the vote and is not below the
  cycle's minimum on-site score (低于 is strict: a score equal to the minimum is enough). The first `quota` such
  candidates in the ranking take the places; places may stay empty (Art. 4). A repeat winner (Art. 25) that
  qualifies is proposed as well but does not take a place, so it never pushes another candidate out.
"""

import dataclasses
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import floor

from django.utils.translation import gettext_lazy as _

from mayor_award.core import lifecycle

APPROVE, DISAPPROVE, ABSTAIN = "approve", "disapprove", "abstain"

# Why a candidate is not proposed (or, for REPEAT, why it does not take a place); stored on the ranking rows.
QUORUM = "quorum"
NOT_PASSED = "not_passed"
MIN_SCORE = "min_score"
QUOTA = "quota"
TIE = "tie"
REPEAT = "repeat"
REASONS = {
    QUORUM: _("The vote on it missed its quorum."),
    NOT_PASSED: _("Not approved by more than the pass ratio of the ballots cast."),
    MIN_SCORE: _("On-site score below the cycle's minimum for an award (Art. 4)."),
    QUOTA: _("Outside the number of awards."),
    TIE: _("Tied at the last place: the secretariat records the order, with a reason."),
    REPEAT: _("Repeat winner: proposed, but does not take one of the places (Art. 25)."),
}


class RankingError(ValueError):
    """The inputs break a rule of the ranking (the weight, a ratio); the message says which."""


# --- ratios ---


# Ratios are stored with four decimal places; a value this close to a fraction with a small denominator is read
# as that fraction (0.6667 → 2/3, 0.8333 → 5/6). Any other value is read exactly as written (0.51 → 51/100).
RATIO_TOLERANCE = Fraction(1, 20000)  # half of the fourth decimal place
SMALL_DENOMINATORS = range(1, 13)  # halves, thirds, quarters … twelfths


def ratio_fraction(value: Decimal) -> Fraction:
    """The fraction a stored ratio stands for (see RATIO_TOLERANCE): 0.6667 → 2/3, 0.5 → 1/2, 0.51 → 51/100."""
    exact = Fraction(Decimal(value))
    for denominator in SMALL_DENOMINATORS:
        candidate = Fraction(round(exact * denominator), denominator)
        if abs(candidate - exact) <= RATIO_TOLERANCE:
            return candidate
    return exact


def quorum_required(members: int, quorum_ratio: Decimal) -> int:
    """The fewest ballots that meet the quorum among `members` entitled to vote (at least one)."""
    needed = ratio_fraction(quorum_ratio) * members
    return max(1, -(-needed.numerator // needed.denominator))


def quorum_met(ballots: int, members: int, quorum_ratio: Decimal) -> bool:
    return members > 0 and ballots >= quorum_required(members, quorum_ratio)


def approvals_needed(ballots: int, pass_ratio: Decimal) -> int:
    """The fewest approvals that are strictly more than pass ratio × `ballots`."""
    limit = ratio_fraction(pass_ratio) * ballots
    return floor(limit) + 1


def passes(approvals: int, ballots: int, pass_ratio: Decimal) -> bool:
    return ballots > 0 and approvals >= approvals_needed(ballots, pass_ratio)


def max_approvals(award_quota: int, slate_ratio: Decimal) -> int:
    """K, the most candidates one ballot may approve: ⌊quota × slate ratio⌋ (see the module's docstring)."""
    return floor(Fraction(Decimal(award_quota)) * Fraction(Decimal(slate_ratio)))


def check_weight(weight: Decimal) -> Decimal:
    """The on-site weight, or RankingError when it is not strictly between 0.5 and 1 (Art. 16).

    The bound is the core's cycle rule (core/lifecycle.py), applied here with the same message.
    """
    defaults = lifecycle.CycleRules(
        award_quota=lifecycle.DEFAULT_AWARD_QUOTA,
        prize_amount=lifecycle.DEFAULT_PRIZE_YUAN,
        panel_min_size=lifecycle.MIN_PANEL_SIZE,
        publicity_min_days=lifecycle.MIN_PUBLICITY_DAYS,
        onsite_score_weight=lifecycle.DEFAULT_ONSITE_WEIGHT,
        slate_ratio=lifecycle.DEFAULT_SLATE_RATIO,
        pass_ratio=lifecycle.DEFAULT_PASS_RATIO,
        quorum_ratio=lifecycle.DEFAULT_QUORUM_RATIO,
    )
    problems = lifecycle.rules_problems(dataclasses.replace(defaults, onsite_score_weight=Decimal(weight)))
    if "onsite_score_weight" in problems:
        raise RankingError(str(problems["onsite_score_weight"]))
    return Decimal(weight)


# --- the ballot ---


def ballot_problems(
    *, choices: dict[Hashable, str], candidates: Iterable[Hashable], recused: Iterable[Hashable], limit: int
) -> list[str]:
    """Why a ballot cannot be cast as filled in (empty: it can).

    Every candidate the member has not recused from needs one choice; none for a recused one; at most `limit`
    approvals.
    """
    candidates, recused = set(candidates), set(recused)
    problems = []
    expected = candidates - recused
    if set(choices) - candidates:
        problems.append(str(_("The ballot names a candidate that is not on it.")))
    if set(choices) & recused:
        problems.append(str(_("You recused yourself from a candidate: you cannot vote on it.")))
    if expected - set(choices):
        problems.append(str(_("Choose approve, disapprove or abstain for every candidate.")))
    if any(choice not in (APPROVE, DISAPPROVE, ABSTAIN) for choice in choices.values()):
        problems.append(str(_("A choice is not approve, disapprove or abstain.")))
    approvals = sum(1 for choice in choices.values() if choice == APPROVE)
    if approvals > limit:
        problems.append(
            str(
                _("A ballot approves at most %(limit)s candidates; this one approves %(count)s.")
                % {"limit": limit, "count": approvals}
            )
        )
    return problems


# --- the tally ---


@dataclass(frozen=True)
class Tally:
    """The count of one candidate."""

    candidate: Hashable
    members_eligible: int
    recused: int
    ballots: int
    approvals: int
    disapprovals: int
    abstentions: int
    quorum_met: bool
    passed: bool


@dataclass(frozen=True)
class SessionResult:
    """Whether the session met its quorum, and the tally of each candidate (in the order given)."""

    members_eligible: int
    ballots_cast: int
    quorum_required: int
    valid: bool
    tallies: tuple[Tally, ...]


def tally(
    *,
    candidates: Iterable[Hashable],
    votes: Iterable[tuple[Hashable, str]],
    recused: dict[Hashable, int],
    members_eligible: int,
    ballots_cast: int,
    quorum_ratio: Decimal,
    pass_ratio: Decimal,
) -> SessionResult:
    """Count the anonymous `votes` (candidate, choice) of a session; `recused` counts recusals per candidate."""
    counts: dict[Hashable, dict[str, int]] = {c: {APPROVE: 0, DISAPPROVE: 0, ABSTAIN: 0} for c in candidates}
    for candidate, choice in votes:
        counts[candidate][choice] += 1
    tallies = []
    for candidate, count in counts.items():
        ballots = sum(count.values())
        members = members_eligible - recused.get(candidate, 0)
        met = quorum_met(ballots, members, quorum_ratio)
        tallies.append(
            Tally(
                candidate=candidate,
                members_eligible=members,
                recused=recused.get(candidate, 0),
                ballots=ballots,
                approvals=count[APPROVE],
                disapprovals=count[DISAPPROVE],
                abstentions=count[ABSTAIN],
                quorum_met=met,
                passed=met and passes(count[APPROVE], ballots, pass_ratio),
            )
        )
    return SessionResult(
        members_eligible=members_eligible,
        ballots_cast=ballots_cast,
        quorum_required=quorum_required(members_eligible, quorum_ratio),
        valid=quorum_met(ballots_cast, members_eligible, quorum_ratio),
        tallies=tuple(tallies),
    )


# --- the ranking ---


@dataclass(frozen=True)
class Standing:
    """What the ranking knows of one candidate: its on-site score, its tally, whether it won before."""

    candidate: Hashable
    onsite_total: Decimal
    approvals: int
    quorum_met: bool
    passed: bool
    repeat_winner: bool = False
    tie_break: int | None = None  # the place the secretariat decided inside a tie (1 first)


@dataclass(frozen=True)
class RankingRules:
    onsite_score_weight: Decimal
    award_quota: int
    award_min_score: Decimal | None = None


@dataclass(frozen=True)
class Ranked:
    """One candidate's place: both ranks, the index, the tie it is in, and whether it is proposed."""

    candidate: Hashable
    position: int
    score_rank: int
    vote_rank: int
    combined_index: Decimal
    onsite_total: Decimal
    approvals: int
    quorum_met: bool
    passed: bool
    meets_min_score: bool
    repeat_winner: bool
    tie_group: int | None
    tie_unresolved: bool
    proposed: bool
    reasons: tuple[str, ...]

    @property
    def takes_place(self) -> bool:
        return self.proposed and not self.repeat_winner

    @property
    def qualifies(self) -> bool:
        """Met its quorum, passed the vote, and is not below the minimum score: it may be proposed."""
        return self.quorum_met and self.passed and self.meets_min_score


def competition_ranks(values: dict[Hashable, Decimal | int]) -> dict[Hashable, int]:
    """Rank 1 for the highest value; equal values share a rank and the next rank skips (1, 2, 2, 4)."""
    ordered = sorted(values.values(), reverse=True)
    first_place = {}
    for index, value in enumerate(ordered, start=1):
        first_place.setdefault(value, index)
    return {key: first_place[value] for key, value in values.items()}


def _tie_key(ranked_index: Decimal, standing: Standing) -> tuple:
    return (ranked_index, -standing.onsite_total, -standing.approvals)


def rank(standings: Iterable[Standing], rules: RankingRules) -> list[Ranked]:
    """The combined ranking and the proposal, in order (see the module's docstring for every rule)."""
    weight = check_weight(rules.onsite_score_weight)
    standings = list(standings)
    score_ranks = competition_ranks({s.candidate: s.onsite_total for s in standings})
    vote_ranks = competition_ranks({s.candidate: s.approvals for s in standings})
    index = {s.candidate: weight * score_ranks[s.candidate] + (1 - weight) * vote_ranks[s.candidate] for s in standings}

    groups: dict[tuple, list[Standing]] = {}
    for standing in standings:
        groups.setdefault(_tie_key(index[standing.candidate], standing), []).append(standing)
    ordered_keys = sorted(groups)

    rows: list[dict] = []
    tie_number = 0
    for key in ordered_keys:
        members = groups[key]
        tie_group, unresolved = None, False
        if len(members) > 1:
            tie_number += 1
            tie_group = tie_number
            breaks = [s.tie_break for s in members]
            unresolved = None in breaks or len(set(breaks)) != len(breaks)
            if not unresolved:
                members = sorted(members, key=lambda s: s.tie_break)
        for standing in members:
            meets = rules.award_min_score is None or standing.onsite_total >= rules.award_min_score
            rows.append(
                {
                    "standing": standing,
                    "tie_group": tie_group,
                    "tie_unresolved": unresolved,
                    "meets": meets,
                    "qualifies": standing.quorum_met and standing.passed and meets,
                }
            )

    proposed, reasons = _propose(rows, rules.award_quota)
    return [
        Ranked(
            candidate=row["standing"].candidate,
            position=position,
            score_rank=score_ranks[row["standing"].candidate],
            vote_rank=vote_ranks[row["standing"].candidate],
            combined_index=index[row["standing"].candidate],
            onsite_total=row["standing"].onsite_total,
            approvals=row["standing"].approvals,
            quorum_met=row["standing"].quorum_met,
            passed=row["standing"].passed,
            meets_min_score=row["meets"],
            repeat_winner=row["standing"].repeat_winner,
            tie_group=row["tie_group"],
            tie_unresolved=row["tie_unresolved"],
            proposed=proposed[position - 1],
            reasons=tuple(reasons[position - 1]),
        )
        for position, row in enumerate(rows, start=1)
    ]


def _propose(rows: list[dict], quota: int) -> tuple[list[bool], list[list[str]]]:
    proposed = [False] * len(rows)
    reasons: list[list[str]] = [[] for _row in rows]
    places = quota
    position = 0
    while position < len(rows):
        # A group of rows tied without a decision is decided together.
        end = position + 1
        if rows[position]["tie_unresolved"]:
            while end < len(rows) and rows[end]["tie_group"] == rows[position]["tie_group"]:
                end += 1
        block = range(position, end)
        contenders = []
        for i in block:
            standing = rows[i]["standing"]
            if not standing.quorum_met:
                reasons[i].append(QUORUM)
            elif not standing.passed:
                reasons[i].append(NOT_PASSED)
            if not rows[i]["meets"]:
                reasons[i].append(MIN_SCORE)
            if rows[i]["qualifies"] and standing.repeat_winner:
                proposed[i] = True
                reasons[i].append(REPEAT)
            elif rows[i]["qualifies"]:
                contenders.append(i)
        if len(contenders) <= places:
            for i in contenders:
                proposed[i] = True
            places -= len(contenders)
        elif places == 0:
            for i in contenders:
                reasons[i].append(QUOTA)
        else:  # more tied contenders than places left: the secretariat decides the order first
            for i in contenders:
                reasons[i].append(TIE)
            places = 0
        position = end
    return proposed, reasons
