"""The on-site review's services: selection applied, visits scheduled, candidates handed over (现场评审).

- Selection (现场评审入围): at the end of the material review the secretariat applies the cycle's rule (fixed before
  material scores opened: Cycle.onsite_top_n, onsite_min_score; see review.selection) to each panel's recorded
  material consensus totals. One OnsiteSelection row per dossier, written once; dossiers tied at the cut-off are
  all taken unless the secretariat leaves one out with a reason. Every applicant is told by e-mail; the row's
  `applicant_notified_at` is the outbox (the letter task after commit, the beat sweeper for any left behind).
- Visits (现场评审安排): dates, place and a team drawn from the panel's accepted seats, per selected dossier; the
  issues to verify come from the material consensus.
- Hand-over (Art. 16): each panel's leader hands the committee its candidate list, ordered by the on-site consensus
  score; once handed over it is fixed.
"""

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

import rules
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from applications.enums import DossierState
from applications.models import Dossier
from applications.notifications import dossier_link, in_chinese, organisation_recipients
from applications.services import dossier_transition
from mayor_award.core.enums import CyclePhase
from mayor_award.core.lazytext import LIST_SEPARATOR
from mayor_award.core.models import Cycle, User
from mayor_award.core.rules import is_secretariat
from mayor_award.core.services import audit_record

from . import scoring, selection
from .enums import ConsensusState, ExpertStatus, ReviewStage, SeatStatus, SelectionOutcome
from .models import Candidate, Consensus, OnsiteSelection, OnsiteVisit, Panel, PanelDossier, Pledge, Seat
from .services import ReviewError

logger = logging.getLogger(__name__)

SELECTION_APPLIED = "onsite.selection_applied"
LETTER_SENT = "onsite.selection_letter_sent"
VISIT_SAVED = "onsite.visit_saved"
HANDED_OVER = "panel.candidates_handed_over"

AUDIT_LABELS = {
    SELECTION_APPLIED: gettext_lazy("on-site selection applied"),
    LETTER_SENT: gettext_lazy("on-site selection letter sent"),
    VISIT_SAVED: gettext_lazy("on-site visit scheduled"),
    HANDED_OVER: gettext_lazy("candidate list handed over to the committee"),
}

# Dossiers of a panel that wait for the selection: still in the competition, not yet decided.
AWAITING_SELECTION_STATES = (DossierState.ELIGIBLE, DossierState.MATERIAL_REVIEWED)
# The dossier states in which an applicant sees the visit in the portal.
VISIT_SHOWN_STATES = (
    DossierState.SELECTED,
    DossierState.ONSITE_REVIEWED,
    DossierState.CANDIDATE,
    DossierState.PROPOSED,
    DossierState.AWARDED,
    DossierState.NOT_AWARDED,
)
# A visit is planned once the selection is applied, and no more after the on-site review.
VISIT_PHASES = (CyclePhase.MATERIAL_REVIEW, CyclePhase.ONSITE_REVIEW)
NUMBERS_LISTED = 10


# The secretariat applies the selection, plans the visits and reads the candidates in the admin.
rules.add_perm("review.apply_onsiteselection", is_secretariat)
rules.add_perm("review.view_onsiteselection", is_secretariat)
for _action in ("view", "add", "change"):
    rules.add_perm(f"review.{_action}_onsitevisit", is_secretariat)
rules.add_perm("review.view_candidate", is_secretariat)


class OnsiteError(ReviewError):
    """An on-site action was refused; the message says why, in the user's language."""


def dossier_numbers(dossiers) -> str:
    numbers = [dossier.number or "—" for dossier in dossiers]
    listed = str(LIST_SEPARATOR).join(numbers[:NUMBERS_LISTED])
    rest = len(numbers) - NUMBERS_LISTED
    if rest > 0:
        listed = ngettext("%(numbers)s and %(count)s more", "%(numbers)s and %(count)s more", rest) % {
            "numbers": listed,
            "count": rest,
        }
    return listed


def _recorded(stage: str) -> Q:
    """Consensuses the leader has recorded, with a total."""
    return Q(stage=stage, state=ConsensusState.RECORDED, total__isnull=False)


# --- the selection ---


