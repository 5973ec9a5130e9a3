"""The secretariat's review tools in the admin: the expert pool, conflicts of interest, panels and their draw.

Every write goes through review.services: experts are saved with expert_save, conflicts recorded with
conflict_record (never changed or removed: a conflict is evidence), panels created with panel_create (one at a
time, or one per industry section from services.suggested_groups), drawn with panel_draw and given a leader with
panel_set_leader. The draw's stored record is shown on the panel's page with the result of draw.verify recomputed
from it, and printed as a PDF (评审专家随机抽取记录) for signature. Seats and pledges are only shown.
"""

import datetime as dt
from collections import Counter

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from import_export.admin import ImportExportMixin
from import_export.forms import SelectableFieldsExportForm
from simple_history.admin import SimpleHistoryAdmin

from applications import pdf
from applications.admin import ReadOnlyAdminMixin
from applications.enums import DossierState, IndustrySection
from applications.models import Dossier
from applications.validators import normalise_credit_code, validate_credit_code
from mayor_award.core.admin_mixins import KeyCheckedAutocompleteMixin, NoHistoryRevertMixin
from mayor_award.core.lifecycle import MIN_PANEL_SIZE
from mayor_award.core.models import Cycle
from mayor_award.core.services import audit_record

from . import draw, services, sheets
from .draw_record import industry_labels, record_context, render_draw_record
from .enums import ConflictKind, Qualification, SeatStatus
from .models import Conflict, Expert, Panel, Pledge, ScoreSheet, Seat
from .resources import ExpertResource, PoolXLSX, pool_account_allowed, problems

LIST_SEPARATOR = "、"


def _letters(value) -> list[str]:
    """Industry sections typed as letters ("C, I" or "C、I"), upper case, each once, in the order typed."""
    letters = []
    for item in str(value or "").replace("，", ",").replace("、", ",").replace(" ", ",").split(","):
        letter = item.strip().upper()
        if letter and letter not in letters:
            letters.append(letter)
    unknown = [letter for letter in letters if letter not in IndustrySection.values]
    if unknown:
        raise ValidationError(
            _("Unknown industry section %(letters)s: GB/T 4754 sections are the letters A to T.")
            % {"letters": LIST_SEPARATOR.join(unknown)}
        )
    if not letters:
        raise ValidationError(_("A panel reviews at least one industry section (Art. 6)."))
    return letters


class CycleChoiceForm(forms.Form):
    cycle = forms.ModelChoiceField(label=gettext_lazy("Cycle"), queryset=Cycle.objects.order_by("-number"))


def _admin_page(admin_instance, request, template, title, **context):
    return TemplateResponse(
        request,
        template,
        {
            **admin_instance.admin_site.each_context(request),
            "opts": admin_instance.opts,
            "title": title,
            **context,
        },
    )


# --- the expert pool ---


