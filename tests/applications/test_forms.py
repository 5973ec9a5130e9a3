"""The applicant portal's forms and validators on their own: what they accept, what they refuse, and in which words.

Forms are bound with plain dictionaries (as a browser posts them); messages are compared in Chinese, looked up in
the catalog. The credit code validator and the registration form are also fuzzed with hypothesis (security.md T3).
"""

import datetime as dt
import io
import string
import struct
import zipfile
import zlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from stdnum.cn import uscc

from applications.forms import (
    AttachmentForm,
    BasicsForm,
    DeclarationsForm,
    InvitationAcceptForm,
    OrganisationRegistrationForm,
    ResultsForm,
    SelfAssessmentForm,
    WithdrawForm,
)
from applications.sections import DECLARATION_ARTICLES, OVERVIEW_MAX_CHARS
from applications.validators import normalise_credit_code, validate_credit_code
from tests.factories.applications import MembershipFactory, OrganisationFactory, pdf_bytes, valid_credit_code

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z
LETTERED_BODY = "91411100MA44XK3R0"  # a code whose registration number carries letters
LETTERED_CODE = LETTERED_BODY + uscc.calc_check_digit(LETTERED_BODY)
WRONG_KIND = "This file is not a real %(kinds)s file. Please upload one of these kinds."
ATTACHMENT_KINDS_LABEL = "PDF、JPEG、PNG"
MB = 1024 * 1024


def zh(message: str, **params) -> str:
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    return text % params if params else text


def png_bytes(size=(4, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A 1×1 PNG whose header claims width × height pixels (with a correct CRC): a decompression bomb's header."""
    data = bytearray(png_bytes((1, 1)))
    ihdr = 8 + 8  # signature, then length and type of the IHDR chunk
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


# --- the unified social credit code (统一社会信用代码) ---


@given(st.text(max_size=40))
def test_validate_credit_code_on_any_text_raises_only_validation_error(text):
    try:
        validate_credit_code(text)
    except ValidationError as error:
        assert error.code in ("length", "checksum", "format")


@given(st.text(alphabet=USCC_ALPHABET + "IOSVZabc -\u2013\u00a0０１", min_size=16, max_size=22))
def test_validate_credit_code_on_code_like_text_raises_only_validation_error(text):
    try:
        validate_credit_code(text)
    except ValidationError as error:
        assert error.code in ("length", "checksum", "format")


CODE_BODIES = st.builds(
    lambda head, tail: head + tail,
    st.text(alphabet=string.digits, min_size=8, max_size=8),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)


@given(CODE_BODIES)
def test_validate_credit_code_with_the_calculated_check_character_passes(body):
    validate_credit_code(body + uscc.calc_check_digit(body))  # raises nothing


@given(CODE_BODIES, st.sampled_from(USCC_ALPHABET))
def test_validate_credit_code_with_any_other_check_character_fails_the_checksum(body, check):
    if check == uscc.calc_check_digit(body):
        return
    with pytest.raises(ValidationError) as refused:
        validate_credit_code(body + check)

    assert refused.value.code == "checksum"


def test_validate_credit_code_messages_in_chinese():
    code = valid_credit_code(5)
    messages = {}
    with translation.override("zh-hans"):
        for typed in (code[:-1], code[:-1] + ("0" if code[-1] != "0" else "1"), "9141110O" + code[8:]):
            with pytest.raises(ValidationError) as refused:
                validate_credit_code(typed)
            messages[refused.value.code] = refused.value.messages

    assert messages == {
        "length": [zh("A unified social credit code has 18 characters.")],
        "checksum": [zh("The check character does not match: please compare the code with the business licence.")],
        "format": [zh("This is not a valid unified social credit code: please copy it from the business licence.")],
    }


def test_normalise_credit_code_removes_spaces_and_dashes_and_upper_cases():
    assert normalise_credit_code(" 91411100-ma44xk3r0 " + LETTERED_CODE[-1].lower()) == LETTERED_CODE


# --- the registration form ---

REGISTRATION = {
    "name": "漯河市表单测试有限公司",
    "credit_code": valid_credit_code(8001),
    "kind": "for_profit",
    "legal_form": "enterprise",
    "registered_in_luohe_since": "2015-03-01",
    "registration_area": "yancheng",
    "industry_section": "C",
    "industry_division": "",
    "address": "河南省漯河市郾城区黄河路2号",
    "legal_representative": "赵法人",
    "contact_name": "钱联系",
    "contact_phone": "0395-7654321",
    "contact_email": "office@biaodan.example.com",
    "username": "biaodan",
    "user_name": "孙用户",
    "email": "sun@biaodan.example.com",
    "password1": "Luohe-Quality-2026!",
    "password2": "Luohe-Quality-2026!",
}


def registration_form(**changes) -> OrganisationRegistrationForm:
    with translation.override("zh-hans"):
        form = OrganisationRegistrationForm(data={**REGISTRATION, **changes})
        form.is_valid()
    return form


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["2015年3月1日", "2015年03月01日", "2015-03-01", "2015/3/1"])
def test_registration_form_date_accepts_chinese_and_iso_forms(typed):
    form = registration_form(registered_in_luohe_since=typed)

    assert form.errors == {}
    assert form.cleaned_data["registered_in_luohe_since"] == dt.date(2015, 3, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["2015年13月1日", "2015年2月30日", "三月一日"])
def test_registration_form_date_refuses_impossible_dates(typed):
    form = registration_form(registered_in_luohe_since=typed)

    assert form.errors == {"registered_in_luohe_since": [zh("Enter a valid date.")]}


@pytest.mark.django_db
def test_registration_form_lower_case_credit_code_cleaned_to_upper_case():
    form = registration_form(credit_code=LETTERED_CODE.lower())

    assert form.errors == {}
    assert form.save(commit=False).credit_code == LETTERED_CODE


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["9141 1100 MA44 XK3R 0{}", "91411100-MA44XK3R0-{}"], ids=["spaces", "dashes"])
def test_registration_form_credit_code_with_separators_cleaned_to_the_compact_code(typed):
    form = registration_form(credit_code=typed.format(LETTERED_CODE[-1]))

    assert form.errors == {}
    assert form.cleaned_data["credit_code"] == LETTERED_CODE


