"""The experts' pages: their panels and invitations, the pledge, and the dossiers they may read.

An expert sees only the dossiers of panels on which they accepted a seat, after signing the cycle's pledge
(Art. 23), and never a dossier of an organisation they are in conflict with: anything else is not found.
"""

import functools
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from applications.display import section_entries
from applications.enums import DossierSectionKey
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import Cycle, ScoringBand
from mayor_award.core.services import audit_record

from .. import consensus, scoring, services, sheets
from ..enums import ReviewStage, SeatStatus
from ..models import Pledge, ScoreSheet, Seat
from ..selectors import (
    REVIEW_PHASES,
    dossier_for_expert,
    dossiers_for_expert,
    expert_for_user,
    has_signed_pledge,
    seats_for_expert,
)

TEXT_LIMIT = 5000  # characters of strengths or opportunities kept per item
SAVED_HEADER = "X-Score-Saved"  # set on an autosave's answer only: a login page is never taken for a save


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
    seat = sheets.seat_for(request.expert, found) if found.cycle.phase == CyclePhase.ONSITE_REVIEW else None
    return render(
        request,
        "review/expert/dossier.html",
        {
            "dossier": found,
            "sections": sections,
            "attachments": list(found.attachments.all()),
            "scores_onsite": seat is not None and sheets.may_score(seat, found, ReviewStage.ONSITE),
        },
    )


@functools.lru_cache(maxsize=16)
def _bands(criteria_id: int, language: str) -> dict[str, str]:
    """The scoring bands by kind, as the list items the page shows (range and descriptor): rendered once per
    criteria and language, not per item and request (a criteria version's bands never change)."""
    with translation.override(language):
        return {
            kind: format_html_join(
                "",
                "<li><strong>{}–{}%</strong> {}</li>",
                (
                    (band.min_percent, band.max_percent, band.text)
                    for band in ScoringBand.objects.filter(criteria_id=criteria_id, kind=kind).order_by("band")
                ),
            )
            for kind in ("process", "results")
        }


def _percent_from(raw: str):
    raw = raw.strip()
    try:
        return int(raw) if raw else None
    except ValueError:
        return -1  # refused by the service with the percentage message


def _entries_from(post, codes) -> dict[str, dict]:
    return {
        code: {
            "percent": _percent_from(post.get(f"p_{code}", "")),
            "strengths": post.get(f"s_{code}", "")[:TEXT_LIMIT],
            "opportunities": post.get(f"o_{code}", "")[:TEXT_LIMIT],
        }
        for code in codes
    }


def _item_entry(post, code) -> dict:
    """The fields of one item that the autosave sent (a field not sent is left as it is)."""
    entry = {}
    if f"p_{code}" in post:
        entry["percent"] = _percent_from(post[f"p_{code}"])
    for key, name in (("s", "strengths"), ("o", "opportunities")):
        if f"{key}_{code}" in post:
            entry[name] = post[f"{key}_{code}"][:TEXT_LIMIT]
    return entry


def _scoring_seat(request, pk, stage):
    """The dossier the expert may score in `stage` and their own accepted seat on its panel; else not found."""
    if stage not in ReviewStage.values:
        raise Http404
    found = dossiers_for_expert(request.user).filter(pk=pk).first()
    seat = sheets.seat_for(request.expert, found) if found else None
    if seat is None or not sheets.may_score(seat, found, stage):
        raise Http404
    return found, seat


def _groups(rows, categories) -> list[dict]:
    """The rows by category, each with its subtotal, and each row with its points so far."""
    groups = []
    for row in rows:
        row.points = scoring.item_points(row.item.points, row.percent) if row.percent is not None else None
        if not groups or groups[-1]["category"].pk != row.item.category_id:
            category = row.item.category
            groups.append({"category": category, "subtotal": categories.get(category.code), "rows": []})
        groups[-1]["rows"].append(row)
    return groups


def _show_posted(rows, post):
    """After a refused form, show what the expert typed (not saved) rather than lose it."""
    for row in rows:
        code = row.item.code
        row.percent = post.get(f"p_{code}", "").strip() or None
        row.strengths = post.get(f"s_{code}", "")[:TEXT_LIMIT]
        row.opportunities = post.get(f"o_{code}", "")[:TEXT_LIMIT]


def _save_form(request, sheet, rows) -> bool:
    """The whole form (the page without JavaScript, and its two buttons): save, then submit when asked.

    False when the form is refused and nothing saved: the page then shows what was typed, with the message.
    """
    try:
        sheets.sheet_save(
            sheet=sheet, entries=_entries_from(request.POST, [r.item.code for r in rows]), by=request.user
        )
    except sheets.SheetClosed as error:
        messages.error(request, str(error))
        return True
    except sheets.SheetError as error:
        messages.error(request, str(error))
        return False
    if request.POST.get("action") != "submit":
        messages.success(request, _("Saved as a draft."))
        return True
    try:
        sheets.sheet_submit(sheet=sheet, by=request.user)
    except sheets.SheetError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The sheet is submitted and locked."))
    return True


def score(request, pk, stage):
    """The score sheet: a GET of a sheet that exists takes one query for the sheet and one for its rows (the
    criteria, their bands and the sheet's layout are built once per process); anything else the long way."""
    if request.method == "GET" and stage in ReviewStage.values:
        sheet = sheets.scorable_sheet(request.user, pk, stage)
        if sheet is not None:
            layout = sheets.criteria_layout(sheet.dossier.cycle.criteria)
            return _score_page(request, sheet.dossier, sheet, sheets.sheet_lines(sheet, layout), layout)
    return _score_long(request, pk, stage)


