"""The benchmark's pages (scripts/bench.py): where each key page of issue 9 is found in a build_province database.

Everything is looked up in the database by the build's tag ({tag}-secretariat, {tag}-expert…, {tag}-committee…,
{tag}-applicant…), so the same page list resolves the same way in the 10-dossier and the 1,000-dossier build.
Django must be set up (bench_kit.server_env) before calling anything here.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

MATERIAL = "material"


@dataclass
class Page:
    name: str
    path: str
    username: str | None = None  # None: anonymous
    method: str = "GET"
    form: dict = field(default_factory=dict)  # POST fields besides the CSRF token
    rotate: list = field(default_factory=list)  # POST: alternative forms sent in turn, so every save writes
    public: bool = False
    list_page: bool = False
    htmx: bool = False

    def forms(self) -> list[dict]:
        return self.rotate or [self.form]


def cycle_of(tag: str):
    from mayor_award.core.models import Cycle

    cycles = Cycle.objects.filter(dossiers__organisation__memberships__user__username__startswith=f"{tag}-").distinct()
    found = cycles.order_by("-pk").first()
    if found is None:
        raise LookupError(f"no cycle built with the tag {tag!r}")
    return found


def draft_sheets(cycle, tag: str, *, limit: int | None = None, leaders_first: bool = True):
    """Draft material sheets of the cycle, one per expert (the first by pk), leaders first."""
    from review.enums import SheetState
    from review.models import ScoreSheet

    sheets = (
        ScoreSheet.objects.filter(
            dossier__cycle=cycle,
            stage=MATERIAL,
            state=SheetState.DRAFT,
            seat__expert__user__username__startswith=f"{tag}-",
        )
        .select_related("seat__expert__user")
        .order_by("-seat__is_leader" if leaders_first else "pk", "pk")
    )
    chosen, experts = [], set()
    for sheet in sheets.iterator(chunk_size=2000):
        if sheet.seat.expert_id in experts:
            continue
        experts.add(sheet.seat.expert_id)
        chosen.append(sheet)
        if limit and len(chosen) >= limit:
            break
    return chosen


def item_codes(sheet) -> list[str]:
    return list(sheet.items.order_by("item__category__position", "item__position").values_list("item__code", flat=True))


def score_step(cycle) -> int:
    return getattr(cycle, "score_step", 5) or 5


def autosave_form(code: str, percent: int, note: str = "") -> dict:
    """What the score page's htmx autosave sends for one item (hx-params: the token and the item's three fields)."""
    return {f"p_{code}": str(percent), f"s_{code}": note or "方法系统，展开充分。", f"o_{code}": "改进机会：数据分析。"}


def autosave_path(sheet, code: str) -> str:
    return f"/review/dossiers/{sheet.dossier_id}/score/{sheet.stage}/items/{code}/"


def score_path(sheet) -> str:
    return f"/review/dossiers/{sheet.dossier_id}/score/{sheet.stage}/"


def submitted_material_sheet(cycle, tag: str, avoid_panel_id: int):
    """A panel leader's submitted material sheet in the material-review build, made once: every sheet of one dossier
    of another panel than `avoid_panel_id` is submitted through the service, so the panel's statistics page has a
    full panel to show (the build leaves every sheet a draft)."""
    from django.db import transaction

    from review import sheets as sheet_services
    from review.enums import SheetState
    from review.models import PanelDossier, ScoreSheet

    leader_sheets = ScoreSheet.objects.filter(
        dossier__cycle=cycle, stage=MATERIAL, seat__is_leader=True, seat__expert__user__username__startswith=f"{tag}-"
    ).select_related("seat__expert__user")
    found = leader_sheets.filter(state=SheetState.SUBMITTED).order_by("pk").first()
    if found is not None:
        return found
    assignment = (
        PanelDossier.objects.filter(panel__cycle=cycle).exclude(panel_id=avoid_panel_id).order_by("panel_id", "pk")
    ).first()
    with transaction.atomic():
        for sheet in ScoreSheet.objects.filter(
            dossier_id=assignment.dossier_id, stage=MATERIAL, state=SheetState.DRAFT
        ).select_related("seat__expert__user"):
            sheet_services.sheet_submit(sheet=sheet, by=sheet.seat.expert.user)
    return leader_sheets.filter(state=SheetState.SUBMITTED).order_by("pk").first()


def material_pages(tag: str) -> list[Page]:
    cycle = cycle_of(tag)
    (sheet,) = draft_sheets(cycle, tag, limit=1)
    expert = sheet.seat.expert.user.username
    code = item_codes(sheet)[0]
    step = score_step(cycle)
    values = [step * k for k in range(4, 20, 3) if step * k <= 100]
    from applications.models import Membership

    applicant = (
        Membership.objects.filter(user__username__startswith=f"{tag}-applicant", organisation__dossiers__cycle=cycle)
        .order_by("user__username")
        .values_list("user__username", flat=True)
        .first()
    )
    pages = [
        Page("applicant_dashboard", "/portal/", applicant),
        Page("expert_dashboard", "/review/", expert, list_page=True),
        Page("score_sheet", score_path(sheet), expert),
        Page(
            "autosave",
            autosave_path(sheet, code),
            expert,
            method="POST",
            rotate=[autosave_form(code, value) for value in values],
            htmx=True,
        ),
        Page("leader_panel", f"/review/panels/{sheet.seat.panel_id}/", expert, list_page=True),
    ]
    submitted = submitted_material_sheet(cycle, tag, avoid_panel_id=sheet.seat.panel_id)
    if submitted is not None:
        pages.append(
            Page(
                "panel_statistics",
                f"/review/dossiers/{submitted.dossier_id}/panel-scores/{MATERIAL}/",
                submitted.seat.expert.user.username,
            )
        )
    return pages


def deliberation_pages(tag: str) -> list[Page]:
    from committee.models import BallotReceipt, CommitteeMember

    cycle = cycle_of(tag)
    voted = set(BallotReceipt.objects.filter(member__cycle=cycle).values_list("member_id", flat=True))
    member = next(
        member
        for member in CommitteeMember.objects.filter(cycle=cycle).select_related("user").order_by("user__username")
        if member.pk not in voted
    )
    return [
        Page("secretariat_dashboard", f"/admin/review/dashboard/{cycle.pk}/", f"{tag}-secretariat", list_page=True),
        Page("committee_candidates", "/committee/", member.user.username, list_page=True),
        Page("ballot", "/committee/ballot/", member.user.username, list_page=True),
    ]


def announced_pages(tag: str) -> list[Page]:
    from committee.models import Certificate

    cycle = cycle_of(tag)
    serial = (
        Certificate.objects.filter(award__cycle=cycle).exclude(pdf="").order_by("pk").values_list("serial", flat=True)
    ).first() or Certificate.objects.filter(award__cycle=cycle).order_by("pk").values_list("serial", flat=True).first()
    return [
        Page("public_home", "/", public=True),
        Page("winners", "/winners/", public=True, list_page=True),
        Page("verify", f"/verify/{serial}/", public=True),
        Page("admin_dossier_list", "/admin/applications/dossier/", f"{tag}-secretariat", list_page=True),
    ]


REFERENCE_PAGES = [Page("plain", "/bench/plain/"), Page("plain_login", "/bench/plain-login/", "SAMPLE")]


def key_pages(tags: dict[str, str]) -> list[Page]:
    """The reference views, then the key pages; `tags` maps the state (material, deliberation, announced) to a tag."""
    pages = [
        *material_pages(tags["material"]),
        *deliberation_pages(tags["deliberation"]),
        *announced_pages(tags["announced"]),
    ]
    reference = [Page(p.name, p.path, p.username, public=p.username is None) for p in REFERENCE_PAGES]
    reference[1].username = pages[0].username  # the applicant: a plain login
    return reference + pages


# --- requests built from a page and a login ---


def page_headers(page: Page, login, base: str = "http://127.0.0.1") -> dict:
    headers = {"Accept": "text/html", "Accept-Language": "zh-CN,zh;q=0.9"}
    if login is not None:
        headers["Cookie"] = login.cookie
    if page.method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["X-CSRFToken"] = login.csrf_secret
    if page.htmx:
        # What htmx 2 sends with an hx-post from the score page.
        headers["HX-Request"] = "true"
        headers["HX-Current-URL"] = base + page.path.split("/items/")[0] + "/"
    return headers


def page_body(page: Page, login, form: dict) -> str:
    return urlencode({"csrfmiddlewaretoken": login.csrf_secret, **form})


# BEGIN/COMMIT (ATOMIC_REQUESTS) and savepoints are counted apart from the queries proper.
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
ROW = re.compile(rb"<tr[\s>]")
TBODY = re.compile(rb"<tbody.*?</tbody>", re.S)


ITEM = re.compile(rb'class="[^"]*\b(?:list-group-item|candidate-card)\b')


def table_rows(content: bytes) -> int:
    """A list's rows: rows of the page's table bodies, list-group items and candidate cards."""
    return sum(len(ROW.findall(body)) for body in TBODY.findall(content)) + len(ITEM.findall(content))


def count_queries(pages: list[Page], logins: dict) -> dict[str, dict]:
    """Each page's query count (its second request, so that per-process caches are warm) and its table rows."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for page in pages:
        login = logins.get(page.username)
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
        if login is not None:
            client.cookies["sessionid"] = login.session_key
            client.cookies["csrftoken"] = login.csrf_secret
        extra = {}
        if page.htmx:
            extra = {"HTTP_HX_REQUEST": "true"}

        def send(form, client=client, page=page, login=login, extra=extra):
            if page.method == "POST":
                return client.post(
                    page.path,
                    page_body(page, login, form),
                    content_type="application/x-www-form-urlencoded",
                    HTTP_X_CSRFTOKEN=login.csrf_secret,
                    **extra,
                )
            return client.get(page.path, **extra)

        forms = page.forms()
        send(forms[0])
        with CaptureQueriesContext(connection) as captured:
            response = send(forms[-1])
        content = b"" if response.streaming else response.content
        statements = [query["sql"].split(None, 1)[0].upper() for query in captured.captured_queries]
        counts[page.name] = {
            "queries": sum(statement not in TRANSACTION_CONTROL for statement in statements),
            "transaction_control": sum(statement in TRANSACTION_CONTROL for statement in statements),
            "status": response.status_code,
            "rows": table_rows(content),
            "bytes": len(content),
        }
    return counts
