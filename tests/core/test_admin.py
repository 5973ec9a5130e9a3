"""The secretariat's admin: advancing a cycle, writing notices, and what it may not touch."""

import pytest
from django.contrib.messages import constants as message_levels
from django.test import Client
from django.urls import reverse
from django.utils import translation

from mayor_award.core import lifecycle
from mayor_award.core.enums import CyclePhase, NoticeKind, NoticeState
from mayor_award.core.models import AuditEvent, Cycle, Notice, NoticeAttachment
from mayor_award.core.services import audit_record
from tests.factories.core import CycleFactory, NoticeFactory, UserFactory

from .conftest import PDF_BYTES

pytestmark = pytest.mark.django_db

ATTACHMENTS_NONE = {
    "attachments-TOTAL_FORMS": "0",
    "attachments-INITIAL_FORMS": "0",
    "attachments-MIN_NUM_FORMS": "0",
    "attachments-MAX_NUM_FORMS": "1000",
}


def messages_of(response):
    return [(message.level, str(message)) for message in response.context["messages"]]


def notice_form_data(**fields):
    """What the admin add form posts for a notice without a time, plus `fields`."""
    return {
        "cycle": "",
        "kind": NoticeKind.GENERAL,
        "title": "关于召开申报培训会的通知",
        "body": "定于下周三上午举办申报培训。",
        "state": NoticeState.SCHEDULED,
        "publish_at_0": "",
        "publish_at_1": "",
        "_save": "Save",
        **ATTACHMENTS_NONE,
        **fields,
    }


# --- every core admin page renders for the secretariat ---


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:index",
        "admin:core_cycle_changelist",
        "admin:core_cycle_add",
        "admin:core_notice_changelist",
        "admin:core_notice_add",
        "admin:core_user_changelist",
        "admin:core_user_add",
        "admin:core_auditevent_changelist",
    ],
)
def test_admin_page_renders_for_the_secretariat(secretariat_client, url_name):
    CycleFactory(phase=CyclePhase.OPEN)
    NoticeFactory(published=True)

    assert secretariat_client.get(reverse(url_name)).status_code == 200


# --- advancing a cycle ---


def test_cycle_advance_view_without_announcement_refused_with_art_14(secretariat_client):
    cycle = CycleFactory(phase=CyclePhase.DRAFT)
    change_url = reverse("admin:core_cycle_change", args=[cycle.pk])
    with translation.override("zh-hans"):
        reasons = [
            str(reason)
            for reason in lifecycle.transition_problems(
                current=CyclePhase.DRAFT, target=CyclePhase.OPEN, announcement_published=False
            )
        ]

    response = secretariat_client.post(
        reverse("admin:core_cycle_advance", args=[cycle.pk]), {"to": CyclePhase.OPEN}, follow=True
    )

    assert response.redirect_chain == [(change_url, 302)]
    assert messages_of(response) == [(message_levels.ERROR, reason) for reason in reasons]
    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.DRAFT
    assert AuditEvent.objects.filter(action="cycle.phase_changed").count() == 0


def test_cycle_advance_view_with_published_announcement_opens_the_cycle(secretariat_client, secretariat):
    cycle = CycleFactory(phase=CyclePhase.DRAFT)
    NoticeFactory(cycle=cycle, kind=NoticeKind.CYCLE_ANNOUNCEMENT, published=True)

    response = secretariat_client.post(
        reverse("admin:core_cycle_advance", args=[cycle.pk]), {"to": CyclePhase.OPEN}, follow=True
    )

    assert response.redirect_chain == [(reverse("admin:core_cycle_change", args=[cycle.pk]), 302)]
    assert [level for level, _text in messages_of(response)] == [message_levels.SUCCESS]
    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.OPEN
    assert AuditEvent.objects.get(action="cycle.phase_changed").actor == secretariat


def test_cycle_advance_view_unknown_phase_refused(secretariat_client):
    cycle = CycleFactory(phase=CyclePhase.OPEN)

    response = secretariat_client.post(
        reverse("admin:core_cycle_advance", args=[cycle.pk]), {"to": "finished"}, follow=True
    )

    assert [level for level, _text in messages_of(response)] == [message_levels.ERROR]
    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.OPEN


def test_cycle_advance_view_get_not_allowed(secretariat_client):
    cycle = CycleFactory(phase=CyclePhase.OPEN)

    response = secretariat_client.get(reverse("admin:core_cycle_advance", args=[cycle.pk]))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.OPEN


def test_cycle_advance_view_staff_without_secretariat_role_forbidden(client):
    cycle = CycleFactory(phase=CyclePhase.OPEN)
    client.force_login(UserFactory(is_staff=True, roles=["expert"]))

    response = client.post(reverse("admin:core_cycle_advance", args=[cycle.pk]), {"to": CyclePhase.ELIGIBILITY})

    assert response.status_code == 403
    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.OPEN


