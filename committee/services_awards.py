"""Every write from the approved list to the certificate: publicity (公示) and objections (异议), the vice-mayor's
review and the mayor's signature (Art. 18), the award announcement (表彰公告), the awards and their prize, the
certificates (证书), and revocation (撤销, Art. 22). The pure rules are in prize.py and core/lifecycle.py; these
functions check, save, audit and schedule.

Dates of a publicity are calendar days in Beijing time, both ends counted (rules.md C7): a publicity from 1 to 7
December lasts seven days. Objections are accepted while the publicity notice is public and today (in Beijing) lies
within its period.
"""

import datetime as dt
import hashlib
import logging
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Max, Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from applications.enums import DossierSectionKey, DossierState
from applications.models import Dossier, DossierSection, MisconductFinding
from applications.notifications import in_chinese
from applications.pdf import MissingChineseFont
from applications.services import dossier_transition, misconduct_record
from mayor_award.core import lifecycle
from mayor_award.core.enums import CyclePhase, NoticeKind, NoticeState
from mayor_award.core.models import Cycle, Notice, User
from mayor_award.core.services import audit_record, notice_save
from mayor_award.core.uploads import KINDS

from . import prize as prize_rules
from .enums_awards import ObjectionState, PrizeRule, RevocationState
from .enums_voting import ListState
from .models import (
    Award,
    AwardApproval,
    Certificate,
    CertificateBatch,
    Objection,
    ObjectionEvidence,
    ProposedList,
    Publicity,
    PublicityCandidate,
    RankingEntry,
    RevocationCase,
)

logger = logging.getLogger(__name__)

AUDIT_LABELS = {
    "publicity.created": gettext_lazy("publicity created"),
    "publicity.candidate_removed": gettext_lazy("candidate removed after an upheld objection"),
    "publicity.candidate_added": gettext_lazy("candidate added to the list"),
    "objection.received": gettext_lazy("objection received"),
    "objection.investigating": gettext_lazy("objection under investigation"),
    "objection.decided": gettext_lazy("objection decided"),
    "objection.mailed": gettext_lazy("objection e-mail sent"),
    "objection.evidence_opened": gettext_lazy("objection evidence opened"),
    "award_approval.recorded": gettext_lazy("vice-mayor's review and mayor's signature recorded"),
    "award_approval.document_opened": gettext_lazy("signed approval opened"),
    "announcement.scheduled": gettext_lazy("award announcement scheduled"),
    "award.granted": gettext_lazy("award granted"),
    "award.changed": gettext_lazy("award changed"),
    "certificate.rendered": gettext_lazy("certificate rendered"),
    "certificate.downloaded": gettext_lazy("certificate downloaded"),
    "certificate.batch_started": gettext_lazy("certificates requested for a cycle"),
    "revocation.opened": gettext_lazy("revocation case opened"),
    "revocation.approved": gettext_lazy("award revoked after the city government's approval"),
    "revocation.rejected": gettext_lazy("revocation case closed without revocation"),
    "revocation.notice_scheduled": gettext_lazy("revocation notice scheduled"),
    "revocation.recovery_recorded": gettext_lazy("recovery recorded"),
    "revocation.file_opened": gettext_lazy("revocation file opened"),
}

BEIJING = ZoneInfo("Asia/Shanghai")
DOCUMENT_KINDS = ("pdf", "png", "jpeg")
EVIDENCE_KINDS = ("pdf", "png", "jpeg")
MAX_EVIDENCE_FILES = 5
# Objections sent from one client address: at most this many per window (seconds).
OBJECTION_RATE_LIMIT = getattr(settings, "OBJECTION_RATE_LIMIT", 5)
OBJECTION_RATE_WINDOW = getattr(settings, "OBJECTION_RATE_WINDOW", 60 * 60)
# Dossiers still in the running when the cycle is announced: those not among the winners are not awarded.
UNDECIDED_STATES = (
    DossierState.ELIGIBLE,
    DossierState.MATERIAL_REVIEWED,
    DossierState.SELECTED,
    DossierState.ONSITE_REVIEWED,
    DossierState.CANDIDATE,
    DossierState.PROPOSED,
)


class AwardError(Exception):
    """An action on publicity, awards or revocation was refused; the message says why, in the user's language."""


def _require(condition: bool, message: str):
    if not condition:
        raise AwardError(message)


def _refuse(problems: list[str]):
    if problems:
        raise AwardError(" ".join(str(problem) for problem in problems))


def beijing_today(now: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(now or timezone.now(), BEIJING).date()


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=BEIJING)


def _day(value: dt.date) -> str:
    return date_format(value, "DATE_FORMAT")


