"""Template filters for the award's own ways of writing things: money in yuan, rich notice text."""

import re
from decimal import Decimal, InvalidOperation

import nh3
from django import template
from django.utils.html import linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..articles import article_label

register = template.Library()

# What a government notice needs; everything else (scripts, styles, event handlers) is dropped.
NOTICE_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "h5",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
}


# A body is HTML only when it uses one of the allowed tags; "利润率<5%" stays plain text.
HTML_TAG = re.compile(r"</?(?:{})\b[^>]*>".format("|".join(sorted(NOTICE_TAGS))), re.IGNORECASE)


@register.filter
def yuan(amount):
    """500000 → “500,000 元” (Chinese) or “500,000 yuan”; cents only when there are any."""
    try:
        amount = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return _("%(amount)s yuan") % {"amount": text}


@register.filter
def article(code):
    """An article code of the regulation in words: “Art. 9(1)”, or 第九条第一项 in Chinese."""
    return article_label(str(code))


@register.filter
def notice_html(body):
    """A notice body as safe HTML: allowed tags kept, the rest removed; plain text keeps its lines."""
    if not HTML_TAG.search(body):
        body = linebreaks(body, autoescape=True)
    cleaned = nh3.clean(body, tags=NOTICE_TAGS, attributes={"a": {"href"}}, link_rel="noopener noreferrer")
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3's allow-list just above
