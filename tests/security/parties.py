"""The parties of the IDOR and tampering probes (test_idor.py, test_tampered_fields.py): one world, two of each.

Applicants A and B (dossiers in an open, a reviewed, a deliberated and an announced cycle; a file in the open and the
reviewed one, a receipt in the reviewed one), an expert leading panel X (A's dossier) and one leading panel Y (B's)
in a cycle in its material review (each with a draft sheet and a recorded consensus with its report), committee
members of two cycles in deliberation (A's candidate in the first, B's in the second, each vote open with its ballot
box), awards with certificates for both in an announced cycle, a published and a draft notice with files, two
objections with evidence. Ids are kept as plain numbers: world["dossiers"][("a", "review")] is A's dossier in the
reviewed cycle.
"""

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from applications.enums import DossierState
from applications.models import Dossier, Membership
from committee.models import CommitteeMember, ObjectionEvidence
from mayor_award.core.enums import CyclePhase, NoticeState
from mayor_award.core.models import CriteriaItem, Notice, NoticeAttachment
from review import sheets
from review.models import Consensus, ConsensusItem, Expert, PanelDossier, Pledge, Seat
from tests.factories.applications import AttachmentFactory, DossierFactory, OrganisationFactory, pdf_bytes
from tests.factories.applications import valid_credit_code as credit_code
from tests.factories.committee import CandidateFactory, open_vote
from tests.factories.committee_awards import AwardFactory, CertificateFactory, ObjectionFactory
from tests.factories.core import CycleFactory, NoticeFactory, UserFactory
from tests.factories.review import PanelFactory

APPLICANTS = ("applicant_a", "applicant_b")
EXPERTS = ("expert_x", "expert_y")
MEMBERS = ("member_d1", "member_d2")
ROLES = ("anonymous", *APPLICANTS, *EXPERTS, *MEMBERS)
# The party each role acts for: A's dossier is reviewed by panel X and deliberated by the first committee.
PARTY = {"applicant_a": "a", "applicant_b": "b", "expert_x": "a", "expert_y": "b", "member_d1": "a", "member_d2": "b"}


def _users():
    users = {role: UserFactory(username=f"idor-{role}", roles=[role.split("_")[0]]) for role in APPLICANTS}
    users |= {role: UserFactory(username=f"idor-{role}", roles=["expert"]) for role in EXPERTS}
    users |= {role: UserFactory(username=f"idor-{role}", roles=["committee"]) for role in MEMBERS}
    users["anonymous"] = None
    users["secretariat"] = UserFactory(username="idor-secretariat", roles=["secretariat"], is_staff=True)
    return users


def _recorded(panel, dossier):
    consensus = Consensus.objects.create(
        panel=panel, dossier=dossier, stage="material", state="recorded", total="550.0000", recorded_at=timezone.now()
    )
    ConsensusItem.objects.bulk_create(
        ConsensusItem(consensus=consensus, item=item, percent=55, strengths="优势", opportunities="改进")
        for item in CriteriaItem.objects.filter(category__criteria_id=dossier.cycle.criteria_id)
    )
    consensus.report_pdf.save(f"idor-{consensus.pk}.pdf", ContentFile(pdf_bytes()))
    return consensus


