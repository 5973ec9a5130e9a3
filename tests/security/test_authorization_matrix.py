"""Who may open what: every URL pattern of the project, for every role, with a declared expectation.

A new URL pattern fails test_every_url_pattern_has_a_row until its row is added here; a new model in the
admin fails test_every_admin_model_has_a_row. Expected values: a status code, or LOGIN for a redirect to
a login page.
"""

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.urls import get_resolver, reverse
from django.utils import timezone

from applications import services as application_services
from applications.models import EligibilityDecision, Invitation, Membership, MisconductFinding, Organisation
from mayor_award.celery import app as celery_app
from mayor_award.core import services
from mayor_award.core.models import Criteria, NoticeAttachment
from review.models import Conflict, Expert, Panel, PanelDossier, Pledge, ScoreSheet, Seat
from tests.factories.core import CycleFactory, NoticeFactory, UserFactory
from tests.security.matrix import extensions
from tests.security.matrix_kit import (
    LOGIN,
    PDF,
    ROLES,
    Row,
    credit_code,
    everyone,
    own_organisation,
    secretariat_only,
    signed_in,
)
from tests.security.world_kit import local_settings

ROWS = [
    Row("home", everyone(200)),
    Row("notice-list", everyone(200)),
    Row("notice-feed", everyone(200)),
    Row("notice-detail", everyone(200), lambda w: {"pk": w["published"].pk}, variant="published"),
    Row("notice-detail", {**everyone(404), "secretariat": 200}, lambda w: {"pk": w["draft"].pk}, variant="draft"),
    Row(
        "notice-attachment",
        everyone(200),
        lambda w: {"notice_pk": w["published"].pk, "pk": w["published_file"].pk},
        variant="published",
    ),
    Row(
        "notice-attachment",
        {**everyone(404), "secretariat": 200},
        lambda w: {"notice_pk": w["draft"].pk, "pk": w["draft_file"].pk},
        variant="draft",
    ),
    Row(
        "notice-attachment",
        everyone(404),
        lambda w: {"notice_pk": w["published"].pk, "pk": w["draft_file"].pk},
        variant="mismatched",
    ),
    Row("applications:register", {**everyone(302), "anonymous": 200}),
    Row("applications:confirm-email", everyone(400), {"uidb64": "MQ", "token": "not-a-token"}),
    Row("applications:accept-invitation", everyone(200), lambda w: {"token": w["invitation"].token}),
    Row("applications:dashboard", {**own_organisation(), "other_applicant": 200}),
    Row(
        "applications:invite",
        {**own_organisation(302), "other_applicant": 302},
        method="post",
        data={"email": "colleague@example.com"},
    ),
    Row("applications:dossier-start", {**own_organisation(302), "other_applicant": 302}, method="post"),
    Row("applications:dossier", own_organisation(), lambda w: {"pk": w["dossier"].pk}),
    Row("applications:section", own_organisation(), lambda w: {"pk": w["dossier"].pk, "key": "basics"}),
    Row("applications:attachments", own_organisation(), lambda w: {"pk": w["dossier"].pk}),
    Row(
        "applications:attachment-delete",
        own_organisation(302),
        method="post",
        kwargs=lambda w: {"pk": w["dossier"].pk, "attachment_pk": w["dossier_file"].pk},
    ),
    Row(
        "applications:attachment",
        # The panel leader sits on the dossier's panel, the expert on another one; neither reads it while the
        # cycle is still open (experts read only during the review phases: tests/review/test_expert_views.py).
        {**own_organisation(), **dict.fromkeys(("expert", "panel_leader", "committee"), 404), "secretariat": 200},
        lambda w: {"dossier_pk": w["dossier"].pk, "pk": w["dossier_file"].pk},
    ),
    Row("applications:submit", own_organisation(), lambda w: {"pk": w["dossier"].pk}),
    Row("applications:withdraw", own_organisation(), lambda w: {"pk": w["dossier"].pk}),
    Row("applications:receipt", own_organisation(404), lambda w: {"pk": w["dossier"].pk}),
    Row("review:dashboard", {**everyone(403), "anonymous": LOGIN, "expert": 200, "panel_leader": 200}),
    Row(
        "review:seat-reply",
        {**everyone(403), "anonymous": LOGIN, "expert": 200, "panel_leader": 404},
        lambda w: {"pk": w["expert_seat"].pk},
    ),
    Row(
        "review:pledge",
        {**everyone(403), "anonymous": LOGIN, "expert": 200, "panel_leader": 200},
        lambda w: {"cycle_pk": w["dossier"].cycle_id},
    ),
    Row(
        "review:dossier",
        {**everyone(403), "anonymous": LOGIN, "expert": 404, "panel_leader": 404},
        lambda w: {"pk": w["dossier"].pk},
    ),
    Row(
        "after-login",
        {**everyone(302), "anonymous": LOGIN},
    ),
    Row(
        "review:score",
        {**everyone(403), "anonymous": LOGIN, "expert": 404, "panel_leader": 404},
        {"pk": 0, "stage": "material"},
    ),
    Row(
        "admin:review_scoresheet_reopen",
        secretariat_only(302),
        lambda w: {"object_id": w["objects"]["review.scoresheet"].pk},
        method="post",
        data={"reason": "误操作"},
    ),
    Row("login", everyone(200)),
    Row("logout", everyone(302), method="post"),
    Row("logout", signed_in(405), variant="get"),
    Row("password_change", signed_in(200)),
    Row("password_change_done", signed_in(200)),
    Row("password_reset", everyone(200)),
    Row("password_reset_done", everyone(200)),
    Row("password_reset_confirm", everyone(200), {"uidb64": "MQ", "token": "set-password"}),
    Row("password_reset_complete", everyone(200)),
    Row("set_language", everyone(302), method="post", data={"language": "en", "next": "/"}),
    # The admin's own pages; the model pages are generated from ADMIN_MODELS below.
    Row("admin:index", secretariat_only()),
    Row("admin:login", {**everyone(200), "secretariat": 302}),
    Row("admin:logout", secretariat_only(302, others=302), method="post"),
    Row("admin:password_change", secretariat_only()),
    Row("admin:password_change_done", secretariat_only()),
    Row("admin:jsi18n", secretariat_only()),
    Row("admin:autocomplete", secretariat_only(403)),
    Row("admin:app_list", secretariat_only(), {"app_label": "core"}),
    Row(
        "admin:view_on_site",
        secretariat_only(302),
        lambda w: {"content_type_id": w["notice_ct"], "object_id": w["published"].pk},
    ),
    Row("admin:<unnamed (?P<url>.*)$>", secretariat_only(404), path=lambda w: "/admin/no-such-page/"),
    Row(
        "admin:<unnamed <path:object_id>/>",
        secretariat_only(302),
        path=lambda w: f"/admin/core/cycle/{w['cycle'].pk}/",
    ),
    Row("admin:core_criteria_correct", secretariat_only(), lambda w: {"object_id": w["cycle"].criteria_id}),
    Row(
        "admin:core_cycle_advance",
        secretariat_only(302),
        lambda w: {"object_id": w["cycle"].pk},
        method="post",
        data={"to": "open"},
    ),
    Row(
        "admin:applications_dossier_decide",
        secretariat_only(302),
        lambda w: {"object_id": w["dossier"].pk},
        method="post",
        data={"kind": "eligible"},
    ),
    # The review tools: the expert pool's Excel import and export, conflict detection, panels and their draw.
    Row("admin:review_expert_import", secretariat_only()),
    Row("admin:review_expert_process_import", secretariat_only(), method="post"),  # no file: the form again
    Row("admin:review_expert_export", secretariat_only()),
    Row("admin:review_conflict_detect", secretariat_only()),
    Row("admin:review_conflict_detect", secretariat_only(), method="post", variant="post"),  # no cycle chosen
    Row("admin:review_panel_suggested_groups", secretariat_only()),
    Row(
        "admin:review_panel_draw",
        secretariat_only(302),  # too few experts: refused with a message
        lambda w: {"object_id": w["expert_seat"].panel_id},
        method="post",
    ),
    Row(
        "admin:review_panel_set_leader",
        secretariat_only(302),
        lambda w: {"object_id": w["expert_seat"].panel_id, "seat_id": w["expert_seat"].pk},
        method="post",
    ),
    Row(
        "admin:review_panel_draw_record",
        secretariat_only(404),  # the panel has not been drawn
        lambda w: {"object_id": w["expert_seat"].panel_id},
    ),
]

