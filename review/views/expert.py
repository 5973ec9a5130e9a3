"""The experts' pages: their panels and invitations, the pledge, and the dossiers they may read.

An expert sees only the dossiers of panels on which they accepted a seat, after signing the cycle's pledge
(Art. 23), and never a dossier of an organisation they are in conflict with: anything else is not found.
"""

import functools
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from applications.display import section_entries
from applications.enums import DossierSectionKey
from mayor_award.core.models import Cycle, ScoringBand
from mayor_award.core.services import audit_record

from .. import services, sheets
from ..enums import ReviewStage, SeatStatus, SheetState
from ..models import Pledge, Seat
from ..selectors import REVIEW_PHASES, dossier_for_expert, expert_for_user, has_signed_pledge, seats_for_expert


def expert_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.expert = expert_for_user(request.user)
        if request.expert is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@expert_required
def dashboard(request):
    seats = list(seats_for_expert(request.expert))
    pledged = set(Pledge.objects.filter(expert=request.expert).values_list("cycle_id", flat=True))
    return render(
        request,
        "review/expert/dashboard.html",
        {"seats": seats, "pledged": pledged, "review_phases": [str(phase) for phase in REVIEW_PHASES]},
    )


class ReplyForm(forms.Form):
    answer = forms.ChoiceField(
        label=gettext_lazy("Your answer"),
        widget=forms.RadioSelect,
        choices=[
            ("accept", gettext_lazy("I accept and have no conflict of interest with these applicants")),
            ("conflict", gettext_lazy("I have a conflict of interest with one of these applicants")),
            ("decline", gettext_lazy("I decline")),
        ],
    )
    organisation = forms.ChoiceField(label=gettext_lazy("Applicant concerned"), required=False)
    note = forms.CharField(label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.pk): o for o in organisations}
        self.fields["organisation"].choices = [("", "—"), *((key, o.name) for key, o in self.organisations.items())]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("answer") == "conflict" and not cleaned.get("organisation"):
            self.add_error("organisation", _("Choose the applicant you are in conflict with."))
        if cleaned.get("answer") in ("conflict", "decline") and not cleaned.get("note", "").strip():
            self.add_error("note", _("Please give a reason."))
        return cleaned


@expert_required
@require_http_methods(["GET", "POST"])
def seat_reply(request, pk):
    seat = get_object_or_404(Seat.objects.select_related("panel__cycle").filter(expert=request.expert), pk=pk)
    organisations = [dossier.organisation for dossier in seat.panel.dossiers.select_related("organisation")]
    form = ReplyForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and seat.status == SeatStatus.INVITED and form.is_valid():
        answer = form.cleaned_data["answer"]
        try:
            services.seat_reply(
                seat=seat,
                accept=answer == "accept",
                conflict_with=form.organisations.get(form.cleaned_data["organisation"])
                if answer == "conflict"
                else None,
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except services.ReviewError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Thank you: your answer is recorded."))
            return redirect("review:dashboard")
    return render(
        request, "review/expert/seat_reply.html", {"seat": seat, "form": form, "organisations": organisations}
    )


@expert_required
@require_http_methods(["GET", "POST"])
def pledge(request, cycle_pk):
    cycle = get_object_or_404(Cycle.objects.filter(panels__seats__expert=request.expert).distinct(), pk=cycle_pk)
    if request.method == "POST":
        if request.POST.get("agree") != "yes":
            messages.error(request, _("Tick the box to sign the pledge."))
        else:
            services.pledge_sign(
                expert=request.expert,
                cycle=cycle,
                ip_address=request.META.get("REMOTE_ADDR"),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                by=request.user,
            )
            messages.success(request, _("Thank you: the pledge is signed."))
            return redirect("review:dashboard")
    return render(
        request,
        "review/expert/pledge.html",
        {"cycle": cycle, "text": services.PLEDGE_TEXT, "signed": has_signed_pledge(request.expert, cycle)},
    )


# Contact data is for the secretariat only (data minimisation): experts read the organisation's facts.
PRIVATE_PROFILE_KEYS = ("contact_name", "contact_phone", "legal_representative", "address")


def _without_contacts(data: dict) -> dict:
    if "profile" not in data:
        return data
    profile = {key: value for key, value in data["profile"].items() if key not in PRIVATE_PROFILE_KEYS}
    return {**data, "profile": profile}


@expert_required
def dossier(request, pk):
    found = dossier_for_expert(request.user, pk)
    if found is None:
        raise Http404
    audit_record(actor=request.user, action="dossier.opened", obj=found)
    sections = [
        {"label": section.get_key_display(), "entries": section_entries(_without_contacts(section.data))}
        for section in found.sections.all()
        if section.key != DossierSectionKey.ATTACHMENTS
    ]
    return render(
        request,
        "review/expert/dossier.html",
        {"dossier": found, "sections": sections, "attachments": list(found.attachments.all())},
    )


@functools.lru_cache(maxsize=16)
def _bands(criteria_id: int, language: str) -> dict[str, list[tuple[str, str]]]:
    """The scoring bands by kind, as (range, descriptor) pairs: built once per criteria and language."""
    with translation.override(language):
        return {
            kind: [
                (f"{band.min_percent}–{band.max_percent}%", band.text)
                for band in ScoringBand.objects.filter(criteria_id=criteria_id, kind=kind).order_by("band")
            ]
            for kind in ("process", "results")
        }


def _entries_from(post, codes) -> dict[str, dict]:
    entries = {}
    for code in codes:
        raw = post.get(f"p_{code}", "").strip()
        try:
            percent = int(raw) if raw else None
        except ValueError:
            percent = -1  # refused by the service with the percentage message
        entries[code] = {
            "percent": percent,
            "strengths": post.get(f"s_{code}", "")[:5000],
            "opportunities": post.get(f"o_{code}", "")[:5000],
        }
    return entries


@expert_required
@require_http_methods(["GET", "POST"])
def score(request, pk, stage):
    if stage not in ReviewStage.values:
        raise Http404
    found = dossier_for_expert(request.user, pk)
    seat = sheets.seat_for(request.expert, found) if found else None
    if found is None or seat is None:
        raise Http404
    sheet = sheets.sheet_open(seat=seat, dossier=found, stage=stage)
    rows = list(sheet.items.select_related("item__category").order_by("item__category__position", "item__position"))
    if request.method == "POST":
        try:
            sheets.sheet_save(
                sheet=sheet, entries=_entries_from(request.POST, [r.item.code for r in rows]), by=request.user
            )
            if request.POST.get("action") == "submit":
                sheets.sheet_submit(sheet=sheet, by=request.user)
                messages.success(request, _("The sheet is submitted and locked."))
            else:
                messages.success(request, _("Saved as a draft."))
        except sheets.SheetError as error:
            messages.error(request, str(error))
        return redirect("review:score", pk=found.pk, stage=stage)
    total, categories = sheets.sheet_total(sheet)
    return render(
        request,
        "review/expert/score.html",
        {
            "dossier": found,
            "sheet": sheet,
            "rows": rows,
            "bands": _bands(found.cycle.criteria_id, translation.get_language() or "zh-hans"),
            "total": total,
            "categories": categories,
            "editable": sheet.state == SheetState.DRAFT
            and found.cycle.phase == sheets.STAGE_PHASES[ReviewStage(stage)],
            "step": sheets.PERCENT_STEP,
        },
    )
