"""Public pages of the award's results: publicity (公示) and objections, winners, certificate verification.

No login is needed (login_not_required). These addresses are printed on paper and in QR codes and never change:
/publicity/<cycle number>/, /winners/, /verify/<serial>/.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mayor_award.core.uploads import files_of

from .. import selectors_awards, services_awards
from ..forms_awards import ObjectionForm
from ..models import PublicityCandidate


def client_address(request) -> str | None:
    """The address objections are counted by; behind a proxy, the proxy must pass the client's as REMOTE_ADDR."""
    return request.META.get("REMOTE_ADDR") or None


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def publicity(request, cycle):
    cycle = selectors_awards.public_cycle(cycle)
    if cycle is None:
        raise Http404(_("No such award cycle."))
    publicities = selectors_awards.published_publicities(cycle)
    for one in publicities:
        one.accepts_objections = services_awards.objection_window_open(one)
    open_ids = [one.pk for one in publicities if one.accepts_objections]
    candidates = PublicityCandidate.objects.filter(
        publicity__in=[one.pk for one in publicities], removed_at__isnull=True
    ).select_related("dossier__organisation")
    form = None
    if request.method == "POST":
        limited = services_awards.objection_rate_exceeded(client_address(request))
        form = ObjectionForm(
            request.POST,
            files_of(request),
            candidates=candidates,
            refusal=str(services_awards.RATE_LIMITED) if limited else "",
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                objection = services_awards.objection_submit(
                    candidate=data["candidate"],
                    name=data["name"],
                    id_number=data["id_number"],
                    organisation=data["organisation"],
                    phone=data["phone"],
                    email=data["email"],
                    text=data["text"],
                    files=data["evidence"],
                    client_address=client_address(request),
                )
            except services_awards.AwardError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Your objection has been received. Its reference number is %(reference)s; an "
                        "acknowledgement is on its way to %(email)s."
                    )
                    % {"reference": objection.reference, "email": objection.email},
                )
                return redirect("committee:publicity", cycle=cycle.number)
    elif open_ids:
        form = ObjectionForm(candidates=candidates.filter(publicity__in=open_ids))
    status = 429 if form is not None and form.refusal else 200
    return render(
        request,
        "committee/public/publicity.html",
        {"cycle": cycle, "publicities": publicities, "form": form},
        status=status,
    )


WINNERS_PER_PAGE = 25


@login_not_required
@require_GET
def winners(request):
    """Every winner, newest cycle first, a page of WINNERS_PER_PAGE at a time (grouped by cycle on each page)."""
    page = Paginator(selectors_awards.winning_awards(), WINNERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "committee/public/winners.html",
        {
            "cycles": selectors_awards.by_cycle(page.object_list),
            "page": page,
            "own_organisation": selectors_awards.user_organisation_id(request.user),
        },
    )


@login_not_required
@require_GET
def verify(request, serial):
    certificate = selectors_awards.certificate_by_serial(serial)
    if certificate is None:
        return render(request, "committee/public/verify_unknown.html", {"serial": serial}, status=404)
    return render(request, "committee/public/verify.html", {"certificate": certificate, "award": certificate.award})


urlpatterns = [
    path("publicity/<int:cycle>/", publicity, name="publicity"),
    path("winners/", winners, name="winners"),
    path("verify/<str:serial>/", verify, name="verify"),
]
