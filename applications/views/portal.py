"""The applicant portal: permission → selector → form → service → render.

Every page is scoped to the user's own organisation through the selectors: another organisation's dossier
is simply not found (404), which reveals nothing about it.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mayor_award.core.downloads import private_file_response
from mayor_award.core.models import AuditEvent
from mayor_award.core.uploads import files_of

from .. import sections, services
from ..enums import DossierSectionKey
from ..forms import (
    AttachmentForm,
    BasicsForm,
    DeclarationsForm,
    InvitationForm,
    ResultsForm,
    SelfAssessmentForm,
    WithdrawForm,
)
from ..models import Attachment, DossierSection
from ..selectors import dossier_for_applicant, dossiers_for_applicant, open_cycle, organisation_for_user


def applicant_required(view):
    """Only staff of a registered organisation use the portal; others are refused (403)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.organisation = organisation_for_user(request.user)
        if request.organisation is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _own_dossier(request, pk):
    dossier = dossier_for_applicant(request.user, pk)
    if dossier is None:
        raise Http404
    return dossier


@applicant_required
def dashboard(request):
    cycle = open_cycle()
    dossiers = list(dossiers_for_applicant(request.user))
    return render(
        request,
        "applications/portal/dashboard.html",
        {
            "organisation": request.organisation,
            "cycle": cycle,
            "can_start": cycle is not None
            and services.cycle_accepts_applications(cycle)
            and not any(d.cycle_id == cycle.pk for d in dossiers),
            "dossiers": dossiers,
            "members": request.organisation.memberships.select_related("user").order_by("joined_at"),
            "invite_form": InvitationForm(),
        },
    )


@applicant_required
@require_POST
def dossier_start(request):
    cycle = open_cycle()
    if cycle is None:
        messages.error(request, _("No cycle accepts applications now."))
        return redirect("applications:dashboard")
    try:
        dossier = services.dossier_start(cycle=cycle, organisation=request.organisation, by=request.user)
    except services.DossierError as error:
        messages.error(request, str(error))
        return redirect("applications:dashboard")
    return redirect(dossier)


