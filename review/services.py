"""Every write of the review app: conflicts, panels and their draw, seats and replies, the pledge."""

import datetime as dt
import logging
from functools import partial

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.enums import DossierState, IndustrySection
from applications.models import Dossier
from mayor_award.core.enums import Role
from mayor_award.core.models import Cycle, User
from mayor_award.core.services import audit_record

from . import conflicts, draw
from .enums import ConflictKind, ExpertStatus, SeatStatus
from .models import Conflict, Expert, Panel, PanelDossier, Pledge, Seat

logger = logging.getLogger(__name__)

REPLY_DAYS = 5


class ReviewError(Exception):
    """A review action was refused; the message says why, in the user's language."""


# --- the expert pool and conflicts ---


@transaction.atomic
def expert_save(*, expert: Expert, by: User) -> Expert:
    """Create or update an expert profile; the user gets the expert role."""
    expert.full_clean()
    expert._history_user = by
    expert.save()
    expert.user.groups.add(Group.objects.get(name=Role.EXPERT))
    audit_record(actor=by, action="expert.saved", obj=expert)
    return expert


def conflicts_detect(*, cycle: Cycle, by: User | None = None) -> int:
    """Record the automatic conflicts between the pool and the cycle's submitted dossiers; returns how many are new."""
    today = timezone.localdate()
    dossiers = (
        Dossier.objects.filter(cycle=cycle).submitted().select_related("organisation").prefetch_related("sections")
    )
    experts = list(Expert.objects.select_related("user"))
    created = 0
    for dossier in dossiers:
        basics = conflicts.dossier_basics(dossier)
        for expert in experts:
            for kind, note in conflicts.automatic_conflicts(expert, dossier.organisation, basics, today):
                _row, made = Conflict.objects.get_or_create(
                    expert=expert,
                    organisation=dossier.organisation,
                    kind=kind,
                    defaults={"note": note, "recorded_by": by},
                )
                created += made
    if created:
        audit_record(actor=by, action="conflicts.detected", obj=cycle, data={"created": created})
    return created


@transaction.atomic
def conflict_record(*, expert: Expert, organisation, kind: str, note: str, by: User) -> Conflict:
    conflict, _created = Conflict.objects.get_or_create(
        expert=expert, organisation=organisation, kind=kind, defaults={"note": note, "recorded_by": by}
    )
    audit_record(actor=by, action="conflict.recorded", obj=conflict, data={"kind": kind})
    return conflict


# --- panels and the draw ---


@transaction.atomic
def panel_create(*, cycle: Cycle, name: str, industries: list[str], dossiers, size: int, by: User) -> Panel:
    """A panel for some of the cycle's eligible dossiers; each dossier goes to one panel."""
    dossiers = list(dossiers)
    not_eligible = [d.number for d in dossiers if d.state != DossierState.ELIGIBLE or d.cycle_id != cycle.pk]
    if not_eligible:
        raise ReviewError(
            _("Only eligible dossiers of this cycle go to a panel: %(numbers)s.") % {"numbers": "、".join(not_eligible)}
        )
    if size < cycle.panel_min_size:
        raise ReviewError(_("A panel has at least %(minimum)s experts (Art. 7).") % {"minimum": cycle.panel_min_size})
    unknown = set(industries) - set(IndustrySection.values)
    if not industries or unknown:
        raise ReviewError(_("Name the panel's industries by their GB/T 4754-2017 section letters (Art. 6)."))
    if Panel.objects.filter(cycle=cycle, name=name).exists():
        raise ReviewError(_("This cycle already has a panel named %(name)s.") % {"name": name})
    panel = Panel(cycle=cycle, name=name, industries=sorted(set(industries)), size=size)
    panel.full_clean()
    panel.save()
    for dossier in dossiers:
        if PanelDossier.objects.filter(dossier=dossier).exists():
            raise ReviewError(_("Dossier %(number)s is already on a panel.") % {"number": dossier.number})
        PanelDossier.objects.create(panel=panel, dossier=dossier)
    audit_record(actor=by, action="panel.created", obj=panel, data={"dossiers": [d.pk for d in dossiers]})
    return panel


def suggested_groups(cycle: Cycle) -> dict[str, list[Dossier]]:
    """The cycle's eligible dossiers not yet on a panel, grouped by industry section."""
    groups: dict[str, list[Dossier]] = {}
    for dossier in (
        Dossier.objects.filter(cycle=cycle, state=DossierState.ELIGIBLE, panel_assignment__isnull=True)
        .select_related("organisation")
        .order_by("organisation__industry_section", "number")
    ):
        groups.setdefault(dossier.organisation.industry_section, []).append(dossier)
    return groups