# Per admin model: which of its pages the secretariat may open. Everyone else is sent to the admin login.
ADMIN_MODELS = {
    "core.cycle": {"changelist": 200, "add": 200, "change": 200, "history": 200, "delete": 403, "simple_history": 200},
    "core.notice": {"changelist": 200, "add": 200, "change": 200, "history": 200, "delete": 200, "simple_history": 200},
    "core.user": {
        "changelist": 200,
        "add": 200,
        "change": 200,
        "history": 200,
        "delete": 403,
        "password_change": 200,
        "simple_history": 200,
    },
    "core.criteria": {"changelist": 200, "add": 403, "change": 200, "history": 200, "delete": 403},
    "core.auditevent": {"changelist": 200, "add": 403, "change": 200, "history": 200, "delete": 403},
    "applications.organisation": {
        "changelist": 200,
        "add": 403,
        "change": 200,
        "history": 200,
        "delete": 403,
        "simple_history": 200,
    },
    "applications.dossier": {
        "changelist": 200,
        "add": 403,
        "change": 200,
        "history": 200,
        "delete": 403,
        "simple_history": 200,
    },
    "applications.membership": {"changelist": 200, "add": 403, "change": 200, "history": 200, "delete": 403},
    "applications.invitation": {"changelist": 200, "add": 403, "change": 200, "history": 200, "delete": 403},
    "applications.eligibilitydecision": {"changelist": 200, "add": 403, "change": 200, "history": 200, "delete": 403},
    "applications.misconductfinding": {"changelist": 200, "add": 200, "change": 200, "history": 200, "delete": 403},
    "review.expert": {
        "changelist": 200,
        "add": 200,
        "change": 200,
        "history": 200,
        "delete": 403,
        "simple_history": 200,
    },
    # Conflicts are evidence (shown, never changed); panels change only through their draw and leader buttons.
    "review.conflict": {"changelist": 200, "add": 200, "change": 200, "history": 200, "delete": 403},
    "review.panel": {
        "changelist": 200,
        "add": 200,
        "change": 200,
        "history": 200,
        "delete": 403,
        "simple_history": 200,
    },
    "review.seat": {"changelist": 200, "add": 403, "change": 200, "history": 200, "delete": 403, "simple_history": 200},
    "review.pledge": {"changelist": 200, "add": 403, "change": 200, "history": 200, "delete": 403},
    # Groups are the roles: only a superuser manages them. Lockout records belong to the security admin.
    "review.scoresheet": {"changelist": 200, "add": 403, "change": 200, "history": 200, "delete": 403},
    "auth.group": {"changelist": 403, "add": 403, "change": 403, "history": 403, "delete": 403},
    "axes.accessattempt": {"changelist": 403, "add": 403, "change": 403, "history": 403, "delete": 403},
    "axes.accesslog": {"changelist": 403, "add": 403, "change": 403, "history": 403, "delete": 403},
    "axes.accessfailurelog": {"changelist": 403, "add": 403, "change": 403, "history": 403, "delete": 403},
}
OBJECT_PAGES = {"change", "history", "delete", "password_change", "simple_history"}


