"""Admin pages of the committee, voting sessions, ranking and the proposed list.

The secretariat records the committee (members and offices, recusals), prepares, opens and closes the vote,
computes the ranking, records decisions on ties and adjustments with their reasons, confirms the proposed list
and records the government's approval. Every write calls committee.services_voting.

While a vote runs, its page shows who has voted (the receipts), never how; the counts appear once it is closed.
The ballot box (VoteCount, running totals) has no admin page and no permission: only the tally per candidate at
close is ever shown.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mayor_award.core.admin_mixins import RecordOnceAdminMixin
from mayor_award.core.downloads import private_file_response
from mayor_award.core.enums import Role
from mayor_award.core.models import Cycle, User
from mayor_award.core.services import audit_record
from mayor_award.core.uploads import sniff_kind
from review.models import Candidate

from . import minutes, ranking, services_voting
from .enums_voting import DecidedBy, ListState, SessionState
from .models import (
    BallotReceipt,
    CommitteeMember,
    GovernmentApproval,
    ProposedList,
    RankingEntry,
    Recusal,
    VotingSession,
)

APPROVAL_MAX_BYTES = 20 * 1024 * 1024


def _refused(error) -> ValidationError:
    return ValidationError(str(error))


def _post_only(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


# --- the committee and recusals ---


class CommitteeMemberForm(forms.ModelForm):
    class Meta:
        model = CommitteeMember
        fields = ["cycle", "user", "office", "affiliation"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].queryset = User.objects.filter(groups__name=Role.COMMITTEE.value).order_by("username")

    def clean(self):
        cleaned = super().clean()
        cycle, user = cleaned.get("cycle"), cleaned.get("user")
        if self.instance.pk:  # a recorded member: only the office and affiliation are edited
            cycle, user = self.instance.cycle, self.instance.user
        if cycle and user:
            for problem in services_voting.committee_member_problems(cycle=cycle, user=user):
                self.add_error(None, problem)
        return cleaned


@admin.register(CommitteeMember)
class CommitteeMemberAdmin(admin.ModelAdmin):
    form = CommitteeMemberForm
    list_display = ["user", "office", "affiliation", "cycle"]
    list_filter = ["cycle", "office"]
    list_select_related = ["user", "cycle"]
    search_fields = ["user__username", "user__name", "affiliation"]
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return ["cycle", "user"] if obj is not None else []

    def has_change_permission(self, request, obj=None):
        if obj is not None and services_voting.committee_frozen(obj.cycle):
            return False  # counted for the quorum of a vote that has opened: shown only
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and services_voting.committee_member_problems(cycle=obj.cycle, user=obj.user):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        services_voting.committee_member_save(member=obj, by=request.user)

    def delete_model(self, request, obj):
        services_voting.committee_member_remove(member=obj, by=request.user)


class RecusalForm(forms.ModelForm):
    class Meta:
        model = Recusal
        fields = ["member", "candidate", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "member" not in self.fields:  # the page of a recorded recusal only shows it
            return
        self.fields["member"].queryset = CommitteeMember.objects.select_related("user", "cycle").order_by(
            "-cycle__number", "pk"
        )
        self.fields["candidate"].queryset = Candidate.objects.select_related("panel", "dossier__organisation")
        self.fields["candidate"].label_from_instance = lambda c: f"{c.dossier} ({c.panel.name})"

    def clean(self):
        cleaned = super().clean()
        member, candidate = cleaned.get("member"), cleaned.get("candidate")
        if member and candidate:
            for problem in services_voting.recusal_problems(
                member=member, candidate=candidate, reason=cleaned.get("reason") or ""
            ):
                self.add_error(None, problem)
        return cleaned


@admin.register(Recusal)
class RecusalAdmin(admin.ModelAdmin):
    form = RecusalForm
    list_display = ["member", "candidate_display", "reason", "recorded_by", "recorded_at"]
    list_filter = ["member__cycle"]
    list_select_related = ["member__user", "candidate__dossier__organisation", "recorded_by"]
    actions = None

    @admin.display(description=gettext_lazy("candidate"))
    def candidate_display(self, obj):
        return obj.candidate.dossier

    def has_delete_permission(self, request, obj=None):
        if obj is not None and services_voting.committee_frozen(obj.member.cycle):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        recusal = services_voting.recusal_record(
            member=obj.member, candidate=obj.candidate, reason=obj.reason, by=request.user
        )
        obj.pk = recusal.pk
        obj.recorded_at = recusal.recorded_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        services_voting.recusal_withdraw(recusal=obj, by=request.user)


# --- the voting session ---


class SessionPrepareForm(forms.ModelForm):
    class Meta:
        model = VotingSession
        fields = ["cycle"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "cycle" in self.fields:
            self.fields["cycle"].queryset = Cycle.objects.order_by("-number")

    def clean_cycle(self):
        cycle = self.cleaned_data["cycle"]
        if services_voting.live_session(cycle) is not None:
            raise ValidationError(
                _("This cycle already has a voting session; a new one can be prepared only after a void one.")
            )
        return cycle


@admin.register(VotingSession)
class VotingSessionAdmin(admin.ModelAdmin):
    form = SessionPrepareForm
    list_display = ["__str__", "cycle", "state", "opened_at", "closed_at", "ballots_cast"]
    list_filter = ["cycle", "state"]
    list_select_related = ["cycle"]
    change_form_template = "admin/committee/votingsession/change_form.html"
    actions = None
    view_fields = [
        "cycle",
        "state",
        "opened_at",
        "opened_by",
        "closed_at",
        "closed_by",
        "ballots_cast",
        "outcome_display",
        "minutes_generated_at",
    ]

    def get_fields(self, request, obj=None):
        return ["cycle"] if obj is None else self.view_fields

    @admin.display(description=gettext_lazy("outcome"))
    def outcome_display(self, obj):
        return obj.outcome or "—"

    def get_readonly_fields(self, request, obj=None):
        return self.view_fields if obj is not None else []

    def has_change_permission(self, request, obj=None):
        # A session changes through its buttons only (open, close, rank); its fields are shown.
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.state != SessionState.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        session = services_voting.session_prepare(cycle=obj.cycle, by=request.user)
        obj.pk = session.pk
        obj.created_at = session.created_at
        obj._state.adding = False

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<int:object_id>/open/", view(self.open_view), name="committee_votingsession_open"),
            path("<int:object_id>/close/", view(self.close_view), name="committee_votingsession_close"),
            path("<int:object_id>/rank/", view(self.rank_view), name="committee_votingsession_rank"),
            path("<int:object_id>/minutes.pdf", view(self.minutes_view), name="committee_votingsession_minutes"),
            path(
                "<int:object_id>/minutes/print/",
                view(self.print_minutes_view),
                name="committee_votingsession_print_minutes",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        session = self.get_object(request, unquote(object_id))
        if session is not None:
            extra_context = {**(extra_context or {}), **self.session_context(request, session)}
        return super().change_view(request, object_id, form_url, extra_context)

    def session_context(self, request, session) -> dict:
        members = list(CommitteeMember.objects.filter(cycle=session.cycle).select_related("user").order_by("pk"))
        voted = set(BallotReceipt.objects.filter(session=session).values_list("member_id", flat=True))
        for member in members:
            member.has_voted = member.pk in voted
        context = minutes.minutes_context(session)
        user = request.user
        return {
            **context,
            "turnout": members,
            "voted_count": len(voted),
            "candidates": list(
                session.candidates.select_related("panel", "dossier__organisation").order_by("panel__name", "position")
            )
            if session.state != SessionState.DRAFT
            else list(services_voting.cycle_candidates(session.cycle)),
            "open_problems": services_voting.session_open_problems(session)
            if session.state == SessionState.DRAFT
            else [],
            "can_open": session.state == SessionState.DRAFT and user.has_perm("committee.open_votingsession"),
            "can_close": session.state == SessionState.OPEN and user.has_perm("committee.close_votingsession"),
            "can_rank": session.state == SessionState.CLOSED
            and user.has_perm("committee.change_proposedlist")
            and not ProposedList.objects.filter(session=session).exists(),
        }

    def _session(self, request, object_id, permission):
        session = get_object_or_404(VotingSession.objects.select_related("cycle"), pk=object_id)
        if not request.user.has_perm(permission, session):
            raise PermissionDenied
        return session

    def _back(self, session):
        return redirect(reverse("admin:committee_votingsession_change", args=[session.pk]))

    def open_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        session = self._session(request, object_id, "committee.open_votingsession")
        try:
            services_voting.session_open(session=session, by=request.user)
        except services_voting.VotingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The vote is open; its rules are fixed."))
        return self._back(session)

    def close_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        session = self._session(request, object_id, "committee.close_votingsession")
        try:
            session = services_voting.session_close(session=session, by=request.user)
        except services_voting.VotingError as error:
            messages.error(request, str(error))
        else:
            level = messages.SUCCESS if session.state == SessionState.CLOSED else messages.WARNING
            messages.add_message(request, level, session.outcome)
        return self._back(session)

    def rank_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        session = self._session(request, object_id, "committee.change_proposedlist")
        try:
            proposed_list = services_voting.ranking_compute(session=session, by=request.user)
        except (services_voting.VotingError, ranking.RankingError) as error:
            messages.error(request, str(error))
            return self._back(session)
        messages.success(request, _("The ranking is computed."))
        return redirect(reverse("admin:committee_proposedlist_change", args=[proposed_list.pk]))

    def minutes_view(self, request, object_id):
        session = self._session(request, object_id, "committee.view_votingsession")
        if not session.minutes_pdf:
            raise Http404(_("The minutes have not been printed yet."))
        return private_file_response(
            session.minutes_pdf,
            filename=f"minutes-{session.cycle.number}-{session.pk}.pdf",
            content_type="application/pdf",
        )

    def print_minutes_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        session = self._session(request, object_id, "committee.view_votingsession")
        if session.state not in (SessionState.CLOSED, SessionState.VOID):
            messages.error(request, _("Minutes are printed once the vote has closed."))
            return self._back(session)
        services_voting.minutes_schedule(session)
        messages.success(request, _("The minutes are being printed; reload the page in a moment."))
        return self._back(session)


# --- the ranking and the proposed list ---


MAX_KEY = 2**63 - 1  # the largest primary key a database stores; beyond it a number cannot name a row


class DecisionForm(forms.Form):
    decided_by = forms.ChoiceField(label=gettext_lazy("Decided by"), choices=DecidedBy.choices)
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class AdjustForm(DecisionForm):
    """A change of the list: the ranking entry (its id, posted by the button) and the decision."""

    entry = forms.IntegerField(min_value=1, max_value=MAX_KEY, widget=forms.HiddenInput)


class KeyListField(forms.Field):
    """Several ids posted under one name, each a positive whole number a database key can hold."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        one = forms.IntegerField(min_value=1, max_value=MAX_KEY)
        return [one.clean(item) for item in value or []]


