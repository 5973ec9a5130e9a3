"""The committee members' pages: candidates, reports and the ballot (during deliberation only).

A user with the committee role who sits on the committee of the cycle now in deliberation sees its candidates
(panel, on-site and material scores, radar chart, the panels' reports) and casts one secret ballot. Outside the
deliberation phase the pages say that they are closed, and a report is not found. A wrong role gets 403.

After casting, the page says the ballot is cast and never shows the choices: they were only added to each
candidate's counters, so there is nothing to show. A member recused from every candidate has nothing to vote on:
the page says so instead of showing a ballot.
"""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mayor_award.core.downloads import private_file_response
from mayor_award.core.rules import is_committee_member
from mayor_award.core.services import audit_record

from .. import ranking, selectors_voting, services_voting
from ..enums_voting import SessionState, VoteChoice
from ..services_voting import cycle_candidates

CANDIDATES_PER_PAGE = 20


def committee_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_committee_member(request.user):
            raise PermissionDenied
        request.committee_member = selectors_voting.member_for_user(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def _closed(request):
    return render(request, "committee/member/closed.html", status=200)


def _rules_context(session) -> dict:
    if session is None or session.state == SessionState.DRAFT:
        return {}
    return {
        "quorum_needed": ranking.quorum_required(session.members_eligible, session.quorum_ratio),
        "quorum_fraction": ranking.ratio_fraction(session.quorum_ratio),
        "pass_fraction": ranking.ratio_fraction(session.pass_ratio),
    }


@committee_required
def home(request):
    member = request.committee_member
    if member is None:
        return _closed(request)
    session = selectors_voting.current_session(member.cycle)
    # A provincial cycle hands over hundreds of candidates, each card with its radar chart: one page at a time.
    page = Paginator(cycle_candidates(member.cycle), CANDIDATES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "committee/member/candidates.html",
        {
            "member": member,
            "cycle": member.cycle,
            "page": page,
            "cards": selectors_voting.candidate_cards(member, page.object_list),
            "session": session,
            "voted": selectors_voting.has_voted(session, member),
            **_rules_context(session),
        },
    )


@committee_required
def report(request, pk):
    member = request.committee_member
    found = selectors_voting.report_for_member(member, pk) if member is not None else None
    if found is None:
        raise Http404
    audit_record(actor=request.user, action="dossier.opened", obj=found.dossier, data={"report": found.pk})
    return private_file_response(
        found.report_pdf,
        filename=f"report-{found.dossier.number}-{found.stage}.pdf",
        content_type="application/pdf",
    )


def _choices_from(post) -> dict[int, str]:
    """Every choice the form sent, the session's candidates or not: a ballot naming a candidate that is not on it
    is refused by the service as a whole, never cast with that choice quietly dropped."""
    choices = {}
    for key, value in post.items():
        number = key.removeprefix("c_")
        if number != key and number.isdecimal() and value:
            choices[int(number)] = value
    return choices


@committee_required
@require_http_methods(["GET", "POST"])
def ballot(request):
    member = request.committee_member
    if member is None:
        return _closed(request)
    session = selectors_voting.current_session(member.cycle)
    voted = selectors_voting.has_voted(session, member)
    recused = selectors_voting.recused_candidate_ids(member)
    candidates = (
        list(
            session.candidates.select_related("panel", "dossier__organisation")
            .defer("panel__draw_record")  # each panel's record of its draw is large and never shown here
            .order_by("panel__name", "position")
        )
        if session is not None and session.state != SessionState.DRAFT
        else []
    )
    choices = {}
    if request.method == "POST":
        if session is None or session.state != SessionState.OPEN:
            messages.error(request, _("The vote is not open."))
            return redirect("committee:ballot")
        choices = _choices_from(request.POST)
        if request.POST.get("final") != "yes":
            messages.error(request, _("Tick the box to confirm that your ballot is final."))
        else:
            try:
                services_voting.ballot_cast(session=session, member=member, choices=choices, by=request.user)
            except services_voting.VotingError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Your ballot is cast. Thank you."))
                return redirect("committee:ballot")
    rows = [
        {"candidate": candidate, "recused": candidate.pk in recused, "choice": choices.get(candidate.pk, "")}
        for candidate in candidates
    ]
    return render(
        request,
        "committee/member/ballot.html",
        {
            "member": member,
            "cycle": member.cycle,
            "session": session,
            "voted": voted,
            "rows": rows,
            "nothing_to_vote": bool(rows) and all(row["recused"] for row in rows),
            "vote_choices": VoteChoice.choices,
            **_rules_context(session),
        },
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("committee/", home, name="home"),
    path("committee/ballot/", ballot, name="ballot"),
    path("committee/reports/<int:pk>/", report, name="report"),
]
