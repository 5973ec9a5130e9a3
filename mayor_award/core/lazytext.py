"""Messages of the pure rule modules, translated when shown rather than when made.

`gettext_lazy("…%(x)s…") % params` translates at once, in whatever language is active at that moment; a finding
made in a Celery task and shown later on a Chinese page would keep the wrong language. These helpers delay the
formatting until the message is rendered.
"""

from collections.abc import Iterable

from django.utils.functional import Promise, lazy
from django.utils.translation import pgettext_lazy

LIST_SEPARATOR = pgettext_lazy("list separator", ", ")


def _format_now(template, params: dict) -> str:
    # Runs when the message is rendered: `template % params` translates in the language active then (a
    # gettext_lazy proxy casts itself to str first, an ngettext_lazy proxy picks its plural form), and so do
    # lazy params.
    return template % params


def _join_now(items: tuple) -> str:
    return str(LIST_SEPARATOR).join(str(item) for item in items)


_lazy_format = lazy(_format_now, str)
_lazy_join = lazy(_join_now, str)


def format_lazy(template, **params) -> Promise:
    """`template % params`, delayed until rendered."""
    return _lazy_format(template, params)


def join_lazy(items: Iterable) -> Promise:
    """The items joined with the language's list separator (、 in Chinese), delayed until rendered."""
    return _lazy_join(tuple(items))