def test_cycle_advance_view_applicant_sent_to_admin_login(applicant_client):
    cycle = CycleFactory(phase=CyclePhase.OPEN)

    response = applicant_client.post(
        reverse("admin:core_cycle_advance", args=[cycle.pk]), {"to": CyclePhase.ELIGIBILITY}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.OPEN


def test_cycle_change_page_shows_the_next_phase_button(secretariat_client):
    cycle = CycleFactory(phase=CyclePhase.DRAFT)
    secretariat_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = secretariat_client.get(reverse("admin:core_cycle_change", args=[cycle.pk]))

    assert response.status_code == 200
    assert response.context["next_phase"] == CyclePhase.OPEN
    assert response.context["can_advance"] is True
    assert 'id="advance-form"' in response.text
    assert 'value="Move to the next phase: Open for applications"' in response.text


def test_cycle_change_page_closed_cycle_has_no_button(secretariat_client):
    cycle = CycleFactory(phase=CyclePhase.CLOSED)

    response = secretariat_client.get(reverse("admin:core_cycle_change", args=[cycle.pk]))

    assert response.context["next_phase"] is None
    assert 'id="advance-form"' not in response.text


def test_cycle_change_page_lists_phase_changes(secretariat_client):
    cycle = CycleFactory(phase=CyclePhase.DRAFT)
    NoticeFactory(cycle=cycle, kind=NoticeKind.CYCLE_ANNOUNCEMENT, published=True)
    secretariat_client.post(reverse("admin:core_cycle_advance", args=[cycle.pk]), {"to": CyclePhase.OPEN})

    response = secretariat_client.get(reverse("admin:core_cycle_change", args=[cycle.pk]))

    assert [(event.from_label, event.to_label) for event in response.context["phase_events"]] == [
        (CyclePhase.DRAFT.label, CyclePhase.OPEN.label)
    ]


RULE_FIELDS = [
    "award_quota",
    "prize_amount",
    "panel_min_size",
    "publicity_min_days",
    "onsite_score_weight",
    "slate_ratio",
    "pass_ratio",
    "quorum_ratio",
]


def test_cycle_change_page_draft_rules_editable(secretariat_client):
    cycle = CycleFactory(phase=CyclePhase.DRAFT)

    response = secretariat_client.get(reverse("admin:core_cycle_change", args=[cycle.pk]))

    form_fields = response.context["adminform"].form.fields
    assert [name for name in RULE_FIELDS if name in form_fields] == RULE_FIELDS


@pytest.mark.parametrize("phase", [CyclePhase.OPEN, CyclePhase.PUBLICITY, CyclePhase.CLOSED], ids=str)
def test_cycle_change_page_rules_read_only_after_draft(secretariat_client, phase):
    cycle = CycleFactory(phase=phase)

    response = secretariat_client.get(reverse("admin:core_cycle_change", args=[cycle.pk]))

    form_fields = response.context["adminform"].form.fields
    assert [name for name in RULE_FIELDS if name in form_fields] == []


def test_cycle_change_post_cannot_change_rules_after_draft(secretariat_client):
    cycle = CycleFactory(phase=CyclePhase.OPEN, title="第一届漯河市市长质量奖")

    secretariat_client.post(
        reverse("admin:core_cycle_change", args=[cycle.pk]),
        {"panel_min_size": "9", "prize_amount": "1", "title": "改名", "_save": "Save"},
    )

    cycle.refresh_from_db()
    assert (cycle.panel_min_size, cycle.prize_amount, cycle.title) == (
        5,
        lifecycle.DEFAULT_PRIZE_YUAN,
        "第一届漯河市市长质量奖",
    )


# --- notices ---


def test_notice_add_scheduled_without_time_published_on_the_public_site(
    secretariat_client, secretariat, django_capture_on_commit_callbacks, make_upload
):
    data = notice_form_data(
        **{
            "attachments-TOTAL_FORMS": "1",
            "attachments-0-title": "申报指南",
            "attachments-0-file": make_upload("../申报指南.pdf", PDF_BYTES, content_type="application/pdf"),
        }
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = secretariat_client.post(reverse("admin:core_notice_add"), data)

    notice = Notice.objects.get()
    attachment = NoticeAttachment.objects.get()
    assert response.status_code == 302
    assert (notice.state, notice.created_by) == (NoticeState.PUBLISHED, secretariat)
    assert (attachment.notice, attachment.original_name, attachment.size) == (notice, "申报指南.pdf", len(PDF_BYTES))
    assert Client().get(notice.get_absolute_url()).status_code == 200


def test_notice_add_draft_not_published(secretariat_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        secretariat_client.post(reverse("admin:core_notice_add"), notice_form_data(state=NoticeState.DRAFT))

    notice = Notice.objects.get()
    assert notice.state == NoticeState.DRAFT
    assert Client().get(notice.get_absolute_url()).status_code == 404


def test_notice_add_published_state_not_offered(secretariat_client):
    response = secretariat_client.post(reverse("admin:core_notice_add"), notice_form_data(state=NoticeState.PUBLISHED))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["state"]
    assert Notice.objects.count() == 0


def test_notice_add_renamed_executable_refused(secretariat_client, make_upload):
    data = notice_form_data(
        **{
            "attachments-TOTAL_FORMS": "1",
            "attachments-0-title": "材料",
            "attachments-0-file": make_upload("材料.pdf", b"MZ\x90\x00" + b"\x00" * 60),
        }
    )

    response = secretariat_client.post(reverse("admin:core_notice_add"), data)

    attachment_errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert response.status_code == 200
    assert [error.code for error in attachment_errors["file"].as_data()] == ["wrong_kind"]
    assert Notice.objects.count() == 0


def test_notice_change_page_of_published_notice_is_view_only(secretariat_client):
    notice = NoticeFactory(published=True)

    response = secretariat_client.get(reverse("admin:core_notice_change", args=[notice.pk]))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in response.text


def test_notice_change_post_on_published_notice_forbidden(secretariat_client):
    notice = NoticeFactory(published=True, title="原标题")

    response = secretariat_client.post(
        reverse("admin:core_notice_change", args=[notice.pk]), notice_form_data(title="篡改的标题")
    )

    assert response.status_code == 403
    assert Notice.objects.get(pk=notice.pk).title == "原标题"


def test_notice_delete_of_published_notice_forbidden(secretariat_client):
    notice = NoticeFactory(published=True)

    response = secretariat_client.post(reverse("admin:core_notice_delete", args=[notice.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Notice.objects.filter(pk=notice.pk).count() == 1


def test_notice_change_of_draft_is_saved_and_audited(secretariat_client, secretariat):
    notice = NoticeFactory(state=NoticeState.DRAFT)

    response = secretariat_client.post(
        reverse("admin:core_notice_change", args=[notice.pk]),
        notice_form_data(title="修改后的标题", state=NoticeState.DRAFT),
    )

    assert response.status_code == 302
    assert Notice.objects.get(pk=notice.pk).title == "修改后的标题"
    assert list(AuditEvent.objects.values_list("action", "actor")) == [("notice.changed", secretariat.pk)]


# --- users and the audit trail ---


def test_user_change_of_superuser_by_secretariat_forbidden(secretariat_client):
    superuser = UserFactory(username="root-admin", is_superuser=True, is_staff=True, name="超级管理员")

    response = secretariat_client.post(
        reverse("admin:core_user_change", args=[superuser.pk]),
        {"username": "root-admin", "name": "被改名", "is_active": "on", "_save": "Save"},
    )

    assert response.status_code == 403
    superuser.refresh_from_db()
    assert (superuser.name, superuser.is_active) == ("超级管理员", True)


def test_user_password_change_of_superuser_by_secretariat_forbidden(secretariat_client):
    superuser = UserFactory(username="root-admin", is_superuser=True, is_staff=True)
    old_hash = superuser.password

    response = secretariat_client.post(
        reverse("admin:auth_user_password_change", args=[superuser.pk]),
        {"password1": "Taken-Over-2026", "password2": "Taken-Over-2026"},
    )

    assert response.status_code == 403
    assert type(superuser).objects.get(pk=superuser.pk).password == old_hash


def test_user_change_of_ordinary_user_by_secretariat_allowed(secretariat_client):
    expert = UserFactory(username="expert-x", roles=["expert"], name="王建国")

    response = secretariat_client.post(
        reverse("admin:core_user_change", args=[expert.pk]),
        {
            "username": "expert-x",
            "name": "王建国（更正）",
            "email": "",
            "phone": "",
            "is_active": "on",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    assert type(expert).objects.get(pk=expert.pk).name == "王建国（更正）"


def test_user_change_form_of_secretariat_offers_no_superuser_flag(secretariat_client):
    expert = UserFactory(roles=["expert"])

    response = secretariat_client.get(reverse("admin:core_user_change", args=[expert.pk]))

    assert "is_superuser" not in response.context["adminform"].form.fields
    assert "is_staff" not in response.context["adminform"].form.fields


def test_audit_event_admin_is_read_only(secretariat_client):
    cycle = CycleFactory(phase=CyclePhase.OPEN)
    event = AuditEvent.objects.create(
        action="cycle.phase_changed",
        object_type="core.cycle",
        object_id=str(cycle.pk),
        object_repr=str(cycle),
        data={"from": "draft", "to": "open"},
    )

    change = secretariat_client.get(reverse("admin:core_auditevent_change", args=[event.pk]))
    add = secretariat_client.get(reverse("admin:core_auditevent_add"))
    delete = secretariat_client.post(reverse("admin:core_auditevent_delete", args=[event.pk]), {"post": "yes"})

    assert (change.status_code, add.status_code, delete.status_code) == (200, 403, 403)
    assert change.context["has_change_permission"] is False
    assert AuditEvent.objects.filter(pk=event.pk).count() == 1


def test_audit_trail_filters_name_actions_and_object_types_in_words(client):
    staff = UserFactory(roles=["secretariat"], is_staff=True)
    audit_record(actor=staff, action="cycle.phase_changed", obj=CycleFactory(), data={})
    client.force_login(staff)

    response = client.get(reverse("admin:core_auditevent_changelist"))

    assert response.status_code == 200
    assert "评审届次阶段变更" in response.text
    assert ">cycle.phase_changed<" not in response.text
    assert ">core.cycle<" not in response.text
    assert AuditEvent.objects.count() == 1