class ExpertForm(forms.ModelForm):
    """An expert's profile; the user account is chosen from the users (create it first in the user admin)."""

    qualifications = forms.MultipleChoiceField(
        label=gettext_lazy("qualifications"),
        choices=Qualification.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    employer_credit_code = forms.CharField(
        label=gettext_lazy("employer's credit code"),
        required=False,
        max_length=40,  # typed with spaces or dashes; stored as its 18 characters
    )
    industries = forms.MultipleChoiceField(
        label=gettext_lazy("industries of expertise"),
        choices=IndustrySection.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("GB/T 4754 sections: the expert is drawn for panels of these industries (Art. 6)."),
    )

    class Meta:
        model = Expert
        fields = [
            "user",
            "employer",
            "employer_credit_code",
            "former_employers",
            "position",
            "professional_title",
            "qualifications",
            "industries",
            "status",
            "phone",
        ]

    def clean_user(self):
        user = self.cleaned_data["user"]
        if user is not None and user.is_superuser:
            raise ValidationError(_("An administrator's account cannot join the expert pool."))
        if user is not None and not pool_account_allowed(user):
            raise ValidationError(
                _("Staff of an applicant organisation or of the secretariat cannot join the expert pool.")
            )
        return user

    def clean_employer_credit_code(self):
        code = normalise_credit_code(self.cleaned_data.get("employer_credit_code", ""))
        if code:
            validate_credit_code(code)
        return code

    def clean_former_employers(self):
        """A list of {"name", "credit_code", "until"}: conflicts are found with them for three years."""
        value = self.cleaned_data.get("former_employers") or []
        message = _('Former employers are a list such as [{"name": "…", "credit_code": "…", "until": "2025-06-30"}].')
        if not isinstance(value, list):
            raise ValidationError(message)
        for entry in value:
            if not isinstance(entry, dict) or not str(entry.get("name", "")).strip():
                raise ValidationError(message)
            if set(entry) - {"name", "credit_code", "until"}:
                raise ValidationError(message)
            if entry.get("until"):
                try:
                    dt.date.fromisoformat(str(entry["until"]))
                except ValueError:
                    raise ValidationError(
                        _("“%(value)s” is not a date written as YYYY-MM-DD.") % {"value": entry["until"]}
                    ) from None
        return value


class IndustryFilter(admin.SimpleListFilter):
    title = gettext_lazy("industry")
    parameter_name = "industry"

    def lookups(self, request, model_admin):
        return IndustrySection.choices

    def queryset(self, request, queryset):
        if self.value() in IndustrySection.values:
            # The JSON list as text holds "C" (quoted) exactly when C is one of its items; works on every database.
            return queryset.filter(industries__icontains=f'"{self.value()}"')
        return queryset


class PoolExportForm(SelectableFieldsExportForm):
    """The export form, with the columns named as in the workbook."""

    def _get_field_label(self, resource, field_name):
        field = resource.fields.get(field_name)
        return str(getattr(field, "label", field_name))


@admin.register(Expert)
class ExpertAdmin(KeyCheckedAutocompleteMixin, NoHistoryRevertMixin, ImportExportMixin, SimpleHistoryAdmin):
    form = ExpertForm
    list_display = [
        "username",
        "name",
        "employer",
        "industries_display",
        "qualifications_display",
        "status",
        "seats_per_cycle",
        "times_as_leader",
    ]
    list_filter = ["status", IndustryFilter]
    search_fields = ["user__username", "user__name", "user__email", "employer", "phone"]
    autocomplete_fields = ["user"]
    resource_classes = [ExpertResource]
    import_formats = [PoolXLSX]
    export_formats = [PoolXLSX]
    import_template_name = "admin/review/expert/import.html"
    export_form_class = PoolExportForm

    def get_queryset(self, request):
        holding = SeatStatus.holding()
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .annotate(
                seat_total=Count("seats", filter=Q(seats__status__in=holding), distinct=True),
                leader_total=Count("seats", filter=Q(seats__status__in=holding, seats__is_leader=True), distinct=True),
            )
            .prefetch_related(
                Prefetch(
                    "seats",
                    queryset=Seat.objects.filter(status__in=holding)
                    .select_related("panel__cycle")
                    .order_by("panel__cycle__number"),
                    to_attr="held_seats",
                )
            )
        )

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj is not None else []

    @admin.display(description=gettext_lazy("user name"), ordering="user__username")
    def username(self, obj):
        return obj.user.username

    @admin.display(description=gettext_lazy("name"), ordering="user__name")
    def name(self, obj):
        return obj.user.name or "—"

    @admin.display(description=gettext_lazy("industries"))
    def industries_display(self, obj):
        return ",".join(obj.industries) or "—"

    @admin.display(description=gettext_lazy("qualifications"))
    def qualifications_display(self, obj):
        labels = dict(Qualification.choices)
        return LIST_SEPARATOR.join(str(labels.get(code, code)) for code in obj.qualifications) or "—"

    @admin.display(description=gettext_lazy("seats per cycle"), ordering="seat_total")
    def seats_per_cycle(self, obj):
        counts = Counter(seat.panel.cycle.number for seat in getattr(obj, "held_seats", []))
        return (
            "; ".join(
                _("cycle %(number)s: %(count)s") % {"number": number, "count": count}
                for number, count in sorted(counts.items())
            )
            or "—"
        )

    @admin.display(description=gettext_lazy("times as leader"), ordering="leader_total")
    def times_as_leader(self, obj):
        return getattr(obj, "leader_total", 0)

    def save_model(self, request, obj, form, change):
        services.expert_save(expert=obj, by=request.user)

    # --- the Excel import and export (django-import-export) ---

    def has_import_permission(self, request):
        return request.user.has_perm("review.add_expert") and request.user.has_perm("review.change_expert")

    def has_export_permission(self, request):
        return request.user.has_perm("review.view_expert")

    def get_import_data_kwargs(self, **kwargs):
        # A line that fails validation rolls back the whole import, in the dry run and in the confirmed run.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        self._add_import_context(response)
        return response

    def process_import(self, request, **kwargs):
        response = super().process_import(request, **kwargs)
        self._add_import_context(response)
        return response

    def _add_import_context(self, response):
        context = getattr(response, "context_data", None)
        if context is None:
            return
        labels = ExpertResource().column_labels()
        context["column_labels"] = labels
        context["fields_list"] = [(ExpertResource.get_display_name(), labels)]
        if context.get("result") is not None:
            context["import_problems"] = problems(context["result"])

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The file changed between the preview and the confirmation, or the data did: nothing was imported.
            messages.error(request, _("Nothing was imported: the file has errors."))
            for problem in problems(result):
                messages.error(request, self._problem_text(problem))
            return redirect(reverse("admin:review_expert_import"))
        return super().process_result(result, request)

    @staticmethod
    def _problem_text(problem) -> str:
        reasons = "; ".join(problem["reasons"])
        if problem["line"] is None:
            return reasons
        return _("Line %(line)s: %(reasons)s") % {"line": problem["line"], "reasons": reasons}

    def get_export_filename(self, request, queryset, file_format):
        date = timezone.localdate().isoformat()
        return f"expert-pool-{date}.{file_format.get_extension()}"


