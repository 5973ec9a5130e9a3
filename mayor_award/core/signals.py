"""Signals through which the apps guard and follow the phases of a cycle, without core importing them.

cycle_phase_exit: sent before a cycle leaves a phase, inside the transaction that would move it.
    Arguments: cycle, from_phase, to_phase. A receiver returns a list of reasons (translated strings,
    citing the article) why the cycle may not move yet; an empty list or None lets it go.
cycle_phase_entered: sent after the transaction that moved a cycle has committed.
    Arguments: cycle, from_phase, to_phase.
"""

from django.dispatch import Signal

cycle_phase_exit = Signal()
cycle_phase_entered = Signal()
