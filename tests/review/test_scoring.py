"""Scoring of material and on-site review (scoring.py, Art. 12, 16): no models, no database."""

from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from review.scoring import (
    Aggregate,
    Item,
    ScoreError,
    Sheet,
    category_totals,
    display,
    item_points,
    item_stats,
    missing_items,
    panel_result,
    rank,
    require_complete,
    sheet_total,
    standings,
    validate_percent,
)

# GB/T 19580-2012, the 23 scored items and their points (copied from /work/shared/domain/gbt19580-2012.json).
GBT19580_2012 = (
    ("4.1", (("4.1.2", 50), ("4.1.3", 30), ("4.1.4", 30))),
    ("4.2", (("4.2.2", 40), ("4.2.3", 50))),
    ("4.3", (("4.3.2", 40), ("4.3.3", 50))),
    ("4.4", (("4.4.2", 60), ("4.4.3", 15), ("4.4.4", 20), ("4.4.5", 15), ("4.4.6", 10), ("4.4.7", 10))),
    ("4.5", (("4.5.2", 50), ("4.5.3", 50))),
    ("4.6", (("4.6.2", 40), ("4.6.3", 40))),
    ("4.7", (("4.7.2", 80), ("4.7.3", 80), ("4.7.4", 80), ("4.7.5", 60), ("4.7.6", 50), ("4.7.7", 50))),
)
ITEMS = tuple(Item(code, category, points) for category, items in GBT19580_2012 for code, points in items)
CODES = [item.code for item in ITEMS]
POINTS = {item.code: item.points for item in ITEMS}

PANEL_EXAMPLES = settings(max_examples=40)  # a panel is up to 7 sheets of 23 items: fewer, larger examples

percents = st.integers(0, 20).map(lambda n: n * 5)
any_percents = st.integers(0, 100)


def rendered(message, language="en"):
    with translation.override(language):
        return str(message)


def sheet(expert_id, percent=50, **changes):
    values = dict.fromkeys(CODES, percent)
    values.update({code.replace("_", "."): value for code, value in changes.items()})
    return Sheet(expert_id, values)


def sheets(expert_id=1):
    values = st.lists(percents, min_size=len(CODES), max_size=len(CODES))
    return values.map(lambda drawn: Sheet(expert_id, dict(zip(CODES, drawn, strict=True))))


@st.composite
def panels(draw, min_size=1, max_size=7):
    size = draw(st.integers(min_size, max_size))
    return [draw(sheets(expert_id=expert_id)) for expert_id in range(1, size + 1)]


# --- the criteria ---


def test_the_real_items_are_23_and_sum_to_1000():
    assert len(ITEMS) == 23
    assert sum(item.points for item in ITEMS) == 1000


def test_items_are_checked():
    with pytest.raises(ValueError):
        Item("", "4.1", 10)
    with pytest.raises(ValueError):
        Item("4.1.2", "4.1", 0)
    with pytest.raises(ValueError, match="repeated codes"):
        missing_items([Item("4.1.2", "4.1", 50), Item("4.1.2", "4.1", 50)], Sheet(1, {}))


# --- percentages ---


@pytest.mark.parametrize("value", [0, 5, 100])
def test_whole_steps_from_0_to_100_are_percentages(value):
    validate_percent(value)


@pytest.mark.parametrize("value", [-5, 105, 7, 5.0, "5", True, None, Decimal("5")])
def test_anything_else_is_refused(value):
    with pytest.raises(ScoreError) as raised:
        validate_percent(value)
    assert raised.value.code == "percent"
    assert raised.value.value == value and raised.value.step == 5


def test_the_refusal_names_the_value_and_the_step_when_rendered():
    with pytest.raises(ScoreError) as raised:
        validate_percent(7)
    english = "7 is not a percentage from 0 to 100 in steps of 5."
    assert rendered(raised.value.message) == english
    with translation.override("en"):
        assert str(raised.value) == english
    chinese = rendered(raised.value.message, "zh-hans")  # translated when rendered, not when raised
    assert chinese != english and "7" in chinese and "5" in chinese


def test_the_step_is_a_setting():
    validate_percent(7, step=1)
    validate_percent(90, step=10)
    with pytest.raises(ScoreError):
        validate_percent(95, step=10)


@pytest.mark.parametrize("step", [0, -5, 3, 7, 5.0, True])
def test_a_step_that_does_not_divide_100_is_a_configuration_error(step):
    with pytest.raises(ValueError, match="divides 100"):
        validate_percent(0, step=step)


