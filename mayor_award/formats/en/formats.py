"""English input formats: Django's, plus the Chinese date spelling that users paste from notices."""

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%m/%d/%Y",
    "%Y年%m月%d日",
]
