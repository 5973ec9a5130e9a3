"""Every write of the applications app: registration, sections, attachments, submission, withdrawal, decisions."""

import hashlib
import logging
from functools import partial

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mayor_award.core.enums import CyclePhase, Role
from mayor_award.core.models import Cycle, User
from mayor_award.core.services import audit_record

from . import eligibility, sections
from .enums import DossierSectionKey, DossierState, EligibilityDecisionKind
from .models import (
    Attachment,
    Dossier,
    DossierSection,
    EligibilityDecision,
    Invitation,
    Membership,
    MisconductFinding,
    Organisation,
)
from .selectors import eligibility_inputs
from .signals import dossier_decision_veto

logger = logging.getLogger(__name__)


class DossierError(Exception):
    """A dossier action was refused; the message says why, in the user's language."""


class SectionChanged(DossierError):
    """Someone else saved the section since this page was loaded."""


# --- organisations and their users ---


@transaction.atomic
def organisation_register(*, organisation: Organisation, user: User, password: str) -> User:
    """Create an organisation and its first user, inactive until the e-mailed link confirms the address."""
    organisation.full_clean()
    organisation.save()
    user.is_active = False
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.add(Group.objects.get(name=Role.APPLICANT))
    Membership.objects.create(user=user, organisation=organisation)
    audit_record(actor=user, action="organisation.registered", obj=organisation)
    return user


@transaction.atomic
def user_confirm_email(*, user: User) -> User:
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_record(actor=user, action="user.email_confirmed", obj=user)
    return user


@transaction.atomic
def invitation_create(*, organisation: Organisation, email: str, by: User) -> Invitation:
    if User.objects.filter(email__iexact=email, membership__isnull=False).exists():
        raise ValidationError({"email": _("A user with this e-mail address already belongs to an organisation.")})
    invitation = Invitation.objects.create(organisation=organisation, email=email, invited_by=by)
    audit_record(actor=by, action="organisation.invited", obj=organisation, data={"email": email})
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User, password: str) -> User:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise DossierError(_("This invitation has already been used."))
    user.email = invitation.email
    user.is_active = True
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.add(Group.objects.get(name=Role.APPLICANT))
    Membership.objects.create(user=user, organisation=invitation.organisation)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(actor=user, action="organisation.joined", obj=invitation.organisation)
    return user


# --- dossiers ---


def cycle_accepts_applications(cycle: Cycle, now=None) -> bool:
    return cycle.phase == CyclePhase.OPEN and (now or timezone.now()) < cycle.application_deadline


@transaction.atomic
def dossier_start(*, cycle: Cycle, organisation: Organisation, by: User) -> Dossier:
    """Open the organisation's dossier for the cycle (one per organisation and cycle)."""
    if not cycle_accepts_applications(cycle):
        raise DossierError(_("This cycle does not accept applications now."))
    dossier, created = Dossier.objects.get_or_create(cycle=cycle, organisation=organisation)
    if created:
        for key in sections.EDITABLE_SECTIONS:  # one by one, so that each section's history starts here
            DossierSection.objects.create(dossier=dossier, key=key, updated_by=by)
        audit_record(actor=by, action="dossier.started", obj=dossier)
    return dossier


def section_is_editable(dossier: Dossier, key: str, now=None) -> bool:
    """Drafts until the deadline; after a correction request, the reopened sections until their date."""
    now = now or timezone.now()
    if dossier.state == DossierState.DRAFT:
        return dossier.cycle.phase == CyclePhase.OPEN and now < dossier.cycle.application_deadline
    if dossier.state == DossierState.CORRECTION:
        return key in dossier.correction_sections and dossier.correction_until and now < dossier.correction_until
    return False