@given(st.integers(-300, 300), st.sampled_from([1, 2, 4, 5, 10, 20, 25, 50, 100]))
def test_validate_percent_accepts_exactly_the_multiples_of_the_step(value, step):
    accepted = 0 <= value <= 100 and value % step == 0
    try:
        validate_percent(value, step)
    except ScoreError:
        assert not accepted
    else:
        assert accepted


def test_a_sheet_checks_its_percentages_on_construction():
    with pytest.raises(ScoreError):
        Sheet(1, {"4.1.2": 7})
    assert Sheet(1, {"4.1.2": 7}, step=1).percents == {"4.1.2": 7}
    assert Sheet(1, {"4.1.2": None}).percents == {"4.1.2": None}


# --- one item, one sheet ---


def test_item_points_are_exact():
    assert item_points(15, 35) == Decimal("5.25")
    assert item_points(50, 100) == Decimal("50")
    assert item_points(10, 0) == Decimal("0")
    assert str(item_points(15, 35)) == "5.25"


@given(st.integers(1, 200), any_percents)
def test_an_item_never_earns_more_than_its_points(points, percent):
    earned = item_points(points, percent)
    assert Decimal(0) <= earned <= points
    assert earned == Decimal(points * percent) / 100


def test_item_points_refuse_a_percentage_out_of_range():
    with pytest.raises(ScoreError):
        item_points(10, 101)


def test_missing_items_are_listed_in_the_criteria_order():
    draft = Sheet(1, {"4.7.7": 50, "4.1.2": 60, "4.4.3": None})
    missing = missing_items(ITEMS, draft)
    assert missing == [code for code in CODES if code not in {"4.7.7", "4.1.2"}]
    assert missing_items(ITEMS, sheet(1)) == []
    assert missing_items(ITEMS, sheet(1, **{"4_4_3": None})) == ["4.4.3"]


def test_a_sheet_with_a_missing_item_cannot_be_submitted_art_12():
    draft = sheet(7, **{"4_4_3": None, "4_7_2": None})
    with pytest.raises(ScoreError) as raised:
        require_complete(ITEMS, draft)
    assert raised.value.code == "incomplete"
    assert raised.value.missing == ("4.4.3", "4.7.2")
    assert raised.value.expert_id == 7
    assert rendered(raised.value.message) == (
        "Every item is scored before the sheet is submitted (Art. 12); not scored yet: 4.4.3, 4.7.2."
    )
    with pytest.raises(ScoreError):
        sheet_total(ITEMS, draft)
    with pytest.raises(ScoreError):
        category_totals(ITEMS, draft)
    require_complete(ITEMS, sheet(7))


def test_a_draft_can_be_summed_partially():
    draft = Sheet(1, {"4.1.2": 60, "4.4.3": 35})
    assert sheet_total(ITEMS, draft, partial=True) == Decimal("35.25")
    totals = category_totals(ITEMS, draft, partial=True)
    assert list(totals) == ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7"]
    assert totals["4.1"] == Decimal("30") and totals["4.4"] == Decimal("5.25") and totals["4.7"] == 0


def test_a_sheet_scoring_an_unknown_item_is_refused():
    with pytest.raises(ValueError, match="not in the criteria"):
        sheet_total(ITEMS, sheet(1, **{"4_8_1": 50}))
    with pytest.raises(ValueError, match="not in the criteria"):
        sheet_total(ITEMS, Sheet(1, {"9.9": 5}), partial=True)


def test_full_marks_are_1000_and_categories_add_up():
    full = sheet(1, percent=100)
    assert sheet_total(ITEMS, full) == 1000
    totals = category_totals(ITEMS, full)
    assert totals == {"4.1": 110, "4.2": 90, "4.3": 90, "4.4": 130, "4.5": 100, "4.6": 80, "4.7": 400}
    assert sheet_total(ITEMS, sheet(1, percent=0)) == 0


@given(sheets())
def test_a_sheet_total_is_within_0_and_1000_and_is_the_sum_of_its_categories(scored):
    total = sheet_total(ITEMS, scored)
    assert Decimal(0) <= total <= 1000
    assert total == sum(category_totals(ITEMS, scored).values())
    assert total == sum(item_points(POINTS[code], percent) for code, percent in scored.percents.items())
    assert total == total.quantize(Decimal("0.01"))  # exact: never more than two places


# --- one item, several experts ---