def _digest(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def site_url(path: str) -> str:
    """An absolute address on the public site (no request at hand in tasks, notices and certificates)."""
    return f"{settings.SITE_URL}{path}"


def publicity_url(cycle: Cycle) -> str:
    return site_url(reverse("committee:publicity", kwargs={"cycle": cycle.number}))


# --- the approved list and its publicity (公示) ---


def approved_list(cycle: Cycle) -> ProposedList | None:
    """The confirmed proposed list the government's executive meeting approved (Art. 16), if any."""
    return ProposedList.objects.filter(cycle=cycle, state=ListState.CONFIRMED, approval__isnull=False).first()


def approved_entries(cycle: Cycle):
    """The proposed entries of the approved list: who goes to the publicity, in ranking order."""
    return (
        RankingEntry.objects.filter(
            proposed_list__cycle=cycle,
            proposed_list__state=ListState.CONFIRMED,
            proposed_list__approval__isnull=False,
            proposed=True,
        )
        .select_related("candidate__dossier__organisation")
        .order_by("position")
    )


def period_problems(*, cycle: Cycle, starts_on, ends_on, today: dt.date) -> list[str]:
    """Why a publicity period is not acceptable (empty: it is). Both ends count (C7)."""
    if starts_on is None or ends_on is None:
        return [_("Give the first and the last day of the publicity.")]
    problems = []
    if ends_on < starts_on:
        problems.append(_("The last day of the publicity cannot come before its first day."))
    elif lifecycle.publicity_days(starts_on, ends_on) < cycle.publicity_min_days:
        problems.append(
            _(
                "From %(start)s to %(end)s the publicity lasts %(days)s days, counting both the first and the last "
                "day; it must last at least %(minimum)s days (Art. 17)."
            )
            % {
                "start": _day(starts_on),
                "end": _day(ends_on),
                "days": lifecycle.publicity_days(starts_on, ends_on),
                "minimum": cycle.publicity_min_days,
            }
        )
    if starts_on < today:
        problems.append(_("The publicity cannot start in the past: its first day is the day its notice is published."))
    return problems


def publicity_problems(*, cycle: Cycle, starts_on, ends_on, channel: str, today: dt.date) -> list[str]:
    """Why the approved list cannot be publicised with these terms now (empty: it can)."""
    problems = []
    if cycle.phase != CyclePhase.PUBLICITY:
        problems.append(_("The approved list is publicised in the publicity phase, after the government's approval."))
    if approved_list(cycle) is None:
        problems.append(_("The government's approval of the proposed list is not recorded yet (Art. 16)."))
    elif not approved_entries(cycle).exists():
        problems.append(_("The approved list proposes nobody: there is nothing to publicise (Art. 4)."))
    if Publicity.objects.filter(cycle=cycle, round=1).exists():
        problems.append(_("The approved list is already publicised."))
    if not (channel or "").strip():
        problems.append(_("Name the news media that carry the publicity besides this site (Art. 17)."))
    return problems + period_problems(cycle=cycle, starts_on=starts_on, ends_on=ends_on, today=today)


def _publicity_notice(*, cycle: Cycle, entries, starts_on, ends_on, channel: str, addition: bool) -> Notice:
    """The publicity notice, in Chinese: the official text the public reads (the secretariat may edit the draft)."""
    with in_chinese():
        body = render_to_string(
            "committee/notices/publicity_body.html",
            {
                "cycle": cycle,
                "organisations": [entry.candidate.dossier.organisation for entry in entries],
                "starts_on": starts_on,
                "ends_on": ends_on,
                "days": lifecycle.publicity_days(starts_on, ends_on),
                "channel": channel,
                "addition": addition,
                "url": publicity_url(cycle),
            },
        )
    suffix = "补充公示" if addition else "公示"
    return Notice(
        cycle=cycle,
        kind=NoticeKind.PUBLICITY,
        title=f"{cycle.title}拟奖名单{suffix}"[:200],
        body=body.strip(),
    )


def _publicise(
    *,
    cycle: Cycle,
    round_: int,
    entries: list[RankingEntry],
    starts_on,
    ends_on,
    channel: str,
    by: User,
    now: dt.datetime,
    replaces: PublicityCandidate | None = None,
    reason: str = "",
) -> Publicity:
    notice = _publicity_notice(
        cycle=cycle, entries=entries, starts_on=starts_on, ends_on=ends_on, channel=channel, addition=round_ > 1
    )
    notice.state = NoticeState.SCHEDULED
    notice.publish_at = max(day_start(starts_on), now)  # the Celery publication makes it public at its time
    notice_save(notice=notice, by=by)
    publicity = Publicity.objects.create(
        cycle=cycle,
        round=round_,
        notice=notice,
        starts_on=starts_on,
        ends_on=ends_on,
        channel=channel.strip(),
        replaces=replaces,
        decision_reason=reason.strip(),
        created_by=by,
    )
    PublicityCandidate.objects.bulk_create(
        PublicityCandidate(publicity=publicity, entry=entry, dossier=entry.candidate.dossier, position=position)
        for position, entry in enumerate(entries, start=1)
    )
    audit_record(
        actor=by,
        action="publicity.created",
        obj=publicity,
        data={
            "round": round_,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "days": lifecycle.publicity_days(starts_on, ends_on),
            "channel": publicity.channel,
            "notice": notice.pk,
            "dossiers": [entry.candidate.dossier.number for entry in entries],
        },
    )
    return publicity


@transaction.atomic
def publicity_create(*, cycle: Cycle, starts_on, ends_on, channel: str, by: User, now=None) -> Publicity:
    """Publicise the approved list (拟奖名单公示, Art. 17): a publicity notice, scheduled for the period's first day
    and published then by the Celery publication, listing every proposed organisation."""
    now = now or timezone.now()
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _refuse(
        publicity_problems(cycle=cycle, starts_on=starts_on, ends_on=ends_on, channel=channel, today=beijing_today(now))
    )
    return _publicise(
        cycle=cycle,
        round_=1,
        entries=list(approved_entries(cycle)),
        starts_on=starts_on,
        ends_on=ends_on,
        channel=channel,
        by=by,
        now=now,
    )


def _publicised_dossiers(cycle: Cycle) -> set[int]:
    return set(PublicityCandidate.objects.filter(publicity__cycle=cycle).values_list("dossier_id", flat=True))


def next_candidates(cycle: Cycle) -> list[RankingEntry]:
    """Entries of the approved ranking that could take a removed candidate's place, next in order first: they met
    the quorum, passed the vote, reached the minimum score and were not publicised yet."""
    entry_list = approved_list(cycle)
    if entry_list is None:
        return []
    publicised = _publicised_dossiers(cycle)
    return [
        entry
        for entry in entry_list.entries.filter(quorum_met=True, passed=True, meets_min_score=True)
        .exclude(candidate__dossier__state__in=(DossierState.WITHDRAWN, DossierState.REVOKED))
        .select_related("candidate__dossier__organisation")
        .order_by("position")
        if entry.candidate.dossier_id not in publicised
    ]


def supplement_problems(
    *, removed: PublicityCandidate, entry: RankingEntry | None, reason: str, starts_on, ends_on, channel: str, today
) -> list[str]:
    """Why `entry` cannot be added in the place of `removed` with these terms (empty: it can)."""
    cycle = removed.publicity.cycle
    problems = []
    if cycle.phase != CyclePhase.PUBLICITY:
        problems.append(_("A candidate can be added only during the publicity phase."))
    if not removed.is_removed:
        problems.append(_("Only a candidate removed after an upheld objection can be replaced."))
    if Publicity.objects.filter(replaces=removed).exists():
        problems.append(_("A candidate has already been added in its place."))
    if entry is None or entry.pk not in {e.pk for e in next_candidates(cycle)}:
        problems.append(
            _(
                "Choose a candidate of the approved ranking that met its quorum, passed the vote, reached the "
                "minimum on-site score and was not publicised yet (Art. 4, 16)."
            )
        )
    if not (reason or "").strip():
        problems.append(_("Give the reason for the decision; it is recorded with the publicity."))
    if not (channel or "").strip():
        problems.append(_("Name the news media that carry the publicity besides this site (Art. 17)."))
    return problems + period_problems(cycle=cycle, starts_on=starts_on, ends_on=ends_on, today=today)


@transaction.atomic
def publicity_supplement(
    *,
    removed: PublicityCandidate,
    entry: RankingEntry,
    reason: str,
    starts_on,
    ends_on,
    channel: str,
    by: User,
    now=None,
) -> Publicity:
    """Add the next candidate in the place of one removed after an upheld objection: a recorded decision with its
    reason, and a new publicity (补充公示) for that candidate with a full period of its own (Art. 17)."""
    now = now or timezone.now()
    removed = PublicityCandidate.objects.select_related("publicity__cycle").get(pk=removed.pk)
    cycle = Cycle.objects.select_for_update().get(pk=removed.publicity.cycle_id)
    removed.publicity.cycle = cycle
    _refuse(
        supplement_problems(
            removed=removed,
            entry=entry,
            reason=reason,
            starts_on=starts_on,
            ends_on=ends_on,
            channel=channel,
            today=beijing_today(now),
        )
    )
    entry = RankingEntry.objects.select_related("candidate__dossier__organisation").get(pk=entry.pk)
    round_ = (Publicity.objects.filter(cycle=cycle).aggregate(last=Max("round"))["last"] or 1) + 1
    publicity = _publicise(
        cycle=cycle,
        round_=round_,
        entries=[entry],
        starts_on=starts_on,
        ends_on=ends_on,
        channel=channel,
        by=by,
        now=now,
        replaces=removed,
        reason=reason,
    )
    dossier_transition(
        dossier=entry.candidate.dossier,
        to=DossierState.PROPOSED,
        by=by,
        data={"publicity": publicity.pk, "replaces": removed.dossier.number, "reason": reason.strip()},
    )
    audit_record(
        actor=by,
        action="publicity.candidate_added",
        obj=publicity,
        data={"dossier": entry.candidate.dossier.number, "replaces": removed.dossier.number, "reason": reason.strip()},
    )
    return publicity


# --- objections (异议) ---


def objection_window_open(publicity: Publicity, now=None) -> bool:
    """Objections are accepted while the publicity notice is public and today lies within its period."""
    today = beijing_today(now)
    return publicity.notice.is_published and publicity.starts_on <= today <= publicity.ends_on


def _rate_key(address: str) -> str:
    return f"committee:objections:{address}"


def objection_rate_exceeded(address: str | None) -> bool:
    """True when `address` already sent the most objections allowed in the current window."""
    return bool(address) and (cache.get(_rate_key(address)) or 0) >= OBJECTION_RATE_LIMIT


def _count_objection(address: str | None):
    if not address:
        return
    key = _rate_key(address)
    if not cache.add(key, 1, OBJECTION_RATE_WINDOW):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, OBJECTION_RATE_WINDOW)


