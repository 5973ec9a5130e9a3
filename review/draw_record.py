"""The draw of a panel as stored (Panel.draw_record), checked again and printed (评审专家随机抽取记录).

`verify_panel` recomputes the draw from what was stored, the way a supervisor would: the candidates as they were
seen at the draw (`record["candidates"]`), the panel's request (`record["request"]`) and the seed, through
`draw.verify`. `render_draw_record` prints the record as a PDF for the file, with signature lines for the
secretariat and the supervisor (监督人): in Chinese and Beijing time, whatever the language of the request.
"""

import hashlib

from django.utils import timezone

from applications import pdf
from applications.enums import IndustrySection
from applications.notifications import in_chinese

from . import draw
from .models import Expert, Panel

TEMPLATE = "review/pdf/draw_record.html"


def record_candidates(record: dict) -> list[draw.Candidate]:
    """The candidates as the draw saw them, rebuilt from the stored record."""
    return [
        draw.Candidate(
            expert_id=int(row["expert_id"]),
            name=str(row["name"]),
            industries=frozenset(row["industries"]),
            active=bool(row["active"]),
            is_committee_member=bool(row["committee"]),
            conflicted_organisation_ids=frozenset(int(i) for i in row["conflicts"]),
            seated_in_cycle=bool(row["seated"]),
        )
        for row in record["candidates"]
    ]


def record_request(panel: Panel, record: dict) -> draw.PanelRequest:
    """The panel to fill as the draw saw it, rebuilt from the stored record.

    Records that do not hold the one-panel-per-expert setting or the number of alternates get the cycle's
    setting and the default number, which is what the draw used when it did not store them.
    """
    request = record["request"]
    return draw.PanelRequest(
        group=panel.name,
        industries=frozenset(request["industries"]),
        dossier_organisation_ids=frozenset(int(i) for i in request["organisations"]),
        size=int(request["size"]),
        minimum_size=int(request["minimum_size"]),
        one_panel_per_cycle=bool(
            request.get("one_panel_per_cycle", getattr(panel.cycle, "one_panel_per_expert", True))
        ),
        alternates=int(request.get("alternates", draw.DEFAULT_ALTERNATES)),
    )


def verify_panel(panel: Panel) -> bool | None:
    """True when the stored draw recomputes exactly; False when it does not (or the record is damaged);
    None when the panel has not been drawn."""
    record = panel.draw_record or {}
    if not panel.is_drawn or not record:
        return None
    try:
        result = draw.DrawResult.from_record(record["result"])
        return (
            record["seed"] == panel.seed
            and result.seed == panel.seed
            and draw.verify(record_candidates(record), record_request(panel, record), record["seed"], result)
        )
    except (KeyError, TypeError, ValueError):
        return False


def industry_labels(letters) -> str:
    labels = []
    for letter in letters or []:
        try:
            labels.append(str(IndustrySection(letter).label))
        except ValueError:
            labels.append(str(letter))
    return "、".join(labels)


def record_context(panel: Panel) -> dict:
    """What the admin page and the printed record show of a drawn panel: candidates, members, alternates, check."""
    record = panel.draw_record or {}
    if not panel.is_drawn or not record:
        return {"drawn": False}
    result = record.get("result", {})
    members = [int(i) for i in result.get("members", [])]
    alternates = [int(i) for i in result.get("alternates", [])]
    excluded = {int(expert_id): reason for expert_id, reason in result.get("excluded", [])}
    eligible_ids = [int(i) for i in result.get("candidate_ids", [])]
    names = {int(row["expert_id"]): row["name"] for row in record.get("candidates", [])}
    employers = dict(Expert.objects.filter(pk__in=[*members, *alternates]).values_list("pk", "employer"))

    def reason_label(code):
        try:
            return str(draw.Reason(code).label)
        except ValueError:
            return code

    candidates = []
    for row in sorted(record.get("candidates", []), key=lambda row: int(row["expert_id"])):
        expert_id = int(row["expert_id"])
        candidates.append(
            {
                "expert_id": expert_id,
                "name": row["name"],
                "industries": ",".join(row.get("industries", [])),
                "eligible": expert_id not in excluded,
                "reason": reason_label(excluded[expert_id]) if expert_id in excluded else "",
                "member_rank": members.index(expert_id) + 1 if expert_id in members else None,
                "alternate_rank": alternates.index(expert_id) + 1 if expert_id in alternates else None,
            }
        )
    seed = record.get("seed", "")
    return {
        "drawn": True,
        "seed": seed,
        "recipe": result.get("recipe"),
        "candidates": candidates,
        "eligible_count": len(eligible_ids),
        "excluded_count": len(excluded),
        "eligible_ids": ",".join(str(i) for i in eligible_ids),
        "material": draw.seed_material(seed, eligible_ids).decode("utf-8"),
        "digest": hashlib.sha256(draw.seed_material(seed, eligible_ids)).hexdigest(),
        "members": [
            {"rank": rank, "expert_id": i, "name": names.get(i, i), "employer": employers.get(i, "")}
            for rank, i in enumerate(members, start=1)
        ],
        "alternates": [
            {"rank": rank, "expert_id": i, "name": names.get(i, i), "employer": employers.get(i, "")}
            for rank, i in enumerate(alternates, start=1)
        ],
        "size": record.get("request", {}).get("size", panel.size),
        "verified": verify_panel(panel),
    }


def draw_record_context(panel: Panel) -> dict:
    dossiers = list(panel.dossiers.select_related("organisation").order_by("number"))
    return {
        "panel": panel,
        "cycle": panel.cycle,
        "industries": industry_labels(panel.industries),
        "dossiers": dossiers,
        "drawn_by": panel.drawn_by,
        "record": record_context(panel),
        "printed_at": timezone.now(),
    }


def render_draw_record(panel: Panel) -> bytes:
    """The printable draw record as PDF bytes, in Chinese and Beijing time. Raises pdf.MissingChineseFont."""
    panel = Panel.objects.select_related("cycle", "drawn_by").get(pk=panel.pk)
    with in_chinese():
        return pdf.render_pdf(TEMPLATE, draw_record_context(panel))
