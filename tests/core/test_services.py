"""Core services: moving a cycle through its phases, saving and publishing notices."""

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from kombu.exceptions import OperationalError

from mayor_award.core import lifecycle, services
from mayor_award.core.enums import CyclePhase, NoticeKind, NoticeState
from mayor_award.core.models import AuditEvent, Cycle, Notice
from mayor_award.core.signals import cycle_phase_entered, cycle_phase_exit
from mayor_award.core.tasks import task_publish_due_notices, task_publish_notice
from tests.factories.core import CycleFactory, NoticeFactory

pytestmark = pytest.mark.django_db


def actions_of(obj):
    """The audit actions recorded for `obj`, oldest first."""
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


@pytest.fixture
def phase_entered():
    """Record every cycle_phase_entered signal as (cycle pk, from, to)."""
    received = []

    def receiver(sender, cycle, from_phase, to_phase, **kwargs):
        received.append((cycle.pk, from_phase, to_phase))

    cycle_phase_entered.connect(receiver, dispatch_uid="test-phase-entered")
    yield received
    cycle_phase_entered.disconnect(dispatch_uid="test-phase-entered")


@pytest.fixture
def panel_veto():
    """An app's guard that refuses to leave the on-site review, and records what it was asked."""
    asked = []

    def receiver(sender, cycle, from_phase, to_phase, **kwargs):
        asked.append((cycle.pk, from_phase, to_phase))
        return ["Not every panel has five experts (Art. 7)."]

    cycle_phase_exit.connect(receiver, dispatch_uid="test-panel-veto")
    yield asked
    cycle_phase_exit.disconnect(dispatch_uid="test-panel-veto")


# --- cycle_advance ---


def test_cycle_advance_moves_one_step(secretariat):
    cycle = CycleFactory(phase=CyclePhase.OPEN, application_deadline=timezone.now() - dt.timedelta(days=1))

    result = services.cycle_advance(cycle=cycle, to=CyclePhase.ELIGIBILITY, by=secretariat)

    cycle.refresh_from_db()
    assert cycle.phase == CyclePhase.ELIGIBILITY
    assert result.phase == CyclePhase.ELIGIBILITY
    assert cycle.phase_changed_at is not None


def test_cycle_advance_records_an_audit_event(secretariat):
    cycle = CycleFactory(phase=CyclePhase.OPEN, application_deadline=timezone.now() - dt.timedelta(days=1))

    services.cycle_advance(cycle=cycle, to=CyclePhase.ELIGIBILITY, by=secretariat)

    event = AuditEvent.objects.get()
    assert (event.action, event.object_type, event.object_id, event.actor, event.data) == (
        "cycle.phase_changed",
        "core.cycle",
        str(cycle.pk),
        secretariat,
        {"from": "open", "to": "eligibility"},
    )


def test_cycle_advance_writes_history_with_the_user(secretariat):
    cycle = CycleFactory(phase=CyclePhase.OPEN, application_deadline=timezone.now() - dt.timedelta(days=1))

    services.cycle_advance(cycle=cycle, to=CyclePhase.ELIGIBILITY, by=secretariat)

    latest = cycle.history.order_by("-history_id").first()
    assert (latest.phase, latest.history_user, latest.history_type) == (CyclePhase.ELIGIBILITY, secretariat, "~")


def test_cycle_advance_skipping_a_phase_refused(secretariat):
    cycle = CycleFactory(phase=CyclePhase.OPEN, application_deadline=timezone.now() - dt.timedelta(days=1))

    with pytest.raises(services.CycleTransitionRefused) as excinfo:
        services.cycle_advance(cycle=cycle, to=CyclePhase.MATERIAL_REVIEW, by=secretariat)

    assert len(excinfo.value.reasons) == 1
    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.OPEN
    assert AuditEvent.objects.count() == 0


def test_cycle_advance_backwards_refused(secretariat):
    cycle = CycleFactory(phase=CyclePhase.ELIGIBILITY)

    with pytest.raises(services.CycleTransitionRefused):
        services.cycle_advance(cycle=cycle, to=CyclePhase.OPEN, by=secretariat)

    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.ELIGIBILITY


