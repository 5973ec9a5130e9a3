"""Reads of the deliberation, scoped to who asks, each a fixed number of queries.

A committee member sees the candidates of the cycle whose committee they sit on, and only while that cycle is in
the committee deliberation phase; a member who recused from a candidate sees it listed, without its reports.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import CriteriaCategory
from review.enums import ConsensusState, ReviewStage
from review.models import Consensus, ConsensusItem
from review.radar import Series, radar_svg

from .enums_voting import SessionState
from .models import BallotReceipt, CommitteeMember, Recusal, VotingSession
from .services_voting import cycle_candidates


def member_for_user(user) -> CommitteeMember | None:
    """The user's seat on the committee of the cycle now in deliberation, or None (pages closed)."""
    if not user.is_authenticated:
        return None
    return (
        CommitteeMember.objects.filter(user=user, cycle__phase=CyclePhase.DELIBERATION).select_related("cycle").first()
    )


def current_session(cycle) -> VotingSession | None:
    """The cycle's live session (being prepared, open or closed), else its latest void one."""
    sessions = VotingSession.objects.filter(cycle=cycle).order_by("-pk")
    return sessions.filter(state__in=SessionState.live()).first() or sessions.first()


def has_voted(session: VotingSession | None, member: CommitteeMember) -> bool:
    return session is not None and BallotReceipt.objects.filter(session=session, member=member).exists()


def recused_candidate_ids(member: CommitteeMember) -> set[int]:
    return set(Recusal.objects.filter(member=member).values_list("candidate_id", flat=True))


@dataclass
class CandidateCard:
    """What a member reads of one candidate: its panel's figures, the radar and the reports."""

    candidate: object
    recused: bool
    reports: list = field(default_factory=list)  # recorded consensuses with a report PDF, material first
    radar: str = ""


def _shares(rows, categories) -> tuple[Decimal, ...] | None:
    """Each category's share of its points from the agreed item percentages (None when none is agreed); `rows`
    are a consensus's (percent, aggregate, item points, item category id)."""
    earned: dict[int, Decimal] = {}
    seen = False
    for percent, aggregate, points, category in rows:
        percent = percent if percent is not None else aggregate
        if percent is None:
            continue
        seen = True
        earned[category] = earned.get(category, Decimal(0)) + Decimal(points) * Decimal(percent) / 100
    if not seen:
        return None
    return tuple(earned.get(c.pk, Decimal(0)) / c.points if c.points else Decimal(0) for c in categories)


def candidate_cards(member: CommitteeMember, candidates=None) -> list[CandidateCard]:
    """Cards of `candidates` (a page of them; all the cycle's by default) for a member's page: five queries,
    whatever the number of candidates."""
    cycle = member.cycle
    candidates = list(cycle_candidates(cycle) if candidates is None else candidates)
    recused = recused_candidate_ids(member)
    consensuses = list(
        Consensus.objects.filter(
            dossier__in=[c.dossier_id for c in candidates], state=ConsensusState.RECORDED
        ).order_by("stage")
    )
    # The agreed percentages as plain values: a model per item row and per item cost more than the whole page.
    agreed: dict[int, list] = {}
    for consensus_id, *row in ConsensusItem.objects.filter(consensus__in=[c.pk for c in consensuses]).values_list(
        "consensus_id", "percent", "aggregate", "item__points", "item__category_id"
    ):
        agreed.setdefault(consensus_id, []).append(row)
    by_dossier: dict[int, dict[str, Consensus]] = {}
    for consensus in consensuses:
        by_dossier.setdefault(consensus.dossier_id, {})[consensus.stage] = consensus
    categories = list(CriteriaCategory.objects.filter(criteria_id=cycle.criteria_id).order_by("position"))
    labels = [category.name for category in categories]
    stage_names = dict(ReviewStage.choices)
    cards = []
    for candidate in candidates:
        stages = by_dossier.get(candidate.dossier_id, {})
        card = CandidateCard(candidate=candidate, recused=candidate.pk in recused)
        if not card.recused:
            card.reports = [
                stages[stage]
                for stage in (ReviewStage.MATERIAL, ReviewStage.ONSITE)
                if stage in stages
                if stages[stage].report_pdf
            ]
            series = []
            for stage in (ReviewStage.MATERIAL, ReviewStage.ONSITE):
                shares = _shares(agreed.get(stages[stage].pk, ()), categories) if stage in stages else None
                if shares is not None:
                    series.append(Series(name=str(stage_names[stage]), shares=shares))
            if len(labels) >= 3 and series:
                card.radar = radar_svg(labels, series, title=str(candidate.dossier.organisation))
        cards.append(card)
    return cards


def report_for_member(member: CommitteeMember, pk: int) -> Consensus | None:
    """A panel report a member may open: of a candidate of their cycle they did not recuse from."""
    candidates = cycle_candidates(member.cycle).exclude(recusals__member=member)
    return (
        Consensus.objects.filter(pk=pk, state=ConsensusState.RECORDED, dossier__candidacy__in=candidates.values("pk"))
        .exclude(report_pdf="")
        .select_related("dossier")
        .first()
    )