def build_parties():
    users = _users()
    now = timezone.now()
    orgs = {
        party: OrganisationFactory(credit_code=credit_code(780100 + n), name=f"越权探测{party}公司")
        for n, party in enumerate("ab")
    }
    for party, role in (("a", "applicant_a"), ("b", "applicant_b")):
        Membership.objects.create(user=users[role], organisation=orgs[party])
    deadline = now + dt.timedelta(days=30)
    cycles = {
        "draft": CycleFactory(number=7800, year=2500, phase=CyclePhase.DRAFT),
        "open": CycleFactory(number=7801, year=2502, phase=CyclePhase.OPEN, application_deadline=deadline),
        "review": CycleFactory(number=7802, year=2504, phase=CyclePhase.MATERIAL_REVIEW),
        "deliberation": CycleFactory(number=7803, year=2506, phase=CyclePhase.DELIBERATION),
        "deliberation_b": CycleFactory(number=7804, year=2508, phase=CyclePhase.DELIBERATION),
        "decided": CycleFactory(number=7805, year=2510, phase=CyclePhase.ANNOUNCED),
    }
    dossiers, attachment_dossier = {}, {}
    for cycle, state in (("open", DossierState.DRAFT), ("review", DossierState.ELIGIBLE)):
        for party in "ab":
            dossier = DossierFactory(
                cycle=cycles[cycle], organisation=orgs[party], submitted=cycle != "open", state=state
            )
            dossiers[(party, cycle)] = dossier.pk
            attachment_dossier[AttachmentFactory(dossier=dossier).pk] = dossier.pk
            if cycle == "review":
                dossier.receipt_pdf.save(f"idor-receipt-{dossier.pk}.pdf", ContentFile(pdf_bytes()))

    # Material review: expert X leads panel X (A's dossier), expert Y panel Y (B's); each has a draft sheet.
    seats, panels, consensuses = {}, {}, {}
    for party, role in (("a", "expert_x"), ("b", "expert_y")):
        dossier = Dossier.objects.get(pk=dossiers[(party, "review")])
        panel = PanelFactory(cycle=cycles["review"], name=f"越权探测{role}组")
        PanelDossier.objects.create(panel=panel, dossier=dossier)
        expert = Expert.objects.create(user=users[role], employer=f"越权探测{role}单位", industries=["C"])
        seat = Seat.objects.create(panel=panel, expert=expert, status="accepted", is_leader=True, rank=1)
        Pledge.objects.create(expert=expert, cycle=cycles["review"], text="承诺")
        sheets.sheet_open(seat=seat, dossier=dossier, stage="material")
        seats[role], panels[role] = seat.pk, panel.pk
        consensuses[(party, "review")] = _recorded(panel, dossier).pk

    # Deliberation: A's candidate before the first committee, B's before the second; both votes open.
    sessions, candidates = {}, {}
    for party, role, cycle in (("a", "member_d1", "deliberation"), ("b", "member_d2", "deliberation_b")):
        candidate = CandidateFactory(
            panel=PanelFactory(cycle=cycles[cycle], name=f"越权探测审定{party}组"),
            dossier__organisation=orgs[party],
            handed_over_by=users["expert_x"],
        )
        CommitteeMember.objects.create(cycle=cycles[cycle], user=users[role])
        dossiers[(party, cycle)] = candidate.dossier_id
        consensuses[(party, "deliberation")] = _recorded(candidate.panel, candidate.dossier).pk
        sessions[party] = open_vote(cycles[cycle], [candidate], by=users["secretariat"]).pk
        candidates[party] = candidate.pk

    # Announced: both organisations have feedback and an award with its certificate.
    serials = {}
    for number, party in enumerate("ab", start=1):
        award = AwardFactory(cycle=cycles["decided"], organisation=orgs[party], number=number)
        dossiers[(party, "decided")] = award.dossier_id
        _recorded(PanelFactory(cycle=cycles["decided"], name=f"越权探测反馈{party}组"), award.dossier)
        serials[party] = CertificateFactory(award=award).serial

    notices = {
        "published": NoticeFactory(cycle=cycles["open"], published=True),
        "draft": NoticeFactory(cycle=cycles["open"]),
    }
    notice_files = {
        key: NoticeAttachment.objects.create(
            notice=notice,
            title="附件",
            file=ContentFile(pdf_bytes(), name="a.pdf"),
            original_name="附件.pdf",
            content_type="application/pdf",
            size=len(pdf_bytes()),
        ).pk
        for key, notice in notices.items()
    }
    objections = [ObjectionFactory(), ObjectionFactory()]
    evidence = [
        ObjectionEvidence.objects.create(
            objection=objection,
            file=ContentFile(pdf_bytes(), name="证据.pdf"),
            original_name="证据.pdf",
            content_type="application/pdf",
            size=len(pdf_bytes()),
            sha256="0" * 64,
        )
        for objection in objections
    ]
    return {
        "users": users,
        "cycles": {key: cycle.pk for key, cycle in cycles.items()},
        "cycle_numbers": [cycle.number for cycle in cycles.values()],
        "public_cycles": {cycle.number for cycle in cycles.values() if cycle.phase != CyclePhase.DRAFT},
        "dossiers": dossiers,
        "attachment_dossier": attachment_dossier,
        "seats": seats,
        "panels": panels,
        "consensuses": consensuses,
        "serials": serials,
        "sessions": sessions,
        "candidates": candidates,
        "notices": {key: notice.pk for key, notice in notices.items()},
        # Every published notice is public, the publicities' of the objections' factories included.
        "published_notices": set(Notice.objects.filter(state=NoticeState.PUBLISHED).values_list("pk", flat=True)),
        "notice_files": notice_files,
        "objections": [objection.pk for objection in objections],
        "evidence": [one.pk for one in evidence],
    }
