"""The pure rules of the vote and the combined ranking (committee/ranking.py): no database."""

from decimal import Decimal
from fractions import Fraction

import pytest

from committee import ranking
from committee.ranking import Standing

pytestmark = pytest.mark.usefixtures("english")

D = Decimal
RULES = ranking.RankingRules(onsite_score_weight=D("0.6"), award_quota=5)


def standing(key, score, approvals, *, passed=True, quorum=True, repeat=False, tie_break=None):
    return Standing(
        candidate=key,
        onsite_total=D(str(score)),
        approvals=approvals,
        quorum_met=quorum,
        passed=passed,
        repeat_winner=repeat,
        tie_break=tie_break,
    )


def order(result):
    return [row.candidate for row in result]


def proposed(result):
    return [row.candidate for row in result if row.proposed]


# --- the weight (Art. 16: on-site score above 50 %, votes below) ---


@pytest.mark.parametrize(
    ("weight", "accepted"),
    [
        ("0.5", False),
        ("0.500", False),
        ("0.501", True),
        ("0.51", True),
        ("0.999", True),
        ("1", False),
        ("1.000", False),
    ],
)
def test_weight_strictly_between_half_and_one(weight, accepted):
    rules = ranking.RankingRules(onsite_score_weight=D(weight), award_quota=5)

    if accepted:
        assert ranking.rank([standing("a", 800, 3)], rules)[0].combined_index == D(weight) + (1 - D(weight))
    else:
        with pytest.raises(ranking.RankingError):
            ranking.rank([standing("a", 800, 3)], rules)


def test_combined_index_weighs_both_ranks():
    # a: score rank 1, vote rank 3; b: 2 and 1; c: 3 and 2.
    result = ranking.rank([standing("a", 900, 2), standing("b", 800, 8), standing("c", 700, 5)], RULES)

    assert {(r.candidate, r.score_rank, r.vote_rank, r.combined_index) for r in result} == {
        ("a", 1, 3, D("1.8")),  # 0.6 × 1 + 0.4 × 3
        ("b", 2, 1, D("1.6")),  # 0.6 × 2 + 0.4 × 1
        ("c", 3, 2, D("2.6")),
    }
    assert order(result) == ["b", "a", "c"]
    assert [r.position for r in result] == [1, 2, 3]


def test_ranks_are_competition_ranks():
    assert ranking.competition_ranks({"a": 5, "b": 7, "c": 7, "d": 1}) == {"b": 1, "c": 1, "a": 3, "d": 4}


# --- ties at every level ---


def test_tie_on_index_goes_to_the_higher_onsite_score():
    # a: score 1, votes 4 → 0.6 + 1.6 = 2.2; b: score 3, votes 1 → 1.8 + 0.4 = 2.2.
    result = ranking.rank(
        [standing("b", 700, 9), standing("a", 900, 1), standing("x", 800, 5), standing("y", 600, 3)], RULES
    )

    assert [r.combined_index for r in result if r.candidate in "ab"] == [D("2.2"), D("2.2")]
    assert order(result)[:3] == ["x", "a", "b"]
    assert all(r.tie_group is None for r in result)


def test_tie_on_index_and_score_leaves_no_room_for_the_approvals_level():
    """The second tie-break (more approvals) is kept in the sort key, but it never has to decide: with the
    same on-site score the score ranks are equal, so an equal index means equal vote ranks, which means equal
    approvals. Checked over every small case; after the score, a tie goes straight to the recorded decision."""
    for scores in ((800, 800, 700), (800, 800, 800), (900, 800, 800)):
        for votes in ((5, 5, 3), (5, 4, 3), (2, 5, 5), (1, 1, 1)):
            result = ranking.rank([standing(k, s, v) for k, s, v in zip("abc", scores, votes, strict=True)], RULES)
            for one in result:
                for other in result:
                    if (one.combined_index, one.onsite_total) == (other.combined_index, other.onsite_total):
                        assert one.approvals == other.approvals


def test_sort_key_puts_more_approvals_before_fewer_on_equal_index_and_score():
    more, fewer = standing("a", 800, 5), standing("b", 800, 4)

    assert ranking._tie_key(D("1.6"), more) < ranking._tie_key(D("1.6"), fewer)


def test_tie_on_every_rule_is_flagged_until_the_secretariat_decides():
    tied = [standing("a", 800, 5), standing("b", 800, 5)]

    result = ranking.rank(tied, ranking.RankingRules(onsite_score_weight=D("0.6"), award_quota=1))

    assert [(r.candidate, r.tie_group, r.tie_unresolved, r.proposed) for r in result] == [
        ("a", 1, True, False),
        ("b", 1, True, False),
    ]
    assert [r.reasons for r in result] == [(ranking.TIE,), (ranking.TIE,)]


