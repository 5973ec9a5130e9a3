"""The committee's admin pages: each area keeps its own module."""

from . import admin_awards, admin_voting  # noqa: F401