def test_cycle_advance_opening_without_announcement_refused_with_art_14(secretariat):
    cycle = CycleFactory(phase=CyclePhase.DRAFT)
    NoticeFactory(cycle=cycle, kind=NoticeKind.CYCLE_ANNOUNCEMENT, state=NoticeState.SCHEDULED)
    NoticeFactory(cycle=cycle, kind=NoticeKind.GENERAL, published=True)

    with translation.override("en"), pytest.raises(services.CycleTransitionRefused) as excinfo:
        services.cycle_advance(cycle=cycle, to=CyclePhase.OPEN, by=secretariat)

    assert excinfo.value.reasons == ["The cycle announcement must be published before applications open (Art. 14)."]
    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.DRAFT


def test_cycle_advance_reasons_are_in_the_users_language(secretariat):
    cycle = CycleFactory(phase=CyclePhase.DRAFT)
    with translation.override("zh-hans"):
        expected = [
            str(reason)
            for reason in lifecycle.transition_problems(
                current=CyclePhase.DRAFT, target=CyclePhase.OPEN, announcement_published=False
            )
        ]

    with translation.override("zh-hans"), pytest.raises(services.CycleTransitionRefused) as excinfo:
        services.cycle_advance(cycle=cycle, to=CyclePhase.OPEN, by=secretariat)

    assert excinfo.value.reasons == expected


def test_cycle_advance_announcement_of_another_cycle_does_not_count(secretariat):
    cycle = CycleFactory(number=2, phase=CyclePhase.DRAFT)
    NoticeFactory(cycle=CycleFactory(number=1), kind=NoticeKind.CYCLE_ANNOUNCEMENT, published=True)

    with pytest.raises(services.CycleTransitionRefused):
        services.cycle_advance(cycle=cycle, to=CyclePhase.OPEN, by=secretariat)

    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.DRAFT


def test_cycle_advance_opening_with_published_announcement(secretariat):
    cycle = CycleFactory(phase=CyclePhase.DRAFT)
    NoticeFactory(cycle=cycle, kind=NoticeKind.CYCLE_ANNOUNCEMENT, published=True)

    services.cycle_advance(cycle=cycle, to=CyclePhase.OPEN, by=secretariat)

    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.OPEN


def test_cycle_advance_vetoed_by_a_receiver(secretariat, panel_veto):
    cycle = CycleFactory(phase=CyclePhase.ONSITE_REVIEW)

    with pytest.raises(services.CycleTransitionRefused) as excinfo:
        services.cycle_advance(cycle=cycle, to=CyclePhase.DELIBERATION, by=secretariat)

    assert excinfo.value.reasons == ["Not every panel has five experts (Art. 7)."]
    assert panel_veto == [(cycle.pk, CyclePhase.ONSITE_REVIEW, CyclePhase.DELIBERATION)]
    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.ONSITE_REVIEW
    assert AuditEvent.objects.count() == 0


def test_cycle_advance_receivers_not_asked_about_an_illegal_move(secretariat, panel_veto):
    cycle = CycleFactory(phase=CyclePhase.ONSITE_REVIEW)

    with pytest.raises(services.CycleTransitionRefused):
        services.cycle_advance(cycle=cycle, to=CyclePhase.CLOSED, by=secretariat)

    assert panel_veto == []


def test_cycle_advance_receiver_returning_none_lets_it_go(secretariat):
    cycle = CycleFactory(phase=CyclePhase.ONSITE_REVIEW)

    def receiver(sender, **kwargs):
        return None

    cycle_phase_exit.connect(receiver, dispatch_uid="test-no-objection")
    try:
        services.cycle_advance(cycle=cycle, to=CyclePhase.DELIBERATION, by=secretariat)
    finally:
        cycle_phase_exit.disconnect(dispatch_uid="test-no-objection")

    assert Cycle.objects.get(pk=cycle.pk).phase == CyclePhase.DELIBERATION


