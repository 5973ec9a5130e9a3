"""The on-site selection rule (review.selection): top N per panel, a minimum score, or both; ties at the cut-off.

Pure functions: no database.
"""

from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review.selection import NO_REASON, NOT_TIED, TOO_FEW, exclusion_problems, guaranteed_places, select

D = Decimal


def entries(*totals):
    """Keys "a", "b", ... in the order given (the dossier-number order), with these totals."""
    return [(chr(ord("a") + index), D(str(total))) for index, total in enumerate(totals)]


def selected(result):
    return [key for key, placement in result.items() if placement.selected]


def tied(result):
    return [key for key, placement in result.items() if placement.tied_at_cutoff]


def test_select_without_rule_selects_everyone():
    result = select(entries(700, 500, 300))

    assert selected(result) == ["a", "b", "c"]
    assert tied(result) == []


def test_select_ranks_by_total_highest_first():
    result = select(entries(500, 700, 600), top_n=2)

    assert list(result) == ["b", "c", "a"]
    assert [placement.rank for placement in result.values()] == [1, 2, 3]
    assert selected(result) == ["b", "c"]


def test_select_top_n_takes_exactly_n_without_a_tie():
    result = select(entries(800, 700, 600, 500), top_n=3)

    assert selected(result) == ["a", "b", "c"]
    assert tied(result) == []


def test_select_tie_at_the_cut_off_takes_both():
    result = select(entries(800, 700, 600, 600, 500), top_n=3)

    assert selected(result) == ["a", "b", "c", "d"]
    assert tied(result) == ["c", "d"]
    assert [result[key].rank for key in "abcde"] == [1, 2, 3, 3, 5]


def test_select_three_way_tie_straddling_the_cut_off_takes_all():
    result = select(entries(800, 600, 600, 600, 500), top_n=2)

    assert selected(result) == ["a", "b", "c", "d"]
    assert tied(result) == ["b", "c", "d"]


def test_select_tie_inside_the_top_n_is_not_at_the_cut_off():
    result = select(entries(800, 800, 700, 600), top_n=3)

    assert selected(result) == ["a", "b", "c"]
    assert tied(result) == []


def test_select_tie_ending_exactly_at_n_is_not_at_the_cut_off():
    result = select(entries(800, 700, 700, 600), top_n=3)

    assert selected(result) == ["a", "b", "c"]
    assert tied(result) == []


def test_select_ties_keep_the_given_order():
    result = select(entries(600, 700, 600), top_n=1)

    assert list(result) == ["b", "a", "c"]


def test_select_top_n_larger_than_the_panel_selects_everyone():
    result = select(entries(300, 200), top_n=5)

    assert selected(result) == ["a", "b"]
    assert tied(result) == []


def test_select_top_zero_selects_nobody():
    assert selected(select(entries(900, 800), top_n=0)) == []


def test_select_minimum_score_exactly_met_is_selected():
    result = select(entries("600.00", "599.99", "600.01"), min_score=D("600"))

    assert selected(result) == ["c", "a"]
    assert result["b"].selected is False


def test_select_minimum_score_below_by_the_smallest_step_is_not_selected():
    result = select(entries("599.9999"), min_score=D("600"))

    assert selected(result) == []


def test_select_both_rules_must_hold():
    # Top 3 would take a, b, c; the minimum removes c (580 < 600).
    result = select(entries(800, 650, 580, 550), top_n=3, min_score=D("600"))

    assert selected(result) == ["a", "b"]


def test_select_both_rules_tie_below_the_minimum_is_not_flagged():
    result = select(entries(800, 550, 550), top_n=2, min_score=D("600"))

    assert selected(result) == ["a"]
    assert tied(result) == []


def test_select_both_rules_tie_above_the_minimum_is_taken():
    result = select(entries(800, 650, 650), top_n=2, min_score=D("600"))

    assert selected(result) == ["a", "b", "c"]
    assert tied(result) == ["b", "c"]


def test_select_empty_panel():
    assert select([], top_n=3, min_score=D("600")) == {}


def test_select_refuses_float_totals():
    with pytest.raises(TypeError):
        select([("a", 600.0)], top_n=1)


def test_select_refuses_repeated_keys():
    with pytest.raises(ValueError, match="once"):
        select([("a", D(1)), ("a", D(2))])


@pytest.mark.parametrize("top_n", [-1, 1.5, True])
def test_select_refuses_a_bad_top_n(top_n):
    with pytest.raises(ValueError):
        select(entries(1), top_n=top_n)


def test_select_refuses_a_float_minimum():
    with pytest.raises(TypeError):
        select(entries(1), min_score=600.0)


# --- leaving out a dossier tied at the cut-off ---


def test_exclusion_of_a_tied_dossier_with_a_reason_is_allowed():
    result = select(entries(800, 700, 600, 600), top_n=3)

    assert exclusion_problems(result, {"d": "现场核查时间冲突，秘书处决定"}, top_n=3) == []


def test_exclusion_needs_a_reason():
    result = select(entries(800, 700, 600, 600), top_n=3)

    assert exclusion_problems(result, {"d": "   "}, top_n=3) == [(NO_REASON, "d")]


def test_exclusion_of_a_dossier_not_tied_is_refused():
    result = select(entries(800, 700, 600, 600), top_n=3)

    assert exclusion_problems(result, {"a": "理由"}, top_n=3) == [(NOT_TIED, "a")]


def test_exclusion_of_every_tied_dossier_is_refused_below_n():
    result = select(entries(800, 700, 600, 600), top_n=3)

    assert guaranteed_places(result, 3) == 3
    assert exclusion_problems(result, {"c": "理由", "d": "理由"}, top_n=3) == [(TOO_FEW, None)]


def test_exclusion_keys_of_another_panel_are_ignored():
    result = select(entries(800, 700), top_n=1)

    assert exclusion_problems(result, {"z": ""}, top_n=1) == []


# --- properties ---

totals = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.sampled_from([D("500"), D("600"), D("650"), D("700")]) | totals, max_size=12),
    top_n=st.none() | st.integers(min_value=0, max_value=14),
    min_score=st.none() | totals,
)
def test_select_properties(values, top_n, min_score):
    result = select(entries(*values), top_n=top_n, min_score=min_score)
    placements = list(result.values())

    # Ordered by total, highest first; equal totals share a place.
    assert [p.total for p in placements] == sorted(values, reverse=True)
    for earlier, later in pairwise(placements):
        assert (earlier.rank == later.rank) == (earlier.total == later.total)
    chosen = [p for p in placements if p.selected]
    # Selection is a prefix of the ranking: nobody is passed over for a lower total.
    assert placements[: len(chosen)] == chosen
    # The minimum holds for every dossier selected, and everyone at or above it is selected when no N is set.
    if min_score is not None:
        assert all(p.total >= min_score for p in chosen)
    if top_n is None:
        assert len(chosen) == sum(1 for v in values if min_score is None or v >= min_score)
    else:
        # At most N, plus those tied at the cut-off; all of those share one total.
        extra = [p for p in chosen if p.tied_at_cutoff]
        assert len(chosen) <= top_n or extra
        assert len({p.total for p in extra}) <= 1
        # A tie at the cut-off means the Nth and the (N+1)th have equal totals and both are in.
        if extra:
            assert placements[top_n - 1].total == placements[top_n].total == extra[0].total
            assert placements[top_n].selected
        # Equal totals are never split by the rule.
        for p in placements:
            assert all(q.selected == p.selected for q in placements if q.total == p.total)
