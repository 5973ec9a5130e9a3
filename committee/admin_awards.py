"""Admin pages from the approved list to the certificate: publicity and objections, the mayor's approval and the
award announcement, the awards (prize, payment, plaque, certificates) and revocation cases.

Every write calls committee.services_awards; the pages show what the services refuse, with their reasons. Private
files (evidence, signed documents, certificates) are served by the views below, never by a media address.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import construct_instance
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mayor_award.core.admin_mixins import RecordOnceAdminMixin
from mayor_award.core.downloads import private_file_response
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import Cycle
from mayor_award.core.services import audit_record
from mayor_award.core.uploads import sniff_kind

from . import services_awards
from .enums_awards import ObjectionState, RevocationState
from .models import (
    Award,
    AwardApproval,
    CertificateBatch,
    Objection,
    Publicity,
    PublicityCandidate,
    RankingEntry,
    RevocationCase,
)

DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
DATE_INPUT = forms.DateInput(attrs={"type": "date"})
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"})


def _post_only(request):
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _document(upload) -> tuple:
    """Size and content of an uploaded document; returns (upload, kind or None)."""
    if upload.size > DOCUMENT_MAX_BYTES:
        raise ValidationError(_("The document may take at most 20 MB."))
    return upload, sniff_kind(upload)


def _errors(request, problems):
    for problem in problems:
        messages.error(request, problem)


class ServiceForm(forms.ModelForm):
    """A model form that only validates: the service builds, checks and saves the row, and says what it refuses in
    words (the model's own constraint messages would repeat them less clearly)."""

    def _post_clean(self):
        construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)  # for the admin's log line


class ServiceAdmin(admin.ModelAdmin):
    """Rows change only through the services, from the buttons of their page."""

    actions = None

    def has_delete_permission(self, request, obj=None):
        return False

    def _object(self, request, queryset, object_id, permission):
        obj = get_object_or_404(queryset, pk=object_id)
        if not request.user.has_perm(permission, obj):
            raise PermissionDenied
        return obj

    def _back(self, obj):
        meta = obj._meta
        return redirect(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))


# --- publicity (公示) ---


