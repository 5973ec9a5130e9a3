"""Publicity (公示, Art. 17): the period counts both ends (C7), the notice is published at its time, and the list
moves on only after the period, with no open objection, the mayor's approval and the announcement (Art. 18)."""

import datetime as dt
import re

import pytest
from django.utils import timezone, translation

from applications.enums import DossierState
from committee import services_awards
from committee.models import AwardApproval, Publicity
from mayor_award.core.enums import CyclePhase, NoticeKind, NoticeState
from mayor_award.core.models import AuditEvent, Notice
from mayor_award.core.services import (
    CycleTransitionRefused,
    cycle_advance,
    notice_save,
    notice_schedule_fixed_reasons,
    notices_publish_due,
)
from tests.factories.committee_awards import (
    announce,
    approve,
    approved_cycle,
    finish_publicity,
    object_to,
    publicise,
)

BEIJING = services_awards.BEIJING
BEFORE_DECEMBER = dt.datetime(2030, 11, 25, 10, 0, tzinfo=BEIJING)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English, whatever the catalog says."""
    with translation.override("en"):
        yield


def _create(cycle, by, starts_on, ends_on, now=BEFORE_DECEMBER):
    return services_awards.publicity_create(
        cycle=cycle, starts_on=starts_on, ends_on=ends_on, channel="漯河日报", by=by, now=now
    )


@pytest.mark.django_db
def test_publicity_of_seven_days_counting_both_ends_is_accepted(secretariat_user):
    cycle = approved_cycle().cycle

    publicity = _create(cycle, secretariat_user, dt.date(2030, 12, 1), dt.date(2030, 12, 7))

    assert (publicity.starts_on, publicity.ends_on, publicity.round) == (dt.date(2030, 12, 1), dt.date(2030, 12, 7), 1)
    assert publicity.notice.kind == NoticeKind.PUBLICITY
    assert publicity.notice.state == NoticeState.SCHEDULED
    assert publicity.notice.publish_at == dt.datetime(2030, 12, 1, 0, 0, tzinfo=BEIJING)
    audit = AuditEvent.objects.get(action="publicity.created")
    assert (audit.actor, audit.data["days"]) == (secretariat_user, 7)


@pytest.mark.django_db
def test_publicity_of_six_days_is_refused(secretariat_user):
    cycle = approved_cycle().cycle

    with pytest.raises(services_awards.AwardError) as refused:
        _create(cycle, secretariat_user, dt.date(2030, 12, 1), dt.date(2030, 12, 6))

    assert "lasts 6 days" in str(refused.value)
    assert "at least 7 days (Art. 17)" in str(refused.value)
    assert Publicity.objects.count() == 0
    assert Notice.objects.filter(kind=NoticeKind.PUBLICITY).count() == 0


@pytest.mark.django_db
def test_publicity_follows_the_cycles_longer_minimum(secretariat_user):
    cycle = approved_cycle(publicity_min_days=10).cycle

    with pytest.raises(services_awards.AwardError, match="at least 10 days"):
        _create(cycle, secretariat_user, dt.date(2030, 12, 1), dt.date(2030, 12, 9))
    publicity = _create(cycle, secretariat_user, dt.date(2030, 12, 1), dt.date(2030, 12, 10))

    assert publicity.ends_on == dt.date(2030, 12, 10)


@pytest.mark.django_db
def test_publicity_cannot_start_in_the_past(secretariat_user):
    cycle = approved_cycle().cycle

    with pytest.raises(services_awards.AwardError, match="cannot start in the past"):
        _create(cycle, secretariat_user, dt.date(2030, 11, 24), dt.date(2030, 11, 30))


@pytest.mark.django_db
def test_publicity_lists_the_proposed_organisations_of_the_approved_list(secretariat_user):
    approved = approved_cycle(proposed=2, spare=2)

    publicity = _create(approved.cycle, secretariat_user, dt.date(2030, 12, 1), dt.date(2030, 12, 7))

    assert [c.dossier for c in publicity.candidates.order_by("position")] == [
        e.candidate.dossier for e in approved.entries
    ]
    body = publicity.notice.body
    assert all(e.candidate.dossier.organisation.name in body for e in approved.entries)
    assert not any(e.candidate.dossier.organisation.name in body for e in approved.spare)
    assert "2030年12月1日至2030年12月7日（共7天" in body
    assert f"/publicity/{approved.cycle.number}/" in body


@pytest.mark.django_db
def test_publicity_refused_before_the_governments_approval(secretariat_user):
    approved = approved_cycle(phase=CyclePhase.APPROVAL)

    with pytest.raises(services_awards.AwardError, match="publicity phase"):
        _create(approved.cycle, secretariat_user, dt.date(2030, 12, 1), dt.date(2030, 12, 7))


@pytest.mark.django_db
def test_publicity_notice_is_published_by_the_publication_sweeper_at_its_time(secretariat_user):
    cycle = approved_cycle().cycle
    publicity = _create(cycle, secretariat_user, dt.date(2030, 12, 1), dt.date(2030, 12, 7))

    before = notices_publish_due(now=dt.datetime(2030, 11, 30, 23, 59, tzinfo=BEIJING))
    at_start = notices_publish_due(now=dt.datetime(2030, 12, 1, 0, 0, 30, tzinfo=BEIJING))

    publicity.notice.refresh_from_db()
    assert (before, at_start) == (0, 1)
    assert publicity.notice.state == NoticeState.PUBLISHED


@pytest.mark.django_db
def test_the_list_is_publicised_once(secretariat_user):
    cycle = approved_cycle().cycle
    _create(cycle, secretariat_user, dt.date(2030, 12, 1), dt.date(2030, 12, 7))

    with pytest.raises(services_awards.AwardError, match="already publicised"):
        _create(cycle, secretariat_user, dt.date(2030, 12, 10), dt.date(2030, 12, 16))


# --- the guard on leaving the publicity phase ---


def _leave(cycle, by):
    return cycle_advance(cycle=cycle, to=CyclePhase.ANNOUNCED, by=by)


@pytest.mark.django_db
def test_leaving_publicity_is_refused_before_the_list_is_publicised(secretariat_user):
    cycle = approved_cycle().cycle

    with pytest.raises(CycleTransitionRefused) as refused:
        _leave(cycle, secretariat_user)

    assert "has not been publicised yet (Art. 17)" in str(refused.value)


@pytest.mark.django_db
def test_leaving_publicity_is_refused_while_the_period_runs(secretariat_user):
    cycle = approved_cycle().cycle
    publicity = publicise(cycle, by=secretariat_user)

    with pytest.raises(CycleTransitionRefused) as refused:
        _leave(cycle, secretariat_user)

    assert any("runs until" in reason for reason in refused.value.reasons)
    assert publicity.ends_on == timezone.localdate() + dt.timedelta(days=6)
    cycle.refresh_from_db()
    assert cycle.phase == CyclePhase.PUBLICITY


@pytest.mark.django_db
def test_leaving_publicity_is_refused_while_an_objection_is_open(secretariat_user):
    cycle = approved_cycle().cycle
    publicity = publicise(cycle, by=secretariat_user)
    object_to(publicity.candidates.first())
    Publicity.objects.filter(pk=publicity.pk).update(  # the period has ended meanwhile
        starts_on=timezone.localdate() - dt.timedelta(days=10), ends_on=timezone.localdate() - dt.timedelta(days=4)
    )

    with pytest.raises(CycleTransitionRefused) as refused:
        _leave(cycle, secretariat_user)

    assert "1 objection is still open: decide it and reply in writing first." in refused.value.reasons


@pytest.mark.django_db
def test_an_open_objection_blocks_the_mayors_approval(secretariat_user):
    cycle = approved_cycle().cycle
    publicity = publicise(cycle, by=secretariat_user)
    object_to(publicity.candidates.first())
    Publicity.objects.filter(pk=publicity.pk).update(
        starts_on=timezone.localdate() - dt.timedelta(days=10), ends_on=timezone.localdate() - dt.timedelta(days=4)
    )

    with pytest.raises(services_awards.AwardError, match="objection is still open"):
        approve(cycle, by=secretariat_user)

    assert AwardApproval.objects.count() == 0


@pytest.mark.django_db
def test_approval_before_the_end_of_publicity_is_refused(secretariat_user):
    cycle = approved_cycle().cycle
    publicise(cycle, by=secretariat_user)
    today = timezone.localdate()

    with pytest.raises(services_awards.AwardError) as refused:
        services_awards.award_approval_record(
            cycle=cycle,
            vice_mayor="李副市长",
            reviewed_on=today,
            mayor="张市长",
            signed_on=today,
            upload=None,
            kind="pdf",
            by=secretariat_user,
        )

    assert "Only a list that has passed its publicity goes to the vice-mayor and the mayor (Art. 18)." in str(
        refused.value
    )
    assert "after its publicity" in str(refused.value)


@pytest.mark.django_db
def test_the_mayor_signs_after_the_vice_mayors_review(secretariat_user):
    cycle = approved_cycle().cycle
    finish_publicity(cycle, by=secretariat_user)
    today = timezone.localdate()

    problems = services_awards.award_approval_problems(
        cycle=cycle,
        vice_mayor="李副市长",
        reviewed_on=today - dt.timedelta(days=1),
        mayor="张市长",
        signed_on=today - dt.timedelta(days=2),
        kind="pdf",
    )

    assert problems == ["The mayor signs after the vice-mayor's review (Art. 18)."]


@pytest.mark.django_db
def test_announcement_refused_before_the_mayors_approval(secretariat_user):
    cycle = approved_cycle().cycle
    finish_publicity(cycle, by=secretariat_user)

    with pytest.raises(services_awards.AwardError, match="Record the vice-mayor's review"):
        services_awards.announcement_schedule(cycle=cycle, by=secretariat_user)


@pytest.mark.django_db
def test_leaving_publicity_needs_the_approval_and_the_published_announcement(secretariat_user):
    cycle = approved_cycle().cycle
    finish_publicity(cycle, by=secretariat_user)

    with pytest.raises(CycleTransitionRefused) as without_approval:
        _leave(cycle, secretariat_user)
    approve(cycle, by=secretariat_user)
    notice = services_awards.announcement_schedule(
        cycle=cycle, publish_at=timezone.now() + dt.timedelta(hours=2), by=secretariat_user
    )
    with pytest.raises(CycleTransitionRefused) as before_publication:
        _leave(cycle, secretariat_user)

    assert without_approval.value.reasons == [
        "Record the vice-mayor's review and the mayor's signature first (Art. 18).",
        "Publish the award announcement before the cycle is announced (Art. 18).",
    ]
    assert before_publication.value.reasons == [
        "Publish the award announcement before the cycle is announced (Art. 18)."
    ]
    assert notice.kind == NoticeKind.AWARD_ANNOUNCEMENT


@pytest.mark.django_db
def test_leaving_publicity_once_everything_is_done(secretariat_user):
    cycle = approved_cycle().cycle

    awards = announce(cycle, by=secretariat_user)

    cycle.refresh_from_db()
    assert cycle.phase == CyclePhase.ANNOUNCED
    assert len(awards) == 2


@pytest.mark.django_db
def test_an_empty_approved_list_needs_no_publicity(secretariat_user, django_capture_on_commit_callbacks):
    approved = approved_cycle(proposed=0, spare=1)

    with django_capture_on_commit_callbacks(execute=True):
        _leave(approved.cycle, secretariat_user)

    approved.cycle.refresh_from_db()
    dossier = approved.spare[0].candidate.dossier
    dossier.refresh_from_db()
    assert approved.cycle.phase == CyclePhase.ANNOUNCED
    assert dossier.state == DossierState.NOT_AWARDED  # places may stay empty (Art. 4)


# --- the period counts only the days the notice was public (Art. 17) ---

NOV_10 = dt.datetime(2030, 11, 10, 9, 0, tzinfo=BEIJING)


def _publicity_of_16_to_22_november(cycle, by, *, published_at):
    publicity = _create(cycle, by, dt.date(2030, 11, 16), dt.date(2030, 11, 22), now=NOV_10)
    assert notices_publish_due(now=published_at) == 1
    return publicity


@pytest.mark.django_db
def test_publicity_published_on_its_first_day_ends_after_seven_days(secretariat_user):
    cycle = approved_cycle().cycle
    # the last minute of the first day, Beijing time (15:59 UTC): the first day still counts
    _publicity_of_16_to_22_november(
        cycle, secretariat_user, published_at=dt.datetime(2030, 11, 16, 23, 59, tzinfo=BEIJING)
    )

    on_the_last_day = services_awards.publicity_unfinished(cycle, now=dt.datetime(2030, 11, 22, 18, 0, tzinfo=BEIJING))
    after = services_awards.publicity_unfinished(cycle, now=dt.datetime(2030, 11, 23, 0, 1, tzinfo=BEIJING))

    assert len(on_the_last_day) == 1 and "runs until" in on_the_last_day[0]
    assert after == []


@pytest.mark.django_db
def test_publicity_whose_notice_went_public_late_is_not_valid(secretariat_user):
    cycle = approved_cycle().cycle
    publicity = _publicity_of_16_to_22_november(
        cycle, secretariat_user, published_at=dt.datetime(2030, 11, 22, 12, 0, tzinfo=BEIJING)
    )

    problems = services_awards.publicity_unfinished(cycle, now=dt.datetime(2030, 11, 23, 9, 0, tzinfo=BEIJING))

    assert problems == [
        f"The publicity notice “{publicity.notice.title}” went public on Nov. 22, 2030, after the first day of its "
        "period (Nov. 16, 2030): only the days it was public count, so this period is not valid (Art. 17). Start a "
        "new publicity of at least 7 days from its publication, counting both the first and the last day (e.g. "
        "from Nov. 22, 2030 to Nov. 28, 2030)."
    ]
    with pytest.raises(CycleTransitionRefused) as refused:
        _leave(cycle, secretariat_user)
    assert problems[0] in refused.value.reasons


@pytest.mark.django_db
def test_publicity_notice_time_and_state_are_fixed_once_the_publicity_exists(client, secretariat_user):
    cycle = approved_cycle().cycle
    publicity = _create(cycle, secretariat_user, dt.date(2030, 12, 1), dt.date(2030, 12, 7))
    notice = publicity.notice
    client.force_login(secretariat_user)

    page = client.get(f"/admin/core/notice/{notice.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    posted = client.post(
        f"/admin/core/notice/{notice.pk}/change/",
        {
            "cycle": cycle.pk,
            "kind": NoticeKind.PUBLICITY,
            "title": notice.title,
            "body": notice.body,
            "state": NoticeState.SCHEDULED,
            "publish_at_0": "2030-12-06",
            "publish_at_1": "12:00:00",
            "attachments-TOTAL_FORMS": "0",
            "attachments-INITIAL_FORMS": "0",
        },
    )
    notice.publish_at = dt.datetime(2030, 12, 6, 12, 0, tzinfo=BEIJING)
    [reason] = notice_schedule_fixed_reasons(notice)
    with pytest.raises(ValueError, match=re.escape(reason)):
        notice_save(notice=notice, by=secretariat_user)

    stored = Notice.objects.get(pk=notice.pk)
    assert page.status_code == 200
    assert 'name="publish_at_0"' not in page.content.decode()
    assert 'name="state"' not in page.content.decode()
    with translation.override(page.wsgi_request.LANGUAGE_CODE):
        [shown] = notice_schedule_fixed_reasons(notice)
    assert shown in page.content.decode()
    assert posted.status_code == 302
    assert (stored.state, stored.publish_at) == (NoticeState.SCHEDULED, dt.datetime(2030, 12, 1, tzinfo=BEIJING))


# --- the secretariat's pages ---


@pytest.mark.django_db
def test_secretariat_publicises_the_list_in_the_admin(client, secretariat_user):
    cycle = approved_cycle().cycle
    client.force_login(secretariat_user)
    today = timezone.localdate()

    too_short = client.post(
        "/admin/committee/publicity/add/",
        {
            "cycle": cycle.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=5)).isoformat(),
            "channel": "漯河日报",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    created = client.post(
        "/admin/committee/publicity/add/",
        {
            "cycle": cycle.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=6)).isoformat(),
            "channel": "漯河日报",
        },
    )

    assert too_short.status_code == 200
    assert "lasts 6 days" in too_short.content.decode()
    assert created.status_code == 302
    publicity = Publicity.objects.get()
    assert publicity.candidates.count() == 2
    page = client.get(f"/admin/committee/publicity/{publicity.pk}/change/")
    assert page.status_code == 200


@pytest.mark.django_db
def test_secretariat_records_the_approval_and_schedules_the_announcement_in_the_admin(client, secretariat_user):
    from tests.factories.committee_awards import pdf_upload

    cycle = approved_cycle().cycle
    finish_publicity(cycle, by=secretariat_user)
    client.force_login(secretariat_user)
    today = timezone.localdate()

    recorded = client.post(
        "/admin/committee/awardapproval/add/",
        {
            "cycle": cycle.pk,
            "vice_mayor": "李副市长",
            "reviewed_on": (today - dt.timedelta(days=2)).isoformat(),
            "mayor": "张市长",
            "signed_on": (today - dt.timedelta(days=1)).isoformat(),
            "document": pdf_upload("签批件.pdf"),
        },
    )
    approval = AwardApproval.objects.get()
    page = client.get(f"/admin/committee/awardapproval/{approval.pk}/change/")
    announced = client.post(f"/admin/committee/awardapproval/{approval.pk}/announce/", {"publish_at": ""})

    assert recorded.status_code == 302
    assert approval.document_name == "签批件.pdf"
    assert 'id="award-announcement"' in page.content.decode()
    assert announced.status_code == 302
    assert Notice.objects.filter(cycle=cycle, kind=NoticeKind.AWARD_ANNOUNCEMENT).count() == 1