@dataclass
class ProposalRow:
    dossier: Dossier
    total: Decimal | None
    placement: selection.Placement | None = None

    @property
    def total_display(self) -> str:
        return scoring.display(self.total) if self.total is not None else "—"


@dataclass
class PanelProposal:
    """One panel's dossiers under the cycle's rule, best first; `missing` lacks a recorded material consensus."""

    panel: Panel
    rows: list[ProposalRow] = field(default_factory=list)
    missing: list[Dossier] = field(default_factory=list)

    @property
    def selected_count(self) -> int:
        return sum(1 for row in self.rows if row.placement and row.placement.selected)


def dossiers_awaiting_selection(cycle: Cycle):
    """Dossiers on the cycle's panels still in the competition and without an on-site selection."""
    return Dossier.objects.filter(
        panel_assignment__panel__cycle=cycle, state__in=AWAITING_SELECTION_STATES, onsite_selection__isnull=True
    )


def selection_applied(cycle: Cycle) -> bool:
    return OnsiteSelection.objects.filter(panel__cycle=cycle).exists()


def selection_proposal(cycle: Cycle) -> list[PanelProposal]:
    """What the rule gives for each panel of the cycle now (nothing is written). Three queries."""
    proposals = {panel.pk: PanelProposal(panel=panel) for panel in Panel.objects.filter(cycle=cycle).order_by("name")}
    assignments = (
        PanelDossier.objects.filter(panel__cycle=cycle, dossier__state__in=AWAITING_SELECTION_STATES)
        .select_related("dossier__organisation")
        .order_by("dossier__sequence", "dossier__pk")
    )
    totals = dict(
        Consensus.objects.filter(
            _recorded(ReviewStage.MATERIAL), dossier__panel_assignment__panel__cycle=cycle
        ).values_list("dossier_id", "total")
    )
    for assignment in assignments:
        proposal = proposals[assignment.panel_id]
        dossier = assignment.dossier
        if dossier.pk in totals:
            proposal.rows.append(ProposalRow(dossier=dossier, total=totals[dossier.pk]))
        else:
            proposal.missing.append(dossier)
    for proposal in proposals.values():
        placements = selection.select(
            [(row.dossier.pk, row.total) for row in proposal.rows],
            top_n=cycle.onsite_top_n,
            min_score=cycle.onsite_min_score,
        )
        by_key = {row.dossier.pk: row for row in proposal.rows}
        proposal.rows = [by_key[key] for key in placements]
        for row in proposal.rows:
            row.placement = placements[row.dossier.pk]
    return list(proposals.values())


def selection_refusal(cycle: Cycle) -> str | None:
    """Why the selection cannot be applied to the cycle now (None when it can), without the exclusions."""
    if cycle.phase != CyclePhase.MATERIAL_REVIEW:
        return _("The on-site selection is applied at the end of the material review (Art. 12).")
    if selection_applied(cycle):
        return _("The on-site selection of this cycle has already been applied; it is fixed.")
    return None


def _exclusion_refusals(proposal: PanelProposal, exclusions: dict[int, str], top_n) -> list[str]:
    placements = {row.dossier.pk: row.placement for row in proposal.rows}
    dossiers = {row.dossier.pk: row.dossier for row in proposal.rows}
    reasons = []
    for code, key in selection.exclusion_problems(placements, exclusions, top_n):
        if code == selection.NOT_TIED:
            reasons.append(
                _("Dossier %(number)s is not tied at the cut-off: only a tied dossier may be left out.")
                % {"number": dossiers[key].number}
            )
        elif code == selection.NO_REASON:
            reasons.append(
                _("Give the reason for leaving out dossier %(number)s, tied at the cut-off.")
                % {"number": dossiers[key].number}
            )
        else:
            reasons.append(
                _("Panel %(panel)s must keep at least %(count)s selected dossiers under the cycle's rule.")
                % {"panel": proposal.panel.name, "count": selection.guaranteed_places(placements, top_n)}
            )
    return reasons


