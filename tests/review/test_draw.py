"""The random draw of a review panel (draw.py, Art. 6, 7): no models, no database."""

import dataclasses
import hashlib
import json
import random

import pytest
from django.utils import translation
from django.utils.functional import Promise
from hypothesis import event, given
from hypothesis import strategies as st

from review import draw as draw_module
from review.draw import Candidate, DrawError, DrawResult, PanelRequest, Reason, draw, eligible, exclusions, verify

SEED = "luohe-2024"
OTHER_SEED = "luohe-2026"
MANUFACTURING = frozenset({"C"})
DOSSIERS = frozenset({501, 502})


def expert(expert_id, **changes):
    values = {
        "expert_id": expert_id,
        "name": f"专家{expert_id}",
        "industries": MANUFACTURING,
        "active": True,
        "is_committee_member": False,
        "conflicted_organisation_ids": frozenset(),
        "seated_in_cycle": False,
    }
    return Candidate(**(values | changes))


def pool(count, start=1):
    return [expert(expert_id) for expert_id in range(start, start + count)]


def panel(**changes):
    values = {
        "group": "制造业（C）",
        "industries": MANUFACTURING,
        "dossier_organisation_ids": DOSSIERS,
        "size": 5,
    }
    return PanelRequest(**(values | changes))


def rendered(message, language="en"):
    with translation.override(language):
        return str(message)


# --- the recipe and determinism ---


def test_new_seed_is_32_hex_characters_and_fresh():
    seeds = {draw_module.new_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(len(seed) == 32 and int(seed, 16) >= 0 for seed in seeds)


def test_same_inputs_and_seed_give_the_same_result():
    candidates = pool(12)
    assert draw(candidates, panel(), SEED) == draw(candidates, panel(), SEED)


def test_the_order_of_the_candidates_does_not_matter():
    candidates = pool(12)
    assert draw(candidates, panel(), SEED) == draw(list(reversed(candidates)), panel(), SEED)


def test_different_seeds_give_different_rankings():
    first, second = draw(pool(12), panel(), SEED), draw(pool(12), panel(), OTHER_SEED)
    assert first.members + first.alternates != second.members + second.alternates


def test_the_recipe_in_the_docstring_recomputes_the_draw():
    result = draw(pool(12), panel(), SEED)

    ids = sorted(result.candidate_ids)
    material = json.dumps([SEED, ids], separators=(",", ":")).encode("utf-8")
    ranking = list(ids)
    random.Random(int(hashlib.sha256(material).hexdigest(), 16)).shuffle(ranking)  # noqa: S311

    assert material == b'["luohe-2024",[1,2,3,4,5,6,7,8,9,10,11,12]]'
    assert result.members == tuple(ranking[:5])
    assert result.alternates == tuple(ranking[5:10])


def test_the_ranking_is_pinned_so_a_changed_generator_cannot_silently_change_old_draws():
    # If this fails after a Python upgrade, random.Random or shuffle changed: stored draws no longer verify.
    result = draw(pool(12), panel(), SEED)
    assert result.members == (4, 10, 8, 5, 7)
    assert result.alternates == (1, 3, 2, 6, 12)


def test_the_ranking_does_not_depend_on_the_size():
    small = draw(pool(12), panel(size=5, alternates=5), SEED)
    large = draw(pool(12), panel(size=7, alternates=3), SEED)
    assert small.members + small.alternates == large.members + large.alternates


def test_the_result_records_the_seed_the_eligible_pool_and_the_exclusions():
    candidates = [*pool(6), expert(20, active=False)]
    result = draw(candidates, panel(), SEED)
    assert result.seed == SEED
    assert result.candidate_ids == (1, 2, 3, 4, 5, 6)
    assert result.excluded == {20: Reason.INACTIVE}
    assert len(result.members) == 5
    assert set(result.alternates) == set(result.candidate_ids) - set(result.members)


def test_fewer_alternates_when_the_pool_fills_the_panel_but_not_every_alternate_place():
    result = draw(pool(7), panel(), SEED)
    assert len(result.members) == 5 and len(result.alternates) == 2


def test_a_record_survives_a_round_trip_through_json():
    result = draw([*pool(8), expert(30, is_committee_member=True)], panel(), SEED)
    record = json.loads(json.dumps(result.to_record()))
    assert record["recipe"] == draw_module.RECIPE_VERSION
    assert DrawResult.from_record(record) == result


def test_a_record_of_another_recipe_is_refused():
    record = draw(pool(8), panel(), SEED).to_record() | {"recipe": 99}
    with pytest.raises(ValueError, match="recipe"):
        DrawResult.from_record(record)


def test_an_empty_seed_is_refused():
    with pytest.raises(ValueError, match="seed"):
        draw(pool(8), panel(), "")


# --- exclusions ---


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"active": False}, Reason.INACTIVE),
        ({"is_committee_member": True}, Reason.COMMITTEE),
        ({"industries": frozenset({"F", "G"})}, Reason.NO_EXPERTISE),
        ({"industries": frozenset()}, Reason.NO_EXPERTISE),
        ({"conflicted_organisation_ids": frozenset({502})}, Reason.CONFLICT),
        ({"conflicted_organisation_ids": frozenset({999, 501})}, Reason.CONFLICT),
        ({"seated_in_cycle": True}, Reason.ALREADY_SEATED),
    ],
    ids=[
        "inactive",
        "committee",
        "other-industry",
        "no-industry",
        "conflict",
        "conflict-with-one-of-several",
        "already-seated",
    ],
)
def test_each_kind_of_exclusion(changes, reason):
    outsider = expert(99, **changes)
    candidates = [*pool(10), outsider]

    assert outsider not in eligible(candidates, panel())
    assert exclusions(candidates, panel()) == {99: reason}
    result = draw(candidates, panel(), SEED)
    assert 99 not in result.candidate_ids + result.members + result.alternates
    assert result.excluded == {99: reason}