RATE_LIMITED = gettext_lazy(
    "Too many objections were sent from your network address in the last hour. Please try again later, or write "
    "to the secretariat."
)
ANONYMOUS_REFUSED = gettext_lazy(
    "Anonymous objections are not accepted: give your real name, your identity document number or your "
    "organisation, a phone number and an e-mail address, so that the secretariat can verify the objection and "
    "reply to you."
)


def objection_problems(
    *,
    publicity: Publicity,
    candidate: PublicityCandidate | None,
    name: str,
    id_number: str,
    organisation: str,
    phone: str,
    email: str,
    text: str,
    files: list,
    now=None,
) -> list[str]:
    """Why this objection cannot be accepted (empty: it can)."""
    problems = []
    today = beijing_today(now)
    if not publicity.notice.is_published or today < publicity.starts_on:
        problems.append(
            _("The publicity has not started yet: objections are accepted from %(start)s to %(end)s.")
            % {"start": _day(publicity.starts_on), "end": _day(publicity.ends_on)}
        )
    elif today > publicity.ends_on:
        problems.append(
            _("The publicity period ended on %(end)s: objections are no longer accepted (Art. 17).")
            % {"end": _day(publicity.ends_on)}
        )
    if candidate is None or candidate.publicity_id != publicity.pk:
        problems.append(_("Choose the organisation your objection concerns."))
    elif candidate.is_removed:
        problems.append(_("This organisation has already been removed from the list."))
    if not all(value.strip() for value in (name, phone, email)) or not (id_number.strip() or organisation.strip()):
        problems.append(str(ANONYMOUS_REFUSED))
    if not text.strip():
        problems.append(_("Write your objection: what you object to and why."))
    if not files:
        problems.append(_("Attach the evidence for your objection (PDF, JPEG or PNG)."))
    elif len(files) > MAX_EVIDENCE_FILES:
        problems.append(_("Attach at most %(count)s files.") % {"count": MAX_EVIDENCE_FILES})
    return problems


def _next_objection_sequence(cycle: Cycle) -> int:
    Cycle.objects.select_for_update().get(pk=cycle.pk)  # reference numbers are handed out one at a time
    return (Objection.objects.filter(cycle=cycle).aggregate(last=Max("sequence"))["last"] or 0) + 1


@transaction.atomic
def objection_submit(
    *,
    candidate: PublicityCandidate,
    name: str,
    id_number: str,
    organisation: str,
    phone: str,
    email: str,
    text: str,
    files: list[tuple],
    client_address: str | None,
    now=None,
) -> Objection:
    """Receive a real-name objection with its evidence during the publicity (Art. 17; rules.md "objections").

    `files` are (upload, kind) pairs whose content was checked (mayor_award.core.uploads.validate_upload). At most
    OBJECTION_RATE_LIMIT objections per client address and hour. Gives the objection a reference number
    (YY<cycle year>-0001) and e-mails an acknowledgement after the commit.
    """
    if objection_rate_exceeded(client_address):
        raise AwardError(str(RATE_LIMITED))
    candidate = PublicityCandidate.objects.select_related("publicity__notice", "publicity__cycle").get(pk=candidate.pk)
    publicity = candidate.publicity
    _refuse(
        objection_problems(
            publicity=publicity,
            candidate=candidate,
            name=name,
            id_number=id_number,
            organisation=organisation,
            phone=phone,
            email=email,
            text=text,
            files=files,
            now=now,
        )
    )
    cycle = publicity.cycle
    sequence = _next_objection_sequence(cycle)
    objection = Objection(
        cycle=cycle,
        publicity=publicity,
        candidate=candidate,
        sequence=sequence,
        reference=f"YY{cycle.year}-{sequence:04d}",
        name=name.strip(),
        id_number=id_number.strip().upper(),
        organisation=organisation.strip(),
        phone=phone.strip(),
        email=email.strip(),
        text=text.strip(),
        client_address=client_address or None,
    )
    objection.full_clean()
    objection.save()
    for upload, kind in files:
        evidence = ObjectionEvidence(
            objection=objection,
            original_name=upload.name[:200],
            content_type=KINDS[kind][0],
            size=upload.size,
            sha256=_digest(upload),
        )
        evidence.file.save(upload.name, upload, save=False)
        evidence.save()
    audit_record(
        actor=None,
        action="objection.received",
        obj=objection,
        data={"candidate": candidate.dossier.number, "files": len(files), "from": client_address or ""},
    )
    _count_objection(client_address)
    _schedule_objection_mail(objection, "receipt")
    return objection


def _schedule_objection_mail(objection: Objection, kind: str):
    from mayor_award.core.tasks import enqueue_on_commit

    from .tasks_awards import task_send_objection_mail

    # With the broker down the objection is still received; task_send_pending_objection_mails sends it later.
    enqueue_on_commit(task_send_objection_mail, objection_id=objection.pk, kind=kind)