@transaction.atomic
def selection_apply(*, cycle: Cycle, by: User, exclusions: dict[int, str] | None = None) -> list[OnsiteSelection]:
    """Apply the cycle's on-site selection rule to every panel (现场评审入围), once.

    `exclusions` maps a dossier id to the secretariat's reason for leaving out a dossier tied at the cut-off.
    Refused (OnsiteError) outside the material review, when already applied, when a dossier on a panel has no
    recorded material consensus, or for an exclusion that is not allowed. Side effects: one OnsiteSelection per
    dossier; dossiers move to SELECTED or NOT_SELECTED; an audit row on the cycle; after commit, a letter to
    every applicant (task_send_selection_letter; the sweeper sends any that did not go).
    """
    exclusions = {int(key): str(reason or "").strip() for key, reason in (exclusions or {}).items()}
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)  # one application at a time per cycle
    refusal = selection_refusal(cycle)
    if refusal:
        raise OnsiteError(refusal)
    proposals = selection_proposal(cycle)
    missing = [dossier for proposal in proposals for dossier in proposal.missing]
    if missing:
        raise OnsiteError(
            ngettext(
                "The selection needs the material consensus of every dossier on a panel (Art. 12); "
                "not recorded yet: %(numbers)s.",
                "The selection needs the material consensus of every dossier on a panel (Art. 12); "
                "not recorded yet: %(numbers)s.",
                len(missing),
            )
            % {"numbers": dossier_numbers(missing)}
        )
    known = {row.dossier.pk for proposal in proposals for row in proposal.rows}
    unknown = set(exclusions) - known
    if unknown:
        raise OnsiteError(_("Only dossiers of this cycle's panels can be left out."))
    reasons = [reason for p in proposals for reason in _exclusion_refusals(p, exclusions, cycle.onsite_top_n)]
    if reasons:
        raise OnsiteError(" ".join(reasons))
    if not known:
        raise OnsiteError(_("No dossier of this cycle is on a panel: there is nothing to select."))

    rows = []
    for proposal in proposals:
        for row in proposal.rows:
            left_out = row.dossier.pk in exclusions
            chosen = row.placement.selected and not left_out
            rows.append(
                OnsiteSelection(
                    dossier=row.dossier,
                    panel=proposal.panel,
                    outcome=SelectionOutcome.SELECTED if chosen else SelectionOutcome.NOT_SELECTED,
                    material_total=row.total,
                    rank=row.placement.rank,
                    tied_at_cutoff=row.placement.tied_at_cutoff,
                    reason=exclusions.get(row.dossier.pk, ""),
                    decided_by=by,
                )
            )
    for row in rows:
        row.full_clean(exclude=["dossier", "panel", "decided_by"])
        row._history_user = by
        row.save()
        dossier_transition(
            dossier=row.dossier,
            to=DossierState.SELECTED if row.outcome == SelectionOutcome.SELECTED else DossierState.NOT_SELECTED,
            by=by,
            data={"onsite_selection": row.pk},
        )
    audit_record(
        actor=by,
        action=SELECTION_APPLIED,
        obj=cycle,
        data={
            "top_n": cycle.onsite_top_n,
            "min_score": None if cycle.onsite_min_score is None else str(cycle.onsite_min_score),
            "selected": [row.dossier_id for row in rows if row.outcome == SelectionOutcome.SELECTED],
            "not_selected": [row.dossier_id for row in rows if row.outcome == SelectionOutcome.NOT_SELECTED],
            "left_out": {str(key): reason for key, reason in exclusions.items()},
        },
    )
    for row in rows:
        transaction.on_commit(partial(_enqueue_letter, selection_id=row.pk), robust=True)
    return rows


def _enqueue_letter(*, selection_id: int):
    from .tasks_onsite import task_send_selection_letter

    try:
        task_send_selection_letter.apply_async(kwargs={"selection_id": selection_id})
    except Exception:  # an unreachable broker: the row stays unnotified and the sweeper sends it
        logger.warning("Broker unreachable; the selection letter %s waits for the sweeper.", selection_id)


