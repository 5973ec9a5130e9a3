"""The secretariat's review dashboard and score export, inside the admin.

The pages are added in front of the admin site's own URLs (admin.site.get_urls is wrapped once, here), each
behind admin_site.admin_view (anyone not staff goes to the admin's login page) and the secretariat's permission:

- admin:review_dashboard          review/dashboard/ (the latest cycle with panels) and review/dashboard/<cycle>/
- admin:review_dashboard_remind   review/dashboard/<cycle>/remind/ (POST: reminders to the chosen late experts)
- admin:review_scores_export      review/scores/<cycle>.xlsx (every score of the cycle, audited)

The admin index links to the dashboard (templates/admin/index.html).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mayor_award.core.models import Cycle

from . import dashboard, export


def _require(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _cycle(cycle_pk):
    cycle = dashboard.dashboard_cycle(cycle_pk)
    if cycle is None:
        raise Http404(_("No such cycle."))
    return cycle


def dashboard_view(request, cycle_pk=None):
    _require(request, "review.view_review_dashboard")
    if cycle_pk is None:
        cycle = dashboard.dashboard_cycle()
        if cycle is not None:
            return redirect(reverse("admin:review_dashboard", args=[cycle.pk]))
        return TemplateResponse(
            request,
            "admin/review/dashboard_empty.html",
            {**admin.site.each_context(request), "title": _("Review dashboard")},
        )
    cycle = _cycle(cycle_pk)
    late_only = request.GET.get("late") == "1"
    data = dashboard.review_dashboard(cycle, page=request.GET.get("page") or 1, late_only=late_only)
    return TemplateResponse(
        request,
        "admin/review/dashboard.html",
        {
            **admin.site.each_context(request),
            "title": _("Review dashboard: %(cycle)s") % {"cycle": cycle},
            "dashboard": data,
            "cycle": cycle,
            "cycles": list(Cycle.objects.order_by("-number").values("pk", "number", "title")),
            "chart_data": data.charts,
            "can_export": request.user.has_perm("review.export_scores"),
            "can_remind": request.user.has_perm("review.remind_experts"),
            "page": data.page,
            "page_query": "late=1&" if late_only else "",
        },
    )


def remind_view(request, cycle_pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _require(request, "review.remind_experts")
    cycle = _cycle(cycle_pk)
    back = redirect(reverse("admin:review_dashboard", args=[cycle.pk]))
    chosen = [value for value in request.POST.getlist("seat") if value.isdigit()]
    try:
        count = dashboard.reminders_send(cycle=cycle, seat_ids=chosen, by=request.user)
    except dashboard.DashboardError as refused:
        messages.error(request, str(refused))
        return back
    messages.success(
        request,
        ngettext(
            "%(count)s reminder is being sent.",
            "%(count)s reminders are being sent.",
            count,
        )
        % {"count": count},
    )
    return back


def export_view(request, cycle_pk):
    _require(request, "review.export_scores")
    cycle = _cycle(cycle_pk)
    stream, name = export.scores_export(cycle=cycle, by=request.user)
    return FileResponse(
        stream,
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def dashboard_urls(site):
    view = site.admin_view
    return [
        path("review/dashboard/", view(dashboard_view), name="review_dashboard"),
        path("review/dashboard/<int:cycle_pk>/", view(dashboard_view), name="review_dashboard"),
        path("review/dashboard/<int:cycle_pk>/remind/", view(remind_view), name="review_dashboard_remind"),
        path("review/scores/<int:cycle_pk>.xlsx", view(export_view), name="review_scores_export"),
    ]


def _install(site):
    """Put the dashboard's pages in front of the site's own URLs (before the admin's catch-all page)."""
    if getattr(site, "_review_dashboard_installed", False):
        return
    site_urls = site.get_urls

    def get_urls():
        return [*dashboard_urls(site), *site_urls()]

    site.get_urls = get_urls
    site._review_dashboard_installed = True


_install(admin.site)