@pytest.mark.django_db
def test_registration_form_industry_division_outside_01_to_97_refused():
    form = registration_form(industry_division="98")

    assert form.errors == {"industry_division": [zh("An industry division is a two-digit code from 01 to 97.")]}


@pytest.mark.django_db
def test_registration_form_duplicate_after_normalising_refused():
    OrganisationFactory(credit_code=LETTERED_CODE)

    form = registration_form(credit_code=LETTERED_CODE.lower())

    assert form.errors == {
        "credit_code": [zh("An organisation with this credit code is already registered; ask its users to invite you.")]
    }


REGISTRATION_FIELDS = sorted(OrganisationRegistrationForm.base_fields)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(REGISTRATION_FIELDS), st.text(max_size=60)))
def test_registration_form_random_input_never_crashes(data):
    form = OrganisationRegistrationForm(data=data)

    assert form.is_valid() is False


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(REGISTRATION_FIELDS), st.text(max_size=40)))
def test_register_page_random_input_answers_without_a_server_error(data):
    response = Client().post("/register/", data)

    assert response.status_code == 200


# --- invitation acceptance and withdrawal ---


@pytest.mark.django_db
def test_invitation_accept_form_taken_user_name_refused_whatever_the_case():
    MembershipFactory(user__username="LiSi")

    form = InvitationAcceptForm(
        data={
            "username": "lisi",
            "name": "李四",
            "password1": "Luohe-Quality-2026!",
            "password2": "Luohe-Quality-2026!",
        }
    )

    with translation.override("zh-hans"):
        assert form.errors == {"username": [zh("This user name is taken.")]}


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_withdraw_form_blank_reason_refused(reason):
    form = WithdrawForm(data={"reason": reason})

    with translation.override("zh-hans"):
        assert form.errors == {"reason": [zh("This field is required.")]}


# --- section forms ---


def test_basics_form_lists_split_on_lines_and_semicolons():
    form = BasicsForm(
        data={
            "version": "3",
            "competitors": "甲公司\n\n 乙公司 ；丙公司;丁公司",
            "customers": "",
            "suppliers": "戊公司\r\n",
        }
    )

    assert form.errors == {}
    assert {name: form.cleaned_data[name] for name in BasicsForm.LIST_FIELDS} == {
        "competitors": ["甲公司", "乙公司", "丙公司", "丁公司"],
        "customers": [],
        "suppliers": ["戊公司"],
    }


def test_basics_form_initial_from_joins_lists_back_into_lines():
    initial = BasicsForm.initial_from({"competitors": ["甲", "乙"], "overview": "简介"})

    assert initial == {"competitors": "甲\n乙", "customers": "", "suppliers": "", "overview": "简介"}


@pytest.mark.parametrize(("length", "valid"), [(OVERVIEW_MAX_CHARS, True), (OVERVIEW_MAX_CHARS + 1, False)])
def test_basics_form_overview_at_most_3000_characters(length, valid):
    form = BasicsForm(data={"version": "0", "overview": "质" * length})

    assert form.is_valid() is valid


