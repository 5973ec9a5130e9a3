"""The panel's consensus (评审组共识): the aggregation is scoring.py's, the leader alone records it once every sheet
is in (Art. 12), the dossier moves on, the consensus locks, and only the secretariat reopens it with a reason."""

from decimal import Decimal

import pytest
from django.utils import translation

from applications.enums import DossierState
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent, CriteriaItem
from review import consensus, scoring
from review.consensus import ConsensusError, aggregation, consensus_record, consensus_reopen, consensus_save
from review.enums import ConsensusState, ReviewStage, SeatStatus, SheetState
from review.models import Consensus, ItemScore, OnsiteVisit, ScoreSheet
from tests.factories.review import ConflictFactory, PanelDossierFactory, SeatFactory
from tests.factories.review_consensus import criteria_codes, scored_panel, submitted_sheet

pytestmark = pytest.mark.django_db


def agreed(world, percent=55, **overrides):
    """Entries agreeing every item at `percent` (or the given per-item values)."""
    return {
        code: {"percent": overrides.get(code, percent), "strengths": f"{code}优势", "opportunities": f"{code}改进"}
        for code in criteria_codes(world.cycle)
    }


def save(world, entries=None, by=None, stage=ReviewStage.MATERIAL, **texts):
    return consensus_save(
        panel=world.panel,
        dossier=world.dossier,
        stage=stage,
        entries=agreed(world) if entries is None else entries,
        by=by or world.leader.expert.user,
        **texts,
    )


def record(world, **kwargs):
    saved = save(world, **kwargs)
    return consensus_record(consensus=saved, by=world.leader.expert.user)


def items_and_sheets(world, stage=ReviewStage.MATERIAL):
    """The same input the service reads, built straight from the rows, for scoring.py to sum up independently."""
    items = [
        scoring.Item(code=i.code, category=i.category.code, points=i.points)
        for i in CriteriaItem.objects.filter(category__criteria_id=world.cycle.criteria_id)
        .select_related("category")
        .order_by("category__position", "position")
    ]
    sheets = [
        scoring.Sheet(
            expert_id=sheet.seat_id,
            percents={row.item.code: row.percent for row in sheet.items.select_related("item")},
            step=1,
        )
        for sheet in ScoreSheet.objects.filter(dossier=world.dossier, stage=stage, state=SheetState.SUBMITTED)
    ]
    return items, sheets


# --- rounding the aggregate to the cycle's step ---


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        (Decimal("62.5"), 5, 65),
        (Decimal("62.4999"), 5, 60),
        (Decimal("57.5"), 5, 60),
        (Decimal("60"), 5, 60),
        (Decimal("65"), 10, 70),
        (Decimal("64.9999"), 10, 60),
        (Decimal("66.66666666666666666666666667"), 1, 67),
        (Decimal("0"), 5, 0),
        (Decimal("100"), 5, 100),
    ],
)
def test_round_to_step_is_half_up_to_the_nearest_step(value, step, expected):
    assert consensus.round_to_step(value, step) == expected


def test_reviewer_letters_run_from_a_to_z_then_double():
    assert [consensus.reviewer_letter(n) for n in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "AB"]


# --- the aggregation is scoring.py's output ---


def test_aggregation_equals_scoring_panel_result():
    world = scored_panel(experts=5)
    codes = criteria_codes(world.cycle)
    for index, seat in enumerate(world.seats):
        submitted_sheet(
            seat, world.dossier, percents={code: (index * 15 + n * 5) % 105 for n, code in enumerate(codes)}
        )
    items, sheets = items_and_sheets(world)

    summed = aggregation(panel=world.panel, dossier=world.dossier, stage=ReviewStage.MATERIAL)

    expected = scoring.panel_result(items, sheets, aggregate=scoring.Aggregate.TRIMMED_MEAN, outlier_threshold=20)
    assert summed.result == expected
    assert [row.stats for row in summed.rows] == [expected.item_stats[code] for code in codes]
    assert [row.aggregate for row in summed.rows] == [expected.item_percent[code] for code in codes]
    assert [[score.percent for score in row.scores] for row in summed.rows] == [
        [sheet.percents[code] for sheet in sorted(sheets, key=lambda s: s.expert_id)] for code in codes
    ]


