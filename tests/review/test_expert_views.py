"""The experts' pages: the dashboard, answering an invitation, the pledge gate (Art. 23), reading a dossier and
its files; and what stays closed: other panels' dossiers, conflicts, unanswered or declined invitations, and
the reviewers' names, which applicants never see.

Every request goes through the test client as a browser sends it; messages are compared in Chinese.
"""

import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import translation

from applications.enums import AttachmentPurpose, DossierState
from mayor_award.core.enums import CyclePhase
from mayor_award.core.models import AuditEvent
from review import services
from review.enums import ConflictKind, SeatStatus
from review.models import Conflict, Pledge, Seat
from tests.factories.applications import (
    AttachmentFactory,
    DossierFactory,
    MembershipFactory,
    OrganisationFactory,
    pdf_bytes,
)
from tests.factories.core import CycleFactory, UserFactory
from tests.factories.review import (
    ConflictFactory,
    ExpertFactory,
    PanelDossierFactory,
    PanelFactory,
    PledgeFactory,
    SeatFactory,
)

pytestmark = pytest.mark.django_db

OVERVIEW = "本公司坚持质量第一，导入卓越绩效管理模式十年。"
CJK = re.compile(r"[\u4e00-\u9fff]")


def zh(message: str, **params) -> str:
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    return text % params if params else text


def body(response) -> bytes:
    """The response's content; a streamed file is read to its end, which closes it (see tests/conftest.py)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def dossier_url(dossier):
    return reverse("review:dossier", kwargs={"pk": dossier.pk})


def reply_url(seat):
    return reverse("review:seat-reply", kwargs={"pk": seat.pk})


def pledge_url(cycle):
    return reverse("review:pledge", kwargs={"cycle_pk": cycle.pk})


def attachment_status(client, attachment):
    response = client.get(attachment.get_absolute_url())
    body(response)
    return response.status_code


def opened_events():
    return AuditEvent.objects.filter(action__in=["dossier.opened", "dossier.attachment_opened"])


@pytest.fixture
def cycle():
    return CycleFactory(number=1, year=2020, phase=CyclePhase.MATERIAL_REVIEW)


@pytest.fixture
def dossier(cycle):
    """An eligible dossier with its basics written and two files."""
    dossier = DossierFactory(
        cycle=cycle,
        organisation=OrganisationFactory(name="漯河双汇食品加工有限公司"),
        submitted=True,
        state=DossierState.ELIGIBLE,
        sections={"basics": {"overview": OVERVIEW}},
    )
    AttachmentFactory(dossier=dossier)
    AttachmentFactory(
        dossier=dossier,
        purpose=AttachmentPurpose.SELF_ASSESSMENT_REPORT,
        title="自评报告",
        original_name="自评报告.pdf",
    )
    return dossier


@pytest.fixture
def panel(dossier):
    return PanelDossierFactory(panel=PanelFactory(cycle=dossier.cycle, name="制造业（C）"), dossier=dossier).panel


def seat_on(panel, *, status=SeatStatus.ACCEPTED, pledged=True, **expert):
    """A seat for a new expert on `panel`; with the cycle's pledge signed unless `pledged=False`."""
    seat = SeatFactory(panel=panel, expert=ExpertFactory(**expert), status=status)
    if pledged:
        PledgeFactory(expert=seat.expert, cycle=panel.cycle)
    return seat


@pytest.fixture
def reader(panel):
    """An expert who accepted a seat on the dossier's panel and signed the pledge."""
    return seat_on(panel).expert


@pytest.fixture
def drawn(dossier, secretariat, django_capture_on_commit_callbacks):
    """A panel drawn by the service from a pool of eight: five invited, three ranked alternates."""
    panel = services.panel_create(
        cycle=dossier.cycle, name="制造业（C）", industries=["C"], dossiers=[dossier], size=5, by=secretariat
    )
    ExpertFactory.create_batch(8)
    with django_capture_on_commit_callbacks(execute=True):
        services.panel_draw(panel=panel, by=secretariat, seed="views")
    mail.outbox.clear()
    return panel


@pytest.fixture
def invited(drawn):
    """The second member of the drawn panel (not its leader), still to answer."""
    return drawn.seats.get(rank=2)


