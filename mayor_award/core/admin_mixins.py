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


class RecordOnceAdminMixin:
    """An admin for records written once through a service and then only read (approvals, cases, publicities).

    The add form shows `add_fields`; a saved record shows `view_fields`, read-only, and cannot be changed.
    """

    add_fields: list[str] = []
    view_fields: list[str] = []

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.view_fields

    def get_readonly_fields(self, request, obj=None):
        return self.view_fields if obj is not None else []

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)