@expert_required
@require_http_methods(["GET", "POST"])
def _score_long(request, pk, stage):
    found, seat = _scoring_seat(request, pk, stage)
    sheet = sheets.sheet_open(seat=seat, dossier=found, stage=stage)
    sheet.dossier = found
    layout = sheets.criteria_layout(found.cycle.criteria)
    rows = sheets.sheet_lines(sheet, layout)
    if request.method == "POST" and _save_form(request, sheet, rows):
        return redirect("review:score", pk=found.pk, stage=stage)
    return _score_page(request, found, sheet, rows, layout)


def _save_url_parts(dossier, stage) -> tuple[str, str]:
    """The autosave address of an item, split around its code (one reverse per page, not one per item)."""
    url = reverse("review:score-item", kwargs={"pk": dossier.pk, "stage": stage, "code": "~"})
    return url[: url.index("~")], url[url.index("~") + 1 :]


def _score_page(request, found, sheet, rows, layout):
    refused = request.method == "POST"
    total, categories = sheets.lines_total(layout, {row.item.code: row.percent for row in rows})
    groups = _groups(rows, categories)
    if refused:
        _show_posted(rows, request.POST)
    save_prefix, save_suffix = _save_url_parts(found, sheet.stage)
    editable = sheets.is_editable(sheet)
    return render(
        request,
        "review/expert/score.html",
        {
            "dossier": found,
            "sheet": sheet,
            "groups": groups,
            "bands": _bands(found.cycle.criteria_id, translation.get_language() or "zh-hans"),
            "total": total,
            "editable": editable,
            "disabled": "" if editable else " disabled",
            "step": found.cycle.score_step,
            "panel_visible": sheets.panel_scores_visible(found.cycle, sheet),
            "save_prefix": save_prefix,
            "save_suffix": save_suffix,
        },
        status=422 if refused else 200,
    )


def _item_saved(request, row, layout):
    """The autosave's answer: the item's saved state, its points, its category's subtotal and the total."""
    total, categories = sheets.lines_total(layout, sheets.sheet_percents(row.sheet_id, layout))
    item = layout.by_id[row.item_id]
    response = render(
        request,
        "review/expert/_score_item_saved.html",
        {
            "row": row,
            "points": scoring.item_points(item.points, row.percent) if row.percent is not None else 0,
            "category": item.category,
            "subtotal": categories[item.category.code],
            "total": total,
            "saved_at": timezone.now(),
        },
    )
    response[SAVED_HEADER] = "1"
    return response


def _item_refused(request, error):
    status = 409 if isinstance(error, sheets.SheetClosed) else 422
    return render(request, "review/expert/_score_item_refused.html", {"message": str(error)}, status=status)


def score_item(request, pk, stage, code):
    """The page's autosave of one item (a partial answer). A draft the expert may score now, in its stage, takes
    one query to find and lock its row; anything else the long way, which says why it refuses."""
    if request.method == "POST" and stage in ReviewStage.values:
        with transaction.atomic(savepoint=False):
            opened = sheets.open_item(request.user, pk, stage, code)
            if opened is not None:
                try:
                    row = sheets.open_item_save(opened=opened, entry=_item_entry(request.POST, code), by=request.user)
                except sheets.SheetError as error:
                    return _item_refused(request, error)
                return _item_saved(request, row, opened.layout)
    return _score_item_long(request, pk, stage, code)


@expert_required
@require_POST
def _score_item_long(request, pk, stage, code):
    found, seat = _scoring_seat(request, pk, stage)
    sheet = sheets.sheet_open(seat=seat, dossier=found, stage=stage)
    try:
        row = sheets.sheet_save_item(sheet=sheet, code=code, entry=_item_entry(request.POST, code), by=request.user)
    except sheets.UnknownItem as error:
        raise Http404 from error
    except sheets.SheetError as error:
        return _item_refused(request, error)
    return _item_saved(request, row, sheets.criteria_layout(found.cycle.criteria))


@expert_required
def panel_scores(request, pk, stage):
    """Every panel member's percentages per item, anonymised, and the panel's aggregate; with the cycle's
    independent scoring only once the expert's own sheet is submitted."""
    found, seat = _scoring_seat(request, pk, stage)
    sheet = ScoreSheet.objects.filter(seat=seat, dossier=found, stage=stage).first()
    context = {"dossier": found, "stage": ReviewStage(stage), "seat": seat}
    if not sheets.panel_scores_visible(found.cycle, sheet):
        return render(request, "review/expert/score_panel_hidden.html", context, status=403)
    table = consensus.aggregation(panel=seat.panel, dossier=found, stage=stage)
    result = table.result
    lines = [
        {
            "row": row,
            "points": result.item_points[row.item.code] if result else None,
            "trimmed": row.aggregate_used == scoring.Aggregate.TRIMMED_MEAN,
        }
        for row in table.rows
    ]
    return render(
        request,
        "review/expert/score_panel.html",
        context
        | {
            "table": table,
            "lines": lines,
            "own_seat_id": seat.pk,
            "aggregate": consensus.aggregate_of(found.cycle),
            "outlier_points": found.cycle.outlier_points,
        },
    )
