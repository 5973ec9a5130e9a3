"""Chinese input formats that actually parse.

Django's own zh_Hans module lists '%Y年%n月%j日', which is not a strptime pattern, so a DateField rejects
"2026年11月25日". Output formats (Y年n月j日) are Django's and stay untouched: only the attributes defined
here override the built-in module.
"""

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # '2026-11-25', what the browser's date picker sends
    "%Y/%m/%d",  # '2026/11/25'
    "%Y年%m月%d日",  # '2026年11月25日'; %m and %d also accept 2026年1月5日
]

DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",  # <input type="datetime-local">
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y-%m-%d",
    "%Y年%m月%d日",
]
