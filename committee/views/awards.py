"""The certificate download: for the members of the winning organisation and the secretariat; anyone else gets
"not found" (a signed-out visitor is sent to the login page first)."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from mayor_award.core.downloads import private_file_response
from mayor_award.core.services import audit_record

from ..models import Certificate


@require_GET
def certificate(request, serial):
    found = get_object_or_404(Certificate.objects.select_related("award__organisation", "award__cycle"), serial=serial)
    if not request.user.has_perm("committee.download_certificate", found.award):
        raise Http404(_("No such certificate."))
    if not found.pdf:
        raise Http404(_("The certificate is being printed; please try again in a moment."))
    audit_record(actor=request.user, action="certificate.downloaded", obj=found, data={"serial": found.serial})
    return private_file_response(found.pdf, filename=f"{found.serial}.pdf", content_type="application/pdf")


urlpatterns = [
    path("certificates/<str:serial>.pdf", certificate, name="certificate"),
]
