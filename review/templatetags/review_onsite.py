"""The on-site stage's pieces on other apps' pages: the experts' visit schedule and the applicant's visit."""

from django import template

from mayor_award.core.enums import CyclePhase

from .. import onsite
from ..enums import SeatStatus

register = template.Library()


@register.inclusion_tag("review/onsite/_expert_schedule.html", takes_context=True)
def expert_onsite_schedule(context):
    """The signed-in expert's on-site visits and candidate lists, for the cycles in their on-site review.

    Reads the dashboard's `seats` (loaded with their panels and cycles): no query unless one of the expert's
    accepted seats is in a cycle's on-site review, then one for the visits.
    """
    seats = [
        seat
        for seat in context.get("seats", ())
        if seat.status == SeatStatus.ACCEPTED and seat.panel.cycle.phase == CyclePhase.ONSITE_REVIEW
    ]
    visits = list(onsite.visits_for_seats(seats)) if seats else []
    return {"visits": visits, "leader_seats": [seat for seat in seats if seat.is_leader], "shown": bool(seats)}


@register.inclusion_tag("review/onsite/_applicant_visit.html")
def applicant_onsite_visit(dossier):
    """The dossier's on-site visit as its applicant sees it: dates, place and notes, never the team."""
    return {"visit": onsite.visit_for_applicant(dossier)}