class TieForm(DecisionForm):
    """The order of a tie: the tied ranking entries' ids, first first, and the decision."""

    order = KeyListField()


@admin.register(ProposedList)
class ProposedListAdmin(admin.ModelAdmin):
    list_display = ["__str__", "cycle", "state", "computed_at", "confirmed_at"]
    list_filter = ["state"]
    list_select_related = ["cycle"]
    change_form_template = "admin/committee/proposedlist/change_form.html"
    actions = None
    fields = readonly_fields = [
        "cycle",
        "session",
        "state",
        "computed_at",
        "computed_by",
        "confirmed_at",
        "confirmed_by",
    ]

    def has_add_permission(self, request):
        return False  # computed from a closed vote, on the session's page

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return False  # changes through its buttons (tie, adjust, confirm)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<int:object_id>/adjust/", view(self.adjust_view), name="committee_proposedlist_adjust"),
            path("<int:object_id>/tie/", view(self.tie_view), name="committee_proposedlist_tie"),
            path("<int:object_id>/confirm/", view(self.confirm_view), name="committee_proposedlist_confirm"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        proposed_list = self.get_object(request, unquote(object_id))
        if proposed_list is not None:
            context = minutes.minutes_context(proposed_list.session)
            editable = proposed_list.state == ListState.DRAFT and request.user.has_perm(
                "committee.adjust_proposedlist", proposed_list
            )
            extra_context = {
                **(extra_context or {}),
                **context,
                "ties": services_voting.unresolved_ties(proposed_list),
                "places_taken": services_voting.places_taken(proposed_list),
                "editable": editable,
                "can_confirm": editable and request.user.has_perm("committee.confirm_proposedlist", proposed_list),
                "decision_form": DecisionForm(),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _list(self, request, object_id, permission):
        proposed_list = get_object_or_404(ProposedList.objects.select_related("cycle", "session"), pk=object_id)
        if not request.user.has_perm(permission, proposed_list):
            raise PermissionDenied
        return proposed_list

    def _back(self, proposed_list):
        return redirect(reverse("admin:committee_proposedlist_change", args=[proposed_list.pk]))

    def adjust_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        proposed_list = self._list(request, object_id, "committee.adjust_proposedlist")
        form = AdjustForm(request.POST)
        valid = form.is_valid()
        entry = (
            RankingEntry.objects.filter(proposed_list=proposed_list, pk=form.cleaned_data["entry"]).first()
            if valid
            else None
        )
        if entry is None:
            messages.error(request, _("Choose the candidate, say who decided and give the reason."))
            return self._back(proposed_list)
        try:
            services_voting.list_adjust(
                entry=entry,
                proposed=request.POST.get("proposed") == "yes",
                decided_by=form.cleaned_data["decided_by"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except services_voting.VotingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The change is recorded with its reason."))
            taken = services_voting.places_taken(proposed_list)
            if taken > proposed_list.session.award_quota:
                messages.warning(
                    request,
                    _("The list now takes %(taken)s places; the cycle plans about %(quota)s awards (Art. 4).")
                    % {"taken": taken, "quota": proposed_list.session.award_quota},
                )
        return self._back(proposed_list)

    def tie_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        proposed_list = self._list(request, object_id, "committee.adjust_proposedlist")
        form = TieForm(request.POST)
        order = form.cleaned_data["order"] if form.is_valid() else []
        if not order:
            messages.error(request, _("Put the tied candidates in order, say who decided and give the reason."))
            return self._back(proposed_list)
        try:
            services_voting.list_tie_decide(
                proposed_list=proposed_list,
                order=order,
                decided_by=form.cleaned_data["decided_by"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except services_voting.VotingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The order of the tie is recorded with its reason."))
        return self._back(proposed_list)

    def confirm_view(self, request, object_id):
        refused = _post_only(request)
        if refused:
            return refused
        proposed_list = self._list(request, object_id, "committee.confirm_proposedlist")
        try:
            services_voting.list_confirm(proposed_list=proposed_list, by=request.user)
        except services_voting.VotingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The proposed list is confirmed."))
        return self._back(proposed_list)


# --- the government's approval ---


class ApprovalForm(forms.ModelForm):
    document = forms.FileField(label=gettext_lazy("Document"), help_text=gettext_lazy("PDF, PNG or JPEG."))

    class Meta:
        model = GovernmentApproval
        fields = ["proposed_list", "meeting", "meeting_date", "minutes_number"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposed_list"].queryset = ProposedList.objects.filter(
            state=ListState.CONFIRMED, approval__isnull=True
        ).select_related("cycle")

    def clean_document(self):
        upload = self.cleaned_data["document"]
        if upload.size > APPROVAL_MAX_BYTES:
            raise ValidationError(_("The document may take at most 20 MB."))
        self.kind = sniff_kind(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("proposed_list") and "document" in cleaned:
            for problem in services_voting.approval_problems(
                proposed_list=cleaned["proposed_list"],
                meeting=cleaned.get("meeting") or "",
                meeting_date=cleaned.get("meeting_date"),
                minutes_number=cleaned.get("minutes_number") or "",
                kind=getattr(self, "kind", None),
            ):
                self.add_error(None, problem)
        return cleaned


@admin.register(GovernmentApproval)
class GovernmentApprovalAdmin(RecordOnceAdminMixin, admin.ModelAdmin):
    list_display = ["cycle", "meeting", "meeting_date", "minutes_number", "recorded_at"]
    list_select_related = ["cycle"]
    change_form_template = "admin/committee/governmentapproval/change_form.html"
    actions = None
    view_fields = [
        "cycle",
        "meeting",
        "meeting_date",
        "minutes_number",
        "document_name",
        "document_sha256",
        "recorded_by",
        "recorded_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApprovalForm
        return super().get_form(request, obj, change=change, **kwargs)

    add_fields = ["proposed_list", "meeting", "meeting_date", "minutes_number", "document"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        approval = services_voting.approval_record(
            proposed_list=form.cleaned_data["proposed_list"],
            meeting=form.cleaned_data["meeting"],
            meeting_date=form.cleaned_data["meeting_date"],
            minutes_number=form.cleaned_data["minutes_number"],
            upload=form.cleaned_data["document"],
            kind=form.kind,
            by=request.user,
        )
        obj.pk = approval.pk
        obj.cycle = approval.cycle
        obj.recorded_at = approval.recorded_at
        obj._state.adding = False

    def get_urls(self):
        return [
            path(
                "<int:object_id>/document/",
                self.admin_site.admin_view(self.document_view),
                name="committee_governmentapproval_document",
            ),
            *super().get_urls(),
        ]

    def document_view(self, request, object_id):
        approval = get_object_or_404(GovernmentApproval.objects.select_related("cycle"), pk=object_id)
        if not request.user.has_perm("committee.view_governmentapproval", approval):
            raise PermissionDenied
        audit_record(actor=request.user, action="approval.document_opened", obj=approval)
        return private_file_response(
            approval.document, filename=approval.document_name, content_type=approval.document_content_type
        )