@transaction.atomic
def objection_investigate(*, objection: Objection, by: User) -> Objection:
    """Mark an objection as under investigation (调查核实)."""
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    _require(objection.state == ObjectionState.RECEIVED, _("Only a newly received objection can be investigated."))
    objection.state = ObjectionState.INVESTIGATING
    objection.save(update_fields=["state"])
    audit_record(actor=by, action="objection.investigating", obj=objection)
    return objection


def _remove_candidate(candidate: PublicityCandidate, objection: Objection, by: User):
    candidate.removed_at = timezone.now()
    candidate.removed_by = by
    candidate.removed_for = objection
    candidate.save(update_fields=["removed_at", "removed_by", "removed_for"])
    if candidate.dossier.state == DossierState.PROPOSED:
        dossier_transition(
            dossier=candidate.dossier, to=DossierState.NOT_AWARDED, by=by, data={"objection": objection.reference}
        )
    audit_record(
        actor=by,
        action="publicity.candidate_removed",
        obj=candidate.publicity,
        data={"dossier": candidate.dossier.number, "objection": objection.reference},
    )


@transaction.atomic
def objection_decide(*, objection: Objection, outcome: str, reply: str, by: User) -> Objection:
    """Uphold or dismiss an objection with a written reply, e-mailed to the objector after the commit.

    An upheld objection removes the candidate from the list (recorded: the row stays, marked removed). Adding
    the next candidate is a separate decision (publicity_supplement).
    """
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("candidate__dossier", "candidate__publicity", "cycle")
        .get(pk=objection.pk)
    )
    _require(objection.is_open, _("This objection is already decided."))
    _require(outcome in ObjectionState.decided(), _("Choose whether the objection is upheld or dismissed."))
    _require(bool((reply or "").strip()), _("Write the reply to the objector; it is e-mailed to them."))
    objection.state = outcome
    objection.reply = reply.strip()
    objection.decided_at = timezone.now()
    objection.decided_by = by
    objection.save(update_fields=["state", "reply", "decided_at", "decided_by"])
    if outcome == ObjectionState.UPHELD and not objection.candidate.is_removed:
        _remove_candidate(objection.candidate, objection, by)
    audit_record(actor=by, action="objection.decided", obj=objection, data={"outcome": outcome})
    _schedule_objection_mail(objection, "reply")
    return objection


def objection_mail(*, objection_id: int, kind: str) -> bool:
    """E-mail the acknowledgement ("receipt") or the reply ("reply") to the objector, once; idempotent."""
    field = {"receipt": "receipt_mailed_at", "reply": "reply_mailed_at"}[kind]
    with transaction.atomic():
        objection = (
            Objection.objects.select_for_update(of=("self",))
            .select_related("candidate__dossier__organisation", "cycle")
            .filter(pk=objection_id)
            .first()
        )
        if objection is None or getattr(objection, field) is not None:
            return False
        if kind == "reply" and objection.is_open:
            return False
        with in_chinese():
            context = {"objection": objection, "organisation": objection.candidate.dossier.organisation}
            subject = " ".join(render_to_string(f"committee/email/objection_{kind}_subject.txt", context).split())
            body = render_to_string(f"committee/email/objection_{kind}_body.txt", context).strip() + "\n"
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [objection.email]).send()
        setattr(objection, field, timezone.now())
        objection.save(update_fields=[field])
        audit_record(actor=None, action="objection.mailed", obj=objection, data={"kind": kind})
    return True


# --- what holds the publicity open; the vice-mayor's review and the mayor's signature (Art. 18) ---


def _published_late(publicity: Publicity) -> bool:
    """The notice went public after the period's first day (Beijing dates): the days before it do not count."""
    published_at = publicity.notice.published_at
    return published_at is not None and beijing_today(published_at) > publicity.starts_on


def publicity_unfinished(cycle: Cycle, now=None) -> list[str]:
    """Why the list has not passed its publicity yet (empty: it has): a period that has not ended, a notice not
    yet public or public only after the period's first day, an objection not decided and replied to."""
    today = beijing_today(now)
    problems = []
    publicities = list(Publicity.objects.filter(cycle=cycle).select_related("notice").order_by("round"))
    if not publicities and approved_entries(cycle).exists():
        problems.append(_("The approved list has not been publicised yet (Art. 17)."))
    for publicity in publicities:
        if not publicity.notice.is_published:
            problems.append(
                _("The publicity notice “%(title)s” is not public yet.") % {"title": publicity.notice.title}
            )
        elif _published_late(publicity):
            published_on = beijing_today(publicity.notice.published_at)
            problems.append(
                _(
                    "The publicity notice “%(title)s” went public on %(published)s, after the first day of its "
                    "period (%(start)s): only the days it was public count, so this period is not valid (Art. 17). "
                    "Start a new publicity of at least %(minimum)s days from its publication, counting both the "
                    "first and the last day (e.g. from %(published)s to %(end)s)."
                )
                % {
                    "title": publicity.notice.title,
                    "published": _day(published_on),
                    "start": _day(publicity.starts_on),
                    "minimum": cycle.publicity_min_days,
                    "end": _day(published_on + dt.timedelta(days=cycle.publicity_min_days - 1)),
                }
            )
        elif today <= publicity.ends_on:
            problems.append(
                _("The publicity runs until %(end)s: the list moves on only after its period is over (Art. 17).")
                % {"end": _day(publicity.ends_on)}
            )
    still_open = Objection.objects.filter(cycle=cycle, state__in=ObjectionState.open()).count()
    if still_open:
        problems.append(
            ngettext(
                "%(count)s objection is still open: decide it and reply in writing first.",
                "%(count)s objections are still open: decide them and reply in writing first.",
                still_open,
            )
            % {"count": still_open}
        )
    return problems


def winners(cycle: Cycle):
    """The publicised candidates still on the list: the winners once the cycle is announced."""
    return (
        PublicityCandidate.objects.filter(publicity__cycle=cycle, removed_at__isnull=True)
        .select_related("entry", "dossier__organisation", "publicity")
        .order_by("publicity__round", "position")
    )


def last_publicity_day(cycle: Cycle) -> dt.date | None:
    return Publicity.objects.filter(cycle=cycle).aggregate(last=Max("ends_on"))["last"]