def selection_letter_mail(*, selection_id: int) -> bool:
    """E-mail the applicant whether its dossier goes on to the on-site review; True when sent (now or before).

    Idempotent: the row is locked and `applicant_notified_at` says it went. False when the row is gone or the
    organisation has no address (logged; the sweeper tries again later).
    """
    with transaction.atomic():
        row = (
            OnsiteSelection.objects.select_for_update(of=("self",))
            .select_related("dossier__cycle", "dossier__organisation")
            .filter(pk=selection_id)
            .first()
        )
        if row is None:
            logger.warning("On-site selection %s no longer exists: no letter sent.", selection_id)
            return False
        if row.applicant_notified_at is not None:
            return True
        dossier = row.dossier
        recipients = organisation_recipients(dossier.organisation)
        if not recipients:
            logger.error(
                "Organisation %s has no e-mail address: selection %s not sent.", dossier.organisation_id, row.pk
            )
            return False
        with in_chinese():
            context = {
                "selection": row,
                "selected": row.outcome == SelectionOutcome.SELECTED,
                "dossier": dossier,
                "cycle": dossier.cycle,
                "organisation": dossier.organisation,
                "link": dossier_link(dossier),
            }
            subject, body = render_mail_review("selection", context)
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients).send()
        row.applicant_notified_at = timezone.now()
        row.save(update_fields=["applicant_notified_at"])
        audit_record(
            actor=None,
            action=LETTER_SENT,
            obj=dossier,
            data={"selection": row.pk, "outcome": row.outcome, "to": recipients},
        )
    return True


def render_mail_review(prefix: str, context: dict) -> tuple[str, str]:
    """Subject and body from templates/review/email/<prefix>_subject.txt and <prefix>_body.txt."""
    subject = render_to_string(f"review/email/{prefix}_subject.txt", context)
    body = render_to_string(f"review/email/{prefix}_body.txt", context)
    return " ".join(subject.split()), body.strip() + "\n"


def selection_letters_catch_up() -> int:
    """The sweeper (for beat): send every selection letter not sent yet; returns how many went."""
    sent = 0
    pending = OnsiteSelection.objects.filter(applicant_notified_at__isnull=True).order_by("pk")
    for selection_id in pending.values_list("pk", flat=True):
        try:
            sent += selection_letter_mail(selection_id=selection_id)
        except Exception:
            logger.exception("The selection letter %s could not be sent; the next sweep tries again.", selection_id)
    return sent


# --- the visits ---


def team_choices(dossier: Dossier):
    """Seats that may go on the dossier's visit: accepted seats of its panel, no conflict with the applicant."""
    return (
        Seat.objects.filter(panel__paneldossier__dossier=dossier, status=SeatStatus.ACCEPTED)
        .exclude(expert__conflicts__organisation_id=dossier.organisation_id)
        .select_related("expert__user", "panel")
        .order_by("rank", "pk")
    )


def issues_to_verify(dossier: Dossier) -> str:
    """The issues the material consensus left for the visit to verify (empty when none are recorded)."""
    consensus = Consensus.objects.filter(dossier=dossier, stage=ReviewStage.MATERIAL).only("issues_to_verify").first()
    return consensus.issues_to_verify if consensus else ""


def visit_refusal(dossier: Dossier, team) -> str | None:
    """Why this visit cannot be planned with this team (None when it can); the admin's form shows it."""
    chosen = OnsiteSelection.objects.filter(dossier=dossier, outcome=SelectionOutcome.SELECTED).exists()
    if not chosen:
        return _("Only a dossier selected for the on-site review gets a visit.")
    if dossier.cycle.phase not in VISIT_PHASES:
        return _("Visits are planned until the end of the on-site review.")
    if not team:
        return _("Choose at least one expert of the panel for the visit's team.")
    allowed = set(team_choices(dossier).values_list("pk", flat=True))
    refused = [seat for seat in team if seat.pk not in allowed]
    if refused:
        return _(
            "The team is chosen from the experts who accepted a seat on the dossier's panel and have no "
            "conflict of interest with the applicant: %(experts)s cannot go."
        ) % {"experts": str(LIST_SEPARATOR).join(str(seat.expert) for seat in refused)}
    return None