def admin_rows():
    rows = []
    for label, pages in ADMIN_MODELS.items():
        app_label, model = label.split(".")
        for page, status in pages.items():
            url_name = f"admin:{app_label}_{model}_{page}"
            if page == "password_change":
                url_name = "admin:auth_user_password_change"
            rows.append(Row(url_name, secretariat_only(status), _admin_kwargs(label, page), variant=label))
    return rows


def _admin_kwargs(label, page):
    if page not in OBJECT_PAGES:
        return {}

    def kwargs(world):
        obj = world["objects"][label]
        if page == "password_change":
            return {"id": obj.pk}
        if page == "simple_history":
            return (obj.pk, obj.history.earliest().history_id)  # simple-history's pattern is positional
        return {"object_id": obj.pk}

    return kwargs


EXTENSIONS = extensions()
for _extension in EXTENSIONS:
    ROWS += getattr(_extension, "ROWS", [])
    ADMIN_MODELS.update(getattr(_extension, "ADMIN_MODELS", {}))
ALL_ROWS = ROWS + admin_rows()


def url_names(patterns, namespace=""):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern.url_patterns, inner)
        else:
            yield f"{namespace}{pattern.name}" if pattern.name else f"{namespace}<unnamed {pattern.pattern}>"


def test_every_url_pattern_has_a_row():
    declared = {row.name for row in ALL_ROWS}
    missing = sorted(set(url_names(get_resolver().url_patterns)) - declared)

    assert missing == [], f"URL patterns without a row in the authorization matrix: {missing}"


