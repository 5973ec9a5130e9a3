"""The pure rules of a cycle's life (lifecycle.py): no models, no database."""

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from mayor_award.core import lifecycle
from mayor_award.core.enums import CyclePhase
from mayor_award.core.lifecycle import CycleNumbering, CycleRules

PHASES = list(CyclePhase)
VALID_RULES = CycleRules(
    award_quota=lifecycle.DEFAULT_AWARD_QUOTA,
    prize_amount=lifecycle.DEFAULT_PRIZE_YUAN,
    panel_min_size=lifecycle.MIN_PANEL_SIZE,
    publicity_min_days=lifecycle.MIN_PUBLICITY_DAYS,
    onsite_score_weight=lifecycle.DEFAULT_ONSITE_WEIGHT,
    slate_ratio=lifecycle.DEFAULT_SLATE_RATIO,
    pass_ratio=lifecycle.DEFAULT_PASS_RATIO,
    quorum_ratio=lifecycle.DEFAULT_QUORUM_RATIO,
)


def rules_with(**changes):
    return dataclasses.replace(VALID_RULES, **changes)


# --- phases and transitions (Art. 12-18) ---


def test_phase_order_is_the_regulations_order():
    assert lifecycle.PHASE_ORDER == (
        CyclePhase.DRAFT,
        CyclePhase.OPEN,
        CyclePhase.ELIGIBILITY,
        CyclePhase.MATERIAL_REVIEW,
        CyclePhase.ONSITE_REVIEW,
        CyclePhase.DELIBERATION,
        CyclePhase.APPROVAL,
        CyclePhase.PUBLICITY,
        CyclePhase.ANNOUNCED,
        CyclePhase.CLOSED,
    )


@pytest.mark.parametrize(("phase", "following"), list(itertools.pairwise(PHASES)), ids=str)
def test_transitions_allow_only_the_next_phase(phase, following):
    assert lifecycle.TRANSITIONS[phase] == frozenset({following})
    assert lifecycle.next_phase(phase) == following


def test_transitions_closed_has_no_next_phase():
    assert lifecycle.TRANSITIONS[CyclePhase.CLOSED] == frozenset()
    assert lifecycle.next_phase(CyclePhase.CLOSED) is None


@pytest.mark.parametrize("target", PHASES, ids=str)
@pytest.mark.parametrize("current", PHASES, ids=str)
def test_transition_problems_refuse_every_move_but_the_next(current, target):
    allowed = lifecycle.next_phase(current) == target

    problems = lifecycle.transition_problems(current=current, target=target, announcement_published=True)

    assert (problems == []) is allowed


def test_transition_problems_skipping_a_phase_names_both_phases():
    with translation.override("en"):
        problems = lifecycle.transition_problems(
            current=CyclePhase.OPEN, target=CyclePhase.MATERIAL_REVIEW, announcement_published=True
        )

        assert [str(problem) for problem in problems] == [
            "A cycle cannot move from “Open for applications” to “Material review”; "
            "phases follow the order of the regulation."
        ]


def test_transition_problems_draft_to_open_without_announcement_refused():
    with translation.override("en"):
        problems = lifecycle.transition_problems(
            current=CyclePhase.DRAFT, target=CyclePhase.OPEN, announcement_published=False
        )

        assert [str(problem) for problem in problems] == [
            "The cycle announcement must be published before applications open (Art. 14)."
        ]


def test_transition_problems_draft_to_open_with_announcement_allowed():
    problems = lifecycle.transition_problems(
        current=CyclePhase.DRAFT, target=CyclePhase.OPEN, announcement_published=True
    )

    assert problems == []


def test_transition_problems_later_phases_do_not_need_the_announcement_flag():
    problems = lifecycle.transition_problems(
        current=CyclePhase.OPEN, target=CyclePhase.ELIGIBILITY, announcement_published=False
    )

    assert problems == []


# --- numbering (Art. 4, Art. 27) ---


def test_numbering_year_2018_refused():
    with translation.override("en"):
        problems = lifecycle.numbering_problems(cycle=CycleNumbering(number=1, year=2018), previous=None)

        assert {field: str(message) for field, message in problems.items()} == {
            "year": "The regulation applies from 1 January 2019 (Art. 27)."
        }


def test_numbering_year_2019_accepted():
    problems = lifecycle.numbering_problems(cycle=CycleNumbering(number=1, year=2019), previous=None)

    assert problems == {}


def test_numbering_number_zero_refused():
    problems = lifecycle.numbering_problems(cycle=CycleNumbering(number=0, year=2020), previous=None)

    assert list(problems) == ["number"]


def test_numbering_next_number_two_years_later_accepted():
    problems = lifecycle.numbering_problems(
        cycle=CycleNumbering(number=4, year=2026), previous=CycleNumbering(number=3, year=2024)
    )

    assert problems == {}


