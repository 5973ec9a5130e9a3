"""Redis (the Celery broker) stops while applicants submit, experts score and the secretariat decides: every page
still says it worked, every row is committed, the e-mails wait as pending marks, and once Redis is back the worker's
sweepers send each of them exactly once.

A real worker (with its beat, sweeping every second) runs against a private redis-server that the test stops and
starts again; the shared Redis is never touched. The worker writes its e-mails to its log (console backend), which
is where the test counts them. Figures print with `pytest -s`.
"""

import re
import time

import pytest
from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from kombu.exceptions import OperationalError

from applications import pdf, receipts
from applications.enums import DossierState
from applications.models import EligibilityDecision
from applications.notifications import DECISION_MAILED, decision_mails_pending, dossier_audit_events
from applications.services import dossier_start
from committee.enums_awards import ObjectionState
from committee.models import Objection
from committee.tasks_awards import task_send_objection_mail, task_send_pending_objection_mails
from mayor_award.core.enums import CyclePhase
from review.enums import SheetState
from review.models import ItemScore, ScoreSheet
from tests.applications.test_admin import CLEAN_FINDINGS, make_dossier
from tests.applications.test_portal import fill_in, open_cycle, submit_url
from tests.conftest import postgres_in_use, require
from tests.factories.applications import MembershipFactory, OrganisationFactory, pdf_bytes
from tests.factories.committee_awards import approved_cycle, object_to, publicise
from tests.factories.core import CycleFactory, UserFactory
from tests.factories.review_consensus import criteria_codes, scored_panel
from tests.integration.conftest import real_broker, redis_server_available, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NEEDS_POSTGRES = (
    "needs PostgreSQL (set DATABASE_URL=postgres://...): the worker subprocess must reach the test database"
)
DELIVERY_TIMEOUT = 60
RECEIPT_SWEEP_DONE = re.compile(r"task_send_pending_receipts\[[0-9a-f-]+\] succeeded")
DECISION_SWEEP_DONE = re.compile(r"task_send_pending_decision_mails\[[0-9a-f-]+\] succeeded")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def succeeded(response) -> bool:
    """A redirect after a POST with only success messages: what the user reads as "it worked"."""
    levels = [message.level for message in get_messages(response.wsgi_request)]
    return response.status_code == 302 and levels and set(levels) == {message_levels.SUCCESS}


def mails_to(log: str, address: str) -> int:
    """How many e-mails the worker's console backend wrote with `address` among the recipients."""
    return len(re.findall(rf"^To: [^\n]*\b{re.escape(address)}", log, re.MULTILINE))


def objection_form(candidate, email: str) -> dict:
    return {
        "candidate": candidate.pk,
        "name": "王建国",
        "id_number": "",
        "organisation": "漯河市某食品有限公司",
        "phone": "13800000000",
        "email": email,
        "text": "该单位近三年存在产品抽检不合格情况。",
        "evidence": SimpleUploadedFile("抽检报告.pdf", pdf_bytes(), content_type="application/pdf"),
    }


class World:
    """An applicant with a filled-in dossier, an expert on a panel, a dossier awaiting its eligibility decision,
    and a publicity with an objection already acknowledged (its reply is still to come)."""

    def __init__(self):
        self.secretariat = UserFactory(roles=["secretariat"], is_staff=True)
        self.member = MembershipFactory(user__email="a1@example.com", organisation__contact_email="o1@example.com")
        self.draft = dossier_start(
            cycle=open_cycle(number=91), organisation=self.member.organisation, by=self.member.user
        )
        self.applicant = logged_in(self.member.user)
        fill_in(self.applicant, self.draft)

        self.panel = scored_panel(experts=1)
        self.expert = logged_in(self.panel.seats[0].expert.user)

        eligibility = CycleFactory(number=92, year=2092, phase=CyclePhase.ELIGIBILITY)
        self.awaiting = make_dossier(
            eligibility, OrganisationFactory(contact_email="o2@example.com"), findings=CLEAN_FINDINGS
        )
        # Its receipt went out when it was submitted; else the worker's receipt sweeper would rightly send it now.
        assert receipts.receipt_deliver(dossier_id=self.awaiting.pk)

        approved = approved_cycle(proposed=2, spare=1, number=93, year=2093)
        self.publicity = publicise(approved.cycle, by=self.secretariat)
        self.publicity_cycle = approved.cycle
        # Filed while the broker was up: acknowledged in-process (eager), decided during the outage.
        self.answered = object_to(self.publicity.candidates.first(), email="b1@example.com")
        self.admin = logged_in(self.secretariat)


