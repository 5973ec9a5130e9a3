"""Core models: Cycle validation and database constraints, the append-only audit trail, querysets."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from mayor_award.core.enums import CyclePhase, NoticeState
from mayor_award.core.models import AuditEvent, Cycle, Notice
from mayor_award.core.services import audit_record
from tests.factories.core import CycleFactory, NoticeFactory, UserFactory

pytestmark = pytest.mark.django_db


def unsaved_cycle(**fields):
    """A cycle that passes every check unless `fields` break one."""
    values = {
        "number": 1,
        "year": 2020,
        "title": "第1届漯河市市长质量奖",
        "applications_open_on": dt.date(2020, 3, 1),
        "application_deadline": dt.datetime(2020, 5, 31, 17, tzinfo=timezone.get_default_timezone()),
    }
    return Cycle(**(values | fields))


def error_fields(cycle):
    with pytest.raises(ValidationError) as excinfo:
        cycle.full_clean()
    return sorted(excinfo.value.message_dict)


# --- Cycle.full_clean ---


def test_cycle_full_clean_valid_first_cycle_passes():
    unsaved_cycle().full_clean()


def test_cycle_full_clean_year_2018_reported_on_year():
    assert error_fields(unsaved_cycle(year=2018)) == ["year"]


def test_cycle_full_clean_number_gap_reported_on_number():
    CycleFactory(number=1, year=2020)

    assert error_fields(unsaved_cycle(number=3, year=2024)) == ["number"]


def test_cycle_full_clean_wrong_rhythm_reported_on_year():
    CycleFactory(number=1, year=2020)

    assert error_fields(unsaved_cycle(number=2, year=2023)) == ["year"]


def test_cycle_full_clean_next_cycle_two_years_later_passes():
    CycleFactory(number=1, year=2020)

    unsaved_cycle(number=2, year=2022).full_clean()


def test_cycle_full_clean_existing_cycle_is_not_its_own_predecessor():
    cycle = CycleFactory(number=1, year=2020)
    CycleFactory(number=2, year=2022)

    cycle.title = "第一届（修订）"
    cycle.full_clean()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("panel_min_size", 4),
        ("publicity_min_days", 6),
        ("onsite_score_weight", Decimal("0.5")),
        ("onsite_score_weight", Decimal("1")),
    ],
)
def test_cycle_full_clean_rule_out_of_bounds_reported_on_its_field(field, value):
    assert error_fields(unsaved_cycle(**{field: value})) == [field]


def test_cycle_full_clean_deadline_before_opening_reported_on_deadline():
    cycle = unsaved_cycle(
        applications_open_on=dt.date(2020, 6, 1),
        application_deadline=dt.datetime(2020, 5, 31, 17, tzinfo=timezone.get_default_timezone()),
    )

    assert error_fields(cycle) == ["application_deadline"]


def test_cycle_full_clean_deadline_on_the_opening_day_passes():
    cycle = unsaved_cycle(
        applications_open_on=dt.date(2020, 3, 1),
        application_deadline=dt.datetime(2020, 3, 1, 17, tzinfo=timezone.get_default_timezone()),
    )

    cycle.full_clean()


def test_cycle_full_clean_saved_cycle_deadline_early_on_the_opening_day_passes():
    CycleFactory(
        number=1,
        year=2020,
        applications_open_on=dt.date(2020, 3, 1),
        application_deadline=dt.datetime(2020, 3, 1, 7, 30, tzinfo=timezone.get_default_timezone()),
    )
    cycle = Cycle.objects.get(number=1)

    cycle.full_clean()


# --- database check constraints: the last line, even past full_clean ---


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("panel_min_size", 4),
        ("publicity_min_days", 6),
        ("onsite_score_weight", Decimal("0.5")),
        ("onsite_score_weight", Decimal("1")),
        ("year", 2018),
    ],
)
def test_cycle_constraint_refuses_update_past_the_bound(field, value):
    cycle = CycleFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Cycle.objects.filter(pk=cycle.pk).update(**{field: value})

    cycle.refresh_from_db()
    assert cycle.panel_min_size == 5
    assert cycle.onsite_score_weight == Decimal("0.600")


@pytest.mark.parametrize(
    ("field", "value"),
    [("panel_min_size", 5), ("publicity_min_days", 7), ("onsite_score_weight", Decimal("0.501")), ("year", 2019)],
)
def test_cycle_constraint_accepts_update_on_the_bound(field, value):
    cycle = CycleFactory()

    Cycle.objects.filter(pk=cycle.pk).update(**{field: value})

    assert Cycle.objects.values_list(field, flat=True).get(pk=cycle.pk) == value


# --- Cycle queryset ---


def test_cycle_current_is_the_latest_cycle_past_its_draft():
    CycleFactory(number=1, phase=CyclePhase.CLOSED)
    open_cycle = CycleFactory(number=2, phase=CyclePhase.OPEN)
    CycleFactory(number=3, phase=CyclePhase.DRAFT)

    assert Cycle.objects.current() == open_cycle


def test_cycle_current_none_when_only_drafts():
    CycleFactory(number=1, phase=CyclePhase.DRAFT)

    assert Cycle.objects.current() is None


def test_cycle_next_phase_follows_the_lifecycle():
    assert CycleFactory(phase=CyclePhase.PUBLICITY).next_phase == CyclePhase.ANNOUNCED


# --- Notice queryset ---


def test_notice_due_picks_scheduled_notices_whose_time_has_come():
    now = timezone.now()
    due = NoticeFactory(state=NoticeState.SCHEDULED, publish_at=now)
    NoticeFactory(state=NoticeState.SCHEDULED, publish_at=now + dt.timedelta(seconds=1))
    NoticeFactory(state=NoticeState.DRAFT, publish_at=now - dt.timedelta(days=1))
    NoticeFactory(published=True)

    assert list(Notice.objects.due(now)) == [due]


# --- AuditEvent: append-only ---


@pytest.fixture
def audit_event():
    cycle = CycleFactory()
    return audit_record(actor=UserFactory(), action="cycle.phase_changed", obj=cycle, data={"from": "draft"})


def test_audit_event_instance_cannot_be_updated(audit_event):
    audit_event.action = "cycle.forged"

    with pytest.raises(PermissionError):
        audit_event.save()

    assert AuditEvent.objects.get(pk=audit_event.pk).action == "cycle.phase_changed"


def test_audit_event_instance_cannot_be_deleted(audit_event):
    with pytest.raises(PermissionError):
        audit_event.delete()

    assert AuditEvent.objects.filter(pk=audit_event.pk).count() == 1


def test_audit_event_queryset_cannot_be_updated(audit_event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=audit_event.pk).update(action="cycle.forged")

    assert AuditEvent.objects.get(pk=audit_event.pk).action == "cycle.phase_changed"


def test_audit_event_queryset_cannot_be_deleted(audit_event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.count() == 1


def test_audit_event_bulk_update_refused(audit_event):
    audit_event.action = "cycle.forged"

    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.bulk_update([audit_event], ["action"])

    assert AuditEvent.objects.get(pk=audit_event.pk).action == "cycle.phase_changed"


def test_audit_event_actor_cannot_be_deleted_while_it_has_events(audit_event):
    with pytest.raises(ProtectedError), transaction.atomic():
        audit_event.actor.delete()

    assert AuditEvent.objects.get(pk=audit_event.pk).actor_id == audit_event.actor_id


def test_audit_record_stores_who_what_and_which_object(audit_event):
    event = AuditEvent.objects.get()

    assert (event.action, event.object_type, event.object_repr, event.data) == (
        "cycle.phase_changed",
        "core.cycle",
        audit_event.object_repr,
        {"from": "draft"},
    )
    assert event.object_id == str(Cycle.objects.get().pk)
    assert event.actor == audit_event.actor


def test_audit_record_without_saved_actor_stores_none():
    cycle = CycleFactory()

    event = audit_record(actor=None, action="notice.published", obj=cycle)

    assert event.actor is None
    assert event.data == {}