def test_aggregation_names_experts_by_letter_in_draw_order():
    world = scored_panel(experts=5)
    world.submit_all(skip=1)

    summed = aggregation(panel=world.panel, dossier=world.dossier, stage=ReviewStage.MATERIAL)

    with translation.override("en"):  # 专家A… once the catalog translates "Expert %(letter)s"
        labels = [reviewer.label for reviewer in summed.reviewers]
    assert labels == ["Expert A", "Expert B", "Expert C", "Expert D", "Expert E"]
    assert [reviewer.submitted for reviewer in summed.reviewers] == [True, True, True, True, False]
    assert (summed.submitted, summed.expected, summed.complete) == (4, 5, False)


@pytest.mark.parametrize(("outlier_points", "flagged"), [(20, False), (19, True)])
def test_outlier_at_exactly_the_distance_is_not_flagged_beyond_it_is(outlier_points, flagged):
    world = scored_panel(experts=5)
    world.cycle.outlier_points = outlier_points
    world.cycle.save()
    # 4.1.2: 50, 50, 50, 50, 75: the mean is 55, the fifth expert is exactly 20 points away.
    for seat, value in zip(world.seats, [50, 50, 50, 50, 75], strict=True):
        submitted_sheet(seat, world.dossier, percents={"4.1.2": value}, default=50)

    summed = aggregation(panel=world.panel, dossier=world.dossier, stage=ReviewStage.MATERIAL)

    row = next(row for row in summed.rows if row.item.code == "4.1.2")
    assert [score.flagged for score in row.scores] == [False, False, False, False, flagged]
    assert summed.result.outliers == ({"4.1.2": (world.seats[4].pk,)} if flagged else {})


def test_trimmed_mean_counts_at_five_scores():
    world = scored_panel(experts=5)
    world.submit_all(percents=[0, 50, 60, 65, 100])

    summed = aggregation(panel=world.panel, dossier=world.dossier, stage=ReviewStage.MATERIAL)

    row = summed.rows[0]
    assert row.stats.trimmed_mean == Decimal("58.33333333333333333333333333")
    assert row.aggregate_used == scoring.Aggregate.TRIMMED_MEAN
    assert row.aggregate == row.stats.trimmed_mean
    assert row.prefill == 60


def test_trimmed_mean_not_at_four_scores_the_mean_counts():
    world = scored_panel(experts=4)
    world.submit_all(percents=[50, 60, 65, 75])

    summed = aggregation(panel=world.panel, dossier=world.dossier, stage=ReviewStage.MATERIAL)

    row = summed.rows[0]
    assert row.stats.trimmed_mean is None
    assert row.aggregate_used == scoring.Aggregate.MEAN
    assert row.aggregate == Decimal("62.5")
    assert row.prefill == 65  # 62.5 rounded half up to the step of 5


def test_cycle_counting_the_mean_uses_it_at_five_scores():
    world = scored_panel(experts=5)
    world.cycle.trimmed_aggregate = False
    world.cycle.save()
    world.submit_all(percents=[0, 50, 60, 65, 100])

    row = aggregation(panel=world.panel, dossier=world.dossier, stage=ReviewStage.MATERIAL).rows[0]

    assert (row.aggregate_used, row.aggregate, row.prefill) == (scoring.Aggregate.MEAN, Decimal("55"), 55)


def test_expert_in_conflict_with_the_applicant_is_not_expected():
    world = scored_panel(experts=5)
    ConflictFactory(expert=world.seats[4].expert, organisation=world.dossier.organisation)
    world.submit_all(skip=1)

    summed = aggregation(panel=world.panel, dossier=world.dossier, stage=ReviewStage.MATERIAL)

    assert (summed.submitted, summed.expected, summed.complete) == (4, 4, True)


