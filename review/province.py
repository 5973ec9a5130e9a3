"""A provincial-scale cycle's review, built in bulk (省级规模评审数据): the expert pool, conflicts, panels drawn by
the real draw (review/draw.py), seats accepted and pledges signed, both stages' score sheets item by item, the
panels' consensus summed up by review/scoring.py, the on-site selection by review/selection.py (through
onsite.selection_proposal), the visits and the candidate lists handed over.

Used by `manage.py build_province`. Rows are written with bulk_create, and the score sheets and the hundreds of
thousands of item rows as plain tuples (insert_rows: COPY on PostgreSQL); the figures are the ones the services
would compute from the same sheets. History rows and per-row audit events are not written.
"""

import csv
import hashlib
import io
import math
import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP

from django.db import connection
from django.utils import timezone

from applications.enums import DossierState
from applications.models import Dossier
from applications.province import BATCH, bulk_users, person_name
from mayor_award.core.enums import CriteriaKind, Role

from . import consensus as consensus_rules
from . import draw, scoring
from .enums import ConflictKind, ConsensusState, ReviewStage, SeatStatus, SelectionOutcome, SheetState
from .models import (
    Candidate,
    Conflict,
    Consensus,
    ConsensusItem,
    Expert,
    ItemScore,
    OnsiteSelection,
    OnsiteVisit,
    Panel,
    PanelDossier,
    Pledge,
    ScoreSheet,
    Seat,
)
from .onsite import selection_proposal
from .services import PLEDGE_TEXT

ITEM_BATCH = 5000
EXPERT_BIAS = (0, 5, -5, 10, -10, 5, -5)  # each seat's leaning, by draw order
WIGGLE = (-8, -4, 0, 3, 7)  # not multiples of the step: a dossier one level better scores a little higher
PROCESS_STRENGTHS = (
    "{name}方面建立了系统的方法，职责和流程清晰，并在主要部门和岗位展开。",
    "{name}有明确的目标和测量指标，近三年按PDCA循环持续改进。",
    "{name}与组织的战略目标协调一致，形成了闭环管理。",
)
PROCESS_OPPORTUNITIES = (
    "{name}的展开尚未覆盖全部分支机构和外包过程。",
    "{name}的评价主要依靠定性判断，缺少量化的测量和分析。",
    "{name}的学习改进机制有待系统化，改进成果的固化和推广不足。",
)
RESULT_STRENGTHS = (
    "{name}的关键指标近三年保持上升趋势，处于本市同行业领先水平。",
    "{name}的主要指标达到或超过了组织设定的目标值。",
)
RESULT_OPPORTUNITIES = (
    "{name}缺少与省内外标杆的对比数据，难以判断领先程度。",
    "{name}部分指标近三年有波动，原因分析不够深入。",
)
OVERALL_STRENGTHS = "领导层重视卓越绩效管理，战略目标层层分解落实；关键过程识别充分，质量指标近三年持续改善。"
OVERALL_OPPORTUNITIES = "部分管理方法的展开尚未覆盖全部业务单元；结果类指标缺少与行业标杆的系统对比。"
ISSUES_TO_VERIFY = "1. 核实顾客满意度测评的方法及近三年数据；\n2. 现场查看关键过程的控制记录及近一年的改进项目。"
VISIT_NOTES = "请申报单位安排汇报场地，准备近三年的质量、财务原始记录。"


@dataclass
class PanelPlan:
    panel: Panel
    dossiers: list[Dossier]
    seats: list[Seat] = field(default_factory=list)

    @property
    def leader(self) -> Seat:
        return next(seat for seat in self.seats if seat.is_leader)


