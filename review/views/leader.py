"""The panel leader's pages: the panel's scores, consensus and reports.

Who sees what:

- The panel's overview and the consensus page of a dossier are the leader's: an accepted leader seat on the
  panel, the cycle's pledge signed (Art. 23), an active expert and the cycle in its review phases; the consensus
  page also needs the dossier open to the leader (no conflict of interest, still under review). Any other expert,
  a member of the same panel included, gets 404: the members read the recorded consensus in its report. A user
  who is no expert gets 403.
- The report (PDF) of a recorded consensus is read here by the experts of its panel and the secretariat
  (review.rules.can_read_report); committee members read it through the committee's own page (committee:report,
  which checks their cycle and recusals). Every download is audited. Anyone else with one of those roles gets
  404, any other role 403.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from mayor_award.core.downloads import private_file_response
from mayor_award.core.rules import is_committee_member, is_expert, is_secretariat
from mayor_award.core.services import audit_record

from .. import consensus as services
from .. import scoring
from ..enums import ExpertStatus, ReviewStage, SeatStatus
from ..models import Consensus, Panel, Pledge, Seat
from ..reports import report_download_name
from ..selectors import REVIEW_PHASES, dossiers_for_expert
from ..sheets import STAGE_PHASES
from .expert import expert_required


def leader_panel(expert, pk) -> Panel | None:
    """The panel `pk` when `expert` leads it now (see the module's docstring), else None; one query."""
    seat = (
        Seat.objects.filter(
            panel_id=pk,
            expert=expert,
            is_leader=True,
            status=SeatStatus.ACCEPTED,
            expert__status=ExpertStatus.ACTIVE,
            panel__cycle__phase__in=REVIEW_PHASES,
        )
        .filter(Exists(Pledge.objects.filter(expert=OuterRef("expert"), cycle=OuterRef("panel__cycle"))))
        .select_related("panel__cycle")
        .first()
    )
    return seat.panel if seat else None


@expert_required
@require_GET
def panel(request, pk):
    found = leader_panel(request.expert, pk)
    if found is None:
        raise Http404
    overview = services.panel_overview(found)
    for entry in overview:
        # A conflict recorded after the leader accepted: its consensus is not theirs (Art. 23); the secretariat
        # names another leader of the panel to record it.
        entry.leader_conflicted = request.expert.pk in entry.conflicted_experts
    return render(request, "review/leader/panel.html", {"panel": found, "overview": overview})


# --- the consensus of one dossier in one stage ---


def _step_validator(step: int):
    def validate(value):
        if value is None:
            return
        try:
            scoring.validate_percent(value, step=step)
        except scoring.ScoreError as error:
            raise ValidationError(str(error)) from error

    return validate


class ConsensusForm(forms.Form):
    """The agreed percentage, strengths and opportunities per item, and the overall comments.

    Prefilled with what is saved, else with each item's aggregate rounded half up to the cycle's step."""

    strengths = forms.CharField(
        label=gettext_lazy("Agreed strengths"),
        required=False,
        max_length=services.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    opportunities = forms.CharField(
        label=gettext_lazy("Agreed opportunities for improvement"),
        required=False,
        max_length=services.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    issues_to_verify = forms.CharField(
        label=gettext_lazy("Issues to verify on site"),
        required=False,
        max_length=services.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The on-site review team receives them."),
    )

    def __init__(self, *args, summed: services.Aggregation, step: int, editable: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = summed.rows
        if summed.stage != ReviewStage.MATERIAL:
            del self.fields["issues_to_verify"]
        saved = summed.consensus
        if saved is not None:
            for name in ("strengths", "opportunities", "issues_to_verify"):
                if name in self.fields:
                    self.fields[name].initial = getattr(saved, name)
        for row in self.rows:
            code = row.item.code
            agreed = row.agreed
            self.fields[f"p_{code}"] = forms.IntegerField(
                label=_("Agreed percentage of %(item)s") % {"item": code},
                required=False,
                min_value=0,
                max_value=scoring.MAX_PERCENT,
                validators=[_step_validator(step)],
                initial=agreed.percent if agreed and agreed.percent is not None else row.prefill,
                widget=forms.NumberInput(
                    attrs={
                        "step": step,
                        "class": "form-control self-percent",
                        "data-points": row.item.points,
                        "data-category": row.item.category.code,
                    }
                ),
            )
            for prefix, attribute, label in (
                ("s", "strengths", gettext_lazy("Strengths")),
                ("o", "opportunities", gettext_lazy("Opportunities for improvement")),
            ):
                self.fields[f"{prefix}_{code}"] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=services.TEXT_LIMIT,
                    initial=getattr(agreed, attribute) if agreed else "",
                    widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                )
        for field in self.fields.values():
            field.disabled = not editable
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs.setdefault("class", "form-control")

    def entries(self) -> dict[str, dict]:
        return {
            row.item.code: {
                "percent": self.cleaned_data.get(f"p_{row.item.code}"),
                "strengths": self.cleaned_data.get(f"s_{row.item.code}", ""),
                "opportunities": self.cleaned_data.get(f"o_{row.item.code}", ""),
            }
            for row in self.rows
        }


def _display(value) -> str:
    return scoring.display(value) if value is not None else "—"


def _lines(summed: services.Aggregation, form: ConsensusForm) -> list[dict]:
    """Each item's row of the page: the experts' scores, the panel's statistics (as scoring.py gives them,
    rounded only here, for display) and the item's form fields."""
    lines = []
    for row in summed.rows:
        code = row.item.code
        stats = row.stats
        lines.append(
            {
                "row": row,
                "mean": _display(stats.mean if stats else None),
                "trimmed_mean": _display(stats.trimmed_mean if stats else None),
                "std_dev": _display(stats.std_dev if stats else None),
                "range": stats.range if stats else "—",
                "aggregate": _display(row.aggregate),
                "fell_back": row.aggregate_used is not None
                and row.aggregate_used != services.aggregate_of(summed.dossier.cycle),
                "percent": form[f"p_{code}"],
                "strengths": form[f"s_{code}"],
                "opportunities": form[f"o_{code}"],
            }
        )
    return lines


def _agenda(summed: services.Aggregation) -> list[dict]:
    """The items with experts flagged far from the panel, for the discussion."""
    if summed.result is None:
        return []
    letters = {reviewer.seat_id: reviewer.label for reviewer in summed.reviewers}
    return [
        {"code": code, "experts": [letters[seat_id] for seat_id in seat_ids if seat_id in letters]}
        for code, seat_ids in summed.result.outliers.items()
    ]


@expert_required
@require_http_methods(["GET", "POST"])
def consensus(request, pk, dossier_pk, stage):
    if stage not in ReviewStage.values:
        raise Http404
    found = leader_panel(request.expert, pk)
    dossier = (
        dossiers_for_expert(request.user).filter(pk=dossier_pk, panel_assignment__panel=found).first()
        if found
        else None
    )
    if dossier is None:
        raise Http404
    stage = ReviewStage(stage)
    cycle = dossier.cycle
    summed = services.aggregation(panel=found, dossier=dossier, stage=stage)
    editable = (
        not summed.recorded and cycle.phase == STAGE_PHASES[stage] and dossier.state == services.STATE_BEFORE[stage]
    )
    form = ConsensusForm(
        request.POST if request.method == "POST" else None, summed=summed, step=cycle.score_step, editable=editable
    )
    if request.method == "POST":
        if not editable:
            messages.error(request, _("The consensus cannot be changed now."))
            return redirect("review:consensus", pk=found.pk, dossier_pk=dossier.pk, stage=stage.value)
        if form.is_valid():
            try:
                saved = services.consensus_save(
                    panel=found,
                    dossier=dossier,
                    stage=stage,
                    entries=form.entries(),
                    strengths=form.cleaned_data["strengths"],
                    opportunities=form.cleaned_data["opportunities"],
                    issues_to_verify=form.cleaned_data.get("issues_to_verify", ""),
                    by=request.user,
                )
            except services.ConsensusError as error:
                messages.error(request, str(error))
            else:
                if request.POST.get("action") == "record":
                    try:
                        services.consensus_record(consensus=saved, by=request.user)
                    except services.ConsensusError as error:
                        messages.error(request, _("Saved as a draft, not recorded: %(reason)s") % {"reason": error})
                    else:
                        messages.success(
                            request, _("The consensus is recorded and locked; its report is being prepared.")
                        )
                else:
                    messages.success(request, _("Saved as a draft."))
                return redirect("review:consensus", pk=found.pk, dossier_pk=dossier.pk, stage=stage.value)
        else:
            messages.error(request, _("Nothing was saved: please correct the marked fields."))
    return render(
        request,
        "review/leader/consensus.html",
        {
            "panel": found,
            "dossier": dossier,
            "cycle": cycle,
            "stage": stage,
            "summed": summed,
            "form": form,
            "lines": _lines(summed, form),
            "agenda": _agenda(summed),
            "editable": editable,
            "aggregate_label": services.aggregate_of(cycle).label,
            "panel_total": _display(summed.result.total if summed.result else None),
            "recorded_total": _display(summed.consensus.total if summed.recorded else None),
        },
    )


# --- the report ---


@require_GET
def report(request, pk):
    user = request.user
    if not (is_expert(user) or is_committee_member(user) or is_secretariat(user)):
        raise PermissionDenied
    found = Consensus.objects.select_related("dossier__cycle", "panel").filter(pk=pk).first()
    if found is None or not found.report_pdf or not user.has_perm("review.read_consensus_report", found):
        raise Http404
    audit_record(actor=user, action="consensus.report_downloaded", obj=found)
    return private_file_response(found.report_pdf, filename=report_download_name(found), content_type="application/pdf")


urlpatterns = [
    path("review/panels/<int:pk>/", panel, name="panel"),
    path(
        "review/panels/<int:pk>/dossiers/<int:dossier_pk>/<str:stage>/consensus/",
        consensus,
        name="consensus",
    ),
    path("review/consensus/<int:pk>/report.pdf", report, name="consensus-report"),
]
