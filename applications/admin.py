"""The secretariat's eligibility review (资格审查, Art. 15) in the admin, and read-only pages of what applicants wrote.

The secretariat never edits a dossier: it reads the dossier, its pre-check findings, sections and attachments, and
records its decision through services.eligibility_decide (a custom view at <id>/decide/). Misconduct findings
(Art. 9(5)) are the one thing it adds here.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from mayor_award.core.admin_mixins import KeyCheckedAutocompleteMixin, NoHistoryRevertMixin
from mayor_award.core.articles import article_label
from mayor_award.core.lazytext import LIST_SEPARATOR

from . import eligibility, services
from .display import section_entries
from .eligibility import Outcome
from .enums import (
    DossierSectionKey,
    DossierState,
    EligibilityDecisionKind,
)
from .models import (
    Attachment,
    Dossier,
    DossierSection,
    EligibilityDecision,
    Invitation,
    Membership,
    MisconductFinding,
    Organisation,
)
from .precheck import REFRESHABLE_STATES, dossier_refresh_precheck
from .sections import EDITABLE_SECTIONS

# Every article a dossier can be found not to meet (Art. 2, 8, 9, 15 completeness and time limit, 25 repeat bar).
ARTICLES = ("2", "8(1)", "8(2)", "8(3)", "9(1)", "9(2)", "9(3)", "9(4)", "9(5)", "9(6)", "15", "25")
DECIDABLE_STATES = (DossierState.SUBMITTED, DossierState.ELIGIBLE, DossierState.INELIGIBLE)
JUDGEMENT_PREFIX = "judgement-"


def _join(items) -> str:
    return str(LIST_SEPARATOR).join(str(item) for item in items)


def _judgement_label(code: str) -> str:
    """A checklist item by its article, e.g. "9(1)-declaration" → “Art. 9(1)”, never the raw code."""
    return _article_label(code.split("-", 1)[0])


def _article_label(article: str) -> str:
    return article_label(article)


class ReadOnlyAdminMixin:
    """Pages that only show: nobody adds, changes or deletes these rows in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- the pre-check findings as stored on the dossier ---


def stored_findings(dossier: Dossier) -> list[eligibility.Finding]:
    """dossier.precheck_findings as Findings, each message in the current language (stored as 'zh' and 'en')."""
    language = "zh" if (get_language() or "zh").startswith("zh") else "en"
    findings = []
    for entry in dossier.precheck_findings or []:
        try:
            outcome = Outcome(entry.get("outcome"))
        except ValueError:
            continue
        message = entry.get(language) or entry.get("zh") or entry.get("en") or ""
        findings.append(
            eligibility.Finding(
                code=entry.get("code", ""), article=entry.get("article", ""), outcome=outcome, message=message
            )
        )
    return findings


def outcome_badge(outcome: str):
    try:
        label = Outcome(outcome).label
    except ValueError:
        return outcome or "—"
    return format_html('<span class="precheck-badge precheck-{}">{}</span>', outcome, label)


# --- a section's data as readable entries (label, value, children) ---

# --- the decision form ---


