"""How an article of the regulation is named: “Art. 8(1)” in English, “第八条第一项” in Chinese."""

import re

from django.utils.translation import get_language

DIGITS = "零一二三四五六七八九"
ARTICLE = re.compile(r"(\d+)(?:\((\d+)\))?")


def chinese_number(number: int) -> str:
    """1 → 一, 10 → 十, 15 → 十五, 27 → 二十七 (the regulation has 27 articles; items stay below ten)."""
    tens, units = divmod(number, 10)
    if number < 10:
        return DIGITS[number]
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[units] if units else "")


def article_label(article: str, language: str | None = None) -> str:
    """Name an article code such as "8", "9(1)" in the active (or given) language; unknown codes as given."""
    match = ARTICLE.fullmatch(article.strip())
    if not match:
        return article
    if (language or get_language() or "").startswith("zh"):
        number, item = match.groups()
        return f"第{chinese_number(int(number))}条" + (f"第{chinese_number(int(item))}项" if item else "")
    return f"Art. {article}"