def test_expertise_is_any_shared_industry():
    candidates = [expert(1, industries=frozenset({"C", "D"})), expert(2, industries=frozenset({"D"}))]
    assert [c.expert_id for c in eligible(candidates, panel(industries=frozenset({"D", "E"})))] == [1, 2]
    assert exclusions(candidates, panel(industries=frozenset({"C"}))) == {2: Reason.NO_EXPERTISE}


def test_a_conflict_with_an_organisation_outside_the_panel_does_not_exclude():
    candidates = [expert(1, conflicted_organisation_ids=frozenset({777}))]
    assert exclusions(candidates, panel()) == {}


def test_an_expert_already_seated_may_sit_again_when_the_cycle_allows_it():
    seated = expert(99, seated_in_cycle=True)
    request = panel(one_panel_per_cycle=False)
    assert seated in eligible([*pool(4), seated], request)
    assert exclusions([*pool(4), seated], request) == {}
    assert 99 in draw([*pool(4), seated], request, SEED).members


def test_the_first_reason_that_applies_is_reported():
    everything = expert(
        1,
        active=False,
        is_committee_member=True,
        industries=frozenset({"A"}),
        conflicted_organisation_ids=DOSSIERS,
        seated_in_cycle=True,
    )
    assert exclusions([everything], panel()) == {1: Reason.INACTIVE}
    assert exclusions([dataclasses.replace(everything, active=True)], panel()) == {1: Reason.COMMITTEE}


def test_eligible_is_in_canonical_order():
    candidates = [expert(9), expert(3), expert(7)]
    assert [c.expert_id for c in eligible(candidates, panel())] == [3, 7, 9]


def test_a_candidate_listed_twice_is_refused():
    with pytest.raises(ValueError, match=r"repeated ids \[2\]"):
        draw([*pool(6), expert(2)], panel(), SEED)