# --- conflicts of interest ---


class ConflictForm(forms.ModelForm):
    """A conflict the secretariat records (kind "recorded"); the automatic ones come from detection."""

    class Meta:
        model = Conflict
        fields = ["expert", "organisation", "note"]

    def clean(self):
        cleaned = super().clean()
        expert, organisation = cleaned.get("expert"), cleaned.get("organisation")
        if (
            expert
            and organisation
            and Conflict.objects.filter(expert=expert, organisation=organisation, kind=ConflictKind.RECORDED).exists()
        ):
            raise ValidationError(_("This conflict of interest is already recorded."))
        return cleaned


@admin.register(Conflict)
class ConflictAdmin(KeyCheckedAutocompleteMixin, admin.ModelAdmin):
    form = ConflictForm
    list_display = ["expert", "organisation", "kind", "note_display", "recorded_by", "recorded_at"]
    list_filter = ["kind", "recorded_at"]
    list_select_related = ["expert__user", "organisation", "recorded_by"]
    search_fields = [
        "expert__user__username",
        "expert__user__name",
        "organisation__name",
        "organisation__credit_code",
    ]
    autocomplete_fields = ["expert", "organisation"]
    readonly_fields = ["kind", "recorded_by", "recorded_at"]
    change_list_template = "admin/review/conflict/change_list.html"

    def get_fields(self, request, obj=None):
        fields = ["expert", "organisation", "note"]
        return [*fields, "kind", "recorded_by", "recorded_at"] if obj is not None else fields

    @admin.display(description=gettext_lazy("note"))
    def note_display(self, obj):
        return obj.note if len(obj.note) <= 60 else obj.note[:59] + "…"

    def has_change_permission(self, request, obj=None):
        return False  # a conflict is evidence: recorded, never changed

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        conflict = services.conflict_record(
            expert=obj.expert, organisation=obj.organisation, kind=ConflictKind.RECORDED, note=obj.note, by=request.user
        )
        obj.pk = conflict.pk
        obj.kind = conflict.kind
        obj.recorded_by = conflict.recorded_by
        obj.recorded_at = conflict.recorded_at
        obj._state.adding = False

    def get_urls(self):
        return [
            path("detect/", self.admin_site.admin_view(self.detect_view), name="review_conflict_detect"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_detect": request.user.has_perm("review.add_conflict")}
        return super().changelist_view(request, extra_context)

    def detect_view(self, request):
        """Find the automatic conflicts between the pool and a cycle's submitted dossiers."""
        if not request.user.has_perm("review.add_conflict"):
            raise PermissionDenied
        form = CycleChoiceForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            cycle = form.cleaned_data["cycle"]
            found = services.conflicts_detect(cycle=cycle, by=request.user)
            messages.success(
                request,
                ngettext(
                    "%(count)s new conflict of interest was found in %(cycle)s.",
                    "%(count)s new conflicts of interest were found in %(cycle)s.",
                    found,
                )
                % {"count": found, "cycle": cycle},
            )
            return redirect(reverse("admin:review_conflict_changelist"))
        return _admin_page(
            self, request, "admin/review/conflict/detect.html", _("Detect conflicts of interest"), form=form
        )


# --- panels and the draw ---


class DossierChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.number} {obj.organisation.name}（{obj.organisation.industry_section}）"


class PanelAddForm(forms.ModelForm):
    """One panel for some of a cycle's eligible dossiers that are not on a panel yet (services.panel_create)."""

    industries = forms.MultipleChoiceField(
        label=gettext_lazy("industries"),
        choices=IndustrySection.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The experts are drawn among those with expertise in one of these (Art. 6)."),
    )
    assigned_dossiers = DossierChoiceField(
        label=gettext_lazy("dossiers"),
        queryset=Dossier.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Eligible dossiers that are not on a panel yet; each dossier goes to one panel."),
    )

    class Meta:
        model = Panel
        fields = ["cycle", "name", "industries", "size"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_dossiers"].queryset = (
            Dossier.objects.filter(state=DossierState.ELIGIBLE, panel_assignment__isnull=True)
            .select_related("organisation", "cycle")
            .order_by("cycle__number", "number")
        )

    def clean(self):
        cleaned = super().clean()
        cycle, size = cleaned.get("cycle"), cleaned.get("size")
        if cycle is not None and size is not None and size < cycle.panel_min_size:
            self.add_error(
                "size",
                _("A panel has at least %(minimum)s experts (Art. 7).") % {"minimum": cycle.panel_min_size},
            )
        others = [d.number for d in cleaned.get("assigned_dossiers") or [] if cycle and d.cycle_id != cycle.pk]
        if others:
            self.add_error(
                "assigned_dossiers",
                _("Only dossiers of the panel's cycle: %(numbers)s.") % {"numbers": LIST_SEPARATOR.join(others)},
            )
        return cleaned


class GroupForm(forms.Form):
    """One suggested group (an industry section's dossiers) as a panel to create."""

    section = forms.CharField(widget=forms.HiddenInput)
    dossier_ids = forms.CharField(widget=forms.HiddenInput)
    create = forms.BooleanField(label=gettext_lazy("create"), required=False, initial=True)
    name = forms.CharField(label=gettext_lazy("name"), max_length=100)
    size = forms.IntegerField(label=gettext_lazy("size"), min_value=MIN_PANEL_SIZE)
    industries = forms.CharField(
        label=gettext_lazy("industries"),
        max_length=60,
        help_text=gettext_lazy("GB/T 4754 section letters, comma-separated: add letters to widen the expertise."),
    )

    def __init__(self, *args, minimum_size=MIN_PANEL_SIZE, **kwargs):
        super().__init__(*args, **kwargs)
        self.minimum_size = minimum_size
        self.fields["size"].min_value = minimum_size
        self.fields["size"].widget.attrs["min"] = minimum_size

    def clean_industries(self):
        return _letters(self.cleaned_data["industries"])

    def clean_dossier_ids(self):
        try:
            return [int(pk) for pk in self.cleaned_data["dossier_ids"].split(",") if pk]
        except ValueError:
            raise ValidationError(_("The group's dossiers are not valid.")) from None

    def clean_size(self):
        size = self.cleaned_data["size"]
        if size < self.minimum_size:
            raise ValidationError(
                _("A panel has at least %(minimum)s experts (Art. 7).") % {"minimum": self.minimum_size}
            )
        return size


class BaseGroupFormSet(forms.BaseFormSet):
    def __init__(self, *args, minimum_size=MIN_PANEL_SIZE, **kwargs):
        self.minimum_size = minimum_size
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "minimum_size": self.minimum_size}

    def clean(self):
        if any(self.errors):
            return
        names = [form.cleaned_data["name"] for form in self.forms if form.cleaned_data.get("create")]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValidationError(
                _("Each panel of a cycle needs its own name: %(names)s.") % {"names": LIST_SEPARATOR.join(repeated)}
            )


