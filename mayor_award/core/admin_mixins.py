"""Admin behaviour shared by every app's admin."""

from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
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


class KeyCheckedAutocompleteMixin:
    """Autocomplete fields whose refused form shows again without a server error.

    Django's autocomplete widget looks up the posted value to show its label; a value that is no key at all
    ("abc") made that lookup fail (500) instead of the form saying that the choice is not valid.
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeyCheckedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class KeyCheckedAutocompleteSelect(AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [key for key in value if _is_key_of(self.field.target_field, key)], attr)


def _is_key_of(target_field, key) -> bool:
    try:
        target_field.to_python(key)
    except (ValidationError, ValueError, TypeError):
        return False
    return True