def award_approval_problems(
    *, cycle: Cycle, vice_mayor: str, reviewed_on, mayor: str, signed_on, kind, now=None
) -> list[str]:
    """Why the vice-mayor's review and the mayor's signature cannot be recorded as given (empty: they can)."""
    problems = []
    if cycle.phase != CyclePhase.PUBLICITY:
        problems.append(_("The mayor's approval is recorded at the end of the publicity phase (Art. 18)."))
    unfinished = publicity_unfinished(cycle, now)
    if unfinished:
        problems.append(_("Only a list that has passed its publicity goes to the vice-mayor and the mayor (Art. 18)."))
        problems.extend(unfinished)
    if not winners(cycle).exists():
        problems.append(_("No organisation remains on the list: there is nothing to approve."))
    if AwardApproval.objects.filter(cycle=cycle).exists():
        problems.append(_("The mayor's approval is already recorded."))
    if not (vice_mayor or "").strip() or not (mayor or "").strip():
        problems.append(_("Name the vice-mayor who reviewed the list and the mayor who signed it."))
    if reviewed_on is None or signed_on is None:
        problems.append(_("Give the date of the review and the date of the signature."))
    else:
        if signed_on < reviewed_on:
            problems.append(_("The mayor signs after the vice-mayor's review (Art. 18)."))
        last_day = last_publicity_day(cycle)
        if last_day is not None and reviewed_on <= last_day:
            problems.append(
                _("The vice-mayor reviews the list after its publicity, which ended on %(end)s (Art. 18).")
                % {"end": _day(last_day)}
            )
        if signed_on > beijing_today(now):
            problems.append(_("The dates cannot be in the future."))
    if kind not in DOCUMENT_KINDS:
        problems.append(_("The signed document must be a PDF or an image (PNG, JPEG)."))
    return problems


@transaction.atomic
def award_approval_record(
    *, cycle: Cycle, vice_mayor: str, reviewed_on, mayor: str, signed_on, upload, kind: str, by: User, now=None
) -> AwardApproval:
    """Record the vice-mayor's review and the mayor's signature with the signed document (Art. 18)."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _refuse(
        award_approval_problems(
            cycle=cycle,
            vice_mayor=vice_mayor,
            reviewed_on=reviewed_on,
            mayor=mayor,
            signed_on=signed_on,
            kind=kind,
            now=now,
        )
    )
    approval = AwardApproval(
        cycle=cycle,
        vice_mayor=vice_mayor.strip(),
        reviewed_on=reviewed_on,
        mayor=mayor.strip(),
        signed_on=signed_on,
        document_name=upload.name[:200],
        document_content_type=KINDS[kind][0],
        document_sha256=_digest(upload),
        recorded_by=by,
    )
    approval.document.save(upload.name, upload, save=False)
    approval.full_clean()
    approval.save()
    audit_record(
        actor=by,
        action="award_approval.recorded",
        obj=approval,
        data={
            "vice_mayor": approval.vice_mayor,
            "reviewed_on": reviewed_on.isoformat(),
            "mayor": approval.mayor,
            "signed_on": signed_on.isoformat(),
            "sha256": approval.document_sha256,
        },
    )
    return approval


def award_notice(cycle: Cycle, *, published_only: bool = True) -> Notice | None:
    """The award announcement (表彰公告) of the cycle."""
    notices = cycle.notices.filter(kind=NoticeKind.AWARD_ANNOUNCEMENT)
    if published_only:
        notices = notices.filter(state=NoticeState.PUBLISHED)
    return notices.order_by("pk").first()


def announcement_problems(cycle: Cycle, now=None) -> list[str]:
    """Why the award announcement cannot be scheduled now (empty: it can)."""
    problems = []
    if cycle.phase != CyclePhase.PUBLICITY:
        problems.append(_("The award announcement follows the publicity and the mayor's approval (Art. 18)."))
    if not AwardApproval.objects.filter(cycle=cycle).exists():
        problems.append(_("Record the vice-mayor's review and the mayor's signature first (Art. 18)."))
    if award_notice(cycle, published_only=False) is not None:
        problems.append(_("The award announcement already exists; edit it among the notices until it is published."))
    return problems + publicity_unfinished(cycle, now)


@transaction.atomic
def announcement_schedule(*, cycle: Cycle, publish_at=None, by: User, now=None) -> Notice:
    """Schedule the award announcement (表彰公告, Art. 18), published by the Celery publication at `publish_at`.
    The awards are granted when the cycle then enters the announced phase."""
    now = now or timezone.now()
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _refuse(announcement_problems(cycle, now))
    publish_at = max(publish_at or now, now)
    approval = AwardApproval.objects.get(cycle=cycle)
    with in_chinese():
        body = render_to_string(
            "committee/notices/award_body.html",
            {
                "cycle": cycle,
                "approval": approval,
                "winners": list(winners(cycle)),
                "award_year": timezone.localtime(publish_at, BEIJING).year,
                "publish_on": timezone.localtime(publish_at, BEIJING).date(),
                "winners_url": site_url(reverse("committee:winners")),
            },
        )
    notice = Notice(
        cycle=cycle,
        kind=NoticeKind.AWARD_ANNOUNCEMENT,
        title=f"{cycle.title}表彰公告"[:200],
        body=body.strip(),
        state=NoticeState.SCHEDULED,
        publish_at=publish_at,
    )
    notice_save(notice=notice, by=by)
    audit_record(
        actor=by, action="announcement.scheduled", obj=notice, data={"cycle": cycle.pk, "at": publish_at.isoformat()}
    )
    return notice


def leaving_publicity_problems(cycle: Cycle, now=None) -> list[str]:
    """The guard on leaving the publicity phase (used by the cycle_phase_exit receiver)."""
    problems = publicity_unfinished(cycle, now)
    if winners(cycle).exists():
        if not AwardApproval.objects.filter(cycle=cycle).exists():
            problems.append(_("Record the vice-mayor's review and the mayor's signature first (Art. 18)."))
        if award_notice(cycle) is None:
            problems.append(_("Publish the award announcement before the cycle is announced (Art. 18)."))
    return problems


# --- the awards (获奖) and their prize ---


def _declared(dossier: Dossier) -> list[prize_rules.DeclaredAward]:
    sections = getattr(dossier, "declaration_sections", None)
    if sections is None:
        sections = list(dossier.sections.filter(key=DossierSectionKey.DECLARATIONS))
    data = sections[0].data if sections else {}
    return prize_rules.declared_awards(data.get("awards", []))


LEVEL_WORDS = {"national": "国家级", "provincial": "省级"}


def _describe(awards: list[prize_rules.DeclaredAward]) -> str:
    return "；".join(f"{a.name}（{LEVEL_WORDS.get(a.level, a.level)}，{a.year}年）" for a in awards)[:300]


def award_year_of(cycle: Cycle) -> int | None:
    """The award year: the calendar year (Beijing) in which the award announcement was published (C8)."""
    notice = award_notice(cycle)
    return timezone.localtime(notice.published_at, BEIJING).year if notice else None


@transaction.atomic
def awards_grant(*, cycle: Cycle, by: User | None) -> list[Award]:
    """Grant one award per winner once the cycle is announced; idempotent (a second call adds nothing).

    Each award gets its award year (the announcement's, C8), its number in that year (the certificate's serial),
    and its prize by the rules (prize.py). Winners' dossiers become awarded, every other dossier still in the
    running not awarded (also when nobody won: places may stay empty, Art. 4). The certificates are rendered after
    the commit, as one batch.
    """
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _require(
        cycle.phase in (CyclePhase.ANNOUNCED, CyclePhase.CLOSED),
        _("Awards are granted when the cycle is announced (Art. 18)."),
    )
    winner_rows = list(
        winners(cycle).prefetch_related(
            Prefetch(
                "dossier__sections",
                queryset=DossierSection.objects.filter(key=DossierSectionKey.DECLARATIONS),
                to_attr="declaration_sections",
            )
        )
    )
    award_year = award_year_of(cycle)
    _require(award_year is not None or not winner_rows, _("The award announcement is not published yet (Art. 18)."))
    granted = set(Award.objects.filter(cycle=cycle).values_list("dossier_id", flat=True))
    number = Award.objects.filter(award_year=award_year).aggregate(last=Max("number"))["last"] or 0
    created = []
    for candidate in winner_rows:
        dossier = candidate.dossier
        if dossier.pk in granted:
            continue
        same_year = prize_rules.same_year_awards(_declared(dossier), award_year)
        result = prize_rules.prize(
            cycle_prize=cycle.prize_amount,
            repeat_winner=candidate.entry.repeat_winner,
            same_year_award=bool(same_year),
            same_year_confirmed=None,
        )
        number += 1
        award = Award.objects.create(
            cycle=cycle,
            organisation=dossier.organisation,
            dossier=dossier,
            award_year=award_year,
            number=number,
            repeat_winner=candidate.entry.repeat_winner,
            prize_amount=result.amount,
            prize_rule=result.rule,
            same_year_award=_describe(same_year),
        )
        if dossier.state != DossierState.AWARDED:
            dossier_transition(dossier=dossier, to=DossierState.AWARDED, by=by, data={"award": award.pk})
        audit_record(
            actor=by,
            action="award.granted",
            obj=award,
            data={
                "dossier": dossier.number,
                "award_year": award_year,
                "prize": str(award.prize_amount),
                "rule": award.prize_rule,
            },
        )
        created.append(award)
    winner_dossiers = {candidate.dossier_id for candidate in winner_rows}
    for dossier in Dossier.objects.filter(cycle=cycle, state__in=UNDECIDED_STATES).exclude(pk__in=winner_dossiers):
        dossier_transition(dossier=dossier, to=DossierState.NOT_AWARDED, by=by, data={"cycle": cycle.pk})
    if created:
        certificate_batch_start(cycle=cycle, by=by)
    return created


def places_taken(cycle: Cycle) -> int:
    """Awards that count toward the cycle's number of winners: repeat winners do not (Art. 25)."""
    return Award.objects.filter(cycle=cycle, repeat_winner=False).count()


