"""The server-error page, which tells a database outage (503, try again shortly) from a fault in the code (500).

Django calls the handler inside its `except` block, so the exception being handled is at hand. While PostgreSQL
restarts, every request fails; ATOMIC_REQUESTS has rolled the request back and CONN_HEALTH_CHECKS opens a new
connection on the next one, so "nothing was saved, try again in a moment" is the true answer, with Retry-After.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

RETRY_AFTER_SECONDS = 10


def server_error(request):
    """handler500: 503 with Retry-After when the database was unreachable, otherwise the 500 page."""
    # Rendered without the request's context, as Django's own handler does: the failure may lie in what the
    # context processors would read (the session, the user).
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponse(loader.get_template("500.html").render(), status=500)