def test_cycle_advance_phase_entered_sent_after_commit(secretariat, phase_entered, django_capture_on_commit_callbacks):
    cycle = CycleFactory(phase=CyclePhase.OPEN, application_deadline=timezone.now() - dt.timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True):
        services.cycle_advance(cycle=cycle, to=CyclePhase.ELIGIBILITY, by=secretariat)
        assert phase_entered == []

    assert phase_entered == [(cycle.pk, CyclePhase.OPEN, CyclePhase.ELIGIBILITY)]


def test_cycle_advance_refused_sends_no_phase_entered(secretariat, phase_entered, django_capture_on_commit_callbacks):
    cycle = CycleFactory(phase=CyclePhase.OPEN, application_deadline=timezone.now() - dt.timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.CycleTransitionRefused):
        services.cycle_advance(cycle=cycle, to=CyclePhase.CLOSED, by=secretariat)

    assert phase_entered == []


# --- notice_save ---


def test_notice_save_scheduled_without_time_published_on_commit(secretariat, django_capture_on_commit_callbacks):
    notice = NoticeFactory.build(state=NoticeState.SCHEDULED, publish_at=None)
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.notice_save(notice=notice, by=secretariat)
        assert Notice.objects.get(pk=notice.pk).state == NoticeState.SCHEDULED

    notice.refresh_from_db()
    assert len(callbacks) == 1
    assert notice.state == NoticeState.PUBLISHED
    assert before <= notice.publish_at <= notice.published_at
    assert notice.created_by == secretariat
    assert actions_of(notice) == ["notice.created", "notice.published"]


def test_notice_save_future_notice_stays_scheduled(secretariat, django_capture_on_commit_callbacks):
    publish_at = timezone.now() + dt.timedelta(days=1)
    notice = NoticeFactory.build(state=NoticeState.SCHEDULED, publish_at=publish_at)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.notice_save(notice=notice, by=secretariat)

    notice.refresh_from_db()
    assert callbacks == []
    assert (notice.state, notice.publish_at, notice.published_at) == (NoticeState.SCHEDULED, publish_at, None)