def act_while_the_broker_is_down(world: World) -> dict:
    """Each user does their part through the pages; returns the responses by name."""
    responses = {"submit": world.applicant.post(submit_url(world.draft))}

    dossier, codes = world.panel.dossier, criteria_codes(world.panel.cycle)
    for code in codes[:3]:  # the autosave of single items, as the page's htmx does
        saved = world.expert.post(
            reverse("review:score-item", args=[dossier.pk, "material", code]), {f"p_{code}": "60"}
        )
        assert saved.status_code == 200 and saved["X-Score-Saved"] == "1", saved.content[:500]
    form = {f"p_{code}": "60" for code in codes} | {f"s_{code}": "方法系统" for code in codes} | {"action": "submit"}
    responses["sheet"] = world.expert.post(reverse("review:score", args=[dossier.pk, "material"]), form)

    responses["decision"] = world.admin.post(
        reverse("admin:applications_dossier_decide", args=[world.awaiting.pk]),
        {"kind": "eligible", "judgement-9(1)-declaration": "yes", "judgement-9(2)-declaration": "yes", "note": "齐全"},
    )
    responses["objection"] = Client().post(
        reverse("committee:publicity", kwargs={"cycle": world.publicity_cycle.number}),
        objection_form(list(world.publicity.candidates.all())[1], "c1@example.com"),
        REMOTE_ADDR="198.51.100.7",
    )
    responses["reply"] = world.admin.post(
        reverse("admin:committee_objection_decide", args=[world.answered.pk]),
        {"outcome": "dismissed", "reply": "经核实，异议不成立。"},
    )
    return responses


def assert_committed_and_pending(world: World):
    draft = type(world.draft).objects.get(pk=world.draft.pk)
    assert draft.state == DossierState.SUBMITTED and draft.number
    assert list(receipts.receipts_pending()) == [draft]
    assert not dossier_audit_events(draft.pk, receipts.RECEIPT_SENT).exists()

    sheet = ScoreSheet.objects.get(seat=world.panel.seats[0], dossier=world.panel.dossier)
    assert sheet.state == SheetState.SUBMITTED
    assert set(ItemScore.objects.filter(sheet=sheet).values_list("percent", flat=True)) == {60}

    decision = EligibilityDecision.objects.get(dossier=world.awaiting)
    assert type(world.awaiting).objects.get(pk=world.awaiting.pk).state == DossierState.ELIGIBLE
    assert list(decision_mails_pending()) == [decision]

    new = Objection.objects.get(email="c1@example.com")
    assert (new.state, new.receipt_mailed_at) == (ObjectionState.RECEIVED, None)
    world.answered.refresh_from_db()
    assert world.answered.state == ObjectionState.DISMISSED
    assert world.answered.receipt_mailed_at is not None  # acknowledged before the outage
    assert world.answered.reply_mailed_at is None


def delivered(world: World) -> bool:
    draft, awaiting = world.draft, world.awaiting
    return (
        dossier_audit_events(draft.pk, receipts.RECEIPT_SENT).exists()
        and dossier_audit_events(awaiting.pk, DECISION_MAILED).exists()
        and Objection.objects.filter(email="c1@example.com", receipt_mailed_at__isnull=False).exists()
        and Objection.objects.filter(pk=world.answered.pk, reply_mailed_at__isnull=False).exists()
    )


def wait_for_sweeps(worker, pattern, sweeps=2):
    """Return after `sweeps` more runs of a sweeper: had it anything left to send, it would have sent it again."""
    done = len(pattern.findall(worker.log()))
    ran = wait_until(lambda: len(pattern.findall(worker.log())) >= done + sweeps, 20, 0.05)
    assert ran is not None, f"the sweeper did not run {sweeps} more times\n{worker.tail()}"