def test_declined_seat_is_not_expected_and_its_sheet_does_not_count():
    world = scored_panel(experts=6)
    world.submit_all(percents=[50, 50, 50, 50, 50, 100])
    world.seats[5].status = SeatStatus.DECLINED
    world.seats[5].save()

    summed = aggregation(panel=world.panel, dossier=world.dossier, stage=ReviewStage.MATERIAL)

    assert summed.expected == 5
    assert summed.rows[0].stats.scores == (50, 50, 50, 50, 50)


def test_onsite_team_named_for_the_visit_is_what_is_expected():
    world = scored_panel(experts=6, phase=CyclePhase.ONSITE_REVIEW, state=DossierState.SELECTED)
    visit = OnsiteVisit.objects.create(
        dossier=world.dossier, starts_on="2026-09-01", ends_on="2026-09-02", place="漯河市源汇区"
    )
    visit.team.set(world.seats[:5])
    world.submit_all(stage=ReviewStage.ONSITE, skip=1)

    summed = aggregation(panel=world.panel, dossier=world.dossier, stage=ReviewStage.ONSITE)

    assert (summed.submitted, summed.expected, summed.complete) == (5, 5, True)


def test_draft_sheets_are_not_in_the_aggregation():
    world = scored_panel(experts=5)
    sheets = world.submit_all(percents=[40, 50, 60, 70, 80])
    ScoreSheet.objects.filter(pk=sheets[0].pk).update(state=SheetState.DRAFT)

    summed = aggregation(panel=world.panel, dossier=world.dossier, stage=ReviewStage.MATERIAL)

    assert summed.rows[0].stats.scores == (50, 60, 70, 80)


# --- saving and recording: the leader only, every sheet in, every item agreed ---


def test_leader_saves_a_draft_with_the_aggregate_kept_per_item():
    world = scored_panel(experts=5)
    world.submit_all(percents=[40, 50, 60, 70, 75])

    saved = save(world, entries={"4.1.2": {"percent": 60, "strengths": "战略清晰"}}, strengths="总体优势")

    assert saved.state == ConsensusState.DRAFT
    assert saved.items.count() == 23
    row = saved.items.get(item__code="4.1.2")
    assert (row.percent, row.strengths, row.aggregate) == (60, "战略清晰", Decimal("60.0000"))
    assert saved.items.get(item__code="4.1.3").percent is None
    assert saved.strengths == "总体优势"


def test_trimmed_aggregate_is_kept_to_four_decimals():
    world = scored_panel(experts=5)
    world.submit_all(percents=[0, 50, 60, 65, 100])

    saved = save(world)

    assert saved.items.get(item__code="4.1.2").aggregate == Decimal("58.3333")


@pytest.mark.parametrize("who", ["member", "other_leader"])
def test_only_the_panel_leader_saves(who):
    world = scored_panel(experts=5)
    world.submit_all()
    other = scored_panel(experts=5, cycle=world.cycle)
    user = world.seats[1].expert.user if who == "member" else other.leader.expert.user

    with pytest.raises(ConsensusError):
        save(world, by=user)

    assert not Consensus.objects.exists()


def test_leader_of_another_panel_cannot_record_for_this_dossier():
    world = scored_panel(experts=5)
    world.submit_all()
    other = scored_panel(experts=5, cycle=world.cycle)

    with pytest.raises(ConsensusError):
        consensus_save(
            panel=other.panel, dossier=world.dossier, stage="material", entries={}, by=other.leader.expert.user
        )


def test_only_the_panel_leader_records():
    world = scored_panel(experts=5)
    world.submit_all()
    saved = save(world)

    with pytest.raises(ConsensusError):
        consensus_record(consensus=saved, by=world.seats[1].expert.user)

    saved.refresh_from_db()
    assert saved.state == ConsensusState.DRAFT


def test_recording_refused_while_a_sheet_is_missing():
    world = scored_panel(experts=5)
    world.submit_all(skip=1)
    saved = save(world)

    with pytest.raises(ConsensusError, match="4 of 5"), translation.override("en"):
        consensus_record(consensus=saved, by=world.leader.expert.user)

    saved.refresh_from_db()
    world.dossier.refresh_from_db()
    assert (saved.state, world.dossier.state) == (ConsensusState.DRAFT, DossierState.ELIGIBLE)


