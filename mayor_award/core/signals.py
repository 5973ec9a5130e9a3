"""Signals through which the apps guard and follow the phases of a cycle, without core importing them.

cycle_phase_exit: sent before a cycle leaves a phase, inside the transaction that would move it.
    Arguments: cycle, from_phase, to_phase. A receiver returns a list of reasons (translated strings,
    citing the article) why the cycle may not move yet; an empty list or None lets it go.
cycle_phase_entered: sent after the transaction that moved a cycle has committed.
    Arguments: cycle, from_phase, to_phase.
notice_schedule_fixed: sent to ask whether an app has fixed a saved notice's publication time and state.
    Arguments: notice. A receiver returns a reason (a translated string, citing the article) when the notice's
    `state` and `publish_at` may no longer change, e.g. a publicity notice whose period counts from its
    publication (Art. 17); None when it has no say. The admin shows them read-only and notice_save refuses
    a change to them.
"""

from django.dispatch import Signal

cycle_phase_exit = Signal()
cycle_phase_entered = Signal()

notice_schedule_fixed = Signal()
