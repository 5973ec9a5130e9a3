"""Who may open what in which phase of the cycle (届的阶段): every address whose access the phase changes.

The authorization matrix checks every address once; here each address whose rule reads the cycle's phase is
checked for the roles it concerns in every phase, before, during and after the one that opens it. The rules come
from the code, not from guesses:

- experts read a dossier, its files, score it, see the panel's scores, and the leader the panel's overview and
  consensus, only in the review phases (review.selectors.REVIEW_PHASES, review.views.leader.leader_panel); a score
  is saved only in the phase of its stage (review.sheets.STAGE_PHASES, else 409);
- committee members see candidates, reports and the ballot only in the deliberation (selectors_voting.member_for_user);
- the feedback report only once the cycle is announced or closed (review.feedback.RELEASE_PHASES);
- a draft dossier changes only while the cycle is open before its deadline (applications.services.section_is_editable);
- a certificate is verified publicly only in an announced or closed cycle (selectors_awards.ANNOUNCED_PHASES) and
  downloaded by its winner while the award stands;
- an objection is received only while the publicity runs (services_awards.objection_problems: dates, not phase).

The expert and the panel's leader read a dossier by the same rule (selectors.dossiers_for_expert): the pages that
differ for the leader (autosave of a submitted sheet, the panel's scores, the leader's pages) are checked for both,
the others for the expert. One world for the module, built once in a transaction; each case moves the cycle to its
phase (and its dossier to the state the rule needs) inside its own savepoint.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications.enums import DossierState
from applications.models import Attachment, Dossier, DossierSection, Membership
from committee.models import Award, BallotReceipt, CommitteeMember, Objection, Publicity
from mayor_award.core.enums import CyclePhase, NoticeState
from mayor_award.core.models import Cycle, Notice
from review.models import Expert, ItemScore, Pledge, Seat
from tests.factories.applications import (
    AttachmentFactory,
    DossierFactory,
    OrganisationFactory,
    pdf_bytes,
    valid_credit_code,
)
from tests.factories.committee import CandidateFactory, OnsiteConsensusFactory, open_vote
from tests.factories.committee_awards import (
    AwardFactory,
    CertificateFactory,
    PublicityCandidateFactory,
    PublicityFactory,
)
from tests.factories.core import CycleFactory, UserFactory
from tests.factories.review import PanelDossierFactory, PanelFactory
from tests.factories.review_consensus import submitted_sheet
from tests.security.world_kit import (
    LOGIN,
    fetch,
    module_private_root,  # noqa: F401 (a fixture the world uses)
    module_settings,
    module_world,
    sign_in,
    status_of,
    templates_of,
)

_fast_and_local = module_settings

PHASES = tuple(CyclePhase)
REVIEW = (CyclePhase.MATERIAL_REVIEW, CyclePhase.ONSITE_REVIEW)
DELIBERATION = (CyclePhase.DELIBERATION,)
DECIDED = (CyclePhase.ANNOUNCED, CyclePhase.CLOSED)
OPEN = (CyclePhase.OPEN,)
# The publicity's own clock: objections are received from its first to its last day, while its notice is public.
PERIODS = ("not-started", "running", "ended", "notice-unpublished")

CANDIDATES_PAGE = (200, "committee/member/candidates.html")
BALLOT_PAGE = (200, "committee/member/ballot.html")
CLOSED_PAGE = (200, "committee/member/closed.html")
ITEM = "4.1.2"
PROBE_TEXT = "阶段探针"


def inside(phases, yes, no):
    """`yes` in the listed phases, `no` in every other one."""
    return lambda phase: yes if phase in phases else no


def always(expected):
    return lambda phase: expected


@dataclass
class PhaseRow:
    name: str
    kwargs: Any  # a function of the world giving the URL's arguments
    expected: dict  # role -> function of the phase giving the status (or (status, template))
    phases: tuple = PHASES
    method: str = "get"
    data: Any = field(default_factory=dict)  # a dict, or a function of the world giving one
    state: str = DossierState.ELIGIBLE  # the world's dossier is put in this state for the case
    variant: str = ""
    # A write the request may make: wrote(world) tells whether it happened; writes(role, phase) whether it should.
    wrote: Any = None
    writes: Any = None
    setup: Any = None  # replaces the phase's setup (the publicity's periods)

    @property
    def id(self):
        return f"{self.name}[{self.variant}]" if self.variant else self.name


def _dossier(world):
    return {"pk": world["dossier"].pk}


def _score(stage):
    return lambda world: {"pk": world["dossier"].pk, "stage": stage}


def _score_item(stage):
    return lambda world: {"pk": world["dossier"].pk, "stage": stage, "code": ITEM}


def _item_saved(stage, role):
    def wrote(world):
        return (
            ItemScore.objects.filter(
                sheet__seat=world["seats"][role], sheet__dossier=world["dossier"], sheet__stage=stage, item__code=ITEM
            )
            .filter(percent=65)
            .exists()
        )

    return wrote


def _score_item_saved(stage):
    def wrote(world):
        return {role: _item_saved(stage, role)(world) for role in ("expert", "panel_leader")}

    return wrote


def _declarations_saved(world):
    return DossierSection.objects.get(dossier=world["dossier"], key="declarations").data.get("licences") == [PROBE_TEXT]


def _declarations_post(world):
    section = DossierSection.objects.get(dossier=world["dossier"], key="declarations")
    return {"licences": PROBE_TEXT, "version": section.version}


def _attachment_gone(world):
    return not Attachment.objects.filter(pk=world["attachment"].pk).exists()


def _ballot_cast(world):
    return BallotReceipt.objects.filter(session=world["session"]).exists()


def _objection_received(world):
    return Objection.objects.filter(publicity=world["publicity"], text=PROBE_TEXT).exists()


def _objection_post(world):
    return {
        "candidate": world["publicity_candidate"].pk,
        "name": "王建国",
        "organisation": "漯河市某食品有限公司",
        "phone": "13800000000",
        "email": "objector@example.com",
        "text": PROBE_TEXT,
        "evidence": SimpleUploadedFile("证据.pdf", pdf_bytes(), content_type="application/pdf"),
    }


def _set_period(world, period):
    today = timezone.localdate()
    days = {"not-started": (1, 8), "running": (-3, 4), "ended": (-9, -2), "notice-unpublished": (-3, 4)}[period]
    Publicity.objects.filter(pk=world["publicity"].pk).update(
        starts_on=today + dt.timedelta(days=days[0]), ends_on=today + dt.timedelta(days=days[1])
    )
    if period == "notice-unpublished":
        Notice.objects.filter(pk=world["publicity"].notice_id).update(state=NoticeState.DRAFT)


def _revoked(world, phase):
    _enter_phase(world, phase, DossierState.REVOKED)
    Award.objects.filter(pk=world["certificate"].award_id).update(revoked_at=timezone.now())


def _only(role, phases):
    return lambda who, phase: who == role and phase in phases


ROWS = [
    # --- the experts' pages: open in the review phases only ---
    PhaseRow(
        "review:dossier",
        _dossier,
        {"expert": inside(REVIEW, 200, 404)},
    ),
    PhaseRow(
        "applications:attachment",
        lambda w: {"dossier_pk": w["dossier"].pk, "pk": w["attachment"].pk},
        {
            "expert": inside(REVIEW, 200, 404),
            "applicant": always(200),  # its own organisation's file, whatever the phase
            "secretariat": always(200),
        },
    ),
    PhaseRow(
        "review:score",
        _score("material"),
        # The leader's submitted sheet exists (the page's one-query path, sheets.scorable_sheet); the expert's is made
        # on opening (the long path).
        {"expert": inside(REVIEW, 200, 404), "panel_leader": inside(REVIEW, 200, 404)},
        variant="material",
    ),
    PhaseRow(
        "review:score",
        _score("onsite"),
        {"expert": inside(REVIEW, 200, 404)},
        variant="onsite",
    ),
    # The autosave writes only in the stage's own phase (409 in the other review phase); the leader's material sheet
    # is submitted, so only the secretariat's reopening would let it change.
    PhaseRow(
        "review:score-item",
        _score_item("material"),
        {
            "expert": lambda phase: {CyclePhase.MATERIAL_REVIEW: 200, CyclePhase.ONSITE_REVIEW: 409}.get(phase, 404),
            "panel_leader": inside(REVIEW, 409, 404),
        },
        method="post",
        data={f"p_{ITEM}": "65"},
        variant="material",
        wrote=_score_item_saved("material"),
        writes=_only("expert", (CyclePhase.MATERIAL_REVIEW,)),
    ),
    PhaseRow(
        "review:score-item",
        _score_item("onsite"),
        {
            "expert": lambda phase: {CyclePhase.ONSITE_REVIEW: 200, CyclePhase.MATERIAL_REVIEW: 409}.get(phase, 404),
            "panel_leader": lambda phase: {CyclePhase.ONSITE_REVIEW: 200, CyclePhase.MATERIAL_REVIEW: 409}.get(
                phase, 404
            ),
        },
        method="post",
        data={f"p_{ITEM}": "65"},
        variant="onsite",
        wrote=_score_item_saved("onsite"),
        writes=lambda who, phase: phase == CyclePhase.ONSITE_REVIEW,
    ),
    # Independent scoring: the leader submitted, the expert did not (403: not yet); outside the review, not found.
    PhaseRow(
        "review:panel-scores",
        _score("material"),
        {"expert": inside(REVIEW, 403, 404), "panel_leader": inside(REVIEW, 200, 404)},
    ),
    PhaseRow(
        "review:panel",
        lambda w: {"pk": w["panel"].pk},
        {"panel_leader": inside(REVIEW, 200, 404)},
    ),
    PhaseRow(
        "review:consensus",
        lambda w: {"pk": w["panel"].pk, "dossier_pk": w["dossier"].pk, "stage": "material"},
        {"panel_leader": inside(REVIEW, 200, 404)},
    ),
    # The panel's report: its experts during the review only; committee members read it through the committee's
    # page instead (below); the secretariat always.
    PhaseRow(
        "review:consensus-report",
        lambda w: {"pk": w["consensus"].pk},
        {
            "expert": inside(REVIEW, 200, 404),
            "committee": always(404),
            "secretariat": always(200),
        },
    ),
    # The leader's candidate list is the panel's own work and is not bound to a phase (review.onsite.panel_for_leader);
    # only its hand-over is (onsite.handover_refusal). Other experts never open it.
    PhaseRow(
        "review:candidates",
        lambda w: {"pk": w["panel"].pk},
        {"panel_leader": always(200)},
    ),
    # --- the committee's pages: open in the deliberation only ---
    PhaseRow(
        "committee:home",
        lambda w: {},
        {"committee": inside(DELIBERATION, CANDIDATES_PAGE, CLOSED_PAGE)},
        state=DossierState.CANDIDATE,
    ),
    PhaseRow(
        "committee:ballot",
        lambda w: {},
        {"committee": inside(DELIBERATION, BALLOT_PAGE, CLOSED_PAGE)},
        state=DossierState.CANDIDATE,
    ),
    PhaseRow(
        "committee:ballot",
        lambda w: {},
        {"committee": inside(DELIBERATION, 302, CLOSED_PAGE)},
        method="post",
        data=lambda w: {"final": "yes", f"c_{w['candidate'].pk}": "approve"},
        state=DossierState.CANDIDATE,
        variant="cast",
        wrote=_ballot_cast,
        writes=_only("committee", DELIBERATION),
    ),
    PhaseRow(
        "committee:report",
        lambda w: {"pk": w["consensus"].pk},
        {"committee": inside(DELIBERATION, 200, 404)},
        state=DossierState.CANDIDATE,
    ),
    # --- the applicant's pages ---
    PhaseRow(
        "review:feedback",
        _dossier,
        {"applicant": inside(DECIDED, 200, 404), "other_applicant": always(404)},
        state=DossierState.NOT_SELECTED,
    ),
    PhaseRow(
        "review:feedback-pdf",
        _dossier,
        {"applicant": inside(DECIDED, 200, 404)},
        state=DossierState.NOT_SELECTED,
    ),
    # A draft changes only while the cycle is open: elsewhere the form answers with a message and saves nothing.
    PhaseRow(
        "applications:section",
        lambda w: {"pk": w["dossier"].pk, "key": "declarations"},
        {"applicant": always(302)},
        method="post",
        data=_declarations_post,
        state=DossierState.DRAFT,
        wrote=_declarations_saved,
        writes=_only("applicant", OPEN),
    ),
    PhaseRow(
        "applications:attachment-delete",
        lambda w: {"pk": w["dossier"].pk, "attachment_pk": w["attachment"].pk},
        {"applicant": always(302)},
        method="post",
        state=DossierState.DRAFT,
        wrote=_attachment_gone,
        writes=_only("applicant", OPEN),
    ),
    # --- certificates: verified publicly once the cycle is announced; downloaded by the winner while it stands ---
    PhaseRow(
        "committee:verify",
        lambda w: {"serial": w["certificate"].serial},
        {"anonymous": inside(DECIDED, 200, 404), "applicant": inside(DECIDED, 200, 404)},
        state=DossierState.AWARDED,
    ),
    PhaseRow(
        "committee:certificate",
        lambda w: {"serial": w["certificate"].serial},
        {"applicant": always(200), "other_applicant": always(404), "anonymous": always(LOGIN)},
        phases=DECIDED,
        state=DossierState.AWARDED,
    ),
    PhaseRow(
        "committee:certificate",
        lambda w: {"serial": w["certificate"].serial},
        {"applicant": always(404), "secretariat": always(200)},
        phases=DECIDED,
        setup=_revoked,
        variant="revoked",
    ),
    # --- the publicity: objections only while it runs and its notice is public ---
    PhaseRow(
        "committee:publicity",
        lambda w: {"cycle": w["publicity"].cycle.number},
        {"anonymous": inside(("running",), 302, 200), "other_applicant": inside(("running",), 302, 200)},
        phases=PERIODS,
        method="post",
        data=_objection_post,
        setup=_set_period,
        wrote=_objection_received,
        writes=lambda who, period: period == "running",
    ),
]

CASES = [
    pytest.param(row, role, phase, id=f"{row.id}-{role}-{phase}")
    for row in ROWS
    for role in row.expected
    for phase in row.phases
]


def _build_world():
    users = {
        "anonymous": None,
        "applicant": UserFactory(username="phase-applicant", roles=["applicant"]),
        "other_applicant": UserFactory(username="phase-other-applicant", roles=["applicant"]),
        "expert": UserFactory(username="phase-expert", roles=["expert"]),
        "panel_leader": UserFactory(username="phase-leader", roles=["expert"]),
        "committee": UserFactory(username="phase-committee", roles=["committee"]),
        "secretariat": UserFactory(username="phase-secretariat", roles=["secretariat"], is_staff=True),
    }
    now = timezone.now()
    cycle = CycleFactory(
        number=7701, year=2301, phase=CyclePhase.MATERIAL_REVIEW, application_deadline=now + dt.timedelta(days=30)
    )
    organisation = OrganisationFactory(credit_code=valid_credit_code(770101), name="阶段测试甲公司")
    other = OrganisationFactory(credit_code=valid_credit_code(770102), name="阶段测试乙公司")
    Membership.objects.create(user=users["applicant"], organisation=organisation)
    Membership.objects.create(user=users["other_applicant"], organisation=other)
    dossier = DossierFactory(cycle=cycle, organisation=organisation, submitted=True, state=DossierState.ELIGIBLE)
    DossierFactory(cycle=cycle, organisation=other, submitted=True, state=DossierState.ELIGIBLE)
    attachment = AttachmentFactory(dossier=dossier)

    panel = PanelFactory(cycle=cycle, name="阶段测试组")
    PanelDossierFactory(panel=panel, dossier=dossier)
    seats = {}
    for rank, role in enumerate(("panel_leader", "expert"), start=1):
        expert = Expert.objects.create(user=users[role], employer=f"阶段测试专家单位{rank}", industries=["C"])
        seats[role] = Seat.objects.create(
            panel=panel, expert=expert, status="accepted", is_leader=role == "panel_leader", rank=rank
        )
        Pledge.objects.create(expert=expert, cycle=cycle, text="承诺")
    submitted_sheet(seats["panel_leader"], dossier, percents=50)

    candidate = CandidateFactory(panel=panel, dossier=dossier)
    consensus = OnsiteConsensusFactory(candidate=candidate, stage="material", report=True)
    CommitteeMember.objects.create(cycle=cycle, user=users["committee"], office="director")
    session = open_vote(cycle, [candidate], by=users["secretariat"], opened_at=now)

    award = AwardFactory(cycle=cycle, organisation=organisation, dossier=dossier)
    certificate = CertificateFactory(award=award)

    publicity = PublicityFactory(cycle=CycleFactory(number=7702, year=2303, phase=CyclePhase.PUBLICITY))
    publicity_candidate = PublicityCandidateFactory(
        publicity=publicity,
        entry__candidate__dossier__organisation=OrganisationFactory(
            credit_code=valid_credit_code(770103), name="阶段测试公示单位"
        ),
    )
    return {
        "users": users,
        "cycle": cycle,
        "dossier": dossier,
        "attachment": attachment,
        "panel": panel,
        "seats": seats,
        "candidate": candidate,
        "consensus": consensus,
        "session": session,
        "certificate": certificate,
        "publicity": publicity,
        "publicity_candidate": publicity_candidate,
    }


world = module_world(_build_world)


def _enter_phase(world, phase, state):
    Cycle.objects.filter(pk=world["cycle"].pk).update(phase=phase)
    Dossier.objects.filter(pk=world["dossier"].pk).update(state=state)


def _enter(world, row, phase):
    if row.setup is not None:
        row.setup(world, phase)
    else:
        _enter_phase(world, phase, row.state)


def _url(world, row):
    return reverse(row.name, kwargs=row.kwargs(world))


@pytest.mark.parametrize(("row", "role", "phase"), CASES)
def test_phase_access(db, world, row, role, phase):
    _enter(world, row, phase)
    before = row.wrote(world) if row.wrote else None
    client = Client()
    sign_in(client, world, role)
    data = row.data(world) if callable(row.data) else row.data

    response = fetch(client, row.method, _url(world, row), data)

    expected = row.expected[role](phase)
    if isinstance(expected, tuple):
        assert (status_of(response), expected[1] in templates_of(response)) == (expected[0], True), (
            response.status_code,
            sorted(templates_of(response)),
        )
    else:
        assert status_of(response) == expected, (response.status_code, response.get("Location"))
    if row.wrote:
        after = row.wrote(world)
        should = row.writes(role, phase)
        if isinstance(after, dict):  # per seat: only the one that asked may have written, and only when allowed
            assert after == {**before, role: should}, (before, after)
        else:
            assert after == (should or before), f"written: {after}, expected {should}"