@applicant_required
@require_POST
def invite(request):
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                organisation=request.organisation, email=form.cleaned_data["email"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            link = request.build_absolute_uri(reverse("applications:accept-invitation", args=[invitation.token]))
            body = render_to_string(
                "applications/email/invitation.txt", {"invitation": invitation, "link": link, "by": request.user}
            )
            send_mail(
                _("Invitation to the Luohe Mayor's Quality Award system"),
                body,
                settings.DEFAULT_FROM_EMAIL,
                [invitation.email],
            )
            messages.success(request, _("An invitation was sent to %(email)s.") % {"email": invitation.email})
    else:
        messages.error(request, _("Please enter a valid e-mail address."))
    return redirect("applications:dashboard")


@applicant_required
def dossier_detail(request, pk):
    dossier = _own_dossier(request, pk)
    rows = list(dossier.sections.all())
    attachments = list(dossier.attachments.all())
    history = _history_for_applicant(dossier, request.organisation)
    return render(
        request,
        "applications/portal/dossier_detail.html",
        {
            "dossier": dossier,
            "progress": _progress(dossier, rows, attachments),
            "decisions": list(dossier.decisions.all()),
            "history": history,
        },
    )


# What the applicant sees of the dossier's audit trail: its own work and the secretariat's decisions. Who
# opened the dossier (the experts) stays hidden: applicants never learn who reviews them.
APPLICANT_VISIBLE_ACTIONS = (
    "dossier.started",
    "dossier.section_saved",
    "dossier.attachment_added",
    "dossier.attachment_removed",
    "dossier.submitted",
    "dossier.withdrawn",
    "dossier.eligibility_decided",
    "dossier.receipt_sent",
    "dossier.decision_mailed",
)


def _history_for_applicant(dossier, organisation):
    events = list(
        AuditEvent.objects.filter(
            object_type="applications.dossier", object_id=str(dossier.pk), action__in=APPLICANT_VISIBLE_ACTIONS
        ).select_related("actor")[:50]
    )
    members = set(organisation.memberships.values_list("user_id", flat=True))
    for event in events:
        event.shown_actor = event.actor if event.actor_id in members else None
        event.by_secretariat = event.actor_id is not None and event.actor_id not in members
    return events


def _progress(dossier, rows, attachments):
    entries = sections.progress(dossier, rows, [a.purpose for a in attachments])
    for entry in entries:
        entry["editable"] = services.section_is_editable(dossier, entry["key"])
    return entries


SECTION_FORMS = {
    DossierSectionKey.BASICS: BasicsForm,
    DossierSectionKey.RESULTS: ResultsForm,
    DossierSectionKey.SELF_ASSESSMENT: SelfAssessmentForm,
    DossierSectionKey.DECLARATIONS: DeclarationsForm,
}


def _section_form(key, dossier, *args, **kwargs):
    form_class = SECTION_FORMS[key]
    if key == DossierSectionKey.RESULTS:
        kwargs.update(years=sections.result_years(dossier.cycle), for_profit=dossier.organisation.is_for_profit)
    elif key == DossierSectionKey.SELF_ASSESSMENT:
        kwargs.update(items=sections.scored_items(dossier.cycle))
    return form_class(*args, **kwargs)


@applicant_required
@require_http_methods(["GET", "POST"])
def section_edit(request, pk, key):
    if key not in SECTION_FORMS:
        raise Http404
    dossier = _own_dossier(request, pk)
    section = get_object_or_404(DossierSection, dossier=dossier, key=key)
    refusal = services.editing_refusal(dossier, key)
    initial = {**SECTION_FORMS[key].initial_from(section.data), "version": section.version}
    if request.method == "POST" and refusal:
        messages.error(request, refusal)  # nothing is saved, and the applicant is told why
        return redirect("applications:section", pk=dossier.pk, key=key)
    if request.method == "POST":
        form = _section_form(key, dossier, request.POST, initial=initial)
        if form.is_valid():
            data = {name: value for name, value in form.cleaned_data.items() if name != "version"}
            try:
                services.section_save(
                    dossier=dossier, key=key, data=data, version=form.cleaned_data["version"], by=request.user
                )
            except services.DossierError as error:  # SectionChanged included: the page shows the saved version
                messages.error(request, str(error))
                return redirect("applications:section", pk=dossier.pk, key=key)
            messages.success(request, _("Saved as a draft."))
            return redirect("applications:section", pk=dossier.pk, key=key)
    else:
        form = _section_form(key, dossier, initial=initial)
        if refusal:
            for field in form.fields.values():
                field.disabled = True
    editable = refusal is None
    return render(
        request,
        f"applications/portal/section_{key}.html",
        {
            "dossier": dossier,
            "section_key": key,
            "section_label": DossierSectionKey(key).label,
            "form": form,
            "editable": editable,
            "progress": _progress(dossier, list(dossier.sections.all()), list(dossier.attachments.all())),
        },
    )


@applicant_required
@require_http_methods(["GET", "POST"])
def attachments(request, pk):
    dossier = _own_dossier(request, pk)
    used = dossier.attachments.aggregate(total=Sum("size"))["total"] or 0
    refusal = services.editing_refusal(dossier, DossierSectionKey.ATTACHMENTS)
    editable = refusal is None
    if request.method == "POST" and refusal:
        messages.error(request, refusal)
        return redirect("applications:attachments", pk=dossier.pk)
    form = AttachmentForm(
        request.POST or None, files_of(request) or None, space_left=settings.DOSSIER_TOTAL_MAX_BYTES - used
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.attachment_add(
                dossier=dossier,
                purpose=form.cleaned_data["purpose"],
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
                kind=form.kind,
                by=request.user,
            )
        except services.DossierError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The file was uploaded."))
            return redirect("applications:attachments", pk=dossier.pk)
    return render(
        request,
        "applications/portal/attachments.html",
        {
            "dossier": dossier,
            "attachments": list(dossier.attachments.all()),
            "form": form,
            "editable": editable,
            "used": used,
            "limit": settings.DOSSIER_TOTAL_MAX_BYTES,
            "progress": _progress(dossier, list(dossier.sections.all()), list(dossier.attachments.all())),
        },
    )


@applicant_required
@require_POST
def attachment_delete(request, pk, attachment_pk):
    dossier = _own_dossier(request, pk)
    attachment = get_object_or_404(Attachment, dossier=dossier, pk=attachment_pk)
    try:
        services.attachment_remove(attachment=attachment, by=request.user)
    except services.DossierError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The file was removed."))
    return redirect("applications:attachments", pk=dossier.pk)


def attachment_download(request, dossier_pk, pk):
    """A dossier's file, streamed to its own organisation or the secretariat only (Art. 23)."""
    attachment = Attachment.objects.select_related("dossier").filter(dossier_id=dossier_pk, pk=pk).first()
    if attachment is None or not request.user.has_perm("applications.view_attachment", attachment):
        raise Http404
    services.audit_record(
        actor=request.user,
        action="dossier.attachment_opened",
        obj=attachment.dossier,
        data={"attachment": attachment.pk},
    )
    return private_file_response(
        attachment.file, filename=attachment.original_name, content_type=attachment.content_type
    )


@applicant_required
@require_http_methods(["GET", "POST"])
def submit(request, pk):
    dossier = _own_dossier(request, pk)
    if request.method == "POST":
        try:
            services.dossier_submit(dossier=dossier, by=request.user)
        except services.DossierError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The dossier was submitted. A receipt is on its way to your e-mail."))
            return redirect(dossier)
    rows = list(dossier.sections.all())
    attachments_list = list(dossier.attachments.all())
    findings = services.dossier_precheck(dossier) if dossier.is_editable_state else []
    refusal = services.submission_refusal(dossier)
    return render(
        request,
        "applications/portal/submit.html",
        {
            "dossier": dossier,
            "progress": _progress(dossier, rows, attachments_list),
            "findings": findings,
            "can_submit": refusal is None,
            "refusal": refusal if dossier.is_editable_state else None,
        },
    )


@applicant_required
@require_http_methods(["GET", "POST"])
def withdraw(request, pk):
    dossier = _own_dossier(request, pk)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dossier_withdraw(dossier=dossier, reason=form.cleaned_data["reason"], by=request.user)
        except services.DossierError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The dossier was withdrawn."))
            return redirect(dossier)
    return render(request, "applications/portal/withdraw.html", {"dossier": dossier, "form": form})


@applicant_required
def receipt(request, pk):
    dossier = _own_dossier(request, pk)
    if not dossier.receipt_pdf:
        raise Http404
    return private_file_response(dossier.receipt_pdf, filename=f"{dossier.number}.pdf", content_type="application/pdf")