class EligibilityDecisionForm(forms.Form):
    """Eligible, ineligible (with the articles not met) or a correction request (补正), plus the checklist."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=EligibilityDecisionKind.choices,
        widget=forms.RadioSelect,
    )
    articles = forms.MultipleChoiceField(
        label=gettext_lazy("Articles not met"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("For an ineligible dossier. The articles the pre-check fails are ticked."),
    )
    note = forms.CharField(
        label=gettext_lazy("Note to the applicant"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    correction_sections = forms.MultipleChoiceField(
        label=gettext_lazy("Sections to reopen"),
        required=False,
        choices=[(key.value, key.label) for key in EDITABLE_SECTIONS],
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("For a correction request."),
    )
    correction_until = forms.DateTimeField(
        label=gettext_lazy("Correction due by"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("For a correction request: a date and time in the future."),
    )

    def __init__(self, *args, findings, **kwargs):
        super().__init__(*args, **kwargs)
        self.findings = findings
        failed = eligibility.failed_articles(findings)
        self.fields["articles"].choices = [
            (
                article,
                _("%(article)s (fails in the pre-check)") % {"article": _article_label(article)}
                if article in failed
                else _article_label(article),
            )
            for article in dict.fromkeys([*ARTICLES, *failed])
        ]
        self.fields["articles"].initial = failed
        self.judgement_codes = []
        for finding in findings:
            if finding.outcome != Outcome.JUDGEMENT:
                continue
            self.judgement_codes.append(finding.code)
            self.fields[JUDGEMENT_PREFIX + finding.code] = forms.ChoiceField(
                label=finding.message,
                required=False,
                choices=[("yes", _("Yes, confirmed")), ("no", _("No, rejected"))],
                widget=forms.RadioSelect,
            )

    def decision_fields(self):
        return [self[name] for name in ("kind", "articles", "note", "correction_sections", "correction_until")]

    def judgement_fields(self):
        return [self[JUDGEMENT_PREFIX + code] for code in self.judgement_codes]

    @property
    def judgements(self) -> dict[str, bool]:
        answers = {code: self.cleaned_data.get(JUDGEMENT_PREFIX + code) for code in self.judgement_codes}
        return {code: answer == "yes" for code, answer in answers.items() if answer}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") != EligibilityDecisionKind.ELIGIBLE:
            return cleaned
        # The regulation's failures are not the secretariat's to waive; its judgements decide only what is open.
        unanswered = [code for code in self.judgement_codes if not cleaned.get(JUDGEMENT_PREFIX + code)]
        if unanswered:
            raise forms.ValidationError(
                _("Answer every checklist item before finding the dossier eligible."), code="unanswered"
            )
        failed = eligibility.failed_articles(eligibility.decide(self.findings, self.judgements))
        if failed:
            raise forms.ValidationError(
                _(
                    "A dossier that fails %(articles)s cannot be found eligible. If the facts have changed, refresh "
                    "the pre-check; otherwise decide it ineligible or request a correction."
                )
                % {"articles": _join(_article_label(article) for article in failed)},
                code="fails",
            )
        return cleaned

    def decision_arguments(self) -> dict:
        kind = self.cleaned_data["kind"]
        arguments = {"kind": kind, "judgements": self.judgements, "note": self.cleaned_data["note"]}
        if kind == EligibilityDecisionKind.INELIGIBLE:
            arguments["articles"] = self.cleaned_data["articles"]
        if kind == EligibilityDecisionKind.CORRECTION:
            arguments["correction_sections"] = self.cleaned_data["correction_sections"]
            arguments["correction_until"] = self.cleaned_data["correction_until"]
        return arguments


# --- organisations ---


class MembershipInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Membership
    fields = ["user", "joined_at"]
    readonly_fields = ["user", "joined_at"]
    extra = 0


class DossierInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Dossier
    fields = ["number", "cycle", "state", "submitted_at"]
    readonly_fields = ["number", "cycle", "state", "submitted_at"]
    show_change_link = True
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(NoHistoryRevertMixin, SimpleHistoryAdmin):
    list_display = ["name", "credit_code", "kind", "registration_area", "industry_section"]
    list_filter = ["kind", "legal_form", "registration_area", "industry_section"]
    search_fields = ["name", "credit_code"]
    inlines = [MembershipInline, DossierInline]

    def has_add_permission(self, request):
        return False  # organisations register themselves (Art. 3: applying is voluntary)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "organisation", "joined_at"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__username", "user__name", "organisation__name"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["email", "organisation", "invited_by", "created_at", "accepted_at"]
    list_select_related = ["organisation", "invited_by"]
    search_fields = ["email", "organisation__name"]
    fields = ["organisation", "email", "invited_by", "created_at", "accepted_at"]  # never the token


# --- dossiers ---


class PrecheckFilter(admin.SimpleListFilter):
    title = gettext_lazy("pre-check")
    parameter_name = "precheck_outcome"

    def lookups(self, request, model_admin):
        return [*((outcome.value, outcome.label) for outcome in Outcome), ("none", gettext_lazy("not run"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(precheck_outcome="")
        if self.value() in {outcome.value for outcome in Outcome}:
            return queryset.filter(precheck_outcome=self.value())
        return queryset


@admin.register(Dossier)
class DossierAdmin(NoHistoryRevertMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["number", "organisation", "cycle", "industry", "state", "precheck", "submitted_at"]
    list_filter = ["cycle", "organisation__industry_section", "state", PrecheckFilter]
    list_select_related = ["organisation", "cycle"]
    # A province's thousand dossiers: a page of 50 rows, and no second count of the whole table under a filter.
    list_per_page = 50
    show_full_result_count = False
    search_fields = ["number", "organisation__name"]
    actions = ["refresh_precheck"]
    view_on_site = False  # the dossier's own page is the applicant portal's
    change_form_template = "admin/applications/dossier/change_form.html"
    fieldsets = [
        (None, {"fields": ["number", "organisation", "cycle", "state", "created_at", "submitted_at"]}),
        (gettext_lazy("Pre-check"), {"fields": ["precheck"]}),
        (gettext_lazy("Correction"), {"fields": ["correction_sections_display", "correction_until"]}),
        (gettext_lazy("Withdrawal"), {"fields": ["withdrawal_reason"]}),
    ]
    readonly_fields = [
        "number",
        "organisation",
        "cycle",
        "state",
        "created_at",
        "submitted_at",
        "precheck",
        "correction_sections_display",
        "correction_until",
        "withdrawal_reason",
    ]

    class Media:
        css = {"all": ["admin/applications/dossier.css"]}

    @admin.display(description=gettext_lazy("industry"), ordering="organisation__industry_section")
    def industry(self, obj):
        return obj.organisation.get_industry_section_display()

    @admin.display(description=gettext_lazy("pre-check"), ordering="precheck_outcome")
    def precheck(self, obj):
        return outcome_badge(obj.precheck_outcome)

    @admin.display(description=gettext_lazy("sections reopened for correction"))
    def correction_sections_display(self, obj):
        labels = dict(DossierSectionKey.choices)
        return _join(labels.get(key, key) for key in obj.correction_sections) or "—"

    # --- permissions beyond the model's ---

    def has_decide_permission(self, request, obj=None):
        return request.user.has_perm("applications.decide_eligibility", obj)

    def has_refresh_precheck_permission(self, request, obj=None):
        return request.user.has_perm("applications.refresh_precheck", obj)

    # --- the change page: findings, sections, attachments, decisions, the decision form ---

    def get_urls(self):
        return [
            path(
                "<int:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="applications_dossier_decide",
            ),
            *super().get_urls(),
        ]

    def decision_blocked(self, dossier) -> str:
        """Why no decision can be recorded now (empty: it can); the service's own rule."""
        return services.decision_refusal(dossier) or ""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        dossier = self.get_object(request, unquote(object_id))
        if dossier is not None:
            extra_context = {**(extra_context or {}), **self.review_context(request, dossier)}
        return super().change_view(request, object_id, form_url, extra_context)

    def review_context(self, request, dossier) -> dict:
        findings = stored_findings(dossier)
        order = {key: index for index, key in enumerate(EDITABLE_SECTIONS)}
        section_rows = sorted(
            DossierSection.objects.filter(dossier=dossier).select_related("updated_by"),
            key=lambda row: order.get(row.key, len(order)),
        )
        attachments = list(Attachment.objects.filter(dossier=dossier).order_by("purpose", "pk"))
        for attachment in attachments:
            try:
                attachment.download_url = reverse(
                    "applications:attachment", kwargs={"dossier_pk": dossier.pk, "pk": attachment.pk}
                )
            except NoReverseMatch:  # the download view is not installed: the file is listed without a link
                attachment.download_url = ""
        decisions = list(EligibilityDecision.objects.filter(dossier=dossier).select_related("decided_by"))
        for decision in decisions:
            decision.articles_display = _join(_article_label(article) for article in decision.articles)
            decision.judgements_display = [
                (_judgement_label(code), _("Yes, confirmed") if answer else _("No, rejected"))
                for code, answer in decision.judgements.items()
            ]
        can_decide = self.has_decide_permission(request, dossier)
        blocked = self.decision_blocked(dossier)
        return {
            "findings": findings,
            "findings_failed_articles": _join(_article_label(a) for a in eligibility.failed_articles(findings)),
            "sections": [  # the attachments are listed on their own below
                {"row": row, "label": row.get_key_display(), "entries": section_entries(row.data)}
                for row in section_rows
                if row.key != DossierSectionKey.ATTACHMENTS
            ],
            "attachments": attachments,
            "decisions": decisions,
            "can_decide": can_decide,
            "decision_blocked": blocked,
            "decision_form": EligibilityDecisionForm(findings=findings) if can_decide and not blocked else None,
            "decide_url": reverse("admin:applications_dossier_decide", args=[dossier.pk]),
            "can_refresh_precheck": self.has_refresh_precheck_permission(request, dossier)
            and dossier.state in REFRESHABLE_STATES,
            "changelist_url": reverse("admin:applications_dossier_changelist"),
        }

    def decide_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        dossier = get_object_or_404(Dossier.objects.select_related("cycle", "organisation"), pk=object_id)
        if not self.has_decide_permission(request, dossier):
            raise PermissionDenied
        change_url = reverse("admin:applications_dossier_change", args=[dossier.pk])
        form = EligibilityDecisionForm(request.POST, findings=stored_findings(dossier))
        if not form.is_valid():
            for name, errors in form.errors.items():
                for error in errors:
                    if name == forms.forms.NON_FIELD_ERRORS:
                        messages.error(request, error)
                    else:
                        messages.error(request, f"{form.fields[name].label}: {error}")
            return redirect(change_url)
        try:
            decision = services.eligibility_decide(dossier=dossier, by=request.user, **form.decision_arguments())
        except services.DossierError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(
                request,
                _("The decision on %(dossier)s is recorded: %(decision)s.")
                % {"dossier": dossier.number, "decision": decision.get_kind_display()},
            )
        return redirect(change_url)

    # --- the pre-check, recomputed on demand ---

    @admin.action(description=gettext_lazy("Refresh the pre-check"), permissions=["refresh_precheck"])
    def refresh_precheck(self, request, queryset):
        refreshed, skipped = [], []
        for dossier in queryset.order_by("pk"):
            try:
                dossier_refresh_precheck(dossier=dossier, by=request.user)
            except services.DossierError:
                skipped.append(dossier)
            else:
                refreshed.append(dossier)
        if refreshed:
            messages.success(
                request,
                ngettext(
                    "The pre-check of %(count)s dossier was refreshed.",
                    "The pre-check of %(count)s dossiers was refreshed.",
                    len(refreshed),
                )
                % {"count": len(refreshed)},
            )
        if skipped:
            messages.warning(
                request,
                ngettext(
                    "%(count)s dossier was skipped: the pre-check is refreshed only during the eligibility review "
                    "of a submitted dossier (%(dossiers)s).",
                    "%(count)s dossiers were skipped: the pre-check is refreshed only during the eligibility review "
                    "of a submitted dossier (%(dossiers)s).",
                    len(skipped),
                )
                % {"count": len(skipped), "dossiers": _join(d.number or d.organisation.name for d in skipped)},
            )
        if request.POST.get("_from_change_page") and len(refreshed) + len(skipped) == 1:
            dossier = (refreshed or skipped)[0]
            return redirect(reverse("admin:applications_dossier_change", args=[dossier.pk]))
        return None