def test_notice_save_draft_not_published(secretariat, django_capture_on_commit_callbacks):
    notice = NoticeFactory.build(state=NoticeState.DRAFT, publish_at=timezone.now() - dt.timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.notice_save(notice=notice, by=secretariat)

    notice.refresh_from_db()
    assert callbacks == []
    assert (notice.state, notice.published_at) == (NoticeState.DRAFT, None)
    assert actions_of(notice) == ["notice.created"]


def test_notice_save_change_is_audited(secretariat):
    notice = NoticeFactory(state=NoticeState.DRAFT)
    notice.title = "更正后的标题"

    services.notice_save(notice=notice, by=secretariat)

    assert Notice.objects.get(pk=notice.pk).title == "更正后的标题"
    assert actions_of(notice) == ["notice.changed"]


def test_notice_save_published_notice_cannot_be_changed(secretariat):
    notice = NoticeFactory(published=True, title="原标题")
    notice.title = "篡改的标题"

    with pytest.raises(ValueError, match="published notice cannot be changed"), translation.override("en"):
        services.notice_save(notice=notice, by=secretariat)

    assert Notice.objects.get(pk=notice.pk).title == "原标题"
    assert actions_of(notice) == []


def test_notice_save_stale_copy_of_a_published_notice_refused(secretariat):
    notice = NoticeFactory(due=True, title="原标题")
    stale = Notice.objects.get(pk=notice.pk)
    services.notice_publish(notice_id=notice.pk)
    stale.title = "篡改的标题"

    with pytest.raises(ValueError):
        services.notice_save(notice=stale, by=secretariat)

    notice.refresh_from_db()
    assert (notice.state, notice.title) == (NoticeState.PUBLISHED, "原标题")


def test_notice_save_invalid_notice_refused_and_not_saved(secretariat):
    notice = NoticeFactory.build(title="", state=NoticeState.SCHEDULED)

    with pytest.raises(ValidationError) as excinfo:
        services.notice_save(notice=notice, by=secretariat)

    assert list(excinfo.value.message_dict) == ["title"]
    assert Notice.objects.count() == 0
    assert AuditEvent.objects.count() == 0


# --- notice_publish and the sweeper ---


def test_notice_publish_is_idempotent():
    notice = NoticeFactory(due=True)

    first = services.notice_publish(notice_id=notice.pk)
    second = services.notice_publish(notice_id=notice.pk)

    notice.refresh_from_db()
    assert (first, second) == (True, False)
    assert notice.state == NoticeState.PUBLISHED
    assert actions_of(notice) == ["notice.published"]


def test_notice_publish_before_its_time_does_nothing():
    notice = NoticeFactory(state=NoticeState.SCHEDULED, publish_at=timezone.now() + dt.timedelta(minutes=5))

    assert services.notice_publish(notice_id=notice.pk) is False
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.SCHEDULED


def test_notice_publish_draft_does_nothing():
    notice = NoticeFactory(state=NoticeState.DRAFT, publish_at=timezone.now() - dt.timedelta(minutes=5))

    assert services.notice_publish(notice_id=notice.pk) is False
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.DRAFT


def test_notice_publish_missing_notice_does_nothing():
    assert services.notice_publish(notice_id=999_999) is False


def test_notice_publish_sets_published_at_to_now():
    notice = NoticeFactory(due=True)
    now = timezone.now()

    services.notice_publish(notice_id=notice.pk, now=now)

    assert Notice.objects.get(pk=notice.pk).published_at == now


def test_notices_publish_due_publishes_only_due_notices():
    now = timezone.now()
    due = NoticeFactory(state=NoticeState.SCHEDULED, publish_at=now - dt.timedelta(minutes=1))
    on_time = NoticeFactory(state=NoticeState.SCHEDULED, publish_at=now)
    future = NoticeFactory(state=NoticeState.SCHEDULED, publish_at=now + dt.timedelta(minutes=1))
    draft = NoticeFactory(state=NoticeState.DRAFT, publish_at=now - dt.timedelta(minutes=1))

    published = services.notices_publish_due(now=now)

    states = dict(Notice.objects.values_list("pk", "state"))
    assert published == 2
    assert states == {
        due.pk: NoticeState.PUBLISHED,
        on_time.pk: NoticeState.PUBLISHED,
        future.pk: NoticeState.SCHEDULED,
        draft.pk: NoticeState.DRAFT,
    }


def test_task_publish_due_notices_runs_the_sweeper():
    notice = NoticeFactory(due=True)

    published = task_publish_due_notices.apply().get()

    assert published == 1
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.PUBLISHED


def test_task_publish_notice_takes_a_keyword_id():
    notice = NoticeFactory(due=True)

    assert task_publish_notice.apply(kwargs={"notice_id": notice.pk}).get() is True
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.PUBLISHED


# --- broker outage: the notice is kept and the sweeper publishes it ---


def test_notice_save_broker_unreachable_keeps_the_notice_for_the_sweeper(
    secretariat, django_capture_on_commit_callbacks
):
    notice = NoticeFactory.build(state=NoticeState.SCHEDULED, publish_at=None)
    unreachable = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with (
        mock.patch.object(task_publish_notice, "apply_async", side_effect=unreachable) as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.notice_save(notice=notice, by=secretariat)

    notice.refresh_from_db()
    apply_async.assert_called_once_with(kwargs={"notice_id": notice.pk})
    assert notice.state == NoticeState.SCHEDULED
    assert notice.enqueue_failed_at is not None


def test_notices_publish_due_publishes_what_never_reached_the_queue(secretariat, django_capture_on_commit_callbacks):
    notice = NoticeFactory.build(state=NoticeState.SCHEDULED, publish_at=None)
    unreachable = OperationalError("Connection refused.")
    with (
        mock.patch.object(task_publish_notice, "apply_async", side_effect=unreachable),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.notice_save(notice=notice, by=secretariat)

    published = services.notices_publish_due()

    notice.refresh_from_db()
    assert published == 1
    assert (notice.state, notice.enqueue_failed_at) == (NoticeState.PUBLISHED, None)
    assert actions_of(notice) == ["notice.created", "notice.published"]