@dataclass
class Review:
    """What the review layer built, handed from stage to stage."""

    cycle: object
    items: list  # CriteriaItem, in the criteria's order
    experts: list[Expert]
    users: dict[int, object]  # expert id → user
    plans: list[PanelPlan] = field(default_factory=list)
    conflicts: int = 0
    levels: dict[int, int] = field(default_factory=dict)  # dossier id → the level its panel finds (percent)
    percents: dict[str, dict[int, dict[int, dict[str, int]]]] = field(default_factory=dict)  # stage → dossier → seat
    totals: dict[str, dict[int, object]] = field(default_factory=dict)  # stage → dossier → consensus total

    @property
    def seats(self) -> list[Seat]:
        return [seat for plan in self.plans for seat in plan.seats]


def insert_rows(model, columns: tuple[str, ...], rows: list[tuple], nullable: tuple[str, ...] = ()) -> None:
    """Insert plain tuples into `model`'s table: the hundreds of thousands of item rows skip the model instances
    bulk_create would build (the columns are the model's own, from its _meta). PostgreSQL takes them with COPY,
    about four times faster than INSERT … VALUES on a busy machine. Texts are quoted, so an empty text stays empty;
    None is written as NULL only in the `nullable` columns. Datetimes are passed as
    connection.ops.adapt_datetimefield_value gives them."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC).writerows(rows)
            buffer.seek(0)
            force_null = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in nullable)
            options = f"FORMAT csv, FORCE_NULL ({force_null})" if nullable else "FORMAT csv"
            cursor.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN WITH ({options})", buffer)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        for start in range(0, len(rows), ITEM_BATCH):
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608 - a model's table
                rows[start : start + ITEM_BATCH],
            )


# --- the pool ---


def build_experts(*, tag: str, count: int, industries: list[str], password_hash: str) -> tuple[list[Expert], dict]:
    """`count` experts, each expert in up to three of the industries (so every industry has enough)."""
    users = bulk_users(
        usernames=[f"{tag}-expert{i + 1:03d}" for i in range(count)],
        names=[person_name(i + 500) for i in range(count)],
        role=Role.EXPERT,
        password_hash=password_hash,
    )
    width = min(3, len(industries))
    experts = Expert.objects.bulk_create(
        [
            Expert(
                user=user,
                employer=f"{tag}-河南省质量评审中心第{i % 20 + 1}分部",
                position="质量总监",
                professional_title="高级工程师",
                qualifications=["provincial_reviewer"],
                industries=sorted({industries[(i + k) % len(industries)] for k in range(width)}),
                phone=f"139{i:08d}",
            )
            for i, user in enumerate(users)
        ],
        batch_size=BATCH,
    )
    return experts, {expert.pk: user for expert, user in zip(experts, users, strict=True)}


def build_conflicts(*, review: Review, organisations, secretariat) -> int:
    """One in four experts has a recorded conflict with an applicant of their first industry; the draw leaves them
    off that applicant's panel."""
    by_section = {}
    for organisation in organisations:
        by_section.setdefault(organisation.industry_section, []).append(organisation)
    rows = []
    for i, expert in enumerate(review.experts):
        candidates = by_section.get(expert.industries[0]) if i % 4 == 0 else None
        if candidates:
            rows.append(
                Conflict(
                    expert=expert,
                    organisation=candidates[i % len(candidates)],
                    kind=ConflictKind.RECORDED,
                    note="曾为该单位提供咨询服务。",
                    recorded_by=secretariat,
                )
            )
    Conflict.objects.bulk_create(rows, batch_size=BATCH)
    review.conflicts = len(rows)
    return len(rows)


# --- panels, the draw, seats and pledges ---


def _groups(dossiers, size: int) -> list[tuple[str, list[Dossier]]]:
    """Each industry's dossiers in panels of about `size` dossiers, in dossier-number order."""
    by_section = {}
    for dossier in sorted(dossiers, key=lambda d: d.sequence):
        by_section.setdefault(dossier.organisation.industry_section, []).append(dossier)
    groups = []
    for section, members in sorted(by_section.items()):
        count = math.ceil(len(members) / size)
        for number in range(count):
            groups.append((section, members[number::count]))
    return groups