def test_recording_refused_while_an_item_is_not_agreed():
    world = scored_panel(experts=5)
    world.submit_all()
    entries = agreed(world)
    entries["4.7.5"]["percent"] = None
    saved = save(world, entries=entries)

    with pytest.raises(ConsensusError, match=r"4\.7\.5"), translation.override("en"):
        consensus_record(consensus=saved, by=world.leader.expert.user)


@pytest.mark.parametrize("percent", [62, -5, 105])
def test_agreed_percentage_off_the_cycle_step_is_refused(percent):
    world = scored_panel(experts=5)
    world.submit_all()

    with pytest.raises(ConsensusError, match=r"4\.1\.2"):
        save(world, entries=agreed(world, **{"4.1.2": percent}))

    assert not Consensus.objects.exists()


def test_agreed_percentage_follows_a_cycle_step_of_one():
    world = scored_panel(experts=5)
    world.cycle.score_step = 1
    world.cycle.save()
    world.submit_all()

    saved = save(world, entries=agreed(world, **{"4.1.2": 62}))

    assert saved.items.get(item__code="4.1.2").percent == 62


def test_recording_stores_the_exact_total_of_the_agreed_sheet():
    world = scored_panel(experts=5)
    world.submit_all()
    entries = agreed(world, percent=55, **{"4.1.2": 35, "4.7.7": 85})

    recorded = record(world, entries=entries)

    items, _ = items_and_sheets(world)
    expected = scoring.sheet_total(
        items, scoring.Sheet(expert_id=None, percents={code: e["percent"] for code, e in entries.items()})
    )
    assert recorded.total == expected
    assert Consensus.objects.get().total == expected


def test_recording_moves_the_dossier_and_is_audited():
    world = scored_panel(experts=5)
    world.submit_all()

    recorded = record(world)

    world.dossier.refresh_from_db()
    assert world.dossier.state == DossierState.MATERIAL_REVIEWED
    assert recorded.state == ConsensusState.RECORDED
    assert recorded.recorded_by == world.leader.expert.user
    event = AuditEvent.objects.get(action="consensus.recorded")
    assert event.data == {"stage": "material", "total": "550.00", "sheets": 5}
    assert AuditEvent.objects.get(action="dossier.transition").data == {
        "from": "eligible",
        "to": "material_reviewed",
        "consensus": recorded.pk,
    }


def test_onsite_recording_moves_a_selected_dossier_to_onsite_reviewed():
    world = scored_panel(experts=5, phase=CyclePhase.ONSITE_REVIEW, state=DossierState.SELECTED)
    world.submit_all(stage=ReviewStage.ONSITE)

    record(world, stage=ReviewStage.ONSITE)

    world.dossier.refresh_from_db()
    assert world.dossier.state == DossierState.ONSITE_REVIEWED


def test_onsite_consensus_refused_for_a_dossier_not_selected():
    world = scored_panel(experts=5, phase=CyclePhase.ONSITE_REVIEW, state=DossierState.NOT_SELECTED)
    world.submit_all(stage=ReviewStage.ONSITE)

    with pytest.raises(ConsensusError):
        save(world, stage=ReviewStage.ONSITE)


@pytest.mark.parametrize(
    ("stage", "phase"),
    [
        (ReviewStage.MATERIAL, CyclePhase.ELIGIBILITY),
        (ReviewStage.MATERIAL, CyclePhase.ONSITE_REVIEW),
        (ReviewStage.ONSITE, CyclePhase.MATERIAL_REVIEW),
    ],
)
def test_consensus_only_during_its_stage_phase(stage, phase):
    world = scored_panel(experts=5, phase=phase)
    world.submit_all(stage=stage)

    with pytest.raises(ConsensusError):
        save(world, stage=stage)


def test_recorded_consensus_is_locked():
    world = scored_panel(experts=5)
    world.submit_all()
    recorded = record(world)

    with pytest.raises(ConsensusError, match="secretariat"), translation.override("en"):
        save(world, entries=agreed(world, percent=90))
    with pytest.raises(ConsensusError):
        consensus_record(consensus=recorded, by=world.leader.expert.user)

    assert set(recorded.items.values_list("percent", flat=True)) == {55}


