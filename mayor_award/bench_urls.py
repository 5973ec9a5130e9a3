"""The benchmark's URLconf (scripts/bench.py): the project's own addresses plus two reference views.

Served only when DJANGO_ROOT_URLCONF names this module (the benchmark's gunicorn): a page's cost is its
throughput measured against these views in the same rounds.

- /bench/plain/        a plain HttpResponse: no session, no user, no database
- /bench/plain-login/  the same behind login: the session is read (and saved, as every request does) and the
                       user loaded, nothing else
"""

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpResponse
from django.urls import path

from mayor_award.urls import urlpatterns as project_urlpatterns

PLAIN_BODY = b"plain"


# Outside ATOMIC_REQUESTS' transaction: the references talk to the database only as far as they must (the plain
# view not at all; the one behind login reads the session and the user, and saves the session as every request does).
@transaction.non_atomic_requests
@login_not_required
def plain(request):
    return HttpResponse(PLAIN_BODY, content_type="text/plain")


@transaction.non_atomic_requests
def plain_login(request):
    # LoginRequiredMiddleware sends anyone not logged in to the login page; touching request.user loads it.
    return HttpResponse(PLAIN_BODY if request.user.is_authenticated else b"", content_type="text/plain")


urlpatterns = [
    path("bench/plain/", plain, name="bench-plain"),
    path("bench/plain-login/", plain_login, name="bench-plain-login"),
    *project_urlpatterns,
]
