"""The minutes of a vote (表决记录), printed as a PDF: the rules, the turnout, each candidate's tally, the
ranking with both ranks and the index, and every adjustment with its reason. Never who voted how: the minutes
read only counts (TallyResult), which is all the ballot box gives out.
"""

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from applications import pdf
from applications.notifications import in_chinese
from mayor_award.core.services import audit_record

from . import ranking
from .enums_voting import SessionState
from .models import CommitteeMember, TallyResult, VotingSession

logger = logging.getLogger(__name__)

TEMPLATE = "committee/pdf/minutes.html"


def minutes_context(session: VotingSession) -> dict:
    """What the minutes (and the secretariat's session page) show; counts only."""
    cycle = session.cycle
    context = {
        "session": session,
        "cycle": cycle,
        "members": list(CommitteeMember.objects.filter(cycle=cycle).select_related("user").order_by("pk")),
        "printed_at": timezone.now(),
        "reasons": {code: str(text) for code, text in ranking.REASONS.items()},
    }
    if session.state == SessionState.DRAFT:
        return context
    context.update(
        quorum_fraction=ranking.ratio_fraction(session.quorum_ratio),
        quorum_needed=ranking.quorum_required(session.members_eligible, session.quorum_ratio),
        pass_fraction=ranking.ratio_fraction(session.pass_ratio),
    )
    if session.state == SessionState.CLOSED:
        context["tally"] = list(
            TallyResult.objects.filter(session=session).select_related(
                "candidate__dossier__organisation", "candidate__panel"
            )
        )
        proposed_list = getattr(session, "proposed_list", None)
        if proposed_list is not None:
            entries = list(
                proposed_list.entries.select_related("candidate__dossier__organisation", "candidate__panel").order_by(
                    "position"
                )
            )
            for entry in entries:
                entry.reason_texts = [context["reasons"].get(code, code) for code in entry.reasons]
            context.update(
                proposed_list=proposed_list,
                entries=entries,
                proposed=[entry for entry in entries if entry.proposed],
                adjustments=list(
                    proposed_list.adjustments.select_related("entry__candidate__dossier__organisation", "recorded_by")
                ),
            )
    return context


def minutes_render(*, session_id: int) -> bool:
    """Print the minutes of a session that has closed (or is void) and store them. Safe to run again: each run
    prints the current state (the ranking and the list may have moved on since the vote closed)."""
    session = VotingSession.objects.select_related("cycle").filter(pk=session_id).first()
    if session is None:
        logger.warning("Voting session %s is gone; no minutes printed.", session_id)
        return False
    if session.state not in (SessionState.CLOSED, SessionState.VOID):
        return False
    with in_chinese():
        content = pdf.render_pdf(TEMPLATE, minutes_context(session))
    with transaction.atomic():
        session = VotingSession.objects.select_for_update().get(pk=session_id)
        old = session.minutes_pdf.name if session.minutes_pdf else ""
        session.minutes_pdf.save(f"minutes-{session.pk}.pdf", ContentFile(content), save=False)
        session.minutes_generated_at = timezone.now()
        session.save(update_fields=["minutes_pdf", "minutes_generated_at"])
        audit_record(actor=None, action="vote.minutes_printed", obj=session, data={})
        if old:
            transaction.on_commit(lambda: session.minutes_pdf.storage.delete(old))
    return True