def submission_refusal(dossier: Dossier, now=None) -> str | None:
    """Why the dossier cannot be submitted now (state or deadline), in the user's language; None when it can."""
    now = now or timezone.now()
    if dossier.state not in DossierState.editable():
        return _("This dossier has already been submitted.")
    if dossier.state == DossierState.DRAFT and dossier.cycle.phase != CyclePhase.OPEN:
        return _("This cycle does not accept applications now.")
    deadline = (
        dossier.correction_until if dossier.state == DossierState.CORRECTION else dossier.cycle.application_deadline
    )
    if deadline is None or now >= deadline:
        return _("The deadline has passed: the dossier can no longer be submitted.")
    return None


def editing_refusal(dossier: Dossier, key: str) -> str | None:
    """Why the section cannot be changed now, in the user's language; None when it can."""
    if section_is_editable(dossier, key):
        return None
    if dossier.state == DossierState.DRAFT and timezone.now() >= dossier.cycle.application_deadline:
        return _("The application deadline has passed: the dossier can no longer be changed.")
    if dossier.state == DossierState.CORRECTION and key in dossier.correction_sections:
        return _("The correction period has ended: the dossier can no longer be changed.")
    return _("This part of the dossier cannot be changed now.")


def _refuse_unless_editable(dossier: Dossier, key: str):
    refusal = editing_refusal(dossier, key)
    if refusal:
        raise DossierError(refusal)


@transaction.atomic
def section_save(*, dossier: Dossier, key: str, data: dict, version: int, by: User) -> DossierSection:
    """Save one section's draft, unless someone else saved it since `version` was read."""
    # The dossier row is locked, so a save cannot slip in while a colleague submits.
    dossier = Dossier.objects.select_for_update().select_related("cycle", "organisation").get(pk=dossier.pk)
    _refuse_unless_editable(dossier, key)
    data = sections.to_json(key, data)
    if key == DossierSectionKey.BASICS:
        data["profile"] = sections.organisation_profile(dossier.organisation)
    section = DossierSection.objects.select_for_update().get(dossier=dossier, key=key)
    if section.version != version:
        raise SectionChanged(
            _(
                "Someone else saved this section while you were editing it. Your changes were not saved: "
                "the page now shows their version; please enter your changes again."
            )
        )
    section.data = data
    section.version = version + 1
    section.updated_by = by
    section._history_user = by
    section.save()  # a full save, so that the section's history keeps every version
    audit_record(actor=by, action="dossier.section_saved", obj=dossier, data={"section": key, "version": version + 1})
    return section


