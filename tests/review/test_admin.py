"""The secretariat's review tools in the admin: the expert pool (with its Excel import and export), conflicts of
interest, panels from suggested groups, the draw and its check, the panel leader; read-only seats and pledges."""

import io

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import constants as message_levels
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from import_export.tmp_storages import TempFolderStorage
from openpyxl import Workbook, load_workbook

from applications.enums import DossierState
from mayor_award.core.enums import Role
from mayor_award.core.models import AuditEvent, User
from review import draw, services
from review.admin import ExpertAdmin
from review.enums import ConflictKind, ExpertStatus, Qualification, SeatStatus
from review.models import Conflict, Expert, Panel, PanelDossier, Seat
from review.resources import COLUMNS, ExpertResource
from tests.factories.applications import DossierFactory, OrganisationFactory
from tests.factories.core import CycleFactory, UserFactory
from tests.factories.review import ExpertFactory, PanelFactory, PledgeFactory, SeatFactory

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = [key for key, _label in COLUMNS]
CREDIT_CODE = "91110000600037341L"


def zh(message: str, **params) -> str:
    """A message as the admin shows it to a user of the default language (Simplified Chinese)."""
    with translation.override("zh-hans"):
        text = gettext(message)
    return text % params if params else text


def label(code_label) -> str:
    with translation.override("zh-hans"):
        return str(code_label)


def headers_zh():
    """The column titles as the secretariat sees them (the workbook's first line)."""
    return [label(column_label) for _key, column_label in COLUMNS]