GroupFormSet = forms.formset_factory(GroupForm, formset=BaseGroupFormSet, extra=0)


def _section_label(section: str) -> str:
    try:
        return str(IndustrySection(section).label)
    except ValueError:
        return section or "—"


def _default_name(section: str, taken: set[str]) -> str:
    base = _("%(industry)s panel") % {"industry": _section_label(section)}
    name, number = base[:100], 2
    while name in taken:
        name = f"{base[:95]} {number}"
        number += 1
    taken.add(name)
    return name


@admin.register(Panel)
class PanelAdmin(NoHistoryRevertMixin, SimpleHistoryAdmin):
    list_display = ["name", "cycle", "industries_display", "size", "dossier_count", "drawn_at"]
    list_filter = ["cycle"]
    list_select_related = ["cycle"]
    search_fields = ["name"]
    change_form_template = "admin/review/panel/change_form.html"
    change_list_template = "admin/review/panel/change_list.html"
    view_fields = [
        "cycle",
        "name",
        "industries_display",
        "size",
        "dossier_count",
        "seed",
        "drawn_at",
        "drawn_by_display",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(dossier_count=Count("paneldossier", distinct=True))

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PanelAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["cycle", "name", "industries", "size", "assigned_dossiers"]
        return self.view_fields

    def get_readonly_fields(self, request, obj=None):
        return self.view_fields if obj is not None else []

    def has_change_permission(self, request, obj=None):
        # A panel is created, drawn and given a leader through its buttons; its fields are only shown.
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description=gettext_lazy("industries"))
    def industries_display(self, obj):
        return ",".join(obj.industries) or "—"

    @admin.display(description=gettext_lazy("drawn by"))
    def drawn_by_display(self, obj):
        return obj.drawn_by or "—"

    @admin.display(description=gettext_lazy("dossiers"), ordering="dossier_count")
    def dossier_count(self, obj):
        return obj.dossier_count

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        try:
            panel = services.panel_create(
                cycle=obj.cycle,
                name=obj.name,
                industries=obj.industries,
                dossiers=form.cleaned_data["assigned_dossiers"],
                size=obj.size,
                by=request.user,
            )
        except services.ReviewError as refused:  # the form checked the same: a concurrent change
            messages.error(request, str(refused))
            raise
        obj.pk = panel.pk
        obj.industries = panel.industries
        obj.created_at = panel.created_at
        obj._state.adding = False

    # --- the panel's page: dossiers, seats, the draw record and its check ---

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("suggested-groups/", view(self.suggested_groups_view), name="review_panel_suggested_groups"),
            path("<int:object_id>/draw/", view(self.draw_view), name="review_panel_draw"),
            path(
                "<int:object_id>/seats/<int:seat_id>/leader/",
                view(self.set_leader_view),
                name="review_panel_set_leader",
            ),
            path("<int:object_id>/draw-record.pdf", view(self.draw_record_view), name="review_panel_draw_record"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_add_from_groups": request.user.has_perm("review.add_panel")}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        panel = self.get_object(request, unquote(object_id))
        if panel is not None:
            extra_context = {**(extra_context or {}), **self.panel_context(request, panel)}
        return super().change_view(request, object_id, form_url, extra_context)

    def panel_context(self, request, panel) -> dict:
        seats = list(
            Seat.objects.filter(panel=panel)
            .select_related("expert__user", "replaces__expert__user")
            .order_by("rank", "pk")
        )
        can_set_leader = request.user.has_perm("review.change_panel", panel)
        for seat in seats:
            seat.can_lead = can_set_leader and not seat.is_leader and seat.status in SeatStatus.holding()
        return {
            "panel_dossiers": list(panel.dossiers.select_related("organisation").order_by("number")),
            "panel_industries": industry_labels(panel.industries),
            "seats": seats,
            "record": record_context(panel),
            "can_draw": not panel.is_drawn and request.user.has_perm("review.draw_panel", panel),
        }

    def draw_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        panel = get_object_or_404(Panel, pk=object_id)
        if not request.user.has_perm("review.draw_panel", panel):
            raise PermissionDenied
        try:
            panel = services.panel_draw(panel=panel, by=request.user)
        except services.ReviewError as refused:
            messages.error(request, self.refusal_text(refused))
        else:
            members = panel.draw_record["result"]["members"]
            messages.success(
                request,
                _("%(panel)s is drawn: %(count)s experts are invited. Seed: %(seed)s.")
                % {"panel": panel.name, "count": len(members), "seed": panel.seed},
            )
        return redirect(reverse("admin:review_panel_change", args=[object_id]))

    @staticmethod
    def refusal_text(refused: services.ReviewError) -> str:
        """The refusal, and for a shortage how many candidates each reason excluded."""
        text = str(refused)
        cause = refused.__cause__
        if isinstance(cause, draw.DrawError) and any(cause.excluded_counts.values()):
            counts = LIST_SEPARATOR.join(
                _("%(reason)s: %(count)s") % {"reason": draw.Reason(code).label, "count": count}
                for code, count in cause.excluded_counts.items()
                if count
            )
            text = f"{text} " + _("Excluded: %(counts)s.") % {"counts": counts}
        return text

    def set_leader_view(self, request, object_id, seat_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        seat = get_object_or_404(Seat.objects.select_related("panel", "expert__user"), pk=seat_id, panel_id=object_id)
        if not request.user.has_perm("review.change_panel", seat.panel):
            raise PermissionDenied
        try:
            services.panel_set_leader(seat=seat, by=request.user)
        except services.ReviewError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("%(expert)s now leads %(panel)s.") % {"expert": seat.expert, "panel": seat.panel.name}
            )
        return redirect(reverse("admin:review_panel_change", args=[object_id]))

    def draw_record_view(self, request, object_id):
        panel = get_object_or_404(Panel.objects.select_related("cycle", "drawn_by"), pk=object_id)
        if not request.user.has_perm("review.view_panel", panel):
            raise PermissionDenied
        if not panel.is_drawn:
            raise Http404(_("This panel has not been drawn yet."))
        try:
            content = render_draw_record(panel)
        except pdf.MissingChineseFont:
            messages.error(request, _("The draw record cannot be printed: no Chinese font is installed on the server."))
            return redirect(reverse("admin:review_panel_change", args=[panel.pk]))
        audit_record(actor=request.user, action="panel.draw_record_printed", obj=panel)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"draw-record-{panel.cycle.number}-{panel.pk}.pdf"
        )
        return response

    # --- panels from the suggested groups: one per industry section ---

    def suggested_groups_view(self, request):
        if not request.user.has_perm("review.add_panel"):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else request.GET
        cycle_form = CycleChoiceForm(data if "cycle" in data else None)
        cycle = cycle_form.cleaned_data["cycle"] if cycle_form.is_valid() else None
        groups = services.suggested_groups(cycle) if cycle is not None else {}
        formset = None
        if cycle is not None:
            minimum = cycle.panel_min_size
            if request.method == "POST":
                formset = GroupFormSet(request.POST, prefix="group", minimum_size=minimum)
                if formset.is_valid():
                    created = self._create_panels(request, cycle, formset)
                    if created is not None:
                        messages.success(
                            request,
                            ngettext(
                                "%(count)s panel was created: %(names)s.",
                                "%(count)s panels were created: %(names)s.",
                                len(created),
                            )
                            % {"count": len(created), "names": LIST_SEPARATOR.join(p.name for p in created)},
                        )
                        return redirect(reverse("admin:review_panel_changelist"))
            else:
                taken = set(Panel.objects.filter(cycle=cycle).values_list("name", flat=True))
                formset = GroupFormSet(
                    prefix="group",
                    minimum_size=minimum,
                    initial=[
                        {
                            "section": section,
                            "dossier_ids": ",".join(str(d.pk) for d in dossiers),
                            "create": True,
                            "name": _default_name(section, taken),
                            "size": minimum,
                            "industries": section,
                        }
                        for section, dossiers in groups.items()
                    ],
                )
        rows = []
        if formset is not None:
            dossiers_by_id = {d.pk: d for dossiers in groups.values() for d in dossiers}
            for form in formset.forms:
                ids = [int(pk) for pk in str(form["dossier_ids"].value() or "").split(",") if pk.isdigit()]
                rows.append(
                    {
                        "form": form,
                        "section": _section_label(str(form["section"].value() or "")),
                        "dossiers": [dossiers_by_id[pk] for pk in ids if pk in dossiers_by_id],
                    }
                )
        return _admin_page(
            self,
            request,
            "admin/review/panel/suggested_groups.html",
            _("Panels from suggested groups"),
            cycle_form=cycle_form,
            cycle=cycle,
            formset=formset,
            rows=rows,
        )

    def _create_panels(self, request, cycle, formset):
        """All the chosen panels, or none (the first refusal is shown)."""
        chosen = [form.cleaned_data for form in formset.forms if form.cleaned_data.get("create")]
        if not chosen:
            messages.error(request, _("Choose at least one group."))
            return None
        try:
            with transaction.atomic():
                return [
                    services.panel_create(
                        cycle=cycle,
                        name=data["name"],
                        industries=data["industries"],
                        dossiers=Dossier.objects.filter(pk__in=data["dossier_ids"]).order_by("number"),
                        size=data["size"],
                        by=request.user,
                    )
                    for data in chosen
                ]
        except services.ReviewError as refused:
            messages.error(request, str(refused))
        except ValidationError as invalid:
            messages.error(request, " ".join(invalid.messages))
        return None


