"""The secretariat's admin for the core: cycles and their phases, notices, users, the audit trail."""

from django import forms
from django.apps import apps as django_apps
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from . import audit_labels, services
from .admin_mixins import NoHistoryRevertMixin
from .enums import CyclePhase, NoticeState, Role
from .forms import NoticeAdminForm, NoticeAttachmentForm
from .models import AuditEvent, Criteria, CriteriaItem, Cycle, Notice, NoticeAttachment, User

admin.site.site_header = gettext_lazy("Luohe Mayor's Quality Award Management System")
admin.site.site_title = gettext_lazy("Luohe Mayor's Quality Award Management System")
admin.site.index_title = gettext_lazy("Secretariat")


@admin.register(Cycle)
class CycleAdmin(NoHistoryRevertMixin, SimpleHistoryAdmin):
    list_display = ["number", "title", "year", "phase", "application_deadline"]
    list_filter = ["phase"]
    readonly_fields = ["phase", "phase_changed_at"]
    change_form_template = "admin/core/cycle/change_form.html"
    fieldsets = [
        (None, {"fields": ["number", "year", "title", "phase", "phase_changed_at"]}),
        (
            gettext_lazy("Key dates"),
            {"fields": ["applications_open_on", "application_deadline", "reviews_end_on", "announcement_expected_on"]},
        ),
        (
            gettext_lazy("Rules of this cycle"),
            {
                "fields": [
                    "criteria",
                    "award_quota",
                    "prize_amount",
                    "panel_min_size",
                    "publicity_min_days",
                    "onsite_score_weight",
                    "slate_ratio",
                    "pass_ratio",
                    "quorum_ratio",
                    "one_panel_per_expert",
                    *Cycle.SELECTION_RULE_FIELDS,
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The on-site selection rule is fixed once the material review has started (Cycle.clean refuses it too).
        fixed = Cycle.SELECTION_RULE_FIELDS if obj is not None and obj.selection_rule_fixed() else ()
        return [*super().get_readonly_fields(request, obj), *fixed]

    def has_change_permission(self, request, obj=None):
        # Once the cycle has left its draft, its rules are public and fixed: the page only shows them
        # (the phase moves on through the advance button, not through this form).
        return super().has_change_permission(request, obj) and (obj is None or obj.phase == CyclePhase.DRAFT)

    def save_model(self, request, obj, form, change):
        services.cycle_save(cycle=obj, by=request.user)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/advance/",
                self.admin_site.admin_view(self.advance_view),
                name="core_cycle_advance",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        cycle = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if cycle is not None:
            extra_context["next_phase"] = cycle.next_phase
            extra_context["can_advance"] = request.user.has_perm("core.advance_cycle", cycle)
            events = AuditEvent.objects.filter(
                object_type="core.cycle", object_id=str(cycle.pk), action="cycle.phase_changed"
            ).select_related("actor")
            for event in events:
                event.from_label = CyclePhase(event.data["from"]).label
                event.to_label = CyclePhase(event.data["to"]).label
            extra_context["phase_events"] = events
        return super().change_view(request, object_id, form_url, extra_context)

    def advance_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        cycle = get_object_or_404(Cycle, pk=object_id)
        if not request.user.has_perm("core.advance_cycle", cycle):
            raise PermissionDenied
        target = request.POST.get("to", "")
        if target not in CyclePhase.values:
            messages.error(request, _("Unknown phase."))
        else:
            try:
                services.cycle_advance(cycle=cycle, to=target, by=request.user)
            except services.CycleTransitionRefused as refused:
                for reason in refused.reasons:
                    messages.error(request, reason)
            else:
                messages.success(
                    request,
                    _("%(cycle)s is now in phase “%(phase)s”.") % {"cycle": cycle, "phase": CyclePhase(target).label},
                )
        return redirect(reverse("admin:core_cycle_change", args=[cycle.pk]))


class NoticeAttachmentInline(admin.TabularInline):
    model = NoticeAttachment
    form = NoticeAttachmentForm
    extra = 0
    fields = ["title", "file", "original_name", "size"]
    readonly_fields = ["original_name", "size"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_published)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not (obj and obj.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_published)


@admin.register(Notice)
class NoticeAdmin(NoHistoryRevertMixin, SimpleHistoryAdmin):
    form = NoticeAdminForm
    inlines = [NoticeAttachmentInline]
    list_display = ["title", "kind", "state", "publish_at", "published_at"]
    list_filter = ["state", "kind", "cycle"]
    list_select_related = ["cycle"]
    search_fields = ["title"]
    readonly_fields = ["published_at", "enqueue_failed_at", "created_by"]

    def get_readonly_fields(self, request, obj=None):
        # An app may fix when a saved notice goes public (a publicity's period counts from it, Art. 17).
        fixed = ["state", "publish_at"] if obj is not None and services.notice_schedule_fixed_reasons(obj) else []
        return [*super().get_readonly_fields(request, obj), *fixed]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        notice = self.get_object(request, object_id)
        if notice is not None and request.method == "GET" and not notice.is_published:
            for reason in services.notice_schedule_fixed_reasons(notice):
                messages.info(request, reason)
        return super().change_view(request, object_id, form_url, extra_context)

    def has_change_permission(self, request, obj=None):
        # A published notice is part of the public record: corrections are new notices.
        return super().has_change_permission(request, obj) and not (obj and obj.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_published)

    def save_model(self, request, obj, form, change):
        try:
            services.notice_save(notice=obj, by=request.user)
        except ValidationError as error:  # the form already validated; a race is the only way here
            messages.error(request, "; ".join(error.messages))
            raise

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        self._tell_schedule(request, obj)
        return response

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        self._tell_schedule(request, obj)
        return response

    def _tell_schedule(self, request, obj):
        # Publication runs when this request's transaction commits, so the row still says "scheduled" here.
        if obj.state != NoticeState.SCHEDULED:
            return
        if obj.publish_at <= timezone.now():
            messages.info(request, _("The notice is being published and will appear on the public site in a moment."))
        else:
            messages.info(
                request,
                _("The notice will be published on %(when)s.")
                % {"when": date_format(timezone.localtime(obj.publish_at), "DATETIME_FORMAT")},
            )


def role_label(group) -> str:
    """A role group by its name in the user's language (the group's own name is a stable English key)."""
    return str(Role(group.name).label) if group.name in Role.values else group.name


class RoleFilter(admin.SimpleListFilter):
    title = gettext_lazy("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


@admin.register(User)
class UserAdmin(NoHistoryRevertMixin, DjangoUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "name", "email", "phone", "is_active", "is_staff"]
    list_filter = [RoleFilter, "is_active", "is_staff"]
    search_fields = ["username", "name", "email", "phone"]
    ordering = ["username"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (gettext_lazy("Personal info"), {"fields": ["name", "phone", "email"]}),
        (gettext_lazy("Roles"), {"fields": ["is_active", "groups"]}),
        (gettext_lazy("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    superuser_fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (gettext_lazy("Personal info"), {"fields": ["name", "phone", "email"]}),
        (gettext_lazy("Roles"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (gettext_lazy("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "name", "email", "password1", "password2"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            field.label_from_instance = role_label
            field.label = _("Roles")
        return field

    def get_fieldsets(self, request, obj=None):
        if obj is not None and request.user.is_superuser:
            return self.superuser_fieldsets
        return super().get_fieldsets(request, obj)

    def has_change_permission(self, request, obj=None):
        # Only a superuser may touch a superuser's account: no escalation through the secretariat role.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)


class CriteriaCorrectionForm(forms.Form):
    """New points for every scored item of a criteria version; categories and total follow from them."""

    note = forms.CharField(
        label=gettext_lazy("What is corrected, and on what authority"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"points_{item.code}"] = forms.IntegerField(
                label=f"{item.code} {item.name}", min_value=1, max_value=1000, initial=item.points
            )

    def points(self):
        return {item.code: self.cleaned_data[f"points_{item.code}"] for item in self.items}


@admin.register(Criteria)
class CriteriaAdmin(admin.ModelAdmin):
    """The evaluation standard's versions (Art. 10, 13): read-only; a correction is a new version."""

    list_display = ["code", "version", "title", "total_points", "is_published", "created_at"]
    readonly_fields = ["code", "version", "title", "total_points", "is_published", "note", "created_at"]
    fields = readonly_fields
    change_form_template = "admin/core/criteria/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:object_id>/correct/", self.admin_site.admin_view(self.correct_view), name="core_criteria_correct"
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        criteria = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if criteria is not None:
            extra_context["categories"] = criteria.categories.prefetch_related("items").order_by("position")
            extra_context["can_correct"] = request.user.has_perm("core.correct_criteria", criteria)
        return super().change_view(request, object_id, form_url, extra_context)

    def correct_view(self, request, object_id):
        criteria = get_object_or_404(Criteria, pk=object_id)
        if not request.user.has_perm("core.correct_criteria", criteria):
            raise PermissionDenied
        items = list(CriteriaItem.objects.filter(category__criteria=criteria).select_related("category"))
        form = CriteriaCorrectionForm(request.POST or None, items=items)
        if request.method == "POST" and form.is_valid():
            try:
                corrected = services.criteria_publish_correction(
                    base=criteria, points=form.points(), note=form.cleaned_data["note"], by=request.user
                )
            except ValueError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Version %(version)s is published. Cycles that have not started scoring now use it; "
                        "scores already given keep the version they were given under."
                    )
                    % {"version": corrected.version},
                )
                return redirect(reverse("admin:core_criteria_change", args=[corrected.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Publish a corrected version of %(criteria)s") % {"criteria": criteria},
            "criteria": criteria,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/core/criteria/correct.html", context)


class AuditActionFilter(admin.SimpleListFilter):
    """Filter the audit trail by action, listed by their readable names instead of their codes."""

    title = gettext_lazy("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        actions = AuditEvent.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(((action, audit_labels.label(action)) for action in actions), key=lambda pair: str(pair[1]))

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class AuditObjectTypeFilter(admin.SimpleListFilter):
    """Filter the audit trail by the kind of object, named as the models name themselves."""

    title = gettext_lazy("object type")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        types = AuditEvent.objects.order_by().values_list("object_type", flat=True).distinct()
        return sorted(((kind, object_type_name(kind)) for kind in types), key=lambda pair: str(pair[1]))

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


def object_type_name(object_type: str):
    try:
        return django_apps.get_model(object_type)._meta.verbose_name
    except (LookupError, ValueError):
        return object_type


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action_label", "object_kind", "object_repr"]
    list_filter = [AuditActionFilter, AuditObjectTypeFilter]
    list_select_related = ["actor"]
    search_fields = ["object_repr", "action", "actor__username", "actor__name"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("action"), ordering="action")
    def action_label(self, obj):
        return audit_labels.label(obj.action)

    @admin.display(description=gettext_lazy("object type"), ordering="object_type")
    def object_kind(self, obj):
        return object_type_name(obj.object_type)