# --- decisions and misconduct findings ---


@admin.register(EligibilityDecision)
class EligibilityDecisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["dossier", "kind", "articles_display", "decided_by", "decided_at"]
    list_filter = ["kind", "dossier__cycle"]
    list_select_related = ["dossier__organisation", "decided_by"]
    search_fields = ["dossier__number", "dossier__organisation__name"]
    fields = ["dossier", "kind", "articles_display", "judgements_display", "note", "decided_by", "decided_at"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("articles not met"))
    def articles_display(self, obj):
        return _join(_article_label(article) for article in obj.articles) or "—"

    @admin.display(description=gettext_lazy("checklist"))
    def judgements_display(self, obj):
        return (
            _join(
                _("%(label)s: %(answer)s")
                % {"label": _judgement_label(code), "answer": _("Yes, confirmed") if answer else _("No, rejected")}
                for code, answer in obj.judgements.items()
            )
            or "—"
        )


@admin.register(MisconductFinding)
class MisconductFindingAdmin(KeyCheckedAutocompleteMixin, admin.ModelAdmin):
    """Fraud or violations in the award's review activity (Art. 9(5)): recorded, never changed or removed."""

    list_display = ["organisation", "cycle", "recorded_by", "recorded_at"]
    list_filter = ["cycle"]
    list_select_related = ["organisation", "cycle", "recorded_by"]
    search_fields = ["organisation__name", "organisation__credit_code"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def get_fields(self, request, obj=None):
        fields = ["organisation", "cycle", "description"]
        return [*fields, "recorded_by", "recorded_at"] if obj is not None else fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        services.misconduct_record(finding=obj, by=request.user)