def test_numbering_gap_in_numbers_refused():
    with translation.override("en"):
        problems = lifecycle.numbering_problems(
            cycle=CycleNumbering(number=5, year=2026), previous=CycleNumbering(number=3, year=2024)
        )

        assert {field: str(message) for field, message in problems.items()} == {
            "number": "Cycles are numbered consecutively: the next cycle is number 4."
        }


@pytest.mark.parametrize(("years_after", "refused"), [(1, True), (2, False), (3, True)])
def test_numbering_cycles_two_years_apart(years_after, refused):
    problems = lifecycle.numbering_problems(
        cycle=CycleNumbering(number=4, year=2024 + years_after), previous=CycleNumbering(number=3, year=2024)
    )

    assert list(problems) == (["year"] if refused else [])


def test_numbering_wrong_year_message_gives_the_right_year():
    with translation.override("en"):
        problems = lifecycle.numbering_problems(
            cycle=CycleNumbering(number=4, year=2025), previous=CycleNumbering(number=3, year=2024)
        )

        assert str(problems["year"]) == (
            "The award runs every two years (Art. 4): cycle 3 was in 2024, so this one is in 2026."
        )


# --- per-cycle rules (Art. 7, 16, 17, 19) ---


def test_rules_defaults_have_no_problems():
    assert lifecycle.rules_problems(VALID_RULES) == {}


@pytest.mark.parametrize(("size", "refused"), [(4, True), (5, False)])
def test_rules_panel_min_size_at_least_five(size, refused):
    problems = lifecycle.rules_problems(rules_with(panel_min_size=size))

    assert list(problems) == (["panel_min_size"] if refused else [])


@pytest.mark.parametrize(("days", "refused"), [(6, True), (7, False)])
def test_rules_publicity_min_days_at_least_seven(days, refused):
    problems = lifecycle.rules_problems(rules_with(publicity_min_days=days))

    assert list(problems) == (["publicity_min_days"] if refused else [])


@pytest.mark.parametrize(
    ("weight", "refused"),
    [("0.5", True), ("0.500", True), ("0.501", False), ("0.51", False), ("0.999", False), ("1", True), ("1.000", True)],
)
def test_rules_onsite_score_weight_strictly_between_half_and_one(weight, refused):
    problems = lifecycle.rules_problems(rules_with(onsite_score_weight=Decimal(weight)))

    assert list(problems) == (["onsite_score_weight"] if refused else [])


@given(weight=st.decimals(min_value="0.501", max_value="0.999", places=3))
def test_rules_onsite_score_weight_inside_the_bounds_accepted(weight):
    assert lifecycle.rules_problems(rules_with(onsite_score_weight=weight)) == {}


@given(
    weight=st.one_of(
        st.decimals(min_value="0", max_value="0.5", places=3),
        st.decimals(min_value="1", max_value="9.999", places=3),
    )
)
def test_rules_onsite_score_weight_outside_the_bounds_refused(weight):
    assert list(lifecycle.rules_problems(rules_with(onsite_score_weight=weight))) == ["onsite_score_weight"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("award_quota", -1),
        ("prize_amount", Decimal("-0.01")),
        ("slate_ratio", Decimal("0.99")),
        ("pass_ratio", Decimal("1")),
        ("pass_ratio", Decimal("-0.01")),
        ("quorum_ratio", Decimal("0")),
        ("quorum_ratio", Decimal("1.0001")),
    ],
)
def test_rules_out_of_bounds_value_reported_on_its_field(field, value):
    assert list(lifecycle.rules_problems(rules_with(**{field: value}))) == [field]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("award_quota", 0),
        ("prize_amount", Decimal("0")),
        ("slate_ratio", Decimal("1")),
        ("pass_ratio", Decimal("0")),
        ("quorum_ratio", Decimal("1")),
    ],
)
def test_rules_value_on_the_bound_accepted(field, value):
    assert lifecycle.rules_problems(rules_with(**{field: value})) == {}


def test_rules_several_problems_reported_together():
    problems = lifecycle.rules_problems(rules_with(panel_min_size=4, publicity_min_days=6))

    assert sorted(problems) == ["panel_min_size", "publicity_min_days"]


# --- publicity days (Art. 17, rules.md C7) ---


def test_publicity_days_counts_both_ends():
    assert lifecycle.publicity_days(dt.date(2026, 11, 1), dt.date(2026, 11, 7)) == 7


def test_publicity_days_single_day_is_one():
    assert lifecycle.publicity_days(dt.date(2026, 11, 1), dt.date(2026, 11, 1)) == 1


def test_publicity_days_across_a_month_end():
    assert lifecycle.publicity_days(dt.date(2026, 4, 28), dt.date(2026, 5, 4)) == 7


@given(
    first_day=st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2100, 12, 31)),
    extra=st.integers(min_value=0, max_value=60),
)
def test_publicity_days_is_the_calendar_span_plus_one(first_day, extra):
    assert lifecycle.publicity_days(first_day, first_day + dt.timedelta(days=extra)) == extra + 1
