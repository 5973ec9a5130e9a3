"""Admin behaviour shared by every app's admin."""

from django.http import HttpResponseNotAllowed


class NoHistoryRevertMixin:
    """simple-history's version page saves a posted form (a revert) on mere view permission: it only shows here.

    History is evidence; changes go through the services (a cycle's phase only through cycle_advance).
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])
        return super().history_form_view(request, object_id, version_id, extra_context)
