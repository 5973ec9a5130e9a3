"""Objections (异议) during the publicity: real-name, with evidence, inside the period, rate-limited per address;
decided with a written reply; an upheld one removes the candidate, and the next candidate is a recorded decision
with a publicity of its own."""

import datetime as dt

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from applications.enums import DossierState
from committee import services_awards
from committee.enums_awards import ObjectionState
from committee.models import Objection, Publicity
from mayor_award.core.enums import NoticeKind
from mayor_award.core.models import AuditEvent
from tests.factories.applications import pdf_bytes
from tests.factories.committee_awards import approved_cycle, object_to, pdf_upload, publicise


@pytest.fixture(autouse=True)
def _english_and_empty_cache(client, settings):
    """Messages are asserted in English, whatever the catalog says; the rate limit starts from zero."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def running(secretariat_user):
    """A cycle whose two proposed organisations are publicised from today for seven days (one spare entry)."""
    approved = approved_cycle(proposed=2, spare=1)
    publicity = publicise(approved.cycle, by=secretariat_user)
    return approved, publicity


def _form(candidate, **fields):
    return {
        "candidate": candidate.pk,
        "name": "王建国",
        "id_number": "",
        "organisation": "漯河市某食品有限公司",
        "phone": "13800000000",
        "email": "objector@example.com",
        "text": "该单位近三年存在产品抽检不合格情况。",
        "evidence": SimpleUploadedFile("抽检报告.pdf", pdf_bytes(), content_type="application/pdf"),
        **fields,
    }


@pytest.mark.django_db
def test_objection_inside_the_period_gets_a_reference_number(running, django_capture_on_commit_callbacks):
    approved, publicity = running
    candidate = publicity.candidates.first()

    with django_capture_on_commit_callbacks(execute=True):
        objection = object_to(candidate)

    assert objection.reference == f"YY{approved.cycle.year}-0001"
    assert objection.state == ObjectionState.RECEIVED
    assert [(e.original_name, e.content_type) for e in objection.evidence.all()] == [("证据.pdf", "application/pdf")]
    assert [m.to for m in mail.outbox] == [["objector@example.com"]]
    assert objection.reference in mail.outbox[0].subject
    objection.refresh_from_db()
    assert objection.receipt_mailed_at is not None
    assert AuditEvent.objects.get(action="objection.received").data["candidate"] == candidate.dossier.number


@pytest.mark.django_db
def test_objections_are_numbered_in_order(running):
    _approved, publicity = running
    candidate = publicity.candidates.first()

    references = [object_to(candidate, address=f"203.0.113.{n}").reference for n in range(3)]

    assert [r[-4:] for r in references] == ["0001", "0002", "0003"]


@pytest.mark.django_db
def test_objection_on_the_last_day_is_accepted(running):
    _approved, publicity = running
    last_day = dt.datetime.combine(publicity.ends_on, dt.time(23, 59), tzinfo=services_awards.BEIJING)

    objection = object_to(publicity.candidates.first(), now=last_day)

    assert objection.pk is not None


@pytest.mark.django_db
def test_objection_after_the_period_is_refused(running):
    _approved, publicity = running
    day_after = dt.datetime.combine(
        publicity.ends_on + dt.timedelta(days=1), dt.time(0, 1), tzinfo=services_awards.BEIJING
    )

    with pytest.raises(services_awards.AwardError) as refused:
        object_to(publicity.candidates.first(), now=day_after)

    assert "objections are no longer accepted (Art. 17)" in str(refused.value)
    assert Objection.objects.count() == 0


@pytest.mark.django_db
def test_objection_before_the_notice_is_public_is_refused(secretariat_user):
    cycle = approved_cycle().cycle
    publicity = publicise(cycle, by=secretariat_user, publish=False)

    with pytest.raises(services_awards.AwardError, match="has not started yet"):
        object_to(publicity.candidates.first())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "missing",
    [{"name": ""}, {"phone": ""}, {"email": ""}, {"organisation": "", "id_number": ""}],
    ids=["name", "phone", "email", "identity"],
)
def test_anonymous_objection_is_refused(running, missing):
    _approved, publicity = running

    with pytest.raises(services_awards.AwardError) as refused:
        object_to(publicity.candidates.first(), **missing)

    assert str(services_awards.ANONYMOUS_REFUSED) in str(refused.value)
    assert Objection.objects.count() == 0


@pytest.mark.django_db
def test_objection_without_evidence_is_refused(running):
    _approved, publicity = running

    with pytest.raises(services_awards.AwardError, match="Attach the evidence"):
        object_to(publicity.candidates.first(), files=[])


@pytest.mark.django_db
def test_public_form_receives_an_objection(client, running):
    approved, publicity = running
    candidate = publicity.candidates.first()
    url = reverse("committee:publicity", kwargs={"cycle": approved.cycle.number})

    response = client.post(url, _form(candidate), follow=True, REMOTE_ADDR="198.51.100.1")

    objection = Objection.objects.get()
    assert response.redirect_chain == [(url, 302)]
    assert f"Its reference number is {objection.reference}" in response.content.decode()
    assert (objection.candidate, objection.client_address) == (candidate, "198.51.100.1")
    assert objection.evidence.get().original_name == "抽检报告.pdf"


@pytest.mark.django_db
def test_public_form_refuses_an_anonymous_objection_with_a_clear_message(client, running):
    approved, publicity = running
    url = reverse("committee:publicity", kwargs={"cycle": approved.cycle.number})

    response = client.post(url, _form(publicity.candidates.first(), name="", phone="", email=""))

    assert response.status_code == 200
    assert "Anonymous objections are not accepted" in response.content.decode()
    assert "该单位近三年存在产品抽检不合格情况。" in response.content.decode()  # what was written is kept
    assert Objection.objects.count() == 0


@pytest.mark.django_db
def test_public_form_refuses_a_file_that_is_not_what_it_claims(client, running):
    approved, publicity = running
    url = reverse("committee:publicity", kwargs={"cycle": approved.cycle.number})
    fake = SimpleUploadedFile("证据.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")

    response = client.post(url, _form(publicity.candidates.first(), evidence=fake))

    assert "This file is not a real PDF" in response.content.decode()
    assert Objection.objects.count() == 0


@pytest.mark.django_db
def test_public_form_refuses_an_invalid_identity_card_number(client, running):
    approved, publicity = running
    url = reverse("committee:publicity", kwargs={"cycle": approved.cycle.number})

    response = client.post(url, _form(publicity.candidates.first(), organisation="", id_number="411102199001011234"))

    assert "This resident identity card number is not valid" in response.content.decode()
    assert Objection.objects.count() == 0


@pytest.mark.django_db
def test_objections_are_rate_limited_per_address(client, running):
    approved, publicity = running
    url = reverse("committee:publicity", kwargs={"cycle": approved.cycle.number})
    candidate = publicity.candidates.first()

    statuses = [
        client.post(url, _form(candidate), REMOTE_ADDR="198.51.100.9").status_code
        for _n in range(services_awards.OBJECTION_RATE_LIMIT + 1)
    ]
    other_address = client.post(url, _form(candidate), REMOTE_ADDR="198.51.100.10")

    assert statuses == [302] * services_awards.OBJECTION_RATE_LIMIT + [429]
    assert other_address.status_code == 302
    assert Objection.objects.count() == services_awards.OBJECTION_RATE_LIMIT + 1


@pytest.mark.django_db
def test_rate_limit_message_is_clear(client, running):
    approved, publicity = running
    url = reverse("committee:publicity", kwargs={"cycle": approved.cycle.number})
    for n in range(services_awards.OBJECTION_RATE_LIMIT):
        object_to(publicity.candidates.first(), address="198.51.100.20", email=f"o{n}@example.com")

    response = client.post(url, _form(publicity.candidates.first()), REMOTE_ADDR="198.51.100.20")

    assert response.status_code == 429
    assert "Too many objections were sent from your network address in the last hour" in response.content.decode()


@pytest.mark.django_db
def test_public_form_after_the_period_shows_no_form_and_refuses_a_post(client, running):
    approved, publicity = running
    Publicity.objects.filter(pk=publicity.pk).update(
        starts_on=timezone.localdate() - dt.timedelta(days=10), ends_on=timezone.localdate() - dt.timedelta(days=4)
    )
    url = reverse("committee:publicity", kwargs={"cycle": approved.cycle.number})

    page = client.get(url)
    posted = client.post(url, _form(publicity.candidates.first()))

    assert 'id="objections-closed"' in page.content.decode()
    assert 'id="objection-form"' not in page.content.decode()
    assert "objections are no longer accepted" in posted.content.decode()
    assert Objection.objects.count() == 0


# --- the secretariat's decision ---


@pytest.mark.django_db
def test_decision_needs_a_written_reply(running, secretariat_user):
    _approved, publicity = running
    objection = object_to(publicity.candidates.first())

    with pytest.raises(services_awards.AwardError, match="Write the reply"):
        services_awards.objection_decide(
            objection=objection, outcome=ObjectionState.DISMISSED, reply="  ", by=secretariat_user
        )


@pytest.mark.django_db
def test_investigation_then_dismissal_keeps_the_candidate(
    running, secretariat_user, django_capture_on_commit_callbacks
):
    _approved, publicity = running
    candidate = publicity.candidates.first()
    objection = object_to(candidate)

    services_awards.objection_investigate(objection=objection, by=secretariat_user)
    with django_capture_on_commit_callbacks(execute=True):
        services_awards.objection_decide(
            objection=objection, outcome=ObjectionState.DISMISSED, reply="经核实，异议不成立。", by=secretariat_user
        )

    objection.refresh_from_db()
    candidate.refresh_from_db()
    assert objection.state == ObjectionState.DISMISSED
    assert candidate.removed_at is None
    assert candidate.dossier.state == DossierState.PROPOSED
    assert [m.body.count("经核实，异议不成立。") for m in mail.outbox] == [1]
    assert objection.reply_mailed_at is not None


@pytest.mark.django_db
def test_upheld_objection_removes_the_candidate(running, secretariat_user):
    _approved, publicity = running
    candidate = publicity.candidates.first()
    objection = object_to(candidate)

    services_awards.objection_decide(
        objection=objection, outcome=ObjectionState.UPHELD, reply="经核实，异议成立。", by=secretariat_user
    )

    candidate.refresh_from_db()
    assert (candidate.removed_for, candidate.removed_by) == (objection, secretariat_user)
    assert candidate.dossier.state == DossierState.NOT_AWARDED
    assert list(services_awards.winners(publicity.cycle)) == [publicity.candidates.get(position=2)]
    assert AuditEvent.objects.get(action="publicity.candidate_removed").data == {
        "dossier": candidate.dossier.number,
        "objection": objection.reference,
    }


@pytest.mark.django_db
def test_next_candidate_is_a_recorded_decision_with_a_new_publicity(running, secretariat_user):
    approved, publicity = running
    removed = publicity.candidates.first()
    services_awards.objection_decide(
        objection=object_to(removed), outcome=ObjectionState.UPHELD, reply="异议成立。", by=secretariat_user
    )
    removed.refresh_from_db()
    next_entry = approved.spare[0]
    today = timezone.localdate()

    added = services_awards.publicity_supplement(
        removed=removed,
        entry=next_entry,
        reason="按综合排序依次递补。",
        starts_on=today + dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=7),
        channel="漯河日报",
        by=secretariat_user,
    )

    assert (added.round, added.replaces, added.decision_reason) == (2, removed, "按综合排序依次递补。")
    assert [c.dossier for c in added.candidates.all()] == [next_entry.candidate.dossier]
    assert added.notice.kind == NoticeKind.PUBLICITY
    assert "补充公示" in added.notice.title
    next_entry.candidate.dossier.refresh_from_db()
    assert next_entry.candidate.dossier.state == DossierState.PROPOSED
    assert AuditEvent.objects.get(action="publicity.candidate_added").data["reason"] == "按综合排序依次递补。"


@pytest.mark.django_db
def test_next_candidate_needs_a_reason_and_a_full_period(running, secretariat_user):
    approved, publicity = running
    removed = publicity.candidates.first()
    services_awards.objection_decide(
        objection=object_to(removed), outcome=ObjectionState.UPHELD, reply="异议成立。", by=secretariat_user
    )
    removed.refresh_from_db()
    today = timezone.localdate()

    with pytest.raises(services_awards.AwardError) as refused:
        services_awards.publicity_supplement(
            removed=removed,
            entry=approved.spare[0],
            reason="",
            starts_on=today,
            ends_on=today + dt.timedelta(days=5),
            channel="漯河日报",
            by=secretariat_user,
        )

    assert "Give the reason for the decision" in str(refused.value)
    assert "lasts 6 days" in str(refused.value)
    assert Publicity.objects.count() == 1


@pytest.mark.django_db
def test_only_a_removed_candidate_can_be_replaced(running, secretariat_user):
    approved, publicity = running
    today = timezone.localdate()

    with pytest.raises(services_awards.AwardError, match="Only a candidate removed"):
        services_awards.publicity_supplement(
            removed=publicity.candidates.first(),
            entry=approved.spare[0],
            reason="递补。",
            starts_on=today,
            ends_on=today + dt.timedelta(days=6),
            channel="漯河日报",
            by=secretariat_user,
        )


@pytest.mark.django_db
def test_evidence_is_served_to_the_secretariat_only_through_the_admin(client, running, secretariat_user, applicant):
    _approved, publicity = running
    objection = object_to(publicity.candidates.first())
    evidence = objection.evidence.get()
    url = reverse("admin:committee_objection_evidence", args=[objection.pk, evidence.pk])

    client.force_login(applicant)
    refused = client.get(url)
    client.force_login(secretariat_user)
    served = client.get(url)

    assert refused.status_code == 302 and "/login/" in refused["Location"]
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == pdf_bytes()  # read to its end, which closes the file
    assert AuditEvent.objects.filter(action="objection.evidence_opened").count() == 1


@pytest.mark.django_db
def test_secretariat_decides_in_the_admin(client, running, secretariat_user):
    _approved, publicity = running
    objection = object_to(publicity.candidates.first())
    client.force_login(secretariat_user)

    page = client.get(reverse("admin:committee_objection_change", args=[objection.pk]))
    response = client.post(
        reverse("admin:committee_objection_decide", args=[objection.pk]),
        {"outcome": "upheld", "reply": "经核实，异议成立。"},
    )

    objection.refresh_from_db()
    assert page.status_code == 200
    assert response.status_code == 302
    assert objection.state == ObjectionState.UPHELD
    assert objection.candidate.is_removed


@pytest.mark.django_db
def test_upload_helper_is_a_real_pdf():
    assert pdf_upload().read(5) == b"%PDF-"