def test_tie_decided_by_the_secretariat_orders_and_proposes():
    tied = [standing("a", 800, 5, tie_break=2), standing("b", 800, 5, tie_break=1)]

    result = ranking.rank(tied, ranking.RankingRules(onsite_score_weight=D("0.6"), award_quota=1))

    assert order(result) == ["b", "a"]
    assert proposed(result) == ["b"]
    assert [r.tie_unresolved for r in result] == [False, False]
    assert result[1].reasons == (ranking.QUOTA,)


def test_tie_inside_the_quota_proposes_both_but_stays_flagged():
    tied = [standing("a", 800, 5), standing("b", 800, 5)]

    result = ranking.rank(tied, RULES)

    assert proposed(result) == ["a", "b"]
    assert [r.tie_unresolved for r in result] == [True, True]


# --- quorum (法定人数) ---


def test_two_thirds_quorum_met_exactly():
    assert ranking.quorum_required(9, D("0.6667")) == 6
    assert ranking.quorum_met(6, 9, D("0.6667")) is True
    assert ranking.quorum_met(5, 9, D("0.6667")) is False


def test_quorum_of_ten_needs_seven():
    assert ranking.quorum_met(7, 10, D("0.6667")) is True
    assert ranking.quorum_met(6, 10, D("0.6667")) is False


def test_quorum_with_no_member_is_never_met():
    assert ranking.quorum_met(0, 0, D("0.6667")) is False


@pytest.mark.parametrize(
    ("stored", "fraction"),
    [("0.6667", Fraction(2, 3)), ("0.5000", Fraction(1, 2)), ("0.51", Fraction(51, 100)), ("0.8333", Fraction(5, 6))],
)
def test_stored_ratio_read_as_the_fraction_it_stands_for(stored, fraction):
    assert ranking.ratio_fraction(D(stored)) == fraction


def test_recused_member_counts_neither_among_ballots_nor_members():
    # 9 members, 6 voted (quorum met); 2 of the voters recused from x: 4 ballots on x of 7 members → 4 < 14/3.
    result = ranking.tally(
        candidates=["x", "y"],
        votes=[("x", "approve")] * 4 + [("y", "approve")] * 6,
        recused={"x": 2},
        members_eligible=9,
        ballots_cast=6,
        quorum_ratio=D("0.6667"),
        pass_ratio=D("0.5"),
    )

    assert result.valid is True
    x, y = result.tallies
    assert (x.members_eligible, x.recused, x.ballots, x.quorum_met, x.passed) == (7, 2, 4, False, False)
    assert (y.members_eligible, y.ballots, y.quorum_met, y.passed) == (9, 6, True, True)


def test_recusal_lowers_the_candidates_quorum():
    # 9 members, 3 recused from x: 6 entitled, 4 ballots on x = 2/3 of 6: met.
    result = ranking.tally(
        candidates=["x"],
        votes=[("x", "approve")] * 3 + [("x", "disapprove")],
        recused={"x": 3},
        members_eligible=9,
        ballots_cast=7,
        quorum_ratio=D("0.6667"),
        pass_ratio=D("0.5"),
    )

    assert result.tallies[0].quorum_met is True
    assert result.tallies[0].passed is True


def test_session_missing_its_quorum_is_not_valid():
    result = ranking.tally(
        candidates=["x"],
        votes=[("x", "approve")] * 5,
        recused={},
        members_eligible=9,
        ballots_cast=5,
        quorum_ratio=D("0.6667"),
        pass_ratio=D("0.5"),
    )

    assert (result.valid, result.quorum_required) == (False, 6)


# --- the pass ratio (more than half of the ballots cast) ---


@pytest.mark.parametrize(("approvals", "passes"), [(5, False), (6, True)])
def test_pass_ratio_is_strictly_more_than_half(approvals, passes):
    assert ranking.passes(approvals, 10, D("0.5")) is passes


def test_pass_ratio_counts_abstentions_as_ballots_cast():
    # 5 approve, 2 disapprove, 3 abstain: 5 of 10 ballots is not more than half.
    result = ranking.tally(
        candidates=["x"],
        votes=[("x", "approve")] * 5 + [("x", "disapprove")] * 2 + [("x", "abstain")] * 3,
        recused={},
        members_eligible=10,
        ballots_cast=10,
        quorum_ratio=D("0.6667"),
        pass_ratio=D("0.5"),
    )

    assert result.tallies[0].passed is False