def test_reason_codes_are_the_stable_strings_and_have_labels():
    assert [str(reason) for reason in Reason] == [
        "inactive",
        "committee",
        "no-expertise",
        "conflict",
        "already-seated",
    ]
    assert rendered(Reason.NO_EXPERTISE.label) == "No expertise in the panel's industries (Art. 6)"


# --- inputs ---


def test_unknown_industry_sections_are_refused():
    with pytest.raises(ValueError, match="unknown GB/T 4754-2017 sections"):
        expert(1, industries=frozenset({"Z"}))
    with pytest.raises(ValueError, match="unknown GB/T 4754-2017 sections"):
        panel(industries=frozenset({"c"}))


def test_industries_given_as_a_string_are_refused():
    with pytest.raises(TypeError, match="not the string"):
        expert(1, industries="CD")


def test_a_panel_reviews_at_least_one_industry():
    with pytest.raises(ValueError, match="at least one industry"):
        panel(industries=frozenset())


def test_a_negative_number_of_alternates_is_refused():
    with pytest.raises(ValueError, match="alternates"):
        panel(alternates=-1)


def test_sets_are_frozen():
    candidate = expert(1, industries={"C"}, conflicted_organisation_ids={5})
    request = panel(industries={"C"}, dossier_organisation_ids={5})
    assert isinstance(candidate.industries, frozenset) and isinstance(candidate.conflicted_organisation_ids, frozenset)
    assert isinstance(request.industries, frozenset) and isinstance(request.dossier_organisation_ids, frozenset)


# --- the size (Art. 7) ---


def test_five_members_are_accepted():
    assert len(draw(pool(5), panel(size=5), SEED).members) == 5


def test_four_members_are_refused_citing_article_7():
    with pytest.raises(DrawError) as refused:
        draw(pool(10), panel(size=4), SEED)
    assert refused.value.code == "size"
    assert rendered(refused.value.message) == "A panel has at least 5 experts (Art. 7); 4 is not enough."
    with translation.override("en"):
        assert str(refused.value) == "A panel has at least 5 experts (Art. 7); 4 is not enough."


def test_the_cycles_minimum_applies_when_above_five():
    with pytest.raises(DrawError) as refused:
        draw(pool(10), panel(size=6, minimum_size=7), SEED)
    assert rendered(refused.value.message) == "A panel has at least 7 experts (Art. 7); 6 is not enough."
    assert len(draw(pool(10), panel(size=7, minimum_size=7), SEED).members) == 7


def test_a_minimum_below_five_is_refused_citing_article_7():
    with pytest.raises(DrawError) as refused:
        draw(pool(10), panel(size=5, minimum_size=4), SEED)
    assert refused.value.code == "minimum-size"
    assert rendered(refused.value.message) == "A panel has at least five experts (Art. 7)."


def test_a_minimum_of_four_is_refused_even_for_a_panel_of_four():
    with pytest.raises(DrawError) as refused:
        draw(pool(10), panel(size=4, minimum_size=4), SEED)
    assert refused.value.code == "minimum-size"


def test_a_shortage_names_the_group_the_need_and_the_qualifying_count():
    candidates = [
        *pool(3),
        expert(10, active=False),
        expert(11, is_committee_member=True),
        expert(12, conflicted_organisation_ids=frozenset({501})),
        expert(13, conflicted_organisation_ids=frozenset({502})),
        expert(14, seated_in_cycle=True),
    ]
    with pytest.raises(DrawError) as refused:
        draw(candidates, panel(size=6, minimum_size=5), SEED)
    error = refused.value
    assert error.code == "shortage"
    assert rendered(error.message) == "制造业（C）: 6 experts are needed, only 3 qualify."
    assert (error.needed, error.available) == (6, 3)
    assert error.excluded_counts == {
        "inactive": 1,
        "committee": 1,
        "no-expertise": 0,
        "conflict": 2,
        "already-seated": 1,
    }


