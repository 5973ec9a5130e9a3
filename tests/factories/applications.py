"""Factories for the applications app: organisations, their users, dossiers, attachments and decisions.

Plain defaults that pass the models' validators, no side effects beyond the rows themselves (no e-mail, no audit
events, no tasks): to exercise a service, build the rows here and call the service.

    organisation = OrganisationFactory()                      # valid, unique 统一社会信用代码
    MembershipFactory(organisation=organisation)               # an active applicant user of it
    dossier = DossierFactory(organisation=organisation)        # a draft with its five empty sections
    dossier = DossierFactory(submitted=True)                   # numbered LH<year>-NNN, submitted now
    DossierFactory(sections={"basics": {"overview": "…"}})     # section data by key (the others stay empty)
    AttachmentFactory(dossier=dossier)                         # a real one-page PDF, size and SHA-256 filled in
    EligibilityDecisionFactory(dossier=dossier, ineligible=True)
"""

import datetime as dt
import functools
import hashlib
import io

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from stdnum.cn import uscc

from applications.enums import (
    AttachmentPurpose,
    DossierState,
    EligibilityDecisionKind,
    IndustrySection,
    LegalForm,
    OrganisationKind,
    RegistrationArea,
)
from applications.models import Attachment, Dossier, DossierSection, EligibilityDecision, Membership, Organisation
from applications.sections import EDITABLE_SECTIONS
from mayor_award.core.enums import Role

from .core import CycleFactory, UserFactory


def valid_credit_code(n: int) -> str:
    """A valid unified social credit code: 91 (enterprise), 411100 (Luohe), nine digits from n, check character."""
    first17 = f"91411100{n:09d}"
    return first17 + uscc.calc_check_digit(first17)


@functools.cache
def pdf_bytes() -> bytes:
    """A real, one-page A4 PDF (pypdf opens it), made once per test run."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


class OrganisationFactory(factory.django.DjangoModelFactory):
    """A for-profit manufacturer registered in Luohe since 2010 (meets Art. 8(1) for every cycle)."""

    class Meta:
        model = Organisation
        django_get_or_create = ["credit_code"]

    name = factory.Sequence(lambda n: f"漯河测试食品有限公司{n}")
    credit_code = factory.Sequence(valid_credit_code)
    kind = OrganisationKind.FOR_PROFIT
    legal_form = LegalForm.ENTERPRISE
    registered_in_luohe_since = dt.date(2010, 1, 1)
    registration_area = RegistrationArea.YUANHUI
    industry_section = IndustrySection.C
    industry_division = "13"
    address = factory.Sequence(lambda n: f"河南省漯河市源汇区测试路{n}号")
    legal_representative = "张建国"
    contact_name = "李明"
    contact_phone = "0395-1234567"
    contact_email = factory.Sequence(lambda n: f"contact{n}@org.example.com")


class MembershipFactory(factory.django.DjangoModelFactory):
    """An active user in the applicant group, acting for an organisation."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory, roles=[Role.APPLICANT])
    organisation = factory.SubFactory(OrganisationFactory)


class DossierFactory(factory.django.DjangoModelFactory):
    """A draft dossier with one DossierSection row per editable section, as dossier_start makes it.

    `submitted=True` numbers it and marks it submitted now, with a passing pre-check (no findings stored).
    `sections={key: data}` fills the named sections' JSON; the others stay empty.
    """

    class Meta:
        model = Dossier
        skip_postgeneration_save = True

    cycle = factory.SubFactory(CycleFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    state = DossierState.DRAFT

    class Params:
        submitted = factory.Trait(
            state=DossierState.SUBMITTED,
            sequence=factory.Sequence(lambda n: n + 1),
            number=factory.LazyAttribute(lambda dossier: f"LH{dossier.cycle.year}-{dossier.sequence:03d}"),
            submitted_at=factory.LazyFunction(timezone.now),
            precheck_outcome="pass",
        )

    @factory.post_generation
    def sections(self, create, extracted, **kwargs):
        if not create:
            return
        data = extracted or {}
        DossierSection.objects.bulk_create(
            DossierSection(dossier=self, key=key, data=data.get(key, {})) for key in EDITABLE_SECTIONS
        )


class AttachmentFactory(factory.django.DjangoModelFactory):
    """A PDF attachment of a dossier; pass `content=b"..."` for other bytes (size and SHA-256 follow)."""

    class Meta:
        model = Attachment

    class Params:
        content = factory.LazyFunction(pdf_bytes)

    dossier = factory.SubFactory(DossierFactory)
    purpose = AttachmentPurpose.BUSINESS_LICENCE
    title = "营业执照"
    original_name = "营业执照.pdf"
    content_type = "application/pdf"
    file = factory.LazyAttribute(lambda a: ContentFile(a.content, name=a.original_name))
    size = factory.LazyAttribute(lambda a: len(a.content))
    sha256 = factory.LazyAttribute(lambda a: hashlib.sha256(a.content).hexdigest())


class EligibilityDecisionFactory(factory.django.DjangoModelFactory):
    """A decision row only: it does not change the dossier's state (eligibility_decide does that).

    Traits: `ineligible=True` (Art. 8(1) not met, with a note), `correction=True` (a note; put the reopened
    sections and date on the dossier: correction_sections / correction_until, as the service does).
    """

    class Meta:
        model = EligibilityDecision

    dossier = factory.SubFactory(DossierFactory, submitted=True)
    kind = EligibilityDecisionKind.ELIGIBLE
    decided_by = factory.SubFactory(UserFactory, username="secretariat-factory", roles=[Role.SECRETARIAT])

    class Params:
        ineligible = factory.Trait(
            kind=EligibilityDecisionKind.INELIGIBLE,
            articles=["8(1)"],
            note="在漯河注册未满五年。",
        )
        correction = factory.Trait(
            kind=EligibilityDecisionKind.CORRECTION,
            note="请补充近三年财务数据。",
        )
