"""Signals through which later phases guard a dossier without the applications app importing them.

dossier_decision_veto: sent before the secretariat records an eligibility decision. Arguments: dossier.
    A receiver returns a reason (a translated string) why the decision may not be recorded, or None.
"""

from django.dispatch import Signal

dossier_decision_veto = Signal()