def workbook(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def line(username, name="王专家", email=None, employer="郑州质量研究院", industries="C", **extra):
    values = {
        "username": username,
        "name": name,
        "email": email if email is not None else f"{username}@experts.example.com",
        "phone": extra.get("phone", "13800000000"),
        "employer": employer,
        "employer_credit_code": extra.get("employer_credit_code", ""),
        "position": extra.get("position", "质量总监"),
        "professional_title": extra.get("professional_title", "高级工程师"),
        "qualifications": extra.get("qualifications", ""),
        "industries": industries,
        "status": extra.get("status", ""),
    }
    return [values[key] for key in HEADERS]


def messages_of(response):
    return [(message.level, str(message)) for message in response.context["messages"]]


@pytest.fixture
def cycle():
    return CycleFactory(number=1, year=2020)


@pytest.fixture
def secretariat_client(client, secretariat):
    client.force_login(secretariat)
    return client


def upload(client, content, name="专家库.xlsx"):
    """The first step of the import: the dry run of the file."""
    return client.post(
        reverse("admin:review_expert_import"),
        {"import_file": SimpleUploadedFile(name, content, content_type=XLSX), "format": "0", "resource": "0"},
    )


def confirm(client, response):
    """The second step: confirm the import the dry run accepted."""
    form = response.context["confirm_form"]
    return client.post(reverse("admin:review_expert_process_import"), form.initial, follow=True)


# --- the expert pool: import ---


def test_import_of_a_good_file_previews_then_creates_experts_and_accounts(secretariat_client):
    existing = UserFactory(username="li.si", name="李四", email="lisi@old.example.com")
    content = workbook(
        [
            line(
                "zhang.san",
                name="张三",
                phone=13800001111,
                employer_credit_code=CREDIT_CODE,
                qualifications=f"{label(Qualification.NATIONAL_REVIEWER.label)}，system_auditor",
                industries="C, i",
            ),
            [None] * len(HEADERS),  # blank lines are ignored
            line("li.si", name="李四", email="lisi@experts.example.com", employer="许昌标准化研究所", industries="F"),
        ],
        headers=headers_zh(),
    )

    preview = upload(secretariat_client, content)

    assert preview.status_code == 200
    assert preview.context["confirm_form"] is not None
    assert not preview.context["import_problems"]
    assert Expert.objects.count() == 0  # the dry run saved nothing
    assert not User.objects.filter(username="zhang.san").exists()

    done = confirm(secretariat_client, preview)

    assert done.status_code == 200
    zhang = Expert.objects.select_related("user").get(user__username="zhang.san")
    assert (zhang.user.name, zhang.user.email, zhang.user.is_active) == ("张三", "zhang.san@experts.example.com", True)
    assert zhang.user.groups.filter(name=Role.EXPERT).exists()
    assert zhang.phone == "13800001111"
    assert zhang.employer_credit_code == CREDIT_CODE
    assert zhang.qualifications == [Qualification.NATIONAL_REVIEWER, Qualification.MANAGEMENT_SYSTEM_AUDITOR]
    assert zhang.industries == ["C", "I"]
    assert zhang.status == ExpertStatus.ACTIVE
    li = Expert.objects.get(user=existing)  # an existing account joins the pool
    existing.refresh_from_db()
    assert (li.employer, li.industries, existing.email) == ("许昌标准化研究所", ["F"], "lisi@experts.example.com")
    assert AuditEvent.objects.filter(action="expert.saved").count() == 2
    assert AuditEvent.objects.filter(action="user.created", object_repr="张三").exists()
    assert [level for level, _text in messages_of(done)] == [message_levels.SUCCESS]


def test_an_imported_expert_sets_a_password_through_the_reset_email(client, secretariat_client):
    preview = upload(secretariat_client, workbook([line("wang.wu", email="wangwu@experts.example.com")]))
    confirm(secretariat_client, preview)
    client.logout()

    client.post(reverse("password_reset"), {"email": "wangwu@experts.example.com"})

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["wangwu@experts.example.com"]


def test_import_with_bad_lines_reports_each_line_and_reason_and_creates_nothing(secretariat_client):
    users_before = User.objects.count()
    content = workbook(
        [
            line("good.one"),  # line 2: correct, but nothing is imported while other lines are bad
            line("bad.industry", industries="C,Z"),  # line 3
            line("no.employer", employer=""),  # line 4
            line("twice"),  # line 5
            line("twice", name="另一个"),  # line 6
        ],
        headers=headers_zh(),
    )

    response = upload(secretariat_client, content)

    assert response.status_code == 200
    assert "confirm_form" not in response.context or not response.context["confirm_form"]
    problems = {problem["line"]: " ".join(problem["reasons"]) for problem in response.context["import_problems"]}
    assert sorted(problems) == [3, 4, 5, 6]
    unknown = zh("Unknown industry section “%(value)s”: GB/T 4754 sections are the letters A to T.", value="Z")
    assert unknown in problems[3]
    assert zh("The employer is missing.") in problems[4]
    repeated = zh(
        "The user name %(username)s is on more than one line (lines %(lines)s).", username="twice", lines="5、6"
    )
    assert repeated in problems[5] and repeated in problems[6]
    html = response.content.decode()
    assert zh("Line %(line)s", line=3) in html and unknown in html
    assert Expert.objects.count() == 0
    assert User.objects.count() == users_before


def test_import_names_the_missing_columns(secretariat_client):
    content = workbook([["someone", "某人"]], headers=headers_zh()[:2])

    response = upload(secretariat_client, content)

    [problem] = response.context["import_problems"]
    assert problem["line"] is None
    assert label(Expert._meta.get_field("employer").verbose_name) in problem["reasons"][0]
    assert Expert.objects.count() == 0


def test_a_confirmed_import_with_bad_lines_imports_nothing(secretariat_client):
    """The confirmation re-reads the stored file: if it has errors now, the whole import is rolled back."""
    storage = TempFolderStorage(read_mode="rb")
    storage.save(workbook([line("fine.one"), line("broken", industries="Q9")]))

    response = secretariat_client.post(
        reverse("admin:review_expert_process_import"),
        {"import_file_name": storage.name, "original_file_name": "pool.xlsx", "format": "0", "resource": "0"},
        follow=True,
    )

    assert Expert.objects.count() == 0
    assert not User.objects.filter(username="fine.one").exists()
    texts = [text for _level, text in messages_of(response)]
    assert zh("Nothing was imported: the file has errors.") in texts
    line_three = zh("Line %(line)s: %(reasons)s", line=3, reasons="").strip()
    assert any(text.startswith(line_three) for text in texts), texts


def test_import_updates_an_expert_and_skips_unchanged_lines(secretariat_client):
    expert = ExpertFactory(user__username="zhao.liu", user__name="赵六", phone="1", industries=["C"])
    unchanged = ExpertFactory(user__username="qian.qi")
    exported = ExpertResource().export(Expert.objects.filter(pk=unchanged.pk))
    row = list(exported[0])

    content = workbook(
        [
            line(
                "zhao.liu",
                name="赵六",
                email=expert.user.email,
                industries="C,F",
                status=label(ExpertStatus.SUSPENDED.label),
            ),
            row,
        ],
        headers=exported.headers,
    )
    preview = upload(secretariat_client, content)
    confirm(secretariat_client, preview)

    expert.refresh_from_db()
    assert expert.industries == ["C", "F"]
    assert expert.status == ExpertStatus.SUSPENDED
    assert Expert.objects.count() == 2
    assert AuditEvent.objects.filter(action="expert.saved").count() == 1  # the unchanged line was skipped


# --- the expert pool: export ---


def test_export_gives_an_xlsx_of_the_pool(secretariat_client):
    first = ExpertFactory(
        user__username="export.one",
        user__name="导出一",
        industries=["C", "I"],
        qualifications=[Qualification.NATIONAL_REVIEWER],
    )
    ExpertFactory(user__username="export.two", user__name='=HYPERLINK("x")', status=ExpertStatus.RETIRED)
    fields = {f"expertresource_{key}": "on" for key in HEADERS}

    response = secretariat_client.post(
        reverse("admin:review_expert_export"), {"format": "0", "resource": "0", **fields}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith('attachment; filename="expert-pool-')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == headers_zh()
    by_username = {row[0]: row for row in rows[1:]}
    assert set(by_username) == {"export.one", "export.two"}
    one = by_username["export.one"]
    assert (one[1], one[4], one[8], one[9]) == (
        "导出一",
        first.employer,
        label(Qualification.NATIONAL_REVIEWER.label),
        "C,I",
    )
    assert by_username["export.two"][10] == label(ExpertStatus.RETIRED.label)
    assert sheet["B3"].data_type == "s"  # a name starting with "=" stays text, never a formula


def test_an_exported_pool_imports_back_unchanged(secretariat_client):
    ExpertFactory.create_batch(2)
    exported = secretariat_client.post(
        reverse("admin:review_expert_export"),
        {"format": "0", "resource": "0", **{f"expertresource_{key}": "on" for key in HEADERS}},
    )

    preview = upload(secretariat_client, exported.content)
    confirm(secretariat_client, preview)

    assert not preview.context["import_problems"]
    assert not AuditEvent.objects.filter(action="expert.saved").exists()


# --- the expert pool: list and form ---


def test_pool_changelist_shows_the_track_record_and_filters(secretariat_client, cycle):
    builder = ExpertFactory(industries=["E"], user__name="建筑专家")
    veteran = ExpertFactory(industries=["C", "E"], user__name="老专家")
    later = CycleFactory(number=2, year=2022)
    SeatFactory(expert=veteran, panel=PanelFactory(cycle=cycle), accepted=True, leader=True)
    SeatFactory(expert=veteran, panel=PanelFactory(cycle=later), accepted=True)
    SeatFactory(expert=veteran, panel=PanelFactory(cycle=later), status=SeatStatus.DECLINED)
    url = reverse("admin:review_expert_changelist")

    response = secretariat_client.get(url)
    rows = {expert.pk: expert for expert in response.context["cl"].result_list}
    admin_instance = response.context["cl"].model_admin

    assert admin_instance.seats_per_cycle(rows[veteran.pk]) == "; ".join(
        [zh("cycle %(number)s: %(count)s", number=1, count=1), zh("cycle %(number)s: %(count)s", number=2, count=1)]
    )
    assert admin_instance.times_as_leader(rows[veteran.pk]) == 1
    assert admin_instance.seats_per_cycle(rows[builder.pk]) == "—"
    assert {e.pk for e in secretariat_client.get(url, {"industry": "C"}).context["cl"].result_list} == {veteran.pk}
    assert {e.pk for e in secretariat_client.get(url, {"industry": "E"}).context["cl"].result_list} == {
        builder.pk,
        veteran.pk,
    }
    assert {e.pk for e in secretariat_client.get(url, {"q": "建筑专家"}).context["cl"].result_list} == {builder.pk}


@pytest.mark.parametrize("count", [1, 3])
def test_pool_changelist_query_count_is_flat(secretariat_client, cycle, django_assert_num_queries, count):
    for _ in range(count):
        expert = ExpertFactory()
        SeatFactory(expert=expert, panel=PanelFactory(cycle=cycle), accepted=True)
    url = reverse("admin:review_expert_changelist")
    secretariat_client.get(url)  # warm the session and content-type caches

    with django_assert_num_queries(14):
        response = secretariat_client.get(url)

    assert response.context["cl"].result_count == count


def test_expert_is_added_through_the_form_and_saved_by_the_service(secretariat_client):
    user = UserFactory(username="new.expert", name="新专家")

    response = secretariat_client.post(
        reverse("admin:review_expert_add"),
        {
            "user": user.pk,
            "employer": "漯河质量协会",
            "employer_credit_code": "9111 0000 6000 3734 1L",
            "former_employers": "[]",
            "position": "",
            "professional_title": "",
            "qualifications": [Qualification.CERTIFIED_ASSESSOR],
            "industries": ["C", "F"],
            "status": ExpertStatus.ACTIVE,
            "phone": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    expert = Expert.objects.get(user=user)
    assert (expert.industries, expert.employer_credit_code) == (["C", "F"], CREDIT_CODE)
    assert user.groups.filter(name=Role.EXPERT).exists()
    assert AuditEvent.objects.filter(action="expert.saved", object_id=str(expert.pk)).exists()


def test_expert_form_refuses_a_malformed_former_employer_list(secretariat_client):
    user = UserFactory()

    response = secretariat_client.post(
        reverse("admin:review_expert_add"),
        {
            "user": user.pk,
            "employer": "某单位",
            "former_employers": '[{"name": "甲", "until": "明年"}]',
            "industries": ["C"],
            "status": ExpertStatus.ACTIVE,
        },
    )

    assert response.status_code == 200
    assert "former_employers" in response.context["adminform"].form.errors
    assert not Expert.objects.exists()


# --- conflicts ---


def test_conflict_is_recorded_through_the_service_and_never_changed(secretariat_client, secretariat):
    expert = ExpertFactory()
    organisation = OrganisationFactory()

    response = secretariat_client.post(
        reverse("admin:review_conflict_add"),
        {"expert": expert.pk, "organisation": organisation.pk, "note": "亲属任该企业高管"},
    )

    assert response.status_code == 302
    conflict = Conflict.objects.get()
    assert (conflict.kind, conflict.recorded_by, conflict.note) == (
        ConflictKind.RECORDED,
        secretariat,
        "亲属任该企业高管",
    )
    assert AuditEvent.objects.filter(action="conflict.recorded").exists()
    again = secretariat_client.post(
        reverse("admin:review_conflict_add"), {"expert": expert.pk, "organisation": organisation.pk, "note": "x"}
    )
    assert again.status_code == 200 and Conflict.objects.count() == 1
    change = secretariat_client.post(
        reverse("admin:review_conflict_change", args=[conflict.pk]), {"expert": expert.pk, "note": "改"}
    )
    assert change.status_code == 403
    assert secretariat_client.get(reverse("admin:review_conflict_delete", args=[conflict.pk])).status_code == 403
    conflict.refresh_from_db()
    assert conflict.note == "亲属任该企业高管"


def test_detect_conflicts_for_a_cycle_says_how_many_were_found(secretariat_client, cycle):
    organisation = OrganisationFactory(name="漯河双汇实业集团有限责任公司")
    DossierFactory(cycle=cycle, organisation=organisation, submitted=True)
    ExpertFactory(employer="漯河双汇实业集团有限责任公司")
    ExpertFactory()

    page = secretariat_client.get(reverse("admin:review_conflict_detect"))
    response = secretariat_client.post(reverse("admin:review_conflict_detect"), {"cycle": cycle.pk}, follow=True)

    assert page.status_code == 200
    assert Conflict.objects.filter(organisation=organisation, kind=ConflictKind.EMPLOYER).count() == 1
    assert (
        message_levels.SUCCESS,
        zh("%(count)s new conflict of interest was found in %(cycle)s.", count=1, cycle=cycle),
    ) in messages_of(response)


# --- panels ---


def eligible_dossier(cycle, section="C", **kwargs):
    return DossierFactory(
        cycle=cycle,
        organisation=OrganisationFactory(industry_section=section),
        submitted=True,
        state=DossierState.ELIGIBLE,
        **kwargs,
    )


def drawn_panel(cycle, secretariat, experts=7, seed="admin-test-seed"):
    for _ in range(experts):
        ExpertFactory()
    panel = services.panel_create(
        cycle=cycle, name="制造业（C）", industries=["C"], dossiers=[eligible_dossier(cycle)], size=5, by=secretariat
    )
    return services.panel_draw(panel=panel, by=secretariat, seed=seed)


def test_panels_from_suggested_groups(secretariat_client, cycle):
    food, drinks = eligible_dossier(cycle, "C"), eligible_dossier(cycle, "C")
    shop = eligible_dossier(cycle, "F")
    eligible_dossier(CycleFactory(number=2, year=2022), "C")  # another cycle
    DossierFactory(cycle=cycle, submitted=True)  # not eligible (yet)
    url = reverse("admin:review_panel_suggested_groups")

    page = secretariat_client.get(url, {"cycle": cycle.pk})

    rows = page.context["rows"]
    assert [[d.pk for d in row["dossiers"]] for row in rows] == [sorted([food.pk, drinks.pk]), [shop.pk]]
    initial = [form.initial for form in page.context["formset"].forms]
    assert [(i["section"], i["size"], i["industries"]) for i in initial] == [("C", 5, "C"), ("F", 5, "F")]

    data = {
        "cycle": cycle.pk,
        "group-TOTAL_FORMS": "2",
        "group-INITIAL_FORMS": "2",
        "group-MIN_NUM_FORMS": "0",
        "group-MAX_NUM_FORMS": "1000",
    }
    for index, values in enumerate(initial):
        data.update({f"group-{index}-{key}": value for key, value in values.items() if key != "create"})
        data[f"group-{index}-create"] = "on"
    data.update({"group-0-name": "食品制造评审组", "group-0-size": "7", "group-0-industries": "C, I"})

    response = secretariat_client.post(url, data, follow=True)

    panels = {panel.name: panel for panel in Panel.objects.filter(cycle=cycle)}
    assert set(panels) == {"食品制造评审组", initial[1]["name"]}
    assert (panels["食品制造评审组"].size, panels["食品制造评审组"].industries) == (7, ["C", "I"])
    assert set(panels["食品制造评审组"].dossiers.all()) == {food, drinks}
    assert list(panels[initial[1]["name"]].dossiers.all()) == [shop]
    assert messages_of(response)[0][0] == message_levels.SUCCESS
    assert secretariat_client.get(url, {"cycle": cycle.pk}).context["rows"] == []  # all dossiers are on panels


def test_suggested_groups_refuse_a_panel_below_the_minimum_and_create_none(secretariat_client, cycle):
    eligible_dossier(cycle, "C")
    eligible_dossier(cycle, "F")
    url = reverse("admin:review_panel_suggested_groups")
    initial = [form.initial for form in secretariat_client.get(url, {"cycle": cycle.pk}).context["formset"].forms]
    data = {"cycle": cycle.pk, "group-TOTAL_FORMS": "2", "group-INITIAL_FORMS": "2"}
    for index, values in enumerate(initial):
        data.update({f"group-{index}-{key}": value for key, value in values.items() if key != "create"})
        data[f"group-{index}-create"] = "on"
    data["group-1-size"] = "4"

    response = secretariat_client.post(url, data)

    assert response.status_code == 200
    assert response.context["formset"].forms[1].errors["size"]
    assert not Panel.objects.exists()


def test_panel_is_added_through_the_form_and_panel_create(secretariat_client, cycle):
    dossier = eligible_dossier(cycle)

    response = secretariat_client.post(
        reverse("admin:review_panel_add"),
        {"cycle": cycle.pk, "name": "综合组", "industries": ["C", "F"], "size": "6", "assigned_dossiers": [dossier.pk]},
    )

    assert response.status_code == 302
    panel = Panel.objects.get()
    assert (panel.name, panel.size, panel.industries, list(panel.dossiers.all())) == (
        "综合组",
        6,
        ["C", "F"],
        [dossier],
    )
    assert AuditEvent.objects.filter(action="panel.created").exists()


def test_drawing_through_the_admin_creates_seats_and_stores_a_verified_record(secretariat_client, cycle, secretariat):
    for _ in range(8):
        ExpertFactory()
    panel = services.panel_create(
        cycle=cycle, name="制造业（C）", industries=["C"], dossiers=[eligible_dossier(cycle)], size=5, by=secretariat
    )
    change = reverse("admin:review_panel_change", args=[panel.pk])
    assert secretariat_client.get(change).context["can_draw"] is True

    response = secretariat_client.post(reverse("admin:review_panel_draw", args=[panel.pk]), follow=True)

    panel.refresh_from_db()
    assert panel.is_drawn and panel.drawn_by == secretariat
    assert len(panel.seed) == 32
    members = panel.draw_record["result"]["members"]
    assert list(Seat.objects.filter(panel=panel).order_by("rank").values_list("expert_id", flat=True)) == members
    assert Seat.objects.get(panel=panel, rank=1).is_leader
    assert messages_of(response)[0][0] == message_levels.SUCCESS
    page = secretariat_client.get(change)
    assert page.context["record"]["verified"] is True
    assert page.context["can_draw"] is False
    html = page.content.decode()
    assert 'class="draw-verified"' in html and panel.seed in html
    assert len(page.context["record"]["candidates"]) == 8
    assert reverse("admin:review_panel_draw_record", args=[panel.pk]) in html


def test_the_page_tells_when_a_stored_record_does_not_verify(secretariat_client, cycle, secretariat):
    panel = drawn_panel(cycle, secretariat)
    record = panel.draw_record
    record["result"]["members"] = list(reversed(record["result"]["members"]))
    Panel.objects.filter(pk=panel.pk).update(draw_record=record)

    page = secretariat_client.get(reverse("admin:review_panel_change", args=[panel.pk]))

    assert page.context["record"]["verified"] is False
    assert 'class="draw-not-verified"' in page.content.decode()


def test_a_shortage_names_the_group_and_the_numbers(secretariat_client, cycle, secretariat, committee_member):
    for _ in range(3):
        ExpertFactory()
    ExpertFactory(user=committee_member)
    panel = services.panel_create(
        cycle=cycle, name="制造业（C）", industries=["C"], dossiers=[eligible_dossier(cycle)], size=5, by=secretariat
    )

    response = secretariat_client.post(reverse("admin:review_panel_draw", args=[panel.pk]), follow=True)

    [(level, text)] = messages_of(response)
    assert level == message_levels.ERROR
    assert (
        zh(
            "%(group)s: %(needed)s experts are needed, only %(available)s qualify.",
            group="制造业（C）",
            needed=5,
            available=3,
        )
        in text
    )
    with translation.override("zh-hans"):
        committee = str(draw.Reason.COMMITTEE.label)
    assert zh("%(reason)s: %(count)s", reason=committee, count=1) in text
    panel.refresh_from_db()
    assert not panel.is_drawn and not Seat.objects.exists()


def test_draw_needs_a_post(secretariat_client, cycle, secretariat):
    panel = PanelFactory(cycle=cycle)

    assert secretariat_client.get(reverse("admin:review_panel_draw", args=[panel.pk])).status_code == 405


def test_make_leader(secretariat_client, cycle, secretariat):
    panel = drawn_panel(cycle, secretariat)
    first, second = Seat.objects.filter(panel=panel).order_by("rank")[:2]
    page = secretariat_client.get(reverse("admin:review_panel_change", args=[panel.pk]))
    assert reverse("admin:review_panel_set_leader", args=[panel.pk, second.pk]) in page.content.decode()

    response = secretariat_client.post(
        reverse("admin:review_panel_set_leader", args=[panel.pk, second.pk]), follow=True
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_leader, second.is_leader) == (False, True)
    assert (message_levels.SUCCESS, zh("%(expert)s now leads %(panel)s.", expert=second.expert, panel=panel.name)) in (
        messages_of(response)
    )
    assert AuditEvent.objects.filter(action="panel.leader_set").exists()


def test_a_declined_seat_cannot_lead(secretariat_client, cycle, secretariat):
    panel = drawn_panel(cycle, secretariat)
    seat = Seat.objects.filter(panel=panel).order_by("rank")[2]
    Seat.objects.filter(pk=seat.pk).update(status=SeatStatus.DECLINED)

    response = secretariat_client.post(reverse("admin:review_panel_set_leader", args=[panel.pk, seat.pk]), follow=True)

    seat.refresh_from_db()
    assert not seat.is_leader
    assert messages_of(response)[0][0] == message_levels.ERROR


def test_a_seat_of_another_panel_is_not_found(secretariat_client, cycle, secretariat):
    panel = drawn_panel(cycle, secretariat)
    other = PanelFactory(cycle=cycle)

    seat = Seat.objects.filter(panel=panel).first()
    response = secretariat_client.post(reverse("admin:review_panel_set_leader", args=[other.pk, seat.pk]))

    assert response.status_code == 404


def test_panel_pages_are_view_only(secretariat_client, cycle, secretariat):
    panel = drawn_panel(cycle, secretariat)

    response = secretariat_client.post(
        reverse("admin:review_panel_change", args=[panel.pk]), {"name": "改名", "size": "9"}
    )

    assert response.status_code == 403
    panel.refresh_from_db()
    assert panel.name == "制造业（C）"
    assert secretariat_client.get(reverse("admin:review_panel_delete", args=[panel.pk])).status_code == 403


def test_panel_changelist_counts_the_dossiers(secretariat_client, cycle):
    panel = PanelFactory(cycle=cycle)
    PanelDossier.objects.create(panel=panel, dossier=eligible_dossier(cycle))
    PanelDossier.objects.create(panel=panel, dossier=eligible_dossier(cycle))

    response = secretariat_client.get(reverse("admin:review_panel_changelist"))

    [row] = response.context["cl"].result_list
    assert row.dossier_count == 2


# --- seats and pledges: shown only ---


def test_seats_and_pledges_are_read_only(secretariat_client, cycle):
    seat = SeatFactory(panel=PanelFactory(cycle=cycle), accepted=True)
    pledge = PledgeFactory(expert=seat.expert, cycle=cycle, ip_address="10.1.2.3")

    pledges = secretariat_client.get(reverse("admin:review_pledge_changelist"))
    seat_page = secretariat_client.post(reverse("admin:review_seat_change", args=[seat.pk]), {"status": "declined"})

    assert "10.1.2.3" in pledges.content.decode()
    assert seat_page.status_code == 403
    assert secretariat_client.get(reverse("admin:review_pledge_add")).status_code == 403
    assert secretariat_client.get(reverse("admin:review_pledge_change", args=[pledge.pk])).status_code == 200
    seat.refresh_from_db()
    assert seat.status == SeatStatus.ACCEPTED


# --- who may open the review tools ---


@pytest.mark.parametrize("role", [Role.EXPERT, Role.APPLICANT, Role.COMMITTEE])
def test_non_secretariat_users_get_the_admin_login(client, cycle, role):
    user = UserFactory(roles=[role])
    panel = PanelFactory(cycle=cycle)
    client.force_login(user)
    urls = [
        reverse("admin:review_expert_changelist"),
        reverse("admin:review_expert_import"),
        reverse("admin:review_expert_export"),
        reverse("admin:review_conflict_detect"),
        reverse("admin:review_panel_suggested_groups"),
        reverse("admin:review_panel_change", args=[panel.pk]),
        reverse("admin:review_panel_draw_record", args=[panel.pk]),
    ]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
    response = client.post(reverse("admin:review_panel_draw", args=[panel.pk]))
    assert response["Location"].startswith(reverse("admin:login"))
    panel.refresh_from_db()
    assert not panel.is_drawn


def test_a_staff_user_without_the_secretariat_role_cannot_import(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    admin_instance = ExpertAdmin(Expert, None)
    request = type("Request", (), {"user": staff})()

    assert not admin_instance.has_import_permission(request)
    assert not admin_instance.has_export_permission(request)
    assert client.get(reverse("admin:review_expert_import")).status_code == 403
    assert Group.objects.filter(name=Role.SECRETARIAT).exists()