class PublicityForm(ServiceForm):
    class Meta:
        model = Publicity
        fields = ["cycle", "starts_on", "ends_on", "channel"]
        widgets = {"starts_on": DATE_INPUT, "ends_on": DATE_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "cycle" in self.fields:  # the add form; a publicity's own page only shows it
            self.fields["cycle"].queryset = Cycle.objects.filter(phase=CyclePhase.PUBLICITY).order_by("-number")
            self.fields["starts_on"].help_text = _("The notice is published on this day; both ends count (Art. 17).")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("cycle"):
            for problem in services_awards.publicity_problems(
                cycle=cleaned["cycle"],
                starts_on=cleaned.get("starts_on"),
                ends_on=cleaned.get("ends_on"),
                channel=cleaned.get("channel") or "",
                today=services_awards.beijing_today(),
            ):
                self.add_error(None, problem)
        return cleaned


class SupplementForm(forms.Form):
    removed = forms.ModelChoiceField(label=gettext_lazy("In the place of"), queryset=PublicityCandidate.objects.none())
    entry = forms.ModelChoiceField(label=gettext_lazy("Candidate to add"), queryset=RankingEntry.objects.none())
    reason = forms.CharField(label=gettext_lazy("Reason for the decision"), widget=forms.Textarea(attrs={"rows": 2}))
    starts_on = forms.DateField(label=gettext_lazy("First day"), widget=DATE_INPUT)
    ends_on = forms.DateField(label=gettext_lazy("Last day"), widget=DATE_INPUT)
    channel = forms.CharField(label=gettext_lazy("Media"), max_length=200)

    def __init__(self, *args, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["removed"].queryset = PublicityCandidate.objects.filter(
            publicity__cycle=cycle, removed_at__isnull=False, replacement__isnull=True
        ).select_related("dossier__organisation")
        self.fields["entry"].queryset = RankingEntry.objects.filter(
            pk__in=[entry.pk for entry in services_awards.next_candidates(cycle)]
        ).select_related("candidate__dossier__organisation")
        self.fields["entry"].label_from_instance = lambda e: f"{e.position}. {e.candidate.dossier.organisation.name}"


@admin.register(Publicity)
class PublicityAdmin(RecordOnceAdminMixin, ServiceAdmin):
    form = PublicityForm
    list_display = ["cycle", "round", "starts_on", "ends_on", "channel", "notice_state"]
    list_filter = ["cycle"]
    list_select_related = ["cycle", "notice"]
    change_form_template = "admin/committee/publicity/change_form.html"
    view_fields = ["cycle", "round", "notice", "starts_on", "ends_on", "channel", "replaces", "decision_reason"]

    @admin.display(description=gettext_lazy("notice"))
    def notice_state(self, obj):
        return obj.notice.get_state_display()

    add_fields = ["cycle", "starts_on", "ends_on", "channel"]

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        publicity = services_awards.publicity_create(
            cycle=form.cleaned_data["cycle"],
            starts_on=form.cleaned_data["starts_on"],
            ends_on=form.cleaned_data["ends_on"],
            channel=form.cleaned_data["channel"],
            by=request.user,
        )
        obj.pk, obj.round, obj.notice = publicity.pk, publicity.round, publicity.notice
        obj._state.adding = False

    def get_urls(self):
        return [
            path(
                "<int:object_id>/supplement/",
                self.admin_site.admin_view(self.supplement_view),
                name="committee_publicity_supplement",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        publicity = self.get_object(request, unquote(object_id))
        if publicity is not None:
            cycle = publicity.cycle
            extra_context = {
                **(extra_context or {}),
                "candidates": list(
                    publicity.candidates.select_related("dossier__organisation", "removed_for").order_by("position")
                ),
                "objections": list(publicity.objections.select_related("candidate__dossier__organisation")),
                "unfinished": services_awards.publicity_unfinished(cycle),
                "accepts_objections": services_awards.objection_window_open(publicity),
                "supplement_form": SupplementForm(cycle=cycle)
                if cycle.phase == CyclePhase.PUBLICITY and request.user.has_perm("committee.add_publicity")
                else None,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def supplement_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        publicity = self._object(
            request, Publicity.objects.select_related("cycle"), object_id, "committee.add_publicity"
        )
        form = SupplementForm(request.POST, cycle=publicity.cycle)
        if not form.is_valid():
            messages.error(request, _("Choose who is replaced and who is added, give the reason and the period."))
            return self._back(publicity)
        data = form.cleaned_data
        try:
            added = services_awards.publicity_supplement(
                removed=data["removed"],
                entry=data["entry"],
                reason=data["reason"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                channel=data["channel"],
                by=request.user,
            )
        except services_awards.AwardError as error:
            messages.error(request, str(error))
            return self._back(publicity)
        messages.success(request, _("The candidate is added; its publicity is scheduled."))
        return self._back(added)


# --- objections (异议) ---


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[
            (ObjectionState.UPHELD, ObjectionState.UPHELD.label),
            (ObjectionState.DISMISSED, ObjectionState.DISMISSED.label),
        ],
        widget=forms.RadioSelect,
    )
    reply = forms.CharField(
        label=gettext_lazy("Written reply to the objector"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("E-mailed to the objector."),
    )


@admin.register(Objection)
class ObjectionAdmin(ServiceAdmin):
    list_display = ["reference", "organisation_display", "name", "state", "submitted_at", "decided_at"]
    list_filter = ["cycle", "state"]
    list_select_related = ["candidate__dossier__organisation"]
    search_fields = ["reference", "name", "organisation", "candidate__dossier__organisation__name"]
    change_form_template = "admin/committee/objection/change_form.html"
    fields = readonly_fields = [
        "reference",
        "publicity",
        "candidate",
        "name",
        "id_number",
        "organisation",
        "phone",
        "email",
        "text",
        "submitted_at",
        "client_address",
        "state",
        "reply",
        "decided_at",
        "decided_by",
        "receipt_mailed_at",
        "reply_mailed_at",
    ]

    @admin.display(description=gettext_lazy("organisation objected to"))
    def organisation_display(self, obj):
        return obj.candidate.dossier.organisation

    def has_add_permission(self, request):
        return False  # objections come from the public publicity page only

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<int:object_id>/investigate/", view(self.investigate_view), name="committee_objection_investigate"),
            path("<int:object_id>/decide/", view(self.decide_view), name="committee_objection_decide"),
            path(
                "<int:object_id>/evidence/<int:evidence_id>/",
                view(self.evidence_view),
                name="committee_objection_evidence",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        objection = self.get_object(request, unquote(object_id))
        if objection is not None:
            can_decide = objection.is_open and request.user.has_perm("committee.change_objection", objection)
            extra_context = {
                **(extra_context or {}),
                "evidence": list(objection.evidence.all()),
                "can_decide": can_decide,
                "can_investigate": can_decide and objection.state == ObjectionState.RECEIVED,
                "decision_form": DecisionForm(),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def investigate_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        objection = self._object(request, Objection.objects.all(), object_id, "committee.change_objection")
        try:
            services_awards.objection_investigate(objection=objection, by=request.user)
        except services_awards.AwardError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The objection is under investigation."))
        return self._back(objection)

    def decide_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        objection = self._object(request, Objection.objects.all(), object_id, "committee.change_objection")
        form = DecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose the outcome and write the reply to the objector."))
            return self._back(objection)
        try:
            services_awards.objection_decide(
                objection=objection,
                outcome=form.cleaned_data["outcome"],
                reply=form.cleaned_data["reply"],
                by=request.user,
            )
        except services_awards.AwardError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The decision is recorded; the reply is e-mailed to the objector."))
        return self._back(objection)

    def evidence_view(self, request, object_id, evidence_id):
        objection = self._object(request, Objection.objects.all(), object_id, "committee.view_objection")
        evidence = get_object_or_404(objection.evidence, pk=evidence_id)
        audit_record(
            actor=request.user, action="objection.evidence_opened", obj=objection, data={"evidence": evidence.pk}
        )
        return private_file_response(evidence.file, filename=evidence.original_name, content_type=evidence.content_type)


# --- the vice-mayor's review, the mayor's signature, the award announcement (Art. 18) ---


class AwardApprovalForm(ServiceForm):
    document = forms.FileField(label=gettext_lazy("Signed document"), help_text=gettext_lazy("PDF, PNG or JPEG."))

    class Meta:
        model = AwardApproval
        fields = ["cycle", "vice_mayor", "reviewed_on", "mayor", "signed_on"]
        widgets = {"reviewed_on": DATE_INPUT, "signed_on": DATE_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = Cycle.objects.filter(phase=CyclePhase.PUBLICITY).order_by("-number")

    def clean_document(self):
        upload, self.kind = _document(self.cleaned_data["document"])
        return upload

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("cycle") and "document" in cleaned:
            for problem in services_awards.award_approval_problems(
                cycle=cleaned["cycle"],
                vice_mayor=cleaned.get("vice_mayor") or "",
                reviewed_on=cleaned.get("reviewed_on"),
                mayor=cleaned.get("mayor") or "",
                signed_on=cleaned.get("signed_on"),
                kind=getattr(self, "kind", None),
            ):
                self.add_error(None, problem)
        return cleaned


class AnnouncementForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=gettext_lazy("Publish at"),
        required=False,
        widget=DATETIME_INPUT,
        help_text=gettext_lazy("Leave empty to publish now."),
    )


@admin.register(AwardApproval)
class AwardApprovalAdmin(RecordOnceAdminMixin, ServiceAdmin):
    list_display = ["cycle", "vice_mayor", "reviewed_on", "mayor", "signed_on", "recorded_at"]
    list_select_related = ["cycle"]
    change_form_template = "admin/committee/awardapproval/change_form.html"
    view_fields = [
        "cycle",
        "vice_mayor",
        "reviewed_on",
        "mayor",
        "signed_on",
        "document_name",
        "document_sha256",
        "recorded_by",
        "recorded_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AwardApprovalForm
        return super().get_form(request, obj, change=change, **kwargs)

    add_fields = ["cycle", "vice_mayor", "reviewed_on", "mayor", "signed_on", "document"]

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        approval = services_awards.award_approval_record(
            cycle=form.cleaned_data["cycle"],
            vice_mayor=form.cleaned_data["vice_mayor"],
            reviewed_on=form.cleaned_data["reviewed_on"],
            mayor=form.cleaned_data["mayor"],
            signed_on=form.cleaned_data["signed_on"],
            upload=form.cleaned_data["document"],
            kind=form.kind,
            by=request.user,
        )
        obj.pk, obj.recorded_at = approval.pk, approval.recorded_at
        obj._state.adding = False

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<int:object_id>/document/", view(self.document_view), name="committee_awardapproval_document"),
            path("<int:object_id>/announce/", view(self.announce_view), name="committee_awardapproval_announce"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        approval = self.get_object(request, unquote(object_id))
        if approval is not None:
            cycle = approval.cycle
            notice = services_awards.award_notice(cycle, published_only=False)
            problems = services_awards.announcement_problems(cycle) if notice is None else []
            extra_context = {
                **(extra_context or {}),
                "announcement": notice,
                "announcement_problems": problems,
                "can_announce": notice is None
                and not problems
                and request.user.has_perm("committee.schedule_announcement"),
                "announcement_form": AnnouncementForm(),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def document_view(self, request, object_id):
        approval = self._object(request, AwardApproval.objects.all(), object_id, "committee.view_awardapproval")
        audit_record(actor=request.user, action="award_approval.document_opened", obj=approval)
        return private_file_response(
            approval.document, filename=approval.document_name, content_type=approval.document_content_type
        )

    def announce_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        approval = self._object(
            request, AwardApproval.objects.select_related("cycle"), object_id, "committee.schedule_announcement"
        )
        form = AnnouncementForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give a valid publication time, or leave it empty."))
            return self._back(approval)
        try:
            services_awards.announcement_schedule(
                cycle=approval.cycle, publish_at=form.cleaned_data["publish_at"], by=request.user
            )
        except services_awards.AwardError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The award announcement is scheduled; it is published at its time."))
        return self._back(approval)


# --- the awards (获奖): prize, payment, plaque, certificates ---


class AwardForm(ServiceForm):
    class Meta:
        model = Award
        fields = ["same_year_award", "same_year_confirmed", "same_year_note", "paid_on", "plaque_handed_on"]
        widgets = {
            "same_year_confirmed": forms.NullBooleanSelect,
            "paid_on": DATE_INPUT,
            "plaque_handed_on": DATE_INPUT,
        }

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            for problem in services_awards.award_update_problems(
                award=Award.objects.select_related("cycle").get(pk=self.instance.pk),
                same_year_award=cleaned.get("same_year_award") or "",
                same_year_confirmed=cleaned.get("same_year_confirmed"),
                paid_on=cleaned.get("paid_on"),
                plaque_handed_on=cleaned.get("plaque_handed_on"),
            ):
                self.add_error(None, problem)
        return cleaned


class BatchForm(forms.Form):
    cycle = forms.ModelChoiceField(
        label=gettext_lazy("Cycle"),
        queryset=Cycle.objects.filter(phase__in=(CyclePhase.ANNOUNCED, CyclePhase.CLOSED)).order_by("-number"),
    )


@admin.register(Award)
class AwardAdmin(ServiceAdmin):
    form = AwardForm
    list_display = [
        "organisation",
        "cycle",
        "award_year",
        "serial",
        "repeat_winner",
        "prize_amount",
        "prize_rule",
        "payment_display",
        "plaque_handed_on",
        "revoked_at",
    ]
    list_filter = ["cycle", "award_year", "prize_rule"]
    list_select_related = ["organisation", "cycle", "certificate"]
    search_fields = ["organisation__name"]
    change_form_template = "admin/committee/award/change_form.html"
    change_list_template = "admin/committee/award/change_list.html"
    readonly_fields = [
        "cycle",
        "organisation",
        "dossier",
        "award_year",
        "number",
        "repeat_winner",
        "prize_amount",
        "prize_rule",
        "payment_display",
        "revoked_at",
    ]
    fields = [*readonly_fields, *AwardForm.Meta.fields]

    @admin.display(description=gettext_lazy("certificate"))
    def serial(self, obj):
        certificate = getattr(obj, "certificate", None)
        return certificate.serial if certificate else "—"

    @admin.display(description=gettext_lazy("payment"))
    def payment_display(self, obj):
        return obj.get_payment_state_display()

    def has_add_permission(self, request):
        return False  # granted when the cycle is announced

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_revoked:
            return self.fields  # a revoked award's facts stay as they were; recovery is on its case
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            raise PermissionDenied
        data = form.cleaned_data
        services_awards.award_update(
            award=obj,
            same_year_award=data.get("same_year_award") or "",
            same_year_confirmed=data.get("same_year_confirmed"),
            same_year_note=data.get("same_year_note") or "",
            paid_on=data.get("paid_on"),
            plaque_handed_on=data.get("plaque_handed_on"),
            by=request.user,
        )

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("certificates/", view(self.batch_view), name="committee_award_certificates"),
            path(
                "certificates/<int:batch_id>/status/",
                view(self.batch_status_view),
                name="committee_award_certificates_status",
            ),
            path("<int:object_id>/certificate/", view(self.certificate_view), name="committee_award_certificate"),
            path("<int:object_id>/render/", view(self.render_view), name="committee_award_render"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        batch = None
        if request.user.has_perm("committee.render_certificates"):
            batch_id = request.GET.get("batch")
            batches = CertificateBatch.objects.select_related("cycle")
            batch = (batches.filter(pk=batch_id).first() if batch_id and batch_id.isdigit() else None) or (
                batches.first()
            )
        extra_context = {
            **(extra_context or {}),
            "batch_form": BatchForm() if request.user.has_perm("committee.render_certificates") else None,
            "batch": batch,
            "batch_status": services_awards.certificate_batch_status(batch) if batch else None,
        }
        # The batch id is the page's own parameter, not a filter of the list.
        if "batch" in request.GET:
            request.GET = request.GET.copy()
            del request.GET["batch"]
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        award = self.get_object(request, unquote(object_id))
        if award is not None:
            extra_context = {
                **(extra_context or {}),
                "certificate": getattr(award, "certificate", None),
                "can_render": request.user.has_perm("committee.render_certificates"),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def batch_view(self, request):
        refused = _post_only(request)
        if refused:
            return refused
        if not request.user.has_perm("committee.render_certificates"):
            raise PermissionDenied
        form = BatchForm(request.POST)
        changelist = reverse("admin:committee_award_changelist")
        if not form.is_valid():
            messages.error(request, _("Choose an announced cycle."))
            return redirect(changelist)
        try:
            batch = services_awards.certificate_batch_start(cycle=form.cleaned_data["cycle"], by=request.user)
        except services_awards.AwardError as error:
            messages.error(request, str(error))
            return redirect(changelist)
        messages.success(request, _("The certificates are being rendered."))
        return redirect(f"{changelist}?batch={batch.pk}")

    def batch_status_view(self, request, batch_id):
        if not request.user.has_perm("committee.render_certificates"):
            raise PermissionDenied
        batch = get_object_or_404(CertificateBatch, pk=batch_id)
        return JsonResponse(services_awards.certificate_batch_status(batch))

    def certificate_view(self, request, object_id):
        award = self._object(
            request, Award.objects.select_related("certificate"), object_id, "committee.download_certificate"
        )
        certificate = getattr(award, "certificate", None)
        if certificate is None or not certificate.pdf:
            raise Http404(_("The certificate has not been rendered yet."))
        audit_record(
            actor=request.user, action="certificate.downloaded", obj=certificate, data={"serial": certificate.serial}
        )
        return private_file_response(
            certificate.pdf, filename=f"{certificate.serial}.pdf", content_type="application/pdf"
        )

    def render_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        award = self._object(request, Award.objects.all(), object_id, "committee.render_certificates")
        services_awards.certificate_schedule(award)
        messages.success(request, _("The certificate is being rendered; reload the page in a moment."))
        return self._back(award)


# --- revocation (撤销, Art. 22) ---


class RevocationOpenForm(ServiceForm):
    evidence_upload = forms.FileField(
        label=gettext_lazy("Evidence file"), required=False, help_text=gettext_lazy("PDF, PNG or JPEG; optional.")
    )

    class Meta:
        model = RevocationCase
        fields = ["award", "reason", "evidence"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = None
        if "award" in self.fields:  # the add form; a case's own page only shows it
            self.fields["award"].queryset = Award.objects.filter(revoked_at__isnull=True).select_related(
                "organisation", "cycle"
            )

    def clean_evidence_upload(self):
        upload = self.cleaned_data.get("evidence_upload")
        self.kind = None
        if upload:
            upload, self.kind = _document(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("award"):
            for problem in services_awards.revocation_open_problems(
                award=cleaned["award"],
                reason=cleaned.get("reason") or "",
                evidence=cleaned.get("evidence") or "",
                kind=self.kind if cleaned.get("evidence_upload") else None,
            ):
                self.add_error(None, problem)
        return cleaned


class RevocationApproveForm(forms.Form):
    approved_on = forms.DateField(label=gettext_lazy("Approved on"), widget=DATE_INPUT)
    reference = forms.CharField(label=gettext_lazy("Approval document number"), max_length=100)
    document = forms.FileField(label=gettext_lazy("Approval document"), help_text=gettext_lazy("PDF, PNG or JPEG."))

    def clean_document(self):
        upload, self.kind = _document(self.cleaned_data["document"])
        return upload


class RevocationRejectForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Why the case is closed"), widget=forms.Textarea(attrs={"rows": 2}))


class RecoveryForm(forms.Form):
    received = forms.DecimalField(
        label=gettext_lazy("Prize recovered (yuan)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )  # as RevocationCase.recovery_received stores it: a larger number or more decimals would fail on saving
    received_on = forms.DateField(label=gettext_lazy("Recovered on"), required=False, widget=DATE_INPUT)
    plaque_recovered_on = forms.DateField(
        label=gettext_lazy("Plaque or trophy recovered on"), required=False, widget=DATE_INPUT
    )
    certificate_recovered_on = forms.DateField(
        label=gettext_lazy("Certificate recovered on"), required=False, widget=DATE_INPUT
    )


@admin.register(RevocationCase)
class RevocationCaseAdmin(RecordOnceAdminMixin, ServiceAdmin):
    form = RevocationOpenForm
    list_display = ["award", "state", "opened_at", "approved_on", "recovery_due", "recovery_received"]
    list_filter = ["state"]
    list_select_related = ["award__organisation", "award__cycle"]
    change_form_template = "admin/committee/revocationcase/change_form.html"
    view_fields = [
        "award",
        "state",
        "reason",
        "evidence",
        "evidence_name",
        "opened_by",
        "opened_at",
        "approved_on",
        "approval_reference",
        "approval_document_name",
        "decided_by",
        "decided_at",
        "closed_note",
        "recovery_due",
        "recovery_received",
        "recovery_received_on",
        "plaque_recovered_on",
        "certificate_recovered_on",
        "notice",
        "misconduct",
    ]

    add_fields = ["award", "reason", "evidence", "evidence_upload"]

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        case = services_awards.revocation_open(
            award=form.cleaned_data["award"],
            reason=form.cleaned_data["reason"],
            evidence=form.cleaned_data["evidence"],
            upload=form.cleaned_data.get("evidence_upload"),
            kind=form.kind,
            by=request.user,
        )
        obj.pk, obj.opened_at = case.pk, case.opened_at
        obj._state.adding = False

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<int:object_id>/approve/", view(self.approve_view), name="committee_revocationcase_approve"),
            path("<int:object_id>/reject/", view(self.reject_view), name="committee_revocationcase_reject"),
            path("<int:object_id>/notice/", view(self.notice_view), name="committee_revocationcase_notice"),
            path("<int:object_id>/recovery/", view(self.recovery_view), name="committee_revocationcase_recovery"),
            path("<int:object_id>/file/<str:which>/", view(self.file_view), name="committee_revocationcase_file"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, unquote(object_id))
        if case is not None:
            can_change = request.user.has_perm("committee.change_revocationcase", case)
            extra_context = {
                **(extra_context or {}),
                "can_decide": can_change and case.state == RevocationState.OPEN,
                "can_publish": can_change
                and case.state == RevocationState.REVOKED
                and case.notice is not None
                and case.notice.state == "draft",
                "can_recover": can_change and case.state == RevocationState.REVOKED,
                "approve_form": RevocationApproveForm(),
                "reject_form": RevocationRejectForm(),
                "notice_form": AnnouncementForm(),
                "recovery_form": RecoveryForm(
                    initial={
                        "received": case.recovery_received,
                        "received_on": case.recovery_received_on,
                        "plaque_recovered_on": case.plaque_recovered_on,
                        "certificate_recovered_on": case.certificate_recovered_on,
                    }
                ),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _case(self, request, object_id):
        return self._object(
            request, RevocationCase.objects.select_related("award"), object_id, "committee.change_revocationcase"
        )

    def _run(self, request, case, form, action, success):
        if not form.is_valid():
            _errors(request, [error for errors in form.errors.values() for error in errors])
            return self._back(case)
        try:
            action(form.cleaned_data)
        except services_awards.AwardError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, success)
        return self._back(case)

    def approve_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        case = self._case(request, object_id)
        form = RevocationApproveForm(request.POST, request.FILES)
        return self._run(
            request,
            case,
            form,
            lambda data: services_awards.revocation_approve(
                case=case,
                approved_on=data["approved_on"],
                reference=data["reference"],
                upload=data["document"],
                kind=form.kind,
                by=request.user,
            ),
            _("The award is revoked; review the drafted notice and publish it."),
        )

    def reject_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        case = self._case(request, object_id)
        return self._run(
            request,
            case,
            RevocationRejectForm(request.POST),
            lambda data: services_awards.revocation_reject(case=case, note=data["note"], by=request.user),
            _("The case is closed; the award stands."),
        )

    def notice_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        case = self._case(request, object_id)
        return self._run(
            request,
            case,
            AnnouncementForm(request.POST),
            lambda data: services_awards.revocation_notice_schedule(
                case=case, publish_at=data["publish_at"], by=request.user
            ),
            _("The revocation notice is scheduled; it is published at its time."),
        )

    def recovery_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        case = self._case(request, object_id)
        return self._run(
            request,
            case,
            RecoveryForm(request.POST),
            lambda data: services_awards.revocation_recovery_record(case=case, by=request.user, **data),
            _("The recovery is recorded."),
        )

    def file_view(self, request, object_id, which):
        case = self._object(request, RevocationCase.objects.all(), object_id, "committee.view_revocationcase")
        files = {
            "evidence": (case.evidence_file, case.evidence_name, case.evidence_content_type),
            "approval": (case.approval_document, case.approval_document_name, case.approval_document_content_type),
        }
        if which not in files or not files[which][0]:
            raise Http404(_("No such file."))
        field_file, name, content_type = files[which]
        audit_record(actor=request.user, action="revocation.file_opened", obj=case, data={"file": which})
        return private_file_response(field_file, filename=name, content_type=content_type)