def test_basics_form_empty_draft_is_valid():
    form = BasicsForm(data={"version": "0"})

    assert form.is_valid() is True


def test_basics_form_without_version_refused():
    form = BasicsForm(data={"overview": "简介"})

    assert list(form.errors) == ["version"]


YEARS = [2025, 2024, 2023]


def test_results_form_for_profit_nests_the_three_years():
    data = {"version": "1", "top_five_indicator": "operating_revenue", "top_five_rank": "2"}
    for year in YEARS:
        data |= {
            f"y{year}_operating_revenue": "50000.50",
            f"y{year}_total_profit_and_tax": "6000",
            f"y{year}_net_profit": "-800" if year == 2024 else "3000",
            f"y{year}_asset_contribution_rate": "12.5",
            f"y{year}_quality_indicators": "合格率99.6%",
        }

    form = ResultsForm(data=data, years=YEARS, for_profit=True)

    assert form.errors == {}
    assert form.cleaned_data["years"]["2024"] == {
        "operating_revenue": Decimal("50000.50"),
        "total_profit_and_tax": Decimal(6000),
        "net_profit": Decimal(-800),
        "asset_contribution_rate": Decimal("12.5"),
        "quality_indicators": "合格率99.6%",
    }
    assert sorted(form.cleaned_data["years"]) == ["2023", "2024", "2025"]
    assert (form.cleaned_data["top_five_indicator"], form.cleaned_data["top_five_rank"]) == ("operating_revenue", 2)


def test_results_form_non_profit_asks_for_social_contribution_instead_of_the_top_five():
    form = ResultsForm(years=YEARS, for_profit=False)

    assert sorted(name for name in form.fields if not name.startswith("y")) == ["social_contribution", "version"]


@pytest.mark.parametrize(("rank", "valid"), [("1", True), ("0", False), ("999", True), ("1000", False)])
def test_results_form_rank_from_1_to_999(rank, valid):
    form = ResultsForm(data={"version": "0", "top_five_rank": rank}, years=YEARS, for_profit=True)

    assert form.is_valid() is valid


def test_results_form_initial_from_flattens_the_years():
    initial = ResultsForm.initial_from({"years": {"2025": {"net_profit": "3000"}}, "top_five_rank": 2})

    assert initial == {"y2025_net_profit": "3000", "top_five_rank": 2}


@pytest.fixture
def scored_items(db):
    from applications.sections import scored_items
    from tests.factories.core import CycleFactory

    return scored_items(CycleFactory(number=30))


def test_self_assessment_form_has_the_23_scored_items(scored_items):
    form = SelfAssessmentForm(items=scored_items)

    assert len(form.rows()) == 23
    assert sum(item.points for item in scored_items) == 1000


@pytest.mark.parametrize(
    ("percent", "valid"),
    [("0", True), ("55", True), ("100", True), ("52", False), ("105", False), ("-5", False)],
)
def test_self_assessment_form_percent_in_steps_of_five_from_0_to_100(scored_items, percent, valid):
    code = scored_items[0].code

    form = SelfAssessmentForm(data={"version": "0", f"p_{code}": percent}, items=scored_items)

    assert form.is_valid() is valid


def test_self_assessment_form_cleans_into_items_by_code(scored_items):
    first = scored_items[0].code

    form = SelfAssessmentForm(data={"version": "0", f"n_{first}": "方法系统", f"p_{first}": "55"}, items=scored_items)

    assert form.is_valid() is True
    assert form.cleaned_data["items"][first] == {"narrative": "方法系统", "percent": 55}
    assert form.cleaned_data["items"][scored_items[1].code] == {"narrative": "", "percent": None}


def test_declarations_form_nothing_pre_selected():
    form = DeclarationsForm(initial={"version": 0})

    assert [form[article].value() for article in DECLARATION_ARTICLES] == [None] * 6


@pytest.mark.parametrize(
    "line",
    ["河南省省长质量奖, provincial, 2025", "河南省省长质量奖，Provincial，2025", "河南省省长质量奖，省级，2025"],
    ids=["english", "full-width-commas", "chinese-level"],
)
def test_declarations_form_award_lines_parsed(line):
    with translation.override("zh-hans"):
        form = DeclarationsForm(data={"version": "0", "awards": line})
        valid = form.is_valid()

    assert valid is True, form.errors
    assert form.cleaned_data["awards"] == [{"name": "河南省省长质量奖", "level": "provincial", "year": 2025}]