def award_update_problems(
    *, award: Award, same_year_award: str, same_year_confirmed, paid_on, plaque_handed_on, now=None
) -> list[str]:
    today = beijing_today(now)
    problems = []
    result = _prize_of(award, same_year_award, same_year_confirmed)
    if same_year_confirmed is not None and not same_year_award.strip():
        problems.append(_("Name the national or provincial award before recording a finding on it (Art. 21)."))
    prize_changed = (result.amount, result.rule) != (award.prize_amount, award.prize_rule)
    if award.paid_on is not None and prize_changed:
        problems.append(_("The prize is paid: the Art. 21 finding can no longer change it."))
    if paid_on is not None:
        if award.is_revoked:
            problems.append(_("The award is revoked: no prize is paid."))
        if result.rule == PrizeRule.SAME_YEAR_PENDING:
            problems.append(_("Record the finding on the same-year award before the payment (Art. 21)."))
        elif result.amount == 0:
            problems.append(_("This winner receives no prize money (Art. 21, 25)."))
        if paid_on > today:
            problems.append(_("The payment date cannot be in the future."))
    if plaque_handed_on is not None and plaque_handed_on > today:
        problems.append(_("The hand-over date cannot be in the future."))
    return problems


def _prize_of(award: Award, same_year_award: str, same_year_confirmed) -> prize_rules.Prize:
    return prize_rules.prize(
        cycle_prize=award.cycle.prize_amount,
        repeat_winner=award.repeat_winner,
        same_year_award=bool(same_year_award.strip()),
        same_year_confirmed=same_year_confirmed,
    )


@transaction.atomic
def award_update(
    *,
    award: Award,
    same_year_award: str,
    same_year_confirmed: bool | None,
    same_year_note: str,
    paid_on,
    plaque_handed_on,
    by: User,
    now=None,
) -> Award:
    """Record the secretariat's Art. 21 finding (the prize follows the rules), the payment and the hand-over of the
    plaque or trophy."""
    award = Award.objects.select_for_update(of=("self",)).select_related("cycle").get(pk=award.pk)
    same_year_award = (same_year_award or "").strip()
    _refuse(
        award_update_problems(
            award=award,
            same_year_award=same_year_award,
            same_year_confirmed=same_year_confirmed,
            paid_on=paid_on,
            plaque_handed_on=plaque_handed_on,
            now=now,
        )
    )
    result = _prize_of(award, same_year_award, same_year_confirmed)
    before = {
        "prize": str(award.prize_amount),
        "rule": award.prize_rule,
        "same_year_confirmed": award.same_year_confirmed,
        "paid_on": award.paid_on.isoformat() if award.paid_on else None,
        "plaque_handed_on": award.plaque_handed_on.isoformat() if award.plaque_handed_on else None,
    }
    award.same_year_award = same_year_award
    award.same_year_confirmed = same_year_confirmed
    award.same_year_note = (same_year_note or "").strip()
    award.prize_amount = result.amount
    award.prize_rule = result.rule
    award.paid_on = paid_on
    award.plaque_handed_on = plaque_handed_on
    award.full_clean()
    award.save()
    after = {
        "prize": str(award.prize_amount),
        "rule": award.prize_rule,
        "same_year_confirmed": award.same_year_confirmed,
        "paid_on": paid_on.isoformat() if paid_on else None,
        "plaque_handed_on": plaque_handed_on.isoformat() if plaque_handed_on else None,
    }
    audit_record(actor=by, action="award.changed", obj=award, data={"before": before, "after": after})
    return award


# --- certificates (证书) ---


def certificate_serial(award: Award) -> str:
    """LHZLJ-<award year>-NN: 漯河质量奖, the award year, the award's number in that year."""
    return f"LHZLJ-{award.award_year}-{award.number:02d}"


def verify_url(serial: str) -> str:
    return site_url(reverse("committee:verify", kwargs={"serial": serial}))