def build_panels(*, review: Review, dossiers, panel_size: int, secretariat, conflicts_by_expert: dict) -> None:
    """Panels per industry, drawn with review/draw.py from the build's pool; every seat accepted, pledges signed."""
    cycle = review.cycle
    now = timezone.now()
    names = {expert.pk: str(review.users[expert.pk]) for expert in review.experts}
    candidates = [
        draw.Candidate(
            expert_id=expert.pk,
            name=names[expert.pk],
            industries=frozenset(expert.industries),
            conflicted_organisation_ids=frozenset(conflicts_by_expert.get(expert.pk, ())),
        )
        for expert in review.experts
    ]
    records = {
        c.expert_id: {
            "expert_id": c.expert_id,
            "name": c.name,
            "industries": sorted(c.industries),
            "active": True,
            "committee": False,
            "conflicts": sorted(c.conflicted_organisation_ids),
            "seated": False,
        }
        for c in candidates
    }
    panels, results = [], []
    counters = {}
    for section, members in _groups(dossiers, panel_size):
        counters[section] = counters.get(section, 0) + 1
        name = f"{section}{counters[section]:02d}组"
        seed = hashlib.sha256(f"{cycle.pk}/{name}".encode()).hexdigest()[:32]
        request = draw.PanelRequest(
            group=name,
            industries=frozenset({section}),
            dossier_organisation_ids=frozenset(d.organisation_id for d in members),
            size=panel_size,
            minimum_size=cycle.panel_min_size,
            one_panel_per_cycle=cycle.one_panel_per_expert,
        )
        # The record lists the pool's experts of the panel's industry: the others are excluded for no expertise
        # whatever the seed, so the draw verifies the same, and the record stays small.
        pool = [c for c in candidates if section in c.industries]
        result = draw.draw(pool, request, seed)
        panels.append(
            Panel(
                cycle=cycle,
                name=name,
                industries=[section],
                size=panel_size,
                seed=seed,
                drawn_at=now,
                drawn_by=secretariat,
                draw_record={
                    "seed": seed,
                    "candidates": [records[c.expert_id] for c in pool],
                    "request": {
                        "industries": [section],
                        "organisations": sorted(request.dossier_organisation_ids),
                        "size": panel_size,
                        "minimum_size": cycle.panel_min_size,
                    },
                    "result": result.to_record(),
                },
            )
        )
        results.append((members, result))
    panels = Panel.objects.bulk_create(panels, batch_size=500)
    PanelDossier.objects.bulk_create(
        [
            PanelDossier(panel=panel, dossier=d)
            for panel, (members, _r) in zip(panels, results, strict=True)
            for d in members
        ],
        batch_size=BATCH,
    )
    seats = []
    for panel, (members, result) in zip(panels, results, strict=True):
        plan = PanelPlan(panel=panel, dossiers=members)
        for rank, expert_id in enumerate(result.members, start=1):
            plan.seats.append(
                Seat(
                    panel=panel,
                    expert_id=expert_id,
                    status=SeatStatus.ACCEPTED,
                    is_leader=rank == 1,
                    rank=rank,
                    invited_at=now,
                    reply_by=now + timedelta(days=7),
                    replied_at=now + timedelta(hours=2),
                )
            )
        seats.extend(plan.seats)
        review.plans.append(plan)
    Seat.objects.bulk_create(seats, batch_size=BATCH)
    seated = sorted({seat.expert_id for seat in seats})
    Pledge.objects.bulk_create(
        [
            Pledge(expert_id=expert_id, cycle=cycle, text=str(PLEDGE_TEXT), ip_address="127.0.0.1", user_agent="build")
            for expert_id in seated
        ],
        batch_size=BATCH,
    )


# --- score sheets ---


