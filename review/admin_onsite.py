"""Admin pages of the on-site selection, visits and candidates.

- On-site selections are shown only; they are written once, by "apply the on-site selection" (a page per cycle in
  its material review: the rule's result per panel, with ranks, totals and ties at the cut-off; a tied dossier may
  be left out with a reason; then confirm). It calls review.onsite.selection_apply.
- Visits are planned per selected dossier (dates, place, team from the panel's accepted seats, notes) through
  review.onsite.visit_save; the issues to verify are the material consensus's, shown read-only.
- Candidates are the panels' handed-over lists (Art. 16): shown only.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from applications.admin import ReadOnlyAdminMixin
from applications.models import Dossier
from mayor_award.core.admin_mixins import NoHistoryRevertMixin
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import Cycle

from . import onsite, scoring
from .enums import SeatStatus, SelectionOutcome
from .models import Candidate, OnsiteSelection, OnsiteVisit, Seat

# --- the selection ---


def _pk(text: str) -> int | None:
    """A posted primary key, or None for anything int() refuses (e.g. "²", which str.isdigit accepts)."""
    try:
        return int(text)
    except ValueError:
        return None


@admin.register(OnsiteSelection)
class OnsiteSelectionAdmin(NoHistoryRevertMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "dossier",
        "organisation",
        "panel",
        "rank",
        "material_total_display",
        "tied_at_cutoff",
        "outcome",
        "reason",
        "applicant_notified_at",
    ]
    list_filter = ["panel__cycle", "outcome", "tied_at_cutoff"]
    list_select_related = ["dossier__organisation", "panel__cycle"]
    search_fields = ["dossier__number", "dossier__organisation__name", "panel__name"]
    fields = [
        "dossier",
        "panel",
        "outcome",
        "material_total",
        "rank",
        "tied_at_cutoff",
        "reason",
        "decided_by",
        "decided_at",
        "applicant_notified_at",
    ]
    readonly_fields = fields
    change_list_template = "review/onsite/admin/selection_change_list.html"

    @admin.display(description=gettext_lazy("organisation"), ordering="dossier__organisation__name")
    def organisation(self, obj):
        return obj.dossier.organisation

    @admin.display(description=gettext_lazy("material review total"), ordering="material_total")
    def material_total_display(self, obj):
        return scoring.display(obj.material_total)

    def get_urls(self):
        return [
            path(
                "apply/<int:cycle_id>/",
                self.admin_site.admin_view(self.apply_view),
                name="review_onsiteselection_apply",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        cycles = []
        if request.user.has_perm("review.apply_onsiteselection"):
            cycles = [
                cycle
                for cycle in Cycle.objects.filter(phase=CyclePhase.MATERIAL_REVIEW).order_by("-number")
                if not onsite.selection_applied(cycle)
            ]
        return super().changelist_view(request, {**(extra_context or {}), "cycles_to_apply": cycles})

    def apply_view(self, request, cycle_id):
        """The rule's result per panel; tied dossiers may be left out with a reason; confirm applies it."""
        if not request.user.has_perm("review.apply_onsiteselection"):
            raise PermissionDenied
        cycle = get_object_or_404(Cycle, pk=cycle_id)
        left_out, reasons = set(), {}
        if request.method == "POST":
            left_out = {pk for pk in map(_pk, request.POST.getlist("leave_out")) if pk is not None}
            reasons = {
                _pk(key.removeprefix("reason_")): value
                for key, value in request.POST.items()
                if key.startswith("reason_") and _pk(key.removeprefix("reason_")) is not None
            }
            try:
                onsite.selection_apply(
                    cycle=cycle, by=request.user, exclusions={pk: reasons.get(pk, "") for pk in left_out}
                )
            except onsite.OnsiteError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    _("The on-site selection of %(cycle)s is applied; the applicants are being told.")
                    % {"cycle": cycle},
                )
                return redirect(
                    reverse("admin:review_onsiteselection_changelist") + f"?panel__cycle__id__exact={cycle.pk}"
                )
        proposals = onsite.selection_proposal(cycle)
        for proposal in proposals:
            for row in proposal.rows:
                row.left_out = row.dossier.pk in left_out
                row.reason = reasons.get(row.dossier.pk, "")
        return TemplateResponse(
            request,
            "review/onsite/admin/apply_selection.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Apply the on-site selection"),
                "cycle": cycle,
                "proposals": proposals,
                "refusal": onsite.selection_refusal(cycle),
                "missing": [dossier for proposal in proposals for dossier in proposal.missing],
                "any_tied": any(row.placement.tied_at_cutoff for p in proposals for row in p.rows),
            },
        )


# --- the visits ---