def test_every_admin_model_has_a_row():
    registered = {model._meta.label_lower for model in admin.site._registry}

    assert registered == set(ADMIN_MODELS)


@pytest.fixture(scope="module")
def matrix_private_root(tmp_path_factory):
    return tmp_path_factory.mktemp("matrix-private")


def _local_settings(root):
    return local_settings(root, cache_location="matrix")


@pytest.fixture(autouse=True)
def _fast_and_local(_fast_and_local, settings, matrix_private_root):
    """The world's files live in one folder for the whole module, where its downloads find them."""
    for name, value in _local_settings(matrix_private_root).items():
        if name != "CACHES":  # each case keeps the fresh cache the project's conftest gives it
            setattr(settings, name, value)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, matrix_private_root):
    """Built once per module inside a transaction that is rolled back at the end; each case runs in a savepoint
    of it (pytest-django's `db`), so what a case changes is undone before the next one."""
    with django_db_blocker.unblock(), override_settings(**_local_settings(matrix_private_root)):
        eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            celery_app.conf.task_always_eager = eager


def _build_world():
    secretariat = UserFactory(username="matrix-secretariat", roles=["secretariat"], is_staff=True)
    users = {
        "anonymous": None,
        "applicant": UserFactory(username="matrix-applicant", roles=["applicant"]),
        "other_applicant": UserFactory(username="matrix-other-applicant", roles=["applicant"]),
        "expert": UserFactory(username="matrix-expert", roles=["expert"]),
        "panel_leader": UserFactory(username="matrix-leader", roles=["expert"]),
        "committee": UserFactory(username="matrix-committee", roles=["committee"]),
        "secretariat": secretariat,
    }
    cycle = CycleFactory(number=1, year=2020)
    open_cycle = CycleFactory(
        number=2, year=2022, phase="open", application_deadline=timezone.now() + dt.timedelta(days=30)
    )
    organisation = Organisation.objects.create(
        name="甲公司",
        credit_code=credit_code("000000001"),
        kind="for_profit",
        legal_form="enterprise",
        registered_in_luohe_since=dt.date(2010, 1, 1),
        registration_area="yuanhui",
        industry_section="C",
        address="漯河",
        legal_representative="甲",
        contact_name="甲",
        contact_phone="1",
        contact_email="a@example.com",
    )
    other = Organisation.objects.create(
        name="乙公司",
        credit_code=credit_code("000000002"),
        kind="for_profit",
        legal_form="enterprise",
        registered_in_luohe_since=dt.date(2010, 1, 1),
        registration_area="yuanhui",
        industry_section="C",
        address="漯河",
        legal_representative="乙",
        contact_name="乙",
        contact_phone="1",
        contact_email="b@example.com",
    )
    Membership.objects.create(user=users["applicant"], organisation=organisation)
    Membership.objects.create(user=users["other_applicant"], organisation=other)
    dossier = application_services.dossier_start(cycle=open_cycle, organisation=organisation, by=users["applicant"])
    dossier_file = application_services.attachment_add(
        dossier=dossier,
        purpose="business_licence",
        title="营业执照",
        upload=SimpleUploadedFile("执照.pdf", PDF),
        kind="pdf",
        by=users["applicant"],
    )
    invitation = Invitation.objects.create(
        organisation=organisation, email="new@example.com", invited_by=users["applicant"]
    )
    # Panels: the leader reads the world's dossier; the expert sits on the other organisation's panel.
    other_dossier = application_services.dossier_start(
        cycle=open_cycle, organisation=other, by=users["other_applicant"]
    )
    expert_seat = None
    for role, panel_dossier in (("panel_leader", dossier), ("expert", other_dossier)):
        expert = Expert.objects.create(user=users[role], employer="评审专家单位", industries=["C"])
        panel = Panel.objects.create(cycle=open_cycle, name=f"{role}组", industries=["C"], size=5)
        PanelDossier.objects.create(panel=panel, dossier=panel_dossier)
        seat = Seat.objects.create(panel=panel, expert=expert, status="accepted", is_leader=role == "panel_leader")
        Pledge.objects.create(expert=expert, cycle=open_cycle, text="承诺")
        expert_seat = seat if role == "expert" else expert_seat
    published = NoticeFactory(cycle=cycle, published=True)
    draft = NoticeFactory(cycle=cycle)
    audit = services.audit_record(actor=secretariat, action="test.matrix", obj=cycle)

    def attach(notice):
        return NoticeAttachment.objects.create(
            notice=notice,
            title="附件",
            file=SimpleUploadedFile("a.pdf", PDF),
            original_name="附件.pdf",
            content_type="application/pdf",
            size=len(PDF),
        )

    from django.contrib.contenttypes.models import ContentType

    built = {
        "users": users,
        "dossier": dossier,
        "other_dossier": other_dossier,
        "organisation": organisation,
        "other_organisation": other,
        "open_cycle": open_cycle,
        "leader_seat": Seat.objects.get(expert__user=users["panel_leader"]),
        "dossier_file": dossier_file,
        "invitation": invitation,
        "expert_seat": expert_seat,
        "cycle": cycle,
        "published": published,
        "draft": draft,
        "published_file": attach(published),
        "draft_file": attach(draft),
        "notice_ct": ContentType.objects.get_for_model(published).pk,
        "objects": {
            "core.cycle": cycle,
            "core.notice": draft,
            "core.user": users["applicant"],
            "core.auditevent": audit,
            "auth.group": Group.objects.get(name="expert"),
            "core.criteria": Criteria.objects.latest_published(),
            "applications.organisation": organisation,
            "applications.dossier": dossier,
            "applications.membership": Membership.objects.get(user=users["applicant"]),
            "applications.invitation": invitation,
            "applications.eligibilitydecision": EligibilityDecision.objects.create(
                dossier=dossier, kind="eligible", decided_by=secretariat
            ),
            "applications.misconductfinding": MisconductFinding.objects.create(
                organisation=other, cycle=cycle, description="伪造材料", recorded_by=secretariat
            ),
            "review.expert": Expert.objects.get(user=users["expert"]),
            "review.conflict": Conflict.objects.create(
                expert=Expert.objects.get(user=users["expert"]), organisation=organisation, kind="recorded"
            ),
            "review.panel": expert_seat.panel,
            "review.seat": expert_seat,
            "review.pledge": Pledge.objects.get(expert__user=users["expert"]),
            "review.scoresheet": ScoreSheet.objects.create(
                seat=expert_seat,
                dossier=other_dossier,
                stage="material",
                state="submitted",
                submitted_at=timezone.now(),
            ),
            "axes.accessattempt": AccessAttempt.objects.create(
                username="x", ip_address="10.0.0.1", failures_since_start=1
            ),
            "axes.accesslog": AccessLog.objects.create(username="x", ip_address="10.0.0.1"),
            "axes.accessfailurelog": AccessFailureLog.objects.create(username="x", ip_address="10.0.0.1"),
        },
    }
    for extension in EXTENSIONS:
        if hasattr(extension, "extend_world"):
            extra = extension.extend_world(built)
            built["objects"].update(extra.pop("objects", {}))
            built.update(extra)
    return built


CASES = [(row, role) for row in ALL_ROWS for role in ROLES]


@pytest.mark.parametrize(("row", "role"), CASES, ids=[f"{row.id}-{role}" for row, role in CASES])
def test_authorization_matrix(db, client, world, row, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    if row.path:
        url = row.path(world)
    else:
        arguments = row.kwargs(world) if callable(row.kwargs) else row.kwargs
        url = reverse(row.name, **({"kwargs": arguments} if isinstance(arguments, dict) else {"args": arguments}))
    expected = row.expected[role]

    response = getattr(client, row.method)(url, row.data)
    # Closes a downloaded file. Its request_finished signal must not reach close_old_connections, which would close
    # the connection and with it the transaction that holds the module's world.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)

    if expected == LOGIN:
        assert response.status_code == 302, (url, response.status_code)
        assert "/login/" in response["Location"], (url, response["Location"])
    else:
        assert response.status_code == expected, (url, role, response.status_code)