def test_messages_are_translated_when_rendered_not_when_raised():
    with translation.override("zh-hans"), pytest.raises(DrawError) as refused:
        draw(pool(2), panel(), SEED)
    assert isinstance(refused.value.message, Promise)
    assert rendered(refused.value.message, "en") == "制造业（C）: 5 experts are needed, only 2 qualify."


def test_an_empty_pool_is_a_shortage():
    with pytest.raises(DrawError) as refused:
        draw([], panel(), SEED)
    assert (refused.value.needed, refused.value.available) == (5, 0)


# --- replacement after a decline ---


def test_replacement_calls_the_alternates_in_rank_order():
    result = draw(pool(12), panel(), SEED)
    first, second, *_ = result.alternates
    assert draw_module.replacement(result, result.members[0], set()) == first
    assert draw_module.replacement(result, result.members[1], {first}) == second


def test_replacement_when_the_called_alternate_declines_too():
    result = draw(pool(12), panel(), SEED)
    first, second, *_ = result.alternates
    assert draw_module.replacement(result, first, set()) == second


def test_replacement_skips_alternates_in_conflict_after_declaring():
    result = draw(pool(12), panel(), SEED)
    first, second, third, *_ = result.alternates
    assert draw_module.replacement(result, result.members[0], {first, second}) == third


def test_replacement_is_none_when_the_alternates_are_exhausted():
    result = draw(pool(12), panel(), SEED)
    assert draw_module.replacement(result, result.members[0], set(result.alternates)) is None
    no_alternates = draw(pool(5), panel(), SEED)
    assert draw_module.replacement(no_alternates, no_alternates.members[0], set()) is None


def test_replacement_for_an_expert_not_drawn_is_an_error():
    result = draw(pool(12), panel(), SEED)
    with pytest.raises(ValueError, match="not drawn"):
        draw_module.replacement(result, 999, set())


# --- verification ---


def test_verify_accepts_an_honest_result():
    candidates = [*pool(12), expert(40, seated_in_cycle=True)]
    result = draw(candidates, panel(), SEED)
    assert verify(candidates, panel(), SEED, result)


def test_verify_rejects_a_swapped_member():
    candidates = pool(12)
    result = draw(candidates, panel(), SEED)
    outsider = result.alternates[-1]
    swapped = dataclasses.replace(result, members=(outsider, *result.members[1:]))
    assert not verify(candidates, panel(), SEED, swapped)


def test_verify_rejects_reordered_alternates_another_seed_or_a_changed_pool():
    candidates = pool(12)
    result = draw(candidates, panel(), SEED)
    assert not verify(candidates, panel(), SEED, dataclasses.replace(result, alternates=result.alternates[::-1]))
    assert not verify(candidates, panel(), OTHER_SEED, result)
    assert not verify([*candidates, expert(13)], panel(), SEED, result)


def test_verify_rejects_a_result_for_a_draw_that_would_be_refused():
    result = draw(pool(12), panel(), SEED)
    assert not verify(pool(3), panel(), SEED, result)


# --- properties over any pool ---

SECTIONS = ["A", "C", "D", "F"]
MOSTLY_MANUFACTURING = st.sampled_from(["C", "C", "C", "A", "D", "F"])
ORGANISATIONS = [501, 502, 503, 504, 505, 506]
# Each flag excludes one expert in eight, so that most pools fill a panel and the refusals still come up.
rarely = st.sampled_from([False] * 7 + [True])


@st.composite
def candidate_pools(draw_):
    count = draw_(st.integers(min_value=6, max_value=24))
    ids = draw_(st.lists(st.integers(min_value=1, max_value=10_000), unique=True, min_size=count, max_size=count))
    return [
        Candidate(
            expert_id=expert_id,
            name=f"专家{expert_id}",
            industries=draw_(st.frozensets(MOSTLY_MANUFACTURING, min_size=1, max_size=2)),
            active=not draw_(rarely),
            is_committee_member=draw_(rarely),
            conflicted_organisation_ids=draw_(st.frozensets(st.sampled_from(ORGANISATIONS), max_size=1)),
            seated_in_cycle=draw_(rarely),
        )
        for expert_id in ids
    ]


