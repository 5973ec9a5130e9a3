"""The public site: home, notices, their attachments and the Atom feed. No login needed."""

from django.contrib.auth.decorators import login_not_required
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from ..downloads import private_file_response
from ..models import Cycle, Notice, NoticeAttachment
from ..templatetags.award import notice_html

NOTICES_PER_PAGE = 20


def _visible_notices(user):
    """Everyone sees published notices; the secretariat also previews drafts and scheduled ones."""
    if user.has_perm("core.preview_notice"):
        return Notice.objects.all()
    return Notice.objects.published()


@login_not_required
def home(request):
    return render(
        request,
        "core/public/home.html",
        {
            "cycle": Cycle.objects.current(),
            # The list shows each notice's kind, title and date: its body (and cycle) are not read.
            "notices": Notice.objects.published().only("pk", "kind", "title", "published_at")[:8],
        },
    )


@login_not_required
def notice_list(request):
    page = Paginator(Notice.objects.published().select_related("cycle"), NOTICES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "core/public/notice_list.html", {"page": page})


@login_not_required
def notice_detail(request, pk):
    notice = get_object_or_404(
        _visible_notices(request.user).select_related("cycle").prefetch_related("attachments"), pk=pk
    )
    return render(request, "core/public/notice_detail.html", {"notice": notice})


@login_not_required
def notice_attachment(request, notice_pk, pk):
    attachment = get_object_or_404(
        NoticeAttachment.objects.filter(notice__in=_visible_notices(request.user)), notice_id=notice_pk, pk=pk
    )
    return private_file_response(
        attachment.file, filename=attachment.original_name, content_type=attachment.content_type
    )


class NoticeFeed(Feed):
    """An Atom feed of published notices, for the city's media sites."""

    login_required = False  # read by LoginRequiredMiddleware, as login_not_required would set it

    feed_type = Atom1Feed
    title = _("Luohe Mayor's Quality Award: notices")
    subtitle = _("Notices of the Luohe Mayor's Quality Award secretariat")
    link = reverse_lazy("notice-list")

    def items(self):
        return Notice.objects.published().order_by("-published_at")[:30]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return notice_html(item.body)

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at
