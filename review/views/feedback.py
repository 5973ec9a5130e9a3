"""The applicant's feedback report (反馈报告): a portal page and its PDF, once the cycle is decided.

Only the staff of the dossier's organisation open it (the portal's selector checks ownership): anyone without an
organisation is refused (403), another organisation's dossier, or one whose feedback is not released yet, is not
found (404). Every opening is recorded in the audit trail.
"""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from applications import pdf
from applications.notifications import in_chinese
from applications.selectors import organisation_for_user

from .. import feedback

logger = logging.getLogger(__name__)


def _released_dossier(request, pk):
    if organisation_for_user(request.user) is None:
        raise PermissionDenied
    dossier = feedback.dossier_for_feedback(request.user, pk)
    if dossier is None:
        raise Http404
    return dossier


def feedback_page(request, pk):
    dossier = _released_dossier(request, pk)
    report = feedback.feedback_report(dossier)
    feedback.feedback_opened(dossier=dossier, by=request.user, fmt="page")
    response = render(request, "review/feedback/page.html", {"report": report, "dossier": dossier})
    patch_cache_control(response, private=True, no_store=True)
    return response


def feedback_pdf(request, pk):
    dossier = _released_dossier(request, pk)
    try:
        content = feedback.feedback_pdf(dossier)
    except pdf.MissingChineseFont:
        logger.exception("Feedback report of dossier %s: no PDF without a Chinese font.", dossier.pk)
        messages.error(
            request,
            _(
                "The PDF cannot be made right now: the server has no Chinese font installed, so the characters "
                "would print as empty boxes. Please tell the secretariat; the report is shown below."
            ),
        )
        return redirect("review:feedback", pk=dossier.pk)
    feedback.feedback_opened(dossier=dossier, by=request.user, fmt="pdf")
    with in_chinese():  # named like its content, which is in Chinese
        filename = f"{_('Feedback report')}-{dossier.number}.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response


urlpatterns = [
    path("portal/dossiers/<int:pk>/feedback/", feedback_page, name="feedback"),
    path("portal/dossiers/<int:pk>/feedback.pdf", feedback_pdf, name="feedback-pdf"),
]