@transaction.atomic
def visit_save(*, visit: OnsiteVisit, team, by: User) -> OnsiteVisit:
    """Schedule or reschedule the on-site visit of a selected dossier (现场评审安排).

    The team comes from the accepted seats of the dossier's panel, none in conflict with the applicant. Refused
    (OnsiteError) for a dossier not selected, outside the material and on-site review, or for a team seat not
    allowed. Side effects: the visit and its team saved; an audit row on the dossier.
    """
    team = list(team)
    dossier = Dossier.objects.select_for_update().select_related("cycle", "organisation").get(pk=visit.dossier_id)
    refusal = visit_refusal(dossier, team)
    if refusal:
        raise OnsiteError(refusal)
    try:
        visit.full_clean()
    except ValidationError as error:
        raise OnsiteError(" ".join(error.messages)) from error
    is_new = visit.pk is None
    visit._history_user = by
    visit.save()
    visit.team.set(team)
    audit_record(
        actor=by,
        action=VISIT_SAVED,
        obj=dossier,
        data={
            "visit": visit.pk,
            "new": is_new,
            "from": visit.starts_on.isoformat(),
            "to": visit.ends_on.isoformat(),
            "team": [seat.pk for seat in team],
        },
    )
    return visit


def visits_for_seats(seats):
    """The visits whose team holds one of these seats, with the dossier and organisation. One query."""
    return (
        OnsiteVisit.objects.filter(team__in=seats)
        .select_related("dossier__organisation", "dossier__cycle")
        .distinct()
        .order_by("starts_on", "pk")
    )


def visit_for_applicant(dossier: Dossier) -> OnsiteVisit | None:
    """The visit an applicant sees (dates, place, notes; never the team), once the dossier is selected."""
    if dossier.state not in VISIT_SHOWN_STATES:
        return None
    return OnsiteVisit.objects.filter(dossier=dossier).first()


# --- the candidate list (Art. 16) ---


def panel_for_leader(user, pk: int) -> Panel | None:
    """The panel `pk` if the user leads it: an active expert with the accepted leader's seat and the pledge signed."""
    expert = getattr(user, "expert", None) if user.is_authenticated else None
    if expert is None or expert.status != ExpertStatus.ACTIVE:
        return None
    panel = (
        Panel.objects.filter(pk=pk, seats__expert=expert, seats__is_leader=True, seats__status=SeatStatus.ACCEPTED)
        .select_related("cycle")
        .first()
    )
    if panel is None or not Pledge.objects.filter(expert=expert, cycle_id=panel.cycle_id).exists():
        return None
    return panel


@dataclass
class CandidateRow:
    dossier: Dossier
    onsite_total: Decimal
    material_total: Decimal | None
    place: int  # shared by equal totals (1, 2, 2, 4)
    position: int  # the order handed over: equal totals by dossier number
    handed_over_at: object = None
    handed_over_by: User | None = None

    @property
    def onsite_display(self) -> str:
        return scoring.display(self.onsite_total)

    @property
    def material_display(self) -> str:
        return scoring.display(self.material_total) if self.material_total is not None else "—"


@dataclass
class CandidateList:
    panel: Panel
    rows: list[CandidateRow]
    handed_over: bool
    missing: list[Dossier]  # selected dossiers without a recorded on-site consensus

    @property
    def handed_over_at(self):
        return self.rows[0].handed_over_at if self.handed_over and self.rows else None

    @property
    def handed_over_by(self):
        return self.rows[0].handed_over_by if self.handed_over and self.rows else None


def candidate_list(panel: Panel) -> CandidateList:
    """The panel's candidate list: the fixed rows once handed over, else the on-site consensus order now.

    Ordered by on-site consensus total, highest first; equal totals share a place and keep dossier-number order.
    A fixed number of queries, whatever the number of dossiers.
    """
    fixed = list(
        Candidate.objects.filter(panel=panel)
        .select_related("dossier__organisation", "handed_over_by")
        .order_by("position")
    )
    if fixed:
        places = dict(scoring.standings([(candidate.pk, candidate.onsite_total) for candidate in fixed]))
        rows = [
            CandidateRow(
                dossier=candidate.dossier,
                onsite_total=candidate.onsite_total,
                material_total=candidate.material_total,
                place=places[candidate.pk],
                position=candidate.position,
                handed_over_at=candidate.handed_over_at,
                handed_over_by=candidate.handed_over_by,
            )
            for candidate in fixed
        ]
        return CandidateList(panel=panel, rows=rows, handed_over=True, missing=[])

    consensuses = list(
        Consensus.objects.filter(
            _recorded(ReviewStage.ONSITE),
            panel=panel,
            dossier__onsite_selection__outcome=SelectionOutcome.SELECTED,
        )
        .select_related("dossier__organisation", "dossier__onsite_selection")
        .order_by("dossier__sequence", "dossier__pk")
    )
    by_dossier = {consensus.dossier_id: consensus for consensus in consensuses}
    standings = scoring.standings([(consensus.dossier_id, consensus.total) for consensus in consensuses])
    rows = []
    for position, (dossier_id, place) in enumerate(standings, start=1):
        consensus = by_dossier[dossier_id]
        rows.append(
            CandidateRow(
                dossier=consensus.dossier,
                onsite_total=consensus.total,
                material_total=consensus.dossier.onsite_selection.material_total,  # as the selection used it
                place=place,
                position=position,
            )
        )
    missing = list(
        Dossier.objects.filter(onsite_selection__panel=panel, onsite_selection__outcome=SelectionOutcome.SELECTED)
        .exclude(pk__in=list(by_dossier))
        .order_by("sequence", "pk")
    )
    return CandidateList(panel=panel, rows=rows, handed_over=False, missing=missing)


