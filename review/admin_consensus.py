"""Admin pages of panel consensuses and their reports.

The secretariat sees every consensus (评审组共识) with its agreed items, downloads its report (材料评审报告,
现场评审报告), asks for the report to be generated again (after a font was installed, say), and reopens a
recorded consensus with a reason (consensus.consensus_reopen: audited, the dossier goes back a state). Nothing
is added, changed or deleted here otherwise: the leader records the consensus on the review pages.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from applications.admin import ReadOnlyAdminMixin
from mayor_award.core.admin_mixins import NoHistoryRevertMixin
from mayor_award.core.downloads import private_file_response
from mayor_award.core.services import audit_record

from . import consensus as services
from . import reports, scoring
from .enums import ConsensusState
from .models import Consensus, ConsensusItem


class ConsensusReopenForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for reopening"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class ConsensusItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ConsensusItem
    fields = ["item", "aggregate", "percent", "strengths", "opportunities"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["item__category__position", "item__position"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item")


@admin.register(Consensus)
class ConsensusAdmin(NoHistoryRevertMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["dossier", "organisation", "panel", "stage", "state", "total_display", "recorded_at", "report"]
    list_filter = ["stage", "state", "dossier__cycle"]
    list_select_related = ["dossier__organisation", "panel__cycle"]
    search_fields = ["dossier__number", "dossier__organisation__name", "panel__name"]
    date_hierarchy = "recorded_at"
    fields = [
        "panel",
        "dossier",
        "stage",
        "state",
        "total_display",
        "strengths",
        "opportunities",
        "issues_to_verify",
        "recorded_by",
        "recorded_at",
        "report_generated_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [ConsensusItemInline]
    change_form_template = "admin/review/consensus/change_form.html"

    @admin.display(description=gettext_lazy("organisation"), ordering="dossier__organisation__name")
    def organisation(self, obj):
        return obj.dossier.organisation

    @admin.display(description=gettext_lazy("total points"), ordering="total")
    def total_display(self, obj):
        return scoring.display(obj.total) if obj.total is not None else "—"

    @admin.display(description=gettext_lazy("report"), boolean=True)
    def report(self, obj):
        return bool(obj.report_pdf)

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<int:object_id>/report.pdf", view(self.report_view), name="review_consensus_report"),
            path(
                "<int:object_id>/regenerate-report/",
                view(self.regenerate_view),
                name="review_consensus_regenerate_report",
            ),
            path("<int:object_id>/reopen/", view(self.reopen_view), name="review_consensus_reopen"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "reopen_form": ConsensusReopenForm()}
        return super().change_view(request, object_id, form_url, extra_context)

    def _change_page(self, consensus):
        return redirect(reverse("admin:review_consensus_change", args=[consensus.pk]))

    def report_view(self, request, object_id):
        consensus = get_object_or_404(Consensus.objects.select_related("dossier", "panel"), pk=object_id)
        if not request.user.has_perm("review.read_consensus_report", consensus):
            raise PermissionDenied
        if not consensus.report_pdf:
            raise Http404(_("This consensus has no report yet."))
        audit_record(actor=request.user, action="consensus.report_downloaded", obj=consensus)
        return private_file_response(
            consensus.report_pdf, filename=reports.report_download_name(consensus), content_type="application/pdf"
        )

    def regenerate_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        consensus = get_object_or_404(Consensus, pk=object_id)
        if not request.user.has_perm("review.regenerate_consensus_report", consensus):
            raise PermissionDenied
        try:
            reports.report_regenerate(consensus=consensus, by=request.user)
        except services.ConsensusError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The report is being generated again; reload the page in a moment."))
        return self._change_page(consensus)

    def reopen_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        consensus = get_object_or_404(Consensus, pk=object_id)
        if not request.user.has_perm("review.reopen_consensus", consensus):
            raise PermissionDenied
        form = ConsensusReopenForm(request.POST)
        try:
            if not form.is_valid():
                raise services.ConsensusError(_("Give the reason for reopening the consensus."))
            services.consensus_reopen(consensus=consensus, reason=form.cleaned_data["reason"], by=request.user)
        except services.ConsensusError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The consensus is open again for the panel leader."))
        return self._change_page(consensus)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_reopen"] = (
            obj is not None
            and obj.state == ConsensusState.RECORDED
            and request.user.has_perm("review.reopen_consensus", obj)
        )
        context["can_regenerate"] = (
            obj is not None
            and obj.state == ConsensusState.RECORDED
            and request.user.has_perm("review.regenerate_consensus_report", obj)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)