def test_the_statistics_of_one_item():
    stats = item_stats("4.1.2", {1: 60, 2: 70, 3: 50, 4: 70, 5: 85})
    assert stats.code == "4.1.2"
    assert stats.scores == (50, 60, 70, 70, 85)
    assert stats.mean == Decimal(67)
    assert stats.trimmed_mean == Decimal("66.66666666666666666666666667")
    assert stats.range == 35
    assert stats.std_dev == Decimal(136).sqrt()
    assert stats.outliers == ()
    assert display(stats.trimmed_mean) == "66.67"


def test_the_trimmed_mean_is_used_from_five_scores_on():
    five = item_stats("4.1.2", {1: 10, 2: 50, 3: 50, 4: 50, 5: 100})
    assert five.trimmed_mean == 50
    assert five.aggregate_used(Aggregate.TRIMMED_MEAN) == Aggregate.TRIMMED_MEAN
    assert five.value("trimmed_mean") == 50
    assert five.value(Aggregate.MEAN) == Decimal(52)


def test_below_five_scores_there_is_no_trimmed_mean_and_the_mean_counts():
    four = item_stats("4.1.2", {1: 10, 2: 50, 3: 50, 4: 100})
    assert four.trimmed_mean is None
    assert four.aggregate_used(Aggregate.TRIMMED_MEAN) == Aggregate.MEAN
    assert four.value(Aggregate.TRIMMED_MEAN) == four.mean == Decimal("52.5")


def test_the_trimmed_mean_drops_one_instance_of_tied_extremes():
    stats = item_stats("4.1.2", {1: 50, 2: 50, 3: 50, 4: 80, 5: 80})
    assert stats.trimmed_mean == Decimal(60)  # mean of 50, 50, 80
    same = item_stats("4.1.2", dict.fromkeys(range(1, 8), 35))
    assert same.trimmed_mean == 35


@given(st.dictionaries(st.integers(1, 50), any_percents, min_size=1, max_size=12))
def test_the_trimmed_mean_drops_exactly_one_highest_and_one_lowest(scores):
    stats = item_stats("4.4.3", scores)
    values = list(scores.values())
    assert stats.mean == Decimal(sum(values)) / len(values)
    if len(values) < 5:
        assert stats.trimmed_mean is None
    else:
        trimmed = Fraction(sum(values) - max(values) - min(values), len(values) - 2)
        assert stats.trimmed_mean == Decimal(trimmed.numerator) / trimmed.denominator
        assert min(values) <= stats.trimmed_mean <= max(values)
    assert stats.range == max(values) - min(values)
    assert stats.std_dev >= 0


@given(st.integers(1, 12), any_percents)
def test_the_standard_deviation_of_identical_scores_is_0(count, percent):
    stats = item_stats("4.2.2", dict.fromkeys(range(1, count + 1), percent))
    assert stats.std_dev == 0
    assert stats.range == 0
    assert stats.outliers == ()
    assert stats.mean == percent


def test_the_standard_deviation_is_the_population_one():
    assert item_stats("4.2.2", {1: 40, 2: 60}).std_dev == 10


def test_exactly_20_points_from_the_mean_is_not_flagged():
    stats = item_stats("4.3.2", {1: 50, 2: 50, 3: 50, 4: 50, 5: 75})  # mean 55: expert 5 is 20 away
    assert stats.mean == 55
    assert stats.outliers == ()


def test_21_points_from_the_mean_is_flagged():
    stats = item_stats("4.3.2", {1: 50, 2: 50, 3: 50, 4: 78})  # mean 57: expert 4 is 21 away
    assert stats.mean == 57
    assert stats.outliers == (4,)


def test_the_threshold_is_a_setting_and_flags_both_sides():
    scores = {1: 10, 2: 50, 3: 50, 4: 50, 5: 90}  # mean 50: experts 1 and 5 are 40 away
    assert item_stats("4.3.2", scores).outliers == (1, 5)
    assert item_stats("4.3.2", scores, outlier_threshold=40).outliers == ()
    assert item_stats("4.3.2", scores, outlier_threshold=Decimal("39.5")).outliers == (1, 5)
    with pytest.raises(ValueError):
        item_stats("4.3.2", scores, outlier_threshold=20.0)
    with pytest.raises(ValueError):
        item_stats("4.3.2", scores, outlier_threshold=-1)


@given(st.dictionaries(st.integers(1, 50), percents, min_size=1, max_size=12), st.integers(0, 60))
def test_flagged_exactly_when_strictly_further_than_the_threshold(scores, threshold):
    mean = Fraction(sum(scores.values()), len(scores))
    flagged = item_stats("4.5.2", scores, outlier_threshold=threshold).outliers
    assert flagged == tuple(sorted(e for e, score in scores.items() if abs(score - mean) > threshold))