def _round(value: int, step: int) -> int:
    return min(100, max(0, (value + step // 2) // step * step))


def _texts(items):
    """Per item: the strengths and opportunities an expert may write (formatted once)."""
    texts = []
    for item in items:
        results = item.kind == CriteriaKind.RESULTS
        strengths = RESULT_STRENGTHS if results else PROCESS_STRENGTHS
        opportunities = RESULT_OPPORTUNITIES if results else PROCESS_OPPORTUNITIES
        texts.append(
            (
                [text.format(name=item.name_zh) for text in strengths],
                [text.format(name=item.name_zh) for text in opportunities],
            )
        )
    return texts


def dossier_levels(review: Review, seed: int, leaders: int) -> None:
    """The level (percent) each dossier's panels find, fixed by the seed: most dossiers between 35 and 65, and
    `leaders` dossiers drawn at random one level apart from 66 up, so that the best on-site totals differ and the
    committee's ranking has no tie to decide."""
    generator = random.Random(seed)  # noqa: S311 - sample data, not a secret
    dossiers = [dossier for plan in review.plans for dossier in plan.dossiers]
    for dossier in dossiers:
        review.levels[dossier.pk] = generator.randrange(35, 66)
    for number, dossier in enumerate(generator.sample(dossiers, min(leaders, len(dossiers)))):
        review.levels[dossier.pk] = 66 + number


def _sheet_pattern(review: Review, level: int, residue: int, position: int, texts, cache: dict):
    """One expert's scores and rows of item values (item id, percent, strengths, opportunities): they depend only
    on the dossier's level, its number modulo five and the expert's place in the draw, so each is made once."""
    key = (level, residue, position)
    if key not in cache:
        step = review.cycle.score_step
        lean = EXPERT_BIAS[position % len(EXPERT_BIAS)]
        scores, rows = {}, []
        for number, item in enumerate(review.items):
            wiggle = WIGGLE[(residue + 3 * position + number) % len(WIGGLE)]
            percent = _round(level + lean + wiggle - (3 if item.kind == CriteriaKind.RESULTS else 0), step)
            strengths, opportunities = texts[number]
            scores[item.code] = percent
            rows.append(
                (
                    item.pk,
                    percent,
                    strengths[(residue + position) % len(strengths)],
                    opportunities[(residue + position + number) % len(opportunities)],
                )
            )
        cache[key] = (scores, rows)
    return cache[key]


def build_sheets(*, review: Review, stage: str, submit: bool, dossier_ids: set[int] | None = None) -> tuple[int, int]:
    """Every seat's sheet of every dossier of its panel in `stage` (on site: the visited ones), all 23 items scored
    with strengths and opportunities; submitted or left as drafts. Returns (sheets, item scores)."""
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    state = (SheetState.SUBMITTED if submit else SheetState.DRAFT).value
    stage = ReviewStage(stage).value
    shift = 5 if stage == ReviewStage.ONSITE else 0
    texts = _texts(review.items)
    cache = {}
    percents = review.percents.setdefault(stage, {})
    sheets, patterns = [], []
    for plan in review.plans:
        for dossier in plan.dossiers:
            if dossier_ids is not None and dossier.pk not in dossier_ids:
                continue
            by_seat = percents.setdefault(dossier.pk, {})
            level = review.levels[dossier.pk] + shift
            for position, seat in enumerate(plan.seats):
                scores, rows = _sheet_pattern(review, level, dossier.pk % len(WIGGLE), position, texts, cache)
                sheets.append((seat.pk, dossier.pk, stage, state, stamp if submit else None, stamp))
                patterns.append(rows)
                by_seat[seat.pk] = scores
    insert_rows(
        ScoreSheet,
        ("seat", "dossier", "stage", "state", "submitted_at", "updated_at"),
        sheets,
        nullable=("submitted_at",),
    )
    ids = {
        (seat_id, dossier_id): pk
        for pk, seat_id, dossier_id in ScoreSheet.objects.filter(stage=stage, dossier__cycle=review.cycle).values_list(
            "pk", "seat_id", "dossier_id"
        )
    }
    items = [
        (ids[(seat_id, dossier_id)], *row)
        for (seat_id, dossier_id, *_rest), rows in zip(sheets, patterns, strict=True)
        for row in rows
    ]
    insert_rows(ItemScore, ("sheet", "item", "percent", "strengths", "opportunities"), items)
    return len(sheets), len(items)


# --- consensus ---


def build_consensus(*, review: Review, stage: str) -> tuple[int, int]:
    """Each dossier's consensus, recorded by its panel's leader: every item agreed at the panel's aggregate
    (consensus.aggregation's prefill), the total as consensus_total computes it. Dossiers move on as
    consensus_record moves them. Returns (consensuses, agreed items)."""
    cycle = review.cycle
    now = timezone.now()
    items = consensus_rules.scoring_items(review.items)
    aggregate = consensus_rules.aggregate_of(cycle)
    places = consensus_rules.AGGREGATE_PLACES
    texts = _texts(review.items)
    heads, agreed_rows = [], []
    cache = {}
    totals = review.totals.setdefault(stage, {})
    for plan in review.plans:
        leader = review.users[plan.leader.expert_id]
        for dossier in plan.dossiers:
            by_seat = review.percents.get(stage, {}).get(dossier.pk)
            if not by_seat:
                continue
            percents, prefill, total = _panel_figures(review, by_seat, items, aggregate, cache)
            totals[dossier.pk] = total
            heads.append(
                Consensus(
                    panel=plan.panel,
                    dossier=dossier,
                    stage=stage,
                    state=ConsensusState.RECORDED,
                    total=total,
                    strengths=OVERALL_STRENGTHS,
                    opportunities=OVERALL_OPPORTUNITIES,
                    issues_to_verify=ISSUES_TO_VERIFY if stage == ReviewStage.MATERIAL else "",
                    recorded_by=leader,
                    recorded_at=now,
                )
            )
            for number, item in enumerate(review.items):
                strengths, opportunities = texts[number]
                agreed_rows.append(
                    (
                        len(heads) - 1,
                        item.pk,
                        percents[item.code].quantize(places, rounding=ROUND_HALF_UP),
                        prefill[item.code],
                        strengths[0],
                        opportunities[0],
                    )
                )
    Consensus.objects.bulk_create(heads, batch_size=BATCH)
    insert_rows(
        ConsensusItem,
        ("consensus", "item", "aggregate", "percent", "strengths", "opportunities"),
        [(heads[i].pk, item_id, a, p, st, o) for i, item_id, a, p, st, o in agreed_rows],
    )
    after = DossierState.MATERIAL_REVIEWED if stage == ReviewStage.MATERIAL else DossierState.ONSITE_REVIEWED
    Dossier.objects.filter(pk__in=[head.dossier_id for head in heads]).update(state=after)
    return len(heads), len(agreed_rows)


def _panel_figures(review: Review, by_seat: dict, items, aggregate, cache: dict):
    """scoring.panel_result of the sheets (item aggregates), the leader's prefill rounded to the cycle's step
    (consensus.round_to_step) and the agreed total (scoring.sheet_total). The figures depend only on the scores,
    not on who gave them, so equal score tables are summed up once."""
    cycle = review.cycle
    codes = [item.code for item in items]
    key = tuple(tuple(scores[code] for code in codes) for _seat, scores in sorted(by_seat.items()))
    if key not in cache:
        sheets = [
            scoring.Sheet(expert_id=number, percents=dict(zip(codes, row, strict=True)), step=1)
            for number, row in enumerate(key)
        ]
        result = scoring.panel_result(items, sheets, aggregate=aggregate, outlier_threshold=cycle.outlier_points)
        prefill = {
            code: consensus_rules.round_to_step(value, cycle.score_step) for code, value in result.item_percent.items()
        }
        total = scoring.sheet_total(items, scoring.Sheet(expert_id=None, percents=prefill, step=cycle.score_step))
        cache[key] = (result.item_percent, prefill, total)
    return cache[key]


# --- the on-site selection, the visits, the hand-over ---


def build_selection(*, review: Review, secretariat) -> set[int]:
    """The cycle's rule applied to every panel as onsite.selection_apply applies it (the same proposal), written
    in bulk; the applicants count as told (no letters are queued for a built cycle). Returns the selected ids."""
    now = timezone.now()
    rows = []
    for proposal in selection_proposal(review.cycle):
        for row in proposal.rows:
            rows.append(
                OnsiteSelection(
                    dossier=row.dossier,
                    panel=proposal.panel,
                    outcome=SelectionOutcome.SELECTED if row.placement.selected else SelectionOutcome.NOT_SELECTED,
                    material_total=row.total,
                    rank=row.placement.rank,
                    tied_at_cutoff=row.placement.tied_at_cutoff,
                    decided_by=secretariat,
                    applicant_notified_at=now,
                )
            )
    OnsiteSelection.objects.bulk_create(rows, batch_size=BATCH)
    selected = {row.dossier_id for row in rows if row.outcome == SelectionOutcome.SELECTED}
    Dossier.objects.filter(pk__in=selected).update(state=DossierState.SELECTED)
    Dossier.objects.filter(pk__in={row.dossier_id for row in rows} - selected).update(state=DossierState.NOT_SELECTED)
    return selected


def build_visits(*, review: Review, selected: set[int], first_day) -> int:
    """A two-day visit per selected dossier, the panel's whole seat list as the team, a few visits a day."""
    visits, teams = [], []
    number = 0
    for plan in review.plans:
        for dossier in plan.dossiers:
            if dossier.pk not in selected:
                continue
            starts_on = first_day + timedelta(days=number // 60)
            visits.append(
                OnsiteVisit(
                    dossier=dossier,
                    starts_on=starts_on,
                    ends_on=starts_on + timedelta(days=1),
                    place=dossier.organisation.address,
                    notes=VISIT_NOTES,
                )
            )
            teams.append(plan.seats)
            number += 1
    OnsiteVisit.objects.bulk_create(visits, batch_size=BATCH)
    through = OnsiteVisit.team.through
    through.objects.bulk_create(
        [
            through(onsitevisit_id=visit.pk, seat_id=seat.pk)
            for visit, seats in zip(visits, teams, strict=True)
            for seat in seats
        ],
        batch_size=BATCH,
    )
    return len(visits)


def build_handover(*, review: Review) -> int:
    """Each panel's candidate list as candidates_hand_over writes it: by on-site consensus total, highest first,
    equal totals in dossier-number order; handed over by the leader. Dossiers become candidates."""
    onsite_totals = review.totals.get(ReviewStage.ONSITE, {})
    material = dict(
        OnsiteSelection.objects.filter(panel__cycle=review.cycle).values_list("dossier_id", "material_total")
    )
    rows = []
    for plan in review.plans:
        leader = review.users[plan.leader.expert_id]
        visited = [d for d in sorted(plan.dossiers, key=lambda d: d.sequence) if d.pk in onsite_totals]
        standings = scoring.standings([(d.pk, onsite_totals[d.pk]) for d in visited])
        for position, (dossier_id, _place) in enumerate(standings, start=1):
            rows.append(
                Candidate(
                    panel=plan.panel,
                    dossier_id=dossier_id,
                    position=position,
                    onsite_total=onsite_totals[dossier_id],
                    material_total=material[dossier_id],
                    handed_over_by=leader,
                )
            )
    Candidate.objects.bulk_create(rows, batch_size=BATCH)
    Dossier.objects.filter(pk__in=[row.dossier_id for row in rows]).update(state=DossierState.CANDIDATE)
    return len(rows)