# --- seats and pledges: shown only ---


@admin.register(Seat)
class SeatAdmin(NoHistoryRevertMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["panel", "expert", "status", "is_leader", "rank", "replaces", "reply_by", "replied_at"]
    list_filter = ["status", "is_leader", "panel__cycle"]
    list_select_related = ["panel__cycle", "expert__user", "replaces__expert__user", "replaces__panel__cycle"]
    search_fields = ["expert__user__username", "expert__user__name", "panel__name"]
    fields = [
        "panel",
        "expert",
        "status",
        "is_leader",
        "rank",
        "replaces",
        "invited_at",
        "reply_by",
        "replied_at",
        "reply_note",
    ]
    readonly_fields = fields


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who signed the confidentiality and integrity pledge (Art. 23) for which cycle, when, from which address."""

    list_display = ["expert", "cycle", "signed_at", "ip_address", "user_agent_display"]
    list_filter = ["cycle"]
    list_select_related = ["expert__user", "cycle"]
    search_fields = ["expert__user__username", "expert__user__name", "ip_address"]
    date_hierarchy = "signed_at"
    fields = ["expert", "cycle", "signed_at", "ip_address", "user_agent", "text"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("browser"))
    def user_agent_display(self, obj):
        return obj.user_agent if len(obj.user_agent) <= 50 else obj.user_agent[:49] + "…"


class ReopenForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for reopening"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(ScoreSheet)
class ScoreSheetAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The experts' score sheets: shown to the secretariat; a submitted one is reopened with a reason."""

    list_display = ["dossier", "expert_name", "stage", "state", "submitted_at"]
    list_filter = ["stage", "state", "dossier__cycle"]
    list_select_related = ["dossier__organisation", "seat__expert__user"]
    search_fields = ["dossier__number", "seat__expert__user__name"]
    fields = ["dossier", "seat", "stage", "state", "submitted_at", "updated_at"]
    readonly_fields = fields
    change_form_template = "admin/review/scoresheet/change_form.html"

    @admin.display(description=gettext_lazy("expert"), ordering="seat__expert__user__name")
    def expert_name(self, obj):
        return obj.seat.expert

    def get_urls(self):
        return [
            path(
                "<int:object_id>/reopen/", self.admin_site.admin_view(self.reopen_view), name="review_scoresheet_reopen"
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "reopen_form": ReopenForm()}
        return super().change_view(request, object_id, form_url, extra_context)

    def reopen_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        sheet = get_object_or_404(ScoreSheet, pk=object_id)
        if not request.user.has_perm("review.reopen_scoresheet", sheet):
            raise PermissionDenied
        form = ReopenForm(request.POST)
        try:
            if not form.is_valid():
                raise sheets.SheetError(_("Give the reason for reopening the sheet."))
            sheets.sheet_reopen(sheet=sheet, reason=form.cleaned_data["reason"], by=request.user)
        except sheets.SheetError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The sheet is open again for its expert."))
        return redirect(reverse("admin:review_scoresheet_change", args=[sheet.pk]))


# Each later stage keeps its admin pages in its own module.
from . import admin_consensus, admin_dashboard, admin_onsite  # noqa: E402, F401