@st.composite
def panel_requests(draw_):
    minimum_size = draw_(st.integers(min_value=5, max_value=7))
    return PanelRequest(
        group="制造业（C）",
        industries=draw_(st.frozensets(MOSTLY_MANUFACTURING, min_size=1)),
        dossier_organisation_ids=draw_(st.frozensets(st.sampled_from(ORGANISATIONS), max_size=2)),
        size=minimum_size + draw_(st.integers(min_value=0, max_value=3)),
        minimum_size=minimum_size,
        one_panel_per_cycle=draw_(st.booleans()),
        alternates=draw_(st.integers(min_value=0, max_value=6)),
    )


seeds = st.text(min_size=1, max_size=40)


def can_be_drawn(candidate, request):
    return (
        candidate.active
        and not candidate.is_committee_member
        and bool(candidate.industries & request.industries)
        and not candidate.conflicted_organisation_ids & request.dossier_organisation_ids
        and not (request.one_panel_per_cycle and candidate.seated_in_cycle)
    )


@given(candidates=candidate_pools(), request=panel_requests(), seed=seeds)
def test_nobody_drawn_is_barred_and_nobody_is_drawn_twice(candidates, request, seed):
    by_id = {candidate.expert_id: candidate for candidate in candidates}
    qualifying = {c.expert_id for c in candidates if can_be_drawn(c, request)}
    try:
        result = draw(candidates, request, seed)
    except DrawError as error:
        event("refused")
        assert error.code == "shortage"
        assert len(qualifying) < request.size
        assert (error.needed, error.available) == (request.size, len(qualifying))
        assert sum(error.excluded_counts.values()) == len(candidates) - len(qualifying)
        return

    event("drawn")
    drawn = result.members + result.alternates
    assert len(drawn) == len(set(drawn))
    assert set(drawn) <= set(result.candidate_ids) == qualifying
    assert all(can_be_drawn(by_id[expert_id], request) for expert_id in drawn)
    assert len(result.members) == request.size
    assert len(result.alternates) == min(request.alternates, len(qualifying) - request.size)
    assert set(result.candidate_ids) | set(result.excluded) == set(by_id)
    assert not set(result.candidate_ids) & set(result.excluded)
    assert verify(candidates, request, seed, result)


@given(candidates=candidate_pools(), request=panel_requests())
def test_eligible_and_exclusions_partition_the_pool(candidates, request):
    qualifying = {candidate.expert_id for candidate in eligible(candidates, request)}
    excluded = exclusions(candidates, request)
    assert qualifying == {c.expert_id for c in candidates if can_be_drawn(c, request)}
    assert qualifying.isdisjoint(excluded)
    assert qualifying | set(excluded) == {candidate.expert_id for candidate in candidates}


@given(minimum_size=st.integers(min_value=-1, max_value=12), size=st.integers(min_value=-1, max_value=12))
def test_a_panel_below_five_or_below_the_minimum_is_always_refused(minimum_size, size):
    candidates = pool(10)
    request = PanelRequest(
        group="制造业（C）",
        industries=frozenset(SECTIONS),
        dossier_organisation_ids=frozenset(),
        size=size,
        minimum_size=minimum_size,
    )
    if minimum_size < 5 or size < minimum_size:
        with pytest.raises(DrawError) as refused:
            draw(candidates, request, SEED)
        assert refused.value.code == ("minimum-size" if minimum_size < 5 else "size")
    else:
        try:
            assert len(draw(candidates, request, SEED).members) == size >= 5
        except DrawError as error:
            assert error.code == "shortage"
