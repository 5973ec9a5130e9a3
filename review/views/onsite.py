"""Expert and leader pages of the on-site stage: the candidate list and its hand-over (Art. 16).

Only the panel's leader (an accepted leader's seat, the cycle's pledge signed) opens the page; any other expert gets
404 and any other role 403. The experts' visit schedule is shown on their dashboard (templatetags/review_onsite.py).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import onsite
from .expert import expert_required


@expert_required
@require_http_methods(["GET", "POST"])
def candidates(request, pk):
    panel = onsite.panel_for_leader(request.user, pk)
    if panel is None:
        raise Http404
    if request.method == "POST":
        try:
            onsite.candidates_hand_over(panel=panel, by=request.user)
        except onsite.OnsiteError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The candidate list is handed over to the committee; it is now fixed."))
        return redirect("review:candidates", pk=panel.pk)
    listing = onsite.candidate_list(panel)
    return render(
        request,
        "review/onsite/candidates.html",
        {"panel": panel, "listing": listing, "refusal": onsite.handover_refusal(panel, listing)},
    )


urlpatterns = [
    path("review/panels/<int:pk>/candidates/", candidates, name="candidates"),
]