def _candidates(panel: Panel) -> list[draw.Candidate]:
    organisation_ids = set(panel.dossiers.values_list("organisation_id", flat=True))
    committee = set(Group.objects.get(name=Role.COMMITTEE).user_set.values_list("pk", flat=True))
    seated = set(
        Seat.objects.filter(panel__cycle=panel.cycle, status__in=SeatStatus.holding())
        .exclude(panel=panel)
        .values_list("expert_id", flat=True)
    )
    conflicted: dict[int, set[int]] = {}
    for expert_id, organisation_id in Conflict.objects.filter(organisation_id__in=organisation_ids).values_list(
        "expert_id", "organisation_id"
    ):
        conflicted.setdefault(expert_id, set()).add(organisation_id)
    return [
        draw.Candidate(
            expert_id=expert.pk,
            name=str(expert.user),
            industries=frozenset(expert.industries),
            active=expert.status == ExpertStatus.ACTIVE and expert.user.is_active,
            is_committee_member=expert.user_id in committee,
            conflicted_organisation_ids=frozenset(conflicted.get(expert.pk, ())),
            seated_in_cycle=expert.pk in seated,
        )
        for expert in Expert.objects.select_related("user").order_by("pk")
    ]


def _request(panel: Panel) -> draw.PanelRequest:
    return draw.PanelRequest(
        group=panel.name,
        industries=frozenset(panel.industries),
        dossier_organisation_ids=frozenset(panel.dossiers.values_list("organisation_id", flat=True)),
        size=panel.size,
        minimum_size=panel.cycle.panel_min_size,
        one_panel_per_cycle=panel.cycle.one_panel_per_expert,
    )


@transaction.atomic
def panel_draw(*, panel: Panel, by: User, seed: str | None = None) -> Panel:
    """Draw the panel's members and ranked alternates at random; store seed, candidates and result; invite."""
    # The cycle's row is locked first: draws and replacements of one cycle run one at a time, so no expert
    # is seated twice and no alternate is called twice.
    Cycle.objects.select_for_update().get(pk=panel.cycle_id)
    panel = Panel.objects.select_for_update().select_related("cycle").get(pk=panel.pk)
    if panel.is_drawn:
        raise ReviewError(_("This panel has already been drawn."))
    if not panel.dossiers.exists():
        raise ReviewError(_("Assign dossiers to the panel before the draw: conflicts depend on them."))
    conflicts_detect(cycle=panel.cycle, by=by)
    candidates = _candidates(panel)
    request = _request(panel)
    seed = seed or draw.new_seed()
    try:
        result = draw.draw(candidates, request, seed)
    except draw.DrawError as error:
        raise ReviewError(str(error)) from error
    panel.seed = seed
    panel.drawn_at = timezone.now()
    panel.drawn_by = by
    panel.draw_record = {
        "seed": seed,
        "candidates": [
            {
                "expert_id": c.expert_id,
                "name": c.name,
                "industries": sorted(c.industries),
                "active": c.active,
                "committee": c.is_committee_member,
                "conflicts": sorted(c.conflicted_organisation_ids),
                "seated": c.seated_in_cycle,
            }
            for c in candidates
        ],
        "request": {
            "industries": sorted(request.industries),
            "organisations": sorted(request.dossier_organisation_ids),
            "size": request.size,
            "minimum_size": request.minimum_size,
        },
        "result": result.to_record(),
    }
    panel._history_user = by
    panel.save()
    for rank, expert_id in enumerate(result.members, start=1):
        seat = Seat.objects.create(panel=panel, expert_id=expert_id, rank=rank, is_leader=rank == 1)
        _invite(seat)
    audit_record(actor=by, action="panel.drawn", obj=panel, data={"seed": seed, "members": list(result.members)})
    return panel


def _invite(seat: Seat):
    seat.invited_at = timezone.now()
    seat.reply_by = seat.invited_at + dt.timedelta(days=REPLY_DAYS)
    seat.save(update_fields=["invited_at", "reply_by"])
    transaction.on_commit(partial(_enqueue_invitation, seat_id=seat.pk), robust=True)


def _enqueue_invitation(*, seat_id: int):
    from .tasks import task_send_seat_invitation

    try:
        task_send_seat_invitation.apply_async(kwargs={"seat_id": seat_id})
    except Exception:  # an unreachable broker: the invitation sweeper sends it later
        logger.warning("Broker unreachable; the invitation of seat %s waits for the sweeper.", seat_id)


@transaction.atomic
def seat_reply(*, seat: Seat, accept: bool, by: User, conflict_with=None, note: str = "") -> Seat:
    """The expert accepts or declines the invitation, or declares a conflict; a vacancy brings in an alternate."""
    _lock_cycle_of(seat.pk)
    seat = Seat.objects.select_for_update().select_related("panel__cycle", "expert").get(pk=seat.pk)
    if seat.status != SeatStatus.INVITED:
        raise ReviewError(_("This invitation has already been answered."))
    if seat.reply_by and timezone.now() > seat.reply_by:
        raise ReviewError(_("The reply date has passed; the secretariat has invited the next expert."))
    seat.replied_at = timezone.now()
    seat.reply_note = note
    if accept:
        seat.status = SeatStatus.ACCEPTED
    elif conflict_with is not None:
        seat.status = SeatStatus.CONFLICT
        conflict_record(expert=seat.expert, organisation=conflict_with, kind=ConflictKind.DECLARED, note=note, by=by)
    else:
        seat.status = SeatStatus.DECLINED
    seat._history_user = by
    seat.save()
    audit_record(actor=by, action="seat.replied", obj=seat.panel, data={"seat": seat.pk, "status": seat.status})
    if not accept:
        _replace(seat, by)
    return seat


