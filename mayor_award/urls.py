"""The project's addresses. Apps are included by dotted string, so this package imports no app.

Stable public addresses (printed on paper and in QR codes, never to change): `/`, `/notices/<id>/`,
`/publicity/<cycle>/`, `/winners/`, `/verify/<serial>/`.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("", include("mayor_award.core.urls")),
    path("", include("applications.urls")),
    path("", include("review.urls")),
    path("", include("committee.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path(settings.ADMIN_URL, admin.site.urls),
]

# A database outage answers 503 with Retry-After instead of the generic 500 page.
handler500 = "mayor_award.core.views.errors.server_error"
