"""Dates as Chinese users write them, money in yuan, and notice text made safe for the public site."""

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import formats, translation
from django.utils.translation import gettext

from mayor_award.core.templatetags.award import notice_html, yuan

# --- dates (project format modules) ---


@pytest.mark.parametrize("text", ["2026年11月25日", "2026-11-25", "2026/11/25"])
def test_date_field_zh_hans_accepts_chinese_and_iso_dates(text):
    with translation.override("zh-hans"):
        assert forms.DateField().clean(text) == dt.date(2026, 11, 25)


def test_date_field_zh_hans_accepts_unpadded_month_and_day():
    with translation.override("zh-hans"):
        assert forms.DateField().clean("2026年1月5日") == dt.date(2026, 1, 5)


def test_date_field_zh_hans_refuses_an_impossible_date():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        forms.DateField().clean("2026年2月30日")

    assert excinfo.value.code == "invalid"


def test_date_field_en_accepts_a_pasted_chinese_date():
    with translation.override("en"):
        assert forms.DateField().clean("2026年11月25日") == dt.date(2026, 11, 25)


def test_datetime_field_zh_hans_accepts_a_chinese_date_and_time():
    with translation.override("zh-hans"):
        assert forms.DateTimeField().clean("2026年11月25日 17:00") == dt.datetime(
            2026, 11, 25, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))
        )


def test_date_format_zh_hans_is_year_month_day():
    with translation.override("zh-hans"):
        assert formats.date_format(dt.date(2026, 11, 25)) == "2026年11月25日"


# --- yuan ---


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (500000, "500,000 yuan"),
        (Decimal("500000.00"), "500,000 yuan"),
        (1234.5, "1,234.50 yuan"),
        ("1234.567", "1,234.57 yuan"),
        (0, "0 yuan"),
    ],
)
def test_yuan_english(amount, text):
    with translation.override("en"):
        assert yuan(amount) == text


def test_yuan_chinese_uses_the_translated_word():
    with translation.override("zh-hans"):
        expected = gettext("%(amount)s yuan") % {"amount": "500,000"}

        assert yuan(500000) == expected


@pytest.mark.parametrize("amount", [None, ""])
def test_yuan_empty_amount_is_empty(amount):
    assert yuan(amount) == ""


def test_yuan_filter_in_a_template():
    template = Template("{% load award %}{{ prize|yuan }}")

    with translation.override("en"):
        assert template.render(Context({"prize": Decimal("500000")})) == "500,000 yuan"


# --- notice_html ---


def test_notice_html_removes_script_elements():
    assert notice_html("<p>公告正文</p><script>alert(document.cookie)</script>") == "<p>公告正文</p>"


def test_notice_html_removes_event_handler_attributes():
    assert notice_html('<p onclick="steal()">正文<strong onerror="x()">重点</strong></p>') == (
        "<p>正文<strong>重点</strong></p>"
    )


def test_notice_html_removes_images_with_onerror():
    assert notice_html('<p>正文</p><img src="x" onerror="alert(1)">') == "<p>正文</p>"


def test_notice_html_keeps_paragraphs_bold_and_tables():
    body = "<p>申报<strong>截止时间</strong></p><table><tbody><tr><th>项目</th><td>奖金</td></tr></tbody></table>"

    assert notice_html(body) == body


def test_notice_html_links_lose_javascript_and_get_noopener():
    assert notice_html('<a href="javascript:alert(1)">点此</a> <a href="https://www.luohe.gov.cn/">市政府</a>') == (
        '<a rel="noopener noreferrer">点此</a> <a href="https://www.luohe.gov.cn/" rel="noopener noreferrer">市政府</a>'
    )


def test_notice_html_plain_text_with_blank_lines_becomes_paragraphs():
    assert notice_html("一、申报条件\n依法登记注册5年以上。\n\n二、申报方式") == (
        "<p>一、申报条件<br>依法登记注册5年以上。</p>\n\n<p>二、申报方式</p>"
    )


def test_notice_html_plain_text_ampersand_escaped():
    assert notice_html("质量 & 效益") == "<p>质量 &amp; 效益</p>"


def test_notice_html_plain_text_less_than_escaped():
    html = notice_html("利润率<5%")

    # Paragraph wrapping is checked by the next test; here only the escaping matters.
    assert html.removeprefix("<p>").removesuffix("</p>") == "利润率&lt;5%"


def test_notice_html_plain_text_with_less_than_keeps_its_text_and_paragraphs():
    assert notice_html("当A<B时，取B。\n\n第二段") == "<p>当A&lt;B时，取B。</p>\n\n<p>第二段</p>"