@transaction.atomic
def attachment_add(*, dossier: Dossier, purpose: str, title: str, upload, kind: str, by: User) -> Attachment:
    from mayor_award.core.uploads import KINDS

    dossier = Dossier.objects.select_for_update().select_related("cycle").get(pk=dossier.pk)
    _refuse_unless_editable(dossier, DossierSectionKey.ATTACHMENTS)
    used = dossier.attachments.aggregate(total=Sum("size"))["total"] or 0
    if used + upload.size > settings.DOSSIER_TOTAL_MAX_BYTES:  # checked again under the lock: two uploads at once
        raise DossierError(
            _("The dossier's attachments may take at most %(limit)s MB in all; this file does not fit.")
            % {"limit": settings.DOSSIER_TOTAL_MAX_BYTES // (1024 * 1024)}
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        dossier=dossier,
        purpose=purpose,
        title=title,
        original_name=upload.name,
        content_type=KINDS[kind][0],
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    audit_record(actor=by, action="dossier.attachment_added", obj=dossier, data={"attachment": attachment.pk})
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: Attachment, by: User):
    dossier = Dossier.objects.select_for_update().select_related("cycle").get(pk=attachment.dossier_id)
    _refuse_unless_editable(dossier, DossierSectionKey.ATTACHMENTS)
    audit_record(
        actor=by,
        action="dossier.attachment_removed",
        obj=attachment.dossier,
        data={"attachment": attachment.pk, "name": attachment.original_name},
    )
    stored = attachment.file.name
    attachment.delete()
    transaction.on_commit(partial(attachment.file.storage.delete, stored), robust=True)


def dossier_precheck(dossier: Dossier) -> list[eligibility.Finding]:
    organisation_facts, dossier_facts, history = eligibility_inputs(dossier)
    return eligibility.check(
        organisation=organisation_facts,
        dossier=dossier_facts,
        history=history,
        cycle_number=dossier.cycle.number,
        deadline=timezone.localtime(dossier.cycle.application_deadline).date(),
    )


def findings_to_json(findings) -> list[dict]:
    """Findings as stored on the dossier: the message in both languages, so the record never changes."""
    return [
        {
            "code": f.code,
            "article": f.article,
            "outcome": str(f.outcome),
            "zh": f.message_in("zh-hans"),
            "en": f.message_in("en"),
        }
        for f in findings
    ]


def _next_sequence(cycle: Cycle) -> int:
    Cycle.objects.select_for_update().get(pk=cycle.pk)  # numbers are handed out one at a time per cycle
    return (Dossier.objects.filter(cycle=cycle).aggregate(last=Max("sequence"))["last"] or 0) + 1


@transaction.atomic
def dossier_submit(*, dossier: Dossier, by: User) -> Dossier:
    """Lock the dossier, number it, record the pre-check; the receipt follows after commit."""
    dossier = Dossier.objects.select_for_update().select_related("cycle", "organisation").get(pk=dossier.pk)
    refusal = submission_refusal(dossier)
    if refusal:
        raise DossierError(refusal)
    missing = sections.missing_sections(dossier)
    if missing:
        raise DossierError(
            _("The dossier is not complete yet: %(sections)s.") % {"sections": "、".join(str(m) for m in missing)}
        )
    if dossier.number is None:
        dossier.sequence = _next_sequence(dossier.cycle)
        dossier.number = f"LH{dossier.cycle.year}-{dossier.sequence:03d}"
    findings = dossier_precheck(dossier)
    dossier.precheck_outcome = str(eligibility.summary(findings))
    dossier.precheck_findings = findings_to_json(findings)
    dossier.state = DossierState.SUBMITTED
    dossier.submitted_at = timezone.now()
    dossier.correction_sections = []
    dossier.correction_until = None
    dossier.receipt_pdf = ""  # a resubmission gets a new receipt; the old one must not be served meanwhile
    dossier._history_user = by
    dossier.save()
    audit_record(actor=by, action="dossier.submitted", obj=dossier, data={"number": dossier.number})
    transaction.on_commit(partial(_enqueue_receipt, dossier_id=dossier.pk), robust=True)
    return dossier


def _enqueue_receipt(*, dossier_id: int):
    """Queue the receipt (PDF and e-mail); with the broker down, the receipt sweeper catches up later."""
    from .tasks import task_send_submission_receipt

    try:
        task_send_submission_receipt.apply_async(kwargs={"dossier_id": dossier_id})
    except Exception:  # kombu and redis raise a family of errors for an unreachable broker
        logger.warning("Broker unreachable; the receipt of dossier %s waits for the sweeper.", dossier_id)


@transaction.atomic
def dossier_withdraw(*, dossier: Dossier, reason: str, by: User) -> Dossier:
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if dossier.state not in DossierState.withdrawable():
        raise DossierError(_("After the eligibility decision a dossier can no longer be withdrawn."))
    if not reason.strip():
        raise DossierError(_("Please give a reason for the withdrawal."))
    previous = dossier.state
    dossier.state = DossierState.WITHDRAWN
    dossier.withdrawal_reason = reason
    dossier._history_user = by
    dossier.save(update_fields=["state", "withdrawal_reason"])
    audit_record(actor=by, action="dossier.withdrawn", obj=dossier, data={"from": previous, "reason": reason})
    return dossier


@transaction.atomic
def dossier_transition(*, dossier: Dossier, to: str, by: User, data: dict | None = None) -> Dossier:
    """The one way later phases (review, committee) move a dossier on; records who and when."""
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    previous = dossier.state
    dossier.state = to
    dossier._history_user = by
    dossier.save(update_fields=["state"])
    audit_record(actor=by, action="dossier.transition", obj=dossier, data={"from": previous, "to": to, **(data or {})})
    return dossier


def decision_refusal(dossier: Dossier, now=None) -> str | None:
    """Why no eligibility decision can be recorded on the dossier now; None when it can."""
    now = now or timezone.now()
    lapsed = dossier.state == DossierState.CORRECTION and dossier.correction_until and dossier.correction_until <= now
    if dossier.state not in (DossierState.SUBMITTED, DossierState.ELIGIBLE, DossierState.INELIGIBLE) and not lapsed:
        return _("Only submitted dossiers, or dossiers whose correction period has passed, can be decided.")
    if dossier.cycle.phase != CyclePhase.ELIGIBILITY:
        return _("Eligibility is decided during the eligibility review phase.")
    for _receiver, reason in dossier_decision_veto.send(sender=Dossier, dossier=dossier):
        if reason:
            return str(reason)
    return None


@transaction.atomic
def eligibility_decide(
    *,
    dossier: Dossier,
    kind: str,
    by: User,
    articles=(),
    judgements=None,
    note: str = "",
    correction_sections=(),
    correction_until=None,
) -> EligibilityDecision:
    """The secretariat's decision: eligible, ineligible (with the articles) or a correction request (补正)."""
    dossier = Dossier.objects.select_for_update().select_related("cycle").get(pk=dossier.pk)
    refusal = decision_refusal(dossier)
    if refusal:
        raise DossierError(refusal)
    if kind == EligibilityDecisionKind.INELIGIBLE and not articles:
        raise DossierError(_("Name the articles the dossier does not meet."))
    if kind == EligibilityDecisionKind.CORRECTION:
        if not correction_sections or not correction_until or correction_until <= timezone.now():
            raise DossierError(_("A correction request names the sections to reopen and a date in the future."))
        dossier.correction_sections = list(correction_sections)
        dossier.correction_until = correction_until
    decision = EligibilityDecision.objects.create(
        dossier=dossier,
        kind=kind,
        articles=list(articles),
        judgements=judgements or {},
        note=note,
        decided_by=by,
        correction_sections=list(correction_sections) if kind == EligibilityDecisionKind.CORRECTION else [],
        correction_until=correction_until if kind == EligibilityDecisionKind.CORRECTION else None,
    )
    dossier.state = {
        EligibilityDecisionKind.ELIGIBLE: DossierState.ELIGIBLE,
        EligibilityDecisionKind.INELIGIBLE: DossierState.INELIGIBLE,
        EligibilityDecisionKind.CORRECTION: DossierState.CORRECTION,
    }[kind]
    dossier._history_user = by
    dossier.save(update_fields=["state", "correction_sections", "correction_until"])
    audit_record(
        actor=by,
        action="dossier.eligibility_decided",
        obj=dossier,
        data={"decision": kind, "articles": list(articles), "note": note},
    )
    transaction.on_commit(partial(_enqueue_decision_mail, decision_id=decision.pk), robust=True)
    return decision


@transaction.atomic
def misconduct_record(*, finding: MisconductFinding, by: User) -> MisconductFinding:
    """Record fraud or another violation in the award's review (Art. 9(5)); it bars the next three cycles."""
    finding.recorded_by = by
    finding.full_clean()
    finding.save()
    audit_record(
        actor=by,
        action="misconduct.recorded",
        obj=finding,
        data={"organisation": finding.organisation_id, "cycle": finding.cycle_id},
    )
    return finding


def _enqueue_decision_mail(*, decision_id: int):
    from .tasks import task_send_eligibility_decision

    try:
        task_send_eligibility_decision.apply_async(kwargs={"decision_id": decision_id})
    except Exception:
        logger.warning("Broker unreachable; the decision e-mail %s was not queued.", decision_id, exc_info=True)