# private_redis before start_worker: fixtures are torn down in reverse, so the worker stops first.
def test_nothing_is_lost_while_the_broker_is_down_and_each_mail_goes_once(
    private_redis, start_worker, monkeypatch, caplog
):
    require(postgres_in_use(), NEEDS_POSTGRES)
    require(redis_server_available(), "needs the redis-server and redis-cli programs (Debian: redis-server)")
    require(pdf.chinese_font_available(), f"no font for Chinese (fc-list :lang=zh is empty): {pdf.INSTALL_HINT}")
    monkeypatch.setenv("PRIVATE_FILES_ROOT", str(settings.PRIVATE_FILES_ROOT))
    monkeypatch.setenv("MAIL_SWEEP_SECONDS", "1")
    monkeypatch.setenv("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    world = World()
    private_redis.start()
    worker = start_worker(private_redis.url)

    private_redis.stop()
    # Not needed for what follows (the requests never talk to the worker), but closer to the outage it stands for.
    noticed = wait_until(lambda: "Connection to broker lost" in worker.log(), 30, 0.05)
    print(f"\nthe worker noticed the outage after {noticed} s")
    with real_broker(private_redis.url):
        started = time.monotonic()
        responses = act_while_the_broker_is_down(world)
        print(f"five requests with the broker down took {time.monotonic() - started:.2f} s")
        assert {name: succeeded(response) for name, response in responses.items()} == dict.fromkeys(responses, True)
        assert "Broker unreachable" in caplog.text
        assert_committed_and_pending(world)

        restarted = time.monotonic()
        private_redis.start()
        assert worker.process.poll() is None, f"the worker died during the outage\n{worker.tail()}"
        task_send_pending_objection_mails.delay()  # not in the beat schedule yet: published as beat would
        took = wait_until(lambda: delivered(world), DELIVERY_TIMEOUT, 0.2)
        assert took is not None, f"not everything was delivered after {DELIVERY_TIMEOUT} s\n{worker.tail()}"
        print(f"every pending e-mail delivered {time.monotonic() - restarted:.2f} s after Redis was started again")
        wait_for_sweeps(worker, RECEIPT_SWEEP_DONE)
        wait_for_sweeps(worker, DECISION_SWEEP_DONE)

    log = worker.log()
    assert {name: mails_to(log, f"{name}@example.com") for name in ("a1", "o1", "o2", "b1", "c1")} == {
        "a1": 1,  # the receipt, to the applicant's user and
        "o1": 1,  # its organisation's contact address, in one e-mail
        "o2": 1,  # the eligibility decision
        "b1": 1,  # the reply to the objection decided during the outage (its acknowledgement went before)
        "c1": 1,  # the acknowledgement of the objection filed during the outage
    }, worker.tail()
    assert dossier_audit_events(world.draft.pk, receipts.RECEIPT_SENT).count() == 1
    assert dossier_audit_events(world.awaiting.pk, DECISION_MAILED).count() == 1
    # Nothing is left for any sweeper (run here, in-process).
    assert list(receipts.receipts_pending()) == [] and list(decision_mails_pending()) == []
    assert task_send_pending_objection_mails.run() == 0


# Without a worker or Redis (any database): the objection e-mails, whose sweeper this issue added.
@pytest.mark.django_db
def test_objection_mails_lost_to_the_broker_are_sent_once_by_the_sweeper(
    monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(task_send_objection_mail, "apply_async", broker_down)
    secretariat = UserFactory(roles=["secretariat"], is_staff=True)
    approved = approved_cycle(proposed=2, spare=1)
    publicity = publicise(approved.cycle, by=secretariat)
    first, second = list(publicity.candidates.all())[:2]
    url = reverse("committee:publicity", kwargs={"cycle": approved.cycle.number})
    with django_capture_on_commit_callbacks(execute=True):
        filed = [
            Client().post(url, objection_form(candidate, email), REMOTE_ADDR=address)
            for candidate, email, address in (
                (first, "c1@example.com", "198.51.100.1"),
                (second, "c2@example.com", "198.51.100.2"),
            )
        ]
        decided = logged_in(secretariat).post(
            reverse("admin:committee_objection_decide", args=[Objection.objects.get(email="c2@example.com").pk]),
            {"outcome": "dismissed", "reply": "经核实，异议不成立。"},
        )

    assert [response.status_code for response in filed] == [302, 302]  # the page, not a server error
    assert succeeded(decided)
    assert mailoutbox == []
    assert task_send_pending_objection_mails.run() == 2
    # The open objection is acknowledged; the decided one gets its reply, which supersedes the acknowledgement.
    assert sorted((message.to[0], "异议" in message.subject) for message in mailoutbox) == [
        ("c1@example.com", True),
        ("c2@example.com", True),
    ]
    open_one, decided_one = Objection.objects.get(email="c1@example.com"), Objection.objects.get(email="c2@example.com")
    assert open_one.receipt_mailed_at is not None and decided_one.reply_mailed_at is not None
    assert decided_one.receipt_mailed_at is None
    assert task_send_pending_objection_mails.run() == 0
    assert len(mailoutbox) == 2