def test_declarations_form_award_line_without_a_year_refused_naming_the_line():
    with translation.override("zh-hans"):
        form = DeclarationsForm(data={"version": "0", "awards": "全国质量奖, national, 2024\n某奖, provincial"})

        assert form.errors == {
            "awards": [
                zh(
                    "Line %(number)s: write the name, the level (national or provincial) and the year, "
                    "separated by commas."
                )
                % {"number": 2}
            ]
        }


def test_declarations_form_refuses_an_answer_outside_the_choices():
    form = DeclarationsForm(data={"version": "0", "9(1)": "maybe"})

    assert list(form.errors) == ["9(1)"]


# --- attachments (security.md T4) ---


def attachment_form(name, content, content_type="application/pdf", space_left=200 * MB):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    with translation.override("zh-hans"):
        form = AttachmentForm(
            data={"purpose": "evidence", "title": "证明"}, files={"file": upload}, space_left=space_left
        )
        form.is_valid()
    return form


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("材料.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "application/pdf"),
        ("材料.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
        ("材料.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n" + b"\x00" * 3000, "application/pdf"),
        ("图片.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "image/png"),
        ("照片.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 20, "image/jpeg"),
        ("炸弹.png", png_claiming(8000, 8000), "image/png"),
        ("报告.pdf", docx_bytes(), "application/pdf"),
    ],
    ids=[
        "renamed-executable",
        "renamed-html",
        "pdf-without-eof",
        "png-magic-then-garbage",
        "jpeg-magic-then-garbage",
        "image-over-the-pixel-limit",
        "word-document",
    ],
)
def test_attachment_form_refuses_what_is_not_a_real_pdf_jpeg_or_png(name, content, content_type):
    form = attachment_form(name, content, content_type)

    assert form.errors == {"file": [zh(WRONG_KIND, kinds=ATTACHMENT_KINDS_LABEL)]}


def test_attachment_form_empty_file_refused():
    form = attachment_form("空.pdf", b"")

    assert form.errors == {"file": [zh("The submitted file is empty.")]}


@pytest.mark.parametrize(
    ("name", "content", "kind", "shown"),
    [
        ("营业执照.pdf", pdf_bytes(), "pdf", "营业执照.pdf"),
        ("扫描件.PDF", pdf_bytes(), "pdf", "扫描件.pdf"),
        ("照片.pdf", png_bytes(), "png", "照片.png"),
        ("../../etc/passwd.pdf", pdf_bytes(), "pdf", "passwd.pdf"),
        ("..\\..\\windows\\证书.pdf", pdf_bytes(), "pdf", "证书.pdf"),
        ("a\x00b\x1fc<>:|?*.pdf", pdf_bytes(), "pdf", "abc_.pdf"),
        ("....pdf", pdf_bytes(), "pdf", "file.pdf"),
    ],
    ids=["plain", "upper-case-suffix", "png-named-pdf", "path-traversal", "windows-path", "control-characters", "dots"],
)
def test_attachment_form_accepts_real_files_under_a_safe_display_name(name, content, kind, shown):
    form = attachment_form(name, content)

    assert form.errors == {}
    assert (form.kind, form.cleaned_data["file"].name) == (kind, shown)


def test_attachment_form_file_of_exactly_the_size_limit_accepted(settings):
    content = pdf_bytes()
    settings.DOSSIER_ATTACHMENT_MAX_BYTES = len(content)

    form = attachment_form("材料.pdf", content)

    assert form.errors == {}


def test_attachment_form_file_one_byte_over_the_size_limit_refused(settings):
    content = pdf_bytes()
    settings.DOSSIER_ATTACHMENT_MAX_BYTES = len(content) - 1

    form = attachment_form("材料.pdf", content)

    with translation.override("zh-hans"):
        sizes = {"size": filesizeformat(len(content)), "limit": filesizeformat(len(content) - 1)}
    assert form.errors == {"file": [zh("The file is %(size)s; at most %(limit)s is accepted.", **sizes)]}


def test_attachment_form_file_filling_the_space_left_exactly_accepted():
    content = pdf_bytes()

    form = attachment_form("材料.pdf", content, space_left=len(content))

    assert form.errors == {}


def test_attachment_form_file_one_byte_over_the_space_left_refused(settings):
    settings.DOSSIER_TOTAL_MAX_BYTES = 3 * MB
    content = pdf_bytes()

    form = attachment_form("材料.pdf", content, space_left=len(content) - 1)

    assert form.errors == {
        "file": [zh("The dossier's attachments may take at most %(limit)s MB in all; this file does not fit.", limit=3)]
    }
