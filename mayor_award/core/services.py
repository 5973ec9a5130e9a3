"""Every write to core rows goes through these functions: they check, save, audit and schedule."""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import lifecycle
from .enums import CyclePhase, NoticeKind, NoticeState
from .models import AuditEvent, Criteria, CriteriaCategory, CriteriaItem, Cycle, Notice, ScoringBand
from .signals import cycle_phase_entered, cycle_phase_exit, notice_schedule_fixed

logger = logging.getLogger(__name__)


class CycleTransitionRefused(Exception):
    """A cycle cannot change phase; `reasons` says why, in the user's language."""

    def __init__(self, reasons):
        self.reasons = [str(reason) for reason in reasons]
        super().__init__("; ".join(self.reasons))


def audit_record(*, actor, action: str, obj, data: dict | None = None) -> AuditEvent:
    """Append who did what to `obj`; runs inside the caller's transaction, so it commits with the change."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        data=data or {},
    )


@transaction.atomic
def cycle_advance(*, cycle: Cycle, to: str, by) -> Cycle:
    """Move `cycle` to phase `to`, or raise CycleTransitionRefused with every reason it may not."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    from_phase = cycle.phase
    announcement_published = cycle.notices.published().filter(kind=NoticeKind.CYCLE_ANNOUNCEMENT).exists()
    reasons = lifecycle.transition_problems(
        current=from_phase, target=to, announcement_published=announcement_published
    )
    if not reasons:
        for _receiver, response in cycle_phase_exit.send(sender=Cycle, cycle=cycle, from_phase=from_phase, to_phase=to):
            reasons.extend(response or [])
    if reasons:
        raise CycleTransitionRefused(reasons)

    cycle.phase = to
    cycle.phase_changed_at = timezone.now()
    cycle._history_user = by
    cycle.save(update_fields=["phase", "phase_changed_at"])
    audit_record(actor=by, action="cycle.phase_changed", obj=cycle, data={"from": from_phase, "to": to})
    transaction.on_commit(
        partial(cycle_phase_entered.send, sender=Cycle, cycle=cycle, from_phase=from_phase, to_phase=to),
        robust=True,
    )
    return cycle


@transaction.atomic
def cycle_save(*, cycle: Cycle, by) -> Cycle:
    """Create or update a cycle's facts and rules; its phase changes only through cycle_advance."""
    is_new = cycle.pk is None
    if cycle.criteria_id is None:
        cycle.criteria = Criteria.objects.latest_published()
    cycle.full_clean()
    cycle._history_user = by
    cycle.save()
    audit_record(actor=by, action="cycle.created" if is_new else "cycle.changed", obj=cycle)
    return cycle


def notice_schedule_fixed_reasons(notice: Notice) -> list[str]:
    """Why an app has fixed this saved notice's state and publication time (empty: nothing fixes them)."""
    if notice.pk is None:
        return []
    return [str(reason) for _receiver, reason in notice_schedule_fixed.send(sender=Notice, notice=notice) if reason]


@transaction.atomic
def notice_save(*, notice: Notice, by) -> Notice:
    """Create or update a notice; a scheduled one that is due is queued for publication on commit."""
    stored = Notice.objects.select_for_update().filter(pk=notice.pk).values("state", "publish_at").first()
    stored_state = stored["state"] if stored else None
    if NoticeState.PUBLISHED in (notice.state, stored_state):
        raise ValueError(_("A published notice cannot be changed; publish a correction instead."))
    if stored and (notice.state, notice.publish_at) != (stored["state"], stored["publish_at"]):
        fixed = notice_schedule_fixed_reasons(notice)
        if fixed:
            raise ValueError(" ".join(fixed))
    if notice.state == NoticeState.SCHEDULED and notice.publish_at is None:
        notice.publish_at = timezone.now()
    is_new = notice.pk is None
    if is_new:
        notice.created_by = by
    notice.full_clean()
    notice._history_user = by
    notice.save()
    audit_record(
        actor=by,
        action="notice.created" if is_new else "notice.changed",
        obj=notice,
        data={"state": notice.state, "publish_at": notice.publish_at.isoformat() if notice.publish_at else None},
    )
    if notice.state == NoticeState.SCHEDULED and notice.publish_at <= timezone.now():
        transaction.on_commit(partial(notice_enqueue_publication, notice_id=notice.pk), robust=True)
    return notice