def handover_refusal(panel: Panel, listing: CandidateList | None = None) -> str | None:
    """Why the leader cannot hand the candidate list over now (None when they can)."""
    listing = listing or candidate_list(panel)
    if listing.handed_over:
        return _("The candidate list has been handed over to the committee; it is fixed.")
    if panel.cycle.phase != CyclePhase.ONSITE_REVIEW:
        return _("The candidate list is handed over during the on-site review (Art. 16).")
    if listing.missing:
        return ngettext(
            "Every selected dossier needs its recorded on-site consensus first (Art. 16); missing: %(numbers)s.",
            "Every selected dossier needs its recorded on-site consensus first (Art. 16); missing: %(numbers)s.",
            len(listing.missing),
        ) % {"numbers": dossier_numbers(listing.missing)}
    if not listing.rows:
        return _("No dossier of this panel was selected for the on-site review: there is no candidate to hand over.")
    return None


@transaction.atomic
def candidates_hand_over(*, panel: Panel, by: User) -> list[Candidate]:
    """The leader hands the panel's candidate list to the committee, ordered by on-site consensus score (Art. 16).

    Refused (OnsiteError) unless `by` leads the panel, the cycle is in the on-site review, every selected dossier
    has a recorded on-site consensus, and the list has not been handed over already. Side effects: Candidate rows
    (position, on-site and material totals), which are fixed from then on; dossiers move to CANDIDATE; an audit row
    on the panel.
    """
    panel = Panel.objects.select_for_update().select_related("cycle").get(pk=panel.pk)
    if panel_for_leader(by, panel.pk) is None:
        raise OnsiteError(_("Only the panel's leader hands over its candidate list."))
    listing = candidate_list(panel)
    refusal = handover_refusal(panel, listing)
    if refusal:
        raise OnsiteError(refusal)
    candidates = []
    for row in listing.rows:
        candidate = Candidate.objects.create(
            panel=panel,
            dossier=row.dossier,
            position=row.position,
            onsite_total=row.onsite_total,
            material_total=row.material_total,
            handed_over_by=by,
        )
        dossier_transition(dossier=row.dossier, to=DossierState.CANDIDATE, by=by, data={"candidate": candidate.pk})
        candidates.append(candidate)
    audit_record(
        actor=by,
        action=HANDED_OVER,
        obj=panel,
        data={
            "candidates": [
                {"dossier": c.dossier_id, "position": c.position, "onsite": str(c.onsite_total)} for c in candidates
            ]
        },
    )
    return candidates


def panels_not_handed_over(cycle: Cycle):
    """Panels of the cycle with dossiers selected for the on-site review and no candidate list handed over."""
    return (
        Panel.objects.filter(cycle=cycle, selections__outcome=SelectionOutcome.SELECTED, candidates__isnull=True)
        .distinct()
        .order_by("name")
    )


def candidates_for_cycle(cycle: Cycle):
    """Every panel's handed-over candidates of the cycle, with dossier, organisation and panel (for the committee)."""
    return (
        Candidate.objects.filter(panel__cycle=cycle)
        .select_related("dossier__organisation", "panel")
        .order_by("panel__name", "position")
    )