class TeamField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        leader = _(" (panel leader)") if obj.is_leader else ""
        return f"{obj.panel.name} · {obj.expert}{leader}"


class DossierField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.number} {obj.organisation.name}"


class OnsiteVisitForm(forms.ModelForm):
    dossier = DossierField(label=gettext_lazy("dossier"), queryset=Dossier.objects.none())
    team = TeamField(
        label=gettext_lazy("team"),
        queryset=Seat.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Experts who accepted a seat on the dossier's panel and have no conflict of interest with the applicant."
        ),
    )

    class Meta:
        model = OnsiteVisit
        fields = ["dossier", "starts_on", "ends_on", "place", "team", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        selected = Dossier.objects.filter(
            onsite_selection__outcome=SelectionOutcome.SELECTED, cycle__phase__in=onsite.VISIT_PHASES
        ).select_related("organisation")
        if self.instance.pk:
            self.fields["dossier"].queryset = Dossier.objects.filter(pk=self.instance.dossier_id).select_related(
                "organisation"
            )
            self.fields["dossier"].disabled = True
            self.fields["team"].queryset = onsite.team_choices(self.instance.dossier)
        else:
            self.fields["dossier"].queryset = selected.filter(onsite_visit__isnull=True).order_by("number")
            self.fields["team"].queryset = (
                Seat.objects.filter(status=SeatStatus.ACCEPTED, panel__paneldossier__dossier__in=selected)
                .select_related("expert__user", "panel")
                .distinct()
                .order_by("panel__name", "rank")
            )

    def clean(self):
        cleaned = super().clean()
        dossier, team = cleaned.get("dossier"), cleaned.get("team")
        if dossier is not None and team is not None:
            refusal = onsite.visit_refusal(dossier, list(team))
            if refusal:
                raise ValidationError(refusal)
        return cleaned


@admin.register(OnsiteVisit)
class OnsiteVisitAdmin(NoHistoryRevertMixin, SimpleHistoryAdmin):
    form = OnsiteVisitForm
    list_display = ["dossier", "organisation", "starts_on", "ends_on", "place", "team_display"]
    list_filter = ["dossier__cycle"]
    list_select_related = ["dossier__organisation"]
    search_fields = ["dossier__number", "dossier__organisation__name", "place"]
    date_hierarchy = "starts_on"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("team", queryset=Seat.objects.select_related("expert__user").order_by("rank")))
        )

    def get_fields(self, request, obj=None):
        fields = ["dossier", "starts_on", "ends_on", "place", "team", "notes"]
        return [*fields, "issues_to_verify"] if obj else fields

    def get_readonly_fields(self, request, obj=None):
        return ["issues_to_verify"] if obj else []

    @admin.display(description=gettext_lazy("organisation"), ordering="dossier__organisation__name")
    def organisation(self, obj):
        return obj.dossier.organisation

    @admin.display(description=gettext_lazy("team"))
    def team_display(self, obj):
        return "、".join(str(seat.expert) for seat in obj.team.all())

    @admin.display(description=gettext_lazy("issues to verify on site"))
    def issues_to_verify(self, obj):
        text = onsite.issues_to_verify(obj.dossier)
        if not text:
            return _("None recorded in the material review.")
        return format_html_join("", "<p>{}</p>", ((line,) for line in text.splitlines() if line.strip()))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.dossier.cycle.phase in onsite.VISIT_PHASES)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        onsite.visit_save(visit=obj, team=form.cleaned_data["team"], by=request.user)

    def save_related(self, request, form, formsets, change):
        # visit_save has set the team; the admin's save_m2m would only repeat it outside the audit.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


# --- the candidates ---


@admin.register(Candidate)
class CandidateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The panels' candidate lists as handed over by their leaders (Art. 16): fixed, shown only."""

    list_display = [
        "panel",
        "position",
        "dossier",
        "organisation",
        "onsite_total_display",
        "material_total_display",
        "handed_over_by",
        "handed_over_at",
    ]
    list_filter = ["panel__cycle", "panel"]
    list_select_related = ["panel__cycle", "dossier__organisation", "handed_over_by"]
    search_fields = ["dossier__number", "dossier__organisation__name", "panel__name"]
    fields = ["panel", "position", "dossier", "onsite_total", "material_total", "handed_over_by", "handed_over_at"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("organisation"), ordering="dossier__organisation__name")
    def organisation(self, obj):
        return obj.dossier.organisation

    @admin.display(description=gettext_lazy("on-site consensus score"), ordering="onsite_total")
    def onsite_total_display(self, obj):
        return scoring.display(obj.onsite_total)

    @admin.display(description=gettext_lazy("material review score"), ordering="material_total")
    def material_total_display(self, obj):
        return scoring.display(obj.material_total)
