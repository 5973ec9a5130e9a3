"""Authorization rows of publicity, objections, awards, certificates and revocation.

The world gains a cycle in publicity (number 46) whose list is publicised from today, with an objection and its
evidence; and an announced cycle (number 45) in which the world's organisation (the matrix's "applicant") won an
award with a rendered certificate, the mayor's approval, a certificate batch and an open revocation case with an
evidence file. Public pages open for everyone; the certificate only for its winner and the secretariat (anyone
else: not found; signed out: the login page); the admin's pages and buttons only for the secretariat.
"""

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from committee.models import ObjectionEvidence
from tests.factories.applications import OrganisationFactory, valid_credit_code
from tests.factories.committee_awards import (
    AwardApprovalFactory,
    AwardFactory,
    CertificateBatchFactory,
    CertificateFactory,
    ObjectionFactory,
    PublicityCandidateFactory,
    PublicityFactory,
    RevocationCaseFactory,
)
from tests.factories.core import CycleFactory
from tests.security.matrix_kit import LOGIN, PDF, Row, everyone, secretariat_only

# The winner's members and the secretariat download the certificate; other signed-in users find nothing.
WINNER_ONLY = {**everyone(404), "anonymous": LOGIN, "applicant": 200, "secretariat": 200}


def _objects(key):
    return lambda world: {"object_id": world["committee_awards"][key].pk}


ROWS = [
    Row("committee:publicity", everyone(200), lambda w: {"cycle": w["committee_awards"]["publicity"].cycle.number}),
    # An empty objection: refused with the form's messages, nothing saved, for anyone.
    Row(
        "committee:publicity",
        everyone(200),
        lambda w: {"cycle": w["committee_awards"]["publicity"].cycle.number},
        method="post",
        variant="post",
    ),
    Row("committee:publicity", everyone(404), {"cycle": 999}, variant="unknown"),
    Row("committee:winners", everyone(200)),
    Row("committee:verify", everyone(200), lambda w: {"serial": w["committee_awards"]["certificate"].serial}),
    Row("committee:verify", everyone(404), {"serial": "LHZLJ-1999-99"}, variant="unknown"),
    Row("committee:certificate", WINNER_ONLY, lambda w: {"serial": w["committee_awards"]["certificate"].serial}),
    Row("committee:certificate", {**everyone(404), "anonymous": LOGIN}, {"serial": "LHZLJ-1999-99"}, variant="unknown"),
    # The admin's buttons: each refuses or acts with a message and returns to its page.
    Row("admin:committee_publicity_supplement", secretariat_only(302), _objects("publicity"), method="post"),
    Row("admin:committee_objection_investigate", secretariat_only(302), _objects("objection"), method="post"),
    Row("admin:committee_objection_decide", secretariat_only(302), _objects("objection"), method="post"),
    Row(
        "admin:committee_objection_evidence",
        secretariat_only(),
        lambda w: {
            "object_id": w["committee_awards"]["objection"].pk,
            "evidence_id": w["committee_awards"]["evidence"].pk,
        },
    ),
    Row("admin:committee_awardapproval_document", secretariat_only(), _objects("award_approval")),
    Row("admin:committee_awardapproval_announce", secretariat_only(302), _objects("award_approval"), method="post"),
    Row("admin:committee_award_certificates", secretariat_only(302), method="post"),
    Row(
        "admin:committee_award_certificates_status",
        secretariat_only(),
        lambda w: {"batch_id": w["committee_awards"]["batch"].pk},
    ),
    Row("admin:committee_award_certificate", secretariat_only(), _objects("award")),
    Row("admin:committee_award_render", secretariat_only(302), _objects("award"), method="post"),
    Row("admin:committee_revocationcase_approve", secretariat_only(302), _objects("revocation"), method="post"),
    Row("admin:committee_revocationcase_reject", secretariat_only(302), _objects("revocation"), method="post"),
    Row("admin:committee_revocationcase_notice", secretariat_only(302), _objects("revocation"), method="post"),
    Row("admin:committee_revocationcase_recovery", secretariat_only(302), _objects("revocation"), method="post"),
    Row(
        "admin:committee_revocationcase_file",
        secretariat_only(),
        lambda w: {"object_id": w["committee_awards"]["revocation"].pk, "which": "evidence"},
    ),
]

ADMIN_MODELS = {
    # Publicity is created from the approved list and changes only through the addition of a candidate.
    "committee.publicity": {"changelist": 200, "add": 200, "change": 200, "history": 200, "delete": 403},
    # Objections come from the public page; the secretariat decides them with its buttons.
    "committee.objection": {"changelist": 200, "add": 403, "change": 200, "history": 200, "delete": 403},
    # The mayor's approval is a record: added once, shown, never changed or deleted.
    "committee.awardapproval": {"changelist": 200, "add": 200, "change": 200, "history": 200, "delete": 403},
    # Awards are granted when the cycle is announced; the secretariat records prize, payment and plaque.
    "committee.award": {"changelist": 200, "add": 403, "change": 200, "history": 200, "delete": 403},
    # A case is opened in the admin and decided through its buttons.
    "committee.revocationcase": {"changelist": 200, "add": 200, "change": 200, "history": 200, "delete": 403},
}


def extend_world(world):
    today = timezone.localdate()

    publicity_cycle = CycleFactory(number=46, phase="publicity")
    publicity = PublicityFactory(
        cycle=publicity_cycle, starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=5)
    )
    candidate = PublicityCandidateFactory(
        publicity=publicity,
        entry__candidate__dossier__organisation=OrganisationFactory(
            credit_code=valid_credit_code(980001), name="公示矩阵单位"
        ),
    )
    objection = ObjectionFactory(candidate=candidate)
    evidence = ObjectionEvidence.objects.create(
        objection=objection,
        file=ContentFile(PDF, name="证据.pdf"),
        original_name="证据.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
    )

    announced = CycleFactory(number=45, phase="announced")
    award = AwardFactory(cycle=announced, organisation=world["organisation"])
    certificate = CertificateFactory(award=award, pdf=ContentFile(PDF, name="certificate.pdf"))
    award_approval = AwardApprovalFactory(cycle=announced)
    batch = CertificateBatchFactory(cycle=announced)
    revocation = RevocationCaseFactory(
        award=award,
        evidence_file=ContentFile(PDF, name="evidence.pdf"),
        evidence_name="证据.pdf",
        evidence_content_type="application/pdf",
    )
    return {
        "committee_awards": {
            "publicity": publicity,
            "objection": objection,
            "evidence": evidence,
            "award": award,
            "certificate": certificate,
            "award_approval": award_approval,
            "batch": batch,
            "revocation": revocation,
        },
        "objects": {
            "committee.publicity": publicity,
            "committee.objection": objection,
            "committee.awardapproval": award_approval,
            "committee.award": award,
            "committee.revocationcase": revocation,
        },
    }