@transaction.atomic
def certificate_ensure(*, award: Award) -> Certificate:
    """The award's certificate row with its serial, made once: under the award's lock and its unique constraints,
    a second call (or a second worker) finds the same row."""
    award = Award.objects.select_for_update().get(pk=award.pk)
    certificate, _created = Certificate.objects.get_or_create(
        award=award, defaults={"serial": certificate_serial(award)}
    )
    return certificate


def _certificate_name(certificate: Certificate) -> str:
    suffix = "-revoked" if certificate.award.is_revoked else ""
    return f"certificates/{certificate.serial}{suffix}.pdf"


def certificate_render(*, award_id: int) -> Certificate | None:
    """Render and store the award's certificate unless the stored one is current; idempotent: run twice, one
    certificate, the same serial, one rendering. Raises MissingChineseFont (recorded on the row) rather than print
    boxes."""
    from . import certificates

    award = Award.objects.filter(pk=award_id).first()
    if award is None:
        logger.warning("Award %s is gone: no certificate.", award_id)
        return None
    certificate = certificate_ensure(award=award)
    try:
        with transaction.atomic():
            certificate = (
                Certificate.objects.select_for_update(of=("self",))
                .select_related("award__cycle", "award__organisation")
                .get(pk=certificate.pk)
            )
            if certificate.is_current:
                return certificate
            content = certificates.certificate_pdf(certificate)
            storage = certificate.pdf.storage
            old = certificate.pdf.name if certificate.pdf else ""
            name = _certificate_name(certificate)
            if storage.exists(name):  # left by an attempt that rolled back, or an earlier rendering
                storage.delete(name)
            certificate.pdf.name = storage.save(name, ContentFile(content))
            certificate.pdf_sha256 = hashlib.sha256(content).hexdigest()
            certificate.rendered_at = timezone.now()
            certificate.rendered_revoked = certificate.award.is_revoked
            certificate.render_error = ""
            certificate.save()
            audit_record(
                actor=None,
                action="certificate.rendered",
                obj=certificate,
                data={"serial": certificate.serial, "revoked": certificate.rendered_revoked},
            )
            if old and old != certificate.pdf.name:
                transaction.on_commit(partial(storage.delete, old), robust=True)
    except MissingChineseFont as error:
        Certificate.objects.filter(pk=certificate.pk).update(render_error=str(error))
        raise
    return certificate


def certificate_schedule(award: Award):
    from mayor_award.core.tasks import enqueue_on_commit

    from .tasks_awards import task_render_certificate

    enqueue_on_commit(task_render_certificate, award_id=award.pk)


@transaction.atomic
def certificate_batch_start(*, cycle: Cycle, by: User | None) -> CertificateBatch:
    """Render every certificate of the cycle in one background run; the admin polls its progress."""
    total = Award.objects.filter(cycle=cycle).count()
    _require(total > 0, _("This cycle has no awards yet."))
    batch = CertificateBatch.objects.create(cycle=cycle, total=total, requested_by=by)
    audit_record(actor=by, action="certificate.batch_started", obj=batch, data={"cycle": cycle.pk, "total": total})
    from mayor_award.core.tasks import enqueue_on_commit

    from .tasks_awards import task_render_cycle_certificates

    enqueue_on_commit(task_render_cycle_certificates, batch_id=batch.pk)
    return batch


def certificate_batch_run(*, batch_id: int) -> CertificateBatch | None:
    """Render the batch's certificates one by one, counting as it goes. A missing Chinese font stops the run with
    its message (every certificate would fail the same way); another failure is counted and the run goes on."""
    batch = CertificateBatch.objects.filter(pk=batch_id, finished_at__isnull=True).first()
    if batch is None:
        return None
    # A run again after a killed worker (or a redelivered message) counts from zero: the certificates already
    # current are counted once more as done, not twice.
    CertificateBatch.objects.filter(pk=batch.pk).update(done=0, failed=0, error="")
    for award_id in Award.objects.filter(cycle_id=batch.cycle_id).order_by("number").values_list("pk", flat=True):
        try:
            certificate_render(award_id=award_id)
        except MissingChineseFont as error:
            CertificateBatch.objects.filter(pk=batch.pk).update(
                failed=F("total") - F("done"), error=str(error), finished_at=timezone.now()
            )
            batch.refresh_from_db()
            return batch
        except Exception as error:
            logger.exception("The certificate of award %s could not be rendered.", award_id)
            CertificateBatch.objects.filter(pk=batch.pk).update(failed=F("failed") + 1, error=str(error)[:2000])
        else:
            CertificateBatch.objects.filter(pk=batch.pk).update(done=F("done") + 1)
    CertificateBatch.objects.filter(pk=batch.pk).update(finished_at=timezone.now())
    batch.refresh_from_db()
    return batch


def certificate_batch_status(batch: CertificateBatch) -> dict:
    """What the progress bar shows: plain data for the JSON status address."""
    processed = batch.done + batch.failed
    return {
        "total": batch.total,
        "done": batch.done,
        "failed": batch.failed,
        "percent": round(100 * processed / batch.total) if batch.total else 100,
        "finished": batch.finished_at is not None,
        "error": batch.error,
    }


# --- revocation (撤销, Art. 22) ---


def _document_fields(upload, kind) -> dict:
    return {"name": upload.name[:200], "content_type": KINDS[kind][0]}


def revocation_open_problems(*, award: Award, reason: str, evidence: str, kind) -> list[str]:
    problems = []
    if award.is_revoked:
        problems.append(_("This award is already revoked."))
    if RevocationCase.objects.filter(award=award, state__in=RevocationState.live()).exists():
        problems.append(_("A revocation case for this award is already open."))
    if not (reason or "").strip() or not (evidence or "").strip():
        problems.append(_("Give the reason (the fraud or improper means found) and the evidence (Art. 22)."))
    if kind is not None and kind not in EVIDENCE_KINDS:
        problems.append(_("The evidence file must be a PDF or an image (PNG, JPEG)."))
    return problems


@transaction.atomic
def revocation_open(
    *, award: Award, reason: str, evidence: str, upload=None, kind: str | None = None, by: User
) -> RevocationCase:
    """Open a case to ask the city government to revoke an award (Art. 22); nothing changes until it approves."""
    award = Award.objects.select_for_update().get(pk=award.pk)
    _refuse(revocation_open_problems(award=award, reason=reason, evidence=evidence, kind=kind if upload else None))
    case = RevocationCase(award=award, reason=reason.strip(), evidence=evidence.strip(), opened_by=by)
    if upload is not None:
        fields = _document_fields(upload, kind)
        case.evidence_name, case.evidence_content_type = fields["name"], fields["content_type"]
        case.evidence_file.save(upload.name, upload, save=False)
    case.save()
    audit_record(actor=by, action="revocation.opened", obj=case, data={"award": award.pk, "reason": case.reason})
    return case