def test_independent_sheets_stay_untouched():
    world = scored_panel(experts=5)
    world.submit_all(percents=[40, 50, 60, 70, 80])
    before = list(ItemScore.objects.order_by("pk").values_list("pk", "percent", "strengths", "opportunities"))
    sheets_before = list(ScoreSheet.objects.order_by("pk").values_list("pk", "state", "submitted_at", "updated_at"))

    record(world)

    assert list(ItemScore.objects.order_by("pk").values_list("pk", "percent", "strengths", "opportunities")) == before
    assert (
        list(ScoreSheet.objects.order_by("pk").values_list("pk", "state", "submitted_at", "updated_at"))
        == sheets_before
    )


def test_issues_to_verify_are_kept_for_the_material_review_only():
    material = scored_panel(experts=5)
    material.submit_all()
    onsite = scored_panel(experts=5, phase=CyclePhase.ONSITE_REVIEW, state=DossierState.SELECTED)
    onsite.submit_all(stage=ReviewStage.ONSITE)

    kept = save(material, issues_to_verify="核实顾客满意度数据")
    dropped = save(onsite, stage=ReviewStage.ONSITE, issues_to_verify="不适用")

    assert (kept.issues_to_verify, dropped.issues_to_verify) == ("核实顾客满意度数据", "")


# --- the secretariat reopens ---


def test_secretariat_reopens_with_a_reason_and_the_leader_records_again(secretariat):
    world = scored_panel(experts=5)
    world.submit_all()
    recorded = record(world)

    reopened = consensus_reopen(consensus=recorded, reason="类目4.7分数录入有误", by=secretariat)

    world.dossier.refresh_from_db()
    assert (reopened.state, world.dossier.state) == (ConsensusState.DRAFT, DossierState.ELIGIBLE)
    assert AuditEvent.objects.get(action="consensus.reopened").data == {
        "stage": "material",
        "reason": "类目4.7分数录入有误",
    }
    again = record(world, entries=agreed(world, percent=60))
    world.dossier.refresh_from_db()
    assert (again.total, world.dossier.state) == (Decimal("600.00"), DossierState.MATERIAL_REVIEWED)


def test_reopening_needs_a_reason(secretariat):
    world = scored_panel(experts=5)
    world.submit_all()
    recorded = record(world)

    with pytest.raises(ConsensusError):
        consensus_reopen(consensus=recorded, reason="  ", by=secretariat)

    recorded.refresh_from_db()
    assert recorded.state == ConsensusState.RECORDED


def test_reopening_refused_once_the_dossier_moved_on(secretariat):
    world = scored_panel(experts=5)
    world.submit_all()
    recorded = record(world)
    type(world.dossier).objects.filter(pk=world.dossier.pk).update(state=DossierState.SELECTED)

    with pytest.raises(ConsensusError):
        consensus_reopen(consensus=recorded, reason="重新评议", by=secretariat)


def test_draft_cannot_be_reopened(secretariat):
    world = scored_panel(experts=5)
    world.submit_all()

    with pytest.raises(ConsensusError):
        consensus_reopen(consensus=save(world), reason="重新评议", by=secretariat)


# --- the leader's overview ---


def test_panel_overview_counts_sheets_per_dossier_and_stage():
    world = scored_panel(experts=5)
    second = PanelDossierFactory(panel=world.panel).dossier
    ConflictFactory(expert=world.seats[4].expert, organisation=second.organisation)
    world.submit_all(skip=2)
    submitted_sheet(world.seats[0], second)
    SeatFactory(panel=world.panel)  # invited, not accepted: not expected

    overview = consensus.panel_overview(world.panel)

    assert [
        (entry.dossier, [(p.stage, p.applies, p.submitted, p.expected) for p in entry.stages]) for entry in overview
    ] == [
        (world.dossier, [(ReviewStage.MATERIAL, True, 3, 5), (ReviewStage.ONSITE, False, 0, 5)]),
        (second, [(ReviewStage.MATERIAL, True, 1, 4), (ReviewStage.ONSITE, False, 0, 4)]),
    ]