def _lock_cycle_of(seat_id: int):
    """Seat changes of one cycle run one at a time (see panel_draw)."""
    cycle_id = Seat.objects.values_list("panel__cycle_id", flat=True).get(pk=seat_id)
    Cycle.objects.select_for_update().get(pk=cycle_id)


def _step_down(seat: Seat, by):
    seat.is_leader = False
    seat._history_user = by
    seat.save(update_fields=["is_leader"])


def _replace(vacated: Seat, by: User):
    """Bring in the next alternate in draw order who is still available (not conflicted, not seated elsewhere)."""
    panel = vacated.panel
    record = panel.draw_record
    candidates = {c.expert_id: c for c in _candidates(panel)}
    unavailable = set(Seat.objects.filter(panel=panel).values_list("expert_id", flat=True))
    unavailable |= {
        expert_id
        for expert_id, candidate in candidates.items()
        if candidate.conflicted_organisation_ids or candidate.seated_in_cycle or not candidate.active
    }
    result = draw.DrawResult.from_record(record["result"])
    next_expert = draw.replacement(result, vacated.expert_id, unavailable)
    if next_expert is None:
        if vacated.is_leader:
            _step_down(vacated, by)  # the secretariat names a new leader among the remaining members
        audit_record(actor=by, action="panel.alternates_exhausted", obj=panel, data={"seat": vacated.pk})
        return None
    rank = (Seat.objects.filter(panel=panel).order_by("-rank").values_list("rank", flat=True).first() or 0) + 1
    was_leader = vacated.is_leader
    if was_leader:  # leadership passes to the replacement; one leader per panel at any moment
        _step_down(vacated, by)
    seat = Seat.objects.create(panel=panel, expert_id=next_expert, rank=rank, replaces=vacated, is_leader=was_leader)
    _invite(seat)
    audit_record(actor=by, action="panel.alternate_invited", obj=panel, data={"seat": seat.pk, "replaces": vacated.pk})
    return seat


@transaction.atomic
def panel_set_leader(*, seat: Seat, by: User) -> Seat:
    """Make `seat` the panel's leader (组长); only an invited or accepted member of a drawn panel can lead."""
    Panel.objects.select_for_update().get(pk=seat.panel_id)  # one leader change at a time per panel
    seat = Seat.objects.select_related("panel").get(pk=seat.pk)
    if not seat.panel.is_drawn or seat.status not in SeatStatus.holding():
        raise ReviewError(_("Only a member of the drawn panel who has not declined can lead it."))
    for current in Seat.objects.filter(panel=seat.panel, is_leader=True).exclude(pk=seat.pk):
        current.is_leader = False
        current._history_user = by
        current.save(update_fields=["is_leader"])
    seat.is_leader = True
    seat._history_user = by
    seat.save(update_fields=["is_leader"])
    audit_record(actor=by, action="panel.leader_set", obj=seat.panel, data={"seat": seat.pk})
    return seat


# --- the pledge ---

PLEDGE_TEXT = gettext_lazy(
    "I will keep the business and technical secrets of the applicants confidential, use the dossiers only for "
    "this review, make no copies, accept no gifts or favours, declare any conflict of interest at once, and "
    "review independently, fairly and by the standard (Art. 23 of the Luohe Mayor's Quality Award regulation)."
)


@transaction.atomic
def pledge_sign(*, expert: Expert, cycle: Cycle, ip_address: str | None, user_agent: str, by: User) -> Pledge:
    pledge, created = Pledge.objects.get_or_create(
        expert=expert,
        cycle=cycle,
        defaults={"text": str(PLEDGE_TEXT), "ip_address": ip_address, "user_agent": user_agent[:300]},
    )
    if created:
        audit_record(actor=by, action="pledge.signed", obj=pledge, data={"ip": ip_address})
    return pledge


def invitations_lapse(*, now=None) -> int:
    """Invitations not answered by their reply date count as declined; the next alternate is invited.

    Run by beat (the mail sweeper's schedule); returns how many seats lapsed.
    """
    now = now or timezone.now()
    lapsed = 0
    for seat_id in Seat.objects.filter(status=SeatStatus.INVITED, reply_by__lt=now).values_list("pk", flat=True):
        with transaction.atomic():
            Cycle.objects.select_for_update().get(
                pk=Seat.objects.values_list("panel__cycle_id", flat=True).get(pk=seat_id)
            )
            seat = Seat.objects.select_for_update().select_related("panel__cycle", "expert").get(pk=seat_id)
            if seat.status != SeatStatus.INVITED:
                continue
            seat.status = SeatStatus.DECLINED
            seat.replied_at = now
            seat.reply_note = str(_("No answer by the reply date."))
            seat.save(update_fields=["status", "replied_at", "reply_note"])
            audit_record(actor=None, action="seat.lapsed", obj=seat.panel, data={"seat": seat.pk})
            _replace(seat, None)
            lapsed += 1
    return lapsed