def revocation_approve_problems(*, case: RevocationCase, approved_on, reference: str, kind, now=None) -> list[str]:
    problems = []
    if case.state != RevocationState.OPEN:
        problems.append(_("Only an open case can be decided."))
    if approved_on is None:
        problems.append(_("Give the date of the city government's approval."))
    elif approved_on > beijing_today(now) or approved_on < timezone.localtime(case.opened_at, BEIJING).date():
        problems.append(_("The approval date lies between the opening of the case and today."))
    if not (reference or "").strip():
        problems.append(_("Give the number of the city government's approval document."))
    if kind not in DOCUMENT_KINDS:
        problems.append(_("The approval document must be a PDF or an image (PNG, JPEG)."))
    return problems


@transaction.atomic
def revocation_approve(
    *, case: RevocationCase, approved_on, reference: str, upload, kind: str, by: User, now=None
) -> RevocationCase:
    """Record the city government's approval and revoke the award (Art. 22).

    The dossier becomes revoked; the certificate is printed again marked revoked and the verification page says so;
    the prize paid is to be recovered (an unpaid prize is cancelled); the fraud is recorded as a misconduct finding
    of the award's cycle, which bars the organisation from the next three cycles (Art. 9(5)); a revocation notice
    (通报) is drafted for the secretariat to publish.
    """
    case = RevocationCase.objects.select_for_update(of=("self",)).select_related("award__cycle").get(pk=case.pk)
    _refuse(revocation_approve_problems(case=case, approved_on=approved_on, reference=reference, kind=kind, now=now))
    award = (
        Award.objects.select_for_update(of=("self",))
        .select_related("cycle", "organisation", "dossier")
        .get(pk=case.award_id)
    )
    revoked_at = timezone.now()
    award.revoked_at = revoked_at
    award.save(update_fields=["revoked_at"])
    dossier_transition(dossier=award.dossier, to=DossierState.REVOKED, by=by, data={"revocation": case.pk})
    finding = misconduct_record(
        finding=MisconductFinding(
            organisation=award.organisation,
            cycle=award.cycle,
            description=_("Award revoked (Art. 22): %(reason)s") % {"reason": case.reason},
        ),
        by=by,
    )
    with in_chinese():
        body = render_to_string(
            "committee/notices/revocation_body.html",
            {"case": case, "award": award, "approved_on": approved_on, "reference": reference.strip()},
        )
    notice = notice_save(
        notice=Notice(
            cycle=award.cycle,
            kind=NoticeKind.REVOCATION,
            title=f"关于撤销{award.organisation.name}{award.cycle.title}称号的通报"[:200],
            body=body.strip(),
            state=NoticeState.DRAFT,
        ),
        by=by,
    )
    fields = _document_fields(upload, kind)
    case.approval_document_name, case.approval_document_content_type = fields["name"], fields["content_type"]
    case.approval_document.save(upload.name, upload, save=False)
    case.state = RevocationState.REVOKED
    case.approved_on = approved_on
    case.approval_reference = reference.strip()
    case.decided_by = by
    case.decided_at = revoked_at
    case.recovery_due = award.prize_amount if award.paid_on else 0
    case.notice = notice
    case.misconduct = finding
    case.save()
    audit_record(
        actor=by,
        action="revocation.approved",
        obj=case,
        data={
            "award": award.pk,
            "approved_on": approved_on.isoformat(),
            "reference": case.approval_reference,
            "recovery_due": str(case.recovery_due),
            "misconduct": finding.pk,
            "notice": notice.pk,
        },
    )
    certificate_schedule(award)
    return case


@transaction.atomic
def revocation_reject(*, case: RevocationCase, note: str, by: User) -> RevocationCase:
    """Close a case the city government did not approve; the award stands."""
    case = RevocationCase.objects.select_for_update().get(pk=case.pk)
    _require(case.state == RevocationState.OPEN, _("Only an open case can be decided."))
    _require(bool((note or "").strip()), _("Say why the case is closed."))
    case.state = RevocationState.REJECTED
    case.closed_note = note.strip()
    case.decided_by = by
    case.decided_at = timezone.now()
    case.save(update_fields=["state", "closed_note", "decided_by", "decided_at"])
    audit_record(actor=by, action="revocation.rejected", obj=case, data={"note": case.closed_note})
    return case


@transaction.atomic
def revocation_notice_schedule(*, case: RevocationCase, publish_at=None, by: User) -> Notice:
    """Make the revocation public (Art. 22): schedule its notice for the Celery publication."""
    case = RevocationCase.objects.select_for_update(of=("self",)).select_related("notice").get(pk=case.pk)
    _require(case.state == RevocationState.REVOKED and case.notice is not None, _("The award is not revoked."))
    _require(case.notice.state == NoticeState.DRAFT, _("The revocation notice is already scheduled or published."))
    notice = case.notice
    notice.state = NoticeState.SCHEDULED
    notice.publish_at = max(publish_at or timezone.now(), timezone.now())
    notice_save(notice=notice, by=by)
    audit_record(actor=by, action="revocation.notice_scheduled", obj=case, data={"at": notice.publish_at.isoformat()})
    return notice


@transaction.atomic
def revocation_recovery_record(
    *,
    case: RevocationCase,
    received,
    received_on,
    plaque_recovered_on,
    certificate_recovered_on,
    by: User,
    now=None,
) -> RevocationCase:
    """Record the prize money, plaque and certificate recovered (Art. 22)."""
    case = RevocationCase.objects.select_for_update().get(pk=case.pk)
    _require(case.state == RevocationState.REVOKED, _("Recovery follows a revocation."))
    today = beijing_today(now)
    problems = []
    if (received is None) != (received_on is None):
        problems.append(_("Give both the amount recovered and its date."))
    if received is not None and not 0 <= received <= case.recovery_due:
        problems.append(
            _("The amount recovered lies between 0 and the prize to recover (%(due)s).") % {"due": case.recovery_due}
        )
    for value in (received_on, plaque_recovered_on, certificate_recovered_on):
        if value is not None and value > today:
            problems.append(_("The dates cannot be in the future."))
            break
    _refuse(problems)
    case.recovery_received = received
    case.recovery_received_on = received_on
    case.plaque_recovered_on = plaque_recovered_on
    case.certificate_recovered_on = certificate_recovered_on
    case.save(
        update_fields=["recovery_received", "recovery_received_on", "plaque_recovered_on", "certificate_recovered_on"]
    )
    audit_record(
        actor=by,
        action="revocation.recovery_recorded",
        obj=case,
        data={
            "received": None if received is None else str(received),
            "received_on": received_on.isoformat() if received_on else None,
            "plaque_recovered_on": plaque_recovered_on.isoformat() if plaque_recovered_on else None,
            "certificate_recovered_on": certificate_recovered_on.isoformat() if certificate_recovered_on else None,
        },
    )
    return case