def answer(client, seat, data, django_capture_on_commit_callbacks):
    client.force_login(seat.expert.user)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reply_url(seat), data)


# --- the dashboard ---


def test_dashboard_lists_the_experts_seats_newest_cycle_first(client, reader, panel):
    later = SeatFactory(panel=PanelFactory(cycle=CycleFactory(number=2, year=2022), name="服务业（F）"), expert=reader)
    SeatFactory(panel=panel)  # someone else's seat
    client.force_login(reader.user)

    response = client.get(reverse("review:dashboard"))

    assert response.status_code == 200
    assert [seat.pk for seat in response.context["seats"]] == [later.pk, reader.seats.get(panel=panel).pk]
    assert reply_url(later).encode() in response.content


def test_dashboard_for_a_user_without_expert_profile_refused(client, expert):
    client.force_login(expert)

    assert client.get(reverse("review:dashboard")).status_code == 403


# --- answering the invitation ---


def test_seat_reply_page_lists_the_applicants_to_check_for_conflicts(client, invited, dossier):
    client.force_login(invited.expert.user)

    response = client.get(reply_url(invited))

    assert response.status_code == 200
    assert response.context["organisations"] == [dossier.organisation]
    assert dossier.organisation.name in response.content.decode()


def test_seat_reply_accept(client, invited, django_capture_on_commit_callbacks):
    response = answer(client, invited, {"answer": "accept", "note": ""}, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response.url == reverse("review:dashboard")
    invited.refresh_from_db()
    assert invited.status == SeatStatus.ACCEPTED
    assert Seat.objects.filter(panel=invited.panel).count() == 5
    assert messages_of(response) == [zh("Thank you: your answer is recorded.")]


def test_seat_reply_decline_with_reason_brings_in_an_alternate(client, invited, django_capture_on_commit_callbacks):
    response = answer(
        client, invited, {"answer": "decline", "note": "评审期间出国"}, django_capture_on_commit_callbacks
    )

    assert response.status_code == 302
    invited.refresh_from_db()
    assert (invited.status, invited.reply_note) == (SeatStatus.DECLINED, "评审期间出国")
    replacement = Seat.objects.get(replaces=invited)
    assert replacement.status == SeatStatus.INVITED
    assert [message.to for message in mail.outbox] == [[replacement.expert.user.email]]


def test_seat_reply_conflict_with_an_applicant_and_reason(client, invited, dossier, django_capture_on_commit_callbacks):
    data = {"answer": "conflict", "organisation": str(dossier.organisation_id), "note": "曾为该单位提供咨询服务"}

    response = answer(client, invited, data, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    invited.refresh_from_db()
    assert invited.status == SeatStatus.CONFLICT
    assert list(Conflict.objects.values_list("expert", "organisation", "kind", "note")) == [
        (invited.expert_id, dossier.organisation_id, ConflictKind.DECLARED, "曾为该单位提供咨询服务")
    ]
    assert Seat.objects.filter(replaces=invited).count() == 1


@pytest.mark.parametrize("answer_given", ["decline", "conflict"])
def test_seat_reply_without_reason_refused(client, invited, dossier, answer_given, django_capture_on_commit_callbacks):
    data = {"answer": answer_given, "organisation": str(dossier.organisation_id), "note": "  "}

    response = answer(client, invited, data, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert response.context["form"].errors == {"note": [zh("Please give a reason.")]}
    invited.refresh_from_db()
    assert invited.status == SeatStatus.INVITED
    assert (Conflict.objects.count(), Seat.objects.filter(replaces=invited).count(), mail.outbox) == (0, 0, [])


def test_seat_reply_refusal_is_in_chinese(client, invited, django_capture_on_commit_callbacks):
    response = answer(client, invited, {"answer": "decline", "note": ""}, django_capture_on_commit_callbacks)

    [error] = response.context["form"].errors["note"]
    assert error == zh("Please give a reason.")
    assert CJK.search(error) is not None
    assert error in response.content.decode()


def test_seat_reply_conflict_without_the_applicant_refused(client, invited, django_capture_on_commit_callbacks):
    response = answer(client, invited, {"answer": "conflict", "note": "利益相关"}, django_capture_on_commit_callbacks)

    assert response.context["form"].errors == {"organisation": [zh("Choose the applicant you are in conflict with.")]}
    assert Seat.objects.get(pk=invited.pk).status == SeatStatus.INVITED


def test_seat_reply_answered_seat_is_not_answered_again(client, invited, django_capture_on_commit_callbacks):
    answer(client, invited, {"answer": "accept"}, django_capture_on_commit_callbacks)

    response = answer(client, invited, {"answer": "decline", "note": "改变主意"}, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert Seat.objects.get(pk=invited.pk).status == SeatStatus.ACCEPTED
    assert Seat.objects.filter(replaces=invited).count() == 0


def test_seat_reply_to_another_experts_seat_gives_404(client, invited, drawn):
    other = drawn.seats.get(rank=3)
    client.force_login(invited.expert.user)

    response = client.post(reply_url(other), {"answer": "decline", "note": "冒名回复"})

    assert response.status_code == 404
    assert Seat.objects.get(pk=other.pk).status == SeatStatus.INVITED


# --- the pledge gate ---


def test_before_the_pledge_the_dossier_is_closed_and_the_dashboard_asks_for_it(client, panel, dossier):
    expert = seat_on(panel, pledged=False).expert
    client.force_login(expert.user)

    dashboard = client.get(reverse("review:dashboard"))
    page = client.get(dossier_url(dossier))

    assert pledge_url(panel.cycle).encode() in dashboard.content
    assert dossier_url(dossier).encode() not in dashboard.content
    assert page.status_code == 404
    assert [attachment_status(client, a) for a in dossier.attachments.all()] == [404, 404]
    assert opened_events().count() == 0


def test_pledge_unticked_refused(client, panel):
    expert = seat_on(panel, pledged=False).expert
    client.force_login(expert.user)

    response = client.post(pledge_url(panel.cycle), {})

    assert response.status_code == 200
    assert messages_of(response) == [zh("Tick the box to sign the pledge.")]
    assert Pledge.objects.count() == 0


def test_pledge_signed_opens_the_dossier(client, panel, dossier):
    expert = seat_on(panel, pledged=False).expert
    client.force_login(expert.user)

    response = client.post(
        pledge_url(panel.cycle), {"agree": "yes"}, HTTP_USER_AGENT="Mozilla/5.0 测试", REMOTE_ADDR="10.0.0.8"
    )

    assert response.status_code == 302
    assert list(Pledge.objects.values_list("expert", "cycle", "ip_address", "user_agent")) == [
        (expert.pk, panel.cycle_id, "10.0.0.8", "Mozilla/5.0 测试")
    ]
    dashboard = client.get(reverse("review:dashboard"))
    assert dossier_url(dossier).encode() in dashboard.content
    assert pledge_url(panel.cycle).encode() not in dashboard.content
    assert client.get(dossier_url(dossier)).status_code == 200


def test_pledge_page_of_a_cycle_without_a_seat_gives_404(client, reader):
    other_cycle = CycleFactory(number=2, year=2022, phase=CyclePhase.MATERIAL_REVIEW)
    client.force_login(reader.user)

    assert client.get(pledge_url(other_cycle)).status_code == 404


# --- reading the dossier ---


def test_dossier_page_shows_sections_and_attachments_and_is_audited(client, reader, dossier):
    client.force_login(reader.user)

    response = client.get(dossier_url(dossier))

    assert response.status_code == 200
    content = response.content.decode()
    assert OVERVIEW in content
    assert [a.pk for a in response.context["attachments"]] == sorted(a.pk for a in dossier.attachments.all())
    for attachment in dossier.attachments.all():
        assert attachment.get_absolute_url() in content
        assert attachment.original_name in content
    assert list(AuditEvent.objects.filter(action="dossier.opened").values_list("actor", "object_id")) == [
        (reader.user.pk, str(dossier.pk))
    ]


def test_attachment_download_for_the_seated_expert_is_audited(client, reader, dossier):
    attachment = dossier.attachments.get(purpose=AttachmentPurpose.SELF_ASSESSMENT_REPORT)
    client.force_login(reader.user)

    response = client.get(attachment.get_absolute_url())
    content = body(response)

    assert response.status_code == 200
    assert content == pdf_bytes()
    assert list(
        AuditEvent.objects.filter(action="dossier.attachment_opened").values_list("actor", "object_id", "data")
    ) == [(reader.user.pk, str(dossier.pk), {"attachment": attachment.pk})]


@pytest.fixture
def shut_out(panel, dossier, cycle):
    """`shut_out(who)`: an expert with a pledge for the cycle who must not read the dossier."""

    def make(who):
        if who == "other_panel":
            other = PanelDossierFactory(panel=PanelFactory(cycle=cycle, name="服务业（F）")).panel
            return seat_on(other).expert
        if who == "conflicted":
            expert = seat_on(panel).expert
            ConflictFactory(expert=expert, organisation=dossier.organisation)
            return expert
        if who == "declared_conflict":
            return seat_on(panel, status=SeatStatus.CONFLICT).expert
        if who == "declined":
            return seat_on(panel, status=SeatStatus.DECLINED).expert
        if who == "invited":
            return seat_on(panel, status=SeatStatus.INVITED).expert
        return ExpertFactory()  # in the pool, on no panel

    return make


@pytest.mark.parametrize("who", ["other_panel", "conflicted", "declared_conflict", "declined", "invited", "no_seat"])
def test_dossier_and_its_files_closed_to_experts_without_an_accepted_seat_free_of_conflict(
    client, shut_out, reader, dossier, who
):
    expert = shut_out(who)
    client.force_login(expert.user)

    page = client.get(dossier_url(dossier))
    files = [attachment_status(client, attachment) for attachment in dossier.attachments.all()]

    assert (page.status_code, files) == (404, [404, 404])
    assert opened_events().count() == 0


def test_dossier_closed_to_an_applicant_and_a_committee_member(client, reader, dossier, committee_member):
    applicant = MembershipFactory(organisation=dossier.organisation).user

    statuses = []
    for user in (applicant, committee_member):
        client.force_login(user)
        statuses.append(client.get(dossier_url(dossier)).status_code)

    assert statuses == [403, 403]


# --- applicants never learn who reviews them ---

REVIEWER_NAMES = ["司马评审甲", "欧阳评审乙", "诸葛评审丙", "上官评审丁", "慕容评审戊"]


@pytest.fixture
def named_reviewers(panel):
    """Five experts with distinctive names, seated on the dossier's panel, accepted and pledged."""
    return [
        seat_on(panel, user=UserFactory(username=f"reviewer-{n}", name=name, roles=["expert"])).expert
        for n, name in enumerate(REVIEWER_NAMES)
    ]


def portal_pages(client, dossier):
    urls = [
        reverse("applications:dashboard"),
        dossier.get_absolute_url(),
        *(
            reverse("applications:section", kwargs={"pk": dossier.pk, "key": key})
            for key in ("basics", "results", "self_assessment", "declarations")
        ),
        reverse("applications:attachments", kwargs={"pk": dossier.pk}),
    ]
    responses = [client.get(url) for url in urls]
    return [response.status_code for response in responses], "".join(r.content.decode() for r in responses)


def reviewer_traces(content, experts):
    return [
        text
        for expert in experts
        for text in (expert.user.name, expert.user.username, expert.user.email)
        if text in content
    ]


def test_applicant_pages_never_name_the_reviewers(client, named_reviewers, dossier):
    client.force_login(MembershipFactory(organisation=dossier.organisation).user)

    statuses, content = portal_pages(client, dossier)

    assert statuses == [200] * 7
    assert reviewer_traces(content, named_reviewers) == []


def test_applicant_pages_never_name_the_reviewers_after_they_read_the_dossier(client, named_reviewers, dossier):
    for expert in named_reviewers:
        client.force_login(expert.user)
        client.get(dossier_url(dossier))
        body(client.get(dossier.attachments.first().get_absolute_url()))
    client.force_login(MembershipFactory(organisation=dossier.organisation).user)

    statuses, content = portal_pages(client, dossier)

    assert statuses == [200] * 7
    assert reviewer_traces(content, named_reviewers) == []