def test_pass_ratio_with_an_odd_number_of_ballots():
    assert ranking.passes(5, 9, D("0.5")) is True
    assert ranking.passes(4, 9, D("0.5")) is False


# --- the slate (K approvals per ballot at most) ---


@pytest.mark.parametrize(
    ("quota", "ratio", "k"), [(5, "1.20", 6), (5, "1.25", 6), (5, "1.00", 5), (4, "1.20", 4), (5, "1.40", 7)]
)
def test_slate_limit_rounds_down(quota, ratio, k):
    assert ranking.max_approvals(quota, D(ratio)) == k


def test_ballot_approving_more_than_k_is_refused():
    problems = ranking.ballot_problems(
        choices={1: "approve", 2: "approve", 3: "approve"}, candidates=[1, 2, 3], recused=[], limit=2
    )

    assert problems == ["A ballot approves at most 2 candidates; this one approves 3."]


def test_ballot_needs_a_choice_for_every_candidate_but_the_recused():
    assert ranking.ballot_problems(choices={1: "approve"}, candidates=[1, 2], recused=[2], limit=2) == []
    assert ranking.ballot_problems(choices={1: "approve"}, candidates=[1, 2], recused=[], limit=2) == [
        "Choose approve, disapprove or abstain for every candidate."
    ]
    assert ranking.ballot_problems(choices={1: "approve", 2: "abstain"}, candidates=[1, 2], recused=[2], limit=2) == [
        "You recused yourself from a candidate: you cannot vote on it."
    ]


def test_ballot_with_an_unknown_choice_is_refused():
    assert ranking.ballot_problems(choices={1: "maybe"}, candidates=[1], recused=[], limit=1) == [
        "A choice is not approve, disapprove or abstain."
    ]


# --- the proposal: pass ratio, minimum score, quota, repeat winners ---


def test_candidate_below_the_pass_ratio_is_not_proposed_and_the_place_stays_empty():
    result = ranking.rank([standing("a", 900, 9), standing("b", 850, 2, passed=False)], RULES)

    assert proposed(result) == ["a"]
    assert result[1].reasons == (ranking.NOT_PASSED,)


def test_candidate_missing_its_quorum_is_not_proposed():
    result = ranking.rank([standing("a", 900, 9, quorum=False, passed=False)], RULES)

    assert proposed(result) == []
    assert result[0].reasons == (ranking.QUORUM,)


def test_nobody_above_the_minimum_score_means_nobody_proposed():
    rules = ranking.RankingRules(onsite_score_weight=D("0.6"), award_quota=5, award_min_score=D("800"))

    result = ranking.rank([standing("a", D("799.99"), 9), standing("b", 700, 8)], rules)

    assert proposed(result) == []
    assert [r.reasons for r in result] == [(ranking.MIN_SCORE,), (ranking.MIN_SCORE,)]


def test_a_score_equal_to_the_minimum_is_enough():
    rules = ranking.RankingRules(onsite_score_weight=D("0.6"), award_quota=5, award_min_score=D("800"))

    assert proposed(ranking.rank([standing("a", 800, 9)], rules)) == ["a"]


def test_quota_takes_the_first_qualifying_candidates():
    standings = [standing(key, 900 - 10 * n, 9 - n) for n, key in enumerate("abcdefg")]

    result = ranking.rank(standings, RULES)

    assert proposed(result) == ["a", "b", "c", "d", "e"]
    assert [r.reasons for r in result[5:]] == [(ranking.QUOTA,), (ranking.QUOTA,)]


def test_repeat_winner_is_proposed_outside_the_quota():
    standings = [standing(key, 900 - 10 * n, 9 - n, repeat=key == "b") for n, key in enumerate("abcdefg")]

    result = ranking.rank(standings, RULES)

    assert proposed(result) == ["a", "b", "c", "d", "e", "f"]
    assert [r.candidate for r in result if r.takes_place] == ["a", "c", "d", "e", "f"]
    assert result[1].reasons == (ranking.REPEAT,)


def test_repeat_winner_who_fails_the_vote_is_not_proposed():
    result = ranking.rank([standing("a", 900, 1, repeat=True, passed=False)], RULES)

    assert proposed(result) == []


def test_zero_places_proposes_only_repeat_winners():
    rules = ranking.RankingRules(onsite_score_weight=D("0.6"), award_quota=0)

    result = ranking.rank([standing("a", 900, 9), standing("b", 800, 8, repeat=True)], rules)

    assert proposed(result) == ["b"]