def test_item_stats_refuse_no_scores_and_invalid_scores():
    with pytest.raises(ValueError):
        item_stats("4.1.2", {})
    with pytest.raises(ScoreError):
        item_stats("4.1.2", {1: 101})


# --- a panel ---


def test_a_panel_of_five_with_the_trimmed_mean():
    panel = [sheet(1, 50), sheet(2, 60), sheet(3, 60, **{"4_1_2": 90}), sheet(4, 70), sheet(5, 10)]
    result = panel_result(ITEMS, panel)
    assert list(result.item_stats) == CODES
    assert result.item_percent["4.1.2"] == Decimal("60")  # 10, 50, 60, 70, 90 -> 50, 60, 70
    assert result.item_percent["4.1.3"] == Decimal("56.66666666666666666666666667")  # 50, 60, 60
    assert set(result.item_aggregate.values()) == {Aggregate.TRIMMED_MEAN}
    assert result.item_points["4.1.2"] == Decimal(30)
    assert result.item_points["4.1.3"] == Decimal(17)  # 30 x 56.67 %: exact, not rounded first
    assert result.total == Decimal("568.3333333333333333333333333")  # 30 + 950 x 17/30, rounded once
    assert display(result.total) == "568.33"
    assert result.category_points["4.7"] == Decimal("226.6666666666666666666666667")
    assert result.outliers["4.1.2"] == (3, 5)  # mean 56: 10 is 46 away, 90 is 34 away
    assert result.outliers["4.1.3"] == (5,)  # mean 50: 10 is 40 away, 70 is exactly 20 away (not flagged)
    assert result.item_stats["4.1.2"].std_dev == Decimal(704).sqrt()


def test_the_trimmed_mean_is_used_at_five_sheets_and_not_at_four():
    five = [sheet(expert_id, percent) for expert_id, percent in zip(range(1, 6), (0, 40, 50, 60, 100), strict=True)]
    at_five = panel_result(ITEMS, five)
    at_four = panel_result(ITEMS, five[:4])
    assert at_five.item_aggregate["4.1.2"] == Aggregate.TRIMMED_MEAN
    assert at_five.item_percent["4.1.2"] == 50 and at_five.total == 500
    assert at_four.item_aggregate["4.1.2"] == Aggregate.MEAN
    assert at_four.item_percent["4.1.2"] == Decimal("37.5") and at_four.total == 375
    mean_of_five = panel_result(ITEMS, five, aggregate="mean")
    assert mean_of_five.item_aggregate["4.1.2"] == Aggregate.MEAN
    assert mean_of_five.item_percent["4.1.2"] == 50 and mean_of_five.total == 500
    assert at_five.item_stats["4.1.2"].trimmed_mean == 50
    assert at_four.item_stats["4.1.2"].trimmed_mean is None


def test_a_panel_needs_complete_sheets_from_distinct_experts():
    with pytest.raises(ScoreError) as raised:
        panel_result(ITEMS, [sheet(1), sheet(2, **{"4_6_3": None})])
    assert raised.value.code == "incomplete" and raised.value.expert_id == 2 and raised.value.missing == ("4.6.3",)
    with pytest.raises(ValueError, match="repeated expert ids"):
        panel_result(ITEMS, [sheet(1), sheet(1)])
    with pytest.raises(ValueError):
        panel_result(ITEMS, [])
    with pytest.raises(ValueError):
        panel_result(ITEMS, [sheet(1)], aggregate="median")


@PANEL_EXAMPLES
@given(panels(), st.sampled_from(list(Aggregate)))
def test_panel_totals_stay_within_0_and_1000_and_items_within_their_points(panel, aggregate):
    result = panel_result(ITEMS, panel, aggregate=aggregate)
    assert Decimal(0) <= result.total <= 1000
    for item in ITEMS:
        assert Decimal(0) <= result.item_points[item.code] <= item.points
        assert Decimal(0) <= result.item_percent[item.code] <= 100
    assert abs(sum(result.category_points.values()) - result.total) < Decimal("1e-20")
    expected = Aggregate.TRIMMED_MEAN if aggregate == Aggregate.TRIMMED_MEAN and len(panel) >= 5 else Aggregate.MEAN
    assert set(result.item_aggregate.values()) == {expected}