def notice_enqueue_publication(*, notice_id: int) -> bool:
    """Queue the publication task; when the broker is down, mark the row and leave it to the sweeper.

    A publication must never be lost to a broker outage: the state lives on the row, and
    task_publish_due_notices publishes every scheduled notice that is due, whether or not a message
    for it ever reached the queue.
    """
    from .tasks import task_publish_notice

    try:
        task_publish_notice.apply_async(kwargs={"notice_id": notice_id})
    except Exception:  # kombu and redis raise a family of errors for an unreachable broker
        logger.warning("Broker unreachable; notice %s will be published by the sweeper.", notice_id, exc_info=True)
        Notice.objects.filter(pk=notice_id).update(enqueue_failed_at=timezone.now())
        return False
    return True


@transaction.atomic
def notice_publish(*, notice_id: int, now=None) -> bool:
    """Publish one notice if it is scheduled and due. Idempotent: a second call changes nothing."""
    now = now or timezone.now()
    notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
    if notice is None or notice.state != NoticeState.SCHEDULED or notice.publish_at > now:
        return False
    notice.state = NoticeState.PUBLISHED
    notice.published_at = now
    notice.enqueue_failed_at = None
    notice.save(update_fields=["state", "published_at", "enqueue_failed_at"])
    audit_record(actor=None, action="notice.published", obj=notice, data={"published_at": now.isoformat()})
    return True


def notices_publish_due(*, now=None) -> int:
    """Publish every scheduled notice whose time has come; returns how many were published."""
    now = now or timezone.now()
    due = list(Notice.objects.due(now).values_list("pk", flat=True))
    return sum(notice_publish(notice_id=pk, now=now) for pk in due)


# --- the criteria (评价准则) ---

SCORING_PHASES_FROM = CyclePhase.MATERIAL_REVIEW


@transaction.atomic
def criteria_publish_correction(*, base: Criteria, points: dict[str, int], note: str, by) -> Criteria:
    """Publish a corrected version of `base` with new item points; nothing scored under `base` changes.

    Categories take the sum of their items; the total must stay the standard's total (1,000 for GB/T 19580).
    Cycles that have not started scoring (before the material review) move to the new version.
    """
    items = list(CriteriaItem.objects.filter(category__criteria=base).select_related("category"))
    if set(points) != {item.code for item in items} or any(int(value) <= 0 for value in points.values()):
        raise ValueError(_("Give every item a positive number of points."))
    total = sum(int(value) for value in points.values())
    if total != base.total_points:
        raise ValueError(
            _("The items add up to %(total)s points; the standard's total is %(expected)s.")
            % {"total": total, "expected": base.total_points}
        )
    latest = Criteria.objects.filter(code=base.code).order_by("-version").first()
    corrected = Criteria.objects.create(
        code=base.code, version=latest.version + 1, title=base.title, total_points=base.total_points, note=note
    )
    for category in base.categories.order_by("position"):
        new_category = CriteriaCategory.objects.create(
            criteria=corrected,
            code=category.code,
            name_zh=category.name_zh,
            name_en=category.name_en,
            kind=category.kind,
            position=category.position,
            points=sum(int(points[item.code]) for item in items if item.category_id == category.pk),
        )
        CriteriaItem.objects.bulk_create(
            CriteriaItem(
                category=new_category,
                code=item.code,
                name_zh=item.name_zh,
                name_en=item.name_en,
                points=int(points[item.code]),
                kind=item.kind,
                scope_en=item.scope_en,
                position=item.position,
            )
            for item in items
            if item.category_id == category.pk
        )
    ScoringBand.objects.bulk_create(
        ScoringBand(
            criteria=corrected,
            kind=band.kind,
            band=band.band,
            min_percent=band.min_percent,
            max_percent=band.max_percent,
            allowed_percents=band.allowed_percents,
            text_zh=band.text_zh,
            text_en=band.text_en,
        )
        for band in base.bands.all()
    )
    Criteria.objects.filter(code=base.code).exclude(pk=corrected.pk).update(is_published=False)
    order = list(CyclePhase)
    moved = []
    for cycle in Cycle.objects.select_for_update().filter(criteria__code=base.code):
        if order.index(CyclePhase(cycle.phase)) < order.index(SCORING_PHASES_FROM):
            cycle.criteria = corrected
            cycle._history_user = by
            cycle.save(update_fields=["criteria"])
            moved.append(cycle.number)
    audit_record(
        actor=by,
        action="criteria.corrected",
        obj=corrected,
        data={"from_version": base.version, "note": note, "cycles_moved": moved},
    )
    return corrected