@PANEL_EXAMPLES
@given(sheets())
def test_a_panel_of_one_gives_the_sheet_total(scored):
    result = panel_result(ITEMS, [scored])
    assert result.total == sheet_total(ITEMS, scored)
    assert result.category_points == category_totals(ITEMS, scored)


@PANEL_EXAMPLES
@given(panels(min_size=2))
def test_the_panel_total_does_not_depend_on_the_order_of_the_sheets(panel):
    assert panel_result(ITEMS, panel).total == panel_result(ITEMS, list(reversed(panel))).total


# --- ranking and display ---


def test_rank_orders_by_total_and_keeps_the_given_order_on_ties():
    candidates = [("A", Decimal("812.25")), ("B", Decimal("901.50")), ("C", Decimal("812.25")), ("D", 700)]
    assert rank(candidates) == ["B", "A", "C", "D"]
    assert rank(reversed(candidates)) == ["B", "C", "A", "D"]
    assert standings(candidates) == [("B", 1), ("A", 2), ("C", 2), ("D", 4)]
    assert rank([]) == []


def test_rank_refuses_floats_nan_and_repeated_candidates():
    with pytest.raises(TypeError):
        rank([("A", 812.25)])
    with pytest.raises(ValueError):
        rank([("A", Decimal("NaN"))])
    with pytest.raises(ValueError, match="ranked once"):
        rank([("A", Decimal(1)), ("A", Decimal(2))])


def test_totals_that_display_alike_still_rank_by_their_exact_values():
    candidates = [("first given", Decimal("812.336")), ("second given", Decimal("812.344"))]
    assert display(candidates[0][1]) == display(candidates[1][1]) == "812.34"
    assert rank(candidates) == ["second given", "first given"]
    assert standings(candidates) == [("second given", 1), ("first given", 2)]


totals = st.one_of(
    st.decimals(min_value=0, max_value=1000, places=2),
    st.decimals(min_value=0, max_value=1000, places=6),
    st.fractions(min_value=0, max_value=1000, max_denominator=700).map(lambda f: Decimal(f.numerator) / f.denominator),
)


@given(st.lists(totals, max_size=12))
def test_rounding_for_display_never_changes_a_ranking(values):
    candidates = list(enumerate(values))
    ranked = rank(candidates)
    by_exact = [key for key, _ in sorted(candidates, key=lambda c: c[1], reverse=True)]
    assert ranked == by_exact
    shown = [Decimal(display(values[key])) for key in ranked]
    assert shown == sorted(shown, reverse=True)  # rounding never inverts two candidates
    rounded = [(key, Decimal(display(total))) for key, total in candidates]
    if len({total for _, total in rounded}) == len(rounded):
        assert rank(rounded) == ranked  # where the displayed totals differ, they rank alike
    for position, key in enumerate(ranked[1:], start=1):  # and where they display alike, the exact value decides
        above = ranked[position - 1]
        if display(values[above]) == display(values[key]) and values[above] != values[key]:
            assert values[above] > values[key]
            assert rank(reversed(candidates)).index(above) < rank(reversed(candidates)).index(key)


@PANEL_EXAMPLES
@given(st.lists(sheets(), min_size=1, max_size=8))
def test_ranking_real_consensus_sheets_is_ranking_their_exact_totals(consensus_sheets):
    candidates = [(number, sheet_total(ITEMS, scored)) for number, scored in enumerate(consensus_sheets)]
    ranked = rank(candidates)
    assert [total for _, total in sorted(candidates, key=lambda c: ranked.index(c[0]))] == sorted(
        (total for _, total in candidates), reverse=True
    )


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (Decimal("5.125"), 2, "5.13"),
        (Decimal("5.135"), 2, "5.14"),
        (Decimal("5.124999"), 2, "5.12"),
        (Decimal("66.66666666666666666666666667"), 2, "66.67"),
        (Decimal("1000"), 2, "1000.00"),
        (Decimal("0E-28"), 2, "0.00"),
        (Decimal("-0.001"), 2, "0.00"),
        (Decimal("812.5"), 0, "813"),
        (Decimal("5.25"), 1, "5.3"),
        (7, 2, "7.00"),
    ],
)
def test_display_rounds_half_up(value, places, shown):
    assert display(value, places) == shown


def test_display_refuses_floats():
    with pytest.raises(TypeError):
        display(5.125)
    with pytest.raises(ValueError):
        display(Decimal(1), places=-1)


def test_display_does_not_change_the_value():
    value = Decimal("5.125")
    display(value)
    assert value == Decimal("5.125")
